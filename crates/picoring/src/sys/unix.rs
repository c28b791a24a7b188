//! Unix: the mapping calls of the mirror backends ([`crate::mirror`]) and of the list's
//! reservations, plus what the fork handlers need. Every function here makes plain system calls
//! and allocates nothing, errors included, unless it says otherwise: the fork child handler
//! relies on that.

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;

use crate::Error;

/// The page size from `sysconf(_SC_PAGESIZE)`, or `None` if the system cannot say. Read once
/// and remembered (the call cost a tenth of the user-space work of creating a ring).
pub(crate) fn page_size() -> Option<usize> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    // 0: not read yet (or the system could not say, and is asked again).
    static PAGE_SIZE: AtomicUsize = AtomicUsize::new(0);
    let known = PAGE_SIZE.load(Ordering::Relaxed);
    if known != 0 {
        return Some(known);
    }
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let size = usize::try_from(size).ok().filter(|&size| size > 0)?;
    PAGE_SIZE.store(size, Ordering::Relaxed);
    Some(size)
}

/// Maps `size` bytes of fresh anonymous memory (`MAP_ANONYMOUS` is added to `flags`) at an
/// address of the kernel's choosing, and returns its start.
///
/// `flags` says the sharing (`MAP_PRIVATE` or `MAP_SHARED`) and any hints such as
/// `MAP_NORESERVE`; it must not ask for `MAP_FIXED`, which would replace whatever is mapped at
/// address 0. The caller owns the mapping and unmaps it with `munmap(ptr, size)`.
///
/// # Errors
///
/// [`Error::Os`] with op `"mmap"`: the system's error when the call fails, `AddrNotAvailable`
/// in the (theoretical) case that the mapping starts at address 0.
pub(crate) fn map_anonymous(
    size: usize,
    prot: libc::c_int,
    flags: libc::c_int,
) -> Result<NonNull<u8>, Error> {
    assert_eq!(
        flags & libc::MAP_FIXED,
        0,
        "map_anonymous never maps at a fixed address"
    );
    // SAFETY: with a null address and without MAP_FIXED, mmap creates a new anonymous mapping
    // where nothing is mapped yet: no existing memory is replaced or aliased.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            prot,
            flags | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(Error::last_os("mmap"));
    }
    NonNull::new(p.cast::<u8>()).ok_or(Error::Os {
        op: "mmap",
        source: std::io::ErrorKind::AddrNotAvailable.into(),
    })
}

/// `MAP_NORESERVE` where it exists (Linux and Android, which would otherwise count a writable
/// private reservation against the overcommit limit); elsewhere the flag is absent or ignored.
#[cfg(any(target_os = "linux", target_os = "android"))]
const NORESERVE: libc::c_int = libc::MAP_NORESERVE;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const NORESERVE: libc::c_int = 0;

/// An owned range of address space that is unmapped on drop unless [`Reservation::release`]d,
/// so every early return after the reservation cleans up.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
pub(crate) struct Reservation {
    ptr: NonNull<u8>,
    size: usize,
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
impl Reservation {
    /// Reserves `size` bytes of inaccessible (`PROT_NONE`, and where the flag exists
    /// `MAP_NORESERVE`) address space.
    pub(crate) fn new(size: usize) -> Result<Self, Error> {
        Self::map(size, libc::PROT_NONE, libc::MAP_PRIVATE | NORESERVE)
    }

    /// Maps `size` bytes of fresh anonymous memory with these protections and flags
    /// (see [`map_anonymous`]) and takes ownership of the mapping.
    fn map(size: usize, prot: libc::c_int, flags: libc::c_int) -> Result<Self, Error> {
        let ptr = map_anonymous(size, prot, flags)?;
        Ok(Reservation { ptr, size })
    }

    /// Maps `size` bytes of fresh shared anonymous memory, readable and writable.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn shared(size: usize) -> Result<Self, Error> {
        Self::map(size, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED)
    }

    /// As [`Reservation::shared`], but `MAP_NORESERVE`: pages are charged to the commit limit
    /// as they are touched, as for a memfd, not all at once (under strict overcommit the
    /// kernel ignores the flag and charges them at once).
    #[cfg(target_os = "linux")]
    pub(crate) fn shared_unreserved(size: usize) -> Result<Self, Error> {
        Self::map(
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | NORESERVE,
        )
    }

