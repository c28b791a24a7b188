//! FreeBSD: an anonymous POSIX shared-memory object mapped twice into a `PROT_NONE`
//! reservation ([`Backend::Shm`](super::Backend::Shm) there). Compile-checked only.
//!
//! ```text
//! fd = shm_open(SHM_ANON, O_RDWR | O_CLOEXEC, 0600)   // no name: nothing to unlink or leak
//! ftruncate(fd, N)
//! p  = mmap(NULL, 2N, PROT_NONE, MAP_PRIVATE | MAP_ANON, -1, 0)
//! mmap(p,     N, PROT_READ|PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0)
//! mmap(p + N, N, PROT_READ|PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0)
//! close(fd); register (p, N) for fork (see the fork module)
//! ```
//!
//! `SHM_ANON` objects exist on every supported FreeBSD release (`memfd_create` is built on
//! them since FreeBSD 13). The mappings keep the default inheritance of `MAP_SHARED` memory
//! (`INHERIT_SHARE`), so a forked child has them, and the fork module's child handler replaces
//! them with a private copy in a new `SHM_ANON` object (filled with `write(2)`, which shm
//! objects accept since FreeBSD 10) before `fork()` returns there: the child never shares the
//! parent's pages and never finds the ring unmapped.

use std::ptr::NonNull;

use super::fork::map_object;
use crate::sys::freebsd::shm_anon;
use crate::Error;

pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    map_object(shm_anon()?, len)
}
