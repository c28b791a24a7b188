//! `PicoListByte`'s bytes methods that build new bytes, text or pieces, implemented in Rust on
//! the list's bytes in place, under its lock, with `bytearray`'s semantics: `split`, `rsplit`,
//! `partition`, `rpartition`, `replace`, `removeprefix`, `removesuffix`, `center`, `ljust`,
//! `rjust`, `zfill`, `translate`, `hex` and `decode`.
//!
//! The common argument shapes (bytes-like objects, exact ints, one-byte `bytes`/`bytearray`
//! fill characters) are read here, before the lock is taken (reading them may run Python
//! code). Any other call, whether `bytearray` would accept it (a non-contiguous buffer, an int
//! subclass) or refuse it, is handed to `bytearray`'s own method on a copy of the list, so the
//! results and the errors, messages included, are the built-in's.
//!
//! Results that are `bytearray`s are allocated and filled under the lock (see
//! [`new_bytearray`]); tuples of them are made once it is released, and `split`'s list before
//! it is taken (appended to under it).

use memchr::memmem;
use picoring::PicoList;
use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::Borrowed;

use super::methods::{bytearray_of, new_bytearray, WHITESPACE};
use super::ByteList;
use crate::direct::FastArgs;
use crate::guard::to_py_err;
use crate::input::{exact_int, ByteInput};

/// An optional argument as it was given, `None` included (`bytearray` refuses an explicit
/// `None` for most).
enum Arg<'py> {
    Missing,
    Given(Bound<'py, PyAny>),
}

impl<'py> Arg<'py> {
    fn of(value: Option<Borrowed<'_, 'py, PyAny>>) -> Self {
        value.map_or(Arg::Missing, |value| Arg::Given(value.to_owned()))
    }

    fn given(&self) -> Option<&Bound<'py, PyAny>> {
        match self {
            Arg::Missing => None,
            Arg::Given(value) => Some(value),
        }
    }
}

/// An exact `int` that fits a `Py_ssize_t` (`None` for anything else: the caller forwards).
fn small_int(value: &Bound<'_, PyAny>) -> Option<isize> {
    exact_int(value).and_then(|n| isize::try_from(n).ok())
}

/// A count argument (`maxsplit`, `count`): absent is -1, negative means no limit.
fn limit(value: Option<&Bound<'_, PyAny>>) -> Option<usize> {
    let n = value.map_or(Some(-1), small_int)?;
    Some(usize::try_from(n).unwrap_or(usize::MAX))
}

/// The bytes of a bytes-like argument, when it is a C-contiguous buffer.
fn bytes_like<'py>(value: &Bound<'py, PyAny>) -> Option<ByteInput<'py>> {
    ByteInput::new(value).ok()
}

/// A fill character as `bytearray.center` takes it: a `bytes` or `bytearray` (or a subclass)
/// of length 1.
fn fill_char(value: &Bound<'_, PyAny>) -> Option<u8> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return match bytes.as_bytes() {
            [c] => Some(*c),
            _ => None,
        };
    }
    let array = value.cast::<PyByteArray>().ok()?;
    // SAFETY: the slice is read at once, with no Python code running while it lives.
    match unsafe { array.as_bytes() } {
        [c] => Some(*c),
        _ => None,
    }
}

/// How `center`, `ljust`, `rjust` and `zfill` place the bytes in the width.
#[derive(Clone, Copy)]
enum Pad {
    Left,
    Right,
    Center,
    Zeros,
}

/// `hex()` of up to this many bytes is written on the stack; longer lists go through a
/// memoryview, read in place.
const HEX_ON_STACK: usize = 4096;

/// `decode()` of up to this many bytes decodes a copy made on the stack; longer lists are
/// decoded in place through a buffer export.
const DECODE_ON_STACK: usize = 2048;

