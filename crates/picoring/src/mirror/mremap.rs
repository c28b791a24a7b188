//! Linux, no file descriptor: a shared anonymous mapping whose first half is duplicated over
//! its second half with `mremap(old_size = 0)`.
//!
//! ```text
//! p = mmap(NULL, 2N, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0)
//! mremap(p, 0, N, MREMAP_MAYMOVE|MREMAP_FIXED, p + N)   // p+N now maps the same pages as p
//! register (p, N) for fork (see the fork module)
//! ```
//!
//! With `old_size == 0`, `mremap` does not move the pages of a shared mapping: it creates a
//! second mapping of the same shared-memory object at the new address, replacing whatever was
//! there (our own second half). It needs no descriptor, so it still works under `EMFILE` and
//! under seccomp filters that refuse `memfd_create`. The object behind the first mmap is 2N
//! bytes long, but its upper half is never mapped once replaced, so it never gets pages.
//! `MAP_NORESERVE` makes the kernel charge pages to the commit limit as they are touched, as it
//! does for a memfd, instead of charging all 2N at once: without it, a ring of more than half of
//! memory plus swap would be refused here although the memfd backend maps it. (Under strict
//! overcommit the kernel ignores the flag and charges the 2N at once.)
//!
//! Three system calls (mmap, mremap; munmap on drop) against the memfd backend's seven, which
//! is why this backend comes first on Linux: `cargo bench -p picoring-compare --bench create`
//! measures both against their bare system calls.

use std::ptr::NonNull;

use super::fork::finish;
use crate::sys::linux::remap_fixed;
use crate::sys::unix::{unmap, Reservation};
use crate::Error;

pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    let size = len.checked_mul(2).ok_or(Error::CapacityOverflow)?;
    // From here on, dropping `mapping` unmaps the whole 2N on every early return.
    let mapping = Reservation::shared_unreserved(size)?;
    let base = mapping.ptr();
    // SAFETY: `base + len` is inside the 2N mapping we own.
    let twin = unsafe { base.add(len) };
    // SAFETY: `[base, base + len)` is a shared mapping we own; the new mapping replaces only
    // `[twin, twin + len)`, the second half of that same mapping, which nothing references yet.
    let q = unsafe { remap_fixed(base, 0, len, twin) }?;
    if q != twin {
        // MREMAP_FIXED promises the requested address; should a kernel break that promise,
        // drop the stray mapping rather than hand out memory that does not mirror.
        // SAFETY: `q` is the `len`-byte mapping mremap just made for us.
        unsafe { unmap(q, len) };
        return Err(Error::Os {
            op: "mremap",
            source: std::io::ErrorKind::AddrNotAvailable.into(),
        });
    }
    finish(mapping, len)
}
