//! The two list classes, `PicoListByte` ([`bytes`]) and `PicoList` ([`typed`]), and what they
//! share: both keep their items as native bytes in a `picoring::PicoList<u8>` ([`ListBytes`]),
//! which they append to, clear and export the same way; indices and slices resolved as
//! `bytearray` and `array.array` resolve them; an iterator that walks the list by index (so
//! items appended during iteration are seen); and the `True`/`False` answer of `__eq__`.

pub(crate) mod bytes;
pub(crate) mod typed;

use picoring::PicoList;
use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PySlice};

use crate::export::Region;
use crate::guard::{to_py_err, Guarded, LazyExports, DETACH_BYTES};
use crate::input::index_arg;

/// The value behind a list class: its items, as native bytes that never move.
pub(crate) trait ListBytes {
    /// The `picoring::PicoList<u8>` that holds the items.
    fn list_bytes(&mut self) -> &mut PicoList<u8>;

    /// Bytes per item.
    fn itemsize(&self) -> usize;

    /// What the built-in calls itself in messages (`array`, `bytearray`).
    const SEQUENCE: &'static str = "array";
}

impl ListBytes for PicoList<u8> {
    const SEQUENCE: &'static str = "bytearray";

    fn list_bytes(&mut self) -> &mut PicoList<u8> {
        self
    }

    fn itemsize(&self) -> usize {
        1
    }
}

/// Growth never moves the bytes on the native backends; on the heap fallback (Miri, exotic
/// targets) it would, so there growing past the capacity is refused while a view is alive.
pub(crate) fn check_growth(
    list: &PicoList<u8>,
    exports: &LazyExports,
    additional: usize,
) -> PyResult<()> {
    if !PicoList::<u8>::grows_in_place() && list.capacity() - list.len() < additional {
        exports.check_no_readers()?;
    }
    Ok(())
}

/// Appends `src` (whole items) to the list, all or nothing. The copy releases the GIL when it
/// is long.
pub(crate) fn append<R: ListBytes>(g: &Guarded<R>, py: Python<'_>, src: &[u8]) -> PyResult<()> {
    g.with(py, |value, _| {
        append_locked(value.list_bytes(), &g.exports, py, src)
    })
}

/// [`append`] for a caller that holds the lock: `list` and `exports` are the value and export
/// counters of one [`Guarded`].
#[inline]
pub(crate) fn append_locked(
    list: &mut PicoList<u8>,
    exports: &LazyExports,
    py: Python<'_>,
    src: &[u8],
) -> PyResult<()> {
    check_growth(list, exports, src.len())?;
    let owned;
    let src = if crate::input::overlaps(src, list.as_ptr(), list.len()) {
        // The list fed to itself: copy first so no slice of the source aliases it.
        owned = src.to_vec();
        &owned[..]
    } else {
        src
    };
    fill(py, list, src)
}

/// `clear()`: removes every item and gives the memory back; refused while a view is alive.
pub(crate) fn clear<R: ListBytes>(g: &Guarded<R>, py: Python<'_>) -> PyResult<()> {
    g.with(py, |value, _| {
        g.exports.check_none()?;
        value.list_bytes().clear();
        Ok(())
    })
}

