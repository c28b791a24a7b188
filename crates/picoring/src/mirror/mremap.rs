//! Linux, no file descriptor: a shared anonymous mapping whose first half is duplicated over
//! its second half with `mremap(old_size = 0)`.
//!
//! ```text
//! p = mmap(NULL, 2N, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0)
//! mremap(p, 0, N, MREMAP_MAYMOVE|MREMAP_FIXED, p + N)   // p+N now maps the same pages as p
//! register (p, N) for fork (see the fork module)
//! ```
//!
//! With `old_size == 0`, `mremap` does not move the pages of a shared mapping: it creates a
//! second mapping of the same shared-memory object at the new address, replacing whatever was
//! there (our own second half). It needs no descriptor, so it still works under `EMFILE` and
//! under seccomp filters that refuse `memfd_create`. The object behind the first mmap is 2N
//! bytes long, but its upper half is never mapped once replaced, so it never gets pages. (Without
//! `MAP_NORESERVE` the kernel charges all 2N to the commit limit, which only matters under strict
//! overcommit; in exchange a later page fault can never fail for lack of commit.)

use std::ptr::NonNull;

use super::fork::finish;
use crate::sys::linux::{mremap, MREMAP_FIXED, MREMAP_MAYMOVE};
use crate::sys::unix::{unmap, Reservation};
use crate::Error;

pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    let size = len.checked_mul(2).ok_or(Error::CapacityOverflow)?;
    // From here on, dropping `mapping` unmaps the whole 2N on every early return.
    let mapping = Reservation::map(size, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED)?;
    let base = mapping.ptr();
    // SAFETY: `base + len` is inside the 2N mapping we own.
    let twin = unsafe { base.add(len) };
    // SAFETY: `[base, base + len)` is a shared mapping we own; MREMAP_FIXED replaces only
    // `[twin, twin + len)`, the second half of that same mapping, which nothing references yet.
    let q = unsafe {
        mremap(
            base.cast(),
            0,
            len,
            MREMAP_MAYMOVE | MREMAP_FIXED,
            twin.cast::<libc::c_void>(),
        )
    };
    if q == libc::MAP_FAILED {
        return Err(Error::last_os("mremap"));
    }
    if q.cast::<u8>() != twin {
        // MREMAP_FIXED promises the requested address; should a kernel break that promise,
        // drop the stray mapping rather than hand out memory that does not mirror.
        // SAFETY: `q` is the `len`-byte mapping mremap just made for us.
        unsafe { unmap(q.cast(), len) };
        return Err(Error::Os {
            op: "mremap",
            source: std::io::ErrorKind::AddrNotAvailable.into(),
        });
    }
    finish(mapping, len)
}
