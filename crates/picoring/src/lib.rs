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
//! - [`broadcast`]: one producer and any number of readers, each reading every variable-length
//!   byte record as one contiguous slice; lossy (slow readers are told how many they missed) or
//!   lossless (the producer waits for the slowest reader).
//! - [`PicoQueue<T>`]: a bulk FIFO: all-or-nothing [`push_all`](PicoQueue::push_all),
//!   [`pop_slice`](PicoQueue::pop_slice) and a contiguous [`readable`](PicoQueue::readable).
//! - [`PicoByteStream`]: a byte pipe for parsers, with zero-copy line, delimiter and
//!   length-prefixed frame readers, one-call [`fill_from`](PicoByteStream::fill_from) /
//!   [`drain_to`](PicoByteStream::drain_to) I/O, `std::io` traits and, with the `bytes` feature,
//!   `bytes::Buf`/`BufMut`. With the `tokio` feature, `FrameReader` reads lines and
//!   length-prefixed frames from any tokio reader straight into a stream's free space, and the
//!   [`spsc`] byte ends implement tokio's `AsyncRead`/`AsyncBufRead`/`AsyncWrite` (with
//!   `async`, futures-io's).
//! - [`PicoList<T>`]: a list that reserves address space once and grows in place: its elements
//!   never move, and physical memory tracks its length.
//! - [`ipc`]: a ring shared between processes (Linux): one producer and one consumer process,
//!   attached by file descriptor or by name, with futex waits and dead-peer detection.
//! - [`mirror::MirrorBuffer`]: the mirrored memory itself, with one backend per OS and a portable
//!   software mirror (used under Miri and where no native backend exists).
//!
//! Linux backends are tested; the Windows tests run under Wine, whose missing placeholder calls
//! send every ring to the software mirror there; the native Windows, macOS, Android and FreeBSD
//! backends are compile-checked only.
//!
//! # One name per operation
//!
//! Every ring-like type ([`PicoRing`], [`PicoQueue`], [`PicoByteStream`], the [`spsc`] and
//! [`ipc`] ends)
//! names the same operation the same way; a type has the methods its role allows (a
//! [`spsc::Producer`] cannot pop).
//!
//! | operation | method |
//! |---|---|
//! | size, queued elements (bytes), free slots | `capacity()`, `len()`, `free_len()` |
//! | empty, full; the mirror backend | `is_empty()`, `is_full()`; `backend()` |
//! | the other end of a split ring is gone | `is_abandoned()` |
//! | one element in, out | `push(v)` (full: `Err(v)`), `pop()` (empty: `None`) |
//! | as much of a slice as fits in; as much as is queued out | `push_slice(&[T]) -> usize`, `pop_slice(&mut [T]) -> usize` |
//! | a whole slice in, or nothing | `push_all(&[T])` (refused: [`InsufficientSpace`]) |
//! | queued data as one slice, then drop `n` from the front | `readable()` (`readable_mut()`), `consume(n)` |
//! | free space as one slice, then publish `n` written | `writable()`, `commit(n)` |
//! | wait up to a timeout | `wait_readable(n, timeout)`, `wait_writable(n, timeout)`, `pop_blocking()`, `push_blocking(v)` |
//!
//! The `std::io` traits keep their own names (`read`, `write`, `fill_buf`, ...), [`PicoRing`]
//! adds [`VecDeque`](std::collections::VecDeque)'s element access (`front`, `back`, `get`,
//! `iter`), [`PicoList`] uses [`Vec`]'s names (`push`, `pop`, `extend_from_slice`), and the
//! [`mpsc`] ends use the channel words of [`std::sync::mpsc`] for whole records (`send`, `recv`,
//! `try_recv`, `recv_timeout`, and `reserve` + `commit`).
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
// docs.rs (`--cfg docsrs`, see Cargo.toml) labels what each feature adds.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod broadcast;
mod error;
pub mod ipc;
mod list;
pub mod mirror;
pub mod mpsc;
mod pod;
// The per-thread cache of released memory (mirrors, list reservations); none on the heap fallback.
#[cfg(all(any(unix, windows), not(miri)))]
mod pool;
mod queue;
mod ring;
pub mod spsc;
mod stream;
mod sync;
mod sys;

pub use error::{Error, InsufficientSpace};
pub use list::{ListDrain, PicoList};
pub use pod::Pod;
pub use queue::PicoQueue;
pub use ring::PicoRing;
#[cfg(feature = "tokio")]
pub use stream::FrameReader;
pub use stream::{FrameError, LengthPrefix, PicoByteStream};

/// The README's examples, run as doc tests.
#[cfg(doctest)]
// `README.md` in this directory links to the workspace README, so the path holds in the
// workspace and in the published package alike.
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
