//! The byte rings: `PicoRingByte` ([`ring`]), `PicoQueueByte` ([`queue`]) and
//! `PicoByteStreamPy` ([`stream`]). What they share is written once here, over [`ByteFifo`]
//! (the library ring underneath), and [`byte_ring_methods!`] gives each class those methods.
//! How each call behaves on a full or empty ring is the README's policy table.

pub(crate) mod queue;
pub(crate) mod ring;
pub(crate) mod stream;

use std::ffi::c_int;

use picoring::{PicoByteStream, PicoQueue, PicoRing};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView};

use crate::export::{self, Access, Export, Region};
use crate::guard::{count, to_py_err, Guarded, DETACH_BYTES};
use crate::input::ByteInput;
use crate::typecode::TypeCode;
use crate::wait::Wakes;

/// What the bindings need from a byte ring of the library: reads go through the
/// [`PicoRing`] underneath, changes through the library type (which may keep state of its
/// own, as the stream's line search does).
pub(crate) trait ByteFifo: Send + Sized + 'static {
    fn create(capacity: usize) -> Result<Self, picoring::Error>;
    /// The library ring underneath.
    fn ring(&self) -> &PicoRing<u8>;
    fn writable(&mut self) -> &mut [u8];
    /// Publishes `n <= free` bytes written through `writable`.
    fn commit(&mut self, n: usize);
    /// Drops `n <= len` bytes from the front.
    fn consume(&mut self, n: usize);
    /// Copies `data` (`data.len() <= free`) to the back.
    fn push_slice(&mut self, data: &[u8]);
    fn clear(&mut self);

    fn capacity(&self) -> usize {
        self.ring().capacity()
    }

    fn len(&self) -> usize {
        self.ring().len()
    }

    fn free_len(&self) -> usize {
        self.capacity() - self.len()
    }

    fn readable(&self) -> &[u8] {
        self.ring().readable()
    }

    /// Exactly the addresses of the whole mapping (both halves), for overlap checks: a source
    /// buffer merely mapped next to the ring must not count as overlapping (it would be copied).
    fn span(&self) -> (*const u8, usize) {
        let range = self.ring().as_ptr_range();
        (range.start, range.end as usize - range.start as usize)
    }
}

/// Implements [`ByteFifo`] for library types, which share the ring's method names; `|r| expr`
/// reaches the ring underneath.
macro_rules! impl_byte_fifo {
    ($($ty:ty => |$r:ident| $ring:expr;)*) => {$(
        impl ByteFifo for $ty {
            fn create(capacity: usize) -> Result<Self, picoring::Error> {
                <$ty>::with_capacity(capacity)
            }
            fn ring(&self) -> &PicoRing<u8> {
                let $r = self;
                $ring
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
                let _ = <$ty>::push_slice(self, data);
            }
            fn clear(&mut self) {
                <$ty>::clear(self);
            }
        }
    )*};
}

impl_byte_fifo! {
    PicoRing<u8> => |r| r;
    PicoQueue<u8> => |r| r.as_ring();
    PicoByteStream => |r| r.as_ring();
}

/// A byte ring whose changes wake waiters (the stream's blocking `read`/`write`): each
/// push, commit, consume and clear notifies.
impl<R: ByteFifo> ByteFifo for Wakes<R> {
    fn create(capacity: usize) -> Result<Self, picoring::Error> {
        R::create(capacity).map(Wakes::new)
    }
    fn ring(&self) -> &PicoRing<u8> {
        (**self).ring()
    }
    fn writable(&mut self) -> &mut [u8] {
        (**self).writable()
    }
    fn commit(&mut self, n: usize) {
        (**self).commit(n);
        self.notify();
    }
    fn consume(&mut self, n: usize) {
        (**self).consume(n);
        self.notify();
    }
    fn push_slice(&mut self, data: &[u8]) {
        (**self).push_slice(data);
        self.notify();
    }
    fn clear(&mut self) {
        (**self).clear();
        self.notify();
    }
}

/// Creates the ring of a new object.
pub(crate) fn create<R: ByteFifo>(name: &'static str, capacity: isize) -> PyResult<Guarded<R>> {
    let capacity = count(capacity, "capacity")?;
    Ok(Guarded::new(name, R::create(capacity).map_err(to_py_err)?))
}

pub(crate) fn len<R: ByteFifo>(g: &Guarded<R>, py: Python<'_>) -> PyResult<usize> {
    g.with(py, |ring, _| Ok(ring.len()))
}

pub(crate) fn capacity<R: ByteFifo>(g: &Guarded<R>, py: Python<'_>) -> PyResult<usize> {
    g.with(py, |ring, _| Ok(ring.capacity()))
}

pub(crate) fn free_len<R: ByteFifo>(g: &Guarded<R>, py: Python<'_>) -> PyResult<usize> {
    g.with(py, |ring, _| Ok(ring.free_len()))
}

