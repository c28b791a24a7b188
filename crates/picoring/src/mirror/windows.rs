//! Windows 10 1803+ (and Windows Server 2019+): a pagefile-backed section mapped twice into
//! address-space placeholders.
//!
//! **Never run on a real Windows here.** `make test-windows` runs the tests under Wine 8, which
//! lacks placeholders (see below): there this code stops at the support check and the software
//! mirror serves. It is compile-checked for `x86_64-pc-windows-msvc` and `-gnu`.
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
//! recipe). N is a multiple of the allocation granularity (usually 64 KiB), see
//! [`granularity`](super::granularity). The Windows calls themselves are in `sys/windows.rs`.
//!
//! # Run-time support check
//!
//! `VirtualAlloc2` and `MapViewOfFile3` exist since Windows 10 1803; `sys/windows.rs` looks them
//! up at run time rather than linking them, so a program using picoring starts on any Windows.
//! [`is_supported`] then maps one small mirror, once per process, and checks that a byte written
//! to one half shows in the other. Where the functions are missing or the system rejects the
//! placeholder flags, the backend is unsupported: `Backend::default_order` leaves it out, asking
//! for it gives `Error::BackendUnavailable`, and the software mirror serves. Wine 8.0 exports
//! both functions but rejects the flags: `VirtualAlloc2(MEM_RESERVE | MEM_RESERVE_PLACEHOLDER)`
//! and `VirtualFree(MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)` fail with `ERROR_INVALID_PARAMETER`
//! (87), and `MapViewOfFile3(MEM_REPLACE_PLACEHOLDER)` finds no placeholder to replace
//! (`ERROR_INVALID_ADDRESS`, 487).
//!
//! The section is committed from the pagefile at creation: running out of commit is an error
//! from `CreateFileMappingW`, never a fault on a later write.

use std::os::windows::io::OwnedHandle;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::sys::windows::{
    create_section, free_placeholder, is_unsupported, map_view, not_supported, reserve_placeholder,
    split_placeholder, unmap_view,
};
use crate::Error;

/// What [`is_supported`] found: not checked yet, or a lasting answer.
const UNKNOWN: u8 = 0;
const SUPPORTED: u8 = 1;
const UNSUPPORTED: u8 = 2;
static SUPPORT: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Whether this system builds placeholder mirrors: one small mirror maps and mirrors. Checked
/// once per process. A check that fails for another reason than missing support (lack of
/// memory, say) proves nothing: it counts as supported, so creation reports its own error, and
/// is repeated next time.
pub(super) fn is_supported() -> bool {
    match SUPPORT.load(Ordering::Relaxed) {
        SUPPORTED => return true,
        UNSUPPORTED => return false,
        _ => {}
    }
    let answer = match check_support() {
        Ok(()) => SUPPORTED,
        Err(err) if is_unsupported(&err) => UNSUPPORTED,
        Err(_) => return true,
    };
    SUPPORT.store(answer, Ordering::Relaxed);
    answer == SUPPORTED
}

/// Maps one mirror of the allocation granularity and checks that its halves are one memory.
fn check_support() -> Result<(), Error> {
    let len = super::granularity();
    let base = map(len)?;
    let p = base.as_ptr();
    // SAFETY: `p` starts a fresh 2 * len mirror that nothing else knows; both offsets are
    // inside it.
    let mirrored = unsafe {
        p.write_volatile(0x5a);
        p.add(len).read_volatile() == 0x5a
    };
    // SAFETY: the mirror `map` made, unmapped once, with no reference into it.
    unsafe { unmap(base, len) };
    if mirrored {
        Ok(())
    } else {
        Err(not_supported("MapViewOfFile3"))
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
