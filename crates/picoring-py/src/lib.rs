//! The `picoring._picoring` extension module: PyO3 bindings that translate between Python and
//! the `picoring` crate. No ring logic lives here; see `python/picoring` for the package.

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