/// The first occurrence of `needle` (not empty) in `haystack` (the last with `reverse`).
fn search(haystack: &[u8], needle: &[u8], reverse: bool) -> Option<usize> {
    match (needle, reverse) {
        ([byte], false) => memchr::memchr(*byte, haystack),
        ([byte], true) => memchr::memrchr(*byte, haystack),
        (_, false) => memmem::find(haystack, needle),
        (_, true) => memmem::rfind(haystack, needle),
    }
}

/// A searcher for one needle (not empty), built once for many searches.
// One lives on the stack for one call: its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Searcher<'a> {
    Byte(u8),
    Forward(memmem::Finder<'a>),
    Reverse(memmem::FinderRev<'a>),
}

impl<'a> Searcher<'a> {
    fn new(needle: &'a [u8], reverse: bool) -> Self {
        match (needle, reverse) {
            ([byte], _) => Searcher::Byte(*byte),
            (_, false) => Searcher::Forward(memmem::Finder::new(needle)),
            (_, true) => Searcher::Reverse(memmem::FinderRev::new(needle)),
        }
    }

    /// The first occurrence in `haystack` (the last, for a searcher made with `reverse`).
    fn find(&self, haystack: &[u8], reverse: bool) -> Option<usize> {
        match self {
            Searcher::Byte(byte) if reverse => memchr::memrchr(*byte, haystack),
            Searcher::Byte(byte) => memchr::memchr(*byte, haystack),
            Searcher::Forward(finder) => finder.find(haystack),
            Searcher::Reverse(finder) => finder.rfind(haystack),
        }
    }
}

/// Calls `each(start, end)` for the pieces of `bytes` split as `bytes.split` (`reverse`:
/// `rsplit`) splits them: at each `sep` (at most `max` times), or, without `sep`, at runs of
/// ASCII whitespace, leaving out empty pieces. The pieces come in order, or in reverse order
/// with `reverse`.
fn split_each(
    bytes: &[u8],
    sep: Option<&[u8]>,
    max: usize,
    reverse: bool,
    mut each: impl FnMut(usize, usize) -> PyResult<()>,
) -> PyResult<()> {
    let (mut lo, mut hi) = (0, bytes.len());
    let mut made = 0;
    match sep {
        Some(sep) => {
            let searcher = Searcher::new(sep, reverse);
            while made < max {
                let Some(at) = searcher.find(&bytes[lo..hi], reverse).map(|i| lo + i) else {
                    break;
                };
                if reverse {
                    each(at + sep.len(), hi)?;
                    hi = at;
                } else {
                    each(lo, at)?;
                    lo = at + sep.len();
                }
                made += 1;
            }
            each(lo, hi)
        }
        None => {
            // One table lookup per byte, as CPython's `Py_ISSPACE`.
            let table: [bool; 256] = std::array::from_fn(|i| WHITESPACE.contains(&(i as u8)));
            let space = |b: &u8| table[usize::from(*b)];
            loop {
                if reverse {
                    while hi > lo && space(&bytes[hi - 1]) {
                        hi -= 1;
                    }
                } else {
                    while lo < hi && space(&bytes[lo]) {
                        lo += 1;
                    }
                }
                if lo == hi {
                    return Ok(());
                }
                if made == max {
                    return each(lo, hi);
                }
                if reverse {
                    let start = bytes[lo..hi]
                        .iter()
                        .rposition(space)
                        .map_or(lo, |i| lo + i + 1);
                    each(start, hi)?;
                    hi = start;
                } else {
                    let end = bytes[lo..hi].iter().position(space).map_or(hi, |i| lo + i);
                    each(lo, end)?;
                    lo = end;
                }
                made += 1;
            }
        }
    }
}

/// Calls `each(at)` for the first `max` non-overlapping occurrences of `needle` (not empty) in
/// `haystack`, from the start; returns how many there were.
fn each_occurrence(
    haystack: &[u8],
    needle: &[u8],
    max: usize,
    mut each: impl FnMut(usize),
) -> usize {
    let mut n = 0;
    if let [byte] = needle {
        for at in memchr::memchr_iter(*byte, haystack).take(max) {
            each(at);
            n += 1;
        }
    } else {
        for at in memmem::find_iter(haystack, needle).take(max) {
            each(at);
            n += 1;
        }
    }
    n
}

/// `src` with every `old` byte replaced by `new`, written to `dest` (as long): a plain
/// function, so that the compiler knows `dest` aliases nothing and vectorises the loop.
#[inline(never)]
fn replace_byte(src: &[u8], old: u8, new: u8, dest: &mut [u8]) {
    for (d, &s) in dest.iter_mut().zip(src) {
        *d = if s == old { new } else { s };
    }
}

/// How many replacements `src.replace(old, new, max)` makes, as CPython's `stringlib_replace`
/// counts them (0: the result is a copy).
fn replacements(src: &[u8], old: &[u8], new: &[u8], max: usize) -> usize {
    if src.len() < old.len() || max == 0 {
        0
    } else if old.is_empty() {
        if new.is_empty() {
            0
        } else {
            max.min(src.len() + 1)
        }
    } else {
        each_occurrence(src, old, max, |_| {})
    }
}

/// `src.replace(old, new)` with its first `count` replacements (from [`replacements`])
/// written to `dest`, as `stringlib_replace` makes it.
fn replace_into(src: &[u8], old: &[u8], new: &[u8], count: usize, dest: &mut [u8]) {
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        dest[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    if old.is_empty() {
        // `new` before each of the first `count` bytes (the end counts as one).
        for k in 0..count {
            put(new);
            put(src.get(k..k + 1).unwrap_or_default());
        }
        put(src.get(count..).unwrap_or_default());
        return;
    }
    let mut from = 0;
    each_occurrence(src, old, count, |found| {
        put(&src[from..found]);
        put(new);
        from = found + old.len();
    });
    put(&src[from..]);
}

/// Lower-case hexadecimal digits of `src`, two per byte, written to `dest`.
fn hex_into(src: &[u8], dest: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, &b) in dest.chunks_exact_mut(2).zip(src) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
}

/// A `str` of ASCII bytes.
fn ascii_str<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let len =
        isize::try_from(bytes.len()).map_err(|_| pyo3::exceptions::PyMemoryError::new_err(""))?;
    // SAFETY: `bytes` is valid for `len` reads; the result is a new reference or NULL with an
    // error set.
    unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyUnicode_DecodeASCII(bytes.as_ptr().cast(), len, std::ptr::null()),
        )
    }
}

