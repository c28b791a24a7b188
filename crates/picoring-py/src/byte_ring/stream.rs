//! `PicoByteStreamPy`: the seed's byte stream, read and written like a socket: non-blocking by
//! default (as upstream 0.6), blocking up to a `timeout` when one is given.

use picoring::PicoByteStream;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt};

use crate::byte_ring::{self, byte_ring_methods, ByteFifo};
use crate::guard::{count, guarded_class};
use crate::input::{byte_value, ByteInput};
use crate::wait::{self, Wakes};

guarded_class! {
    /// A byte stream: `write` stores what fits and returns the count, `read(n)` returns up to
    /// `n` bytes, and `next_line`/`read_until` hand out whole frames.
    #[pyclass(name = "PicoByteStreamPy")]
    struct ByteStream(Wakes<PicoByteStream>), len: |stream| stream.len(),
        held: |stream| stream.capacity()
}

byte_ring_methods!(ByteStream, view: "peek");

/// What a blocking call waits for.
#[derive(Clone, Copy)]
enum Until {
    /// At least one free byte (`write`).
    Room,
    /// At least one queued byte (`read`).
    Data,
}

impl ByteStream {
    /// Runs the non-blocking `op` as a socket call with a `timeout` does: at once when the
    /// timeout is `0` or there is nothing to move (`idle`), otherwise once `until` holds, and
    /// again (waiting again) while its result is not `done`, e.g. a read that another reader
    /// emptied first. `TimeoutError` when `timeout` seconds (`None`: forever) pass first.
    fn blocking<T>(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        idle: bool,
        until: Until,
        mut op: impl FnMut() -> PyResult<T>,
        done: impl Fn(&T) -> bool,
    ) -> PyResult<T> {
        if timeout == Some(0.0) || idle {
            return op();
        }
        let (what, ready): (&str, fn(&PicoByteStream) -> bool) = match until {
            Until::Room => ("no room in the stream before the timeout", |s| !s.is_full()),
            Until::Data => ("no bytes arrived before the timeout", |s| !s.is_empty()),
        };
        wait::retry(&self.inner, py, timeout, || what.into(), ready, op, done)
    }
}

#[pymethods]
impl ByteStream {
    /// Stores as much of `data` as fits; returns how many bytes were stored. With a
    /// `timeout` (seconds; `None`: forever) other than the default `0`, first waits until
    /// at least one byte fits, as a blocking `socket.send` does, raising `TimeoutError`
    /// when none fits in time.
    #[pyo3(signature = (data, timeout=Some(0.0)), text_signature = "($self, data, timeout=0.0)")]
    fn write(&self, data: &Bound<'_, PyAny>, timeout: Option<f64>) -> PyResult<usize> {
        let py = data.py();
        wait::check_timeout(timeout)?; // a bad timeout is refused whatever the data
        let idle = ByteInput::new(data)?.len() == 0;
        let push = || byte_ring::push_some(&self.inner, py, data);
        self.blocking(py, timeout, idle, Until::Room, push, |&stored| stored > 0)
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
        let idle = count(n, "n")? == 0;
        let pop = || byte_ring::pop_bytes(&self.inner, py, n);
        self.blocking(py, timeout, idle, Until::Data, pop, |out| {
            !out.as_bytes().is_empty()
        })
    }

    /// Bytes ready to read.
    fn available_to_read(&self, py: Python<'_>) -> PyResult<usize> {
        byte_ring::len(&self.inner, py)
    }

    /// Bytes that can be written now.
    fn available_to_write(&self, py: Python<'_>) -> PyResult<usize> {
        byte_ring::free_len(&self.inner, py)
    }

    /// Removes and returns everything up to and including the first `delim` byte, or
    /// returns `None` (consuming nothing) when no `delim` is readable yet.
    fn read_until<'py>(
        &self,
        py: Python<'py>,
        delim: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let delim = byte_value(delim)?;
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

    /// Index of the first `sub` (a bytes-like object or a byte value) in the queued bytes
    /// `[start:end]`, `-1` when absent: `bytes.find` on them, without copying them out.
    /// `start` and `end` are slice indices (negative ones count from the end).
    #[pyo3(signature = (sub, start=0, end=None))]
    fn find(&self, sub: &Bound<'_, PyAny>, start: isize, end: Option<isize>) -> PyResult<isize> {
        let py = sub.py();
        let needle = Needle::new(sub)?;
        let needle = needle.bytes();
        self.inner.with(py, |stream, _| {
            let data = stream.readable();
            let (start, end) = slice_bounds(data.len(), start, end);
            if end < start || end - start < needle.len() {
                return Ok(-1);
            }
            let found = match needle {
                [byte] => memchr::memchr(*byte, &data[start..end]),
                _ => memchr::memmem::find(&data[start..end], needle),
            };
            // Offsets into the ring's readable bytes, which are at most isize::MAX long.
            Ok(found.map_or(-1, |i| (start + i) as isize))
        })
    }

    /// The index of every occurrence of `sub` in the queued bytes `[start:end]`, in order
    /// and not overlapping (`find` repeated past each match): a parser's batch of frame
    /// boundaries in one call.
    #[pyo3(signature = (sub, start=0, end=None))]
    fn find_all(
        &self,
        sub: &Bound<'_, PyAny>,
        start: isize,
        end: Option<isize>,
    ) -> PyResult<Vec<usize>> {
        let py = sub.py();
        let needle = Needle::new(sub)?;
        let needle = needle.bytes();
        if needle.is_empty() {
            return Err(PyValueError::new_err("find_all() of an empty separator"));
        }
        self.inner.with(py, |stream, _| {
            let data = stream.readable();
            let (start, end) = slice_bounds(data.len(), start, end);
            if end < start {
                return Ok(Vec::new());
            }
            let hay = &data[start..end];
            Ok(match needle {
                [byte] => memchr::memchr_iter(*byte, hay).map(|i| start + i).collect(),
                _ => memchr::memmem::find_iter(hay, needle)
                    .map(|i| start + i)
                    .collect(),
            })
        })
    }

    /// `read_until(b"\n")`: the next whole line, newline included, or `None`.
    fn next_line<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        self.read_until(py, b'\n'.into_pyobject(py)?.as_any())
    }
}

/// `start` and `end` of a slice of `len` items, as `bytes.find` adjusts them: negative values
/// count from the end (stopping at 0), and `end` stops at `len`; `start` may stay beyond it.
fn slice_bounds(len: usize, start: isize, end: Option<isize>) -> (usize, usize) {
    let from_end = |i: isize| len.saturating_sub(i.unsigned_abs());
    let start = if start < 0 {
        from_end(start)
    } else {
        start.unsigned_abs()
    };
    let end = match end {
        Some(i) if i < 0 => from_end(i),
        Some(i) => i.unsigned_abs().min(len),
        None => len,
    };
    (start, end)
}

/// What `find` looks for: a byte value or the bytes of a bytes-like object, as `bytes.find`
/// takes it.
enum Needle<'py> {
    Byte([u8; 1]),
    Bytes(ByteInput<'py>),
}

impl<'py> Needle<'py> {
    fn new(sub: &Bound<'py, PyAny>) -> PyResult<Self> {
        Ok(if sub.is_instance_of::<PyInt>() {
            Needle::Byte([byte_value(sub)?])
        } else {
            Needle::Bytes(ByteInput::new(sub)?)
        })
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Needle::Byte(byte) => byte,
            Needle::Bytes(input) => input.bytes(),
        }
    }
}
