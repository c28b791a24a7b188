//! Bulk operations of [`PicoRing`]: slices of `Copy` elements in and out, and the free space as
//! one slice for plain-data elements.

use std::ptr;

use super::PicoRing;
use crate::Pod;

impl<T: Copy> PicoRing<T> {
    /// Copies as many elements of `values` as fit to the back; returns how many went in.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u8>::with_capacity(1)?;
    /// let cap = ring.capacity();
    /// assert_eq!(ring.push_slice(&vec![7; cap + 10]), cap);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn push_slice(&mut self, values: &[T]) -> usize {
        let n = values.len().min(self.cap - self.len);
        if n == 0 {
            return 0;
        }
        let v = self.head + self.len;
        // SAFETY: slots v..v+n are free and end at or before head + cap < 2 * cap; `values`
        // cannot alias them because we hold `&mut self`.
        unsafe { ptr::copy_nonoverlapping(values.as_ptr(), self.slot(v), n) };
        self.mirror_slots(v, n);
        self.len += n;
        n
    }

    /// Moves as many elements as fit into `out`, oldest first; returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u8>::with_capacity(4)?;
    /// ring.push_slice(b"abc");
    /// let mut out = [0u8; 2];
    /// assert_eq!(ring.pop_slice(&mut out), 2);
    /// assert_eq!(&out, b"ab");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn pop_slice(&mut self, out: &mut [T]) -> usize {
        let n = out.len().min(self.len);
        if n == 0 {
            return 0;
        }
        // SAFETY: slots head..head+n hold initialized elements (Copy, so no drop is owed);
        // `out` is a distinct exclusive borrow.
        unsafe { ptr::copy_nonoverlapping(self.slot(self.head), out.as_mut_ptr(), n) };
        self.advance_head(n);
        n
    }

    /// Removes the `min(n, len())` oldest elements and returns them as one contiguous slice.
    ///
    /// The slice borrows the ring mutably, so nothing can overwrite those slots while it lives.
    pub(crate) fn consume_view(&mut self, n: usize) -> &[T] {
        let n = n.min(self.len);
        self.sync_twin();
        let start = self.slot(self.head);
        self.advance_head(n);
        // SAFETY: the n slots from the old head hold initialized elements (`T: Copy`, so nothing
        // is owed a drop); advancing the head wrote none of them, and the returned borrow of
        // `self` keeps every writer away until it ends. n <= cap, so no slot and its twin.
        unsafe { std::slice::from_raw_parts(start, n) }
    }
}

impl<T: Pod> PicoRing<T> {
    /// All free space as one contiguous mutable slice, to fill in place; publish what was
    /// written with [`commit`](Self::commit).
    ///
    /// The slice holds stale or zero data until written; any bit pattern is a valid `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u8>::with_capacity(4)?;
    /// let free = ring.writable();
    /// free[..3].copy_from_slice(b"abc");
    /// assert_eq!(ring.commit(3), 3);
    /// assert_eq!(ring.readable(), b"abc");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn writable(&mut self) -> &mut [T] {
        let mut tail = self.head + self.len;
        if tail >= self.cap {
            tail -= self.cap;
        }
        // SAFETY: slots tail..tail+free end at head (+ cap) < 2 * cap, cover no queued element
        // and at most `cap` slots; every bit pattern is a valid `T: Pod` and the mapped memory
        // is initialized (zeroed at creation).
        unsafe { std::slice::from_raw_parts_mut(self.slot(tail), self.cap - self.len) }
    }

    /// Publishes up to `n` elements written through [`writable`](Self::writable); returns how
    /// many (`min(n, free_len())`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u8>::with_capacity(1)?;
    /// let cap = ring.capacity();
    /// assert_eq!(ring.commit(cap + 1), cap);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn commit(&mut self, n: usize) -> usize {
        let n = n.min(self.cap - self.len);
        self.sync_twin();
        let mut tail = self.head + self.len;
        if tail >= self.cap {
            tail -= self.cap;
        }
        self.mirror_slots(tail, n);
        self.len += n;
        n
    }
}
