//! `PicoList(typecode)`: an `array.array` that grows in place and never moves, so memoryviews
//! and numpy arrays over it stay valid while it grows.
//!
//! The items live as native bytes in a `picoring::PicoList<u8>` (its base is page-aligned and
//! its length a multiple of the item size, so every item is aligned); the typecode decides how
//! Python numbers are converted, with `array.array`'s exceptions.

use std::ffi::c_int;

use picoring::PicoList;
use pyo3::exceptions::{PyIndexError, PyMemoryError, PyOverflowError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PySlice, PyString, PyTuple, PyType};
use pyo3::PyClass;

use crate::export::{Access, Export};
use crate::guard::{count, guarded_class, to_py_err, Guarded};
use crate::input::{index_arg, ByteInput};
use crate::list::{self, list_methods, position, py_bool, ItemAt, ListBytes, Slice};
use crate::typecode::{Fast, TypeCode};

/// The list's bytes and how to read them.
pub(crate) struct Typed {
    bytes: PicoList<u8>,
    code: TypeCode,
}

impl Typed {
    fn len(&self) -> usize {
        self.bytes.len() / self.code.itemsize()
    }

    fn item(&self, i: usize) -> &[u8] {
        let size = self.code.itemsize();
        &self.bytes[i * size..(i + 1) * size]
    }

    /// A copy of the item at `i`, to convert to a number once the lock is released.
    fn raw(&self, i: usize) -> Raw {
        let item = self.item(i);
        let mut bytes = [0; 8];
        bytes[..item.len()].copy_from_slice(item);
        Raw {
            code: self.code,
            bytes,
        }
    }

    fn item_mut(&mut self, i: usize) -> &mut [u8] {
        let size = self.code.itemsize();
        &mut self.bytes.as_mut_slice()[i * size..(i + 1) * size]
    }
}

/// One item's native bytes (at most 8) and typecode, copied out from under the lock: numbers
/// are Python objects, and none is allocated under a lock (a garbage collection started there
/// could run a finalizer that uses the same list).
struct Raw {
    code: TypeCode,
    bytes: [u8; 8],
}

impl Raw {
    fn load<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.code.load(py, &self.bytes[..self.code.itemsize()])
    }
}

impl ListBytes for Typed {
    const ITEMS: &'static str = "items";

    fn list_bytes(&mut self) -> &mut PicoList<u8> {
        &mut self.bytes
    }

    fn itemsize(&self) -> usize {
        self.code.itemsize()
    }
}

/// Items converted per lock when extending from a Python iterable: Python code (a generator)
/// runs between chunks, never under the lock.
const CHUNK_ITEMS: usize = 16 * 1024;

fn out_of_range() -> PyErr {
    list::out_of_range("PicoList")
}

guarded_class! {
    /// A typed list over reserved address space (`array.array`'s typecodes): appending never
    /// moves existing items, so it keeps growing while a memoryview or numpy array looks at it.
    #[pyclass(name = "PicoList", sequence)]
    struct TypedList(Typed), len: |typed| typed.len()
}

list_methods!(TypedList, TypedListIter as "PicoListIterator");

// A direct method: one call per item, where PyO3's call machinery cost more than the append
// (see `direct`).
crate::direct::direct_method!(
    /// Appends one number (`TypeError`/`OverflowError` as `array.array`).
    TypedList, fn append_method = "append" "($self, value, /)",
    one_arg |slf, value| {
        slf.get().append(slf.py(), value)?;
        Ok(slf.py().None().into_bound(slf.py()))
    }
);

impl TypedList {
    /// Appends one number (`TypeError`/`OverflowError` as `array.array`).
    fn append(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        // An exact int or float is read without Python code, so it is converted under the
        // lock that appends it: one lock instead of two (one to read the typecode).
        if let Some(number) = Fast::of(value) {
            let appended = self.inner.with(py, |typed, _| {
                let Some(item) = typed.code.item_fast(number) else {
                    return Ok(false);
                };
                list::append_locked(&mut typed.bytes, &self.inner.exports, py, &item)?;
                Ok(true)
            })?;
            if appended {
                return Ok(());
            }
        }
        let raw = self.code(py)?.item(value)?;
        list::append(&self.inner, py, &raw)
    }

    fn code(&self, py: Python<'_>) -> PyResult<TypeCode> {
        self.inner.with(py, |typed, _| Ok(typed.code))
    }

