//! Methods CPython calls directly (`METH_O`, `METH_NOARGS`, `METH_FASTCALL | METH_KEYWORDS`),
//! without PyO3's trampoline: for the few calls a program makes once per item, and the short
//! bytes methods, where that machinery costs more than the work.
//!
//! Where the instructions of one `PicoListByte.append(7)` go (callgrind, CPython 3.11, counted
//! inside the extension; the interpreter's call overhead, about 150 through PyO3's
//! `FASTCALL|KEYWORDS` and 115 through `METH_O`, and a `for` loop's 205 come on top;
//! `bytearray.append` itself is 90):
//!
//! | part                                                   | PyO3 method | direct |
//! |--------------------------------------------------------|-------------|--------|
//! | entry and exit (trampoline, attach count in TLS)       | 106         | 24     |
//! | argument parsing (`FASTCALL\|KEYWORDS`, one argument)  | 89          | 0      |
//! | int to byte (`extract::<isize>`; now `exact_int`)      | 75          | 27     |
//! | the object's lock (fork check, mutex)                  | 85          | 29     |
//! | the append itself                                      | 59          | 25     |
//! | total                                                  | 414         | 105    |
//!
//! With the loop, 776 instructions per item became 439, against `bytearray.append`'s 411. A
//! readable view saves the same entry, exit and lock costs (1641 to 1465 per view, against
//! 1583 for picoring 0.6); its buffer export and release still go through PyO3 (slots).
//!
//! A method defined here is a `#[classattr]` holding a method descriptor
//! ([`ffi::PyDescr_NewMethod`]) over a static [`MethodDef`], so CPython calls it the way it
//! calls `bytearray.append`: the descriptor checks the type of `self`, and the interpreter's
//! specialised call paths apply. The body runs with panics caught (raised as PyO3's
//! `PanicException`, as PyO3 does) and without touching PyO3's attach count: nothing on these
//! paths attaches or detaches except through PyO3 calls that read the count themselves.

use std::cell::UnsafeCell;
use std::ffi::{c_int, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};
use pyo3::PyClass;

/// The C function of a `METH_O` or `METH_NOARGS` method.
type RawMethod = unsafe extern "C" fn(*mut ffi::PyObject, *mut ffi::PyObject) -> *mut ffi::PyObject;

/// The C function of a `METH_FASTCALL | METH_KEYWORDS` method.
type RawFastMethod = ffi::PyCFunctionFastWithKeywords;

/// A method definition CPython keeps a pointer to for the life of the process.
pub(crate) struct MethodDef(UnsafeCell<ffi::PyMethodDef>);

// SAFETY: CPython only reads the definition (and always with the interpreter attached).
unsafe impl Sync for MethodDef {}

impl MethodDef {
    /// A `METH_O` method: `raw(self, arg)`. `doc` starts with the signature line CPython
    /// parses for `inspect.signature`: `"name($self, arg, /)\n--\n\n"`.
    pub(crate) const fn one_arg(name: &'static CStr, doc: &'static CStr, raw: RawMethod) -> Self {
        Self::new(name, doc, raw, ffi::METH_O)
    }

    /// A `METH_NOARGS` method: `raw(self, NULL)`; `doc` as for [`MethodDef::one_arg`].
    pub(crate) const fn no_args(name: &'static CStr, doc: &'static CStr, raw: RawMethod) -> Self {
        Self::new(name, doc, raw, ffi::METH_NOARGS)
    }

    /// A `METH_FASTCALL | METH_KEYWORDS` method: `raw(self, args, nargs, kwnames)`, for
    /// optional and keyword arguments; `doc` as for [`MethodDef::one_arg`].
    pub(crate) const fn fast_call(
        name: &'static CStr,
        doc: &'static CStr,
        raw: RawFastMethod,
    ) -> Self {
        MethodDef(UnsafeCell::new(ffi::PyMethodDef {
            ml_name: name.as_ptr(),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunctionFastWithKeywords: raw,
            },
            ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
            ml_doc: doc.as_ptr(),
        }))
    }

    const fn new(name: &'static CStr, doc: &'static CStr, raw: RawMethod, flags: c_int) -> Self {
        MethodDef(UnsafeCell::new(ffi::PyMethodDef {
            ml_name: name.as_ptr(),
            ml_meth: ffi::PyMethodDefPointer { PyCFunction: raw },
            ml_flags: flags,
            ml_doc: doc.as_ptr(),
        }))
    }

    /// The method descriptor of `T` for this definition (the value of a `#[classattr]`).
    pub(crate) fn descriptor<T: PyClass>(&'static self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        // During class creation PyO3 hands a class attribute's initializer the type object
        // itself (its dict is being filled).
        let ty: Bound<'_, PyType> = py.get_type::<T>();
        // SAFETY: the type is live and the definition static; the result is a new reference
        // or NULL with an exception set.
        unsafe {
            Bound::from_owned_ptr_or_err(py, ffi::PyDescr_NewMethod(ty.as_type_ptr(), self.0.get()))
        }
        .map(Bound::unbind)
    }
}

