//! Lock-free single-producer single-consumer rings whose contents are one contiguous slice on
//! both sides.
//!
//! [`channel`] (or [`PicoRing::split`]) gives a [`Producer`] and a [`Consumer`], each `Send`, to
//! be moved to two threads. The consumer's [`readable`](Consumer::readable) is every queued
//! element as one `&[T]`, and for plain-data types the producer's
//! [`writable`](Producer::writable) is all free space as one `&mut [T]`, even when the region
//! wraps past the physical end of the buffer: no "two slices at the wrap".
//!
//! - **Chunks without a refresh per call.** [`Producer::writable_at_least`] and
//!   [`Consumer::readable_at_least`] hand out at least `min` elements from what each end last
//!   learned of the other, reading the other end's index only when that falls short; the plain
//!   `writable`/`readable` always look again, to show everything there is right now.
//! - **Wait-free fast path.** Each side owns one index on its own cache line and keeps a stale
//!   copy of the other side's, refreshed (one `Acquire` load) only when the stale copy says the
//!   ring is full or empty. Publishing is one `Release` store, followed by a fence and a load
//!   to learn whether the other side sleeps; on Linux the fence is only a compiler fence, the
//!   sleeping side paying for a process-wide `membarrier` instead (elsewhere a `SeqCst` fence).
//! - **Blocking without spinning.** [`Consumer::wait_readable`], [`Producer::wait_writable`],
//!   [`Producer::push_blocking`] and [`Consumer::pop_blocking`] sleep on a condition variable
//!   that the other side touches only when it knows someone sleeps.
//! - **Disconnection** (the other end dropped) is reported as [`WaitError::Disconnected`], never
//!   a hang. `std::io::Read`/`BufRead`/`Write` on the `u8` ends behave like a pipe.
//! - **Async** (the `async` feature): the `u8` ends implement the `futures-io` traits
//!   `AsyncRead`, `AsyncBufRead` and `AsyncWrite`, on any executor.
//! - **Dropping.** Whichever end drops last drops every element still queued, exactly once, and
//!   frees the buffer.
//! - **Keeping the newest data** instead of refusing pushes when full: [`overwrite::channel`]
//!   gives ends whose producer overwrites the oldest unread elements, the consumer counting
//!   what it lost; see [`overwrite`].
//!
//! # Examples
//!
//! ```
//! use std::thread;
//!
//! let (mut tx, mut rx) = picoring::spsc::channel::<u64>(1024)?;
//! let producer = thread::spawn(move || {
//!     for i in 0..10_000u64 {
//!         tx.push_blocking(i).unwrap();
//!     }
//! });
//! let mut expected = 0;
//! while let Some(value) = rx.pop_blocking() {
//!     assert_eq!(value, expected);
//!     expected += 1;
//! }
//! producer.join().unwrap();
//! assert_eq!(expected, 10_000);
//! # Ok::<(), picoring::Error>(())
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::mem;
use std::ptr;

use crate::mirror::{Backend, MirrorOptions};
use crate::sync::{Arc, AtomicBool, AtomicUsize, CachePadded, Ordering, RingMemory, Signal};
use crate::{Error, PicoRing};

#[cfg(feature = "async")]
mod async_io;
mod consumer;
mod end;
mod io;
pub mod overwrite;
mod producer;
#[cfg(feature = "tokio")]
mod tokio_io;

pub use consumer::Consumer;
pub use producer::Producer;

/// How many pending polls in a row an end answers by waking its own task (handing it back to
/// the executor, which polls it again after its other ready tasks) before it registers the
/// waker: the async twin of the blocking waits' yields. Registering costs a process-wide
/// barrier (see `sync/fence.rs`), and the wakeup that follows costs the other end a lock and
/// the executor a thread unpark: several microseconds, while the other end is often well under
/// a microsecond from making progress. The value is the smallest that lets async byte
/// transfers keep up with the blocking `Read`/`Write` ends; `spsc_async_4k` in
/// `crates/compare/benches/own.rs` measures both.
#[cfg(all(feature = "async", not(loom)))]
const YIELDS_BEFORE_REGISTER: u8 = 128;

