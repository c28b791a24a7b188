//! Linux and Android: an anonymous `memfd_create` file mapped twice (first choice there).

use std::ptr::NonNull;

use super::fork::map_twice;
use crate::unix::{set_len, Fd};
use crate::Error;

/// `MFD_NOEXEC_SEAL` (Linux 6.3); older kernels answer `EINVAL` and we retry without it.
const MFD_NOEXEC_SEAL: libc::c_uint = 0x0008;

pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    let fd = create_memfd()?;
    set_len(&fd, len)?;
    // The fd is closed when `fd` drops, on success and on every error path; the mappings keep
    // the pages alive.
    map_twice(&fd, len)
}

/// A new, empty memfd (close-on-exec; sealed against exec where the kernel can).
pub(super) fn create_memfd() -> Result<Fd, Error> {
    let name = c"picoring";
    // SAFETY: a valid NUL-terminated name and flags.
    let mut fd = unsafe { memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | MFD_NOEXEC_SEAL) };
    if fd < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
        // SAFETY: as above.
        fd = unsafe { memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    }
    if fd < 0 {
        return Err(Error::last_os("memfd_create"));
    }
    Ok(Fd(fd))
}

#[cfg(target_os = "linux")]
use libc::memfd_create;

/// Android: bionic has `memfd_create` only from API level 30, so a library linked for an older
/// level cannot name it; the system call itself is older (Linux 3.17) and allowed to apps.
///
/// # Safety
/// `name` is a valid NUL-terminated string.
#[cfg(target_os = "android")]
unsafe fn memfd_create(name: *const libc::c_char, flags: libc::c_uint) -> libc::c_int {
    // SAFETY: memfd_create takes a string pointer and a flags word, per the caller's contract.
    let fd = unsafe { libc::syscall(libc::SYS_memfd_create, name, flags) };
    // A descriptor always fits a c_int; -1 (with errno set) stays -1.
    fd as libc::c_int
}
