//! macOS / iOS backend. Not written yet.

use std::ptr::NonNull;

use crate::Error;

pub(super) fn map(_len: usize) -> Result<NonNull<u8>, Error> {
    Err(Error::BackendUnavailable(super::Backend::MachVm))
}

pub(super) unsafe fn unmap(_ptr: NonNull<u8>, _len: usize) {}
