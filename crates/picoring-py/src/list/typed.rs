//! `PicoList(typecode)`: an `array.array` that grows in place and never moves, so memoryviews
//! and numpy arrays over it stay valid while it grows.
//!
//! The items live as native bytes in a `picoring::PicoList<u8>` (its base is page-aligned and
//! its length a multiple of the item size, so every item is aligned); the typecode decides how
//! Python numbers (or, for `u` and `w`, characters) are converted, with `array.array`'s
//! exceptions.

use std::ffi::c_int;

use picoring::PicoList;
use pyo3::basic::CompareOp;
use pyo3::exceptions::{
    PyEOFError, PyIndexError, PyMemoryError, PyOverflowError, PyTypeError, PyValueError,
};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PySlice, PyString, PyTuple, PyType};
use pyo3::PyClass;

use crate::export::{Access, Export};
use crate::guard::{count, guarded_class, to_py_err, Guarded, DETACH_BYTES};
use crate::input::{index_arg, type_name, ByteInput};
use crate::list::{self, list_methods, position, py_bool, ItemAt, ListBytes, Slice};
use crate::typecode::{Fast, Item, TypeCode};

/// The list's bytes and how to read them.
pub(crate) struct Typed {
    bytes: PicoList<u8>,
    code: TypeCode,
}

