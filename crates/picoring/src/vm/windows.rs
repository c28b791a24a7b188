//! Windows reserve/commit: `VirtualAlloc(MEM_RESERVE)` reserves, `VirtualAlloc(MEM_COMMIT)`
//! commits, `VirtualFree(MEM_DECOMMIT)` gives back. Compile-checked only.
//!
//! Windows charges committed memory against the system commit limit even before it is touched
//! (it does not count in the working set until written).

use std::ptr::NonNull;

use windows_sys::Win32::System::Memory::{
    VirtualAlloc, VirtualFree, MEM_COMMIT, MEM_DECOMMIT, MEM_RELEASE, MEM_RESERVE, PAGE_NOACCESS,
    PAGE_READWRITE,
};
use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};

use crate::Error;

/// The page size, which every commit and decommit is aligned to.
pub(super) fn unit() -> usize {
    // SAFETY: SYSTEM_INFO is plain data, fully written by GetSystemInfo.
    let info = unsafe {
        let mut info: SYSTEM_INFO = std::mem::zeroed();
        GetSystemInfo(&mut info);
        info
    };
    let size = info.dwPageSize as usize;
    if size.is_power_of_two() {
        size
    } else {
        4096
    }
}

/// Reserves `bytes` (a multiple of [`unit()`]) of inaccessible address space.
pub(super) fn reserve(bytes: usize) -> Result<NonNull<u8>, Error> {
    // SAFETY: a fresh reservation at an address of the system's choosing.
    let p = unsafe { VirtualAlloc(std::ptr::null(), bytes, MEM_RESERVE, PAGE_NOACCESS) };
    NonNull::new(p.cast::<u8>()).ok_or_else(|| Error::last_os("VirtualAlloc"))
}

/// Commits `[ptr, ptr + len)` read-write.
///
/// # Safety
/// The range is page-aligned and inside a reservation from [`reserve`].
pub(super) unsafe fn commit(ptr: *mut u8, len: usize) -> Result<(), Error> {
    // SAFETY: the caller guarantees the range is inside our own reservation.
    let p = unsafe { VirtualAlloc(ptr.cast(), len, MEM_COMMIT, PAGE_READWRITE) };
    if p.is_null() {
        return Err(Error::last_os("VirtualAlloc"));
    }
    Ok(())
}

/// Decommits `[ptr, ptr + len)`: its pages are freed and it becomes inaccessible.
///
/// # Safety
/// The range is page-aligned, inside a reservation from [`reserve`], and nothing references it.
pub(super) unsafe fn decommit(ptr: *mut u8, len: usize) -> Result<(), Error> {
    // SAFETY: per the caller, the range is ours and nothing references it.
    if unsafe { VirtualFree(ptr.cast(), len, MEM_DECOMMIT) } == 0 {
        return Err(Error::last_os("VirtualFree"));
    }
    Ok(())
}

/// Large pages on Windows need a privilege and must be committed up front: no hint is given.
///
/// # Safety
/// No requirement; the signature matches the unix one.
pub(super) unsafe fn advise_huge_pages(_ptr: *mut u8, _len: usize, _enable: bool) -> bool {
    false
}

/// Committed pages fault in on first write; there is no batch prefault here.
///
/// # Safety
/// No requirement; the signature matches the unix one.
pub(super) unsafe fn prefault(_ptr: *mut u8, _len: usize) -> bool {
    false
}

/// Releases a whole reservation.
///
/// # Safety
/// `ptr` is what [`reserve`] returned; nothing references the reservation.
pub(super) unsafe fn release(ptr: NonNull<u8>, _bytes: usize) {
    // SAFETY: per the caller, the reservation is ours and dead; size 0 releases all of it.
    unsafe { VirtualFree(ptr.as_ptr().cast(), 0, MEM_RELEASE) };
}
