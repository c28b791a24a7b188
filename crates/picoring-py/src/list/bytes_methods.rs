//! `PicoListByte`'s bytes methods, with `bytearray`'s semantics and exceptions.
//!
//! Three kinds:
//! - searches and tests (`find`, `rfind`, `index`, `rindex`, `count`, `startswith`,
//!   `endswith`, `isalpha`...) run in Rust on the list's bytes under its lock, with `memchr`:
//!   they allocate nothing and copy nothing, so they cost what `bytearray`'s do at any length;
//! - the methods that build new bytes, text or pieces are written in Rust too, reading the
//!   list in place under its lock: the case and strip methods here, the others (`split`,
//!   `partition`, `replace`, `center`, `translate`, `hex`, `decode`...) in `bytes_make.rs`;
//!   they return `bytearray`s, as `bytearray`'s methods do (a new `PicoListByte` reserves
//!   address space, which `split()` would pay per piece), except `%` and `translate`, which
//!   return a new `PicoListByte`;
//! - the rare ones (`join`, `splitlines`, `expandtabs`, `%`) call `bytearray`'s own method on
//!   a copy of the list, so the results, the types and the exceptions are the built-in's.

use memchr::memmem;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyDict, PyString, PyTuple, PyType};

use super::ByteList;
use crate::export;
use crate::input::{type_name, ByteInput};

/// A needle: one byte given as an int, or the bytes of a bytes-like object.
enum Needle<'py> {
    Byte([u8; 1]),
    Bytes(ByteInput<'py>),
}

impl Needle<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Needle::Byte(b) => b,
            Needle::Bytes(input) => input.bytes(),
        }
    }
}

/// `find`'s `sub` as `bytearray` takes it: an int through `__index__` (`ValueError` outside
/// `range(0, 256)`, however large), or a bytes-like object.
fn needle<'py>(sub: &Bound<'py, PyAny>) -> PyResult<Needle<'py>> {
    // SAFETY: `sub` is a valid object; PyIndex_Check only reads its type.
    if unsafe { ffi::PyIndex_Check(sub.as_ptr()) } != 0 {
        // SAFETY: as above; a NULL exception type clamps huge ints instead of raising.
        let n = unsafe { ffi::PyNumber_AsSsize_t(sub.as_ptr(), std::ptr::null_mut()) };
        if n == -1 {
            if let Some(err) = PyErr::take(sub.py()) {
                return Err(err);
            }
        }
        let byte =
            u8::try_from(n).map_err(|_| PyValueError::new_err("byte must be in range(0, 256)"))?;
        return Ok(Needle::Byte([byte]));
    }
    ByteInput::new(sub).map(Needle::Bytes).map_err(|_| {
        PyTypeError::new_err(format!(
            "argument should be integer or bytes-like object, not '{}'",
            type_name(sub)
        ))
    })
}

/// A `start`/`end` argument: `None` or anything with `__index__` (clamped to the `isize`
/// range, as slice indices are).
fn bound(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<isize>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    // SAFETY: `value` is a valid object; a NULL exception type clamps huge ints.
    let n = unsafe { ffi::PyNumber_AsSsize_t(value.as_ptr(), std::ptr::null_mut()) };
    if n == -1 {
        if let Some(err) = PyErr::take(value.py()) {
            return Err(if err.is_instance_of::<PyTypeError>(value.py()) {
                PyTypeError::new_err(
                    "slice indices must be integers or None or have an __index__ method",
                )
            } else {
                err
            });
        }
    }
    Ok(Some(n))
}

/// `start`/`end` resolved against `len` as CPython's `ADJUST_INDICES` does: negative ones count
/// from the end and are clamped at 0, `end` is clamped at `len`; `start` may exceed `len`.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    fn new(start: Option<isize>, end: Option<isize>, len: usize) -> Span {
        let len = len as isize; // the length of memory we hold fits an isize
        let resolve = |i: isize| if i < 0 { (i + len).max(0) } else { i };
        let end = end.map_or(len, |e| resolve(e).min(len));
        let start = start.map_or(0, resolve);
        Span {
            start: start as usize,
            end: end as usize,
        }
    }

    /// The bytes between `start` and `end`, empty when `start >= end`.
    fn of(self, haystack: &[u8]) -> &[u8] {
        if self.start >= self.end {
            &[]
        } else {
            &haystack[self.start..self.end]
        }
    }
}

