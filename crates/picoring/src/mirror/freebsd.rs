//! FreeBSD: an anonymous POSIX shared-memory object mapped twice into a `PROT_NONE`
//! reservation ([`Backend::Shm`](super::Backend::Shm) there). Compile-checked only.
//!
//! ```text
//! fd = shm_open(SHM_ANON, O_RDWR | O_CLOEXEC, 0600)   // no name: nothing to unlink or leak
//! ftruncate(fd, N)
//! p  = mmap(NULL, 2N, PROT_NONE, MAP_PRIVATE | MAP_ANON, -1, 0)
//! mmap(p,     N, PROT_READ|PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0)
//! mmap(p + N, N, PROT_READ|PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0)
//! minherit(p, 2N, INHERIT_NONE)
//! close(fd)
//! ```
//!
//! `SHM_ANON` objects exist on every supported FreeBSD release (`memfd_create` is built on
//! them since FreeBSD 13). `INHERIT_NONE` is FreeBSD's `MADV_DONTFORK`: a forked child gets no
//! mapping here instead of sharing the parent's pages, and a child process must not touch rings
//! it inherited.

use std::ptr::NonNull;

use crate::Error;

/// An owned range of address space, unmapped on drop unless [`Mapping::release`]d.
struct Mapping {
    ptr: NonNull<u8>,
    size: usize,
}

impl Mapping {
    fn release(self) -> NonNull<u8> {
        let ptr = self.ptr;
        std::mem::forget(self);
        ptr
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: we own this mapping and nothing references it (it is being abandoned).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.size) };
    }
}

/// An owned file descriptor, closed on drop.
struct Fd(libc::c_int);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor and close it once.
        unsafe { libc::close(self.0) };
    }
}

pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    let size = len.checked_mul(2).ok_or(Error::CapacityOverflow)?;
    let file_len = libc::off_t::try_from(len).map_err(|_| Error::CapacityOverflow)?;
    // SAFETY: SHM_ANON asks for a new anonymous object; no name is read.
    let fd = unsafe { libc::shm_open(libc::SHM_ANON, libc::O_RDWR | libc::O_CLOEXEC, 0o600) };
    if fd < 0 {
        return Err(Error::last_os("shm_open"));
    }
    // Closed on every return; the mappings keep the object alive.
    let fd = Fd(fd);
    loop {
        // SAFETY: a valid descriptor we own.
        if unsafe { libc::ftruncate(fd.0, file_len) } == 0 {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(Error::Os {
                op: "ftruncate",
                source: err,
            });
        }
    }
    let reservation = Mapping {
        ptr: crate::unix::map_anonymous(size, libc::PROT_NONE, libc::MAP_PRIVATE)?,
        size,
    };
    let base = reservation.ptr.as_ptr();
    for half in [0, len] {
        // SAFETY: MAP_FIXED over our own reservation: `[base + half, base + half + len)` lies
        // inside it and nothing references it yet.
        let p = unsafe {
            libc::mmap(
                base.add(half).cast(),
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
    }
    // SAFETY: changes only the fork inheritance of a mapping we own.
    if unsafe { libc::minherit(base.cast(), size, libc::INHERIT_NONE) } != 0 {
        return Err(Error::last_os("minherit"));
    }
    Ok(reservation.release())
}

/// Unmaps the whole 2N mirror.
///
/// # Safety
/// `ptr` is the base of a 2 * `len` mirror made by [`map`], unmapped once.
pub(super) unsafe fn unmap(ptr: NonNull<u8>, len: usize) {
    // SAFETY: per the caller's contract.
    unsafe { libc::munmap(ptr.as_ptr().cast(), 2 * len) };
}
