//! `PicoQueueByte`: the seed's bulk byte queue.

use picoring::PicoQueue;
use pyo3::prelude::*;

use crate::byte_ring::byte_ring_methods;
use crate::guard::{guarded_methods, Guarded};

/// A fixed-capacity byte queue for bulk transfers: all-or-nothing `push_bulk`, `pop_bulk`,
/// and one contiguous view of everything queued.
#[pyclass(frozen, module = "picoring._picoring", name = "PicoQueueByte")]
pub(crate) struct ByteQueue {
    inner: Guarded<PicoQueue<u8>>,
}

guarded_methods!(ByteQueue, |queue| queue.len());
byte_ring_methods!(ByteQueue, view: "get_view", bulk: "push_bulk", "pop_bulk");
