//! The operations the three byte rings share (`PicoRingByte`, `PicoQueueByte`,
//! `PicoByteStreamPy`), written once over [`ByteRing`]; each class forwards to these.
//!
//! Policy, the same in every class:
//! - all-or-nothing pushes (`push`, `push_bytes`, `push_bulk`) return `False` and write nothing
//!   when the data does not fit; `write` stores what fits and returns the count, like a
//!   non-blocking socket;
//! - reads (`pop_bytes`, `pop_bulk`, `read`, `readinto`) return what is there, up to `n`
//!   (`b""` when empty), like `io.RawIOBase.read`; `pop()` returns `None` when empty;
//! - explicit counts beyond what is there (`consume`/`advance_tail` beyond the queued bytes,
//!   `commit`/`advance_head` beyond the last writable view) raise `ValueError` and change
//!   nothing: stale bytes are never published.

use std::ffi::c_int;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView};

use crate::export::{self, Export, Region};
use crate::guard::{count, to_py_err, Guarded, DETACH_BYTES};
use crate::input::ByteInput;

/// What the bindings need from a byte ring of the library.
pub(crate) trait ByteRing: Send + Sized + 'static {
    fn create(capacity: usize) -> Result<Self, picoring::Error>;
    fn capacity(&self) -> usize;
    fn len(&self) -> usize;
    fn readable(&self) -> &[u8];
    fn writable(&mut self) -> &mut [u8];
    /// Publishes `n <= free` bytes written through `writable`.
    fn commit(&mut self, n: usize);
    /// Drops `n <= len` bytes from the front.
    fn consume(&mut self, n: usize);
    /// Copies `data` (`data.len() <= free`) to the back.
    fn push_slice(&mut self, data: &[u8]);
    fn clear(&mut self);

    fn free_len(&self) -> usize {
        self.capacity() - self.len()
    }

    /// The library ring underneath, for its address range.
    fn ring(&self) -> &picoring::PicoRing<u8>;

    /// Exactly the addresses of the whole mapping (both halves), for overlap checks: a source
    /// buffer merely mapped next to the ring must not count as overlapping (it would be copied).
    fn span(&self) -> (*const u8, usize) {
        let range = self.ring().as_ptr_range();
        (range.start, range.end as usize - range.start as usize)
    }
}

/// Implements [`ByteRing`] for a library type by naming its methods.
macro_rules! impl_byte_ring {
    ($ty:ty, len: $len:ident, readable: $readable:ident, push: $push:ident, ring: |$r:ident| $ring:expr) => {
        impl ByteRing for $ty {
            fn ring(&self) -> &picoring::PicoRing<u8> {
                let $r = self;
                $ring
            }
            fn create(capacity: usize) -> Result<Self, picoring::Error> {
                <$ty>::with_capacity(capacity)
            }
            fn capacity(&self) -> usize {
                <$ty>::capacity(self)
            }
            fn len(&self) -> usize {
                <$ty>::$len(self)
            }
            fn readable(&self) -> &[u8] {
                <$ty>::$readable(self)
            }
            fn writable(&mut self) -> &mut [u8] {
                <$ty>::writable(self)
            }
            fn commit(&mut self, n: usize) {
                <$ty>::commit(self, n);
            }
            fn consume(&mut self, n: usize) {
                <$ty>::consume(self, n);
            }
            fn push_slice(&mut self, data: &[u8]) {
                // Callers check the free space first; the result only restates it.
                let _ = <$ty>::$push(self, data);
            }
            fn clear(&mut self) {
                <$ty>::clear(self);
            }
        }
    };
}

impl_byte_ring!(picoring::PicoRing<u8>, len: len, readable: readable, push: push_slice, ring: |r| r);
impl_byte_ring!(picoring::PicoQueue<u8>, len: len, readable: readable, push: push_slice, ring: |r| r.as_ring());
impl_byte_ring!(
    picoring::PicoByteStream,
    len: len,
    readable: readable,
    push: push_slice,
    ring: |r| r.as_ring()
);

/// Creates the ring of a new object.
pub(crate) fn create<R: ByteRing>(name: &'static str, capacity: isize) -> PyResult<Guarded<R>> {
    let capacity = count(capacity, "capacity")?;
    Ok(Guarded::new(name, R::create(capacity).map_err(to_py_err)?))
}

