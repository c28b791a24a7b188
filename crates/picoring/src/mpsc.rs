//! A many-producer, one-consumer ring of variable-length byte records (log lines, messages).
//!
//! [`channel`] gives a cloneable [`Sender`] and a [`Receiver`]. A sender
//! [`reserve`](Sender::reserve)s room for one record and gets a [`Grant`]: a contiguous
//! `&mut [u8]` inside the ring (contiguous even across the physical end, through the mirror),
//! filled in place and published by [`Grant::commit`], or discarded when dropped uncommitted.
//! The receiver's [`recv`](Receiver::recv) hands each record out as a [`Record`] that derefs
//! to one contiguous `&[u8]`, and gives its space back when dropped;
//! [`recv_batch`](Receiver::recv_batch) hands out every consecutive committed record at once as
//! a [`Batch`], released together.
//!
//! - **Order.** Records come out in reservation order. A record reserved first but committed
//!   later holds back the ones after it (as the Linux BPF ring buffer does); a discarded one is
//!   skipped.
//! - **Senders never wait for each other.** Reserving is one compare-and-swap on the producer
//!   position; filling and committing touch only the sender's own record. Only the receiver
//!   waits for a record still being written. Senders wait only for space.
//! - **Blocking** variants ([`Sender::reserve_blocking`], [`Sender::reserve_timeout`],
//!   [`Receiver::recv`], [`Receiver::recv_timeout`]) sleep without spinning; disconnection is
//!   reported as an error, never a hang. A sender waiting for space is woken as soon as the
//!   space it asked for is free; releases too small for any waiting sender wake nobody, so
//!   many senders on few cores do not stampede the receiver.
//!
//! # Layout
//!
//! Each record is an 8-byte header followed by its payload, padded to a multiple of 8 bytes, so
//! every header is 8-byte aligned and a record of `len` bytes takes `8 + round_up(len, 8)` bytes
//! of the ring. The header is one 64-bit word, accessed atomically: the low 32 bits hold the
//! payload length, bit 32 says the header was written ([`PRESENT`]), bit 33 that the record is
//! still being written (`BUSY`), bit 34 that it was discarded (`DISCARD`). The largest record
//! is `min(ring bytes - 8, u32::MAX)` bytes ([`Sender::max_record_len`]).
//!
//! Free space always reads as zero: the receiver zeroes each record's bytes before giving them
//! back, so a reader that finds a zero word where the next header belongs knows the record is
//! reserved but its header not written yet. That lets reservation be a lone CAS.
//!
//! # Examples
//!
//! ```
//! use std::thread;
//!
//! let (tx, mut rx) = picoring::mpsc::channel(1 << 16)?;
//! let workers: Vec<_> = (0..4u8)
//!     .map(|id| {
//!         let tx = tx.clone();
//!         thread::spawn(move || {
//!             for i in 0..100u8 {
//!                 let mut grant = tx.reserve_blocking(2).unwrap();
//!                 grant.copy_from_slice(&[id, i]);
//!                 grant.commit();
//!             }
//!         })
//!     })
//!     .collect();
//! drop(tx);
//! let mut next = [0u8; 4];
//! while let Ok(record) = rx.recv() {
//!     let (id, i) = (record[0] as usize, record[1]);
//!     assert_eq!(i, next[id]); // each sender's records arrive in its order
//!     next[id] += 1;
//! }
//! for w in workers { w.join().unwrap(); }
//! assert_eq!(next, [100; 4]);
//! # Ok::<(), picoring::Error>(())
//! ```
//!
//! [`PRESENT`]: #layout

use std::fmt;

use crate::mirror::MirrorOptions;
use crate::sync::{Arc, AtomicBool, AtomicUsize, CachePadded, RingMemory, Signal};
use crate::Error;

mod receiver;
mod sender;

pub use crate::spsc::WaitError;
pub use receiver::{Batch, BatchIter, Receiver, Record};
pub use sender::{Grant, Sender};

/// Bytes of the header in front of every record.
pub(crate) const HEADER: usize = 8;
/// Payload length mask of a header.
pub(crate) const LEN_MASK: u64 = u32::MAX as u64;
/// Set in every written header, so a written header is never zero.
const PRESENT: u64 = 1 << 32;
/// The record is reserved and being written.
const BUSY: u64 = 1 << 33;
/// The record was dropped uncommitted; the receiver skips it.
const DISCARD: u64 = 1 << 34;

/// Bytes of ring a record of `len` payload bytes takes: header plus payload rounded up to 8.
#[inline(always)]
pub(crate) fn record_size(len: usize) -> usize {
    HEADER + len.next_multiple_of(8)
}

/// Why [`Sender::reserve`] and its blocking variants gave no grant.
///
/// # Examples
///
/// ```
/// use picoring::mpsc::ReserveError;
///
/// let (tx, rx) = picoring::mpsc::channel(4096)?;
/// assert!(matches!(tx.reserve(1 << 20), Err(ReserveError::TooLarge)));
/// drop(rx);
/// assert!(matches!(tx.reserve(1), Err(ReserveError::Disconnected)));
/// # Ok::<(), picoring::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReserveError {
    /// Not enough free space right now.
    Full,
    /// The timeout passed before enough space was freed.
    TimedOut,
    /// The record can never fit: longer than [`Sender::max_record_len`].
    TooLarge,
    /// The receiver was dropped.
    Disconnected,
}

