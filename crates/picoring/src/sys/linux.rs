//! Linux and Android: `memfd_create`, `mremap`, `MADV_POPULATE_WRITE`, `sysinfo`, `membarrier`,
//! and (Linux only) named POSIX shared memory and `getrandom`. Like the unix calls, these make
//! plain system calls and allocate nothing, errors included.

use std::os::fd::OwnedFd;

use super::unix::owned_fd;
use crate::Error;

/// `MFD_NOEXEC_SEAL` (Linux 6.3); older kernels answer `EINVAL` and we retry without it.
const MFD_NOEXEC_SEAL: libc::c_uint = 0x0008;

/// `madvise` advice that populates page tables for writing (Linux 5.14+). Not in every libc
/// release yet; the value is fixed by the kernel ABI.
const MADV_POPULATE_WRITE: libc::c_int = 23;

/// A new, empty memfd (close-on-exec; sealed against exec where the kernel can).
pub(crate) fn memfd() -> Result<OwnedFd, Error> {
    let name = c"picoring";
    // SAFETY: a valid NUL-terminated name and flags.
    let mut fd = unsafe { memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | MFD_NOEXEC_SEAL) };
    if fd < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
        // SAFETY: as above.
        fd = unsafe { memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    }
    owned_fd(fd, "memfd_create")
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

/// Prefaults `[ptr, ptr + len)` for writing (`MADV_POPULATE_WRITE`) in one call instead of one
/// page fault per page; returns `false` where the kernel refuses (before Linux 5.14).
///
/// # Safety
/// The range is page-aligned, mapped read-write, and ours; populating it maps zeroed pages where
/// none were and changes no existing contents.
pub(crate) unsafe fn populate_write(ptr: *mut u8, len: usize) -> bool {
    // SAFETY: advice on read-write memory of ours, per the caller; it changes no contents.
    unsafe { libc::madvise(ptr.cast(), len, MADV_POPULATE_WRITE) == 0 }
}

// The `libc` crate declares neither `mremap` nor its flags for Android, so it is called as a
// system call, on Linux too: one code path, tested here. (The flags are the kernel's, the same
// on every architecture.)
const MREMAP_MAYMOVE: libc::c_int = 1;
const MREMAP_FIXED: libc::c_int = 2;

/// `mremap(old, old_size, len, MREMAP_MAYMOVE | MREMAP_FIXED, at)`, by system call: maps the
/// `len` bytes at `old` at `at` instead, replacing whatever is there. With `old_size` 0 and a
/// shared mapping at `old`, the pages are not moved: `at` becomes a second mapping of them.
/// Returns where the kernel put the mapping, which `MREMAP_FIXED` promises is `at`.
///
/// # Safety
/// `[old, old + len)` is a mapping of ours (shared, when `old_size` is 0), and
/// `[at, at + len)` a range of ours that nothing references.
pub(crate) unsafe fn remap_fixed(
    old: *mut u8,
    old_size: usize,
    len: usize,
    at: *mut u8,
) -> Result<*mut u8, Error> {
    // Every argument goes as a full register: the kernel reads the flags as an unsigned long,
    // and a variadic `int` leaves the upper half of its register unspecified.
    let flags = (MREMAP_MAYMOVE | MREMAP_FIXED) as libc::c_ulong;
    // SAFETY: per the caller's contract; the kernel returns an address or -errno, which the
    // libc wrapper turns into -1 with errno set.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mremap,
            old.cast::<libc::c_void>(),
            old_size,
            len,
            flags,
            at.cast::<libc::c_void>(),
        )
    };
    if r == -1 {
        return Err(Error::last_os("mremap"));
    }
    Ok(r as usize as *mut u8)
}

/// Creates the POSIX shared-memory object `name` (`O_EXCL`, read-write, close-on-exec, mode
/// 0600). `Ok(None)` when the name is taken (`EEXIST`).
///
/// # Safety
/// `name` is a valid NUL-terminated string.
#[cfg(target_os = "linux")]
pub(crate) unsafe fn shm_create(name: *const libc::c_char) -> Result<Option<OwnedFd>, Error> {
    // SAFETY: `name` is NUL-terminated, per the caller.
    let fd = unsafe {
        libc::shm_open(
            name,
            libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
            0o600,
        )
    };
    if fd < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EEXIST) {
        return Ok(None);
    }
    owned_fd(fd, "shm_open").map(Some)
}

