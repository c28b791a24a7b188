//! Single-producer single-consumer rings that keep the newest data: when the ring is full the
//! producer overwrites the oldest unread elements instead of failing, and the consumer learns
//! how many it lost. For "the last N samples" buffers (audio, telemetry) whose producer must
//! never wait for a slow reader.
//!
//! [`channel`] gives a [`Producer`] and a [`Consumer`], each `Send`. The producer's
//! [`push_overwrite`](Producer::push_overwrite) and
//! [`push_slice_overwrite`](Producer::push_slice_overwrite) make room by dropping the oldest
//! elements; the consumer's [`readable`](Consumer::readable) hands out every queued element as
//! one contiguous slice (through the mirror, as in the plain [`spsc`](crate::spsc) ring), and
//! [`take_lost`](Consumer::take_lost) tells how many elements were dropped before the ones it
//! reads next.
//!
//! # How a read and an overwrite never meet
//!
//! The consumer's position `head` is a sequence number (elements removed so far, consumed or
//! dropped) with a "claimed" bit. To read, the consumer sets the bit with a compare-exchange
//! from the position it last knew; if that fails, the producer moved `head` past elements it
//! dropped, and the consumer counts them as lost and claims from the new position. While the
//! bit is set the producer cannot move `head` (its own compare-exchange expects the bit
//! clear), so it never writes a slot the consumer may be reading: it writes only the slots
//! beyond the consumer's `head + capacity`. The consumer clears the bit when it gives the
//! slots back (storing its new position), which is when the [`Readable`] view drops or a
//! [`pop`](Consumer::pop) ends.
//!
//! So the producer's overwriting push fails only in one case: the ring is full and the
//! consumer is reading its oldest element at that moment (a [`Readable`] alive, or a `pop` in
//! progress). It then gives the value back, and the producer can drop it, retry or keep it.
//!
//! Elements are `Copy`: an overwritten element is forgotten, never dropped.
//!
//! # Examples
//!
//! ```
//! let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<u32>(4)?;
//! let cap = tx.capacity() as u32;
//! for i in 0..cap + 3 {
//!     tx.push_overwrite(i).unwrap(); // never fails while nobody reads
//! }
//! let view = rx.readable(); // the newest `cap` elements, oldest first, contiguous
//! assert_eq!(view.first(), Some(&3));
//! assert_eq!(view.last(), Some(&(cap + 2)));
//! let n = view.len();
//! view.consume(n);
//! assert_eq!(rx.take_lost(), 3); // 0, 1 and 2 were overwritten
//! assert_eq!(rx.take_lost(), 0);
//! # Ok::<(), picoring::Error>(())
//! ```
//!
//! A telemetry thread keeping the latest samples while a slower reader catches up:
//!
//! ```
//! use std::thread;
//!
//! let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<u64>(256)?;
//! let producer = thread::spawn(move || {
//!     let mut pushed = 0u64;
//!     for sample in 0..100_000u64 {
//!         if tx.push_overwrite(sample).is_ok() {
//!             pushed += 1;
//!         }
//!     }
//!     pushed
//! });
//! let (mut received, mut last) = (0u64, None);
//! while rx.wait_readable(1, None).is_ok() {
//!     while let Some(sample) = rx.pop() {
//!         assert!(last < Some(sample)); // in order, with gaps where data was lost
//!         last = Some(sample);
//!         received += 1;
//!     }
//! }
//! let pushed = producer.join().unwrap();
//! assert_eq!(received + rx.take_lost(), pushed);
//! # Ok::<(), picoring::Error>(())
//! ```

use std::fmt;
use std::ops::Deref;
use std::ptr;
use std::time::Duration;

use super::{ring_memory, sleep_until, Shared, Side, WaitError};
use crate::mirror::MirrorOptions;
use crate::sync::{Arc, Ordering};
use crate::Error;

/// The low bit of `head`: set while the consumer reads from `head`.
const CLAIMED: usize = 1;