/// A docstring from doc comments, as PyO3 makes one: the space after `///` dropped from each
/// line, no newline at the end; padded with NULs to the length of `doc` (NUL-terminated).
pub(crate) const fn doc_text<const N: usize>(doc: &str) -> [u8; N] {
    let doc = doc.as_bytes();
    let mut out = [0u8; N];
    let (mut i, mut j) = (0, 0);
    let mut line_start = true;
    while i < doc.len() && i < N {
        let b = doc[i];
        let indent = line_start && b == b' ';
        let last_newline = b == b'\n' && i + 1 < doc.len() && doc[i + 1] == 0;
        if !indent && !last_newline {
            out[j] = b;
            j += 1;
        }
        line_start = b == b'\n';
        i += 1;
    }
    out
}

/// The C string at the start of `bytes` (a compile-time constant: a missing NUL stops the
/// build).
pub(crate) const fn c_str(bytes: &'static [u8]) -> &'static CStr {
    match CStr::from_bytes_until_nul(bytes) {
        Ok(s) => s,
        Err(_) => panic!("a method's name or docstring without a NUL"),
    }
}

/// Runs a direct method's body for CPython: `self` (a `T`: the descriptor checked it) and the
/// argument are borrowed, `Ok` becomes a new reference, `Err` and panics a raised exception.
///
/// # Safety
///
/// Called by CPython for a method descriptor of `T`, so the thread is attached, `slf` is a
/// live instance of `T` (or of a subclass) and `arg` a live object or, for `METH_NOARGS`, NULL
/// (`body` must then not look at it).
#[inline]
pub(crate) unsafe fn call<T: PyClass>(
    slf: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
    body: for<'py> fn(&Bound<'py, T>, *mut ffi::PyObject) -> PyResult<Bound<'py, PyAny>>,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls methods with the thread attached; the token does not outlive this
    // call.
    let py = unsafe { Python::assume_attached() };
    let result = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `slf` is a live `T` (the caller's contract), borrowed for this call.
        let slf = unsafe { pyo3::Borrowed::from_ptr(py, slf).cast_unchecked::<T>() };
        body(&slf, arg).map(Bound::into_ptr)
    }));
    let err = match result {
        Ok(Ok(out)) => return out,
        Ok(Err(err)) => err,
        Err(payload) => panic_error(payload),
    };
    err.restore(py);
    std::ptr::null_mut()
}

/// The arguments of a `METH_FASTCALL | METH_KEYWORDS` call, borrowed for the call.
pub(crate) struct FastArgs<'a, 'py> {
    py: Python<'py>,
    /// The positional arguments, then the keyword arguments' values.
    values: &'a [*mut ffi::PyObject],
    positional: usize,
    /// The keyword arguments' names (a tuple of str), or NULL.
    kwnames: *mut ffi::PyObject,
}

impl<'a, 'py> FastArgs<'a, 'py> {
    fn value(&self, i: usize) -> pyo3::Borrowed<'a, 'py, PyAny> {
        // SAFETY: CPython holds every argument for the call.
        unsafe { pyo3::Borrowed::from_ptr(self.py, self.values[i]) }
    }

