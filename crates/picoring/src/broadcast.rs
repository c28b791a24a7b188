//! One producer, any number of readers, each reading every record: a broadcast ring of
//! variable-length byte records, each one contiguous `&[u8]`.
//!
//! [`channel`] gives a [`Sender`] and a first [`Receiver`]. More readers join at any time:
//! [`Receiver::clone`] starts where the cloned reader is, [`Sender::subscribe`] at the next
//! record sent. A reader leaves by being dropped. Every reader sees the records in the order
//! they were sent; [`Receiver::recv`] hands each one out as a [`Record`] that derefs to one
//! contiguous `&[u8]` inside the ring (contiguous even across the physical end, through the
//! mirror), with no copy. [`Sender::send_elements`] and [`Record::elements`] carry slices of
//! any [`Pod`] type (alignment up to 8) the same way.
//!
//! # Policies
//!
//! Chosen at creation with [`Policy`]:
//!
//! - **[`Policy::Lossless`]**: the sender waits for the slowest live reader (as the LMAX
//!   Disruptor does): [`Sender::send`] sleeps until there is room, [`Sender::try_send`] reports
//!   [`SendError::Full`], [`Sender::send_timeout`] gives up after a timeout. A dropped reader no
//!   longer holds the sender back.
//! - **[`Policy::Lossy`]**: the sender never waits for a reader's backlog. When the ring is
//!   full it drops the oldest records (a quarter of the ring at a time, so it looks at the
//!   readers once per quarter ring, not once per record); a reader that fell behind them gets
//!   [`RecvError::Lagged`] with the exact number of records it missed, then continues from the
//!   oldest record still present, as `tokio::sync::broadcast` does.
//!
//! # Async
//!
//! With the `async` feature, `Receiver::recv_async`, `Receiver::peek_async` and
//! `Sender::send_async` wait by returning `Pending` instead of sleeping. They need no
//! particular runtime (tokio, `futures::executor`, smol...), and any number of readers may be
//! pending at once: each is woken by the next record or by the sender's drop.
//!
#![cfg_attr(feature = "async", doc = "```")]
#![cfg_attr(not(feature = "async"), doc = "```ignore")]
//! use picoring::broadcast::{self, Policy};
//!
//! let (mut tx, rx) = broadcast::channel(1 << 16, Policy::Lossless)?;
//! let readers: Vec<_> = (0..3)
//!     .map(|_| {
//!         let mut rx = rx.clone();
//!         std::thread::spawn(move || {
//!             futures::executor::block_on(async {
//!                 let mut sum = 0u64;
//!                 while let Ok(record) = rx.recv_async().await {
//!                     sum += u64::from(record[0]);
//!                 }
//!                 sum
//!             })
//!         })
//!     })
//!     .collect();
//! drop(rx);
//! futures::executor::block_on(async {
//!     for i in 0..100u8 {
//!         tx.send_async(&[i]).await?;
//!     }
//!     Ok::<(), broadcast::SendError>(())
//! })?;
//! drop(tx);
//! for r in readers {
//!     assert_eq!(r.join().unwrap(), 4950);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # A reader never sees a record being overwritten
//!
//! A `&[u8]` into memory that another thread may write at the same time is a data race, which
//! is undefined behaviour even if the reader checks afterwards whether it raced. So readers do
//! not validate after reading (no seqlock); instead **a reader pins the record it holds**, and
//! the sender never overwrites a pinned record:
//!
//! - Each reader owns a slot (an atomic position on its own cache line) in a registry the
//!   sender sees. In the lossless policy the slot always holds the reader's position, and the
//!   sender writes only below the smallest slot plus the ring size.
//! - In the lossy policy the slot holds the position of the record the reader is about to
//!   read or holds as a [`Record`], or nothing. The reader stores its position, then a full
//!   fence, then reads the position of the oldest record still present (`tail`): if its record
//!   is older, it moves to `tail` and pins again. The sender, before overwriting records, moves
//!   `tail` past them, then a full fence, then reads every slot, and waits while one pins a
//!   record it is about to overwrite. The two fences are totally ordered, so either the reader
//!   sees the new `tail` (and never touches the old record) or the sender sees the pin (and
//!   waits until the reader releases it with `Release`, which the sender reads with
//!   `Acquire`). The reader's fence is the cheap half of an asymmetric pair (a compiler fence
//!   on Linux; the sender pays a process-wide `membarrier` once per quarter ring).
//! - So in the lossy policy the sender does wait, but only for a pinned record, never for a
//!   backlog: at most as long as a reader keeps one [`Record`] alive. [`Sender::try_send`]
//!   then reports [`SendError::Full`] instead of waiting.
//!
//! The protocol is model-checked with loom (`tests/loom_broadcast.rs`, `make loom`), which
//! flags any read of ring memory not ordered after the write it reads and before the next
//! write.
//!
//! # Layout and lag counting
//!
//! Each record is the [`mpsc`](crate::mpsc) record framing (an 8-byte header word holding the
//! payload length, the payload padded to a multiple of 8) with the record's 64-bit sequence
//! number after the header: a record of `len` bytes takes `16 + round_up(len, 8)` bytes of the
//! ring. A reader counts the records it reads; when the sequence number of the next record it
//! finds is ahead of its count, the difference is exactly how many it missed. Positions are
//! 64-bit byte counts that never wrap in practice (2^64 bytes).
//!
//! Elements cannot have drop glue ([`Pod`] types are `Copy`), so nothing is ever dropped.
//!
//! # Examples
//!
//! ```
//! use std::thread;
//! use picoring::broadcast::{self, Policy};
//!
//! let (mut tx, rx) = broadcast::channel(1 << 16, Policy::Lossless)?;
//! let readers: Vec<_> = (0..3)
//!     .map(|_| {
//!         let mut rx = rx.clone();
//!         thread::spawn(move || {
//!             let mut sum = 0u64;
//!             while let Ok(record) = rx.recv() {
//!                 sum += u64::from(record[0]);
//!             }
//!             sum
//!         })
//!     })
//!     .collect();
//! drop(rx);
//! for i in 0..100u8 {
//!     tx.send(&[i])?;
//! }
//! drop(tx);
//! for r in readers {
//!     assert_eq!(r.join().unwrap(), 4950);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::mirror::MirrorOptions;
use crate::mpsc::{record_size, HEADER as LEN_WORD, LEN_MASK};
use crate::sync::{Arc, AtomicBool, AtomicU64, AtomicUsize, CachePadded, Mutex, Ordering};
use crate::sync::{RingMemory, Signal};
use crate::{Error, Pod};