/// `find`/`rfind`: the index of the first (last) occurrence of `needle` in `span` of
/// `haystack`, as CPython finds it (an empty needle is found at `start` (`end`) unless
/// `start > end`).
fn find_in(haystack: &[u8], span: Span, needle: &[u8], reverse: bool) -> Option<usize> {
    if span.start > span.end || span.end - span.start < needle.len() {
        return None;
    }
    let hay = span.of(haystack);
    let at = match (needle, reverse) {
        ([], false) => Some(0),
        ([], true) => Some(hay.len()),
        ([b], false) => memchr::memchr(*b, hay),
        ([b], true) => memchr::memrchr(*b, hay),
        (_, false) => memmem::find(hay, needle),
        (_, true) => memmem::rfind(hay, needle),
    };
    at.map(|i| span.start + i)
}

/// `count`: non-overlapping occurrences (an empty needle counts every position, ends included).
fn count_in(haystack: &[u8], span: Span, needle: &[u8]) -> usize {
    if span.start > span.end {
        return 0;
    }
    let hay = span.of(haystack);
    match needle {
        [] => hay.len() + 1,
        [b] => memchr::memchr_iter(*b, hay).count(),
        _ => {
            let finder = memmem::Finder::new(needle);
            let (mut n, mut from) = (0, 0);
            while let Some(i) = finder.find(&hay[from..]) {
                n += 1;
                from += i + needle.len();
            }
            n
        }
    }
}

/// `startswith`/`endswith` for one candidate, as CPython's `tailmatch`.
fn tail_match(haystack: &[u8], span: Span, candidate: &[u8], at_end: bool) -> bool {
    let (len, n) = (haystack.len(), candidate.len());
    let Span { start, end } = span;
    if at_end {
        if end < start + n || start > len {
            return false;
        }
        haystack[end - n..end] == *candidate
    } else {
        if start + n > len || end < start + n {
            return false;
        }
        haystack[start..start + n] == *candidate
    }
}