/// `lst[index] = value`. A slice takes `many()`, the native bytes of as many items as it
/// selects (another length would move the items after it: `ValueError`). An index takes
/// `one()`: its outer error is raised before the index is checked, its inner one after it
/// (`bytearray` checks the value first, `array.array` the index). Both convert before the
/// lock is taken, and after a slice's bounds are read (their `__index__` is Python code).
pub(crate) fn set_item<R: ListBytes, T: AsRef<[u8]>>(
    g: &Guarded<R>,
    index: &Bound<'_, PyAny>,
    many: impl FnOnce() -> PyResult<Vec<u8>>,
    one: impl FnOnce() -> PyResult<PyResult<T>>,
) -> PyResult<()> {
    let py = index.py();
    if let Ok(slice) = index.cast::<PySlice>() {
        let slice = Slice::new(slice)?;
        let data = many()?;
        return g.with(py, |value, _| {
            let size = value.itemsize();
            let list = value.list_bytes();
            let (start, step, n) = slice.indices(n_len(list.len(), size));
            if step == 1 {
                if data.len() != n * size {
                    // The items after the slice move: refused while a view is alive.
                    g.exports.check_no_readers()?;
                }
                return list
                    .replace_range(start * size..(start + n) * size, &data)
                    .map_err(to_py_err);
            }
            if data.is_empty() && n > 0 {
                // As the built-ins: assigning nothing to an extended slice deletes its items.
                g.exports.check_no_readers()?;
                delete_items(list, size, (start, step, n));
                return Ok(());
            }
            if data.len() != n * size {
                return Err(PyValueError::new_err(format!(
                    "attempt to assign {} of size {} to extended slice of size {n}",
                    R::SEQUENCE,
                    data.len() / size
                )));
            }
            let bytes = list.as_mut_slice();
            for (i, item) in slice
                .positions(n_len(bytes.len(), size))
                .zip(data.chunks_exact(size))
            {
                bytes[i * size..(i + 1) * size].copy_from_slice(item);
            }
            Ok(())
        });
    }
    let index = index_arg(index)?;
    let item = one()?;
    g.with(py, |value, _| {
        let size = value.itemsize();
        let list = value.list_bytes();
        let i = position(index, n_len(list.len(), size)).ok_or_else(|| out_of_range(g.name()))?;
        list.as_mut_slice()[i * size..(i + 1) * size].copy_from_slice(item?.as_ref());
        Ok(())
    })
}

/// Items in `bytes` bytes of items of `size` bytes (a power of two: 1, 2, 4 or 8), by a shift:
/// a division costs tens of cycles on the hottest paths (`len(lst)`, `lst[i]`).
#[inline]
pub(crate) fn n_len(bytes: usize, size: usize) -> usize {
    debug_assert!(size.is_power_of_two());
    bytes >> size.trailing_zeros()
}

/// `del lst[index]` and `del lst[a:b:c]`: the items after the deleted ones move back within the
/// reservation (refused, `BufferError`, while a view is alive, as the built-ins refuse it).
pub(crate) fn delete<R: ListBytes>(g: &Guarded<R>, index: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = index.py();
    if let Ok(slice) = index.cast::<PySlice>() {
        let slice = Slice::new(slice)?;
        return g.with(py, |value, _| {
            let size = value.itemsize();
            let list = value.list_bytes();
            let (start, step, n) = slice.indices(n_len(list.len(), size));
            if n == 0 {
                return Ok(());
            }
            g.exports.check_no_readers()?;
            delete_items(list, size, (start, step, n));
            Ok(())
        });
    }
    let index = index_arg(index)?;
    g.with(py, |value, _| {
        let size = value.itemsize();
        let list = value.list_bytes();
        let i = position(index, n_len(list.len(), size)).ok_or_else(|| {
            PyIndexError::new_err(format!("{} assignment index out of range", R::SEQUENCE))
        })?;
        g.exports.check_no_readers()?;
        list.drain(i * size..(i + 1) * size);
        Ok(())
    })
}

/// Removes the `n` items a slice selects from `start` by `step` (`Slice::indices`), moving the
/// others back within the reservation.
fn delete_items(list: &mut PicoList<u8>, size: usize, (start, step, n): (usize, isize, usize)) {
    if step == 1 || n == 1 {
        list.drain(start * size..(start + n) * size);
        return;
    }
    // The selected items in ascending order: first, first + step, ... (n of them).
    let (first, step) = if step < 0 {
        (start - (n - 1) * step.unsigned_abs(), step.unsigned_abs())
    } else {
        (start, step as usize)
    };
    let mut byte = 0;
    list.retain(|_| {
        let item = byte / size;
        byte += 1;
        let off = item.wrapping_sub(first);
        !(item >= first && off % step == 0 && off / step < n)
    });
}

