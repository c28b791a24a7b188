//! The `picoring._picoring` extension module: PyO3 bindings that translate between Python and
//! the `picoring` crate. No ring logic lives here; see `python/picoring` for the package.

mod byte_ring;
mod export;
mod guard;
mod input;
mod ring_byte;

use pyo3::prelude::*;

#[pymodule]
fn _picoring(m: &Bound<'_, PyModule>) -> PyResult<()> {
    guard::install_fork_hook();
    m.add_class::<ring_byte::PicoRingByte>()?;
    m.add_class::<export::Export>()?;
    Ok(())
}