    pub(crate) fn ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub(crate) fn as_non_null(&self) -> NonNull<u8> {
        self.ptr
    }

    /// Hands the mapping over to the caller, who now unmaps it.
    pub(crate) fn release(self) -> NonNull<u8> {
        let ptr = self.ptr;
        std::mem::forget(self);
        ptr
    }
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
impl Drop for Reservation {
    fn drop(&mut self) {
        // SAFETY: we own this mapping and nothing references it (it is being abandoned).
        unsafe { unmap(self.ptr.as_ptr(), self.size) };
    }
}

/// `munmap(ptr, len)`; a failure (which only a range that is not ours would cause) is ignored.
///
/// # Safety
/// `[ptr, ptr + len)` is mapped memory of ours that nothing references any more.
pub(crate) unsafe fn unmap(ptr: *mut u8, len: usize) {
    // SAFETY: per the caller's contract.
    unsafe { libc::munmap(ptr.cast(), len) };
}

/// Replaces `[ptr, ptr + len)` with a fresh private inaccessible mapping (`PROT_NONE`, and
/// where the flag exists `MAP_NORESERVE`): its pages are freed at once and shared with nobody.
///
/// # Safety
/// The range is page-aligned, lies inside a mapping of ours, and nothing references it.
pub(crate) unsafe fn map_inaccessible(ptr: *mut u8, len: usize) -> Result<(), Error> {
    // SAFETY: MAP_FIXED over a range of our own mapping that nothing references, per the caller.
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

/// Writes the `len` bytes at `src` to `fd` from its current offset, retrying on `EINTR` and
/// short writes; returns whether all of them were written.
///
/// # Safety
/// `src..src + len` is readable.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
pub(crate) unsafe fn write_all(fd: &OwnedFd, src: *const u8, len: usize) -> bool {
    let mut done = 0;
    while done < len {
        // SAFETY: `src + done .. src + len` is readable, per the caller.
        let n = unsafe { libc::write(fd.as_raw_fd(), src.add(done).cast(), len - done) };
        if n > 0 {
            done += n as usize;
        } else if n == 0 || errno() != libc::EINTR {
            return false;
        }
    }
    true
}

/// The calling thread's `errno` (reading it allocates nothing).
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn errno() -> libc::c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Best effort: writes `message` to standard error with one `write(2)`.
pub(crate) fn write_stderr(message: &[u8]) {
    // SAFETY: `message` is readable for its length; `write` is async-signal-safe.
    unsafe { libc::write(libc::STDERR_FILENO, message.as_ptr().cast(), message.len()) };
}

/// Ends the process at once with `code` (`_exit(2)`: no destructors, no `atexit` handlers).
pub(crate) fn exit_now(code: libc::c_int) -> ! {
    // SAFETY: `_exit` has no preconditions and is async-signal-safe.
    unsafe { libc::_exit(code) }
}

/// This process's id.
pub(crate) fn process_id() -> u32 {
    // SAFETY: getpid has no preconditions and cannot fail.
    let pid = unsafe { libc::getpid() };
    pid.unsigned_abs()
}

/// Installs fork handlers with `pthread_atfork`: `prepare` runs in the parent before a
/// `fork()`, `parent` in the parent after it, `child` in the child.
pub(crate) fn at_fork(
    prepare: extern "C" fn(),
    parent: extern "C" fn(),
    child: extern "C" fn(),
) -> Result<(), Error> {
    // SAFETY: three `extern "C"` functions, which live as long as the process.
    let rc = unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    if rc != 0 {
        return Err(Error::Os {
            op: "pthread_atfork",
            source: std::io::Error::from_raw_os_error(rc),
        });
    }
    Ok(())
}

/// Takes ownership of `fd`, the result of a call that returns a new descriptor or -1 with
/// `errno` set: the descriptor, closed when it drops, or the error as `op`'s.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
pub(crate) fn owned_fd(fd: libc::c_int, op: &'static str) -> Result<OwnedFd, Error> {
    if fd < 0 {
        return Err(Error::last_os(op));
    }
    // SAFETY: a descriptor the call just opened for us, which nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `ftruncate`, retried on `EINTR`. Makes no allocation, errors included (the fork child
/// handler relies on that).
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
pub(crate) fn set_len(fd: &OwnedFd, len: usize) -> Result<(), Error> {
    let len = libc::off_t::try_from(len).map_err(|_| Error::CapacityOverflow)?;
    loop {
        // SAFETY: a valid descriptor we own.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), len) } == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(Error::Os {
                op: "ftruncate",
                source: err,
            });
        }
    }
}

