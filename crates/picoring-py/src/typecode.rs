//! The `array.array` typecodes (numbers `b B h H i I l L q Q f d`, and for lists the text
//! typecodes `u` and `w`): sizes, buffer format strings, and conversion of Python numbers and
//! characters to and from native bytes.

use std::ffi::{c_long, CStr};

use pyo3::exceptions::{PyDeprecationWarning, PyOverflowError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyIterator, PyString};

use crate::input::type_name;

/// The native type behind a typecode (`l`/`L` follow C's `long`, as in `array.array`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Native {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    /// A code point in 4 bytes (`w`, and `u` where `wchar_t` has 4 bytes).
    Ucs4,
    /// A UTF-16 code unit (`u` where `wchar_t` has 2 bytes: Windows).
    Utf16,
}

/// One typecode: its letter, its native type and its buffer format string.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TypeCode {
    pub(crate) code: char,
    pub(crate) native: Native,
    /// The export's format: the typecode itself, as `array.array` exports it (native sizes).
    pub(crate) format: &'static CStr,
}

const fn long_native(signed: bool) -> Native {
    match (std::mem::size_of::<c_long>(), signed) {
        (4, true) => Native::I32,
        (4, false) => Native::U32,
        (_, true) => Native::I64,
        (_, false) => Native::U64,
    }
}

const fn entry(code: char, native: Native, format: &'static CStr) -> TypeCode {
    TypeCode {
        code,
        native,
        format,
    }
}

/// `u`: a C `wchar_t` (2 bytes on Windows, 4 elsewhere), as in `array.array`, which exports a
/// 4-byte `wchar_t` with format `w` (numpy reads it as `<U1`).
const WCHAR: TypeCode = if cfg!(windows) {
    entry('u', Native::Utf16, c"u")
} else {
    entry('u', Native::Ucs4, c"w")
};
/// `w`: a `Py_UCS4` (Python 3.13 on).
const UCS4: TypeCode = entry('w', Native::Ucs4, c"w");

const TABLE: [TypeCode; 12] = [
    entry('b', Native::I8, c"b"),
    entry('B', Native::U8, c"B"),
    entry('h', Native::I16, c"h"),
    entry('H', Native::U16, c"H"),
    entry('i', Native::I32, c"i"),
    entry('I', Native::U32, c"I"),
    entry('l', long_native(true), c"l"),
    entry('L', long_native(false), c"L"),
    entry('q', Native::I64, c"q"),
    entry('Q', Native::U64, c"Q"),
    entry('f', Native::F32, c"f"),
    entry('d', Native::F64, c"d"),
];

/// Runs `$body` with `$t` bound to the Rust type of `$native`.
macro_rules! with_native {
    ($native:expr, $t:ident => $body:expr) => {
        with_native!(@arms $native, $t, $body,
            I8 i8, U8 u8, I16 i16, U16 u16, I32 i32, U32 u32, I64 i64, U64 u64, F32 f32, F64 f64,
            Ucs4 Char<u32>, Utf16 Char<u16>)
    };
    (@arms $native:expr, $t:ident, $body:expr, $($variant:ident $ty:ty),*) => {
        match $native {
            $(Native::$variant => {
                type $t = $ty;
                $body
            })*
        }
    };
}

/// A number the bindings can store: read from a Python object with `array.array`'s checks,
/// kept as native-endian bytes.
trait Number: Copy + for<'py> IntoPyObject<'py> {
    const SIZE: usize;
    fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Self>;
    fn write_ne(self, out: &mut [u8]);
    fn read_ne(bytes: &[u8]) -> Self;
    /// The native bytes, on the stack.
    fn to_ne_vec(self) -> impl std::ops::Deref<Target = [u8]>;
    /// The integer `value` as this type, `None` out of range (never for floats: they round,
    /// as `array.array` rounds a Python int, through a C double).
    fn from_i128(value: i128) -> Option<Self>;
    /// The Python float `value` as this type, as `from_py` converts it; `None` for integer
    /// types (a float is a `TypeError` there).
    fn from_f64(value: f64) -> Option<Self>;
}