/// The slow half of both ends' blocking waits: sleeps on `signal` until `ready` gives an
/// outcome, or until `timeout` passes ([`WaitError::TimedOut`]).
fn sleep_until(
    signal: &Signal,
    timeout: Option<std::time::Duration>,
    ready: impl FnMut() -> Option<Result<usize, WaitError>>,
) -> Result<usize, WaitError> {
    signal
        .wait_until(crate::sync::deadline_after(timeout), ready)
        .unwrap_or(Err(WaitError::TimedOut))
}

/// The slow half of both ends' async waits, once the fast check found nothing: hands the task
/// back to the executor a few times, then registers its waker on `signal` until `ready` gives
/// an outcome.
#[cfg(feature = "async")]
fn poll_slow(
    idle_polls: &mut u8,
    cx: &mut std::task::Context<'_>,
    signal: &Signal,
    ready: impl FnMut() -> Option<Result<usize, WaitError>>,
) -> std::task::Poll<Result<usize, WaitError>> {
    if yield_instead_of_registering(idle_polls, cx) {
        return std::task::Poll::Pending;
    }
    signal.poll_until(cx, ready)
}

/// Called on a pending poll: `true` (the caller returns `Pending`, its task already woken)
/// while `idle_polls` is under the budget, counting it; `false` once the caller must register.
#[cfg(all(feature = "async", not(loom)))]
fn yield_instead_of_registering(idle_polls: &mut u8, cx: &mut std::task::Context<'_>) -> bool {
    if *idle_polls >= YIELDS_BEFORE_REGISTER {
        return false;
    }
    *idle_polls += 1;
    cx.waker().wake_by_ref();
    true
}

/// The loom models explore the registration handshake itself: no yields there.
#[cfg(all(feature = "async", loom))]
fn yield_instead_of_registering(_: &mut u8, _: &mut std::task::Context<'_>) -> bool {
    false
}

/// Why a blocking wait ended without its condition being met.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use picoring::spsc::WaitError;
///
/// let (tx, mut rx) = picoring::spsc::channel::<u8>(16)?;
/// assert_eq!(rx.wait_readable(1, Some(Duration::from_millis(1))), Err(WaitError::TimedOut));
/// drop(tx);
/// assert_eq!(rx.wait_readable(1, None), Err(WaitError::Disconnected));
/// # Ok::<(), picoring::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitError {
    /// The timeout passed first.
    TimedOut,
    /// The other end was dropped, so the condition can never be met.
    Disconnected,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WaitError::TimedOut => "timed out waiting on a ring",
            WaitError::Disconnected => "the other end of the ring was dropped",
        })
    }
}

impl std::error::Error for WaitError {}

/// Creates a ring holding at least `capacity` elements and splits it into its two ends.
///
/// # Errors
///
/// As for [`PicoRing::with_capacity`].
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = picoring::spsc::channel::<u32>(100)?;
/// assert!(tx.capacity() >= 100);
/// tx.push(7).unwrap();
/// assert_eq!(rx.pop(), Some(7));
/// # Ok::<(), picoring::Error>(())
/// ```
pub fn channel<T: Send>(capacity: usize) -> Result<(Producer<T>, Consumer<T>), Error> {
    let (memory, cap) = ring_memory::<T>(capacity, &MirrorOptions::default())?;
    Ok(Shared::into_ends(memory, cap, 0, 0))
}