/// Methods that call `bytearray`'s method of the same name on a copy of the list, with the
/// same arguments.
macro_rules! forward {
    ($($(#[$doc:meta])* $name:ident $sig:literal),* $(,)?) => {
        #[pymethods]
        impl ByteList {
            $(
                $(#[$doc])*
                #[pyo3(signature = (*args, **kwargs), text_signature = $sig)]
                fn $name<'py>(
                    &self,
                    py: Python<'py>,
                    args: &Bound<'py, PyTuple>,
                    kwargs: Option<&Bound<'py, PyDict>>,
                ) -> PyResult<Bound<'py, PyAny>> {
                    self.forward(py, intern!(py, stringify!($name)), args, kwargs)
                }
            )*
        }
    };
}

impl ByteList {
    /// A `bytearray` holding a copy of the list's bytes, allocated and filled under one lock
    /// (see [`new_bytearray`]).
    pub(crate) fn to_bytearray<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyByteArray>> {
        self.inner.with(py, |list, _| {
            let src = list.as_slice();
            new_bytearray(py, src.len(), |dest| {
                let dest = export::Region {
                    ptr: dest.as_mut_ptr(),
                    len: dest.len(),
                };
                // SAFETY: `dest` is the fresh bytearray's memory, `src.len()` bytes that
                // nothing else can reach yet, and it does not overlap the list.
                unsafe { export::copy_out(py, src, dest) };
            })
        })
    }

    /// A new `bytearray` computed from the list's bytes under one lock: `measure` says what to
    /// take and how many bytes it makes, `fill` writes exactly that many.
    pub(super) fn build<'py, M>(
        &self,
        py: Python<'py>,
        measure: impl FnOnce(&[u8]) -> (M, usize),
        fill: impl FnOnce(&[u8], M, &mut [u8]),
    ) -> PyResult<Bound<'py, PyByteArray>> {
        self.inner.with(py, |list, _| {
            let src = list.as_slice();
            let (what, len) = measure(src);
            new_bytearray(py, len, |dest| fill(src, what, dest))
        })
    }

    /// A new `bytearray` of the list's bytes, each mapped by `f`.
    fn map_bytes<'py>(
        &self,
        py: Python<'py>,
        f: impl Fn(&[u8], &mut [u8]),
    ) -> PyResult<Bound<'py, PyByteArray>> {
        self.build(py, |list| ((), list.len()), |list, (), dest| f(list, dest))
    }

    /// `strip`, `lstrip`, `rstrip`: a new `bytearray` without the leading and/or trailing
    /// bytes found in `chars` (ASCII whitespace by default).
    fn strip_ends<'py>(
        &self,
        py: Python<'py>,
        chars: Option<&Bound<'py, PyAny>>,
        left: bool,
        right: bool,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let chars = chars
            .filter(|c| !c.is_none())
            .map(ByteInput::new)
            .transpose()?;
        let set = chars.as_ref().map_or(WHITESPACE, |c| c.bytes());
        self.build(
            py,
            |list| {
                let start = if left {
                    list.iter()
                        .position(|b| !set.contains(b))
                        .unwrap_or(list.len())
                } else {
                    0
                };
                let end = if right {
                    list[start..]
                        .iter()
                        .rposition(|b| !set.contains(b))
                        .map_or(start, |i| start + i + 1)
                } else {
                    list.len()
                };
                (start, end - start)
            },
            |list, start, dest| dest.copy_from_slice(&list[start..start + dest.len()]),
        )
    }

    /// Whether the list is not empty and every byte passes `test` (`isalpha` and kin).
    fn all_bytes(&self, py: Python<'_>, test: impl Fn(&u8) -> bool) -> PyResult<bool> {
        self.inner.with(py, |list, _| {
            Ok(!list.is_empty() && list.as_slice().iter().all(&test))
        })
    }

    /// Calls `bytearray`'s method `name` on a copy of the list.
    pub(super) fn forward<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.to_bytearray(py)?.call_method(name, args, kwargs)
    }

    /// A new `PicoListByte` holding the bytes of `data` (a `bytearray` result).
    pub(super) fn new_like<'py>(
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let data = ByteInput::new(data)?;
        Ok(Self::new_with(py, data.bytes())?.into_any())
    }

    /// `find`, `rfind`, `index`, `rindex`: the position of `sub`, or `None`.
    fn position_of(
        &self,
        py: Python<'_>,
        sub: &Bound<'_, PyAny>,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
        reverse: bool,
    ) -> PyResult<Option<usize>> {
        // The bounds first, as `bytearray` parses them: `find(-1, "x")` is a `TypeError`.
        let (start, end) = (bound(start)?, bound(end)?);
        let sub = needle(sub)?;
        self.inner.with(py, |list, _| {
            let hay = list.as_slice();
            Ok(find_in(
                hay,
                Span::new(start, end, hay.len()),
                sub.bytes(),
                reverse,
            ))
        })
    }

    /// `count`: the non-overlapping occurrences of `sub`.
    fn count_of(
        &self,
        py: Python<'_>,
        sub: &Bound<'_, PyAny>,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<usize> {
        // The bounds first, as `bytearray` parses them: `find(-1, "x")` is a `TypeError`.
        let (start, end) = (bound(start)?, bound(end)?);
        let sub = needle(sub)?;
        self.inner.with(py, |list, _| {
            let hay = list.as_slice();
            Ok(count_in(hay, Span::new(start, end, hay.len()), sub.bytes()))
        })
    }

    /// `startswith`/`endswith`: `candidates` is a bytes-like object or a tuple of them.
    fn tail_matches(
        &self,
        py: Python<'_>,
        candidates: &Bound<'_, PyAny>,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
        method: &str,
        at_end: bool,
    ) -> PyResult<bool> {
        let wrong = |obj: &Bound<'_, PyAny>| {
            PyTypeError::new_err(format!(
                "{method} first arg must be bytes or a tuple of bytes, not {}",
                type_name(obj)
            ))
        };
        let inputs = match candidates.cast::<PyTuple>() {
            Ok(tuple) => tuple
                .iter()
                .map(|c| ByteInput::new(&c).map_err(|_| wrong(&c)))
                .collect::<PyResult<Vec<_>>>()?,
            Err(_) => vec![ByteInput::new(candidates).map_err(|_| wrong(candidates))?],
        };
        let (start, end) = (bound(start)?, bound(end)?);
        self.inner.with(py, |list, _| {
            let hay = list.as_slice();
            let span = Span::new(start, end, hay.len());
            Ok(inputs
                .iter()
                .any(|c| tail_match(hay, span, c.bytes(), at_end)))
        })
    }
}