mod receiver;
mod sender;

pub use receiver::{Receiver, Record};
pub use sender::Sender;

/// Bytes in front of every payload: the length word and the sequence number.
const HEADER: usize = LEN_WORD + 8;

/// A slot value meaning "pins nothing" (lossy) or "left" (both policies).
const IDLE: u64 = u64::MAX;

/// Ring bytes a record of `len` payload bytes takes: the mpsc framing plus the sequence word.
#[inline(always)]
fn frame_size(len: usize) -> u64 {
    (record_size(len) + 8) as u64
}

/// What the sender does when a reader has not read the records it is about to overwrite.
///
/// # Examples
///
/// ```
/// use picoring::broadcast::{self, Policy, RecvError};
///
/// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossy)?;
/// for _ in 0..1000 {
///     tx.send(&[7; 100])?; // never waits: rx is not reading
/// }
/// assert!(matches!(rx.try_recv(), Err(RecvError::Lagged(_))));
/// assert_eq!(&*rx.try_recv()?, &[7; 100]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// The sender overwrites the oldest records; readers behind them get
    /// [`RecvError::Lagged`].
    Lossy,
    /// The sender waits for the slowest live reader.
    Lossless,
}

/// Why a record was not sent.
///
/// # Examples
///
/// ```
/// use picoring::broadcast::{self, Policy, SendError};
///
/// let (mut tx, _rx) = broadcast::channel(4096, Policy::Lossless)?;
/// assert_eq!(tx.send(&vec![0; 1 << 20]), Err(SendError::TooLarge));
/// while tx.try_send(&[0; 100]).is_ok() {}
/// assert_eq!(tx.try_send(&[0; 100]), Err(SendError::Full));
/// # Ok::<(), picoring::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendError {
    /// No room right now: a lossless reader has not read far enough, or (lossy) a reader
    /// holds a record that would be overwritten.
    Full,
    /// The timeout passed before there was room.
    TimedOut,
    /// The record can never fit: longer than [`Sender::max_record_len`], or its elements
    /// need an alignment above 8.
    TooLarge,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::Full => "the broadcast ring has no room for the record",
            SendError::TimedOut => "timed out waiting for room in the broadcast ring",
            SendError::TooLarge => "the record is larger than the broadcast ring can ever hold",
        })
    }
}

