//! The `picoring._picoring` extension module: PyO3 bindings that translate between Python and
//! the `picoring` crate. No ring logic lives here; see `python/picoring` for the package and
//! the README for what each class does (its policy table).
//!
//! Every class is a frozen pyclass around `guard::Guarded`: a mutex over the library value,
//! counters of live buffer exports (checked before anything frees, overwrites or moves exported
//! bytes), `close()`, and a lock that survives `fork()`. Bytes-like arguments are read in place
//! (`input::ByteInput`); memory goes out through the buffer protocol (`export`).
//!
//! - `byte_ring`: `PicoRingByte`, `PicoQueueByte`, `PicoByteStreamPy`;
//! - `list`: `PicoListByte` and the typed `PicoList`;
//! - `typed_ring`: `PicoRing`, typed frames with blocking `push`/`pop` (`wait`);
//! - `typecode`: `array.array`'s typecodes and number conversion;
//! - `broadcast`: `Broadcast` (byte records or typed frames), one sender and many readers each
//!   reading every record.
#![warn(clippy::undocumented_unsafe_blocks)]

mod broadcast;
mod byte_ring;
mod direct;
mod export;
mod guard;
mod input;
mod list;
mod typecode;
mod typed_ring;
mod wait;

// Rings shared between processes.
mod shared;

use pyo3::prelude::*;

#[pymodule]
fn _picoring(m: &Bound<'_, PyModule>) -> PyResult<()> {
    guard::install_fork_hook();
    m.add_class::<byte_ring::ring::ByteRing>()?;
    m.add_class::<byte_ring::queue::ByteQueue>()?;
    m.add_class::<byte_ring::stream::ByteStream>()?;
    m.add_class::<list::bytes::ByteList>()?;
    m.add_class::<list::bytes::ByteListIter>()?;
    m.add_class::<export::Export>()?;
    m.add_class::<list::typed::TypedList>()?;
    m.add_class::<list::typed::TypedListIter>()?;
    m.add_function(wrap_pyfunction!(list::typed::_picolist_reconstructor, m)?)?;
    m.add_class::<typed_ring::TypedRing>()?;
    m.add_class::<shared::SharedRingByte>()?;
    m.add_class::<shared::SharedRing>()?;
    m.add_class::<broadcast::Broadcast>()?;
    m.add_class::<broadcast::BroadcastReader>()?;
    m.add("Lagged", m.py().get_type::<broadcast::Lagged>())?;
    Ok(())
}
