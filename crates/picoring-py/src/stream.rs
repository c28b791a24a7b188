//! `PicoByteStreamPy`: the seed's byte stream, read and written like a non-blocking socket.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView};

use crate::byte_ring::{self, byte_ring_class};

byte_ring_class!(
    /// A byte stream: `write` stores what fits and returns the count, `read(n)` returns up to
    /// `n` bytes, and `next_line`/`read_until` hand out whole frames.
    PicoByteStreamPy,
    picoring::PicoByteStream,
    {
        /// Stores as much of `data` as fits; returns how many bytes were stored.
        fn write(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<usize> {
            byte_ring::push_some(&self.inner, py, data)
        }

        /// Removes and returns up to `n` bytes (`b""` when empty).
        fn read<'py>(&self, py: Python<'py>, n: isize) -> PyResult<Bound<'py, PyBytes>> {
            byte_ring::pop_bytes(&self.inner, py, n)
        }

        /// Bytes ready to read.
        fn available_to_read(&self, py: Python<'_>) -> PyResult<usize> {
            byte_ring::len(&self.inner, py)
        }

        /// Bytes that can be written now.
        fn available_to_write(&self, py: Python<'_>) -> PyResult<usize> {
            byte_ring::free_len(&self.inner, py)
        }

        /// Every readable byte as one read-only memoryview, without consuming it.
        fn peek<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyMemoryView>> {
            PyMemoryView::from(slf.as_any())
        }


        /// Removes and returns everything up to and including the first `delim` byte, or
        /// returns `None` (consuming nothing) when no `delim` is readable yet.
        fn read_until<'py>(
            &self,
            py: Python<'py>,
            delim: isize,
        ) -> PyResult<Option<Bound<'py, PyBytes>>> {
            let delim = u8::try_from(delim)
                .map_err(|_| pyo3::exceptions::PyValueError::new_err("byte must be in range(0, 256)"))?;
            self.inner.with(py, |stream, _| {
                self.inner.exports.check_no_readers()?;
                Ok(stream.read_until(delim).map(|frame| PyBytes::new(py, frame)))
            })
        }

        /// `read_until(b"\n")`: the next whole line, newline included, or `None`.
        fn next_line<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
            self.read_until(py, isize::from(b'\n'))
        }
    }
);