impl Typed {
    fn len(&self) -> usize {
        list::n_len(self.bytes.len(), self.code.itemsize())
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
    #[pyclass(name = "PicoList", sequence, subclass, weakref)]
    struct TypedList(Typed), len: |typed| typed.len(),
        held: |typed| typed.bytes.capacity() / typed.code.itemsize() * typed.code.itemsize()
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

    /// The items of `data` if it is a short `PicoList` of typecode `code`, copied out under its
    /// lock: cheaper than a buffer export (an exporter object per call). `None` for anything
    /// else, and for a long list, whose export is read in place instead of copied twice.
    fn short_list_bytes(
        py: Python<'_>,
        code: TypeCode,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Vec<u8>>> {
        let Ok(other) = data.cast::<TypedList>() else {
            return Ok(None);
        };
        other.get().inner.with(py, |typed, _| {
            let short = typed.code.code == code.code && typed.bytes.len() < DETACH_BYTES;
            Ok(short.then(|| typed.bytes.to_vec()))
        })
    }

    /// Native bytes of `data`: a buffer of this typecode's format is copied as is (one
    /// memcpy), anything else is iterated and converted item by item.
    fn bytes_of(code: TypeCode, data: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
        if let Some(bytes) = Self::short_list_bytes(data.py(), code, data)? {
            return Ok(bytes);
        }
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
        match Self::array_code(py, data)? {
            Some(other) if other.code != code.code => Err(PyTypeError::new_err(
                "can only extend with array of same kind",
            )),
            _ => Ok(()),
        }
    }

    /// The typecode of a `PicoList` or `array.array`; `None` for anything else.
    fn array_code(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Option<TypeCode>> {
        if let Ok(list) = data.cast::<TypedList>() {
            list.get().code(py).map(Some)
        } else if data.is_instance(array_type(py)?)? {
            let code = data.getattr("typecode")?.extract::<char>()?;
            Ok(TypeCode::from_char_with_text(py, code))
        } else {
            Ok(None)
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
        if code.is_text() {
            // Numbers are no characters: the item-by-item path raises array's TypeError.
            return Ok(false);
        }
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
        /// Bytes copied per lock (zeroed once per call: small lists pay for it).
        const CHUNK: usize = 4 * 1024;
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
            code.load_each(py, &chunk[..k * size], |i, item| {
                set_item(&list, done + i, item)
            })?;
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
        code.load_each(py, &raw, |i, item| set_item(&list, i, item))?;
        Ok((list, len))
    }

    fn to_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        Ok(self.head(py, usize::MAX)?.0)
    }
}

#[pymethods]
impl TypedList {
    /// `PicoList(typecode="B", initial=..., max_capacity=None)`: `initial` is an iterable of
    /// numbers (one-character strs for the text typecodes `u` and `w`, which also take a
    /// `str`) or a buffer (`bytes` and `bytearray` hold native items, as for `array.array`);
    /// `max_capacity` bounds the reservation in items, as the `max_capacity()` method counts
    /// (default: the smaller of 64 GiB and RAM+swap of address space, less once lists hold
    /// 32 TiB of it; reserved, not used, at the first append). A subclass may take other
    /// keyword arguments (for its `__init__`), as `array.array`'s subclasses may.
    #[new]
    #[classmethod]
    #[pyo3(
        signature = (typecode=None, *args, **kwargs),
        text_signature = "(typecode='B', initial=..., max_capacity=None)"
    )]
    fn new(
        cls: &Bound<'_, PyType>,
        typecode: Option<&Bound<'_, PyAny>>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let py = cls.py();
        let exact = cls.is(py.get_type::<TypedList>());
        if args.len() > 2 {
            return Err(PyTypeError::new_err(format!(
                "PicoList() takes at most 3 arguments ({} given)",
                args.len() + 1
            )));
        }
        // Read by position, not `get_item(..).ok()`: a missing item would raise (and build)
        // an IndexError just to be dropped, half the cost of `PicoList('q')`.
        let mut initial = (!args.is_empty()).then(|| args.get_item(0)).transpose()?;
        let mut max_capacity = (args.len() > 1).then(|| args.get_item(1)).transpose()?;
        for (key, value) in kwargs.into_iter().flatten() {
            let slot = match key.extract::<String>()?.as_str() {
                "initial" => &mut initial,
                "max_capacity" => &mut max_capacity,
                _ if !exact => continue,
                other => {
                    return Err(PyTypeError::new_err(format!(
                        "PicoList() got an unexpected keyword argument '{other}'"
                    )))
                }
            };
            if slot.is_some() {
                return Err(PyTypeError::new_err(
                    "PicoList() got multiple values for an argument",
                ));
            }
            *slot = Some(value);
        }
        let code = match typecode {
            Some(code) => TypeCode::from_py_with_text(code)?,
            None => TypeCode::from_py(&PyString::new(py, "B"))?,
        };
        let max_capacity = match max_capacity {
            Some(n) if !n.is_none() => Some(n.extract::<isize>()?),
            _ => None,
        };
        let bytes = match max_capacity {
            None => PicoList::new(),
            // Counted in items, as `max_capacity()` reports it.
            Some(n) => PicoList::with_max_capacity(
                count(n, "max_capacity")?
                    .checked_mul(code.itemsize())
                    .ok_or_else(|| PyMemoryError::new_err("max_capacity is too large"))?,
            ),
        }
        .map_err(to_py_err)?;
        let this = TypedList {
            inner: Guarded::new(<Self as PyClass>::NAME, Typed { bytes, code }),
        };
        if let Some(initial) = initial {
            if initial.is_none() {
                return Err(PyTypeError::new_err(
                    "PicoList() initial items cannot be None",
                ));
            }
            if let Ok(text) = initial.cast::<PyString>() {
                if !code.is_text() {
                    return Err(PyTypeError::new_err(format!(
                        "cannot use a str to initialize a PicoList with typecode '{}'",
                        code.code
                    )));
                }
                this.append_text(py, code, text)?;
                return Ok(this);
            }
            if !code.is_text() && Self::array_code(py, &initial)?.is_some_and(TypeCode::is_text) {
                return Err(PyTypeError::new_err(format!(
                    "cannot use a unicode array to initialize a PicoList with typecode '{}'",
                    code.code
                )));
            }
            if initial.is_instance_of::<PyBytes>() || initial.is_instance_of::<PyByteArray>() {
                this.frombytes(py, &initial)?;
            } else {
                this.extend_items(py, code, &initial)?;
            }
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
        if code.is_text() {
            // The characters as one str, decoded as `tounicode` decodes them (as array.array
            // shows them).
            let (raw, len) = self.inner.with(py, |typed, _| {
                let shown = typed.len().min(SHOWN) * code.itemsize();
                Ok((typed.bytes[..shown].to_vec(), typed.len()))
            })?;
            if len == 0 {
                return Ok(format!("PicoList('{}')", code.code));
            }
            let text = code.decode_text(&PyBytes::new(py, &raw))?;
            let more = if len > SHOWN { " ..." } else { "" };
            return Ok(format!("PicoList('{}', {}{more})", code.code, text.repr()?));
        }
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
        self.extend_items(py, code, data)
    }
}

impl TypedList {
    /// [`TypedList::extend`] without the typecode check (the constructor converts arrays of
    /// another typecode item by item, as `array.array`'s does).
    fn extend_items(
        &self,
        py: Python<'_>,
        code: TypeCode,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        if let Some(bytes) = Self::short_list_bytes(py, code, data)? {
            return list::append(&self.inner, py, &bytes);
        }
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
}

#[pymethods]
impl TypedList {
    /// Inserts `value` before `index` (clamped, as `list.insert`). O(n): the items after it
    /// move one place within the reservation; refused (`BufferError`) while a view is alive.
    fn insert(&self, py: Python<'_>, index: isize, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let raw = self.code(py)?.item(value)?;
        list::insert(&self.inner, py, index, &raw)
    }

    /// Removes and returns the item at `index` (the last by default). O(1) for the last item,
    /// O(n) otherwise (the items after it move back a place; refused while a view is alive).
    #[pyo3(signature = (index=-1), text_signature = "($self, index=-1)")]
    fn pop<'py>(&self, py: Python<'py>, index: isize) -> PyResult<Bound<'py, PyAny>> {
        self.inner
            .with(py, |typed, _| {
                let len = typed.len();
                if len == 0 {
                    return Err(PyIndexError::new_err("pop from empty PicoList"));
                }
                let i = position(index, len)
                    .ok_or_else(|| PyIndexError::new_err("pop index out of range"))?;
                let value = typed.raw(i);
                list::remove_at(&self.inner, typed, i)?;
                Ok(value)
            })?
            .load(py)
    }

    /// Removes the first item equal to `value` (`ValueError` if there is none).
    fn remove(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let needle = self.needle(py, value)?;
        self.inner.with(py, |typed, _| {
            let found = needle.as_ref().and_then(|n| typed.find(n, 0, typed.len()));
            let i =
                found.ok_or_else(|| PyValueError::new_err("PicoList.remove(x): x not in list"))?;
            list::remove_at(&self.inner, typed, i)
        })
    }

    /// The position of the first item equal to `value` within `start:stop` (`ValueError` if
    /// there is none).
    #[pyo3(signature = (value, start=0, stop=isize::MAX), text_signature = "($self, value, start=0, stop=sys.maxsize, /)")]
    fn index(
        &self,
        py: Python<'_>,
        value: &Bound<'_, PyAny>,
        start: isize,
        stop: isize,
    ) -> PyResult<usize> {
        let needle = self.needle(py, value)?;
        self.inner.with(py, |typed, _| {
            let len = typed.len();
            let clamp = |i: isize| {
                if i < 0 {
                    len.saturating_sub(i.unsigned_abs())
                } else {
                    (i as usize).min(len)
                }
            };
            needle
                .as_ref()
                .and_then(|n| typed.find(n, clamp(start), clamp(stop)))
                .ok_or_else(|| PyValueError::new_err("PicoList.index(x): x not in list"))
        })
    }

    /// How many items equal `value`.
    fn count(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<usize> {
        let Some(needle) = self.needle(py, value)? else {
            return Ok(0);
        };
        self.inner.with(py, |typed, _| {
            let size = typed.code.itemsize();
            Ok(typed
                .bytes
                .chunks_exact(size)
                .filter(|item| typed.code.equal(item, &needle))
                .count())
        })
    }

    fn __contains__(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Some(needle) = self.needle(py, value)? else {
            return Ok(false);
        };
        self.inner.with(py, |typed, _| {
            Ok(typed.find(&needle, 0, typed.len()).is_some())
        })
    }

    /// `(address, length in items)` of the items, as `array.array.buffer_info()`: the address
    /// stays the same while the list grows.
    fn buffer_info(&self, py: Python<'_>) -> PyResult<(usize, usize)> {
        self.inner.with(py, |typed, _| {
            Ok((typed.bytes.as_ptr() as usize, typed.len()))
        })
    }

    /// Swaps the byte order of every item in place.
    fn byteswap(&self, py: Python<'_>) -> PyResult<()> {
        self.inner.with(py, |typed, _| {
            typed.code.byteswap(typed.bytes.as_mut_slice());
            Ok(())
        })
    }

    /// The items' native bytes, as `bytes`.
    fn tobytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let len = self.inner.with(py, |typed, _| Ok(typed.bytes.len()))?;
        // The bytes object is allocated before the lock is taken (no allocation under it), and
        // not zeroed first: the copy fills it.
        // SAFETY: with a NULL source, PyBytes_FromStringAndSize returns a new bytes object of
        // `len` bytes, uninitialised (or NULL with an exception set); `len` is a length of
        // memory we hold, so it fits an isize. It reaches Python only once filled below.
        let out = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                ffi::PyBytes_FromStringAndSize(std::ptr::null(), len as isize),
            )?
            .cast_into_unchecked::<PyBytes>()
        };
        // SAFETY: `out` is a bytes object; its buffer has `len` writable bytes until it is shared.
        let dst = unsafe { ffi::PyBytes_AsString(out.as_ptr()) }.cast::<u8>();
        let copied = self.inner.with(py, |typed, _| {
            if typed.bytes.len() != len {
                return Ok(false);
            }
            // SAFETY: both ranges hold `len` bytes; the bytes object is new, so they are disjoint.
            unsafe { std::ptr::copy_nonoverlapping(typed.bytes.as_ptr(), dst, len) };
            Ok(true)
        })?;
        if copied {
            return Ok(out);
        }
        // The list changed length meanwhile (another thread): one copy taken under the lock.
        let bytes = self.inner.with(py, |typed, _| Ok(typed.bytes.to_vec()))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Appends the characters of `text` (typecodes `u` and `w` only), as
    /// `array.array.fromunicode`.
    #[pyo3(signature = (text, /))]
    fn fromunicode(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<()> {
        let text = text.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "fromunicode() argument must be str, not {}",
                type_name(text)
            ))
        })?;
        let code = self.code(py)?;
        if !code.is_text() {
            return Err(TypeCode::not_text(py, "fromunicode"));
        }
        self.append_text(py, code, text)
    }

    /// The characters as a `str` (typecodes `u` and `w` only; `ValueError` for an item beyond
    /// U+10FFFF), as `array.array.tounicode`.
    fn tounicode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        let code = self.code(py)?;
        if !code.is_text() {
            return Err(TypeCode::not_text(py, "tounicode"));
        }
        code.decode_text(&self.tobytes(py)?)
    }

    /// Appends the items held as native bytes in a buffer (its length a multiple of the item
    /// size, else `ValueError`).
    fn frombytes(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        if data.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(
                "a bytes-like object is required, not 'str'",
            ));
        }
        let input = ByteInput::new(data)?;
        let size = self.code(py)?.itemsize();
        if input.bytes().len() % size != 0 {
            return Err(PyValueError::new_err(
                "bytes length not a multiple of item size",
            ));
        }
        list::append(&self.inner, py, input.bytes())
    }

    /// Appends every number of a `list`, all or nothing.
    fn fromlist(&self, py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<()> {
        if !items.is_instance_of::<PyList>() {
            return Err(PyTypeError::new_err("arg must be list"));
        }
        let code = self.code(py)?;
        let bytes = Self::bytes_of(code, items)?;
        list::append(&self.inner, py, &bytes)
    }

    /// Writes the items' native bytes to a file object (its `write` method).
    fn tofile(&self, py: Python<'_>, f: &Bound<'_, PyAny>) -> PyResult<()> {
        /// Bytes per `write` call, as `array.array` writes.
        const BLOCK: usize = 64 * 1024;
        let data = self.tobytes(py)?;
        let bytes = data.as_bytes();
        if bytes.len() <= BLOCK {
            f.call_method1("write", (data,))?;
            return Ok(());
        }
        for block in bytes.chunks(BLOCK) {
            f.call_method1("write", (PyBytes::new(py, block),))?;
        }
        Ok(())
    }

    /// Reads `n` items from a file object (its `read` method) and appends them; `EOFError`
    /// (after appending the whole items read) when the file holds fewer.
    fn fromfile(&self, py: Python<'_>, f: &Bound<'_, PyAny>, n: isize) -> PyResult<()> {
        if n < 0 {
            return Err(PyValueError::new_err("negative count"));
        }
        let size = self.code(py)?.itemsize();
        let want = (n as usize)
            .checked_mul(size)
            .ok_or_else(|| PyMemoryError::new_err("fromfile count is too large"))?;
        let data = f.call_method1("read", (want,))?;
        let data = data
            .cast_into::<PyBytes>()
            .map_err(|_| PyTypeError::new_err("read() didn't return bytes"))?;
        let bytes = data.as_bytes();
        let whole = bytes.len() - bytes.len() % size;
        list::append(&self.inner, py, &bytes[..whole])?;
        if bytes.len() < want {
            return Err(PyEOFError::new_err("read() didn't return enough bytes"));
        }
        Ok(())
    }

    /// A new `PicoList` holding this list's items, then `other`'s (a `PicoList` or
    /// `array.array` of the same typecode).
    fn __add__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<TypedList>> {
        let code = self.code(py)?;
        if !Self::is_array(py, other)? {
            return Err(PyTypeError::new_err(format!(
                "can only concatenate PicoList or array (not \"{}\") to PicoList",
                other.get_type().name()?
            )));
        }
        Self::check_same_kind(py, code, other)?;
        let out = Self::copy(py, &self.inner)?;
        if let Some(bytes) = Self::short_list_bytes(py, code, other)? {
            list::append(&out.get().inner, py, &bytes)?;
            return Ok(out.unbind());
        }
        match Self::matching_buffer(code, other) {
            Some(input) => list::append(&out.get().inner, py, input.bytes())?,
            None => list::append(&out.get().inner, py, &Self::bytes_of(code, other)?)?,
        }
        Ok(out.unbind())
    }

    /// `lst += other`: extends with a `PicoList` or `array.array` of the same typecode.
    fn __iadd__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        if !Self::is_array(py, other)? {
            return Err(PyTypeError::new_err(format!(
                "can only extend PicoList with PicoList or array (not \"{}\")",
                other.get_type().name()?
            )));
        }
        self.extend(py, other)
    }

    /// A new `PicoList` holding the items repeated `n` times (`n <= 0`: empty).
    fn __mul__(&self, py: Python<'_>, n: &Bound<'_, PyAny>) -> PyResult<Py<TypedList>> {
        let n = list::repeat_count(n)?;
        let out = Self::copy(py, &self.inner)?;
        list::repeat(&out.get().inner, py, n)?;
        Ok(out.unbind())
    }

    fn __rmul__(&self, py: Python<'_>, n: &Bound<'_, PyAny>) -> PyResult<Py<TypedList>> {
        self.__mul__(py, n)
    }

    /// Pickles to the same class (subclasses included, with their `__dict__`): for protocols 0
    /// to 2 as `cls(typecode, list of numbers)`, as `array.array` does; from protocol 3 on as
    /// the native bytes with their byte order, through `_picolist_reconstructor`.
    fn __reduce_ex__<'py>(
        slf: &Bound<'py, Self>,
        protocol: isize,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let this = slf.get();
        let code = this.code(py)?.code.to_string();
        let state = match slf.getattr("__dict__") {
            Ok(dict) if dict.len().unwrap_or(0) > 0 => dict,
            _ => py.None().into_bound(py),
        };
        if protocol < 3 {
            let items = this.to_list(py)?;
            return (slf.get_type(), (code, items), state).into_pyobject(py);
        }
        let rebuild = py
            .import("picoring._picoring")?
            .getattr("_picolist_reconstructor")?;
        let order = if cfg!(target_endian = "little") {
            "little"
        } else {
            "big"
        };
        let args = (slf.get_type(), code, order, this.tobytes(py)?);
        (rebuild, args, state).into_pyobject(py)
    }

    /// A copy: of a `PicoList`, made directly (no constructor call, so no `'u'` warning, as
    /// `array.array` copies); of a subclass, through its constructor.
    fn __copy__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        if slf.is_exact_instance_of::<TypedList>() {
            return Ok(Self::copy(py, &this.inner)?.into_any());
        }
        let code = this.code(py)?.code.to_string();
        slf.get_type().call1((code, this.tobytes(py)?))
    }

    fn __deepcopy__<'py>(
        slf: &Bound<'py, Self>,
        _memo: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::__copy__(slf)
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

    /// `lst[i]` (negative indices count from the end) or `lst[a:b:c]` (a copy, as a new
    /// `PicoList` of the same typecode, as `array.array` slices are arrays).
    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if let Ok(slice) = index.cast::<PySlice>() {
            // Slice bounds' `__index__` runs here, before the lock.
            let slice = Slice::new(slice)?;
            // Copied once, straight into the new list's memory, under this list's lock (no
            // Python object is made there; long copies release the GIL).
            let (code, picked) = self.inner.with(py, |typed, _| {
                let size = typed.code.itemsize();
                let (start, step, n) = slice.indices(typed.len());
                let mut picked = PicoList::new().map_err(to_py_err)?;
                if step == 1 {
                    list::fill(
                        py,
                        &mut picked,
                        &typed.bytes[start * size..(start + n) * size],
                    )?;
                } else {
                    picked.reserve(n * size).map_err(to_py_err)?;
                    for i in slice.positions(typed.len()) {
                        picked.extend_from_slice(typed.item(i)).map_err(to_py_err)?;
                    }
                }
                Ok((typed.code, picked))
            })?;
            return Ok(Self::wrap(py, code, picked)?.into_any());
        }
        let index = index_arg(index)?;
        self.inner
            .with(py, |typed, _| {
                let i = position(index, typed.len()).ok_or_else(out_of_range)?;
                Ok(typed.raw(i))
            })?
            .load(py)
    }

    /// Equal to a `PicoList`, `array.array`, `list` or `tuple` holding equal numbers in order;
    /// ordered (`<`, `<=`, ...) against a `PicoList` or `array.array` item by item, as
    /// `array.array` is.
    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let code = self.code(py)?;
        if matches!(op, CompareOp::Eq | CompareOp::Ne) {
            if let Ok(list) = other.cast::<TypedList>() {
                if let Some(eq) = self.equal_native(py, code, list.get())? {
                    return Ok(py_bool(py, eq == matches!(op, CompareOp::Eq)));
                }
            }
        }
        let is_array = Self::is_array(py, other)?;
        if matches!(op, CompareOp::Eq | CompareOp::Ne) {
            if is_array {
                if let Some(input) = Self::matching_buffer(code, other) {
                    let eq = self
                        .inner
                        .with(py, |typed, _| Ok(code.equal(&typed.bytes, input.bytes())))?;
                    return Ok(py_bool(py, eq == matches!(op, CompareOp::Eq)));
                }
            } else if !other.is_instance_of::<PyList>() && !other.is_instance_of::<PyTuple>() {
                return Ok(py.NotImplemented());
            }
        } else if !is_array {
            return Ok(py.NotImplemented());
        }
        let other = PyList::new(py, other.try_iter()?.collect::<PyResult<Vec<_>>>()?)?;
        Ok(self.to_list(py)?.rich_compare(other, op)?.unbind())
    }

    /// A writable typed export of every item (format = typecode, as `array.array`'s); counted
    /// until released. Its `obj` is a small exporter object that keeps this list alive.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let this = slf.get();
        // One lock for the typecode and the region.
        let (region, code) = list::lend_with(&this.inner, slf.py(), |typed| typed.code)?;
        let exports = this.inner.exports.shared();
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