/// Creates an overwriting ring holding at least `capacity` elements and splits it into its two
/// ends.
///
/// # Errors
///
/// As for [`PicoRing::with_capacity`](crate::PicoRing::with_capacity).
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<f32>(1024)?;
/// assert!(tx.capacity() >= 1024);
/// tx.push_overwrite(0.5).unwrap();
/// assert_eq!(rx.pop(), Some(0.5));
/// # Ok::<(), picoring::Error>(())
/// ```
pub fn channel<T: Copy + Send>(capacity: usize) -> Result<(Producer<T>, Consumer<T>), Error> {
    channel_with_options(capacity, &MirrorOptions::default())
}

/// As [`channel`], with the given mirror options (backend, prefaulting).
///
/// # Errors
///
/// As for [`PicoRing::with_options`](crate::PicoRing::with_options).
///
/// # Examples
///
/// ```
/// use picoring::mirror::{Backend, MirrorOptions};
///
/// let opts = MirrorOptions::new().backend(Backend::Software);
/// let (mut tx, mut rx) = picoring::spsc::overwrite::channel_with_options::<u8>(1, &opts)?;
/// let cap = tx.capacity();
/// assert_eq!(tx.push_slice_overwrite(&vec![9; cap + 1]), cap + 1);
/// assert_eq!(rx.readable().len(), cap);
/// # Ok::<(), picoring::Error>(())
/// ```
pub fn channel_with_options<T: Copy + Send>(
    capacity: usize,
    options: &MirrorOptions,
) -> Result<(Producer<T>, Consumer<T>), Error> {
    let (memory, cap) = ring_memory::<T>(capacity, options)?;
    // Both positions start at sequence number 0 (slot 0), which `Shared::new` stores as is.
    let shared = Shared::new(memory, cap, 0, 0);
    Ok((
        Producer {
            shared: Arc::clone(&shared),
            tail: 0,
            slot: 0,
            cached_head: 0,
            period: period(cap),
        },
        Consumer {
            shared,
            head: 0,
            slot: 0,
            lost: 0,
            period: period(cap),
        },
    ))
}

/// The period of the sequence numbers of a ring of `cap` elements: they run in `0..period`, a
/// multiple of `cap` (so that the slot of a number, which each end tracks as it advances, stays
/// right when the number wraps) near `usize::MAX / 2` (so that a number shifted left by one for
/// the claimed bit, plus up to `cap`, fits a `usize`). About 2^63 on 64-bit targets, so the
/// lost counts are exact unless the producer drops that many elements while the consumer does
/// not look (about 2^31 on 32-bit targets).
fn period(cap: usize) -> usize {
    ((usize::MAX >> 1) / cap - 1).max(2) * cap
}

/// Elements between two position words (`head` or `tail`: a sequence number in `0..period`
/// shifted left by one, the claimed bit ignored), `to` not behind `from`.
#[inline(always)]
fn between(from: usize, to: usize, period: usize) -> usize {
    let (from, to) = (from >> 1, to >> 1);
    if to >= from {
        to - from
    } else {
        to + period - from
    }
}

/// The position word `n <= cap` elements after `word`, claimed bit cleared.
#[inline(always)]
fn after(word: usize, n: usize, period: usize) -> usize {
    let seq = (word >> 1) + n;
    let seq = if seq >= period { seq - period } else { seq };
    seq << 1
}

/// Slot `slot` (in `0..cap`) moved forward by `n` elements.
#[inline(always)]
fn slot_after(slot: usize, n: usize, cap: usize) -> usize {
    let s = slot + n % cap;
    if s >= cap {
        s - cap
    } else {
        s
    }
}

/// The writing end of an overwriting ring: see the [module docs](self).
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<u8>(1)?;
/// let cap = tx.capacity();
/// assert_eq!(tx.push_slice_overwrite(&vec![1; cap]), cap);
/// assert_eq!(tx.push(2), Err(2)); // the plain push refuses when full
/// tx.push_overwrite(2).unwrap(); // this one drops the oldest
/// assert_eq!(rx.readable().last(), Some(&2));
/// # Ok::<(), picoring::Error>(())
/// ```
pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    /// Our position word: elements pushed so far (modulo the period), shifted left by one;
    /// always equal to
    /// `shared.tail`, which only we write.
    tail: usize,
    /// The slot of `tail`, in `0..cap`.
    slot: usize,
    /// `shared.head` as last read or moved by us, claimed bit cleared: never ahead of the real
    /// one, so the free space computed from it is a lower bound.
    cached_head: usize,
    /// The sequence numbers' period: see [`period`].
    period: usize,
}

