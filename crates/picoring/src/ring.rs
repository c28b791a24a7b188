//! [`PicoRing<T>`]: a single-owner FIFO ring over a [`MirrorBuffer`].

use std::marker::PhantomData;
use std::mem;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::mirror::{Backend, MirrorBuffer, MirrorOptions};
use crate::Error;

mod slices;
mod traits;

/// A fixed-capacity FIFO ring whose contents are always one contiguous slice.
///
/// The elements live in a [`MirrorBuffer`], so [`readable`](Self::readable) returns every queued
/// element as a single `&[T]` in O(1), even when the data wraps past the physical end, and for
/// plain-data types [`writable`](Self::writable) returns all free space as a single `&mut [T]`.
///
/// Capacity is exact and fully usable: a ring of capacity 4096 holds 4096 elements. The
/// requested capacity is rounded up so that the byte size is a multiple of
/// lcm(page size, `size_of::<T>()`); [`capacity`](Self::capacity) reports the result.
/// Zero-sized types are rejected with [`Error::ZeroSizedType`].
///
/// Every element still queued is dropped when the ring drops.
///
/// # Examples
///
/// ```
/// use picoring::PicoRing;
///
/// let mut ring = PicoRing::<u32>::with_capacity(1024)?;
/// let cap = ring.capacity();
/// assert!(cap >= 1024);
///
/// // Fill, drain half, and fill again so the data wraps past the physical end.
/// for i in 0..cap as u32 { ring.push(i).unwrap(); }
/// ring.consume(cap / 2);
/// for i in 0..(cap / 2) as u32 { ring.push(i).unwrap(); }
///
/// // Still one slice, oldest first.
/// let all = ring.readable();
/// assert_eq!(all.len(), cap);
/// assert_eq!(all[0], (cap / 2) as u32);
/// assert_eq!(all[cap - 1], (cap / 2 - 1) as u32);
/// # Ok::<(), picoring::Error>(())
/// ```
pub struct PicoRing<T> {
    /// The mirrored memory; `buf.len() == cap * size_of::<T>()`.
    buf: MirrorBuffer,
    /// Capacity in elements; at least 1.
    cap: usize,
    /// Slot of the oldest element, in `0..cap`. Element `i` of the queue is at virtual slot
    /// `head + i`, which is below `2 * cap`, so it is always addressed without wrapping.
    head: usize,
    /// Number of queued elements, in `0..=cap`.
    len: usize,
    /// Software backend only: a `&mut` handed out by `readable_mut`/`get_mut` may have changed
    /// queued elements at their current virtual slots `head..head + len` but not at their twins.
    /// Every accessor addresses queued elements at exactly those slots until `head` wraps (which
    /// moves them down by `cap`), so `sync_twin` runs only then, off the hot paths.
    twin_dirty: bool,
    /// Software backend only: a shared view (`readable`, and `get`, `iter` and the rest, which
    /// are built on it) handed out queued elements at virtual slots from `cap` on, the twin
    /// half. An element with interior mutability (`Cell`, `Mutex`, atomics...) may have been
    /// changed there through that `&T`, in that copy only; `sync_twin` copies it back to the
    /// first half before `head` wraps. Atomic (relaxed) because `&self` may be shared between
    /// threads; every reader holds `&mut self`, which orders it after those shared uses.
    twin_shared: AtomicBool,
    _owns: PhantomData<T>,
}

// `PicoRing<T>` is `Send` exactly when `T` is (sending the ring sends the elements it owns) and
// `Sync` exactly when `T` is (`&PicoRing` only gives out `&T`): the auto traits give exactly
// that through `_owns: PhantomData<T>`, every other field (the `MirrorBuffer`, integers, an
// `AtomicBool`) being both.

