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
//! of the allocation granularity (usually 64 KiB), see [`granularity`](super::granularity). The
//! Windows calls themselves are in `sys/windows.rs`.
//!
//! The section is committed from the pagefile at creation: running out of commit is an error
//! from `CreateFileMappingW`, never a fault on a later write.

use std::os::windows::io::OwnedHandle;
use std::ptr::NonNull;

use crate::sys::windows::{
    create_section, free_placeholder, map_view, reserve_placeholder, split_placeholder, unmap_view,
};
use crate::Error;

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
        // SAFETY: a placeholder we own, which nothing references.
        unsafe { free_placeholder(self.0) };
    }
}

/// An owned view of the section, unmapped on drop unless released.
struct View(*mut u8);

impl Drop for View {
    fn drop(&mut self) {
        // SAFETY: a view we mapped, which nothing references yet.
        unsafe { unmap_view(self.0) };
    }
}

pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    let size = len.checked_mul(2).ok_or(Error::CapacityOverflow)?;
    let section = create_section(len)?;
    let base = reserve_placeholder(size)?;
    let whole = Placeholder(base);
    // SAFETY: `base` is the start of our 2N placeholder; this splits it in two at N.
    unsafe { split_placeholder(base, len) }?;
    // The 2N placeholder is now two N placeholders, each released on its own.
    whole.disown();
    let lower = Placeholder(base);
    // SAFETY: base + N is inside the 2N range we reserved.
    let upper = Placeholder(unsafe { base.add(len) });

    let first = view_over(&section, lower, len)?;
    let second = view_over(&section, upper, len)?;
    // Both views are in place; the section handle drops (closes) here, the views keep it alive.
    drop(section);
    std::mem::forget(first);
    std::mem::forget(second);
    NonNull::new(base).ok_or(Error::Os {
        op: "VirtualAlloc2",
        source: std::io::ErrorKind::AddrNotAvailable.into(),
    })
}

/// Maps the whole section over `placeholder`, consuming it on success.
fn view_over(section: &OwnedHandle, placeholder: Placeholder, len: usize) -> Result<View, Error> {
    // SAFETY: `placeholder` is an N-byte placeholder we own, exactly the view's size. On
    // failure it is still there, and released when `placeholder` drops on the early return.
    let view = unsafe { map_view(section, placeholder.0, len) }?;
    placeholder.disown();
    Ok(View(view))
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
