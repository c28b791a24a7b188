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