macro_rules! number {
    (
        $t:ty, |$obj:ident| $from_py:expr, |$int:ident| $from_i128:expr,
        |$float:ident| $from_f64:expr
    ) => {
        impl Number for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn from_py($obj: &Bound<'_, PyAny>) -> PyResult<Self> {
                $from_py
            }
            fn write_ne(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_ne_bytes());
            }
            fn to_ne_vec(self) -> impl std::ops::Deref<Target = [u8]> {
                NeBytes(self.to_ne_bytes())
            }
            fn read_ne(bytes: &[u8]) -> Self {
                let mut raw = [0; std::mem::size_of::<$t>()];
                raw.copy_from_slice(bytes);
                <$t>::from_ne_bytes(raw)
            }
            // `as f64` is a no-op for f64 (the same expansion serves f32).
            #[allow(clippy::unnecessary_cast)]
            fn from_i128($int: i128) -> Option<Self> {
                $from_i128
            }
            #[allow(clippy::unnecessary_cast, unused_variables)]
            fn from_f64($float: f64) -> Option<Self> {
                $from_f64
            }
        }
    };
    ($t:ty, $via:ty) => {
        // Integers go through `__index__` (a float is a TypeError, as in array.array); out of
        // range is an OverflowError.
        number!(
            $t,
            |obj| {
                let wide: $via = obj.extract()?;
                <$t>::try_from(wide).map_err(|_| {
                    PyOverflowError::new_err(format!(
                        "{wide} is out of range for {} ({}..={})",
                        stringify!($t),
                        <$t>::MIN,
                        <$t>::MAX
                    ))
                })
            },
            |value| <$t>::try_from(value).ok(),
            |value| None
        );
    };
    (float $t:ty) => {
        // float32 rounds (and overflows to inf) exactly as array.array('f') does: to a double
        // first (an int is rounded to the nearest double), then to a float.
        number!(
            $t,
            |obj| {
                if obj.is_instance_of::<PyString>() {
                    return Err(PyTypeError::new_err("must be real number, not str"));
                }
                Ok(obj.extract::<f64>()? as $t)
            },
            |value| Some(value as f64 as $t),
            |value| Some(value as $t)
        );
    };
}

number!(i8, i64);
number!(u8, u64);
number!(i16, i64);
number!(u16, u64);
number!(i32, i64);
number!(u32, u64);
number!(i64, i64);
number!(u64, u64);
number!(float f32);
number!(float f64);

/// One character of a text typecode: a code point (`u32`) or a UTF-16 code unit (`u16`), kept
/// as is (surrogates included, as `array.array` keeps them).
#[derive(Clone, Copy, PartialEq)]
struct Char<T>(T);

/// `array.array`'s error for anything but a one-character `str`.
fn not_a_char() -> PyErr {
    PyTypeError::new_err("array item must be unicode character")
}

macro_rules! char_item {
    ($t:ty) => {
        impl Number for Char<$t> {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
                let text = obj.cast::<PyString>().map_err(|_| not_a_char())?;
                if text.len()? != 1 {
                    return Err(not_a_char());
                }
                // SAFETY: `text` is a str of one character, so index 0 is within it.
                let point = unsafe { ffi::PyUnicode_ReadChar(text.as_ptr(), 0) };
                // A character beyond the type (outside the BMP for UTF-16) is refused, as
                // `array('u')` refuses one that takes two `wchar_t`.
                <$t>::try_from(point).map(Char).map_err(|_| not_a_char())
            }
            fn write_ne(self, out: &mut [u8]) {
                self.0.write_ne(out)
            }
            fn to_ne_vec(self) -> impl std::ops::Deref<Target = [u8]> {
                self.0.to_ne_vec()
            }
            fn read_ne(bytes: &[u8]) -> Self {
                Char(<$t>::read_ne(bytes))
            }
            fn from_i128(_: i128) -> Option<Self> {
                None
            }
            fn from_f64(_: f64) -> Option<Self> {
                None
            }
        }

        impl<'py> IntoPyObject<'py> for Char<$t> {
            type Target = PyAny;
            type Output = Bound<'py, PyAny>;
            type Error = PyErr;
            /// The one-character str, or `ValueError` beyond U+10FFFF (the code is cast to a C
            /// int as `array.array` casts it, so a huge one is negative and refused too).
            fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                // SAFETY: PyUnicode_FromOrdinal returns a new reference, or NULL with an
                // exception set (ValueError out of range).
                unsafe {
                    Bound::from_owned_ptr_or_err(py, ffi::PyUnicode_FromOrdinal(self.0 as i32))
                }
            }
        }
    };
}

