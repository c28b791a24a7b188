//! Every system call picoring makes, one file per operating-system family.
//!
//! The rest of the crate calls these functions and holds no `cfg(target_os)` of its own beyond
//! choosing a backend. Which memory mechanism serves which type:
//!
//! | type | memory | logic | system calls |
//! |---|---|---|---|
//! | [`PicoRing`](crate::PicoRing), [`PicoQueue`](crate::PicoQueue), [`PicoByteStream`](crate::PicoByteStream), [`spsc`](crate::spsc), [`mpsc`](crate::mpsc) | a mirror: the same pages mapped twice, back to back | [`crate::mirror`] (one backend a file) | here |
//! | [`PicoList`](crate::PicoList) | a reservation of address space committed from its front | `list/reserve` | here: `reserve`, `commit`, `decommit`, `release` |
//!
//! The files:
//!
//! | file | compiled for | what |
//! |---|---|---|
//! | `mod.rs` | everywhere | page size and allocation granularity, RAM + swap, address-space limit, page-aligned zeroed memory; picks the files below |
//! | `unix.rs` | every unix | `mmap`/`munmap`/`mprotect`/`madvise`, `ftruncate`, fixed shared maps of an [`OwnedFd`](std::os::fd::OwnedFd), the list's reservations, `pthread_atfork` |
//! | `linux.rs` | Linux, Android | `memfd_create`, `mremap`, `MADV_POPULATE_WRITE`, named POSIX shm, `sysinfo`, `membarrier` |
//! | `futex.rs` | Linux, Android | futex wait and wake on a word of memory shared between processes ([`crate::ipc`]) |
//! | `ipc.rs` | Linux, Android | the shared rings' files (sealed memfd, `/dev/shm`), their mirrored mapping at a header, process liveness ([`crate::ipc`]) |
//! | `freebsd.rs` | FreeBSD | `shm_open(SHM_ANON)` |
//! | `macos.rs` | macOS / iOS | the Mach VM calls |
//! | `windows.rs` | Windows | sections as `OwnedHandle`, `VirtualAlloc2` placeholders, `MapViewOfFile3`, `VirtualAlloc`/`VirtualFree`, `GetSystemInfo` |
//!
//! Under Miri none of the OS files is compiled: the mirror is the software one and the list
//! the heap fallback, which need only [`alloc_zeroed`] and [`dealloc`] from here.
//!
//! **A new OS** gets a file here (its mapping calls, and an entry in each function of this file
//! that dispatches), a backend in `mirror/` that calls it (a variant of
//! [`Backend`](crate::mirror::Backend), its place in
//! [`Backend::default_order`](crate::mirror::Backend::default_order)), and, if it is neither
//! unix nor Windows, an implementation of the list's reservation functions.

use std::alloc::Layout;
use std::ptr::NonNull;

use crate::Error;

#[cfg(all(target_os = "freebsd", not(miri)))]
pub(crate) mod freebsd;
#[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
pub(crate) mod futex;
#[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
pub(crate) mod ipc;
#[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
pub(crate) mod linux;
#[cfg(all(target_vendor = "apple", not(miri)))]
pub(crate) mod macos;
#[cfg(all(unix, not(miri)))]
pub(crate) mod unix;
#[cfg(all(windows, not(miri)))]
pub(crate) mod windows;

// The list's reservations: reserve inaccessible address space, commit and decommit page-aligned
// ranges of it, release it whole.
#[cfg(all(unix, not(miri)))]
pub(crate) use unix::{advise_huge_pages, commit, decommit, prefault, release, reserve};
#[cfg(all(windows, not(miri)))]
pub(crate) use windows::{advise_huge_pages, commit, decommit, prefault, release, reserve};

/// The page size when the system cannot say (or under Miri).
#[cfg(not(all(windows, not(miri))))]
const FALLBACK_PAGE: usize = 4096;

/// The page size, read from the system: every commit and decommit of a list is aligned to it.
pub(crate) fn page_size() -> usize {
    #[cfg(all(unix, not(miri)))]
    {
        unix::page_size().unwrap_or(FALLBACK_PAGE)
    }
    #[cfg(all(windows, not(miri)))]
    {
        windows::system_info().page_size
    }
    #[cfg(any(miri, not(any(unix, windows))))]
    {
        FALLBACK_PAGE
    }
}

/// The granularity a mirror's halves are placed at: the page size on unix, the allocation
/// granularity (usually 64 KiB) on Windows.
pub(crate) fn allocation_granularity() -> usize {
    #[cfg(all(windows, not(miri)))]
    {
        windows::system_info().allocation_granularity
    }
    #[cfg(not(all(windows, not(miri))))]
    {
        page_size()
    }
}

/// Physical memory plus swap in bytes, where the system reports it (Linux and Android, through
/// `sysinfo(2)`); `None` elsewhere and under Miri.
pub(crate) fn memory_and_swap() -> Option<u64> {
    #[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
    {
        linux::memory_and_swap()
    }
    #[cfg(not(all(any(target_os = "linux", target_os = "android"), not(miri))))]
    {
        None
    }
}

/// The process's address-space limit in bytes (`RLIMIT_AS`, set by `ulimit -v`) on unix;
/// `None` when there is none, it cannot be read, or elsewhere.
pub(crate) fn address_space_limit() -> Option<u64> {
    #[cfg(all(unix, not(miri)))]
    {
        unix::address_space_limit()
    }
    #[cfg(not(all(unix, not(miri))))]
    {
        None
    }
}

/// Whether `err` says the system ran out of memory or mappings (`ENOMEM`): no other way of
/// mapping will succeed where this failed.
pub(crate) fn is_out_of_memory(err: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        err.raw_os_error() == Some(libc::ENOMEM)
    }
    #[cfg(not(unix))]
    {
        err.kind() == std::io::ErrorKind::OutOfMemory
    }
}

/// `layout.size()` (non-zero) zeroed bytes aligned to `layout.align()` (at most the page size).
///
/// On unix (outside Miri) they come from an anonymous private mapping: fresh zero pages,
/// instead of a page-aligned heap block that the allocator would have to clear byte by byte.
/// The caller frees them with [`dealloc`] and the same layout.
pub(crate) fn alloc_zeroed(layout: Layout) -> Result<NonNull<u8>, Error> {
    #[cfg(all(unix, not(miri)))]
    {
        debug_assert!(layout.align() <= page_size());
        unix::map_anonymous(
            layout.size(),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE,
        )
    }
    #[cfg(not(all(unix, not(miri))))]
    {
        // SAFETY: the layout has a non-zero size, per the contract above.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        NonNull::new(ptr).ok_or(Error::Os {
            op: "alloc",
            source: std::io::ErrorKind::OutOfMemory.into(),
        })
    }
}

/// Frees what [`alloc_zeroed`] returned.
///
/// # Safety
/// `ptr` came from `alloc_zeroed(layout)` with this layout and is freed once; nothing
/// references the memory any more.
pub(crate) unsafe fn dealloc(ptr: NonNull<u8>, layout: Layout) {
    #[cfg(all(unix, not(miri)))]
    // SAFETY: the whole mapping `alloc_zeroed` made, per the caller's contract.
    unsafe {
        unix::unmap(ptr.as_ptr(), layout.size())
    }
    #[cfg(not(all(unix, not(miri))))]
    // SAFETY: same pointer and layout as the allocation, per the caller's contract.
    unsafe {
        std::alloc::dealloc(ptr.as_ptr(), layout)
    }
}
