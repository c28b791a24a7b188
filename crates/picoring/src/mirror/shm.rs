//! Linux fallback backend (shm). Not written yet: reports itself unavailable.

use std::ptr::NonNull;

use crate::Error;

pub(super) fn map(_len: usize) -> Result<NonNull<u8>, Error> {
    Err(Error::BackendUnavailable(super::Backend::Shm))
}