impl std::error::Error for SendError {}

/// Why no record was received.
///
/// # Examples
///
/// ```
/// use picoring::broadcast::{self, Policy, RecvError};
///
/// let (tx, mut rx) = broadcast::channel(4096, Policy::Lossy)?;
/// assert_eq!(rx.try_recv().err(), Some(RecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.recv().err(), Some(RecvError::Disconnected));
/// # Ok::<(), picoring::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvError {
    /// No new record yet ([`Receiver::try_recv`] only).
    Empty,
    /// The timeout passed first ([`Receiver::recv_timeout`] only).
    TimedOut,
    /// (Lossy policy) this many records were overwritten before this reader read them; the
    /// next receive returns the oldest record still present.
    Lagged(u64),
    /// The sender was dropped and this reader has read everything it sent.
    Disconnected,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Empty => f.write_str("no record to receive"),
            RecvError::TimedOut => f.write_str("timed out waiting for a record"),
            RecvError::Lagged(n) => write!(f, "the reader lagged and missed {n} records"),
            RecvError::Disconnected => f.write_str("the sender was dropped"),
        }
    }
}

impl std::error::Error for RecvError {}

/// Creates a broadcast ring of at least `bytes` bytes (rounded up to whole pages), framing
/// included, with one reader.
///
/// # Errors
///
/// As for [`MirrorBuffer::new`](crate::mirror::MirrorBuffer::new).
///
/// # Examples
///
/// ```
/// use picoring::broadcast::{self, Policy};
///
/// let (mut tx, mut a) = broadcast::channel(4096, Policy::Lossless)?;
/// let mut b = a.clone();
/// tx.send(b"hello")?;
/// assert_eq!(&*a.try_recv()?, b"hello");
/// assert_eq!(&*b.try_recv()?, b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn channel(bytes: usize, policy: Policy) -> Result<(Sender, Receiver), Error> {
    channel_with_options(bytes, policy, &MirrorOptions::default())
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
/// use picoring::broadcast::{self, Policy};
/// use picoring::mirror::{Backend, MirrorOptions};
///
/// let opts = MirrorOptions::new().backend(Backend::Software);
/// let (mut tx, mut rx) = broadcast::channel_with_options(4096, Policy::Lossy, &opts)?;
/// tx.send(b"portable")?;
/// assert_eq!(&*rx.recv()?, b"portable");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn channel_with_options(
    bytes: usize,
    policy: Policy,
    options: &MirrorOptions,
) -> Result<(Sender, Receiver), Error> {
    let memory = RingMemory::for_records(bytes, options)?;
    let shared = Arc::new(Shared {
        head: CachePadded(AtomicU64::new(0)),
        tail: CachePadded(AtomicU64::new(0)),
        size: memory.len(),
        lossy: policy == Policy::Lossy,
        buf: memory,
        data_ready: Signal::new(),
        space_ready: Signal::new(),
        readers: Mutex::new(Vec::new()),
        generation: AtomicUsize::new(0),
        sender_alive: AtomicBool::new(true),
        #[cfg(feature = "async")]
        tasks: receiver::Tasks::new(),
    });
    let rx = Receiver::join(Arc::clone(&shared), 0, 0);
    Ok((Sender::new(shared), rx))
}