impl Typed {
    /// The first position in `start..stop` of an item equal to `needle` (one item's bytes).
    fn find(&self, needle: &[u8], start: usize, stop: usize) -> Option<usize> {
        let size = self.code.itemsize();
        if start >= stop {
            return None;
        }
        self.bytes[start * size..stop * size]
            .chunks_exact(size)
            .position(|item| self.code.equal(item, needle))
            .map(|i| start + i)
    }
}

impl TypedList {
    /// `value` as one item's bytes, or `None` when it is no number of this typecode (then it
    /// equals no item, as `array.array` finds by comparing numbers).
    fn needle(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Option<Item>> {
        let code = self.code(py)?;
        if code.code == 'f' {
            // A float32 item equals a number only if the number survives rounding to float32
            // (array.array compares the item, widened to a double, with the number).
            match value.extract::<f64>() {
                Ok(v) if f64::from(v as f32) == v || v.is_nan() => {}
                _ => return Ok(None),
            }
        }
        Ok(code.item(value).ok())
    }

    /// Whether this list's items equal `other`'s, compared as native numbers (`code.equal`) when
    /// both lists have the typecode `code`, without making a Python object; `None` for lists of
    /// different typecodes (compared number by number, as `array.array` compares them). The
    /// other list's bytes are copied out under its lock first, so no two locks are ever held
    /// at once.
    fn equal_native(
        &self,
        py: Python<'_>,
        code: TypeCode,
        other: &TypedList,
    ) -> PyResult<Option<bool>> {
        if std::ptr::eq(self, other) {
            // The same list: equal unless a float item is NaN.
            return self.inner.with(py, |typed, _| {
                Ok(Some(code.equal(&typed.bytes, &typed.bytes)))
            });
        }
        let theirs = other.inner.with(py, |typed, _| {
            Ok((typed.code.code == code.code).then(|| typed.bytes.to_vec()))
        })?;
        let Some(theirs) = theirs else {
            return Ok(None);
        };
        self.inner
            .with(py, |typed, _| Ok(Some(code.equal(&typed.bytes, &theirs))))
    }

    /// Whether `other` is a `PicoList` or an `array.array`.
    fn is_array(py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(other.is_instance_of::<TypedList>() || other.is_instance(array_type(py)?)?)
    }

    /// A new `PicoList` holding a copy of the items of `inner`, copied straight from one list
    /// into the other under `inner`'s lock (no Python object is made there).
    fn copy<'py>(py: Python<'py>, inner: &Guarded<Typed>) -> PyResult<Bound<'py, TypedList>> {
        let (code, bytes) = list::copy_with(inner, py, |typed| typed.code)?;
        Self::wrap(py, code, bytes)
    }

    /// A new `PicoList` (never a subclass) over `bytes`, native items of `code`: the object is
    /// made directly, without the constructor's argument parsing.
    fn wrap(py: Python<'_>, code: TypeCode, bytes: PicoList<u8>) -> PyResult<Bound<'_, Self>> {
        Bound::new(
            py,
            TypedList {
                inner: Guarded::new(<Self as PyClass>::NAME, Typed { bytes, code }),
            },
        )
    }

    /// `lst[i] = v`, and `lst[a:b:c] = items` (a buffer of the same format, or numbers). The
    /// value is converted outside the lock, but reported after the index check, as
    /// `array.array` does (`a[5] = 300` on a one-item 'b' array is an IndexError).
    fn assign(&self, index: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        // `lst[i] = n` with an exact int index and an exact int or float: read without Python
        // code, so converted and stored under one lock. A number the typecode refuses takes
        // the general path below, for array's errors in array's order.
        if let (Some(i), Some(number)) = (crate::input::exact_int(index), Fast::of(value)) {
            let stored = self.inner.with(index.py(), |typed, _| {
                let Some(item) = typed.code.item_fast(number) else {
                    return Ok(false);
                };
                let i = isize::try_from(i)
                    .ok()
                    .and_then(|i| position(i, typed.len()))
                    .ok_or_else(out_of_range)?;
                typed.item_mut(i).copy_from_slice(&item);
                Ok(true)
            })?;
            if stored {
                return Ok(());
            }
        }
        let code = self.code(index.py())?;
        let many = || {
            // As `array.array`: an array of another typecode is refused, not converted.
            Self::check_same_kind(index.py(), code, value)?;
            Self::bytes_of(code, value)
        };
        list::set_item(&self.inner, index, many, || Ok(code.item(value)))
    }
}

