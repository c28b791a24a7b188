//! [`CachePadded`]: keeps a value on its own cache line(s).

use std::ops::Deref;

/// Aligns and pads `T` to 128 bytes, so two indices written by different threads never share a
/// cache line (false sharing would make every write of one side evict the other side's line).
///
/// 128 rather than 64: Intel's adjacent-line prefetcher pulls cache lines in pairs, and Apple
/// M-series cores have 128-byte lines.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> Deref for CachePadded<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}