pub(crate) fn len<R: ByteRing>(g: &Guarded<R>, py: Python<'_>) -> PyResult<usize> {
    g.with(py, |ring, _| Ok(ring.len()))
}

pub(crate) fn capacity<R: ByteRing>(g: &Guarded<R>, py: Python<'_>) -> PyResult<usize> {
    g.with(py, |ring, _| Ok(ring.capacity()))
}

pub(crate) fn free_len<R: ByteRing>(g: &Guarded<R>, py: Python<'_>) -> PyResult<usize> {
    g.with(py, |ring, _| Ok(ring.free_len()))
}

pub(crate) fn repr<R: ByteRing>(g: &Guarded<R>, py: Python<'_>) -> String {
    match g.with(py, |ring, _| Ok((ring.len(), ring.capacity()))) {
        Ok((len, cap)) => format!("<picoring.{} len={len} capacity={cap}>", g.name()),
        Err(_) if g.is_closed(py) => format!("<picoring.{} closed>", g.name()),
        Err(_) => format!("<picoring.{} from another process>", g.name()),
    }
}

/// Appends one byte; `False` when full.
pub(crate) fn push_byte<R: ByteRing>(
    g: &Guarded<R>,
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let byte = crate::input::byte_value(value)?;
    g.with(py, |ring, granted| {
        g.exports.check_no_writers()?;
        if ring.free_len() == 0 {
            return Ok(false);
        }
        ring.push_slice(&[byte]);
        *granted = 0;
        Ok(true)
    })
}

/// Removes the oldest byte; `None` when empty.
pub(crate) fn pop_byte<R: ByteRing>(g: &Guarded<R>, py: Python<'_>) -> PyResult<Option<u8>> {
    g.with(py, |ring, _| {
        let Some(&byte) = ring.readable().first() else {
            return Ok(None);
        };
        g.exports.check_no_readers()?;
        ring.consume(1);
        Ok(Some(byte))
    })
}

/// Appends all of `data`; `False` (nothing written) when it does not fit.
pub(crate) fn push_all<R: ByteRing>(
    g: &Guarded<R>,
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    Ok(push_from(g, py, data, true)?.is_some())
}

/// Appends what fits of `data`; returns how many bytes were stored.
pub(crate) fn push_some<R: ByteRing>(
    g: &Guarded<R>,
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
) -> PyResult<usize> {
    Ok(push_from(g, py, data, false)?.unwrap_or(0))
}

/// Copies as much of `data` as fits, or (`all_or_nothing`) all of it or nothing; returns the
/// number of bytes stored, `None` when refused.
fn push_from<R: ByteRing>(
    g: &Guarded<R>,
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    all_or_nothing: bool,
) -> PyResult<Option<usize>> {
    let input = ByteInput::new(data)?;
    g.with(py, |ring, granted| {
        g.exports.check_no_writers()?;
        let free = ring.free_len();
        if all_or_nothing && input.len() > free {
            return Ok(None);
        }
        let (start, span) = ring.span();
        let owned;
        let src = if input.overlaps(start, span) {
            // The ring fed to itself: copy out first, so no slice of the source aliases the ring.
            owned = input.bytes().to_vec();
            &owned[..]
        } else {
            input.bytes()
        };
        let src = &src[..src.len().min(free)];
        if src.len() >= DETACH_BYTES {
            py.detach(|| ring.push_slice(src));
        } else {
            ring.push_slice(src);
        }
        *granted = 0;
        Ok(Some(src.len()))
    })
}

/// Removes and returns up to `n` bytes from the front.
pub(crate) fn pop_bytes<'py, R: ByteRing>(
    g: &Guarded<R>,
    py: Python<'py>,
    n: isize,
) -> PyResult<Bound<'py, PyBytes>> {
    let n = count(n, "n")?;
    export::new_bytes(
        g,
        py,
        |ring| {
            let n = n.min(ring.len());
            if n > 0 {
                g.exports.check_no_readers()?;
            }
            Ok(n)
        },
        |ring, dest| {
            if ring.len() < dest.len {
                return Ok(false);
            }
            g.exports.check_no_readers()?;
            // SAFETY: `dest` is fresh memory of `dest.len` bytes (`new_bytes`' contract).
            unsafe { export::copy_out(py, &ring.readable()[..dest.len], dest) };
            ring.consume(dest.len);
            Ok(true)
        },
    )
}

