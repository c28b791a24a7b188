//! Windows 10 1803+ (and Windows Server 2019+): a pagefile-backed section mapped twice into
//! address-space placeholders.
//!
//! **Compile-checked only** (for `x86_64-pc-windows-msvc`); this code has never run in our tests.
//!
//! ```text
//! section = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, N >> 32, N, NULL)
//! p = VirtualAlloc2(process, NULL, 2N, MEM_RESERVE | MEM_RESERVE_PLACEHOLDER, PAGE_NOACCESS)
//! VirtualFree(p, N, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)     // split: two N placeholders
//! MapViewOfFile3(section, process, p,     0, N, MEM_REPLACE_PLACEHOLDER, PAGE_READWRITE)
//! MapViewOfFile3(section, process, p + N, 0, N, MEM_REPLACE_PLACEHOLDER, PAGE_READWRITE)
//! CloseHandle(section)                                          // the views keep it alive
//! destroy: UnmapViewOfFile(p), UnmapViewOfFile(p + N)
//! ```
//!
//! Placeholders reserve the whole 2N range before anything is mapped, so no other thread can
//! take the second half in between (the race of the older "free then map at that address"
//! recipe). `VirtualAlloc2` and `MapViewOfFile3` exist since Windows 10 1803; they are linked
//! statically, so a program using picoring needs that version to start at all. N is a multiple
//! of the allocation granularity (usually 64 KiB), see [`granularity`].
//!
//! The section is committed from the pagefile at creation: running out of commit is an error
//! from `CreateFileMappingW`, never a fault on a later write.

use std::ptr::{null, null_mut, NonNull};

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, MapViewOfFile3, UnmapViewOfFile, VirtualAlloc2, VirtualFree,
    MEMORY_MAPPED_VIEW_ADDRESS, MEM_PRESERVE_PLACEHOLDER, MEM_RELEASE, MEM_REPLACE_PLACEHOLDER,
    MEM_RESERVE, MEM_RESERVE_PLACEHOLDER, PAGE_NOACCESS, PAGE_READWRITE,
};
use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};
use windows_sys::Win32::System::Threading::GetCurrentProcess;

use crate::Error;

/// The allocation granularity (`dwAllocationGranularity`, 64 KiB on every current Windows): a
/// view can only be placed at a multiple of it.
pub(super) fn granularity() -> usize {
    // SAFETY: SYSTEM_INFO is plain data for which all-zero is a valid value.
    let mut info: SYSTEM_INFO = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a valid out-pointer; GetSystemInfo cannot fail.
    unsafe { GetSystemInfo(&mut info) };
    match info.dwAllocationGranularity {
        0 => 65536,
        g => g as usize,
    }
}

/// An owned section handle, closed on drop.
struct Section(HANDLE);

impl Drop for Section {
    fn drop(&mut self) {
        // SAFETY: we own the handle and close it once.
        unsafe { CloseHandle(self.0) };
    }
}

/// An owned placeholder (reserved, unmapped address space), released on drop unless a view
/// replaced it.
struct Placeholder(*mut u8);

impl Placeholder {
    /// Gives up ownership: a view replaced the placeholder, or it was split into new ones.
    fn disown(self) {
        std::mem::forget(self);
    }
}

impl Drop for Placeholder {
    fn drop(&mut self) {
        // SAFETY: a placeholder we own; size 0 with MEM_RELEASE frees exactly that placeholder.
        unsafe { VirtualFree(self.0.cast(), 0, MEM_RELEASE) };
    }
}

/// An owned view of the section, unmapped on drop unless released.
struct View(*mut u8);

impl Drop for View {
    fn drop(&mut self) {
        // SAFETY: a view we mapped; unmapping frees its address range entirely.
        unsafe { unmap_view(self.0) };
    }
}

pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    let size = len.checked_mul(2).ok_or(Error::CapacityOverflow)?;
    let section = create_section(len)?;
    // SAFETY: a pseudo-handle for our own process; it needs no closing.
    let process = unsafe { GetCurrentProcess() };

    // SAFETY: reserves fresh address space of the system's choosing; no extended parameters.
    let base = unsafe {
        VirtualAlloc2(
            process,
            null(),
            size,
            MEM_RESERVE | MEM_RESERVE_PLACEHOLDER,
            PAGE_NOACCESS,
            null_mut(),
            0,
        )
    }
    .cast::<u8>();
    if base.is_null() {
        return Err(Error::last_os("VirtualAlloc2"));
    }
    let whole = Placeholder(base);
    // SAFETY: `base` is the start of our 2N placeholder; this splits it in two at N.
    if unsafe { VirtualFree(base.cast(), len, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER) } == 0 {
        return Err(Error::last_os("VirtualFree"));
    }
    // The 2N placeholder is now two N placeholders, each released on its own.
    whole.disown();
    let lower = Placeholder(base);
    // SAFETY: base + N is inside the 2N range we reserved.
    let upper = Placeholder(unsafe { base.add(len) });

    let first = map_view(&section, process, lower, len)?;
    let second = map_view(&section, process, upper, len)?;
    // Both views are in place; the section handle drops (closes) here, the views keep it alive.
    drop(section);
    std::mem::forget(first);
    std::mem::forget(second);
    NonNull::new(base).ok_or(Error::Os {
        op: "VirtualAlloc2",
        source: std::io::ErrorKind::AddrNotAvailable.into(),
    })
}

/// A pagefile-backed section of `len` bytes, committed now.
fn create_section(len: usize) -> Result<Section, Error> {
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
    Ok(Section(handle))
}

/// Maps the whole section over `placeholder`, consuming it on success.
fn map_view(
    section: &Section,
    process: HANDLE,
    placeholder: Placeholder,
    len: usize,
) -> Result<View, Error> {
    // SAFETY: `placeholder` is an N-byte placeholder we own, exactly the view's size.
    let view = unsafe {
        MapViewOfFile3(
            section.0,
            process,
            placeholder.0.cast(),
            0,
            len,
            MEM_REPLACE_PLACEHOLDER,
            PAGE_READWRITE,
            null_mut(),
            0,
        )
    };
    if view.Value.is_null() {
        // `placeholder` drops here and is released.
        return Err(Error::last_os("MapViewOfFile3"));
    }
    placeholder.disown();
    Ok(View(view.Value.cast()))
}

/// Unmaps one view; with no flags its address range is freed, leaving no placeholder behind.
///
/// # Safety
/// `at` is the base of a view we mapped, unmapped once.
unsafe fn unmap_view(at: *mut u8) {
    // SAFETY: per the caller's contract.
    unsafe { UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS { Value: at.cast() }) };
}

/// Unmaps both views of the mirror.
///
/// # Safety
/// `ptr` is the base of a 2 * `len` mirror created by [`map`], unmapped once.
pub(super) unsafe fn unmap(ptr: NonNull<u8>, len: usize) {
    // SAFETY: per the caller's contract, both views are ours and no longer referenced.
    unsafe {
        unmap_view(ptr.as_ptr());
        unmap_view(ptr.as_ptr().add(len));
    }
}