impl<T: Copy> Producer<T> {
    /// Capacity in elements.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = picoring::spsc::overwrite::channel::<u64>(100)?;
    /// assert!(tx.capacity() >= 100);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.cap
    }

    /// Whether the consumer was dropped: nothing pushed from now on will be read.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = picoring::spsc::overwrite::channel::<u8>(16)?;
    /// drop(rx);
    /// assert!(tx.is_abandoned());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn is_abandoned(&self) -> bool {
        self.shared.is_abandoned(Side::Producer)
    }

    /// Free slots by the cached consumer position.
    #[inline(always)]
    fn free(&self) -> usize {
        self.shared.cap - between(self.cached_head, self.tail, self.period)
    }

    /// Free slots right now, at least `want` of them if `overwrite` lets us drop the oldest
    /// elements to make room (`want <= cap`). Fewer only when the ring is that full and either
    /// `overwrite` is false or the consumer is reading.
    #[inline]
    fn room(&mut self, want: usize, overwrite: bool) -> usize {
        let free = self.free();
        if free >= want {
            return free;
        }
        self.make_room(want, overwrite)
    }

    #[cold]
    fn make_room(&mut self, want: usize, overwrite: bool) -> usize {
        let head = &self.shared.head;
        let mut word = head.load(Ordering::Acquire);
        loop {
            self.cached_head = word & !CLAIMED;
            let free = self.free();
            if free >= want || !overwrite || word & CLAIMED != 0 {
                return free;
            }
            let moved = after(word, want - free, self.period);
            // Acquire: the consumer's reads of the slots we take over happened before its
            // release of them (the store that cleared its claim). Release: a consumer that
            // learns of the move also sees our `tail` at or past the new `head`.
            match head.compare_exchange_weak(word, moved, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    self.cached_head = moved;
                    return want;
                }
                Err(now) => word = now,
            }
        }
    }

    /// Mirrors and publishes the `n` slots written at `tail`, then wakes a sleeping consumer.
    #[inline(always)]
    fn publish(&mut self, n: usize) {
        let shared = &*self.shared;
        // SAFETY: the n slots from `tail` are free slots we own and just wrote; no reference
        // into them is alive (`&mut self`), and the consumer reads only slots before `tail`.
        unsafe { shared.mirror(self.slot, n) };
        self.slot = slot_after(self.slot, n, shared.cap);
        self.tail = after(self.tail, n, self.period);
        shared.tail.store(self.tail, Ordering::Release);
        shared.wakes(Side::Consumer).notify();
    }

    /// Writes `value` at `tail` if `room` finds a slot.
    #[inline(always)]
    fn push_with(&mut self, value: T, overwrite: bool) -> Result<(), T> {
        if self.room(1, overwrite) == 0 {
            return Err(value);
        }
        self.shared.track(self.slot, 1, true);
        // SAFETY: the slot at `tail` is free and ours: the consumer's `head` is at least
        // `tail - cap + 1` elements on, and it reads only from `head` to `tail`.
        unsafe { self.shared.slot(self.slot).write(value) };
        self.publish(1);
        Ok(())
    }

    /// Appends `value`; gives it back when the ring is full, as
    /// [`spsc::Producer::push`](crate::spsc::Producer::push) does.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = picoring::spsc::overwrite::channel::<u32>(1)?;
    /// for i in 0..tx.capacity() as u32 { tx.push(i).unwrap(); }
    /// assert_eq!(tx.push(99), Err(99));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) -> Result<(), T> {
        self.push_with(value, false)
    }

    /// Appends `value`, dropping the oldest element when the ring is full (the consumer's
    /// [`take_lost`](Consumer::take_lost) counts it). Gives `value` back only when the ring is
    /// full and the consumer is reading its oldest element right now (a [`Readable`] alive or
    /// a `pop` in progress).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<u16>(1)?;
    /// let cap = tx.capacity() as u16;
    /// for i in 0..=cap { tx.push_overwrite(i).unwrap(); }
    /// assert_eq!(rx.pop(), Some(1));
    /// assert_eq!(rx.take_lost(), 1);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn push_overwrite(&mut self, value: T) -> Result<(), T> {
        self.push_with(value, true)
    }

    /// Copies all of `values` in, dropping as many of the oldest elements as needed; returns
    /// how many went in, fewer than `values.len()` only when the ring is full and the consumer
    /// is reading its oldest element right now. When `values` is longer than the capacity its
    /// first elements are overwritten by its last ones (and counted as lost).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<u8>(1)?;
    /// let cap = tx.capacity();
    /// let data: Vec<u8> = (0..cap + 10).map(|i| i as u8).collect();
    /// assert_eq!(tx.push_slice_overwrite(&data), cap + 10);
    /// assert_eq!(&*rx.readable(), &data[10..]);
    /// assert_eq!(rx.take_lost(), 10);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn push_slice_overwrite(&mut self, values: &[T]) -> usize {
        let mut pushed = 0;
        for chunk in values.chunks(self.shared.cap) {
            let n = chunk.len().min(self.room(chunk.len(), true));
            self.shared.track(self.slot, n, true);
            // SAFETY: the n slots from `tail` are free and ours (as in `push_with`), and
            // contiguous through the mirror (n <= cap); `values` cannot point into them since
            // only we hand out slots to write, and we are borrowed mutably.
            unsafe { ptr::copy_nonoverlapping(chunk.as_ptr(), self.shared.slot(self.slot), n) };
            if n > 0 {
                self.publish(n);
            }
            pushed += n;
            if n < chunk.len() {
                break;
            }
        }
        pushed
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        self.shared.end_dropped(Side::Producer);
    }
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt_end(Side::Producer, self.slot, f)
    }
}