/// Copies up to `len(buffer)` bytes into a writable buffer and removes them; returns how many.
pub(crate) fn readinto<R: ByteRing>(
    g: &Guarded<R>,
    py: Python<'_>,
    buffer: &Bound<'_, PyAny>,
) -> PyResult<usize> {
    let out = ByteInput::new(buffer)?;
    if out.is_readonly() {
        return Err(PyTypeError::new_err(
            "readinto() argument must be read-write bytes-like object",
        ));
    }
    g.with(py, |ring, _| {
        let n = out.len().min(ring.len());
        if n == 0 {
            return Ok(0);
        }
        g.exports.check_no_readers()?;
        let (start, span) = ring.span();
        let src = &ring.readable()[..n];
        if out.overlaps(start, span) {
            let owned = src.to_vec();
            // SAFETY: `out` is writable and holds at least n bytes; `owned` is our own copy.
            unsafe { out.write(&owned) };
        } else if n >= DETACH_BYTES {
            let region = Region::of(src);
            let dest = Region {
                len: n,
                ..out.region()
            };
            // SAFETY: distinct memories (no overlap, checked), both n bytes long and kept alive
            // by the lock and by `out`'s export.
            py.detach(move || unsafe { region.copy_to(dest) });
        } else {
            // SAFETY: as above.
            unsafe { out.write(src) };
        }
        ring.consume(n);
        Ok(n)
    })
}

/// Drops `n` bytes from the front; `ValueError` when fewer are queued.
pub(crate) fn advance_tail<R: ByteRing>(g: &Guarded<R>, py: Python<'_>, n: isize) -> PyResult<()> {
    let n = count(n, "n")?;
    g.with(py, |ring, _| {
        if n > ring.len() {
            return Err(PyValueError::new_err(format!(
                "cannot consume {n} bytes: only {} are queued",
                ring.len()
            )));
        }
        if n > 0 {
            g.exports.check_no_readers()?;
            ring.consume(n);
        }
        Ok(())
    })
}

/// Publishes `n` bytes written into the last writable view, which must have been released
/// (`BufferError` while it lives: it could still write over them); `ValueError` beyond it.
pub(crate) fn commit<R: ByteRing>(g: &Guarded<R>, py: Python<'_>, n: isize) -> PyResult<()> {
    let n = count(n, "n")?;
    g.with(py, |ring, granted| {
        g.exports.check_no_writers()?;
        if n > *granted {
            return Err(PyValueError::new_err(format!(
                "cannot commit {n} bytes: the last get_writable_view() granted {granted} \
                 (free space not written through a view would publish stale bytes)"
            )));
        }
        ring.commit(n);
        *granted = 0;
        Ok(())
    })
}

/// A writable memoryview of up to `n` bytes of free space (all of it when `n` is `None`): an
/// exclusive lease on that space. While it lives, another writable view, a push or a commit
/// raises `BufferError` (each would let it write over queued bytes).
pub(crate) fn writable_view<'py, R: ByteRing>(
    g: &Guarded<R>,
    slf: &Bound<'py, PyAny>,
    n: Option<isize>,
) -> PyResult<Bound<'py, PyMemoryView>> {
    let py = slf.py();
    let n = n.map(|n| count(n, "n")).transpose()?;
    let region = g.with(py, |ring, granted| {
        g.exports.check_no_writers()?;
        let free = ring.writable();
        let len = n.map_or(free.len(), |n| n.min(free.len()));
        *granted = len;
        g.exports.add(true);
        Ok(Region {
            ptr: free.as_mut_ptr(),
            len,
        })
    })?;
    Export::memoryview(slf, g.exports.clone(), region, true)
}

/// `__getbuffer__`: a read-only export of every queued byte, counted until released.
///
/// # Safety
///
/// As [`export::fill`].
pub(crate) unsafe fn getbuffer<R: ByteRing>(
    g: &Guarded<R>,
    slf: &Bound<'_, PyAny>,
    view: *mut ffi::Py_buffer,
    flags: c_int,
) -> PyResult<()> {
    let region = g.with(slf.py(), |ring, _| {
        g.exports.add(false);
        Ok(Region::of(ring.readable()))
    })?;
    // Filled outside the lock: a failure creates an exception object.
    // SAFETY: the queued bytes stay in place until the count taken above is given back in
    // `__releasebuffer__` (or below, on failure): every call that would consume, clear or free
    // them checks it.
    unsafe { export::fill(slf, view, flags, region, true) }.inspect_err(|_| {
        g.exports.remove(false);
    })
}