    /// The keyword arguments' names, each with the index of its value.
    fn keywords(&self) -> impl Iterator<Item = (pyo3::Borrowed<'a, 'py, PyAny>, usize)> + '_ {
        let count = self.values.len() - self.positional;
        (0..count).map(move |k| {
            // SAFETY: `kwnames` is a live tuple of `count` names (there are values for them);
            // PyTuple_GetItem returns a borrowed reference, valid for the call.
            let name = unsafe {
                pyo3::Borrowed::from_ptr(self.py, ffi::PyTuple_GetItem(self.kwnames, k as isize))
            };
            (name, self.positional + k)
        })
    }

    /// The arguments matched to the parameters `names` (the first `positional_only` of them
    /// positional-only) as CPython's argument parser matches them, a missing one `None`; `None`
    /// for a call the parser would refuse (too many arguments, an unknown or repeated
    /// keyword), which the caller hands on to get the built-in's error.
    pub(crate) fn params<const N: usize>(
        &self,
        names: [&str; N],
        positional_only: usize,
    ) -> Option<[Option<pyo3::Borrowed<'a, 'py, PyAny>>; N]> {
        if self.positional > N {
            return None;
        }
        let mut out = [None; N];
        for (i, slot) in out.iter_mut().enumerate().take(self.positional) {
            *slot = Some(self.value(i));
        }
        for (name, i) in self.keywords() {
            let name = name.cast::<PyString>().ok()?;
            let at = names.iter().position(|&n| name.to_str().ok() == Some(n))?;
            if at < positional_only || out[at].is_some() {
                return None;
            }
            out[at] = Some(self.value(i));
        }
        Some(out)
    }

    /// The call's arguments as a tuple and a dict of the keyword ones (`None` without), to
    /// hand on to another callable.
    pub(crate) fn to_call(&self) -> PyResult<(Bound<'py, PyTuple>, Option<Bound<'py, PyDict>>)> {
        let args = PyTuple::new(self.py, (0..self.positional).map(|i| self.value(i)))?;
        if self.kwnames.is_null() {
            return Ok((args, None));
        }
        let kwargs = PyDict::new(self.py);
        for (name, i) in self.keywords() {
            kwargs.set_item(name, self.value(i))?;
        }
        Ok((args, Some(kwargs)))
    }
}

/// Runs a `METH_FASTCALL | METH_KEYWORDS` method's body for CPython, as [`call`] does.
///
/// # Safety
///
/// Called by CPython for a method descriptor of `T`, so the thread is attached, `slf` is a
/// live instance of `T` (or of a subclass), `args` holds `nargs` positional arguments then one
/// value per name in `kwnames` (a tuple of str, or NULL), all live for the call.
#[inline]
pub(crate) unsafe fn call_fast<T: PyClass>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
    body: for<'a, 'py> fn(&Bound<'py, T>, &FastArgs<'a, 'py>) -> PyResult<Bound<'py, PyAny>>,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls methods with the thread attached; the token does not outlive this
    // call.
    let py = unsafe { Python::assume_attached() };
    let result = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `slf` is a live `T` (the caller's contract), borrowed for this call.
        let slf = unsafe { pyo3::Borrowed::from_ptr(py, slf).cast_unchecked::<T>() };
        let keywords = if kwnames.is_null() {
            0
        } else {
            // SAFETY: a non-NULL `kwnames` is a live tuple (the caller's contract).
            unsafe { ffi::PyTuple_Size(kwnames) }
        };
        let positional = usize::try_from(nargs).unwrap_or(0);
        let total = positional + usize::try_from(keywords).unwrap_or(0);
        let values = if total == 0 {
            &[][..]
        } else {
            // SAFETY: `args` holds `total` live objects (the caller's contract).
            unsafe { std::slice::from_raw_parts(args, total) }
        };
        let args = FastArgs {
            py,
            values,
            positional,
            kwnames,
        };
        body(&slf, &args).map(Bound::into_ptr)
    }));
    let err = match result {
        Ok(Ok(out)) => return out,
        Ok(Err(err)) => err,
        Err(payload) => panic_error(payload),
    };
    err.restore(py);
    std::ptr::null_mut()
}

/// The `PanicException` PyO3 raises for a panic, with the panic's message.
#[cold]
fn panic_error(payload: Box<dyn std::any::Any + Send>) -> PyErr {
    let message = if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "panic from Rust code".to_string()
    };
    pyo3::panic::PanicException::new_err((message,))
}

/// The argument of a `METH_O` method, borrowed for the call.
///
/// # Safety
///
/// `arg` is the argument CPython passed to a `METH_O` method (a live object).
#[inline]
pub(crate) unsafe fn borrow_arg<'a, 'py>(
    py: Python<'py>,
    arg: *mut ffi::PyObject,
) -> pyo3::Borrowed<'a, 'py, PyAny> {
    // SAFETY: the caller's contract; CPython holds the argument for the call.
    unsafe { pyo3::Borrowed::from_ptr(py, arg) }
}

