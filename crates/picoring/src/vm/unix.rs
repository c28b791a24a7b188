//! Unix reserve/commit: `mmap(PROT_NONE)` reserves, `mprotect(PROT_READ | PROT_WRITE)` commits
//! (without touching a page), and giving back discards the pages and makes them inaccessible.

use std::ptr::NonNull;

use crate::unix::NORESERVE;
use crate::Error;

/// The page size, which every commit and decommit is aligned to.
pub(super) fn unit() -> usize {
    crate::mirror::granularity()
}

/// Reserves `bytes` (a multiple of [`unit()`]) of inaccessible address space.
pub(super) fn reserve(bytes: usize) -> Result<NonNull<u8>, Error> {
    crate::unix::map_anonymous(bytes, libc::PROT_NONE, libc::MAP_PRIVATE | NORESERVE)
}

/// Makes `[ptr, ptr + len)` readable and writable. Pages are not touched: they cost physical
/// memory only once written.
///
/// # Safety
/// The range is page-aligned and inside a reservation from [`reserve`].
pub(super) unsafe fn commit(ptr: *mut u8, len: usize) -> Result<(), Error> {
    // SAFETY: the caller guarantees the range is inside our own reservation.
    if unsafe { libc::mprotect(ptr.cast(), len, libc::PROT_READ | libc::PROT_WRITE) } != 0 {
        return Err(Error::last_os("mprotect"));
    }
    Ok(())
}

/// Frees the physical pages of `[ptr, ptr + len)` and makes the range inaccessible again.
///
/// # Safety
/// The range is page-aligned, inside a reservation from [`reserve`], and nothing references it.
pub(super) unsafe fn decommit(ptr: *mut u8, len: usize) -> Result<(), Error> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: per the caller, nothing references the range, so discarding its contents
        // (it reads back as zeros) harms nobody.
        if unsafe { libc::madvise(ptr.cast(), len, libc::MADV_DONTNEED) } != 0 {
            return Err(Error::last_os("madvise"));
        }
        // SAFETY: as above; the range becomes inaccessible until committed again.
        if unsafe { libc::mprotect(ptr.cast(), len, libc::PROT_NONE) } != 0 {
            return Err(Error::last_os("mprotect"));
        }
        Ok(())
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        // Elsewhere `MADV_DONTNEED` may free lazily; replacing the range with a fresh
        // inaccessible mapping frees the pages at once.
        // SAFETY: MAP_FIXED over a range of our own reservation that nothing references.
        let p = unsafe {
            libc::mmap(
                ptr.cast(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Error::last_os("mmap"));
        }
        Ok(())
    }
}

/// Invites the kernel to back `[ptr, ptr + len)` with transparent huge pages, or withdraws the
/// invitation; returns whether the kernel took the hint (it changes nothing but speed).
///
/// # Safety
/// The range is page-aligned and inside a reservation from [`reserve`].
pub(super) unsafe fn advise_huge_pages(ptr: *mut u8, len: usize, enable: bool) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let advice = if enable {
            libc::MADV_HUGEPAGE
        } else {
            libc::MADV_NOHUGEPAGE
        };
        // SAFETY: an advisory call on our own reservation; it changes no contents.
        unsafe { libc::madvise(ptr.cast(), len, advice) == 0 }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (ptr, len, enable);
        false
    }
}

/// Prefaults `[ptr, ptr + len)` for writing (`MADV_POPULATE_WRITE`, Linux 5.14+) in one call
/// instead of one page fault per page; returns `false` where the kernel refuses.
///
/// # Safety
/// The range is page-aligned and inside the committed part of a reservation from [`reserve`].
pub(super) unsafe fn prefault(ptr: *mut u8, len: usize) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // Not in every libc release yet; the value is fixed by the kernel ABI.
        const MADV_POPULATE_WRITE: libc::c_int = 23;
        // SAFETY: per the caller, the range is committed read-write memory of ours; populating
        // it maps zeroed pages where none were, and changes no existing contents.
        unsafe { libc::madvise(ptr.cast(), len, MADV_POPULATE_WRITE) == 0 }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (ptr, len);
        false
    }
}

/// Unmaps a whole reservation.
///
/// # Safety
/// `ptr` and `bytes` are exactly what [`reserve`] was given and returned; nothing references it.
pub(super) unsafe fn release(ptr: NonNull<u8>, bytes: usize) {
    // SAFETY: per the caller, the reservation is ours and dead.
    unsafe { libc::munmap(ptr.as_ptr().cast(), bytes) };
}