    /// Native bytes of `data`: a buffer of this typecode's format is copied as is (one
    /// memcpy), anything else is iterated and converted item by item.
    fn bytes_of(code: TypeCode, data: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
        if let Some(input) = Self::matching_buffer(code, data) {
            return Ok(input.bytes().to_vec());
        }
        let mut out = Vec::new();
        code.store_from_iter(&mut data.try_iter()?, &mut out, usize::MAX)?;
        Ok(out)
    }

    /// `array.array.extend` takes another array only of the same typecode (`TypeError`
    /// otherwise, even where the items would convert); so does `PicoList.extend`, for an
    /// `array.array` or a `PicoList`.
    fn check_same_kind(py: Python<'_>, code: TypeCode, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let other = if let Ok(list) = data.cast::<TypedList>() {
            list.get().code(py)?.code
        } else if data.is_instance(array_type(py)?)? {
            data.getattr("typecode")?.extract::<char>()?
        } else {
            return Ok(());
        };
        if other == code.code {
            Ok(())
        } else {
            Err(PyTypeError::new_err(
                "can only extend with array of same kind",
            ))
        }
    }

    /// `data` as a C-contiguous buffer of this typecode's format, if it is one.
    fn matching_buffer<'py>(code: TypeCode, data: &Bound<'py, PyAny>) -> Option<ByteInput<'py>> {
        if data.is_instance_of::<PyString>() {
            return None;
        }
        let input = ByteInput::new(data).ok()?;
        let matches = match &input {
            ByteInput::Bytes(_) => code.matches(c"B"),
            ByteInput::Buffer(buffer) => code.matches(buffer.format()),
        };
        matches.then_some(input)
    }

    /// A new `array.array` of this typecode holding `bytes` (what slicing returns: a copy, as
    /// `PicoListByte` slices are `bytes`; a new reservation per slice would cost a mapping).
    fn new_array<'py>(
        py: Python<'py>,
        code: TypeCode,
        bytes: &[u8],
    ) -> PyResult<Bound<'py, PyAny>> {
        let array = array_type(py)?.call1((code.code,))?;
        array.call_method1("frombytes", (PyBytes::new(py, bytes),))?;
        Ok(array)
    }

    /// A `range` whose numbers lie within i128 is generated in Rust, without a Python int per
    /// item, storing exactly what `array.array(typecode).extend(range)` stores: the numbers
    /// that fit are a prefix (a range is monotonic), appended before the `OverflowError` for
    /// the first that does not, as `array.array` appends items up to a failing one. Returns
    /// `false`, appending nothing, for anything else, left to the item-by-item path.
    fn extend_from_range(
        &self,
        py: Python<'_>,
        code: TypeCode,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        static RANGE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        let range = RANGE.import(py, "builtins", "range")?;
        if !data.is_exact_instance(range) {
            return Ok(false);
        }
        let ends = (
            data.getattr("start")?.extract::<i128>(),
            data.getattr("step")?.extract::<i128>(),
            data.len(),
        );
        let (Ok(start), Ok(step), Ok(len)) = ends else {
            return Ok(false);
        };
        if len == 0 {
            return Ok(true);
        }
        // Every number lies between the first and the last: within i128 when the last is.
        let last = i128::try_from(len - 1)
            .ok()
            .and_then(|n| n.checked_mul(step))
            .and_then(|span| span.checked_add(start));
        if last.is_none() {
            return Ok(false);
        }
        let fit = code.range_prefix(start, step, len);
        let size = code.itemsize();
        // More than the reservation can ever take: refused before anything is appended.
        let room = self.inner.with(py, |typed, _| {
            Ok(typed.bytes.max_capacity() - typed.bytes.len())
        })?;
        if !matches!(fit.checked_mul(size), Some(bytes) if bytes <= room) {
            return Err(PyMemoryError::new_err(format!(
                "{fit} items do not fit in the list's reservation ({} more fit)",
                room / size
            )));
        }
        let mut bytes = Vec::new();
        let mut done = 0;
        while done < fit {
            let n = CHUNK_ITEMS.min(fit - done);
            bytes.clear();
            // `done < fit <= len`, so this number lies between the ends: within i128.
            if !code.store_range(start + done as i128 * step, step, n, &mut bytes) {
                return Err(PyOverflowError::new_err("range item out of range"));
            }
            list::append(&self.inner, py, &bytes)?;
            done += n;
        }
        if fit < len {
            let value = start + fit as i128 * step;
            return Err(PyOverflowError::new_err(format!(
                "{value} is out of range for typecode '{}'",
                code.code
            )));
        }
        Ok(true)
    }

    /// The first `limit` items as a Python list, and the length: a snapshot, as if taken under
    /// one lock, though no Python object is allocated under the lock (a garbage collection
    /// started there could run a finalizer that uses this list).
    ///
    /// The list is allocated first (a collection may run there), then the items are copied out
    /// a chunk per lock and converted between chunks. Converting numbers starts no collection
    /// and runs no Python code, and this thread keeps the GIL from the first chunk to the last,
    /// so no other thread can change the list in between: any change needs the GIL, and a
    /// thread that took the lock in between to wait for the GIL makes the next chunk's
    /// `try_with` fail. Then, or if the length changed before the first chunk, the whole
    /// snapshot is copied under one lock instead (no fresh memory is touched otherwise: a
    /// snapshot of a large list costs page faults).
    fn head<'py>(&self, py: Python<'py>, limit: usize) -> PyResult<(Bound<'py, PyList>, usize)> {
        /// Bytes copied per lock.
        const CHUNK: usize = 16 * 1024;
        let (code, len) = self
            .inner
            .with(py, |typed, _| Ok((typed.code, typed.len())))?;
        let size = code.itemsize();
        let n = len.min(limit);
        let list = new_list(py, n)?;
        let mut chunk = [0u8; CHUNK];
        let per_chunk = CHUNK / size;
        let mut done = 0;
        while done < n {
            let k = per_chunk.min(n - done);
            let mut copy = |typed: &mut Typed| {
                if typed.len() != len {
                    return false;
                }
                chunk[..k * size].copy_from_slice(&typed.bytes[done * size..(done + k) * size]);
                true
            };
            let copied = if done == 0 {
                self.inner.with(py, |typed, _| Ok(copy(typed)))?
            } else {
                self.inner.try_with(|typed| Ok(copy(typed)))? == Some(true)
            };
            if !copied {
                return self.head_snapshot(py, limit);
            }
            for (i, raw) in chunk[..k * size].chunks_exact(size).enumerate() {
                set_item(&list, done + i, code.load(py, raw)?);
            }
            done += k;
        }
        Ok((list, len))
    }

    /// [`TypedList::head`] from one copy of the items taken under one lock.
    fn head_snapshot<'py>(
        &self,
        py: Python<'py>,
        limit: usize,
    ) -> PyResult<(Bound<'py, PyList>, usize)> {
        let (code, raw, len) = self.inner.with(py, |typed, _| {
            let size = typed.code.itemsize();
            let shown = typed.len().min(limit) * size;
            Ok((typed.code, typed.bytes[..shown].to_vec(), typed.len()))
        })?;
        let size = code.itemsize();
        let list = new_list(py, raw.len() / size)?;
        for (i, raw) in raw.chunks_exact(size).enumerate() {
            set_item(&list, i, code.load(py, raw)?);
        }
        Ok((list, len))
    }

    fn to_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        Ok(self.head(py, usize::MAX)?.0)
    }
}