/// `insert(index, item)`: `item` (one item's bytes) goes before `index`, clamped as
/// `list.insert` clamps it; the items after it move up within the reservation (refused while
/// a view is alive).
pub(crate) fn insert<R: ListBytes>(
    g: &Guarded<R>,
    py: Python<'_>,
    index: isize,
    item: &[u8],
) -> PyResult<()> {
    g.with(py, |value, _| {
        g.exports.check_no_readers()?;
        let size = value.itemsize();
        let list = value.list_bytes();
        let len = n_len(list.len(), size);
        let at = if index < 0 {
            len.saturating_sub(index.unsigned_abs())
        } else {
            (index as usize).min(len)
        };
        list.replace_range(at * size..at * size, item)
            .map_err(to_py_err)
    })
}

/// Removes the item at `i` (checked by the caller to be in range); refused while a view is
/// alive, as the built-ins refuse any shrinking then.
pub(crate) fn remove_at<R: ListBytes>(g: &Guarded<R>, value: &mut R, i: usize) -> PyResult<()> {
    g.exports.check_no_readers()?;
    let size = value.itemsize();
    let list = value.list_bytes();
    list.drain(i * size..(i + 1) * size);
    Ok(())
}

/// `reverse()`: the items in reverse order, in place.
pub(crate) fn reverse<R: ListBytes>(g: &Guarded<R>, py: Python<'_>) -> PyResult<()> {
    g.with(py, |value, _| {
        let size = value.itemsize();
        let bytes = value.list_bytes().as_mut_slice();
        bytes.reverse();
        if size > 1 {
            bytes.chunks_exact_mut(size).for_each(<[u8]>::reverse);
        }
        Ok(())
    })
}

/// A copy of the list's bytes in a new `picoring::PicoList<u8>`, copied from list to list under
/// the lock (no Python object is made there; long copies release the GIL).
pub(crate) fn copy_bytes<R: ListBytes>(g: &Guarded<R>, py: Python<'_>) -> PyResult<PicoList<u8>> {
    copy_with(g, py, |_| ()).map(|((), copy)| copy)
}

/// [`copy_bytes`], with what `also` reads from the value under the same lock.
pub(crate) fn copy_with<R: ListBytes, T>(
    g: &Guarded<R>,
    py: Python<'_>,
    also: impl FnOnce(&R) -> T,
) -> PyResult<(T, PicoList<u8>)> {
    g.with(py, |value, _| {
        let extra = also(value);
        let src = value.list_bytes();
        let mut copy = PicoList::new().map_err(to_py_err)?;
        fill(py, &mut copy, src)?;
        Ok((extra, copy))
    })
}

/// Appends `bytes` to `list`, which the caller has to itself: a list no Python object holds
/// yet (no lock to take, no export to check), or one whose lock it holds and whose growth it
/// checked. Long copies release the GIL.
pub(crate) fn fill(py: Python<'_>, list: &mut PicoList<u8>, bytes: &[u8]) -> PyResult<()> {
    if bytes.len() >= DETACH_BYTES {
        py.detach(|| list.extend_from_slice(bytes))
    } else {
        list.extend_from_slice(bytes)
    }
    .map_err(to_py_err)
}

