//! [`Producer`]: the writing end of a split ring.

use std::fmt;
use std::ptr;
use std::time::Duration;

use super::end::{end_methods, End, ProducerSide};
use super::{Shared, Side, WaitError};
use crate::mirror::Backend;
use crate::sync::{Arc, Ordering};
use crate::Pod;

/// The writing end of a split ring: see the [module docs](crate::spsc).
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(16)?;
/// let free = tx.writable();
/// free[..5].copy_from_slice(b"hello");
/// tx.commit(5);
/// assert_eq!(rx.readable(), b"hello");
/// # Ok::<(), picoring::Error>(())
/// ```
pub struct Producer<T> {
    /// The shared state, our position `tail` (`end.pos`) and the consumer's `head` as last
    /// read (`end.cached_peer`).
    pub(super) end: End<T, ProducerSide>,
}

impl<T> Producer<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, tail: usize, head: usize) -> Self {
        Producer {
            end: End::new(shared, tail, head),
        }
    }

    end_methods! {
        /// Capacity in elements.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, _rx) = picoring::spsc::channel::<u64>(100)?;
        /// assert!(tx.capacity() >= 100);
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
        /// let (tx, _rx) = picoring::PicoRing::<u8>::with_options(1, &software)?.split();
        /// assert_eq!(tx.backend(), Backend::Software);
        /// # Ok::<(), picoring::Error>(())
        /// ```
        fn backend;
    }

    /// Free slots right now (the consumer may free more at any moment).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = picoring::spsc::channel::<u8>(16)?;
    /// tx.push(1).unwrap();
    /// assert_eq!(tx.free_len(), tx.capacity() - 1);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn free_len(&mut self) -> usize {
        self.end.available_at_least(self.end.shared.cap)
    }

    end_methods! {
        /// Whether the consumer was dropped: nothing pushed from now on will be read.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = picoring::spsc::channel::<u8>(16)?;
        /// assert!(!tx.is_abandoned());
        /// drop(rx);
        /// assert!(tx.is_abandoned());
        /// # Ok::<(), picoring::Error>(())
        /// ```
        fn is_abandoned;
    }

    /// Mirrors and publishes the `n` slots written at `tail`, then wakes a sleeping consumer.
    #[inline(always)]
    fn publish(&mut self, n: usize) {
        let shared = &*self.end.shared;
        // SAFETY: the n slots from `tail` are free slots we own and just wrote; no reference
        // into them is alive (`&mut self`).
        unsafe { shared.mirror(self.end.pos, n) };
        self.end.pos = shared.advance(self.end.pos, n);
        shared.tail.store(self.end.pos, Ordering::Release);
        shared.wakes(Side::Consumer).notify();
    }

    /// Appends `value`; gives it back when the ring is full.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = picoring::spsc::channel::<u32>(1)?;
    /// for i in 0..tx.capacity() as u32 { tx.push(i).unwrap(); }
    /// assert_eq!(tx.push(99), Err(99));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) -> Result<(), T> {
        if self.end.available_at_least(1) == 0 {
            return Err(value);
        }
        self.end.shared.track(self.end.pos, 1, true);
        // SAFETY: the slot at `tail` is free and ours (the consumer never reads past `tail`).
        unsafe { self.end.shared.slot(self.end.pos).write(value) };
        self.publish(1);
        Ok(())
    }

    /// Appends `value`, sleeping while the ring is full; gives the value back if the consumer
    /// has been dropped (before or during the wait).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, rx) = picoring::spsc::channel::<u8>(16)?;
    /// tx.push_blocking(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.push_blocking(2), Err(2));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn push_blocking(&mut self, value: T) -> Result<(), T> {
        if self.is_abandoned() || self.wait_writable(1, None).is_err() {
            return Err(value);
        }
        self.push(value)
    }

    end_methods! {
        /// Sleeps until at least `min` slots are free (`min` is clamped to the capacity) and
        /// returns the free count, or until `timeout` passes ([`WaitError::TimedOut`]), or until the
        /// consumer is dropped ([`WaitError::Disconnected`]; also at once after this end was closed
        /// through `AsyncWrite::poll_close`). `None` waits without limit.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// use picoring::spsc::WaitError;
        ///
        /// let (mut tx, rx) = picoring::spsc::channel::<u8>(1)?;
        /// let cap = tx.capacity();
        /// assert_eq!(tx.wait_writable(cap, None), Ok(cap));
        /// tx.push(0).unwrap();
        /// assert_eq!(tx.wait_writable(cap, Some(Duration::from_millis(1))), Err(WaitError::TimedOut));
        /// drop(rx);
        /// assert_eq!(tx.wait_writable(cap, None), Err(WaitError::Disconnected));
        /// # Ok::<(), picoring::Error>(())
        /// ```
        fn wait_writable(min, timeout);
    }

    /// Tells the consumer that nothing more comes, as dropping does: it reads what is queued,
    /// then end of file. From then on this end has no free space: pushes give their values
    /// back, `writable` is empty and the waits report [`WaitError::Disconnected`].
    #[cfg(feature = "async")]
    pub(super) fn close(&mut self) {
        // A cached consumer position a whole ring behind `tail` reads as "full", which sends
        // every push to the slow path of `End::available_at_least`, where the closed flag
        // refuses it.
        let end = &mut self.end;
        end.cached_peer = end.shared.advance(end.pos, end.shared.cap);
        end.shared.end_dropped(super::Side::Producer);
    }
}

