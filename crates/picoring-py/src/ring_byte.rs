//! `PicoRingByte`: the seed's byte ring, with upstream 0.6's method names.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView};

use crate::byte_ring::{self, byte_ring_class};

byte_ring_class!(
    /// A fixed-capacity byte FIFO whose queued bytes are always one contiguous memoryview.
    PicoRingByte,
    picoring::PicoRing<u8>,
    {
        /// Appends all of `data` (any bytes-like object) and returns `True`, or returns
        /// `False` and writes nothing when it does not fit.
        fn push_bytes(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<bool> {
            byte_ring::push_all(&self.inner, py, data)
        }

        /// Removes and returns up to `n` bytes from the front.
        fn pop_bytes<'py>(&self, py: Python<'py>, n: isize) -> PyResult<Bound<'py, PyBytes>> {
            byte_ring::pop_bytes(&self.inner, py, n)
        }

        /// Every queued byte as one read-only memoryview, O(1), wrapped or not.
        fn get_readable_view<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyMemoryView>> {
            PyMemoryView::from(slf.as_any())
        }

        /// Drops `n` bytes from the front (upstream 0.6 name); `ValueError` if fewer are queued.
        fn advance_tail(&self, py: Python<'_>, n: isize) -> PyResult<()> {
            byte_ring::advance_tail(&self.inner, py, n)
        }

        /// Publishes `n` bytes written into the last writable view (upstream 0.6 name of `commit`).
        fn advance_head(&self, py: Python<'_>, n: isize) -> PyResult<()> {
            byte_ring::commit(&self.inner, py, n)
        }
    }
);