/// An `encoding`/`errors` argument as a NUL-terminated UTF-8 string (NULL when absent) that
/// lives as long as `s`; `ValueError` for an embedded NUL, as `bytearray.decode` raises.
fn c_str(s: Option<&Bound<'_, PyString>>) -> PyResult<*const std::ffi::c_char> {
    let Some(s) = s else {
        return Ok(std::ptr::null());
    };
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a str; the result points into it (valid while it lives), or is NULL with
    // an error set.
    let ptr = unsafe { ffi::PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size) };
    if ptr.is_null() {
        return Err(PyErr::fetch(s.py()));
    }
    // SAFETY: CPython's UTF-8 copy of a str is NUL-terminated.
    let len = unsafe { std::ffi::CStr::from_ptr(ptr) }.to_bytes().len();
    if isize::try_from(len).ok() != Some(size) {
        return Err(PyValueError::new_err("embedded null character"));
    }
    Ok(ptr)
}

impl ByteList {
    /// Calls `bytearray`'s method `name` on a copy of the list with the positional arguments
    /// `positional` and the keyword arguments in `keywords` that were given.
    fn forward_call<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        positional: &[&Bound<'py, PyAny>],
        keywords: &[(&str, &Arg<'py>)],
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = PyTuple::new(py, positional)?;
        let kwargs = PyDict::new(py);
        for (key, value) in keywords {
            if let Some(value) = value.given() {
                kwargs.set_item(key, value)?;
            }
        }
        self.forward(py, name, &args, Some(&kwargs).filter(|k| !k.is_empty()))
    }

    /// `split`/`rsplit` with `sep` (`None`: at whitespace) and at most `maxsplit` splits: the
    /// pieces are made under the lock, the list after it.
    fn split_pieces<'py>(
        &self,
        py: Python<'py>,
        sep: Option<&Bound<'py, PyAny>>,
        maxsplit: &Arg<'py>,
        reverse: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let native = || {
            let max = limit(maxsplit.given())?;
            match sep {
                Some(sep) => Some((Some(bytes_like(sep)?), max)),
                None => Some((None, max)),
            }
        };
        let Some((sep, max)) = native() else {
            let name = if reverse {
                intern!(py, "rsplit")
            } else {
                intern!(py, "split")
            };
            let sep = sep.map_or(Arg::Missing, |s| Arg::Given(s.clone()));
            return self.forward_call(py, name, &[], &[("sep", &sep), ("maxsplit", maxsplit)]);
        };
        let sep = sep.as_ref().map(ByteInput::bytes);
        if sep == Some(&[]) {
            return Err(PyValueError::new_err("empty separator"));
        }
        // The list (tracked by the collector: making one may collect garbage) is made before
        // the lock; appending to it there only grows its array of pointers, which runs no
        // Python code and starts no collection, like making the `bytearray` pieces.
        let pieces = PyList::empty(py);
        self.inner.with(py, |list, _| {
            let src = list.as_slice();
            split_each(src, sep, max, reverse, |a, b| {
                pieces.append(bytearray_of(py, &src[a..b])?)
            })
        })?;
        if reverse {
            pieces.reverse()?;
        }
        Ok(pieces.into_any())
    }

    /// `partition`/`rpartition`: three new `bytearray`s (the middle one a copy of `sep`).
    fn partition_at<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        sep: &Bound<'py, PyAny>,
        reverse: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Some(input) = bytes_like(sep) else {
            return self.forward_call(py, name, &[sep], &[]);
        };
        let sep = input.bytes();
        if sep.is_empty() {
            return Err(PyValueError::new_err("empty separator"));
        }
        let parts = self.inner.with(py, |list, _| {
            let src = list.as_slice();
            let (head, mid, tail): (&[u8], &[u8], &[u8]) = match search(src, sep, reverse) {
                Some(at) => (&src[..at], sep, &src[at + sep.len()..]),
                None if reverse => (&[], &[], src),
                None => (src, &[], &[]),
            };
            Ok([
                bytearray_of(py, head)?,
                bytearray_of(py, mid)?,
                bytearray_of(py, tail)?,
            ])
        })?;
        Ok(PyTuple::new(py, parts)?.into_any())
    }