pub(crate) fn clear<R: ByteRing>(g: &Guarded<R>, py: Python<'_>) -> PyResult<()> {
    g.with(py, |ring, granted| {
        g.exports.check_none()?;
        ring.clear();
        *granted = 0;
        Ok(())
    })
}

/// Defines a `#[pyclass(frozen)]` byte ring class over `Guarded<$ring>` with the methods every
/// byte ring has, followed by the class's own methods given in the braces.
macro_rules! byte_ring_class {
    ($(#[$attr:meta])* $class:ident, $ring:ty, { $($extra:tt)* }) => {
        $crate::guard::guarded_pyclass!(
        $(#[$attr])*
        $class, $ring, [], {
            #[new]
            fn new(capacity: isize) -> PyResult<Self> {
                Ok($class { inner: $crate::byte_ring::create(stringify!($class), capacity)? })
            }

            fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
                $crate::byte_ring::len(&self.inner, py)
            }

            fn __bool__(&self, py: Python<'_>) -> PyResult<bool> {
                Ok($crate::byte_ring::len(&self.inner, py)? > 0)
            }

            fn __repr__(&self, py: Python<'_>) -> String {
                $crate::byte_ring::repr(&self.inner, py)
            }

            /// Number of queued bytes (upstream 0.6 spelling of `len(ring)`).
            fn len(&self, py: Python<'_>) -> PyResult<usize> {
                $crate::byte_ring::len(&self.inner, py)
            }

            /// Capacity in bytes: exact, all of it usable.
            fn capacity(&self, py: Python<'_>) -> PyResult<usize> {
                $crate::byte_ring::capacity(&self.inner, py)
            }

            /// Free bytes: `capacity() - len()`.
            fn free_len(&self, py: Python<'_>) -> PyResult<usize> {
                $crate::byte_ring::free_len(&self.inner, py)
            }

            /// Appends one byte; `False` when full.
            fn push(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
                $crate::byte_ring::push_byte(&self.inner, py, value)
            }

            /// Removes and returns the oldest byte; `None` when empty.
            fn pop(&self, py: Python<'_>) -> PyResult<Option<u8>> {
                $crate::byte_ring::pop_byte(&self.inner, py)
            }

            /// Copies up to `len(buffer)` bytes into `buffer` and removes them; returns how many.
            fn readinto(&self, py: Python<'_>, buffer: &Bound<'_, PyAny>) -> PyResult<usize> {
                $crate::byte_ring::readinto(&self.inner, py, buffer)
            }

            /// A writable memoryview of up to `n` free bytes (all free space by default), an
            /// exclusive lease: release it (`with ring.get_writable_view() as free:`), then
            /// publish what was written with `commit`.
            #[pyo3(signature = (n=None))]
            fn get_writable_view<'py>(
                slf: &Bound<'py, Self>,
                n: Option<isize>,
            ) -> PyResult<Bound<'py, pyo3::types::PyMemoryView>> {
                $crate::byte_ring::writable_view(&slf.get().inner, slf.as_any(), n)
            }

            /// Drops `n` queued bytes without copying them; `ValueError` if fewer are queued.
            fn consume(&self, py: Python<'_>, n: isize) -> PyResult<()> {
                $crate::byte_ring::advance_tail(&self.inner, py, n)
            }

            /// Publishes the first `n` bytes written into the last writable view, once that view
            /// is released (`BufferError` while it lives).
            fn commit(&self, py: Python<'_>, n: isize) -> PyResult<()> {
                $crate::byte_ring::commit(&self.inner, py, n)
            }

            /// Drops every queued byte.
            fn clear(&self, py: Python<'_>) -> PyResult<()> {
                $crate::byte_ring::clear(&self.inner, py)
            }

            unsafe fn __getbuffer__(
                slf: Bound<'_, Self>,
                view: *mut pyo3::ffi::Py_buffer,
                flags: std::ffi::c_int,
            ) -> PyResult<()> {
                // SAFETY: forwarded from CPython's call.
                unsafe { $crate::byte_ring::getbuffer(&slf.get().inner, slf.as_any(), view, flags) }
            }

            $($extra)*
        });
    };
}

pub(crate) use byte_ring_class;