/// The count of `lst * n`: `TypeError` for anything but an integer, as the built-ins raise
/// (also when the operator method is called directly).
pub(crate) fn repeat_count(n: &Bound<'_, PyAny>) -> PyResult<isize> {
    // SAFETY: `n` is a valid object; PyIndex_Check only reads its type (as CPython's sequence
    // repeat checks its count).
    if n.is_instance_of::<pyo3::types::PyFloat>() || unsafe { ffi::PyIndex_Check(n.as_ptr()) } == 0
    {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "can't multiply sequence by non-int of type '{}'",
            n.get_type().name()?
        )));
    }
    // Saturates, as CPython's sequences clamp the count to Py_ssize_t before failing on memory
    // (a NULL exception type clamps instead of raising; `__index__`'s own errors propagate).
    // SAFETY: as above.
    let count = unsafe { ffi::PyNumber_AsSsize_t(n.as_ptr(), std::ptr::null_mut()) };
    match PyErr::take(n.py()) {
        Some(err) if count == -1 => Err(err),
        _ => Ok(count),
    }
}

/// `lst *= n`: the items repeated `n` times in place (`n <= 0` empties the list, refused while
/// a view is alive; growing is not: the items never move).
pub(crate) fn repeat<R: ListBytes>(g: &Guarded<R>, py: Python<'_>, n: isize) -> PyResult<()> {
    g.with(py, |value, _| {
        let list = value.list_bytes();
        let len = list.len();
        if n <= 0 {
            if len > 0 {
                g.exports.check_no_readers()?;
                list.truncate(0);
            }
            return Ok(());
        }
        let total = len
            .checked_mul(n as usize)
            .filter(|&t| t <= list.max_capacity())
            .ok_or_else(|| {
                pyo3::exceptions::PyMemoryError::new_err("repeated list is too large")
            })?;
        check_growth(list, &g.exports, total - len)?;
        list.reserve(total - len).map_err(to_py_err)?;
        // Doubling: each round copies what is there (one memcpy), then the remainder.
        while list.len() < total {
            let have = list.len();
            let take = have.min(total - have);
            if take >= DETACH_BYTES {
                py.detach(|| list.extend_from_within(..take))
            } else {
                list.extend_from_within(..take)
            }
            .map_err(to_py_err)?;
        }
        Ok(())
    })
}

/// `IndexError` for an index outside the list named `name`.
pub(crate) fn out_of_range(name: &str) -> PyErr {
    PyIndexError::new_err(format!("{name} index out of range"))
}

/// Counts a reader export of every item and returns where they are. They stay in place
/// while the count lives: appends never move them on the native backends (and are refused on
/// the moving heap fallback), and every call that would remove or move them checks it.
pub(crate) fn lend<R: ListBytes>(g: &Guarded<R>, py: Python<'_>) -> PyResult<Region> {
    Ok(lend_with(g, py, |_| ())?.0)
}

/// [`lend`], also returning what `read` reads from the value under the same lock.
pub(crate) fn lend_with<R: ListBytes, T>(
    g: &Guarded<R>,
    py: Python<'_>,
    read: impl FnOnce(&R) -> T,
) -> PyResult<(Region, T)> {
    g.with(py, |value, _| {
        let read = read(value);
        let list = value.list_bytes();
        g.exports.add(false);
        let region = Region {
            ptr: list.as_mut_ptr(),
            len: list.len(),
        };
        Ok((region, read))
    })
}

/// Resolves a possibly negative index against `len`.
pub(crate) fn position(index: isize, len: usize) -> Option<usize> {
    let i = if index < 0 {
        len.checked_sub(index.unsigned_abs())?
    } else {
        index as usize
    };
    (i < len).then_some(i)
}

/// A slice's start, stop and step as plain numbers: their `__index__` (arbitrary Python code)
/// runs here, before any lock is taken (code that used this list there would wait for the lock
/// forever); [`Slice::positions`] then resolves them against a length without calling Python.
#[derive(Clone, Copy)]
pub(crate) struct Slice {
    start: isize,
    stop: isize,
    step: isize,
}

impl Slice {
    pub(crate) fn new(slice: &Bound<'_, PySlice>) -> PyResult<Self> {
        let (mut start, mut stop, mut step) = (0, 0, 0);
        // SAFETY: `slice` is a slice object and the out-pointers are valid; on failure an
        // exception is set (a bad `__index__`, a zero step).
        let rc = unsafe { ffi::PySlice_Unpack(slice.as_ptr(), &mut start, &mut stop, &mut step) };
        if rc < 0 {
            return Err(PyErr::fetch(slice.py()));
        }
        Ok(Slice { start, stop, step })
    }