impl fmt::Display for ReserveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReserveError::Full => "the record ring is full",
            ReserveError::TimedOut => "timed out waiting for space in the record ring",
            ReserveError::TooLarge => "the record is larger than the ring can ever hold",
            ReserveError::Disconnected => "the receiver was dropped",
        })
    }
}

impl std::error::Error for ReserveError {}

/// Creates a record ring of at least `bytes` bytes (rounded up to whole pages), headers
/// included.
///
/// # Errors
///
/// As for [`MirrorBuffer::new`](crate::mirror::MirrorBuffer::new).
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
/// let mut grant = tx.reserve(5).unwrap();
/// grant.copy_from_slice(b"hello");
/// grant.commit();
/// assert_eq!(&*rx.try_recv().unwrap(), b"hello");
/// # Ok::<(), picoring::Error>(())
/// ```
pub fn channel(bytes: usize) -> Result<(Sender, Receiver), Error> {
    channel_with_options(bytes, &MirrorOptions::default())
}

/// As [`channel`], with the given mirror options (backend, prefaulting).
///
/// # Errors
///
/// As for [`MirrorBuffer::with_options`](crate::mirror::MirrorBuffer::with_options).
///
/// # Examples
///
/// ```
/// use picoring::mirror::{Backend, MirrorOptions};
///
/// let opts = MirrorOptions::new().backend(Backend::Software);
/// let (tx, mut rx) = picoring::mpsc::channel_with_options(4096, &opts)?;
/// tx.send(b"portable")?;
/// assert_eq!(&*rx.recv()?, b"portable");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn channel_with_options(
    bytes: usize,
    options: &MirrorOptions,
) -> Result<(Sender, Receiver), Error> {
    let memory = RingMemory::for_records(bytes, options)?;
    let shared = Arc::new(Shared {
        producer_pos: CachePadded(AtomicUsize::new(0)),
        consumer_pos: CachePadded(AtomicUsize::new(0)),
        size: memory.len(),
        period: position_period(memory.len()),
        buf: memory,
        data_ready: Signal::new(),
        space_ready: Signal::new(),
        space_needed: AtomicUsize::new(usize::MAX),
        senders: AtomicUsize::new(1),
        receiver_alive: AtomicBool::new(true),
    });
    Ok((Sender::new(Arc::clone(&shared)), Receiver::new(shared)))
}

/// The state the senders and the receiver share.
///
/// Positions are byte positions in `0..period`, where `period` is a multiple of `size` near
/// `usize::MAX`; position `p` is at byte offset `p % size`, always a multiple of 8. A short
/// period (two laps) would let a sender preempted between reading the positions and its
/// CAS see the producer position come back to the same value after other senders reserved
/// `period` bytes (ABA), and claim space that is not free: that corrupted the ring and
/// stalled the 8-producer benchmark. With this period that takes about 2^63 bytes (2^31 on
/// 32-bit targets) reserved during one preemption. Bytes from
/// `consumer_pos` up to `producer_pos` are reserved records; the rest, up to
/// `consumer_pos + size`, is free and reads as zero.
struct Shared {
    /// End of the last reservation. Advanced by senders with a CAS; never read by the receiver.
    producer_pos: CachePadded<AtomicUsize>,
    /// Start of the oldest record not yet released. Written only by the receiver, with
    /// `Release`, after it has zeroed the bytes it gives back.
    consumer_pos: CachePadded<AtomicUsize>,
    /// N, the ring size in bytes: a multiple of 8.
    size: usize,
    /// Positions run in `0..period`: see [`position_period`].
    period: usize,
    buf: RingMemory,
    /// The receiver sleeps here waiting for the next record; senders notify after committing
    /// or discarding.
    data_ready: Signal,
    /// Senders sleep here waiting for space; the receiver wakes them after releasing a record
    /// once the smallest request announced in `space_needed` fits.
    space_ready: Signal,
    /// The fewest ring bytes (header and padding included) any sender asleep on
    /// `space_ready` needs, or `usize::MAX`: lowered by waiting senders (`fetch_min`); the
    /// receiver takes it out when it releases space with senders waiting, and puts it back
    /// unless it wakes them (they then announce again).
    space_needed: AtomicUsize,
    /// Live [`Sender`]s; a grant borrows its sender, so zero means every record is final.
    senders: AtomicUsize,
    /// Cleared (with `Release`) when the receiver drops.
    receiver_alive: AtomicBool,
}

impl Shared {
    /// Byte offset of position `p`, in `0..size`.
    #[inline(always)]
    fn offset(&self, p: usize) -> usize {
        debug_assert!(p < self.period);
        p % self.size
    }

    /// Bytes from position `from` to position `to`: `(to - from) mod period`.
    #[inline(always)]
    fn distance(&self, from: usize, to: usize) -> usize {
        if to >= from {
            to - from
        } else {
            to + self.period - from
        }
    }

    /// Position `p` moved forward by `n <= size` bytes, kept in `0..period`.
    #[inline(always)]
    fn advance(&self, p: usize, n: usize) -> usize {
        let q = p + n;
        if q >= self.period {
            q - self.period
        } else {
            q
        }
    }

    /// `Debug` for an end called `name`: its ring's capacity.
    fn fmt_end(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("capacity", &self.size)
            .finish_non_exhaustive()
    }
}

/// The period of positions for a ring of `size` bytes: the largest multiple of `size` that
/// leaves room to add one more `size` without overflow (at least two laps).
fn position_period(size: usize) -> usize {
    (usize::MAX / size - 1).max(2) * size
}