impl<T: Copy> Producer<T> {
    /// Copies as many elements of `values` as fit; returns how many went in.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(1)?;
    /// let cap = tx.capacity();
    /// assert_eq!(tx.push_slice(&vec![7; cap + 3]), cap);
    /// assert_eq!(rx.readable().len(), cap);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn push_slice(&mut self, values: &[T]) -> usize {
        let n = values.len().min(self.end.available_at_least(values.len()));
        if n == 0 {
            return 0;
        }
        self.end.shared.track(self.end.pos, n, true);
        // SAFETY: the n slots from `tail` are free and ours, and contiguous through the mirror
        // (n <= cap); `values` cannot point into them since only we hand out free slots, and
        // we are borrowed mutably.
        unsafe { ptr::copy_nonoverlapping(values.as_ptr(), self.end.shared.slot(self.end.pos), n) };
        self.publish(n);
        n
    }
}

impl<T: Pod> Producer<T> {
    /// All free space as one contiguous mutable slice, to fill in place; publish what was
    /// written with [`commit`](Self::commit). It holds stale data until written.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::channel::<f32>(256)?;
    /// let cap = tx.capacity();
    /// let frames = tx.writable();
    /// assert_eq!(frames.len(), cap);
    /// frames[0] = 0.25;
    /// frames[1] = -0.25;
    /// tx.commit(2);
    /// assert_eq!(rx.readable(), [0.25, -0.25]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn writable(&mut self) -> &mut [T] {
        let free = self.end.available_at_least(self.end.shared.cap);
        self.free_slots(free)
    }

    /// At least `min` free slots as one contiguous mutable slice, or `None` while fewer are
    /// free (always when `min` exceeds the capacity); publish what was written with
    /// [`commit`](Self::commit).
    ///
    /// Unlike [`writable`](Self::writable), which asks the consumer for its position on every
    /// call, this reads it only when the free space known from the last read is under `min`:
    /// a producer writing fixed-size chunks into a ring with room for many of them reads the
    /// consumer's cache line once per batch of chunks, not once per chunk. The slice may
    /// therefore be shorter than the space free right now, never shorter than `min`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(4096)?;
    /// let cap = tx.capacity();
    /// let chunk = tx.writable_at_least(1000).expect("an empty ring has room");
    /// chunk[..3].copy_from_slice(b"abc");
    /// tx.commit(3);
    /// assert!(tx.writable_at_least(cap).is_none()); // three bytes are queued
    /// assert_eq!(rx.readable(), b"abc");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn writable_at_least(&mut self, min: usize) -> Option<&mut [T]> {
        let free = self.end.available_at_least(min);
        if free < min {
            return None;
        }
        Some(self.free_slots(free))
    }

    /// The `free` slots from `tail` as a slice; `free` must not exceed the free space.
    #[inline(always)]
    fn free_slots(&mut self, free: usize) -> &mut [T] {
        self.end.shared.track(self.end.pos, free, true);
        // SAFETY: the `free` slots from `tail` are ours and contiguous through the mirror
        // (free <= cap), cover no queued element, so the consumer's `readable` slice never
        // overlaps them, not even through the twin half; any bit pattern is a valid `T: Pod` and
        // the memory is initialized (zeroed at creation).
        unsafe { std::slice::from_raw_parts_mut(self.end.shared.slot(self.end.pos), free) }
    }

    /// Publishes the first `n` elements of [`writable`](Self::writable) (clamped to the free
    /// space); returns how many were published.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(1)?;
    /// tx.writable()[0] = 42;
    /// assert_eq!(tx.commit(1), 1);
    /// assert_eq!(rx.pop(), Some(42));
    /// assert_eq!(tx.commit(usize::MAX), tx.capacity());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn commit(&mut self, n: usize) -> usize {
        let n = n.min(self.end.available_at_least(n));
        if n > 0 {
            self.publish(n);
        }
        n
    }
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.end.fmt(f)
    }
}