char_item!(u32);
char_item!(u16);

/// A number's native bytes as a slice.
struct NeBytes<const N: usize>([u8; N]);

impl<const N: usize> std::ops::Deref for NeBytes<N> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// A number read from an exact `int` (fitting an `i64`) or `float` without running Python
/// code, allocating or raising, so it may be read and converted under an object's lock.
#[derive(Clone, Copy)]
pub(crate) enum Fast {
    Int(i64),
    Float(f64),
}

impl Fast {
    /// `obj`'s number, if `obj` is an exact `int` that fits an `i64` or an exact `float`.
    #[inline]
    pub(crate) fn of(obj: &Bound<'_, PyAny>) -> Option<Fast> {
        if let Some(n) = crate::input::exact_int(obj) {
            return Some(Fast::Int(n));
        }
        if obj.is_exact_instance_of::<pyo3::types::PyFloat>() {
            // SAFETY: `obj` is an exact float: this reads its value and cannot fail.
            return Some(Fast::Float(unsafe {
                pyo3::ffi::PyFloat_AsDouble(obj.as_ptr())
            }));
        }
        None
    }
}

/// One item's native bytes (at most 8), on the stack.
pub(crate) struct Item {
    raw: [u8; 8],
    len: usize,
}

impl std::ops::Deref for Item {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.raw[..self.len]
    }
}

impl AsRef<[u8]> for Item {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

/// What kind of number a format describes, with its size: two formats that agree here hold
/// the same bytes (`q` and native `l` on LP64, `<f` and `f` on little-endian machines).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Signed(usize),
    Unsigned(usize),
    Float(usize),
    Text(usize),
}

impl Native {
    fn kind(self) -> Kind {
        with_native!(self, T => {
            let size = std::mem::size_of::<T>();
            match self {
                Native::F32 | Native::F64 => Kind::Float(size),
                Native::Ucs4 | Native::Utf16 => Kind::Text(size),
                Native::I8 | Native::I16 | Native::I32 | Native::I64 => Kind::Signed(size),
                _ => Kind::Unsigned(size),
            }
        })
    }
}

/// The kind of a `struct`-module format string with one item, or `None` for anything else.
fn format_kind(format: &CStr) -> Option<Kind> {
    let format = format.to_str().ok()?;
    let (standard, letter) = match format.as_bytes() {
        [letter] => (false, *letter),
        [b'@', letter] => (false, *letter),
        [b'=', letter] => (true, *letter),
        [b'<', letter] if cfg!(target_endian = "little") => (true, *letter),
        [b'>' | b'!', letter] if cfg!(target_endian = "big") => (true, *letter),
        _ => return None,
    };
    let long = if standard {
        4
    } else {
        std::mem::size_of::<c_long>()
    };
    Some(match letter {
        b'b' => Kind::Signed(1),
        b'B' => Kind::Unsigned(1),
        b'h' => Kind::Signed(2),
        b'H' => Kind::Unsigned(2),
        b'i' => Kind::Signed(4),
        b'I' => Kind::Unsigned(4),
        b'l' => Kind::Signed(long),
        b'L' => Kind::Unsigned(long),
        b'q' => Kind::Signed(8),
        b'Q' => Kind::Unsigned(8),
        b'f' => Kind::Float(4),
        b'd' => Kind::Float(8),
        b'u' if !standard => WCHAR.native.kind(),
        b'w' if !standard => Kind::Text(4),
        _ => return None,
    })
}