/// One reader's slot: its position (lossless), the position it pins (lossy), or [`IDLE`].
type Slot = CachePadded<AtomicU64>;

/// The state the sender and the readers share.
struct Shared {
    /// End of the last published record. Written only by the sender, with `Release`, after
    /// the record's bytes.
    head: CachePadded<AtomicU64>,
    /// (Lossy) start of the oldest record still present: records before it may be overwritten
    /// at any time. Written only by the sender, before the fence that precedes its look at the
    /// pins.
    tail: CachePadded<AtomicU64>,
    /// N, the ring size in bytes: a multiple of 8.
    size: usize,
    lossy: bool,
    buf: RingMemory,
    /// Readers sleep here waiting for a record or the sender's drop.
    data_ready: Signal,
    /// The sender sleeps here waiting for readers to move on (lossless) or release a pin
    /// (lossy).
    space_ready: Signal,
    /// Every live reader's slot.
    readers: Mutex<Vec<Arc<Slot>>>,
    /// Bumped (under the `readers` lock) whenever a reader joins or leaves, so the sender
    /// knows when its copy of the registry is stale.
    generation: AtomicUsize,
    /// Cleared (with `Release`) when the sender drops.
    sender_alive: AtomicBool,
    /// The readers waiting asynchronously (the `async` feature).
    #[cfg(feature = "async")]
    tasks: receiver::Tasks,
}

impl Shared {
    /// Byte offset of position `p`, in `0..size`.
    #[inline(always)]
    fn offset(&self, p: u64) -> usize {
        (p % self.size as u64) as usize
    }

    /// The 8-byte word at position `p` (8-aligned): a record's length or sequence word.
    #[inline(always)]
    fn word(&self, p: u64) -> &AtomicU64 {
        // SAFETY: the offset is < size and 8-aligned (records start at multiples of 8 and
        // their two words are 8 bytes apart); the words are only accessed atomically.
        unsafe { self.buf.header(self.offset(p)) }
    }

    /// The largest payload a record can have.
    fn max_record_len(&self) -> usize {
        (self.size - HEADER).min(LEN_MASK as usize)
    }

    /// The policy chosen at creation.
    fn policy(&self) -> Policy {
        if self.lossy {
            Policy::Lossy
        } else {
            Policy::Lossless
        }
    }

    /// The registry, whose lock guards only the list (a panic cannot leave it half-changed).
    fn readers(&self) -> crate::sync::MutexGuard<'_, Vec<Arc<Slot>>> {
        self.readers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a slot to the registry.
    fn register(&self, slot: Arc<Slot>) {
        let mut readers = self.readers();
        readers.push(slot);
        // Release, under the lock: a sender that sees the new generation refreshes its copy
        // and finds the slot (see `Sender::scan`).
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// Takes a slot out of the registry; it holds nothing back from then on.
    fn unregister(&self, slot: &Arc<Slot>) {
        slot.store(IDLE, Ordering::Release);
        let mut readers = self.readers();
        if let Some(i) = readers.iter().position(|s| Arc::ptr_eq(s, slot)) {
            readers.swap_remove(i);
        }
        self.generation.fetch_add(1, Ordering::Release);
        drop(readers);
        self.space_ready.notify();
    }

    fn fmt_end(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("capacity", &self.size)
            .field("lossy", &self.lossy)
            .finish_non_exhaustive()
    }
}

/// The payload of `elements` as bytes, if its alignment is one records keep (payloads start
/// at multiples of 8).
fn element_bytes<T: Pod>(elements: &[T]) -> Option<&[u8]> {
    if std::mem::align_of::<T>() > 8 {
        return None;
    }
    // SAFETY: `T: Pod` has no padding and no invalid bit patterns, so its bytes may be read
    // as `u8`; the slice covers exactly the elements' memory.
    Some(unsafe {
        std::slice::from_raw_parts(
            elements.as_ptr() as *const u8,
            std::mem::size_of_val(elements),
        )
    })
}