pub(crate) fn repr<R: ByteFifo>(g: &Guarded<R>, py: Python<'_>) -> String {
    match g.with(py, |ring, _| Ok((ring.len(), ring.capacity()))) {
        Ok((len, cap)) => format!("<picoring.{} len={len} capacity={cap}>", g.name()),
        Err(_) if g.is_closed(py) => format!("<picoring.{} closed>", g.name()),
        Err(_) => format!("<picoring.{} from another process>", g.name()),
    }
}

/// Appends one byte; `False` when full.
pub(crate) fn push_byte<R: ByteFifo>(
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
pub(crate) fn pop_byte<R: ByteFifo>(g: &Guarded<R>, py: Python<'_>) -> PyResult<Option<u8>> {
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
pub(crate) fn push_all<R: ByteFifo>(
    g: &Guarded<R>,
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    Ok(push_from(g, py, data, true)?.is_some())
}

/// Appends what fits of `data`; returns how many bytes were stored.
pub(crate) fn push_some<R: ByteFifo>(
    g: &Guarded<R>,
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
) -> PyResult<usize> {
    Ok(push_from(g, py, data, false)?.unwrap_or(0))
}

/// Copies as much of `data` as fits, or (`all_or_nothing`) all of it or nothing; returns the
/// number of bytes stored, `None` when refused.
fn push_from<R: ByteFifo>(
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
pub(crate) fn pop_bytes<'py, R: ByteFifo>(
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
pub(crate) fn readinto<R: ByteFifo>(
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
pub(crate) fn consume<R: ByteFifo>(g: &Guarded<R>, py: Python<'_>, n: isize) -> PyResult<()> {
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
pub(crate) fn commit<R: ByteFifo>(g: &Guarded<R>, py: Python<'_>, n: isize) -> PyResult<()> {
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
pub(crate) fn writable_view<'py, R: ByteFifo>(
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
    let export = Export::new(
        slf,
        g.exports.shared(),
        region,
        TypeCode::BYTE,
        0,
        Access::Lease,
    )?;
    PyMemoryView::from(export.as_any())
}

/// `__getbuffer__`: a read-only export of every queued byte, counted until released.
///
/// # Safety
///
/// As [`export::fill`].
pub(crate) unsafe fn getbuffer<R: ByteFifo>(
    g: &Guarded<R>,
    slf: &Bound<'_, PyAny>,
    view: *mut ffi::Py_buffer,
    flags: c_int,
) -> PyResult<()> {
    let region = g.with(slf.py(), |ring, _| {
        g.exports.add(false);
        Ok(Region::of(ring.readable()))
    })?;
    // SAFETY: the queued bytes stay in place until the count taken above is given back:
    // every call that would consume, clear or free them checks it.
    unsafe { export::fill_counted(slf, &g.exports, view, flags, region, true) }
}

pub(crate) fn clear<R: ByteFifo>(g: &Guarded<R>, py: Python<'_>) -> PyResult<()> {
    g.with(py, |ring, granted| {
        g.exports.check_none()?;
        ring.clear();
        *granted = 0;
        Ok(())
    })
}

/// The `#[pymethods]` every byte ring class has, for a frozen pyclass whose field `inner` is
/// a `Guarded<impl ByteFifo>`: construction, the queries, one-byte `push`/`pop`, `readinto`,
/// the writable lease and `commit`, `consume`, `clear`, the buffer export of the queued bytes
/// and `view`, the class's name for a memoryview of them. `bulk` names the all-or-nothing push
/// and the pop of up to `n` bytes, for the classes that have them.
macro_rules! byte_ring_methods {
    ($class:ty, view: $view:tt $(, bulk: $push:tt, $pop:tt)?) => {
        #[pymethods]
        impl $class {
            #[new]
            fn new(capacity: isize) -> PyResult<Self> {
                let name = <Self as pyo3::PyClass>::NAME;
                Ok(Self { inner: $crate::byte_ring::create(name, capacity)? })
            }

            fn __repr__(&self, py: Python<'_>) -> String {
                $crate::byte_ring::repr(&self.inner, py)
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
                $crate::byte_ring::consume(&self.inner, py, n)
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

        }

        $crate::export::readable_view_methods!(
            $class,
            /// Every queued byte as one read-only memoryview, O(1), wrapped or not.
            $view,
            |slf, view, flags| {
                // SAFETY: forwarded from CPython's call.
                unsafe { $crate::byte_ring::getbuffer(&slf.get().inner, slf.as_any(), view, flags) }
            }
        );

        $(
        #[pymethods]
        impl $class {
            /// Appends all of `data` (any bytes-like object) and returns `True`, or returns
            /// `False` and writes nothing when it does not fit.
            #[pyo3(name = $push)]
            fn push_all(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<bool> {
                $crate::byte_ring::push_all(&self.inner, py, data)
            }

            /// Removes and returns up to `n` bytes from the front.
            #[pyo3(name = $pop)]
            fn pop_bytes<'py>(
                &self,
                py: Python<'py>,
                n: isize,
            ) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
                $crate::byte_ring::pop_bytes(&self.inner, py, n)
            }
        }
        )?
    };
}

pub(crate) use byte_ring_methods;