impl TypeCode {
    /// Bytes (`B`): what every byte class exports.
    pub(crate) const BYTE: TypeCode = TABLE[1];

    /// The numeric typecode named by `code` (rings hold numbers only), with `array.array`'s
    /// errors for anything else.
    pub(crate) fn from_py(code: &Bound<'_, PyAny>) -> PyResult<Self> {
        let c = letter(code)?;
        TABLE.iter().find(|t| t.code == c).copied().ok_or_else(|| {
            PyValueError::new_err("bad typecode (must be b, B, h, H, i, I, l, L, q, Q, f or d)")
        })
    }

    /// The typecode named by `code`, as `array.array` of the running Python takes it: the
    /// numbers, `u` (with its `DeprecationWarning` from Python 3.13 on) and, from 3.13 on, `w`.
    pub(crate) fn from_py_with_text(code: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = code.py();
        let c = letter(code)?;
        let found = Self::from_char_with_text(py, c).ok_or_else(|| {
            PyValueError::new_err(if has_ucs4(py) {
                "bad typecode (must be b, B, u, w, h, H, i, I, l, L, q, Q, f or d)"
            } else {
                "bad typecode (must be b, B, u, h, H, i, I, l, L, q, Q, f or d)"
            })
        })?;
        if c == 'u' && has_ucs4(py) {
            PyErr::warn(
                py,
                &py.get_type::<PyDeprecationWarning>(),
                c"The 'u' type code is deprecated and will be removed in Python 3.16",
                1,
            )?;
        }
        Ok(found)
    }

    /// The typecode `c` as `array.array` of the running Python has it (no warning).
    pub(crate) fn from_char_with_text(py: Python<'_>, c: char) -> Option<Self> {
        match c {
            'u' => Some(WCHAR),
            'w' if has_ucs4(py) => Some(UCS4),
            _ => TABLE.iter().find(|t| t.code == c).copied(),
        }
    }