/// Capacity in bytes for `n` elements of `size` bytes: a multiple of lcm(granularity, size).
pub(crate) fn ring_bytes(n: usize, size: usize) -> Result<usize, Error> {
    let unit = crate::mirror::granularity();
    // Checked: on 32-bit targets lcm(page, size) alone overflows for large odd sizes.
    let lcm = (unit / gcd(unit, size))
        .checked_mul(size)
        .ok_or(Error::CapacityOverflow)?;
    let bytes = n.checked_mul(size).ok_or(Error::CapacityOverflow)?;
    crate::mirror::round_up_mirror_size(bytes, lcm).ok_or(Error::CapacityOverflow)
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl<T> PicoRing<T> {
    /// Creates a ring holding at least `capacity` elements.
    ///
    /// # Errors
    ///
    /// [`Error::ZeroCapacity`], [`Error::CapacityOverflow`], [`Error::ZeroSizedType`],
    /// [`Error::UnsupportedAlignment`], or [`Error::Os`] when the system refuses the mapping.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::{Error, PicoRing};
    ///
    /// let ring = PicoRing::<u64>::with_capacity(100)?;
    /// assert!(ring.capacity() >= 100);
    /// assert!(matches!(PicoRing::<u64>::with_capacity(usize::MAX), Err(Error::CapacityOverflow)));
    /// assert!(matches!(PicoRing::<()>::with_capacity(1), Err(Error::ZeroSizedType)));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn with_capacity(capacity: usize) -> Result<Self, Error> {
        Self::with_options(capacity, &MirrorOptions::default())
    }

    /// Creates a ring holding at least `capacity` elements, with the given mirror options.
    ///
    /// # Errors
    ///
    /// As for [`PicoRing::with_capacity`], plus [`Error::BackendUnavailable`].
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::{Backend, MirrorOptions};
    /// use picoring::PicoRing;
    ///
    /// let ring = PicoRing::<u8>::with_options(10, &MirrorOptions::new().backend(Backend::Software))?;
    /// assert_eq!(ring.backend(), Backend::Software);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn with_options(capacity: usize, options: &MirrorOptions) -> Result<Self, Error> {
        let size = mem::size_of::<T>();
        if size == 0 {
            return Err(Error::ZeroSizedType);
        }
        if capacity == 0 {
            return Err(Error::ZeroCapacity);
        }
        let align = mem::align_of::<T>();
        if align > crate::mirror::granularity() {
            return Err(Error::UnsupportedAlignment { align });
        }
        let bytes = ring_bytes(capacity, size)?;
        let buf = MirrorBuffer::with_options(bytes, options)?;
        debug_assert_eq!(buf.len(), bytes);
        Ok(PicoRing {
            cap: buf.len() / size,
            buf,
            head: 0,
            len: 0,
            twin_dirty: false,
            twin_shared: AtomicBool::new(false),
            _owns: PhantomData,
        })
    }

    /// Pointer to virtual slot `v`.
    ///
    /// Precondition (checked in debug builds): `v < 2 * cap`, so the slot is inside the mapping.
    #[inline(always)]
    fn slot(&self, v: usize) -> *mut T {
        debug_assert!(v < 2 * self.cap);
        // SAFETY: v < 2 * cap keeps the offset inside the 2N-byte mapping.
        unsafe { (self.buf.as_ptr() as *mut T).add(v) }
    }

    /// On the software backend, copies the `count` slots starting at virtual slot `v` to their
    /// twins. Precondition: `v + count <= 2 * cap`, `count <= cap`, no live references.
    #[inline(always)]
    fn mirror_slots(&self, v: usize, count: usize) {
        let size = mem::size_of::<T>();
        // SAFETY: the preconditions above, in bytes; `&self`/`&mut self` callers hold no slices.
        unsafe { self.buf.mirror_range(v * size, count * size) }
    }

    /// Software backend: makes both halves agree again after a `&mut`, or a shared view
    /// reaching past the physical end, was handed out: each queued element's current slot
    /// (`head + i`) is copied over its twin, in whichever direction.
    #[inline(always)]
    fn sync_twin(&mut self) {
        if self.twin_dirty || *self.twin_shared.get_mut() {
            self.sync_twin_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn sync_twin_slow(&mut self) {
        self.mirror_slots(self.head, self.len);
        self.twin_dirty = false;
        *self.twin_shared.get_mut() = false;
    }

    /// Software backend: records that a shared view covers virtual slots past `cap` (see
    /// `twin_shared`). Nothing on the other backends, whose halves are the same memory.
    #[inline(always)]
    fn note_shared_view(&self) {
        if !self.buf.backend().is_hardware()
            && self.head + self.len > self.cap
            && !self.twin_shared.load(Ordering::Relaxed)
        {
            self.twin_shared.store(true, Ordering::Relaxed);
        }
    }

    /// Takes the ring apart without dropping anything: `(buffer, capacity, head, len)`.
    ///
    /// The caller takes over the `len` initialized elements at virtual slots `head..head + len`
    /// (both halves agree, even on the software backend) and must drop them.
    #[allow(dead_code)] // used by the split (SPSC) ends
    pub(crate) fn into_raw_parts(mut self) -> (MirrorBuffer, usize, usize, usize) {
        self.sync_twin();
        let this = mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the buffer is moved out exactly once.
        let buf = unsafe { ptr::read(&this.buf) };
        (buf, this.cap, this.head, this.len)
    }

    /// The addresses of the whole mapping: both halves, `2 * capacity()` elements.
    ///
    /// Every slice this ring hands out lies inside it. Use it to tell whether a foreign buffer
    /// aliases the ring (for example a view of the ring fed back to its own `push_slice`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u32>::with_capacity(16)?;
    /// ring.push(7).unwrap();
    /// let range = ring.as_ptr_range();
    /// assert!(range.contains(&ring.readable().as_ptr()));
    /// assert_eq!(unsafe { range.end.offset_from(range.start) }, 2 * ring.capacity() as isize);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn as_ptr_range(&self) -> std::ops::Range<*const T> {
        let start = self.buf.as_ptr() as *const T;
        // `slot` is only defined below 2 * cap; one past the end is a valid pointer to form.
        start..start.wrapping_add(2 * self.cap)
    }

    /// Capacity in elements: exact, and all of it usable.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = picoring::PicoRing::<[u8; 3]>::with_capacity(1)?;
    /// // 3-byte elements: the byte size is a multiple of lcm(page, 3).
    /// assert_eq!(ring.capacity() * 3 % picoring::mirror::granularity(), 0);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Number of queued elements.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::with_capacity(4)?;
    /// ring.push(1u8).unwrap();
    /// assert_eq!(ring.len(), 1);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Free slots: `capacity() - len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u8>::with_capacity(4)?;
    /// ring.push(1).unwrap();
    /// assert_eq!(ring.free_len(), ring.capacity() - 1);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn free_len(&self) -> usize {
        self.cap - self.len
    }

    /// Whether nothing is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = picoring::PicoRing::<u8>::with_capacity(4)?;
    /// assert!(ring.is_empty());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the ring holds `capacity()` elements.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u8>::with_capacity(1)?;
    /// while ring.push(0).is_ok() {}
    /// assert!(ring.is_full());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn is_full(&self) -> bool {
        self.len == self.cap
    }

    /// The backend serving this ring's memory.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::{Backend, MirrorOptions};
    ///
    /// let software = MirrorOptions::new().backend(Backend::Software);
    /// let ring = picoring::PicoRing::<u8>::with_options(4, &software)?;
    /// assert_eq!(ring.backend(), Backend::Software);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn backend(&self) -> Backend {
        self.buf.backend()
    }

    /// Appends `value` at the back; gives it back when the ring is full.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u8>::with_capacity(1)?;
    /// for _ in 0..ring.capacity() { ring.push(1).unwrap(); }
    /// assert_eq!(ring.push(2), Err(2));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) -> Result<(), T> {
        if self.len == self.cap {
            return Err(value);
        }
        let v = self.head + self.len;
        // SAFETY: v < head + cap < 2 * cap, and slot v is free (not part of the queue).
        unsafe { self.slot(v).write(value) };
        self.mirror_slots(v, 1);
        self.len += 1;
        Ok(())
    }

    /// Appends `value`; when full, first evicts the oldest element and returns it.
    ///
    /// This is "keep the latest N samples".
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u32>::with_capacity(1)?;
    /// let cap = ring.capacity() as u32;
    /// for i in 0..cap { assert_eq!(ring.push_overwrite(i), None); }
    /// assert_eq!(ring.push_overwrite(cap), Some(0));
    /// assert_eq!(ring.front(), Some(&1));
    /// assert_eq!(ring.back(), Some(&cap));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn push_overwrite(&mut self, value: T) -> Option<T> {
        let evicted = if self.is_full() { self.pop() } else { None };
        // Cannot fail: there is room now.
        let pushed = self.push(value);
        debug_assert!(pushed.is_ok());
        mem::forget(pushed);
        evicted
    }

    /// Removes and returns the oldest element.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::with_capacity(4)?;
    /// ring.push("a".to_string()).unwrap();
    /// assert_eq!(ring.pop().as_deref(), Some("a"));
    /// assert_eq!(ring.pop(), None);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        // SAFETY: the queue is non-empty, so slot `head` holds an initialized element, which we
        // move out and then forget by advancing `head`.
        let value = unsafe { self.slot(self.head).read() };
        self.advance_head(1);
        Some(value)
    }

    /// Moves `head` forward by `n <= len` slots without touching the elements.
    #[inline(always)]
    fn advance_head(&mut self, n: usize) {
        debug_assert!(n <= self.len);
        let mut head = self.head + n;
        if head >= self.cap {
            // The queued elements' virtual slots move down by `cap`, to their twins: on the
            // software backend those must hold the current values first.
            self.sync_twin();
            head -= self.cap;
        }
        self.head = head;
        self.len -= n;
    }

    /// The oldest element.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::with_capacity(4)?;
    /// ring.push(1u8).unwrap();
    /// ring.push(2).unwrap();
    /// assert_eq!(ring.front(), Some(&1));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn front(&self) -> Option<&T> {
        self.get(0)
    }

    /// The newest element.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::with_capacity(4)?;
    /// ring.push(1u8).unwrap();
    /// ring.push(2).unwrap();
    /// assert_eq!(ring.back(), Some(&2));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn back(&self) -> Option<&T> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    /// Element `index`, counting from the oldest (0).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::with_capacity(4)?;
    /// ring.push(10u8).unwrap();
    /// assert_eq!(ring.get(0), Some(&10));
    /// assert_eq!(ring.get(1), None);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn get(&self, index: usize) -> Option<&T> {
        self.readable().get(index)
    }

    /// Mutable element `index`, counting from the oldest (0).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::with_capacity(4)?;
    /// ring.push(10u8).unwrap();
    /// *ring.get_mut(0).unwrap() += 1;
    /// assert_eq!(ring.pop(), Some(11));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.readable_mut().get_mut(index)
    }

    /// Every queued element, oldest first, as one contiguous slice: O(1), wrapped or not.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u8>::with_capacity(1)?;
    /// let cap = ring.capacity();
    /// ring.push_slice(&vec![0; cap - 2]);
    /// ring.consume(cap - 2);
    /// ring.push_slice(b"wraps");           // starts 2 bytes before the physical end
    /// assert_eq!(ring.readable(), b"wraps");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn readable(&self) -> &[T] {
        self.note_shared_view();
        // SAFETY: slots head..head+len (< 2 * cap) hold the queued, initialized elements; the
        // slice is at most `cap` long, so it never covers a slot and its twin; `&self` keeps
        // every writer away while it lives.
        unsafe { std::slice::from_raw_parts(self.slot(self.head), self.len) }
    }

    /// Every queued element as one contiguous mutable slice.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u8>::with_capacity(4)?;
    /// ring.push_slice(b"abc");
    /// ring.readable_mut().make_ascii_uppercase();
    /// assert_eq!(ring.readable(), b"ABC");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn readable_mut(&mut self) -> &mut [T] {
        if !self.buf.backend().is_hardware() {
            self.twin_dirty = true;
        }
        // SAFETY: as for `readable`, and `&mut self` makes this the only live reference.
        unsafe { std::slice::from_raw_parts_mut(self.slot(self.head), self.len) }
    }

    /// An iterator over the queued elements, oldest first.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::with_capacity(4)?;
    /// ring.extend([1u8, 2, 3]);
    /// assert_eq!(ring.iter().copied().collect::<Vec<_>>(), [1, 2, 3]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.readable().iter()
    }

    /// Drops up to `n` elements from the front without copying; returns how many were dropped
    /// (`min(n, len())`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u8>::with_capacity(4)?;
    /// ring.push_slice(b"hello");
    /// assert_eq!(ring.consume(2), 2);
    /// assert_eq!(ring.readable(), b"llo");
    /// assert_eq!(ring.consume(100), 3);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn consume(&mut self, n: usize) -> usize {
        let n = n.min(self.len);
        if mem::needs_drop::<T>() {
            let doomed = ptr::slice_from_raw_parts_mut(self.slot(self.head), n);
            // Advance first: if a destructor panics, the ring never sees those slots again.
            self.advance_head(n);
            // SAFETY: those n slots held initialized elements that are no longer in the queue.
            unsafe { ptr::drop_in_place(doomed) };
        } else {
            self.advance_head(n);
        }
        n
    }

    /// Drops every element.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut ring = picoring::PicoRing::<u8>::with_capacity(4)?;
    /// ring.push_slice(b"abc");
    /// ring.clear();
    /// assert!(ring.is_empty());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn clear(&mut self) {
        self.consume(self.len);
        self.head = 0;
        // Nothing is queued, so nothing is stale.
        self.twin_dirty = false;
        *self.twin_shared.get_mut() = false;
    }
}

impl<T> Drop for PicoRing<T> {
    fn drop(&mut self) {
        if mem::needs_drop::<T>() {
            let all = ptr::slice_from_raw_parts_mut(self.slot(self.head), self.len);
            self.len = 0;
            // SAFETY: these are the queued, initialized elements, dropped once each.
            unsafe { ptr::drop_in_place(all) };
        }
    }
}