/// The memory of a new, empty ring of at least `capacity` elements, and its capacity.
fn ring_memory<T>(capacity: usize, options: &MirrorOptions) -> Result<(RingMemory, usize), Error> {
    #[cfg(not(loom))]
    {
        let ring = PicoRing::<T>::with_options(capacity, options)?;
        let (buf, cap, _, _) = ring.into_raw_parts();
        Ok((RingMemory::from_mirror(buf), cap))
    }
    // The loom models want rings of two or three elements: exact capacity, model memory.
    #[cfg(loom)]
    {
        let _ = options;
        let size = mem::size_of::<T>();
        if size == 0 || capacity == 0 || mem::align_of::<T>() > 8 {
            return Err(Error::ZeroCapacity);
        }
        let memory = RingMemory::new((capacity * size).next_multiple_of(8));
        let cap = memory.len() / size;
        Ok((memory, cap))
    }
}

impl<T: Send> PicoRing<T> {
    /// Splits the ring into a [`Producer`] and a [`Consumer`] for two threads; the elements
    /// already queued stay queued.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u8>::with_capacity(64)?;
    /// ring.push_slice(b"queued before the split");
    /// let (_tx, mut rx) = ring.split();
    /// assert_eq!(rx.readable(), b"queued before the split");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn split(self) -> (Producer<T>, Consumer<T>) {
        let (buf, cap, head, len) = self.into_raw_parts();
        Shared::into_ends(RingMemory::from_mirror(buf), cap, head, len)
    }
}

/// The state both ends share.
///
/// Positions are in `0..2 * cap`: position `p` is slot `p` or `p - cap`, and the two ranges
/// tell a full ring (`tail - head == cap`) from an empty one (`tail == head`) without wasting a
/// slot. The queued elements are the slots from `head` up to (excluding) `tail`; the slots from
/// `tail` up to `head + cap` are free. Each end owns the elements it is given: the consumer the
/// queued ones, the producer the free slots.
pub(crate) struct Shared<T> {
    /// The consumer's position, in `0..2 * cap`. Written only by the consumer, with `Release`,
    /// after it has finished reading (or dropping) the slots it gives back.
    head: CachePadded<AtomicUsize>,
    /// The producer's position, in `0..2 * cap`. Written only by the producer, with `Release`,
    /// after the slots it publishes are written and mirrored.
    tail: CachePadded<AtomicUsize>,
    /// The mirrored memory: `cap` elements, `buf.len() == cap * size_of::<T>()`.
    buf: RingMemory,
    /// Capacity in elements; at least 1.
    cap: usize,
    /// Each end's liveness flag and wake-up signal, indexed by [`Side`].
    ends: [EndState; 2],
    _owns: PhantomData<T>,
}

/// What the other end needs to know about one end.
struct EndState {
    /// Cleared (with `Release`) when this end drops.
    alive: AtomicBool,
    /// This end sleeps here: the producer waiting for space (the consumer notifies after each
    /// release), the consumer waiting for data (the producer notifies after each publish).
    wake: Signal,
}

impl EndState {
    fn new() -> Self {
        EndState {
            alive: AtomicBool::new(true),
            wake: Signal::new(),
        }
    }
}

