//! [`Consumer`]: the reading end of a split ring.

use std::fmt;
use std::mem;
use std::ptr;
use std::time::Duration;

use super::end::{end_methods, ConsumerSide, End};
use super::{Shared, Side, WaitError};
use crate::mirror::Backend;
use crate::sync::{Arc, Ordering};

/// The reading end of a split ring: see the [module docs](crate::spsc).
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(16)?;
/// tx.push_slice(b"abc");
/// assert_eq!(rx.readable(), b"abc");
/// assert_eq!(rx.consume(2), 2);
/// assert_eq!(rx.pop(), Some(b'c'));
/// # Ok::<(), picoring::Error>(())
/// ```
pub struct Consumer<T> {
    /// The shared state, our position `head` (`end.pos`) and the producer's `tail` as last
    /// read (`end.cached_peer`).
    pub(super) end: End<T, ConsumerSide>,
    /// Software backend only: the queued elements in slots `0..twin_views` were handed out
    /// through a view at their twins, past the physical end (a view starts at `head`'s slot
    /// and runs on through the twin half), where a `Cell`, `Mutex` or atomic inside them may
    /// have been changed in that copy only. `release` copies them back to the first half
    /// before they are addressed there, when `head` crosses the physical end. Always 0 on the
    /// other backends.
    twin_views: usize,
    /// Whether the ring is on the software backend (two copies, see `twin_views`).
    software: bool,
}