    /// The first position, the step and how many positions the slice selects in a sequence of
    /// `len` items (`slice.indices`).
    pub(crate) fn indices(self, len: usize) -> (usize, isize, usize) {
        let (mut start, mut stop) = (self.start, self.stop);
        // SAFETY: pure arithmetic on the numbers passed; `len` is a length of memory we hold,
        // so it fits an isize, and the step is not zero (checked by `PySlice_Unpack`).
        let n =
            unsafe { ffi::PySlice_AdjustIndices(len as isize, &mut start, &mut stop, self.step) };
        // Adjusted, `start` lies in 0..=len (0..len when anything is selected).
        (start.max(0) as usize, self.step, n.max(0) as usize)
    }

    /// The positions the slice selects in a sequence of `len` items, in order.
    pub(crate) fn positions(self, len: usize) -> impl Iterator<Item = usize> {
        let (start, step, n) = self.indices(len);
        // Every position is in 0..len.
        (0..n).map(move |k| (start as isize + k as isize * step) as usize)
    }
}

/// A list class that looks up the item at an index under its own lock.
pub(crate) trait ItemAt {
    /// What one item is handed to Python as.
    type Item<'py>;

    /// The item at `i`, or `None` past the end (errors: the list is closed, or was lost in a fork).
    fn item_at<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Option<Self::Item<'py>>>;
}

/// `True` or `False` as an object, for an `__eq__` that may also return `NotImplemented`.
pub(crate) fn py_bool(py: Python<'_>, value: bool) -> Py<PyAny> {
    PyBool::new(py, value).to_owned().into_any().unbind()
}