// SAFETY: the shared state only moves elements from the producer's thread to the consumer's;
// no `&T` is ever reachable from both ends at once (each slot belongs to exactly one end), so
// `T: Send` is all that is needed for either end to live on any thread.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above; the fields the two ends both touch are atomics, the signals and the
// buffer, whose slots the index protocol hands to one end at a time.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Shared<T> {
    /// The shared state of `buf` (`cap` elements) with the consumer at `head` and the producer
    /// at `tail`.
    fn new(buf: RingMemory, cap: usize, head: usize, tail: usize) -> Arc<Self> {
        debug_assert!(head < cap && tail - head <= cap);
        Arc::new(Shared {
            head: CachePadded(AtomicUsize::new(head)),
            tail: CachePadded(AtomicUsize::new(tail)),
            buf,
            cap,
            ends: [EndState::new(), EndState::new()],
            _owns: PhantomData,
        })
    }

    /// Shares `buf`, whose `len` elements at slots `head..head + len` are queued, between two
    /// new ends.
    fn into_ends(
        buf: RingMemory,
        cap: usize,
        head: usize,
        len: usize,
    ) -> (Producer<T>, Consumer<T>) {
        let shared = Shared::new(buf, cap, head, head + len);
        (
            Producer::new(Arc::clone(&shared), head + len, head),
            Consumer::new(shared, head, head + len),
        )
    }

    /// Elements from position `from` to position `to`: `(to - from) mod 2 * cap`, at most `cap`.
    #[inline(always)]
    fn distance(&self, from: usize, to: usize) -> usize {
        if to >= from {
            to - from
        } else {
            to + 2 * self.cap - from
        }
    }

    /// Position `p` moved forward by `n <= cap`, kept in `0..2 * cap`.
    #[inline(always)]
    fn advance(&self, p: usize, n: usize) -> usize {
        debug_assert!(p < 2 * self.cap && n <= self.cap);
        let q = p + n;
        if q >= 2 * self.cap {
            q - 2 * self.cap
        } else {
            q
        }
    }

    /// The slot of position `p`, in `0..cap`.
    #[inline(always)]
    fn physical(&self, p: usize) -> usize {
        if p >= self.cap {
            p - self.cap
        } else {
            p
        }
    }

    /// Pointer to the slot of position `p`, in the first half of the mapping, so that up to
    /// `cap` elements from it are one contiguous run.
    #[inline(always)]
    fn slot(&self, p: usize) -> *mut T {
        debug_assert!(p < 2 * self.cap);
        let s = if p >= self.cap { p - self.cap } else { p };
        // SAFETY: s < cap keeps the pointer (and s + cap more elements) inside the 2N mapping.
        unsafe { (self.buf.as_ptr() as *mut T).add(s) }
    }

    /// Software backend: copies the `count <= cap` slots from position `p` to their twins.
    ///
    /// # Safety
    ///
    /// The slots must belong to the caller's end, with no live reference into them.
    #[inline(always)]
    unsafe fn mirror(&self, p: usize, count: usize) {
        let s = if p >= self.cap { p - self.cap } else { p };
        let size = mem::size_of::<T>();
        // SAFETY: s + count <= 2 * cap; the twins are the same slots, owned by the caller.
        unsafe { self.buf.mirror_range(s * size, count * size) }
    }

    /// Software backend: copies the `count` twin slots of slots `s..s + count` (`s + count <=
    /// cap`) over them, first half from second.
    ///
    /// # Safety
    ///
    /// The slots must belong to the caller's end, with no live reference into them.
    unsafe fn copy_twins_down(&self, s: usize, count: usize) {
        debug_assert!(s + count <= self.cap);
        let size = mem::size_of::<T>();
        self.track(s, count, true);
        // SAFETY: the twins lie in the second half, at (s + cap) * size + count * size <= 2N
        // bytes; `mirror_range` copies them down by N, onto the slots the caller owns.
        unsafe { self.buf.mirror_range((s + self.cap) * size, count * size) }
    }

    /// Tells the loom model that `count` slots from position `p` are read or written here
    /// (nothing in normal builds).
    #[inline(always)]
    fn track(&self, p: usize, count: usize, write: bool) {
        let s = if p >= self.cap { p - self.cap } else { p };
        let size = mem::size_of::<T>();
        if write {
            self.buf.track_write(s * size, count * size);
        } else {
            self.buf.track_read(s * size, count * size);
        }
    }

    fn backend(&self) -> Backend {
        self.buf.backend()
    }

    /// `side`'s liveness flag, cleared (with `Release`) when that end drops.
    fn alive(&self, side: Side) -> &AtomicBool {
        &self.ends[side as usize].alive
    }

    /// The signal `side` sleeps on: the producer waits for space, the consumer for data.
    #[inline(always)]
    fn wakes(&self, side: Side) -> &Signal {
        &self.ends[side as usize].wake
    }

    /// The other end's position as `side` reads it (`Acquire`): the consumer's head for the
    /// producer, the producer's tail for the consumer.
    #[inline(always)]
    fn peer_position(&self, side: Side) -> usize {
        match side {
            Side::Producer => self.head.load(Ordering::Acquire),
            Side::Consumer => self.tail.load(Ordering::Acquire),
        }
    }

    /// What `side` can take from its position `pos` given the other end at `peer`: free slots
    /// for the producer, queued elements for the consumer.
    #[inline(always)]
    fn available(&self, side: Side, pos: usize, peer: usize) -> usize {
        match side {
            Side::Producer => self.cap - self.distance(peer, pos),
            Side::Consumer => self.distance(pos, peer),
        }
    }

    /// Whether the end opposite `side` was dropped (or, for the producer, closed).
    fn is_abandoned(&self, side: Side) -> bool {
        !self.alive(side.peer()).load(Ordering::Acquire)
    }

    /// `side` goes away: clears its flag, then wakes the other end so that a wait there sees it.
    fn end_dropped(&self, side: Side) {
        self.alive(side).store(false, Ordering::Release);
        self.wakes(side.peer()).notify();
    }

    /// `side`'s wake condition from position `pos`: `Some(Ok(n))` once at least `min` are
    /// available, `Some(Err(Disconnected))` once fewer are and the other end is gone.
    fn ready(&self, side: Side, pos: usize, min: usize) -> Option<Result<usize, WaitError>> {
        let n = self.available(side, pos, self.peer_position(side));
        if n >= min {
            Some(Ok(n))
        } else if !self.is_abandoned(side) {
            None
        } else if side == Side::Consumer {
            // The producer's last publish happened before it cleared the flag: look again.
            let n = self.available(side, pos, self.peer_position(side));
            Some(if n >= min {
                Ok(n)
            } else {
                Err(WaitError::Disconnected)
            })
        } else {
            Some(Err(WaitError::Disconnected))
        }
    }

    /// The slow half of `side`'s blocking wait for `min` from position `pos`: the outcome, and
    /// the other end's position read after it (for the end's cache).
    fn wait(
        &self,
        side: Side,
        pos: usize,
        min: usize,
        timeout: Option<std::time::Duration>,
    ) -> (Result<usize, WaitError>, usize) {
        let outcome = sleep_until(self.wakes(side), timeout, || self.ready(side, pos, min));
        (outcome, self.peer_position(side))
    }

    /// The slow half of `side`'s async wait for one element or slot from position `pos`, as
    /// [`wait`](Self::wait) for the blocking one.
    #[cfg(feature = "async")]
    fn poll(
        &self,
        side: Side,
        pos: usize,
        idle_polls: &mut u8,
        cx: &mut std::task::Context<'_>,
    ) -> (std::task::Poll<Result<usize, WaitError>>, usize) {
        let outcome = poll_slow(idle_polls, cx, self.wakes(side), || {
            self.ready(side, pos, 1)
        });
        (outcome, self.peer_position(side))
    }

    /// `Debug` for `side`'s end at position `pos`.
    fn fmt_end(&self, side: Side, pos: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, field) = match side {
            Side::Producer => ("Producer", "tail"),
            Side::Consumer => ("Consumer", "head"),
        };
        f.debug_struct(name)
            .field("capacity", &self.cap)
            .field(field, &pos)
            .finish_non_exhaustive()
    }
}

/// One end of the ring, for the code both ends share: the producer owns `tail` and the free
/// slots, the consumer `head` and the queued elements.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Producer,
    Consumer,
}

impl Side {
    /// The other end.
    fn peer(self) -> Side {
        match self {
            Side::Producer => Side::Consumer,
            Side::Consumer => Side::Producer,
        }
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        if mem::needs_drop::<T>() {
            // Both ends are gone (this is the last reference), so nobody moves the indices.
            let head = self.head.load(Ordering::Acquire);
            let tail = self.tail.load(Ordering::Acquire);
            let len = self.distance(head, tail);
            let queued = ptr::slice_from_raw_parts_mut(self.slot(head), len);
            // SAFETY: these are exactly the queued, initialized elements, dropped once here.
            unsafe { ptr::drop_in_place(queued) };
        }
    }
}