    /// The codec that turns text into this text typecode's native items (code points or UTF-16
    /// code units, native byte order).
    fn codec(self) -> &'static str {
        match (self.itemsize(), cfg!(target_endian = "little")) {
            (4, true) => "utf-32-le",
            (4, false) => "utf-32-be",
            (_, true) => "utf-16-le",
            (_, false) => "utf-16-be",
        }
    }

    /// The native items of `text` (a text typecode's): surrogates are kept, as `array.array`
    /// keeps them.
    pub(crate) fn encode_text<'py>(
        self,
        text: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        Ok(text
            .call_method1("encode", (self.codec(), "surrogatepass"))?
            .cast_into::<PyBytes>()?)
    }

    /// The text held in `items` (native items of a text typecode), decoded as `array.array`
    /// decodes it: `u` keeps surrogates and raises `ValueError` for a code point beyond
    /// U+10FFFF; `w` decodes strictly, a `UnicodeDecodeError` for either.
    pub(crate) fn decode_text<'py>(
        self,
        items: &Bound<'py, PyBytes>,
    ) -> PyResult<Bound<'py, PyString>> {
        let errors = if self.code == 'w' {
            "strict"
        } else {
            "surrogatepass"
        };
        if self.code != 'w' && self.itemsize() == 4 {
            let beyond = items
                .as_bytes()
                .chunks_exact(4)
                .map(u32::read_ne)
                .find(|&point| point > 0x10FFFF);
            if let Some(point) = beyond {
                return Err(PyValueError::new_err(format!(
                    "character U+{point:x} is not in range [U+0000; U+10ffff]"
                )));
            }
        }
        Ok(items
            .call_method1("decode", (self.codec(), errors))?
            .cast_into::<PyString>()?)
    }

    /// `ValueError` for `method` (`fromunicode`, `tounicode`) on a list of numbers, naming the
    /// text typecodes of the running Python.
    pub(crate) fn not_text(py: Python<'_>, method: &str) -> PyErr {
        let codes = if has_ucs4(py) { "'u' or 'w'" } else { "'u'" };
        PyValueError::new_err(format!(
            "{method}() may only be called on a PicoList of a unicode typecode ({codes})"
        ))
    }

    /// Whether the items are characters (`u`, `w`), not numbers.
    pub(crate) fn is_text(self) -> bool {
        matches!(self.native.kind(), Kind::Text(_))
    }

    pub(crate) fn itemsize(self) -> usize {
        with_native!(self.native, T => T::SIZE)
    }

    /// Whether a buffer of `format` holds exactly this typecode's numbers.
    pub(crate) fn matches(self, format: &CStr) -> bool {
        format_kind(format) == Some(self.native.kind())
    }

    /// Writes `obj` as one native item into `out` (`itemsize` bytes), with `array.array`'s
    /// exceptions: `TypeError` for a wrong type, `OverflowError` out of range.
    pub(crate) fn store(self, obj: &Bound<'_, PyAny>, out: &mut [u8]) -> PyResult<()> {
        with_native!(self.native, T => T::from_py(obj)?.write_ne(out));
        Ok(())
    }

    /// Converts items of `items` into native bytes appended to `out`, at most `max` of them;
    /// returns whether the iterator is exhausted. On an error, `out` keeps the items
    /// converted before it.
    pub(crate) fn store_from_iter(
        self,
        items: &mut Bound<'_, PyIterator>,
        out: &mut Vec<u8>,
        max: usize,
    ) -> PyResult<bool> {
        // One dispatch on the typecode per call, not per item.
        with_native!(self.native, T => {
            out.reserve(max.min(64 * 1024) * T::SIZE);
            for _ in 0..max {
                match items.next() {
                    None => return Ok(true),
                    Some(item) => out.extend_from_slice(&T::from_py(&item?)?.to_ne_vec()),
                }
            }
            Ok(false)
        })
    }

    /// How many leading numbers of `start, start + step, ...` (`len` of them, all within
    /// i128) this typecode holds: a range is monotonic, so the ones that fit are a prefix
    /// (every one for floats, which round).
    pub(crate) fn range_prefix(self, start: i128, step: i128, len: usize) -> usize {
        with_native!(self.native, T => {
            let fits = |k: usize| T::from_i128(start + k as i128 * step).is_some();
            if len == 0 || !fits(0) {
                return 0;
            }
            // fits(lo) holds, fits(hi) does not (or hi == len).
            let (mut lo, mut hi) = (0, len);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if fits(mid) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            hi
        })
    }

    /// Appends the native bytes of `start, start + step, ...` (`len` numbers, each within
    /// i128 and held by this typecode, see [`TypeCode::range_prefix`]) to `out`; returns
    /// `false`, appending nothing, if one is not.
    pub(crate) fn store_range(
        self,
        start: i128,
        step: i128,
        len: usize,
        out: &mut Vec<u8>,
    ) -> bool {
        with_native!(self.native, T => {
            let before = out.len();
            out.resize(before + len * T::SIZE, 0);
            let mut value = start;
            for slot in out[before..].chunks_exact_mut(T::SIZE) {
                let Some(item) = T::from_i128(value) else {
                    out.truncate(before);
                    return false;
                };
                item.write_ne(slot);
                value = value.wrapping_add(step);
            }
            true
        })
    }

    /// `obj` as one native item (`itemsize` bytes), converted as [`TypeCode::store`] does.
    pub(crate) fn item(self, obj: &Bound<'_, PyAny>) -> PyResult<Item> {
        let mut item = Item {
            raw: [0; 8],
            len: self.itemsize(),
        };
        self.store(obj, &mut item.raw[..item.len])?;
        Ok(item)
    }

    /// `number` as one native item, converted as [`TypeCode::item`] converts the Python
    /// number it was read from; `None` where that conversion fails (it raises the error).
    #[inline]
    pub(crate) fn item_fast(self, number: Fast) -> Option<Item> {
        with_native!(self.native, T => {
            let value = match number {
                Fast::Int(n) => T::from_i128(i128::from(n))?,
                Fast::Float(x) => T::from_f64(x)?,
            };
            let mut item = Item {
                raw: [0; 8],
                len: T::SIZE,
            };
            value.write_ne(&mut item.raw[..T::SIZE]);
            Some(item)
        })
    }

    /// The Python number stored in `bytes` (`itemsize` bytes).
    pub(crate) fn load<'py>(self, py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        with_native!(self.native, T => Ok(T::read_ne(bytes).into_pyobject(py)?.into_any()))
    }

    /// Converts every item of `raw` (whole items of this typecode) to a Python number and hands
    /// it to `put` with its position: the typecode is matched once, not once per item.
    pub(crate) fn load_each<'py>(
        self,
        py: Python<'py>,
        raw: &[u8],
        mut put: impl FnMut(usize, Bound<'py, PyAny>),
    ) -> PyResult<()> {
        with_native!(self.native, T => {
            for (i, item) in raw.chunks_exact(T::SIZE).enumerate() {
                put(i, T::read_ne(item).into_pyobject(py)?.into_any());
            }
            Ok(())
        })
    }

    /// Swaps the byte order of every item of `bytes` (whole items of this typecode) in place,
    /// a whole native word at a time.
    pub(crate) fn byteswap(self, bytes: &mut [u8]) {
        macro_rules! swap {
            ($t:ty) => {
                for item in bytes.chunks_exact_mut(std::mem::size_of::<$t>()) {
                    let mut raw = [0; std::mem::size_of::<$t>()];
                    raw.copy_from_slice(item);
                    item.copy_from_slice(&<$t>::from_ne_bytes(raw).swap_bytes().to_ne_bytes());
                }
            };
        }
        match self.itemsize() {
            2 => swap!(u16),
            4 => swap!(u32),
            8 => swap!(u64),
            _ => {}
        }
    }

    /// Whether the numbers in `a` and `b` (both of this typecode) are equal as numbers
    /// (`0.0 == -0.0`, `nan != nan`), which comparing bytes would get wrong for floats.
    pub(crate) fn equal(self, a: &[u8], b: &[u8]) -> bool {
        fn same<T: Number + PartialEq>(a: &[u8], b: &[u8]) -> bool {
            a.len() == b.len()
                && a.chunks_exact(T::SIZE)
                    .zip(b.chunks_exact(T::SIZE))
                    .all(|(x, y)| T::read_ne(x) == T::read_ne(y))
        }
        match self.native {
            Native::F32 => same::<f32>(a, b),
            Native::F64 => same::<f64>(a, b),
            _ => a == b,
        }
    }
}

