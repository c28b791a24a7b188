//! Adapters that give every peer ring the same small byte-FIFO interface, so each benchmark
//! runs the exact same loop over every implementation.
//!
//! Each adapter uses the peer's own fastest public bulk API (no per-byte loops), and says in
//! [`fifo::ByteFifo::VIEW_COPIES`] whether getting one contiguous slice of the queued bytes copies.
//! Not part of the library: this crate only exists for `cargo bench -p picoring-compare`.
#![deny(missing_docs)]

pub mod fifo;
pub mod overwrite;
pub mod records;
pub mod threads;

/// Capacity of every streaming and view benchmark ring: 64 KiB.
pub const RING_BYTES: usize = 64 * 1024;
