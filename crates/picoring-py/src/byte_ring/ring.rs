//! `PicoRingByte`: the seed's byte ring, with upstream 0.6's method names.

use picoring::PicoRing;
use pyo3::prelude::*;

use crate::byte_ring::{self, byte_ring_methods};
use crate::guard::guarded_class;

guarded_class! {
    /// A fixed-capacity byte FIFO whose queued bytes are always one contiguous memoryview.
    #[pyclass(name = "PicoRingByte")]
    struct ByteRing(PicoRing<u8>), len: |ring| ring.len(),
        held: |ring| ring.capacity()
}

byte_ring_methods!(ByteRing, view: "get_readable_view", bulk: "push_bytes", "pop_bytes");

#[pymethods]
impl ByteRing {
    /// Drops `n` bytes from the front (upstream 0.6 name); `ValueError` if fewer are queued.
    fn advance_tail(&self, py: Python<'_>, n: isize) -> PyResult<()> {
        byte_ring::consume(&self.inner, py, n)
    }

    /// Publishes `n` bytes written into the last writable view (upstream 0.6 name of `commit`).
    fn advance_head(&self, py: Python<'_>, n: isize) -> PyResult<()> {
        byte_ring::commit(&self.inner, py, n)
    }
}
