//! The `picoring._picoring` extension module: PyO3 bindings that translate between Python and
//! the `picoring` crate. No ring logic lives here; see `python/picoring` for the package.
//!
//! Every class is a frozen pyclass around [`guard::Guarded`]: a mutex over the library value,
//! counters of live buffer exports (checked before anything frees, overwrites or moves exported
//! bytes), `close()`, and a lock that survives `fork()`. Bytes-like arguments are read in place
//! ([`input::ByteInput`]); memory goes out through the buffer protocol ([`export`]).
#![warn(clippy::undocumented_unsafe_blocks)]

mod byte_ring;
mod export;
mod guard;
mod input;
mod list_byte;
mod list_items;
mod queue_byte;
mod ring_byte;
mod stream;

// Typed lists and rings (array.array typecodes), and blocking waits.
mod typecode;
mod typed_export;
mod typed_list;
mod typed_ring;
mod wait;

// Rings shared between processes.
mod shared;

use pyo3::prelude::*;

#[pymodule]
fn _picoring(m: &Bound<'_, PyModule>) -> PyResult<()> {
    guard::install_fork_hook();
    m.add_class::<ring_byte::PicoRingByte>()?;
    m.add_class::<queue_byte::PicoQueueByte>()?;
    m.add_class::<stream::PicoByteStreamPy>()?;
    m.add_class::<list_byte::PicoListByte>()?;
    m.add_class::<list_byte::PicoListByteIterator>()?;
    m.add_class::<export::Export>()?;
    // Typed lists and rings (array.array typecodes), and blocking waits.
    m.add_class::<typed_list::PicoList>()?;
    m.add_class::<typed_list::PicoListIterator>()?;
    m.add_class::<typed_export::TypedExport>()?;
    m.add_class::<typed_ring::PicoRing>()?;
    m.add_class::<shared::SharedRingByte>()?;
    m.add_class::<shared::SharedRing>()?;
    Ok(())
}