/// A new `bytearray` of `len` bytes written by `fill`.
///
/// Called under a list's lock, where no Python code may run (it could call back into the list
/// and wait for the lock forever). Making a `bytearray` or a `bytes`, and dropping one, runs no
/// Python code and starts no garbage collection: neither type is tracked by the collector. So
/// results of these types are made and filled under the lock in one pass; tuples, lists and
/// `PicoListByte`s (tracked, or running arbitrary code when made) are made outside it
/// (appending to a list made before the lock only reallocates its array of pointers, which
/// runs no Python code either).
///
/// One exception: when `PyByteArray_FromStringAndSize` cannot allocate the bytes, it frees
/// its half-made object before setting that object's export count, which can then report
/// "deallocated bytearray object has exported buffers" through `sys.excepthook` (Python code;
/// seen with CPython 3.11). A result longer than [`SMALL_BYTEARRAY`] (a size a caller can ask
/// for, `center(2**62)`, so one that can fail) is therefore made empty (no allocation for its
/// bytes) and then grown, which fails cleanly, and the `MemoryError` raised as a new one
/// (`bytearray`'s own has no message either). Shorter ones, `split`'s pieces say, take one
/// call (two cost a tenth more per piece): their bytes come from CPython's small-object
/// pools, which only fail when the process cannot map a new pool at all.
pub(super) fn new_bytearray<'py>(
    py: Python<'py>,
    len: usize,
    fill: impl FnOnce(&mut [u8]),
) -> PyResult<Bound<'py, PyByteArray>> {
    let first = if len <= SMALL_BYTEARRAY { len } else { 0 };
    // SAFETY: a NULL source makes a bytearray of `first` bytes, not yet written (none for an
    // empty one, which allocates only the object); the result is a new reference or NULL with
    // an error set.
    let out = unsafe { ffi::PyByteArray_FromStringAndSize(std::ptr::null(), first as isize) };
    // SAFETY: a non-NULL result is a new reference to a bytearray.
    let out = (!out.is_null())
        .then(|| unsafe { Bound::from_owned_ptr(py, out).cast_into_unchecked::<PyByteArray>() });
    let grown = out.filter(|out| match isize::try_from(len) {
        Ok(_) if first == len => true,
        // SAFETY: `out` is a bytearray nothing else can reach (no exports); on failure it
        // stays a valid empty bytearray and an error is set.
        Ok(size) => (unsafe { ffi::PyByteArray_Resize(out.as_ptr(), size) }) == 0,
        Err(_) => false,
    });
    let Some(out) = grown else {
        // SAFETY: clears the error CPython set (or none), running no Python code.
        unsafe { ffi::PyErr_Clear() };
        return Err(pyo3::exceptions::PyMemoryError::new_err(()));
    };
    // SAFETY: `out` is a bytearray of `len` bytes (a valid, non-null pointer even for 0) that
    // nothing else can reach until it is returned.
    let dest = unsafe { ffi::PyByteArray_AsString(out.as_ptr()) }.cast::<u8>();
    // SAFETY: as above: `len` writable bytes, not overlapping anything the caller reads.
    fill(unsafe { std::slice::from_raw_parts_mut(dest, len) });
    Ok(out)
}

/// The longest `bytearray` [`new_bytearray`] makes in one call (CPython's small-object limit,
/// less the trailing NUL).
const SMALL_BYTEARRAY: usize = 511;

/// A new `bytearray` holding a copy of `bytes` (under a list's lock: see [`new_bytearray`]).
pub(super) fn bytearray_of<'py>(
    py: Python<'py>,
    bytes: &[u8],
) -> PyResult<Bound<'py, PyByteArray>> {
    new_bytearray(py, bytes.len(), |dest| dest.copy_from_slice(bytes))
}

/// What `bytearray.strip()` strips by default, and `isspace` accepts.
pub(super) const WHITESPACE: &[u8] = b" \t\n\r\x0b\x0c";

/// `title()`: the first letter of each run of letters upper-cased, the rest lower-cased.
fn title_case(src: &[u8], dest: &mut [u8]) {
    let mut after_cased = false;
    for (d, &c) in dest.iter_mut().zip(src) {
        *d = if after_cased {
            c.to_ascii_lowercase()
        } else {
            c.to_ascii_uppercase()
        };
        after_cased = c.is_ascii_alphabetic();
    }
}

/// `istitle()`, as CPython's `_Py_bytes_istitle`.
fn is_title(bytes: &[u8]) -> bool {
    let (mut cased, mut after_cased) = (false, false);
    for &c in bytes {
        if c.is_ascii_uppercase() {
            if after_cased {
                return false;
            }
            (after_cased, cased) = (true, true);
        } else if c.is_ascii_lowercase() {
            if !after_cased {
                return false;
            }
            (after_cased, cased) = (true, true);
        } else {
            after_cased = false;
        }
    }
    cased
}

/// `index`, `rindex`: `ValueError` when `sub` is not found.
fn found(at: Option<usize>) -> PyResult<usize> {
    at.ok_or_else(|| PyValueError::new_err("subsection not found"))
}