impl TypedList {
    /// Appends the characters of `text` as items of `code` (a text typecode).
    fn append_text(
        &self,
        py: Python<'_>,
        code: TypeCode,
        text: &Bound<'_, PyString>,
    ) -> PyResult<()> {
        list::append(&self.inner, py, code.encode_text(text)?.as_bytes())
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

/// Rebuilds a `PicoList` (or subclass) pickled with protocol 3 or later: `cls(typecode)`, then
/// the native bytes, swapped when they were pickled on a machine of the other byte order.
#[pyfunction]
pub(crate) fn _picolist_reconstructor<'py>(
    cls: &Bound<'py, PyType>,
    typecode: &Bound<'py, PyAny>,
    byteorder: &str,
    items: &Bound<'py, PyBytes>,
) -> PyResult<Bound<'py, PyAny>> {
    if !cls.is_subclass_of::<TypedList>()? {
        return Err(PyTypeError::new_err(format!(
            "{} is not a subtype of PicoList",
            cls.name()?
        )));
    }
    let native = if cfg!(target_endian = "little") {
        "little"
    } else {
        "big"
    };
    if byteorder != "little" && byteorder != "big" {
        return Err(PyValueError::new_err(format!(
            "unknown byte order {byteorder:?}"
        )));
    }
    // A `PicoList` is made directly (no constructor call, so no `'u'` warning, as array's
    // reconstructor gives none); a subclass through its constructor.
    let exact = typecode
        .extract::<char>()
        .ok()
        .and_then(|c| TypeCode::from_char_with_text(cls.py(), c))
        .filter(|_| cls.is(cls.py().get_type::<TypedList>()));
    let list = match exact {
        Some(code) => {
            if items.as_bytes().len() % code.itemsize() != 0 {
                return Err(PyValueError::new_err(
                    "bytes length not a multiple of item size",
                ));
            }
            let mut bytes = PicoList::new().map_err(to_py_err)?;
            list::fill(cls.py(), &mut bytes, items.as_bytes())?;
            TypedList::wrap(cls.py(), code, bytes)?.into_any()
        }
        None => {
            let list = cls.call1((typecode,))?;
            list.call_method1("frombytes", (items,))?;
            list
        }
    };
    if byteorder != native {
        list.call_method0("byteswap")?;
    }
    Ok(list)
}