#[pymethods]
impl TypedList {
    /// `PicoList(typecode="B", initial=None, max_capacity=None)`: `initial` is an iterable of
    /// numbers or a buffer; `max_capacity` bounds the reservation in items, as the
    /// `max_capacity()` method counts (default: the smaller of 64 GiB and RAM+swap of address
    /// space, less once lists hold 32 TiB of it; reserved, not used, at the first append).
    #[new]
    #[pyo3(
        signature = (typecode=None, initial=None, max_capacity=None),
        text_signature = "(typecode='B', initial=None, max_capacity=None)"
    )]
    fn new(
        py: Python<'_>,
        typecode: Option<&Bound<'_, PyAny>>,
        initial: Option<&Bound<'_, PyAny>>,
        max_capacity: Option<isize>,
    ) -> PyResult<Self> {
        let code = match typecode {
            Some(code) => TypeCode::from_py(code)?,
            None => TypeCode::from_py(&PyString::new(py, "B"))?,
        };
        let bytes = match max_capacity {
            None => PicoList::new(),
            // Counted in items, as `max_capacity()` reports it.
            Some(n) => PicoList::with_max_capacity(
                count(n, "max_capacity")?
                    .checked_mul(code.itemsize())
                    .ok_or_else(|| {
                        pyo3::exceptions::PyMemoryError::new_err("max_capacity is too large")
                    })?,
            ),
        }
        .map_err(to_py_err)?;
        let this = TypedList {
            inner: Guarded::new(<Self as PyClass>::NAME, Typed { bytes, code }),
        };
        if let Some(initial) = initial {
            this.extend(py, initial)?;
        }
        Ok(this)
    }

    /// The typecode, as in `array.array`.
    #[getter]
    fn typecode(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.code(py)?.code.to_string())
    }

    /// Bytes per item.
    #[getter]
    fn itemsize(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.code(py)?.itemsize())
    }

    /// Items that fit in the memory committed so far.
    fn capacity(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |typed, _| {
            Ok(typed.bytes.capacity() / typed.code.itemsize())
        })
    }

    /// The most items the reservation can ever hold.
    fn max_capacity(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner.with(py, |typed, _| {
            Ok(typed.bytes.max_capacity() / typed.code.itemsize())
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        /// Longer lists show their first items only (array.array would print all of them).
        const SHOWN: usize = 1000;
        if self.inner.is_closed(py) {
            return Ok("<picoring.PicoList closed>".into());
        }
        let code = self.code(py)?;
        let (items, len) = self.head(py, SHOWN)?;
        if len == 0 {
            return Ok(format!("PicoList('{}')", code.code));
        }
        let shown = items.repr()?.to_string();
        Ok(if len > SHOWN {
            format!(
                "PicoList('{}', {}, ...]) with {len} items",
                code.code,
                &shown[..shown.len() - 1]
            )
        } else {
            format!("PicoList('{}', {shown})", code.code)
        })
    }

    /// Upstream 0.6 name of `append`.
    fn push(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.append(py, value)
    }

    /// Appends a buffer of the same format in one copy (numpy arrays, `array.array`, another
    /// `PicoList`), or every number of an iterable. As with `array.array`, an iterable that
    /// fails part way leaves the items before the failure appended.
    fn extend(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let code = self.code(py)?;
        Self::check_same_kind(py, code, data)?;
        if let Some(input) = Self::matching_buffer(code, data) {
            return list::append(&self.inner, py, input.bytes());
        }
        if self.extend_from_range(py, code, data)? {
            return Ok(());
        }
        let mut items = data.try_iter()?;
        let mut chunk = Vec::new();
        loop {
            chunk.clear();
            let exhausted = code.store_from_iter(&mut items, &mut chunk, CHUNK_ITEMS);
            // Items converted before a failure stay appended, as with array.array.
            list::append(&self.inner, py, &chunk)?;
            if exhausted? {
                return Ok(());
            }
        }
    }

    /// Inserts `value` before `index` (clamped, as `list.insert`). O(n): the items after it
    /// move one place (a memmove); refused (`BufferError`) while a view is alive.
    fn insert(&self, py: Python<'_>, index: isize, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let raw = self.code(py)?.item(value)?;
        self.inner.with(py, |typed, _| {
            self.inner.exports.check_no_readers()?;
            let len = typed.len();
            let at = if index < 0 {
                len.saturating_sub(index.unsigned_abs())
            } else {
                (index as usize).min(len)
            };
            let size = raw.len();
            typed.bytes.extend_from_slice(&raw).map_err(to_py_err)?;
            let bytes = typed.bytes.as_mut_slice();
            bytes.copy_within(at * size..len * size, (at + 1) * size);
            bytes[at * size..(at + 1) * size].copy_from_slice(&raw);
            Ok(())
        })
    }

    /// Removes and returns the item at `index` (the last by default). O(1) for the last item,
    /// O(n) otherwise (the items after it move back a place); refused while a view is alive.
    #[pyo3(signature = (index=-1), text_signature = "($self, index=-1)")]
    fn pop<'py>(&self, py: Python<'py>, index: isize) -> PyResult<Bound<'py, PyAny>> {
        self.inner
            .with(py, |typed, _| {
                let len = typed.len();
                if len == 0 {
                    return Err(PyIndexError::new_err("pop from empty PicoList"));
                }
                let i = position(index, len).ok_or_else(out_of_range)?;
                self.inner.exports.check_no_readers()?;
                let value = typed.raw(i);
                let size = typed.code.itemsize();
                typed
                    .bytes
                    .as_mut_slice()
                    .copy_within((i + 1) * size..len * size, i * size);
                typed.bytes.truncate((len - 1) * size);
                Ok(value)
            })?
            .load(py)
    }

    /// The item at `index`, or `None` out of range (upstream 0.6 behaviour; `lst[i]` raises).
    fn get<'py>(&self, py: Python<'py>, index: isize) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .with(py, |typed, _| {
                Ok(position(index, typed.len()).map(|i| typed.raw(i)))
            })?
            .map(|raw| raw.load(py))
            .transpose()
    }

    /// Sets the item at `index`; `False` out of range (upstream 0.6 behaviour).
    fn set(&self, py: Python<'_>, index: isize, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let raw = self.code(py)?.item(value)?;
        self.inner.with(py, |typed, _| {
            Ok(match position(index, typed.len()) {
                Some(i) => {
                    typed.item_mut(i).copy_from_slice(&raw);
                    true
                }
                None => false,
            })
        })
    }

    /// Every item as a `list` of Python numbers.
    fn tolist<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.to_list(py)
    }

    /// `lst[i]` (negative indices count from the end) or `lst[a:b:c]` (a copy, as an
    /// `array.array` of the same typecode).
    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if let Ok(slice) = index.cast::<PySlice>() {
            // Slice bounds' `__index__` runs here, before the lock.
            let slice = Slice::new(slice)?;
            let (code, picked) = self.inner.with(py, |typed, _| {
                let size = typed.code.itemsize();
                let (start, step, n) = slice.indices(typed.len());
                let picked = if step == 1 {
                    typed.bytes[start * size..(start + n) * size].to_vec()
                } else {
                    slice
                        .positions(typed.len())
                        .flat_map(|i| typed.item(i).iter().copied())
                        .collect()
                };
                Ok((typed.code, picked))
            })?;
            return Self::new_array(py, code, &picked);
        }
        let index = index_arg(index)?;
        self.inner
            .with(py, |typed, _| {
                let i = position(index, typed.len()).ok_or_else(out_of_range)?;
                Ok(typed.raw(i))
            })?
            .load(py)
    }

    /// Equal to a `PicoList`, `array.array`, `list` or `tuple` holding equal numbers in order.
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let code = self.code(py)?;
        let is_array = other.is_instance_of::<TypedList>() || other.is_instance(array_type(py)?)?;
        if is_array {
            if let Some(input) = Self::matching_buffer(code, other) {
                let eq = self
                    .inner
                    .with(py, |typed, _| Ok(code.equal(&typed.bytes, input.bytes())))?;
                return Ok(py_bool(py, eq));
            }
        } else if !other.is_instance_of::<PyList>() && !other.is_instance_of::<PyTuple>() {
            return Ok(py.NotImplemented());
        }
        let other = PyList::new(py, other.try_iter()?.collect::<PyResult<Vec<_>>>()?)?;
        Ok(py_bool(py, self.to_list(py)?.eq(other)?))
    }

    /// A writable typed export of every item (format = typecode, as `array.array`'s); counted
    /// until released. Its `obj` is a small exporter object that keeps this list alive.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let this = slf.get();
        let code = this.code(slf.py())?;
        let region = list::lend(&this.inner, slf.py())?;
        let exports = this.inner.exports.clone();
        let export = Export::new(slf.as_any(), exports, region, code, 0, Access::Write)?;
        // SAFETY: forwarded from CPython's call.
        unsafe { Export::fill(&export, view, flags) }
    }
}