/// `find`, `rfind`: -1 when `sub` is not found.
fn signed(at: Option<usize>) -> PyResult<isize> {
    Ok(at.map_or(-1, |i| i as isize))
}

/// Methods that take a needle and an optional `[start:end]` range, as `bytearray`'s:
/// `name(arg) -> ret = helper(extra, ...) => wrap` returns
/// `wrap(self.helper(py, arg, start, end, extra, ...)?)` (without `=> wrap`, the helper's result).
macro_rules! ranged {
    ($(
        $(#[$doc:meta])*
        $name:ident($arg:ident) -> $ret:ty = $helper:ident($($extra:expr),*) $(=> $wrap:ident)?;
    )*) => {
        #[pymethods]
        impl ByteList {
            $(
                $(#[$doc])*
                #[pyo3(signature = ($arg, start=None, end=None, /))]
                fn $name(
                    &self,
                    py: Python<'_>,
                    $arg: &Bound<'_, PyAny>,
                    start: Option<&Bound<'_, PyAny>>,
                    end: Option<&Bound<'_, PyAny>>,
                ) -> PyResult<$ret> {
                    let out = self.$helper(py, $arg, start, end, $($extra),*);
                    $(let out = $wrap(out?);)?
                    out
                }
            )*
        }
    };
}

ranged! {
    /// The lowest index of `sub` (an int or bytes-like) in `[start:end]`, or -1.
    find(sub) -> isize = position_of(false) => signed;
    /// The highest index of `sub` in `[start:end]`, or -1.
    rfind(sub) -> isize = position_of(true) => signed;
    /// As `find`, but `ValueError` when `sub` is not found.
    index(sub) -> usize = position_of(false) => found;
    /// As `rfind`, but `ValueError` when `sub` is not found.
    rindex(sub) -> usize = position_of(true) => found;
    /// Non-overlapping occurrences of `sub` in `[start:end]`.
    count(sub) -> usize = count_of();
    /// Whether `[start:end]` starts with `prefix` (bytes-like, or a tuple of them).
    startswith(prefix) -> bool = tail_matches("startswith", false);
    /// Whether `[start:end]` ends with `suffix` (bytes-like, or a tuple of them).
    endswith(suffix) -> bool = tail_matches("endswith", true);
}

/// `strip`, `lstrip`, `rstrip`: `name(left, right)` is a copy without the bytes in `bytes`
/// (ASCII whitespace by default) at the start (`left`) and/or the end (`right`).
macro_rules! strips {
    ($($(#[$doc:meta])* $name:ident($left:literal, $right:literal);)*) => {
        #[pymethods]
        impl ByteList {
            $(
                $(#[$doc])*
                #[pyo3(signature = (bytes=None, /))]
                fn $name<'py>(
                    &self,
                    py: Python<'py>,
                    bytes: Option<&Bound<'py, PyAny>>,
                ) -> PyResult<Bound<'py, PyByteArray>> {
                    self.strip_ends(py, bytes, $left, $right)
                }
            )*
        }
    };
}

strips! {
    /// A copy without leading and trailing bytes in `bytes` (ASCII whitespace by default).
    strip(true, true);
    /// A copy without leading bytes in `bytes` (ASCII whitespace by default).
    lstrip(true, false);
    /// A copy without trailing bytes in `bytes` (ASCII whitespace by default).
    rstrip(false, true);
}

#[pymethods]
impl ByteList {
    /// A copy with ASCII letters upper-cased.
    fn upper<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyByteArray>> {
        self.map_bytes(py, |src, dest| {
            for (d, s) in dest.iter_mut().zip(src) {
                *d = s.to_ascii_uppercase();
            }
        })
    }

    /// A copy with ASCII letters lower-cased.
    fn lower<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyByteArray>> {
        self.map_bytes(py, |src, dest| {
            for (d, s) in dest.iter_mut().zip(src) {
                *d = s.to_ascii_lowercase();
            }
        })
    }

    /// A copy with the case of ASCII letters swapped.
    fn swapcase<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyByteArray>> {
        self.map_bytes(py, |src, dest| {
            for (d, &s) in dest.iter_mut().zip(src) {
                *d = if s.is_ascii_alphabetic() { s ^ 0x20 } else { s };
            }
        })
    }

    /// A copy with each word's first ASCII letter upper-cased and the rest lower-cased.
    fn title<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyByteArray>> {
        self.map_bytes(py, title_case)
    }

    /// A copy with the first byte upper-cased and the rest lower-cased (ASCII letters).
    fn capitalize<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyByteArray>> {
        self.map_bytes(py, |src, dest| {
            for (i, (d, s)) in dest.iter_mut().zip(src).enumerate() {
                *d = if i == 0 {
                    s.to_ascii_uppercase()
                } else {
                    s.to_ascii_lowercase()
                };
            }
        })
    }

    /// Whether there are bytes and all are ASCII letters or digits.
    fn isalnum(&self, py: Python<'_>) -> PyResult<bool> {
        self.all_bytes(py, u8::is_ascii_alphanumeric)
    }

    /// Whether there are bytes and all are ASCII letters.
    fn isalpha(&self, py: Python<'_>) -> PyResult<bool> {
        self.all_bytes(py, u8::is_ascii_alphabetic)
    }

    /// Whether there are bytes and all are ASCII digits.
    fn isdigit(&self, py: Python<'_>) -> PyResult<bool> {
        self.all_bytes(py, u8::is_ascii_digit)
    }

    /// Whether there are bytes and all are ASCII whitespace.
    fn isspace(&self, py: Python<'_>) -> PyResult<bool> {
        self.all_bytes(py, |b| WHITESPACE.contains(b))
    }

    /// Whether every byte is ASCII (true when empty).
    fn isascii(&self, py: Python<'_>) -> PyResult<bool> {
        self.inner
            .with(py, |list, _| Ok(list.as_slice().is_ascii()))
    }

    /// Whether there is a lower-case ASCII letter and no upper-case one.
    fn islower(&self, py: Python<'_>) -> PyResult<bool> {
        self.inner.with(py, |list, _| {
            let bytes = list.as_slice();
            Ok(bytes.iter().any(u8::is_ascii_lowercase)
                && !bytes.iter().any(u8::is_ascii_uppercase))
        })
    }

    /// Whether there is an upper-case ASCII letter and no lower-case one.
    fn isupper(&self, py: Python<'_>) -> PyResult<bool> {
        self.inner.with(py, |list, _| {
            let bytes = list.as_slice();
            Ok(bytes.iter().any(u8::is_ascii_uppercase)
                && !bytes.iter().any(u8::is_ascii_lowercase))
        })
    }

    /// Whether the bytes are title-cased: upper-case letters only start runs of letters,
    /// lower-case ones only continue them, and there is at least one letter.
    fn istitle(&self, py: Python<'_>) -> PyResult<bool> {
        self.inner.with(py, |list, _| Ok(is_title(list.as_slice())))
    }

    /// `lst % values`: `bytearray`'s formatting, as a new `PicoListByte`.
    fn __mod__<'py>(
        &self,
        py: Python<'py>,
        values: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let out = self
            .to_bytearray(py)?
            .call_method1(intern!(py, "__mod__"), (values,))?;
        Self::new_like(py, &out)
    }

    /// A new `PicoListByte` holding a copy of the bytes.
    fn copy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.duplicate(py)?.into_any())
    }

    /// `values % lst` is not formatting: always `NotImplemented`, as `bytearray`'s.
    fn __rmod__(&self, py: Python<'_>, _values: &Bound<'_, PyAny>) -> Py<PyAny> {
        py.NotImplemented()
    }

    /// A translation table for `translate` (`bytes.maketrans`).
    #[staticmethod]
    #[pyo3(signature = (frm, to, /))]
    fn maketrans<'py>(
        py: Python<'py>,
        frm: &Bound<'py, PyAny>,
        to: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        py.get_type::<PyByteArray>()
            .call_method1(intern!(py, "maketrans"), (frm, to))
    }

    /// A new list of this class from hexadecimal digits (whitespace between bytes ignored).
    #[classmethod]
    #[pyo3(signature = (string, /))]
    fn fromhex<'py>(
        cls: &Bound<'py, PyType>,
        string: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        let bytes = py
            .get_type::<pyo3::types::PyBytes>()
            .call_method1(intern!(py, "fromhex"), (string,))?;
        cls.call1((bytes,))
    }
}

forward! {
    /// `sep.join(iterable)` as `bytearray.join`: a `bytearray`.
    join "($self, iterable_of_bytes, /)",
    /// The lines, split at line boundaries (kept with `keepends`), as `bytearray`s.
    splitlines "($self, /, keepends=False)",
    /// A copy with tabs replaced by spaces up to the next multiple of `tabsize` columns.
    expandtabs "($self, /, tabsize=8)",
}