/// Whether the running Python's `array.array` has typecode `w` (3.13 on).
fn has_ucs4(py: Python<'_>) -> bool {
    py.version_info() >= (3, 13)
}

/// The one character a typecode argument names, with `array.array`'s errors.
fn letter(code: &Bound<'_, PyAny>) -> PyResult<char> {
    let text = code.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "typecode must be a unicode character, not {}",
            type_name(code)
        ))
    })?;
    let one_char =
        || PyTypeError::new_err("typecode must be a unicode character, not str of length != 1");
    if text.len()? != 1 {
        return Err(one_char());
    }
    // Read in place (no UTF-8 copy): constructing a `PicoList` reads its typecode each time.
    // SAFETY: `text` is a str of one character, so index 0 is within it.
    let point = unsafe { ffi::PyUnicode_ReadChar(text.as_ptr(), 0) };
    // A lone surrogate is no `char`: U+FFFD stands in, a bad typecode (`ValueError`) as
    // `array.array` reports it.
    Ok(char::from_u32(point).unwrap_or(char::REPLACEMENT_CHARACTER))
}

/// A `ValueError` naming what a buffer of the wrong format holds.
pub(crate) fn format_mismatch(code: TypeCode, format: &CStr) -> PyErr {
    PyValueError::new_err(format!(
        "buffer format mismatch: expected {:?} items (typecode '{}'), got format {:?}",
        code.format, code.code, format
    ))
}