impl<T> Consumer<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, head: usize, tail: usize) -> Self {
        Consumer {
            software: !shared.backend().is_hardware(),
            end: End::new(shared, head, tail),
            twin_views: 0,
        }
    }

    end_methods! {
        /// Capacity in elements.
        ///
        /// # Examples
        ///
        /// ```
        /// let (_tx, rx) = picoring::spsc::channel::<u64>(100)?;
        /// assert!(rx.capacity() >= 100);
        /// # Ok::<(), picoring::Error>(())
        /// ```
        fn capacity;

        /// The backend serving the ring's memory.
        ///
        /// # Examples
        ///
        /// ```
        /// use picoring::mirror::{Backend, MirrorOptions};
        ///
        /// let software = MirrorOptions::new().backend(Backend::Software);
        /// let (_tx, rx) = picoring::PicoRing::<u8>::with_options(1, &software)?.split();
        /// assert_eq!(rx.backend(), Backend::Software);
        /// # Ok::<(), picoring::Error>(())
        /// ```
        fn backend;
    }

    /// Queued elements right now (the producer may add more at any moment).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(16)?;
    /// tx.push_slice(b"xy");
    /// assert_eq!(rx.len(), 2);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn len(&mut self) -> usize {
        self.end.available_at_least(self.end.shared.cap)
    }

    /// Whether nothing is queued right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, mut rx) = picoring::spsc::channel::<u8>(16)?;
    /// assert!(rx.is_empty());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn is_empty(&mut self) -> bool {
        self.end.available_at_least(1) == 0
    }

    end_methods! {
        /// Whether the producer was dropped: what is queued now is all there will ever be.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = picoring::spsc::channel::<u8>(16)?;
        /// drop(tx);
        /// assert!(rx.is_abandoned());
        /// # Ok::<(), picoring::Error>(())
        /// ```
        fn is_abandoned;
    }

    /// Gives the `n` slots at `head` back to the producer and wakes it if it sleeps.
    #[inline(always)]
    fn release(&mut self, n: usize) {
        if self.twin_views != 0 {
            self.write_back_twins(n);
        }
        let shared = &*self.end.shared;
        self.end.pos = shared.advance(self.end.pos, n);
        shared.head.store(self.end.pos, Ordering::Release);
        shared.wakes(Side::Producer).notify();
    }

    /// Software backend: when giving back `n` slots moves `head` across the physical end, the
    /// elements still queued that were handed out at their twins (`twin_views`) are from now
    /// on addressed in the first half: copy each twin over its first-half slot.
    #[cold]
    #[inline(never)]
    fn write_back_twins(&mut self, n: usize) {
        let shared = &*self.end.shared;
        let slot = shared.physical(self.end.pos);
        if slot + n < shared.cap {
            // `head` stays before the physical end: the views' addresses are still current.
            return;
        }
        // The first slot still queued after the release; everything before it is given back.
        let first_kept = slot + n - shared.cap;
        if first_kept < self.twin_views {
            // SAFETY: slots first_kept..twin_views hold queued elements that we own (the
            // producer writes only free slots and their twins), and no reference into them is
            // alive (`&mut self`).
            unsafe { shared.copy_twins_down(first_kept, self.twin_views - first_kept) };
        }
        self.twin_views = 0;
    }

    /// Removes and returns the oldest element.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::channel(4)?;
    /// tx.push("a".to_string()).unwrap();
    /// assert_eq!(rx.pop().as_deref(), Some("a"));
    /// assert_eq!(rx.pop(), None);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        if self.end.available_at_least(1) == 0 {
            return None;
        }
        self.end.shared.track(self.end.pos, 1, false);
        // SAFETY: the slot at `head` holds a published element that we own; it is moved out
        // here and its slot given back right after, so it is never read again.
        let value = unsafe { self.end.shared.slot(self.end.pos).read() };
        self.release(1);
        Some(value)
    }

    /// Removes the oldest element, sleeping while the ring is empty; `None` once the ring is
    /// empty and the producer has been dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(4)?;
    /// tx.push(5).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.pop_blocking(), Some(5));
    /// assert_eq!(rx.pop_blocking(), None);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn pop_blocking(&mut self) -> Option<T> {
        self.wait_readable(1, None).ok()?;
        self.pop()
    }

    end_methods! {
        /// Sleeps until at least `min` elements are queued (`min` is clamped to the capacity) and
        /// returns the queued count, or until `timeout` passes ([`WaitError::TimedOut`]), or until
        /// the producer is dropped with fewer than `min` queued ([`WaitError::Disconnected`]).
        /// `None` waits without limit.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::{thread, time::Duration};
        ///
        /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(64)?;
        /// let writer = thread::spawn(move || {
        ///     for chunk in [&b"hel"[..], b"lo"] {
        ///         tx.push_slice(chunk);
        ///         thread::sleep(Duration::from_millis(1));
        ///     }
        /// });
        /// assert!(rx.wait_readable(5, None)? >= 5);
        /// assert_eq!(rx.readable(), b"hello");
        /// writer.join().unwrap();
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        fn wait_readable(min, timeout);
    }

    /// Every queued element, oldest first, as one contiguous slice, wrapped or not.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(1)?;
    /// let cap = tx.capacity();
    /// tx.push_slice(&vec![0; cap - 2]);
    /// rx.consume(cap - 2);
    /// tx.push_slice(b"wraps"); // starts 2 bytes before the physical end
    /// assert_eq!(rx.readable(), b"wraps");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn readable(&mut self) -> &[T] {
        let queued = self.end.available_at_least(self.end.shared.cap);
        self.queued_slots(queued)
    }

    /// At least `min` queued elements, oldest first, as one contiguous slice, or `None` while
    /// fewer are queued (always when `min` exceeds the capacity); give them back with
    /// [`consume`](Self::consume).
    ///
    /// Unlike [`readable`](Self::readable), which asks the producer for its position on every
    /// call, this reads it only when the count known from the last read is under `min`: a
    /// consumer taking fixed-size chunks from a ring that holds many of them reads the
    /// producer's cache line once per batch of chunks, not once per chunk (with 256-byte chunks
    /// in a 64 KiB ring that made the `spsc_256b_chunks` benchmark about 1.7x faster than
    /// ringbuf). The slice may therefore be shorter than what is queued right now, never
    /// shorter than `min`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(64)?;
    /// assert!(rx.readable_at_least(1).is_none());
    /// tx.push_slice(b"header+body");
    /// let header = rx.readable_at_least(6).expect("eleven bytes are queued");
    /// assert_eq!(&header[..6], b"header");
    /// rx.consume(7);
    /// assert!(rx.readable_at_least(5).is_none());
    /// assert_eq!(rx.readable_at_least(4), Some(&b"body"[..]));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn readable_at_least(&mut self, min: usize) -> Option<&[T]> {
        let queued = self.end.available_at_least(min);
        if queued < min {
            return None;
        }
        Some(self.queued_slots(queued))
    }

    /// Software backend: a view of `queued` slots from `head` reaches `slot + queued - cap`
    /// slots into the twin half (see `twin_views`).
    #[cold]
    #[inline(never)]
    fn note_twin_view(&mut self, queued: usize) {
        let shared = &*self.end.shared;
        let end = shared.physical(self.end.pos) + queued;
        self.twin_views = self.twin_views.max(end.saturating_sub(shared.cap));
    }

    /// The `queued` slots from `head` as a slice; `queued` must not exceed the queued count.
    #[inline(always)]
    fn queued_slots(&mut self, queued: usize) -> &[T] {
        if self.software {
            self.note_twin_view(queued);
        }
        self.end.shared.track(self.end.pos, queued, false);
        // SAFETY: the `queued` slots from `head` hold published, initialized elements that we
        // own; they are contiguous through the mirror (queued <= cap) and are all queued slots,
        // so the producer's writes (free slots and their twins) never touch them while the
        // slice lives (it borrows `self`, and only `consume`/`pop` give slots back).
        unsafe { std::slice::from_raw_parts(self.end.shared.slot(self.end.pos), queued) }
    }

    /// Drops up to `n` elements from the front without copying; returns how many
    /// (`min(n, queued)`).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(16)?;
    /// tx.push_slice(b"hello");
    /// assert_eq!(rx.consume(2), 2);
    /// assert_eq!(rx.readable(), b"llo");
    /// assert_eq!(rx.consume(100), 3);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn consume(&mut self, n: usize) -> usize {
        let n = n.min(self.end.available_at_least(n));
        if n == 0 {
            return 0;
        }
        if mem::needs_drop::<T>() {
            self.end.shared.track(self.end.pos, n, true);
            let doomed = ptr::slice_from_raw_parts_mut(self.end.shared.slot(self.end.pos), n);
            // Give the slots back even if a destructor panics, so none is dropped twice.
            let _release = ReleaseOnDrop { consumer: self, n };
            // SAFETY: those n slots hold initialized elements we own; each is dropped once,
            // and the guard gives the slots back to the producer right after.
            unsafe { ptr::drop_in_place(doomed) };
        } else {
            self.release(n);
        }
        n
    }
}

impl<T: Copy> Consumer<T> {
    /// Moves as many elements as fit into `out`, oldest first; returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(16)?;
    /// tx.push_slice(b"abc");
    /// let mut out = [0u8; 2];
    /// assert_eq!(rx.pop_slice(&mut out), 2);
    /// assert_eq!(&out, b"ab");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn pop_slice(&mut self, out: &mut [T]) -> usize {
        let n = out.len().min(self.end.available_at_least(out.len()));
        if n == 0 {
            return 0;
        }
        self.end.shared.track(self.end.pos, n, false);
        // SAFETY: the n slots from `head` hold published elements we own (Copy: no drop owed),
        // contiguous through the mirror; `out` is a distinct exclusive borrow.
        unsafe {
            ptr::copy_nonoverlapping(self.end.shared.slot(self.end.pos), out.as_mut_ptr(), n)
        };
        self.release(n);
        n
    }
}

/// Releases slots when dropped, also during unwinding.
struct ReleaseOnDrop<'a, T> {
    consumer: &'a mut Consumer<T>,
    n: usize,
}

impl<T> Drop for ReleaseOnDrop<'_, T> {
    fn drop(&mut self) {
        self.consumer.release(self.n);
    }
}

impl<T> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.end.fmt(f)
    }
}
