//! Zero-copy circular buffers on mirrored virtual memory.
//!
//! picoring maps the same physical pages twice, back to back, so whatever a ring holds is always
//! one contiguous slice, even when it wraps past the physical end. Parsers, `read(2)`/`write(2)`,
//! DSP code and numpy get one slice instead of two, and nobody copies to "make contiguous".
//!
//! - [`PicoRing<T>`]: a fixed-capacity FIFO ring; [`readable`](PicoRing::readable) is every queued
//!   element as one `&[T]`, [`writable`](PicoRing::writable) all free space as one `&mut [T]`.
//! - [`spsc`]: the ring split into a `Producer` and a `Consumer` for two threads, lock-free,
//!   with contiguous chunks on both sides and blocking waits with timeouts.
//! - [`mpsc`]: a ring of variable-length byte records for many producing threads and one
//!   consumer, each record one contiguous slice, delivered in reservation order.
//! - [`PicoQueue<T>`]: a bulk FIFO: all-or-nothing [`push_bulk`](PicoQueue::push_bulk),
//!   [`pop_bulk`](PicoQueue::pop_bulk) and a contiguous [`view`](PicoQueue::view).
//! - [`PicoByteStream`]: a byte pipe for parsers, with zero-copy line, delimiter and
//!   length-prefixed frame readers, one-call [`fill_from`](PicoByteStream::fill_from) /
//!   [`drain_to`](PicoByteStream::drain_to) I/O, `std::io` traits and, with the `bytes` feature,
//!   `bytes::Buf`/`BufMut`.
//! - [`PicoList<T>`]: a list that reserves address space once and grows in place: its elements
//!   never move, and physical memory tracks its length.
//! - [`mirror::MirrorBuffer`]: the mirrored memory itself, with one backend per OS and a portable
//!   software mirror (used under Miri and where no native backend exists).
//!
//! Linux backends are tested; the macOS and Windows backends are compile-checked only.
//!
//! # Examples
//!
//! ```
//! use std::io::Write;
//! use picoring::PicoRing;
//!
//! let mut ring = PicoRing::<u8>::with_capacity(4096)?;
//! let cap = ring.capacity();
//! // Move the read position near the physical end, then write across it.
//! ring.write_all(&vec![0; cap - 3])?;
//! ring.consume(cap - 3);
//! ring.write_all(b"GET / HTTP/1.1\r\n")?;
//! // One slice, though the bytes wrapped: parse it in place.
//! assert!(ring.readable().starts_with(b"GET "));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod error;
pub mod ipc;
mod list;
pub mod mirror;
pub mod mpsc;
mod pod;
mod queue;
mod ring;
pub mod spsc;
mod stream;
mod sync;
mod sys;

pub use error::Error;
pub use list::PicoList;
pub use pod::Pod;
pub use queue::{Full, PicoQueue};
pub use ring::PicoRing;
pub use stream::{FrameError, LengthPrefix, PicoByteStream};

/// The README's examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