/// Removes the shared-memory object name `name`.
///
/// # Safety
/// `name` is a valid NUL-terminated string.
#[cfg(target_os = "linux")]
pub(crate) unsafe fn shm_unlink(name: *const libc::c_char) -> Result<(), Error> {
    // SAFETY: `name` is NUL-terminated, per the caller.
    if unsafe { libc::shm_unlink(name) } != 0 {
        return Err(Error::last_os("shm_unlink"));
    }
    Ok(())
}

/// Allocates every block of the first `len` bytes of `fd` now (`posix_fallocate`, retried on
/// `EINTR`), so that running out of space is an error here and not a `SIGBUS` on a later write.
#[cfg(target_os = "linux")]
pub(crate) fn allocate(fd: &OwnedFd, len: usize) -> Result<(), Error> {
    let len = libc::off_t::try_from(len).map_err(|_| Error::CapacityOverflow)?;
    loop {
        // SAFETY: a valid descriptor we own. posix_fallocate returns the error number instead
        // of setting errno.
        let code = unsafe { libc::posix_fallocate(std::os::fd::AsRawFd::as_raw_fd(fd), 0, len) };
        match code {
            0 => return Ok(()),
            libc::EINTR => continue,
            code => {
                return Err(Error::Os {
                    op: "posix_fallocate",
                    source: std::io::Error::from_raw_os_error(code),
                })
            }
        }
    }
}

/// Fills `buf` from `getrandom(2)` without blocking; returns whether it was filled (`false`
/// where the call is missing, or would block because the pool is not ready yet).
#[cfg(target_os = "linux")]
pub(crate) fn getrandom(buf: &mut [u8]) -> bool {
    // SAFETY: `buf` is writable for its length.
    let got = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), libc::GRND_NONBLOCK) };
    got == buf.len() as isize
}

/// Physical memory plus swap, in bytes, from `sysinfo(2)`: the most memory the system can back
/// at once, and the size past which Linux's default overcommit policy refuses a single
/// allocation. `None` when the call fails or the sum overflows.
pub(crate) fn memory_and_swap() -> Option<u64> {
    // SAFETY: `sysinfo` is plain data; all-zero is a valid value.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out-pointer to a `sysinfo` the call fills in.
    if unsafe { libc::sysinfo(&mut info) } != 0 {
        return None;
    }
    let unit = u64::from(info.mem_unit.max(1));
    #[allow(clippy::useless_conversion)] // c_ulong is u32 on 32-bit targets
    let (ram, swap) = (u64::from(info.totalram), u64::from(info.totalswap));
    ram.checked_add(swap)?.checked_mul(unit)
}

/// `membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)`: lets this process use
/// [`MEMBARRIER_CMD_PRIVATE_EXPEDITED`].
#[cfg(all(target_os = "linux", not(loom)))]
pub(crate) const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;
/// `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`: a full memory barrier on every running
/// thread of this process.
#[cfg(all(target_os = "linux", not(loom)))]
pub(crate) const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;

/// `membarrier(cmd, 0)` by system call; returns whether it succeeded.
#[cfg(all(target_os = "linux", not(loom)))]
pub(crate) fn membarrier(cmd: libc::c_long) -> bool {
    // SAFETY: membarrier takes two integer arguments and touches no memory of ours.
    unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_long) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flags the raw `mremap` call passes are the kernel's (the `libc` crate has them on
    /// Linux only).
    #[test]
    #[cfg(target_os = "linux")]
    fn mremap_flags_are_the_kernels() {
        assert_eq!(MREMAP_MAYMOVE, libc::MREMAP_MAYMOVE);
        assert_eq!(MREMAP_FIXED, libc::MREMAP_FIXED);
    }
}
