//! Linux and Android: an anonymous `memfd_create` file mapped twice into a `PROT_NONE`
//! reservation (first choice on Android; on Linux second, after `mremap.rs`, which makes fewer
//! system calls).

use std::ptr::NonNull;

use super::fork::map_object;
use crate::sys::linux::memfd;
use crate::Error;

pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    map_object(memfd()?, len)
}