    /// `removeprefix`/`removesuffix`: a copy without `affix` at the start (end).
    fn remove_affix<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        affix: &Bound<'py, PyAny>,
        at_end: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Some(input) = bytes_like(affix) else {
            return self.forward_call(py, name, &[affix], &[]);
        };
        let affix = input.bytes();
        let out = self.build(
            py,
            |src| {
                let (mut start, mut end) = (0, src.len());
                if at_end && src.ends_with(affix) {
                    end -= affix.len();
                } else if !at_end && src.starts_with(affix) {
                    start = affix.len();
                }
                (start, end - start)
            },
            |src, start, dest| dest.copy_from_slice(&src[start..start + dest.len()]),
        )?;
        Ok(out.into_any())
    }

    /// `center`, `ljust`, `rjust`, `zfill`: the bytes in a field `width` wide, filled with
    /// `fillchar` (a space when missing; a copy when `width` is not more than the length).
    fn pad<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        width: &Bound<'py, PyAny>,
        fillchar: &Arg<'py>,
        how: Pad,
    ) -> PyResult<Bound<'py, PyAny>> {
        let native = || {
            let width = small_int(width)?;
            let fill = fillchar.given().map_or(Some(b' '), fill_char)?;
            Some((width, fill))
        };
        let Some((width, fill)) = native() else {
            let mut args = vec![width];
            args.extend(fillchar.given());
            return self.forward_call(py, name, &args, &[]);
        };
        let fill = if let Pad::Zeros = how { b'0' } else { fill };
        let out = self.inner.with(py, |list, _| {
            let src = list.as_slice();
            let len = src.len();
            let total = usize::try_from(width).unwrap_or(0).max(len);
            let margin = total - len;
            let left = match how {
                Pad::Left => 0,
                Pad::Right | Pad::Zeros => margin,
                // As CPython: the odd byte goes left when both the margin and width are odd.
                Pad::Center => margin / 2 + (margin & total & 1),
            };
            new_bytearray(py, total, |dest| {
                dest[..left].fill(fill);
                dest[left..left + len].copy_from_slice(src);
                dest[left + len..].fill(fill);
                if let (Pad::Zeros, true, Some(&sign @ (b'+' | b'-'))) =
                    (how, margin > 0, src.first())
                {
                    // A sign moves to the front, before the zeros.
                    dest[0] = sign;
                    dest[margin] = b'0';
                }
            })
        })?;
        Ok(out.into_any())
    }
}

