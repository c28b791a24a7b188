//! Linux and Android: prefaulting a mirror made by one of their backends. (The pieces the
//! descriptor-backed backends share live in [`crate::unix`]; registering and unmapping, which
//! keep the fork registry up to date, in [`super::fork`].)

use std::ptr::NonNull;

/// Prefaults the first half for writing (the second half shares its pages). Errors (an old
/// kernel without `MADV_POPULATE_WRITE`) are ignored: the pages then fault in on first touch.
pub(super) fn populate_write(ptr: NonNull<u8>, len: usize) {
    const MADV_POPULATE_WRITE: libc::c_int = 23;
    // SAFETY: advice on a mapping we own; populating changes no contents.
    unsafe {
        libc::madvise(ptr.as_ptr().cast(), len, MADV_POPULATE_WRITE);
        libc::madvise(ptr.as_ptr().add(len).cast(), len, MADV_POPULATE_WRITE);
    }
}
