//! What the two list classes, `PicoListByte` and `PicoList`, share on the Python side: both
//! keep their items as native bytes in a `picoring::PicoList<u8>` ([`ListBytes`]), which they
//! append to and clear the same way; an iterator that walks the list by index (so items
//! appended during iteration are seen, as with `bytearray` and `array.array`); and the
//! `True`/`False` answer of `__eq__`.

use picoring::PicoList as List;
use pyo3::prelude::*;
use pyo3::types::PyBool;

use crate::guard::{to_py_err, Exports, Guarded, DETACH_BYTES};

/// The value behind a list class: its items, as native bytes that never move.
pub(crate) trait ListBytes {
    /// The `picoring::PicoList<u8>` that holds the items.
    fn list_bytes(&mut self) -> &mut List<u8>;
}

impl ListBytes for List<u8> {
    fn list_bytes(&mut self) -> &mut List<u8> {
        self
    }
}

/// Growth never moves the bytes on the native backends; on the heap fallback (Miri, exotic
/// targets) it would, so there growing past the capacity is refused while a view is alive.
pub(crate) fn check_growth(list: &List<u8>, exports: &Exports, additional: usize) -> PyResult<()> {
    if !List::<u8>::grows_in_place() && list.capacity() - list.len() < additional {
        exports.check_no_readers()?;
    }
    Ok(())
}

/// Appends `src` (whole items) to the list, all or nothing. The copy releases the GIL when it
/// is long.
pub(crate) fn append<R: ListBytes>(g: &Guarded<R>, py: Python<'_>, src: &[u8]) -> PyResult<()> {
    g.with(py, |value, _| {
        let list = value.list_bytes();
        check_growth(list, &g.exports, src.len())?;
        let owned;
        let src = if crate::input::overlaps(src, list.as_ptr(), list.len()) {
            // The list fed to itself: copy first so no slice of the source aliases it.
            owned = src.to_vec();
            &owned[..]
        } else {
            src
        };
        if src.len() >= DETACH_BYTES {
            py.detach(|| list.extend_from_slice(src))
        } else {
            list.extend_from_slice(src)
        }
        .map_err(to_py_err)
    })
}

/// `clear()`: removes every item and gives the memory back; refused while a view is alive.
pub(crate) fn clear<R: ListBytes>(g: &Guarded<R>, py: Python<'_>) -> PyResult<()> {
    g.with(py, |value, _| {
        g.exports.check_none()?;
        value.list_bytes().clear();
        Ok(())
    })
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

/// Defines `$iterator`, the frozen iterator class of the list class `$list` (which implements
/// [`ItemAt`]): each `__next__` takes the next index and asks the list for that item, so the
/// iterator holds no lock between items and stops (`StopIteration`) at the current end. Once
/// it has stopped it stays exhausted, as `bytearray`'s and `array.array`'s iterators do, even
/// if the list grows afterwards.
macro_rules! index_iterator {
    ($(#[$attr:meta])* $iterator:ident over $list:ty) => {
        $(#[$attr])*
        #[pyclass(frozen, module = "picoring._picoring")]
        pub(crate) struct $iterator {
            list: Py<$list>,
            next: std::sync::atomic::AtomicUsize,
            /// Set at the first `StopIteration`.
            exhausted: std::sync::atomic::AtomicBool,
        }

        impl $iterator {
            /// An iterator from the first item of `list`.
            pub(crate) fn new(list: Bound<'_, $list>) -> Self {
                $iterator {
                    list: list.unbind(),
                    next: std::sync::atomic::AtomicUsize::new(0),
                    exhausted: std::sync::atomic::AtomicBool::new(false),
                }
            }
        }

        #[pymethods]
        impl $iterator {
            fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
                slf
            }

            fn __next__<'py>(
                &self,
                py: Python<'py>,
            ) -> PyResult<Option<<$list as $crate::list_items::ItemAt>::Item<'py>>> {
                use std::sync::atomic::Ordering;
                if self.exhausted.load(Ordering::Acquire) {
                    return Ok(None);
                }
                let i = self.next.fetch_add(1, Ordering::Relaxed);
                let item = $crate::list_items::ItemAt::item_at(self.list.get(), py, i)?;
                if item.is_none() {
                    self.exhausted.store(true, Ordering::Release);
                }
                Ok(item)
            }
        }
    };
}

pub(crate) use index_iterator;