/// Maps `len` bytes of `fd` from `offset` (a multiple of the page size), readable, writable
/// and `MAP_SHARED`, at the fixed address `at`, replacing whatever is mapped there.
///
/// # Safety
/// `[at, at + len)` lies inside a mapping owned by the caller that nothing else references.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
pub(crate) unsafe fn map_fixed(
    fd: &OwnedFd,
    at: *mut u8,
    len: usize,
    offset: libc::off_t,
) -> Result<(), Error> {
    // SAFETY: MAP_FIXED over the caller's own mapping, per the caller's contract.
    let p = unsafe {
        libc::mmap(
            at.cast(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_FIXED,
            fd.as_raw_fd(),
            offset,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(Error::last_os("mmap"));
    }
    Ok(())
}

/// The process's address-space limit in bytes (`RLIMIT_AS`, set by `ulimit -v`), or `None`
/// when there is none or it cannot be read.
pub(crate) fn address_space_limit() -> Option<u64> {
    // SAFETY: `rlimit` is plain data; all-zero is a valid value.
    let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out-pointer to an `rlimit` the call fills in.
    if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } != 0 {
        return None;
    }
    if limit.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    // rlim_t is u64 on Linux, i64 on FreeBSD.
    #[allow(clippy::unnecessary_fallible_conversions, clippy::useless_conversion)]
    u64::try_from(limit.rlim_cur).ok()
}

/// Reserves `bytes` (a multiple of the page size) of inaccessible address space for a list.
pub(crate) fn reserve(bytes: usize) -> Result<NonNull<u8>, Error> {
    map_anonymous(bytes, libc::PROT_NONE, libc::MAP_PRIVATE | NORESERVE)
}

/// Makes `[ptr, ptr + len)` readable and writable (`mprotect`). Pages are not touched: they
/// cost physical memory only once written.
///
/// # Safety
/// The range is page-aligned and inside a reservation from [`reserve`].
pub(crate) unsafe fn commit(ptr: *mut u8, len: usize) -> Result<(), Error> {
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
pub(crate) unsafe fn decommit(ptr: *mut u8, len: usize) -> Result<(), Error> {
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
        // SAFETY: per the caller, a page-aligned range of our own reservation that nothing
        // references.
        unsafe { map_inaccessible(ptr, len) }
    }
}

/// Invites the kernel to back `[ptr, ptr + len)` with transparent huge pages, or withdraws the
/// invitation; returns whether the kernel took the hint (it changes nothing but speed). Linux
/// and Android only; elsewhere `false`.
///
/// # Safety
/// The range is page-aligned and inside a reservation from [`reserve`].
pub(crate) unsafe fn advise_huge_pages(ptr: *mut u8, len: usize, enable: bool) -> bool {
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

/// Prefaults `[ptr, ptr + len)` for writing in one call instead of one page fault per page
/// (Linux and Android: [`populate_write`](super::linux::populate_write)); returns `false` where
/// the kernel refuses, and elsewhere.
///
/// # Safety
/// The range is page-aligned and inside the committed part of a reservation from [`reserve`].
pub(crate) unsafe fn prefault(ptr: *mut u8, len: usize) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: per the caller, the range is committed read-write memory of ours.
        unsafe { super::linux::populate_write(ptr, len) }
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
pub(crate) unsafe fn release(ptr: NonNull<u8>, bytes: usize) {
    // SAFETY: per the caller, the reservation is ours and dead.
    unsafe { unmap(ptr.as_ptr(), bytes) };
}