/// The reading end of an overwriting ring: see the [module docs](self).
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<u8>(16)?;
/// tx.push_slice_overwrite(b"abc");
/// assert_eq!(rx.len(), 3);
/// assert_eq!(rx.pop(), Some(b'a'));
/// assert_eq!(&*rx.readable(), b"bc");
/// # Ok::<(), picoring::Error>(())
/// ```
pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    /// Our position word as we last knew it: elements removed so far (consumed by us or
    /// dropped by the producer, modulo the period), shifted left by one, claimed bit clear.
    head: usize,
    /// The slot of `head`, in `0..cap`.
    slot: usize,
    /// Elements the producer dropped that `take_lost` has not reported yet.
    lost: u64,
    /// The sequence numbers' period: see [`period`].
    period: usize,
}

impl<T: Copy> Consumer<T> {
    /// Capacity in elements.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = picoring::spsc::overwrite::channel::<u64>(100)?;
    /// assert!(rx.capacity() >= 100);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.cap
    }

    /// Whether the producer was dropped: what is queued now is all there will ever be.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = picoring::spsc::overwrite::channel::<u8>(16)?;
    /// drop(tx);
    /// assert!(rx.is_abandoned());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn is_abandoned(&self) -> bool {
        self.shared.is_abandoned(Side::Consumer)
    }

    /// Queued elements right now, without claiming them (the producer may add more, or drop
    /// some, at any moment).
    fn queued(&self) -> usize {
        let shared = &*self.shared;
        // `head` first: a `head` the producer moved comes with a `tail` at or past it
        // (its compare-exchange is Release, this load Acquire).
        let head = shared.head.load(Ordering::Acquire);
        between(head, shared.tail.load(Ordering::Acquire), self.period)
    }

    /// Queued elements right now (the producer may add more, or overwrite some, at any moment).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, rx) = picoring::spsc::overwrite::channel::<u8>(16)?;
    /// tx.push_slice_overwrite(b"xy");
    /// assert_eq!(rx.len(), 2);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.queued()
    }

    /// Whether nothing is queued right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = picoring::spsc::overwrite::channel::<u8>(16)?;
    /// assert!(rx.is_empty());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.queued() == 0
    }

    /// How many elements the producer dropped (overwrote) since the last call, all older
    /// than the elements read since; an element is counted once a read (`pop`, `pop_slice`,
    /// `readable`) finds it gone. Once the producer is dropped and the ring read empty, the
    /// elements read plus the lost ones are exactly the ones pushed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<u8>(1)?;
    /// let cap = tx.capacity();
    /// tx.push_slice_overwrite(&vec![0; cap + 5]);
    /// assert_eq!(rx.take_lost(), 0); // not read yet
    /// assert_eq!(rx.pop(), Some(0));
    /// assert_eq!(rx.take_lost(), 5);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn take_lost(&mut self) -> u64 {
        std::mem::take(&mut self.lost)
    }

    /// Sets the claimed bit on `head`, counting the elements the producer dropped since we
    /// last looked; returns how many elements are queued from there. The producer cannot move
    /// `head` (so cannot write the queued slots) until `unclaim`.
    #[inline]
    fn claim(&mut self) -> usize {
        let shared = &*self.shared;
        let mut word = self.head;
        // Only we set the bit, so it is clear here; only the producer moves `head` forward
        // while it is clear (and `word` then catches up).
        // Acquire: the producer's move of `head` comes with its `tail` at or past it.
        while let Err(now) = shared.head.compare_exchange_weak(
            word,
            word | CLAIMED,
            Ordering::Acquire,
            Ordering::Relaxed,
        ) {
            word = now;
        }
        if word != self.head {
            self.catch_up(word);
        }
        between(
            self.head,
            self.shared.tail.load(Ordering::Acquire),
            self.period,
        )
    }

    /// The producer moved `head` to `word`: the elements in between were dropped.
    #[cold]
    fn catch_up(&mut self, word: usize) {
        let dropped = between(self.head, word, self.period);
        self.lost += dropped as u64;
        self.slot = slot_after(self.slot, dropped, self.shared.cap);
        self.head = word;
    }

    /// Gives the `n` claimed elements from `head` back (the rest stay queued) and clears the
    /// claim.
    #[inline]
    fn unclaim(&mut self, n: usize) {
        self.head = after(self.head, n, self.period);
        self.slot = slot_after(self.slot, n, self.shared.cap);
        // Release: our reads of the slots given back happen before the producer reuses them.
        self.shared.head.store(self.head, Ordering::Release);
    }

    /// Removes and returns the oldest element.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<i16>(4)?;
    /// tx.push_overwrite(-3).unwrap();
    /// assert_eq!(rx.pop(), Some(-3));
    /// assert_eq!(rx.pop(), None);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        if self.claim() == 0 {
            self.unclaim(0);
            return None;
        }
        self.shared.track(self.slot, 1, false);
        // SAFETY: the slot at `head` holds a published element (before `tail`) that the
        // producer cannot overwrite while we hold the claim.
        let value = unsafe { self.shared.slot(self.slot).read() };
        self.unclaim(1);
        Some(value)
    }

    /// Removes as many of the oldest elements as fit into `out`; returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<u8>(16)?;
    /// tx.push_slice_overwrite(b"abc");
    /// let mut out = [0u8; 2];
    /// assert_eq!(rx.pop_slice(&mut out), 2);
    /// assert_eq!(&out, b"ab");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn pop_slice(&mut self, out: &mut [T]) -> usize {
        let n = self.claim().min(out.len());
        self.shared.track(self.slot, n, false);
        // SAFETY: the n slots from `head` hold published elements the producer cannot
        // overwrite while we hold the claim, contiguous through the mirror (n <= cap); `out`
        // is a distinct exclusive borrow.
        unsafe { ptr::copy_nonoverlapping(self.shared.slot(self.slot), out.as_mut_ptr(), n) };
        self.unclaim(n);
        n
    }

    /// Every queued element, oldest first, as one contiguous slice in a [`Readable`] view.
    /// While the view is alive the producer cannot overwrite these elements (its overwriting
    /// pushes fail if the ring is full); [`Readable::consume`] gives some back, and dropping
    /// the view gives back none.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<u8>(16)?;
    /// tx.push_slice_overwrite(b"hello");
    /// let view = rx.readable();
    /// assert_eq!(&*view, b"hello");
    /// view.consume(2);
    /// assert_eq!(&*rx.readable(), b"llo");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn readable(&mut self) -> Readable<'_, T> {
        let len = self.claim();
        self.shared.track(self.slot, len, false);
        Readable {
            consumer: self,
            len,
            consumed: 0,
        }
    }

    /// Sleeps until at least `min` elements are queued (`min` is clamped to the capacity) and
    /// returns the queued count, or until `timeout` passes ([`WaitError::TimedOut`]), or until
    /// the producer is dropped with fewer than `min` queued ([`WaitError::Disconnected`]).
    /// `None` waits without limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use picoring::spsc::WaitError;
    ///
    /// let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<u8>(16)?;
    /// let waited = rx.wait_readable(1, Some(Duration::from_millis(1)));
    /// assert_eq!(waited, Err(WaitError::TimedOut));
    /// tx.push_overwrite(1).unwrap();
    /// assert_eq!(rx.wait_readable(1, None), Ok(1));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn wait_readable(
        &mut self,
        min: usize,
        timeout: Option<Duration>,
    ) -> Result<usize, WaitError> {
        let min = min.min(self.shared.cap);
        let n = self.queued();
        if n >= min {
            return Ok(n);
        }
        let shared = &*self.shared;
        sleep_until(shared.wakes(Side::Consumer), timeout, || {
            let n = self.queued();
            if n >= min {
                Some(Ok(n))
            } else if !shared.is_abandoned(Side::Consumer) {
                None
            } else {
                // The producer's last publish happened before it cleared its flag.
                let n = self.queued();
                Some(if n >= min {
                    Ok(n)
                } else {
                    Err(WaitError::Disconnected)
                })
            }
        })
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        self.shared.end_dropped(Side::Consumer);
    }
}

