//! `PicoByteStreamPy`: the seed's byte stream, read and written like a socket: non-blocking by
//! default (as upstream 0.6), blocking up to a `timeout` when one is given.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView};

use crate::byte_ring::{self, byte_ring_class};
use crate::wait::{self, Wakes};

byte_ring_class!(
    /// A byte stream: `write` stores what fits and returns the count, `read(n)` returns up to
    /// `n` bytes, and `next_line`/`read_until` hand out whole frames.
    PicoByteStreamPy,
    Wakes<picoring::PicoByteStream>,
    {
        /// Stores as much of `data` as fits; returns how many bytes were stored. With a
        /// `timeout` (seconds; `None`: forever) other than the default `0`, first waits until
        /// at least one byte fits, as a blocking `socket.send` does, raising `TimeoutError`
        /// when none fits in time.
        #[pyo3(signature = (data, timeout=Some(0.0)), text_signature = "($self, data, timeout=0.0)")]
        fn write(
            &self,
            py: Python<'_>,
            data: &Bound<'_, PyAny>,
            timeout: Option<f64>,
        ) -> PyResult<usize> {
            wait::check_timeout(timeout)?; // a bad timeout is refused whatever the data
            if timeout == Some(0.0) || crate::input::ByteInput::new(data)?.len() == 0 {
                return byte_ring::push_some(&self.inner, py, data);
            }
            wait::retry(
                &self.inner,
                py,
                timeout,
                || "no room in the stream before the timeout".into(),
                |stream| stream.free_len() > 0,
                || byte_ring::push_some(&self.inner, py, data),
                |&stored| stored > 0,
            )
        }

        /// Removes and returns up to `n` bytes (`b""` when empty). With a `timeout` (seconds;
        /// `None`: forever) other than the default `0`, first waits until at least one byte
        /// is readable, as a blocking `socket.recv` does, raising `TimeoutError` when none
        /// arrives in time.
        #[pyo3(signature = (n, timeout=Some(0.0)), text_signature = "($self, n, timeout=0.0)")]
        fn read<'py>(
            &self,
            py: Python<'py>,
            n: isize,
            timeout: Option<f64>,
        ) -> PyResult<Bound<'py, PyBytes>> {
            wait::check_timeout(timeout)?; // a bad timeout is refused whatever `n`
            if timeout == Some(0.0) || crate::guard::count(n, "n")? == 0 {
                return byte_ring::pop_bytes(&self.inner, py, n);
            }
            wait::retry(
                &self.inner,
                py,
                timeout,
                || "no bytes arrived before the timeout".into(),
                |stream| !stream.is_empty(),
                || byte_ring::pop_bytes(&self.inner, py, n),
                |out| !out.as_bytes().is_empty(),
            )
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
            delim: &Bound<'_, PyAny>,
        ) -> PyResult<Option<Bound<'py, PyBytes>>> {
            let delim = crate::input::byte_value(delim)?;
            // Copied out under the lock (to the stack when short), made a `bytes` object after
            // it: no Python object is allocated under a lock. The library's search remembers how
            // far it looked, so polling for a long frame costs only the new bytes.
            const ON_STACK: usize = 512;
            let mut small = [0u8; ON_STACK];
            let frame = self.inner.with(py, |stream, _| {
                self.inner.exports.check_no_readers()?;
                let frame = match stream.read_until(delim) {
                    None => None,
                    Some(frame) if frame.len() <= ON_STACK => {
                        small[..frame.len()].copy_from_slice(frame);
                        Some(Err(frame.len()))
                    }
                    Some(frame) => Some(Ok(frame.to_vec())),
                };
                stream.notify(); // room for waiting writers
                Ok(frame)
            })?;
            Ok(frame.map(|frame| match frame {
                Err(len) => PyBytes::new(py, &small[..len]),
                Ok(long) => PyBytes::new(py, &long),
            }))
        }

        /// `read_until(b"\n")`: the next whole line, newline included, or `None`.
        fn next_line<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
            self.read_until(py, b'\n'.into_pyobject(py)?.as_any())
        }
    }
);
