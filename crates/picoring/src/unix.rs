//! Unix system-call helpers shared by the mirror backends ([`crate::mirror`]) and the
//! reserve/commit memory of [`crate::PicoList`].

use std::ptr::NonNull;

use crate::Error;

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
pub(crate) const NORESERVE: libc::c_int = libc::MAP_NORESERVE;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) const NORESERVE: libc::c_int = 0;

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
    pub(crate) fn map(size: usize, prot: libc::c_int, flags: libc::c_int) -> Result<Self, Error> {
        let ptr = map_anonymous(size, prot, flags)?;
        Ok(Reservation { ptr, size })
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
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.size) };
    }
}

/// An owned file descriptor closed on drop.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
pub(crate) struct Fd(pub(crate) libc::c_int);

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor and close it once.
        unsafe { libc::close(self.0) };
    }
}

/// `ftruncate`, retried on `EINTR`. Makes no allocation, errors included (the fork child
/// handler relies on that).
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
pub(crate) fn set_len(fd: &Fd, len: usize) -> Result<(), Error> {
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

/// Maps `len` bytes of `fd` from offset 0, readable, writable and `MAP_SHARED`, at the fixed
/// address `at`, replacing whatever is mapped there.
///
/// # Safety
/// `[at, at + len)` lies inside a mapping owned by the caller that nothing else references.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
pub(crate) unsafe fn map_fixed(fd: &Fd, at: *mut u8, len: usize) -> Result<(), Error> {
    // SAFETY: MAP_FIXED over the caller's own mapping, per the caller's contract.
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

/// Physical memory plus swap, in bytes, from `sysinfo(2)`: the most memory the system can back
/// at once, and the size past which Linux's default overcommit policy refuses a single
/// allocation. `None` when the call fails or the sum overflows.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn memory_and_swap() -> Option<u64> {
    // SAFETY: `sysinfo` is plain data; all-zero is a valid value.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out-pointer to a `sysinfo` the call fills in.
    if unsafe { libc::sysinfo(&mut info) } != 0 {
        return None;
    }
    let unit = u64::from(info.mem_unit.max(1));
    #[allow(clippy::useless_conversion)] // c_ulong is u32 on 32-bit targets
    let (ram, swap) = (u64::from(info.totalram), u64::from(info.totalswap));
    ram.checked_add(swap)?.checked_mul(unit)
}

/// Other unix systems (macOS grows its swap on demand; the BSDs) give no such figure here.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn memory_and_swap() -> Option<u64> {
    None
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