/// A new list of `n` empty slots, each filled once by [`set_item`] before Python sees it.
fn new_list(py: Python<'_>, n: usize) -> PyResult<Bound<'_, PyList>> {
    // SAFETY: PyList_New returns a new list of `n` empty (NULL) slots, or NULL with an exception
    // set; `n` counts items of memory we hold, so it fits an isize. A list left part-filled by
    // an error is freed safely (its deallocation skips empty slots) and never reaches Python.
    unsafe {
        Ok(
            Bound::from_owned_ptr_or_err(py, ffi::PyList_New(n as isize))?
                .cast_into_unchecked::<PyList>(),
        )
    }
}

/// Fills the empty slot `i` of a list from [`new_list`].
fn set_item(list: &Bound<'_, PyList>, i: usize, item: Bound<'_, PyAny>) {
    // SAFETY: `i` is within the list and its slot is still empty; PyList_SetItem steals the
    // reference (and cannot fail for an index in range).
    unsafe { ffi::PyList_SetItem(list.as_ptr(), i as isize, item.into_ptr()) };
}

/// `array.array`, looked up once.
fn array_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static ARRAY: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    ARRAY.import(py, "array", "array")
}

impl TypedList {
    /// `lst[i] = v`, and `lst[a:b:c] = items` (a buffer of the same format, or numbers). The
    /// value is converted outside the lock, but reported after the index check, as
    /// `array.array` does (`a[5] = 300` on a one-item 'b' array is an IndexError).
    fn assign(&self, index: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let code = self.code(index.py())?;
        let many = || Self::bytes_of(code, value);
        list::set_item(&self.inner, index, many, || Ok(code.item(value)))
    }
}

impl ItemAt for TypedList {
    type Item<'py> = Bound<'py, PyAny>;

    fn item_at<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .with(py, |typed, _| Ok((i < typed.len()).then(|| typed.raw(i))))?
            .map(|raw| raw.load(py))
            .transpose()
    }
}
