//! FreeBSD: anonymous POSIX shared memory. Compile-checked only.

use std::os::fd::OwnedFd;

use super::unix::owned_fd;
use crate::Error;

/// A new, empty anonymous shared-memory object, `shm_open(SHM_ANON)` (close-on-exec). One
/// system call, no allocation, errors included: the fork child handler uses it too.
pub(crate) fn shm_anon() -> Result<OwnedFd, Error> {
    // SAFETY: SHM_ANON asks for a new anonymous object; no name is read.
    let fd = unsafe { libc::shm_open(libc::SHM_ANON, libc::O_RDWR | libc::O_CLOEXEC, 0o600) };
    owned_fd(fd, "shm_open")
}