/// `decode`'s `encoding` or `errors`: `Some(None)` when missing or `None`, `None` (hand the
/// call on) when not a str.
fn text_arg<'py>(arg: Option<Borrowed<'_, 'py, PyAny>>) -> Option<Option<Bound<'py, PyString>>> {
    match arg {
        Some(arg) if !arg.is_none() => arg.cast::<PyString>().ok().map(|s| Some(s.to_owned())),
        _ => Some(None),
    }
}

impl ByteList {
    /// `split`/`rsplit(*args)`.
    fn split_call<'py>(
        &self,
        py: Python<'py>,
        args: &FastArgs<'_, 'py>,
        reverse: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        match args.params(["sep", "maxsplit"], 0) {
            Some([sep, maxsplit]) => {
                let sep = sep.as_deref().filter(|s| !s.is_none());
                self.split_pieces(py, sep, &Arg::of(maxsplit), reverse)
            }
            None if reverse => self.forward_fast(py, "rsplit", args),
            None => self.forward_fast(py, "split", args),
        }
    }

    /// Hands the call `args` on to `bytearray`'s method `name`, on a copy of the list.
    fn forward_fast<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        args: &FastArgs<'_, 'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (positional, keywords) = args.to_call()?;
        self.forward(
            py,
            &PyString::intern(py, name),
            &positional,
            keywords.as_ref(),
        )
    }

    /// `replace(old, new, count)`.
    fn replace_bytes<'py>(
        &self,
        py: Python<'py>,
        old: &Bound<'py, PyAny>,
        new: &Bound<'py, PyAny>,
        count: &Arg<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let native = || Some((bytes_like(old)?, bytes_like(new)?, limit(count.given())?));
        let Some((old_input, new_input, max)) = native() else {
            let mut args = vec![old, new];
            args.extend(count.given());
            return self.forward_call(py, intern!(py, "replace"), &args, &[]);
        };
        let (old, new) = (old_input.bytes(), new_input.bytes());
        let out = self.inner.with(py, |list, _| {
            let src = list.as_slice();
            if let ([old], [new], usize::MAX) = (old, new, max) {
                // Every byte: one pass the compiler vectorises.
                let (old, new) = (*old, *new);
                return new_bytearray(py, src.len(), |dest| replace_byte(src, old, new, dest));
            }
            if old.len() == new.len() && !old.is_empty() && max > 0 {
                // The same length: a copy, overwritten where `old` was (no counting pass).
                return new_bytearray(py, src.len(), |dest| {
                    dest.copy_from_slice(src);
                    each_occurrence(src, old, max, |at| {
                        dest[at..at + new.len()].copy_from_slice(new);
                    });
                });
            }
            let count = replacements(src, old, new, max);
            if count == 0 {
                return bytearray_of(py, src);
            }
            let len = (new.len() as u128 * count as u128 + src.len() as u128)
                .checked_sub(old.len() as u128 * count as u128)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|&n| isize::try_from(n).is_ok())
                .ok_or_else(|| PyOverflowError::new_err("replace bytes is too long"))?;
            new_bytearray(py, len, |dest| replace_into(src, old, new, count, dest))
        })?;
        Ok(out.into_any())
    }

    /// `translate(table, delete)`: a new `PicoListByte`.
    fn translate_bytes<'py>(
        &self,
        py: Python<'py>,
        table: &Bound<'py, PyAny>,
        delete: &Arg<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let native = || {
            let table = match table.is_none() {
                true => None,
                false => Some(bytes_like(table).filter(|t| t.len() == 256)?),
            };
            let delete = match delete.given() {
                Some(delete) => Some(bytes_like(delete)?),
                None => None,
            };
            Some((table, delete))
        };
        let Some((table, deleted)) = native() else {
            let name = intern!(py, "translate");
            let out = self.forward_call(py, name, &[table], &[("delete", delete)])?;
            return Self::new_like(py, &out);
        };
        let map: Option<&[u8; 256]> = table.as_ref().and_then(|t| t.bytes().try_into().ok());
        let deleted = deleted.as_ref().map_or(&[][..], ByteInput::bytes);
        // Made here and filled under the lock; wrapped into a `PicoListByte` (a Python object
        // made by running `tp_alloc`, which may collect garbage) after it.
        let mut out = PicoList::<u8>::new().map_err(to_py_err)?;
        self.inner.with(py, |list, _| {
            let src = list.as_slice();
            let (map, keep) = match (map, deleted) {
                (None, []) => return out.extend_from_slice(src).map_err(to_py_err),
                (map, deleted) => {
                    let mut keep = [true; 256];
                    for &b in deleted {
                        keep[usize::from(b)] = false;
                    }
                    (map, keep)
                }
            };
            // Mapped through a buffer on the stack, appended a chunk at a time.
            let mut chunk = [0u8; 512];
            for part in src.chunks(chunk.len()) {
                let mut kept = 0;
                match (map, deleted) {
                    (Some(map), []) => {
                        for (d, &s) in chunk.iter_mut().zip(part) {
                            *d = map[usize::from(s)];
                        }
                        kept = part.len();
                    }
                    _ => {
                        for &s in part {
                            chunk[kept] = map.map_or(s, |map| map[usize::from(s)]);
                            kept += usize::from(keep[usize::from(s)]);
                        }
                    }
                }
                out.extend_from_slice(&chunk[..kept]).map_err(to_py_err)?;
            }
            Ok(())
        })?;
        Ok(Self::wrap(py, out)?.into_any())
    }

    /// `hex()` without arguments of a list of at most `HEX_ON_STACK` bytes, written on the
    /// stack under the lock; `None` for a longer list.
    fn short_hex<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut stack = std::mem::MaybeUninit::<[u8; 2 * HEX_ON_STACK]>::uninit();
        let digits = self.inner.with(py, |list, _| {
            let src = list.as_slice();
            if src.len() > HEX_ON_STACK {
                return Ok(None);
            }
            let dest = stack.as_mut_ptr().cast::<u8>();
            // SAFETY: `dest` holds 2 * HEX_ON_STACK bytes; zeroed before being seen as a
            // slice, then written in full.
            let dest = unsafe {
                dest.write_bytes(0, 2 * src.len());
                std::slice::from_raw_parts_mut(dest, 2 * src.len())
            };
            hex_into(src, dest);
            Ok(Some(2 * src.len()))
        })?;
        let Some(len) = digits else {
            return Ok(None);
        };
        // SAFETY: the first `len` bytes of the stack buffer were written above.
        let digits = unsafe { std::slice::from_raw_parts(stack.as_ptr().cast::<u8>(), len) };
        ascii_str(py, digits).map(Some)
    }

    /// `decode(encoding, errors)` (`None` for either: the default).
    fn decode_as<'py>(
        slf: &Bound<'py, Self>,
        encoding: Option<&Bound<'py, PyString>>,
        errors: Option<&Bound<'py, PyString>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        // NULL means utf-8 and strict; the strings live as long as the arguments.
        let (encoding, errors) = (c_str(encoding)?, c_str(errors)?);
        let mut stack = std::mem::MaybeUninit::<[u8; DECODE_ON_STACK]>::uninit();
        let copied = slf.get().inner.with(py, |list, _| {
            let src = list.as_slice();
            if src.len() > DECODE_ON_STACK {
                return Ok(None);
            }
            // SAFETY: the stack buffer holds DECODE_ON_STACK bytes, at least `src.len()`, and
            // does not overlap the list.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    src.as_ptr(),
                    stack.as_mut_ptr().cast::<u8>(),
                    src.len(),
                )
            };
            Ok(Some(src.len() as isize))
        })?;
        // Decoding runs Python code (codecs, error handlers): with the lock released.
        // SAFETY: the pointers are valid (the copy's first `len` bytes were written; `slf`
        // exports a buffer), the strings are NUL-terminated or NULL; the result is a new
        // reference or NULL with an error set.
        unsafe {
            let out = match copied {
                Some(len) => ffi::PyUnicode_Decode(stack.as_ptr().cast(), len, encoding, errors),
                None => ffi::PyUnicode_FromEncodedObject(slf.as_ptr(), encoding, errors),
            };
            Bound::from_owned_ptr_or_err(py, out)
        }
    }
}

