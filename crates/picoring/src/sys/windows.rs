//! Windows: the system's page size and allocation granularity, pagefile-backed sections mapped
//! into placeholders (the mirror), and `VirtualAlloc` reservations (the list). Compile-checked
//! only.
//!
//! Windows charges committed memory against the system commit limit even before it is touched
//! (it does not count in the working set until written).

use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::ptr::{null, null_mut, NonNull};
use std::sync::OnceLock;

use windows_sys::Win32::Foundation::{HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, MapViewOfFile3, UnmapViewOfFile, VirtualAlloc, VirtualAlloc2, VirtualFree,
    MEMORY_MAPPED_VIEW_ADDRESS, MEM_COMMIT, MEM_DECOMMIT, MEM_PRESERVE_PLACEHOLDER, MEM_RELEASE,
    MEM_REPLACE_PLACEHOLDER, MEM_RESERVE, MEM_RESERVE_PLACEHOLDER, PAGE_NOACCESS, PAGE_READWRITE,
};
use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};
use windows_sys::Win32::System::Threading::GetCurrentProcess;

use crate::Error;

/// What picoring needs of `GetSystemInfo`, read once per process.
#[derive(Clone, Copy)]
pub(crate) struct SystemInfo {
    /// `dwPageSize`: every commit and decommit of a list is aligned to it.
    pub(crate) page_size: usize,
    /// `dwAllocationGranularity` (64 KiB on every current Windows): a view can only be placed
    /// at a multiple of it.
    pub(crate) allocation_granularity: usize,
}

/// The page size and allocation granularity, from one `GetSystemInfo` call per process
/// (4 KiB and 64 KiB should the call report nonsense).
pub(crate) fn system_info() -> SystemInfo {
    static INFO: OnceLock<SystemInfo> = OnceLock::new();
    *INFO.get_or_init(|| {
        // SAFETY: SYSTEM_INFO is plain data for which all-zero is a valid value.
        let mut info: SYSTEM_INFO = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid out-pointer; GetSystemInfo cannot fail.
        unsafe { GetSystemInfo(&mut info) };
        let or = |value: u32, fallback: usize| match value as usize {
            size if size.is_power_of_two() => size,
            _ => fallback,
        };
        SystemInfo {
            page_size: or(info.dwPageSize, 4096),
            allocation_granularity: or(info.dwAllocationGranularity, 65536),
        }
    })
}

/// A pagefile-backed section of `len` bytes, committed now: running out of commit is an error
/// here, never a fault on a later write. The handle closes when it drops; views keep the
/// section alive.
pub(crate) fn create_section(len: usize) -> Result<OwnedHandle, Error> {
    let len = len as u64;
    // SAFETY: no file, default security, no name: an anonymous pagefile-backed section.
    let handle = unsafe {
        CreateFileMappingW(
            INVALID_HANDLE_VALUE,
            null(),
            PAGE_READWRITE,
            (len >> 32) as u32,
            len as u32,
            null(),
        )
    };
    if handle.is_null() {
        return Err(Error::last_os("CreateFileMappingW"));
    }
    // SAFETY: a handle the call just opened for us, which nothing else owns.
    Ok(unsafe { OwnedHandle::from_raw_handle(handle) })
}

/// Reserves `size` bytes of address space as one placeholder (`VirtualAlloc2` with
/// `MEM_RESERVE_PLACEHOLDER`), at an address of the system's choosing. The caller releases it
/// with [`free_placeholder`] or replaces it with views.
pub(crate) fn reserve_placeholder(size: usize) -> Result<*mut u8, Error> {
    // SAFETY: reserves fresh address space of the system's choosing; no extended parameters.
    let base = unsafe {
        VirtualAlloc2(
            GetCurrentProcess(),
            null(),
            size,
            MEM_RESERVE | MEM_RESERVE_PLACEHOLDER,
            PAGE_NOACCESS,
            null_mut(),
            0,
        )
    };
    if base.is_null() {
        return Err(Error::last_os("VirtualAlloc2"));
    }
    Ok(base.cast())
}

/// Splits the placeholder at `base` in two at `base + len`; each part is then released on its
/// own.
///
/// # Safety
/// `base` starts a placeholder of ours longer than `len` bytes.
pub(crate) unsafe fn split_placeholder(base: *mut u8, len: usize) -> Result<(), Error> {
    // SAFETY: per the caller's contract; this splits, it does not release.
    if unsafe { VirtualFree(base.cast(), len, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER) } == 0 {
        return Err(Error::last_os("VirtualFree"));
    }
    Ok(())
}

