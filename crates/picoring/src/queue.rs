//! [`PicoQueue<T>`]: a bulk FIFO over a [`PicoRing<T>`], with all-or-nothing slice pushes.

use std::fmt;

use crate::mirror::{Backend, MirrorOptions};
use crate::{Error, InsufficientSpace, PicoRing, Pod};

/// A fixed-capacity FIFO queue built for bulk transfers.
///
/// A thin layer over [`PicoRing<T>`]: [`push_all`](Self::push_all) either appends the whole
/// slice or nothing, [`pop_slice`](Self::pop_slice) takes as many elements as fit in one copy,
/// and [`readable`](Self::readable) shows everything queued as one contiguous slice in O(1),
/// even when it wraps past the physical end of the buffer.
///
/// Every element still queued is dropped exactly once when the queue drops.
///
/// # Examples
///
/// ```
/// use picoring::PicoQueue;
///
/// let mut queue = PicoQueue::<u16>::with_capacity(1000)?;
/// queue.push_all(&[1, 2, 3])?;
/// assert_eq!(queue.readable(), &[1, 2, 3]);
/// let mut out = [0; 2];
/// assert_eq!(queue.pop_slice(&mut out), 2);
/// assert_eq!(out, [1, 2]);
/// assert_eq!(queue.pop(), Some(3));
///
/// // Too big for the free space: nothing is pushed, and the error says why.
/// let err = queue.push_all(&vec![0; queue.capacity() + 1]).unwrap_err();
/// assert_eq!((err.needed, err.free), (queue.capacity() + 1, queue.capacity()));
/// assert!(queue.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PicoQueue<T> {
    ring: PicoRing<T>,
}

impl<T> PicoQueue<T> {
    /// Creates a queue holding at least `capacity` elements.
    ///
    /// # Errors
    ///
    /// As for [`PicoRing::with_capacity`]: zero capacity, overflow, zero-sized `T`, or the
    /// system refusing the mapping.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = picoring::PicoQueue::<u64>::with_capacity(100)?;
    /// assert!(queue.capacity() >= 100);
    /// assert!(picoring::PicoQueue::<u64>::with_capacity(0).is_err());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn with_capacity(capacity: usize) -> Result<Self, Error> {
        PicoRing::with_capacity(capacity).map(|ring| PicoQueue { ring })
    }

    /// Creates a queue holding at least `capacity` elements, with the given mirror options.
    ///
    /// # Errors
    ///
    /// As for [`PicoRing::with_options`].
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::{Backend, MirrorOptions};
    ///
    /// let opts = MirrorOptions::new().backend(Backend::Software);
    /// let queue = picoring::PicoQueue::<u8>::with_options(10, &opts)?;
    /// assert_eq!(queue.backend(), Backend::Software);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn with_options(capacity: usize, options: &MirrorOptions) -> Result<Self, Error> {
        PicoRing::with_options(capacity, options).map(|ring| PicoQueue { ring })
    }

    /// Appends `value`; gives it back when the queue is full.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::with_capacity(1)?;
    /// while queue.push(1u8).is_ok() {}
    /// assert_eq!(queue.push(2), Err(2));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) -> Result<(), T> {
        self.ring.push(value)
    }

    /// Removes and returns the oldest element.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::with_capacity(4)?;
    /// queue.push(String::from("a")).unwrap();
    /// assert_eq!(queue.pop().as_deref(), Some("a"));
    /// assert_eq!(queue.pop(), None);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        self.ring.pop()
    }

    /// Everything queued, oldest first, as one contiguous slice: O(1), wrapped or not.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<u8>::with_capacity(1)?;
    /// let cap = queue.capacity();
    /// queue.push_all(&vec![0; cap - 2])?;
    /// queue.consume(cap - 2);
    /// queue.push_all(b"wraps")?; // starts 2 slots before the physical end
    /// assert_eq!(queue.readable(), b"wraps");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn readable(&self) -> &[T] {
        self.ring.readable()
    }

    /// Drops up to `n` elements from the front without copying; returns how many
    /// (`min(n, len())`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<u8>::with_capacity(4)?;
    /// queue.push_all(b"hello")?;
    /// assert_eq!(queue.consume(2), 2);
    /// assert_eq!(queue.readable(), b"llo");
    /// assert_eq!(queue.consume(100), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn consume(&mut self, n: usize) -> usize {
        self.ring.consume(n)
    }

    /// Number of queued elements.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<u8>::with_capacity(4)?;
    /// queue.push_all(b"abc")?;
    /// assert_eq!(queue.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// Capacity in elements: exact, and all of it usable (at least what was asked for).
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = picoring::PicoQueue::<u32>::with_capacity(1000)?;
    /// assert!(queue.capacity() >= 1000);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// Free slots: `capacity() - len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<u8>::with_capacity(4)?;
    /// queue.push(1).unwrap();
    /// assert_eq!(queue.free_len(), queue.capacity() - 1);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn free_len(&self) -> usize {
        self.ring.free_len()
    }

    /// Whether nothing is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = picoring::PicoQueue::<u8>::with_capacity(4)?;
    /// assert!(queue.is_empty());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// Whether the queue holds `capacity()` elements.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<u8>::with_capacity(1)?;
    /// queue.push_all(&vec![0; queue.capacity()])?;
    /// assert!(queue.is_full());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn is_full(&self) -> bool {
        self.ring.is_full()
    }

    /// The mirror backend serving this queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::{Backend, MirrorOptions};
    ///
    /// let opts = MirrorOptions::new().backend(Backend::Software);
    /// let queue = picoring::PicoQueue::<u8>::with_options(1, &opts)?;
    /// assert_eq!(queue.backend(), Backend::Software);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn backend(&self) -> Backend {
        self.ring.backend()
    }

    /// Drops every queued element.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<u8>::with_capacity(4)?;
    /// queue.push_all(b"abc")?;
    /// queue.clear();
    /// assert!(queue.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clear(&mut self) {
        self.ring.clear();
    }

    /// The underlying ring, for its full read-only API (`get`, `front`, `iter`...).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<u8>::with_capacity(4)?;
    /// queue.push_all(b"xy")?;
    /// assert_eq!(queue.as_ring().back(), Some(&b'y'));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn as_ring(&self) -> &PicoRing<T> {
        &self.ring
    }

    /// The underlying ring, mutably (for example to `push_overwrite` or edit in place).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<u8>::with_capacity(4)?;
    /// queue.push_all(b"ab")?;
    /// queue.as_ring_mut().readable_mut().make_ascii_uppercase();
    /// assert_eq!(queue.readable(), b"AB");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn as_ring_mut(&mut self) -> &mut PicoRing<T> {
        &mut self.ring
    }
}

