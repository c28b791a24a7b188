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