/// The `#[pymethods]` both list classes share (`lst[i] = v` through the class's own `assign`,
/// `clear`, `iter(lst)`), for a list class `$list` that implements [`ItemAt`], and `$iterator`, its frozen iterator class: each `__next__`
/// takes the next index and asks the list for that item, so the iterator holds no lock between
/// items, sees items appended during iteration (as `bytearray`'s and `array.array`'s do) and
/// stops (`StopIteration`) at the current end. Once it has stopped it stays exhausted, as
/// theirs do, even if the list grows afterwards.
macro_rules! list_methods {
    ($list:ty, $iterator:ident as $name:tt) => {
        #[pymethods]
        impl $list {
            /// `lst[i] = v`, and `lst[a:b:c] = items` with as many items as the slice selects
            /// (another length would move the items after it: `ValueError`).
            fn __setitem__(
                &self,
                index: &Bound<'_, PyAny>,
                value: &Bound<'_, PyAny>,
            ) -> PyResult<()> {
                self.assign(index, value)
            }

            /// Removes every item and gives the memory back; refused while a view is alive.
            fn clear(&self, py: Python<'_>) -> PyResult<()> {
                $crate::list::clear(&self.inner, py)
            }

            /// `del lst[i]`, `del lst[a:b:c]`: the items after them move back in place.
            fn __delitem__(&self, index: &Bound<'_, PyAny>) -> PyResult<()> {
                $crate::list::delete(&self.inner, index)
            }

            /// Reverses the items in place.
            fn reverse(&self, py: Python<'_>) -> PyResult<()> {
                $crate::list::reverse(&self.inner, py)
            }

            /// `lst *= n`: the items repeated in place (growing never moves them).
            fn __imul__(&self, py: Python<'_>, n: &Bound<'_, PyAny>) -> PyResult<()> {
                $crate::list::repeat(&self.inner, py, $crate::list::repeat_count(n)?)
            }

            fn __iter__(slf: Bound<'_, Self>) -> $iterator {
                $iterator {
                    list: std::sync::atomic::AtomicPtr::new(slf.into_ptr()),
                    next: std::sync::atomic::AtomicUsize::new(0),
                }
            }
        }

        /// Iterates over a list by index, so items appended during iteration are seen.
        #[pyclass(frozen, module = "picoring._picoring", name = $name)]
        pub(crate) struct $iterator {
            /// The list, one strong reference, until the first `StopIteration` swaps it for
            /// null and drops it (so an exhausted iterator keeps no list alive). An atomic
            /// pointer rather than a mutex: one load per item. Read and swapped only with
            /// the thread attached, and the reference taken right after the load (see
            /// `list`), with no Python call in between.
            list: std::sync::atomic::AtomicPtr<pyo3::ffi::PyObject>,
            next: std::sync::atomic::AtomicUsize,
        }

        impl Drop for $iterator {
            fn drop(&mut self) {
                let list = std::mem::replace(self.list.get_mut(), std::ptr::null_mut());
                if !list.is_null() {
                    // SAFETY: the iterator owned this strong reference; it is given back once,
                    // with the thread attached (PyO3 drops a pyclass's value there).
                    Python::attach(|py| drop(unsafe { Bound::from_owned_ptr(py, list) }));
                }
            }
        }

        #[pymethods]
        impl $iterator {
            fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
                slf
            }

            /// Pickles as `iter(list)` and the next position (`iter(())` once exhausted), as
            /// `array.array`'s iterator does.
            fn __reduce__<'py>(
                &self,
                py: Python<'py>,
            ) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
                use std::sync::atomic::Ordering;
                let iter = py.import("builtins")?.getattr("iter")?;
                let Some(list) = self.list(py) else {
                    let empty = pyo3::types::PyTuple::empty(py);
                    return (iter, (empty,)).into_pyobject(py);
                };
                let next = self.next.load(Ordering::Relaxed);
                (iter, (list,), next).into_pyobject(py)
            }

            fn __setstate__(&self, next: usize) {
                self.next.store(next, std::sync::atomic::Ordering::Relaxed);
            }

            fn __next__<'py>(
                &self,
                py: Python<'py>,
            ) -> PyResult<Option<<$list as $crate::list::ItemAt>::Item<'py>>> {
                use std::sync::atomic::Ordering;
                let Some(list) = self.list(py) else {
                    return Ok(None);
                };
                // A load and a store, not a read-modify-write: this thread holds the GIL
                // from one to the other (no Python call between), so no other `__next__`
                // runs in between (see `list`).
                let i = self.next.load(Ordering::Relaxed);
                self.next.store(i + 1, Ordering::Relaxed);
                let item = $crate::list::ItemAt::item_at(list.get(), py, i)?;
                if item.is_none() {
                    // Exhausted for good: the iterator's reference is given back (by the one
                    // thread whose swap finds it).
                    let owned = self.list.swap(std::ptr::null_mut(), Ordering::AcqRel);
                    if !owned.is_null() {
                        // SAFETY: the iterator's strong reference, now removed from it.
                        drop(unsafe { Bound::from_owned_ptr(py, owned) });
                    }
                }
                Ok(item)
            }
        }

        impl $iterator {
            /// The list (a new reference), unless the iterator is exhausted.
            fn list<'py>(&self, py: Python<'py>) -> Option<Bound<'py, $list>> {
                let list = self.list.load(std::sync::atomic::Ordering::Acquire);
                if list.is_null() {
                    return None;
                }
                // SAFETY: a non-null pointer is the iterator's strong reference to a `$list`.
                // Only a thread holding the GIL swaps it out and drops it (abi3 builds run
                // only on interpreters with a GIL), and this thread holds the GIL from the
                // load to the new reference taken here, so the object is alive meanwhile.
                Some(unsafe { Bound::from_borrowed_ptr(py, list).cast_into_unchecked() })
            }
        }
    };
}

pub(crate) use list_methods;