impl<T: Copy> PicoQueue<T> {
    /// Appends all of `values`, or nothing when they do not all fit.
    ///
    /// # Errors
    ///
    /// [`InsufficientSpace`] (with how many slots were needed and how many were free) when
    /// `values.len() > free_len()`; the queue is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<u8>::with_capacity(1)?;
    /// let cap = queue.capacity();
    /// queue.push_all(&vec![1; cap - 2])?;
    /// assert!(queue.push_all(b"abc").is_err());
    /// assert_eq!(queue.len(), cap - 2); // all or nothing
    /// queue.push_all(b"ab")?;
    /// assert!(queue.is_full());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push_all(&mut self, values: &[T]) -> Result<(), InsufficientSpace> {
        let free = self.ring.free_len();
        if values.len() > free {
            return Err(InsufficientSpace {
                needed: values.len(),
                free,
            });
        }
        let pushed = self.ring.push_slice(values);
        debug_assert_eq!(pushed, values.len());
        Ok(())
    }

    /// Copies as many elements of `values` as fit to the back; returns how many went in.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<u8>::with_capacity(1)?;
    /// let cap = queue.capacity();
    /// assert_eq!(queue.push_slice(&vec![7; cap + 10]), cap);
    /// assert!(queue.is_full());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn push_slice(&mut self, values: &[T]) -> usize {
        self.ring.push_slice(values)
    }

    /// Moves as many of the oldest elements as fit into `out`; returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<u8>::with_capacity(4)?;
    /// queue.push_all(b"abc")?;
    /// let mut out = [0u8; 2];
    /// assert_eq!(queue.pop_slice(&mut out), 2);
    /// assert_eq!(&out, b"ab");
    /// assert_eq!(queue.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn pop_slice(&mut self, out: &mut [T]) -> usize {
        self.ring.pop_slice(out)
    }
}

impl<T: Pod> PicoQueue<T> {
    /// All free space as one contiguous mutable slice, to fill in place; publish what was
    /// written with [`commit`](Self::commit).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<f32>::with_capacity(8)?;
    /// let free = queue.writable();
    /// free[..2].copy_from_slice(&[0.5, -0.5]);
    /// assert_eq!(queue.commit(2), 2);
    /// assert_eq!(queue.readable(), &[0.5, -0.5]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn writable(&mut self) -> &mut [T] {
        self.ring.writable()
    }

    /// Publishes up to `n` elements written through [`writable`](Self::writable); returns how
    /// many (`min(n, free_len())`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = picoring::PicoQueue::<u8>::with_capacity(1)?;
    /// let cap = queue.capacity();
    /// assert_eq!(queue.commit(cap + 1), cap);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn commit(&mut self, n: usize) -> usize {
        self.ring.commit(n)
    }
}

impl<T: fmt::Debug> fmt::Debug for PicoQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.readable()).finish()
    }
}