impl<T> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt_end(Side::Consumer, self.slot, f)
    }
}

/// The queued elements of an overwriting ring, claimed by [`Consumer::readable`]: derefs to
/// one contiguous `&[T]` that the producer cannot overwrite while the view lives. Dropping it
/// gives back nothing; [`consume`](Self::consume) gives back the oldest `n`.
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<u8>(16)?;
/// tx.push_slice_overwrite(b"abc");
/// {
///     let view = rx.readable();
///     assert_eq!(view.len(), 3);
/// } // nothing consumed
/// assert_eq!(rx.len(), 3);
/// # Ok::<(), picoring::Error>(())
/// ```
pub struct Readable<'a, T: Copy> {
    consumer: &'a mut Consumer<T>,
    len: usize,
    /// Elements given back when the view drops.
    consumed: usize,
}

impl<T: Copy> Readable<'_, T> {
    /// Gives the oldest `n` elements (clamped to the view's length) back to the producer and
    /// ends the view; returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::overwrite::channel::<u8>(16)?;
    /// tx.push_slice_overwrite(b"abc");
    /// assert_eq!(rx.readable().consume(10), 3);
    /// assert!(rx.is_empty());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn consume(mut self, n: usize) -> usize {
        self.consumed = n.min(self.len);
        self.consumed
    }
}

impl<T: Copy> Deref for Readable<'_, T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        let consumer = &*self.consumer;
        // SAFETY: the `len` slots from `head` hold published, initialized elements that the
        // producer cannot overwrite while we hold the claim (it is cleared only when this view
        // drops); they are contiguous through the mirror (len <= cap).
        unsafe { std::slice::from_raw_parts(consumer.shared.slot(consumer.slot), self.len) }
    }
}

impl<T: Copy> Drop for Readable<'_, T> {
    fn drop(&mut self) {
        self.consumer.unclaim(self.consumed);
    }
}

impl<T: Copy + fmt::Debug> fmt::Debug for Readable<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
