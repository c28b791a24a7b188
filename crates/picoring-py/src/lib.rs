//! The `picoring._picoring` extension module: PyO3 bindings that translate between Python and
//! the `picoring` crate. No ring logic lives here; see `python/picoring` for the package.
//!
//! Every class is a frozen pyclass around [`guard::Guarded`]: a mutex over the library value,
//! counters of live buffer exports (checked before anything frees, overwrites or moves exported
//! bytes), `close()`, and a fork check. Bytes-like arguments are read in place
//! ([`input::ByteInput`]); memory goes out through the buffer protocol ([`export`]).
#![warn(clippy::undocumented_unsafe_blocks)]

mod byte_ring;
mod export;
mod guard;
mod input;
mod list_byte;
mod queue_byte;
mod ring_byte;
mod stream;

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
    Ok(())
}