// Direct methods (see `direct`): PyO3's call machinery costs about as much as a short list's
// method itself.

crate::direct::direct_method!(
    /// The pieces between occurrences of `sep` (at most `maxsplit` splits), or between runs
    /// of ASCII whitespace without `sep`, as `bytearray`s.
    ByteList, fn split_method = "split" "($self, /, sep=None, maxsplit=-1)",
    fast_call |slf, args| {
        slf.get().split_call(slf.py(), args, false)
    }
);

crate::direct::direct_method!(
    /// As `split`, splitting from the end.
    ByteList, fn rsplit_method = "rsplit" "($self, /, sep=None, maxsplit=-1)",
    fast_call |slf, args| {
        slf.get().split_call(slf.py(), args, true)
    }
);

crate::direct::direct_method!(
    /// `(head, sep, tail)` split at the first `sep`, or `(copy, b'', b'')`, as `bytearray`s.
    ByteList, fn partition_method = "partition" "($self, sep, /)",
    one_arg |slf, sep| slf.get().partition_at(slf.py(), intern!(slf.py(), "partition"), sep, false)
);

crate::direct::direct_method!(
    /// `(head, sep, tail)` split at the last `sep`, or `(b'', b'', copy)`, as `bytearray`s.
    ByteList, fn rpartition_method = "rpartition" "($self, sep, /)",
    one_arg |slf, sep| slf.get().partition_at(slf.py(), intern!(slf.py(), "rpartition"), sep, true)
);

