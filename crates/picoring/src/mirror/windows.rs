//! Windows backend. Not written yet.

use std::ptr::NonNull;

use crate::Error;

pub(super) fn granularity() -> usize {
    65536
}

pub(super) fn map(_len: usize) -> Result<NonNull<u8>, Error> {
    Err(Error::BackendUnavailable(super::Backend::Placeholder))
}

pub(super) unsafe fn unmap(_ptr: NonNull<u8>, _len: usize) {}