/// Releases the whole placeholder or reservation starting at `base`.
///
/// # Safety
/// `base` starts a placeholder or a `VirtualAlloc` reservation of ours that nothing references.
pub(crate) unsafe fn free_placeholder(base: *mut u8) {
    // SAFETY: per the caller's contract; size 0 with MEM_RELEASE frees exactly that range.
    unsafe { VirtualFree(base.cast(), 0, MEM_RELEASE) };
}

/// Maps the whole `len`-byte section over the placeholder at `at`, which it replaces.
///
/// # Safety
/// `at` starts a placeholder of ours of exactly `len` bytes. On success it is gone (the view
/// took its place); on failure it is still there, and still the caller's.
pub(crate) unsafe fn map_view(
    section: &OwnedHandle,
    at: *mut u8,
    len: usize,
) -> Result<*mut u8, Error> {
    // SAFETY: `at` is an N-byte placeholder of ours, exactly the view's size, per the caller;
    // the section handle is open.
    let view = unsafe {
        MapViewOfFile3(
            section.as_raw_handle() as HANDLE,
            GetCurrentProcess(),
            at.cast(),
            0,
            len,
            MEM_REPLACE_PLACEHOLDER,
            PAGE_READWRITE,
            null_mut(),
            0,
        )
    };
    if view.Value.is_null() {
        return Err(Error::last_os("MapViewOfFile3"));
    }
    Ok(view.Value.cast())
}

/// Unmaps one view; with no flags its address range is freed, leaving no placeholder behind.
///
/// # Safety
/// `at` is the base of a view we mapped, unmapped once, that nothing references any more.
pub(crate) unsafe fn unmap_view(at: *mut u8) {
    // SAFETY: per the caller's contract.
    unsafe { UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS { Value: at.cast() }) };
}

/// Reserves `bytes` (a multiple of the page size) of inaccessible address space for a list
/// (`VirtualAlloc(MEM_RESERVE)`).
pub(crate) fn reserve(bytes: usize) -> Result<NonNull<u8>, Error> {
    // SAFETY: a fresh reservation at an address of the system's choosing.
    let p = unsafe { VirtualAlloc(null(), bytes, MEM_RESERVE, PAGE_NOACCESS) };
    NonNull::new(p.cast::<u8>()).ok_or_else(|| Error::last_os("VirtualAlloc"))
}

/// Commits `[ptr, ptr + len)` read-write (`VirtualAlloc(MEM_COMMIT)`).
///
/// # Safety
/// The range is page-aligned and inside a reservation from [`reserve`].
pub(crate) unsafe fn commit(ptr: *mut u8, len: usize) -> Result<(), Error> {
    // SAFETY: the caller guarantees the range is inside our own reservation.
    let p = unsafe { VirtualAlloc(ptr.cast(), len, MEM_COMMIT, PAGE_READWRITE) };
    if p.is_null() {
        return Err(Error::last_os("VirtualAlloc"));
    }
    Ok(())
}

/// Decommits `[ptr, ptr + len)` (`VirtualFree(MEM_DECOMMIT)`): its pages are freed and it
/// becomes inaccessible.
///
/// # Safety
/// The range is page-aligned, inside a reservation from [`reserve`], and nothing references it.
pub(crate) unsafe fn decommit(ptr: *mut u8, len: usize) -> Result<(), Error> {
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
pub(crate) unsafe fn advise_huge_pages(_ptr: *mut u8, _len: usize, _enable: bool) -> bool {
    false
}

/// Committed pages fault in on first write; there is no batch prefault here.
///
/// # Safety
/// No requirement; the signature matches the unix one.
pub(crate) unsafe fn prefault(_ptr: *mut u8, _len: usize) -> bool {
    false
}

/// Releases a whole reservation.
///
/// # Safety
/// `ptr` is what [`reserve`] returned; nothing references the reservation.
pub(crate) unsafe fn release(ptr: NonNull<u8>, _bytes: usize) {
    // SAFETY: per the caller, the reservation is ours and dead.
    unsafe { free_placeholder(ptr.as_ptr()) };
}
