//! Pieces shared by the Linux backends: the address-space reservation, error clean-up,
//! prefaulting and unmapping (which keep the fork registry of [`super::fork`] up to date).

use std::ptr::NonNull;

use crate::Error;

/// An owned range of address space that is unmapped on drop unless [`Reservation::release`]d,
/// so every early return after the reservation cleans up.
pub(super) struct Reservation {
    ptr: NonNull<u8>,
    size: usize,
}

impl Reservation {
    /// Reserves `size` bytes of `PROT_NONE`, `MAP_NORESERVE` address space.
    pub(super) fn new(size: usize) -> Result<Self, Error> {
        Self::map(
            size,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_NORESERVE,
        )
    }

    /// Maps `size` bytes of fresh anonymous memory with these protections and flags
    /// (see [`crate::unix::map_anonymous`]) and takes ownership of the mapping.
    pub(super) fn map(size: usize, prot: libc::c_int, flags: libc::c_int) -> Result<Self, Error> {
        let ptr = crate::unix::map_anonymous(size, prot, flags)?;
        Ok(Reservation { ptr, size })
    }

    pub(super) fn ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Hands the mapping over to the caller, who now unmaps it.
    pub(super) fn release(self) -> NonNull<u8> {
        let ptr = self.ptr;
        std::mem::forget(self);
        ptr
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        // SAFETY: we own this mapping and nothing references it (it is being abandoned).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.size) };
    }
}

/// An owned file descriptor closed on drop.
pub(super) struct Fd(pub(super) libc::c_int);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor and close it once.
        unsafe { libc::close(self.0) };
    }
}

/// `ftruncate`, retried on `EINTR`.
pub(super) fn set_len(fd: &Fd, len: usize) -> Result<(), Error> {
    let len = libc::off_t::try_from(len).map_err(|_| Error::CapacityOverflow)?;
    loop {
        // SAFETY: a valid descriptor we own.
        if unsafe { libc::ftruncate(fd.0, len) } == 0 {
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

/// Maps `len` bytes of `fd` from offset 0 at the fixed address `at`, replacing the reservation
/// there.
///
/// # Safety
/// `[at, at + len)` lies inside a reservation owned by the caller.
pub(super) unsafe fn map_fixed(fd: &Fd, at: *mut u8, len: usize) -> Result<(), Error> {
    // SAFETY: MAP_FIXED over our own reservation, per the caller's contract.
    let p = unsafe {
        libc::mmap(
            at.cast(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_FIXED,
            fd.0,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(Error::last_os("mmap"));
    }
    Ok(())
}

/// Maps `fd` twice into a fresh 2 * `len` reservation and registers the mirror for `fork`.
pub(super) fn map_twice(fd: &Fd, len: usize) -> Result<NonNull<u8>, Error> {
    let reservation = Reservation::new(2 * len)?;
    let base = reservation.ptr();
    // SAFETY: both halves lie inside the reservation we just made.
    unsafe {
        map_fixed(fd, base, len)?;
        map_fixed(fd, base.add(len), len)?;
    }
    finish(reservation, len)
}

/// Registers a complete 2 * `len` mirror with the fork registry (a forked child then gets its
/// own copy instead of sharing these pages) and hands it over; unmaps it if that fails.
pub(super) fn finish(mirror: Reservation, len: usize) -> Result<NonNull<u8>, Error> {
    super::fork::register(mirror.ptr, len)?;
    Ok(mirror.release())
}

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

/// Unmaps the whole 2N mirror, after taking it out of the fork registry.
///
/// # Safety
/// `ptr` is the base of a 2 * `len` mirror created by a Linux backend, unmapped once.
pub(super) unsafe fn unmap(ptr: NonNull<u8>, len: usize) {
    super::fork::unregister(ptr);
    // SAFETY: per the caller's contract.
    unsafe { libc::munmap(ptr.as_ptr().cast(), 2 * len) };
}