/// Defines a direct method of `$class`: a `#[classattr]` `$attr` named `$name` in Python,
/// holding its descriptor, and the C function CPython calls, which runs `|$slf, $arg| $body`
/// (`$slf: &Bound<$class>`, `$arg: &Bound<PyAny>`; `one_arg`) or `|$slf| $body` (`no_args`);
/// `$body` is a `PyResult<Bound<PyAny>>`. `$sig` is the signature CPython shows
/// (`"($self, value, /)"`); the doc comments before the class become the docstring.
macro_rules! direct_method {
    (
        $(#[doc = $doc:literal])*
        $class:ty, fn $attr:ident = $name:literal $sig:literal,
        one_arg |$slf:ident, $arg:ident| $body:expr
    ) => {
        $crate::direct::direct_method!(@def $class, $attr, $name, $sig, [$($doc)*], one_arg, |$slf, arg| {
            // SAFETY: a METH_O method's argument (see `direct::call`).
            let $arg = &*unsafe { $crate::direct::borrow_arg($slf.py(), arg) };
            $body
        });
    };
    (
        $(#[doc = $doc:literal])*
        $class:ty, fn $attr:ident = $name:literal $sig:literal,
        no_args |$slf:ident| $body:expr
    ) => {
        $crate::direct::direct_method!(
            @def $class, $attr, $name, $sig, [$($doc)*], no_args, |$slf, _arg| $body
        );
    };
    (
        $(#[doc = $doc:literal])*
        $class:ty, fn $attr:ident = $name:literal $sig:literal,
        fast_call |$slf:ident, $args:ident| $body:expr
    ) => {
        #[pymethods]
        impl $class {
            #[classattr]
            #[pyo3(name = $name)]
            fn $attr(py: Python<'_>) -> PyResult<Py<PyAny>> {
                fn body<'py>(
                    $slf: &Bound<'py, $class>,
                    $args: &$crate::direct::FastArgs<'_, 'py>,
                ) -> PyResult<Bound<'py, PyAny>> {
                    $body
                }
                unsafe extern "C" fn raw(
                    slf: *mut pyo3::ffi::PyObject,
                    args: *const *mut pyo3::ffi::PyObject,
                    nargs: pyo3::ffi::Py_ssize_t,
                    kwnames: *mut pyo3::ffi::PyObject,
                ) -> *mut pyo3::ffi::PyObject {
                    // SAFETY: CPython calls this through the descriptor made below.
                    unsafe { $crate::direct::call_fast::<$class>(slf, args, nargs, kwnames, body) }
                }
                $crate::direct::direct_method!(@descriptor py, $class, $name, $sig, [$($doc)*], fast_call, raw)
            }
        }
    };
    (
        @descriptor $py:ident, $class:ty, $name:literal, $sig:literal, [$($doc:literal)*],
        $kind:ident, $raw:ident
    ) => {{
        const DOC: &str = concat!($name, $sig, "\n--\n\n", $($doc, "\n",)* "\0");
        static DOC_TEXT: [u8; DOC.len()] = $crate::direct::doc_text(DOC);
        static DEF: $crate::direct::MethodDef = $crate::direct::MethodDef::$kind(
            $crate::direct::c_str(concat!($name, "\0").as_bytes()),
            $crate::direct::c_str(&DOC_TEXT),
            $raw,
        );
        DEF.descriptor::<$class>($py)
    }};
    (
        @def $class:ty, $attr:ident, $name:literal, $sig:literal, [$($doc:literal)*], $kind:ident,
        |$slf:ident, $arg:ident| $body:expr
    ) => {
        #[pymethods]
        impl $class {
            #[classattr]
            #[pyo3(name = $name)]
            fn $attr(py: Python<'_>) -> PyResult<Py<PyAny>> {
                fn body<'py>(
                    $slf: &Bound<'py, $class>,
                    $arg: *mut pyo3::ffi::PyObject,
                ) -> PyResult<Bound<'py, PyAny>> {
                    $body
                }
                unsafe extern "C" fn raw(
                    slf: *mut pyo3::ffi::PyObject,
                    arg: *mut pyo3::ffi::PyObject,
                ) -> *mut pyo3::ffi::PyObject {
                    // SAFETY: CPython calls this through the descriptor made below.
                    unsafe { $crate::direct::call::<$class>(slf, arg, body) }
                }
                $crate::direct::direct_method!(@descriptor py, $class, $name, $sig, [$($doc)*], $kind, raw)
            }
        }
    };
}

pub(crate) use direct_method;
