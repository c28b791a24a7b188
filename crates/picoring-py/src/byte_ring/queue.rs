//! `PicoQueueByte`: the seed's bulk byte queue.

use picoring::PicoQueue;
use pyo3::prelude::*;

use crate::byte_ring::byte_ring_methods;
use crate::guard::guarded_class;

guarded_class! {
    /// A fixed-capacity byte queue for bulk transfers: all-or-nothing `push_bulk`, `pop_bulk`,
    /// and one contiguous view of everything queued.
    #[pyclass(name = "PicoQueueByte")]
    struct ByteQueue(PicoQueue<u8>), len: |queue| queue.len(),
        held: |queue| queue.capacity()
}

byte_ring_methods!(ByteQueue, view: "get_view", bulk: "push_bulk", "pop_bulk");