crate::direct::direct_method!(
    /// A copy with the first `count` (all when negative) occurrences of `old` replaced by
    /// `new`.
    ByteList, fn replace_method = "replace" "($self, old, new, count=-1, /)",
    fast_call |slf, args| {
        let py = slf.py();
        match args.params(["old", "new", "count"], 3) {
            Some([Some(old), Some(new), count]) => {
                slf.get().replace_bytes(py, &old, &new, &Arg::of(count))
            }
            _ => slf.get().forward_fast(py, "replace", args),
        }
    }
);

crate::direct::direct_method!(
    /// A copy without `prefix` at the start, if it is there.
    ByteList, fn removeprefix_method = "removeprefix" "($self, prefix, /)",
    one_arg |slf, prefix| {
        slf.get().remove_affix(slf.py(), intern!(slf.py(), "removeprefix"), prefix, false)
    }
);

crate::direct::direct_method!(
    /// A copy without `suffix` at the end, if it is there.
    ByteList, fn removesuffix_method = "removesuffix" "($self, suffix, /)",
    one_arg |slf, suffix| {
        slf.get().remove_affix(slf.py(), intern!(slf.py(), "removesuffix"), suffix, true)
    }
);

/// `center`, `ljust`, `rjust`: direct methods of `(width, fillchar=b' ', /)`.
macro_rules! pads {
    ($($(#[doc = $doc:literal])* $attr:ident = $name:literal, $how:expr;)*) => {
        $(
            crate::direct::direct_method!(
                $(#[doc = $doc])*
                ByteList, fn $attr = $name "($self, width, fillchar=b' ', /)",
                fast_call |slf, args| {
                    let py = slf.py();
                    match args.params(["width", "fillchar"], 2) {
                        Some([Some(width), fill]) => {
                            let name = intern!(py, $name);
                            slf.get().pad(py, name, &width, &Arg::of(fill), $how)
                        }
                        _ => slf.get().forward_fast(py, $name, args),
                    }
                }
            );
        )*
    };
}

pads! {
    /// The bytes centred in a field `width` wide, filled with `fillchar`.
    center_method = "center", Pad::Center;
    /// The bytes at the left of a field `width` wide, filled with `fillchar`.
    ljust_method = "ljust", Pad::Left;
    /// The bytes at the right of a field `width` wide, filled with `fillchar`.
    rjust_method = "rjust", Pad::Right;
}

crate::direct::direct_method!(
    /// The bytes at the right of a field `width` wide, filled with ASCII zeros (after a
    /// leading sign).
    ByteList, fn zfill_method = "zfill" "($self, width, /)",
    one_arg |slf, width| {
        let py = slf.py();
        slf.get().pad(py, intern!(py, "zfill"), width, &Arg::Missing, Pad::Zeros)
    }
);

crate::direct::direct_method!(
    /// Maps every byte through the 256-byte `table` (or none) after removing the bytes in
    /// `delete`, as a new `PicoListByte`.
    ByteList, fn translate_method = "translate" "($self, table, /, delete=b'')",
    fast_call |slf, args| {
        let py = slf.py();
        match args.params(["table", "delete"], 1) {
            Some([Some(table), delete]) => {
                slf.get().translate_bytes(py, &table, &Arg::of(delete))
            }
            _ => {
                let out = slf.get().forward_fast(py, "translate", args)?;
                ByteList::new_like(py, &out)
            }
        }
    }
);

crate::direct::direct_method!(
    /// The bytes as lower-case hexadecimal digits (`bytearray.hex`), with `sep` between
    /// groups of `bytes_per_sep` bytes.
    ByteList, fn hex_method = "hex" "($self, /, sep=None, bytes_per_sep=1)",
    fast_call |slf, args| {
        let py = slf.py();
        if let Some([None, None]) = args.params(["sep", "bytes_per_sep"], 0) {
            if let Some(text) = slf.get().short_hex(py)? {
                return Ok(text);
            }
        }
        // Long lists, and `sep`: read in place through a memoryview.
        // SAFETY: `slf` is a valid object that exports a buffer; the result is a new
        // reference or NULL with an error set.
        let view = unsafe {
            Bound::from_owned_ptr_or_err(py, ffi::PyMemoryView_FromObject(slf.as_ptr()))?
        };
        let (positional, keywords) = args.to_call()?;
        let hex = view.call_method(intern!(py, "hex"), positional, keywords.as_ref());
        view.call_method0(intern!(py, "release"))?;
        hex
    }
);

crate::direct::direct_method!(
    /// The text the bytes encode (`bytearray.decode`): short lists decode a copy taken under
    /// the lock, longer ones are read in place through a buffer export.
    ByteList, fn decode_method = "decode" "($self, /, encoding=None, errors=None)",
    fast_call |slf, args| {
        let py = slf.py();
        let Some([encoding, errors]) = args.params(["encoding", "errors"], 0) else {
            return slf.get().forward_fast(py, "decode", args);
        };
        match (text_arg(encoding), text_arg(errors)) {
            (Some(encoding), Some(errors)) => {
                ByteList::decode_as(slf, encoding.as_ref(), errors.as_ref())
            }
            _ => slf.get().forward_fast(py, "decode", args),
        }
    }
);
