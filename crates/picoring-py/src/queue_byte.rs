//! `PicoQueueByte`: the seed's bulk byte queue.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView};

use crate::byte_ring::{self, byte_ring_class};

byte_ring_class!(
    /// A fixed-capacity byte queue for bulk transfers: all-or-nothing `push_bulk`, `pop_bulk`,
    /// and one contiguous view of everything queued.
    PicoQueueByte,
    picoring::PicoQueue<u8>,
    {
        /// Appends all of `data` and returns `True`, or returns `False` and writes nothing.
        fn push_bulk(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<bool> {
            byte_ring::push_all(&self.inner, py, data)
        }

        /// Removes and returns up to `n` bytes from the front.
        fn pop_bulk<'py>(&self, py: Python<'py>, n: isize) -> PyResult<Bound<'py, PyBytes>> {
            byte_ring::pop_bytes(&self.inner, py, n)
        }

        /// Every queued byte as one read-only memoryview, O(1), wrapped or not.
        fn get_view<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyMemoryView>> {
            PyMemoryView::from(slf.as_any())
        }

    }
);
