//! [`Producer`] and [`Consumer`]: the two ends of a shared ring, each holding its role.

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::mem;
use std::ptr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::{block, corrupt, os, Inner, Role, Stop};
use crate::Pod;

/// The writing end of a shared ring: see the [module docs](super).
///
/// Holds the producer role until dropped. `Send`, so it can move to another thread of the
/// process that claimed it.
///
/// # Examples
///
/// ```
/// # #[cfg(any(target_os = "linux", target_os = "android"))] {
/// let ring = picoring::ipc::SharedRing::<u8>::create(4096)?;
/// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
/// let free = tx.writable();
/// free[..5].copy_from_slice(b"hello");
/// tx.commit(5);
/// assert_eq!(rx.readable(), b"hello");
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Producer<T: Pod = u8> {
    inner: Arc<Inner>,
    /// Our owner word in the producer slot.
    owner: u64,
    /// The process that claimed: only it releases the role.
    pid: u32,
    /// Bytes published: always equal to the header's `tail`, which only we write.
    tail: u64,
    /// The consumer's position as last read and checked: `tail - cached_head <= data_len`.
    /// (Positions are free-running and wrap at 2^64, which a header written by another process
    /// may start close to: all arithmetic on them wraps.)
    cached_head: u64,
    /// Set once the header gave an invalid index: the end refuses to move from then on.
    corrupt: bool,
    _elem: PhantomData<T>,
}

/// The reading end of a shared ring: see the [module docs](super).
///
/// Holds the consumer role until dropped. `Send`, so it can move to another thread of the
/// process that claimed it.
///
/// # Examples
///
/// ```
/// # #[cfg(any(target_os = "linux", target_os = "android"))] {
/// let ring = picoring::ipc::SharedRing::<u16>::create(100)?;
/// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
/// tx.push_slice(&[1, 2, 3]);
/// assert_eq!(rx.pop(), Some(1));
/// assert_eq!(rx.readable(), &[2, 3]);
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Consumer<T: Pod = u8> {
    inner: Arc<Inner>,
    owner: u64,
    pid: u32,
    /// Bytes consumed: always equal to the header's `head`, which only we write; a multiple of
    /// the element size.
    head: u64,
    /// The producer's position as last read and checked: `cached_tail - head <= data_len`.
    cached_tail: u64,
    corrupt: bool,
    _elem: PhantomData<T>,
}

/// Claims `role` in `inner`'s header for this process; returns the owner word and pid.
fn claim_role(inner: &Inner, role: Role) -> io::Result<(u64, u32)> {
    let h = inner.header();
    let slot = match role {
        Role::Producer => &h.producer,
        Role::Consumer => &h.consumer,
    };
    let owner = os::self_owner();
    slot.claim(role, owner)?;
    Ok((owner, os::current_pid()))
}

/// Whether `from..to` (free-running byte positions) spans at most `data_len` bytes.
#[inline(always)]
fn span(from: u64, to: u64, data_len: usize) -> Option<usize> {
    let d = to.wrapping_sub(from);
    (d <= data_len as u64).then_some(d as usize)
}

impl<T: Pod> Producer<T> {
    pub(super) fn claim(inner: Arc<Inner>) -> io::Result<Self> {
        let (owner, pid) = claim_role(&inner, Role::Producer)?;
        let h = inner.header();
        let tail = h.tail.load(Ordering::Acquire);
        let head = h.head.load(Ordering::Acquire);
        if span(head, tail, inner.data_len()).is_none() || tail % mem::size_of::<T>() as u64 != 0 {
            h.producer.release(owner);
            return Err(corrupt("shared ring header holds invalid positions"));
        }
        Ok(Producer {
            inner,
            owner,
            pid,
            tail,
            cached_head: head,
            corrupt: false,
            _elem: PhantomData,
        })
    }

    /// Capacity in elements.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(100)?;
    /// assert_eq!(ring.producer()?.capacity(), ring.capacity());
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.inner.data_len() / mem::size_of::<T>()
    }

    /// Free bytes, re-reading the consumer's position only when the cached one shows fewer
    /// than `want`; 0 once the header gave an invalid position.
    #[inline(always)]
    fn free_bytes(&mut self, want: usize) -> usize {
        let data_len = self.inner.data_len();
        let used = self.tail.wrapping_sub(self.cached_head) as usize;
        let free = data_len - used;
        if free >= want || self.corrupt {
            return if self.corrupt { 0 } else { free };
        }
        let head = self.inner.header().head.load(Ordering::Acquire);
        match span(head, self.tail, data_len) {
            Some(used) => {
                self.cached_head = head;
                data_len - used
            }
            None => {
                self.corrupt = true;
                0
            }
        }
    }

    /// Free slots right now (the consumer may free more at any moment).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(100)?;
    /// let mut tx = ring.producer()?;
    /// tx.push_slice(b"abc");
    /// assert_eq!(tx.free_len(), tx.capacity() - 3);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn free_len(&mut self) -> usize {
        self.free_bytes(self.inner.data_len()) / mem::size_of::<T>()
    }

    /// Queued elements right now, as far as the producer knows.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(100)?;
    /// let mut tx = ring.producer()?;
    /// tx.push_slice(b"abc");
    /// assert_eq!(tx.len(), 3);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn len(&mut self) -> usize {
        self.capacity() - self.free_len()
    }

    /// Whether nothing is queued right now.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(100)?;
    /// assert!(ring.producer()?.is_empty());
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_empty(&mut self) -> bool {
        self.len() == 0
    }

    /// Whether no element fits right now.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// let mut tx = ring.producer()?;
    /// tx.push_slice(&vec![0; tx.capacity()]);
    /// assert!(tx.is_full());
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_full(&mut self) -> bool {
        self.free_bytes(mem::size_of::<T>()) < mem::size_of::<T>()
    }

    /// Whether the consumer is gone: it was claimed once, and its end was dropped or its
    /// process no longer runs (this asks the system; see the [module docs](super)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// let tx = ring.producer()?;
    /// assert!(!tx.is_abandoned()); // no consumer yet: not abandoned
    /// drop(ring.consumer()?);
    /// assert!(tx.is_abandoned());
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_abandoned(&self) -> bool {
        self.inner.header().consumer.gone()
    }

    /// Appends one element; gives it back when the ring is full (or the header is corrupt).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u64>::create(1)?;
    /// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
    /// tx.push(7).unwrap();
    /// assert_eq!(rx.pop(), Some(7));
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn push(&mut self, value: T) -> Result<(), T> {
        if self.push_slice(std::slice::from_ref(&value)) == 1 {
            Ok(())
        } else {
            Err(value)
        }
    }

    /// Appends one element, waiting for a free slot as long as it takes.
    ///
    /// # Errors
    ///
    /// As for [`wait_writable`](Self::wait_writable) without a timeout: `BrokenPipe` once the
    /// consumer is gone, `InvalidData` for a corrupt header.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u32>::create(1)?;
    /// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
    /// tx.push_blocking(5)?;
    /// assert_eq!(rx.pop_blocking()?, Some(5));
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn push_blocking(&mut self, value: T) -> io::Result<()> {
        loop {
            self.wait_writable(1, None)?;
            if self.push(value).is_ok() {
                return Ok(());
            }
        }
    }

    /// Copies as many elements of `values` as fit and publishes them; returns how many went in.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// let mut tx = ring.producer()?;
    /// let cap = tx.capacity();
    /// assert_eq!(tx.push_slice(&vec![7; cap + 3]), cap);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn push_slice(&mut self, values: &[T]) -> usize {
        let size = mem::size_of::<T>();
        let want = mem::size_of_val(values);
        let n = values.len().min(self.free_bytes(want) / size);
        if n == 0 {
            return 0;
        }
        // SAFETY: the n slots from `tail` are free and ours, and contiguous through the mirror
        // (n * size <= data_len); `values` is private memory of this process, so it cannot
        // overlap them (they are in the shared mapping, of which we hand out no `&` to free
        // slots while `self` is borrowed mutably).
        unsafe { ptr::copy_nonoverlapping(values.as_ptr(), self.slot(), n) };
        self.publish(n * size);
        n
    }

    /// Pointer to the free slot at `tail`, in the first copy of the data.
    #[inline(always)]
    fn slot(&self) -> *mut T {
        let offset = (self.tail % self.inner.data_len() as u64) as usize;
        // SAFETY: offset < data_len, and data_len more bytes from it are mapped (the mirror).
        unsafe { self.inner.data().add(offset).cast::<T>() }
    }

    /// Publishes `bytes` more bytes (already written).
    #[inline(always)]
    fn publish(&mut self, bytes: usize) {
        self.tail = self.tail.wrapping_add(bytes as u64);
        let h = self.inner.header();
        h.tail.store(self.tail, Ordering::Release);
        let tail = self.tail;
        h.data_bell()
            .ring_if(|| tail.wrapping_sub(h.head.load(Ordering::Acquire)));
    }

    /// All free space as one contiguous slice, wrapped or not; publish what you wrote with
    /// [`commit`](Self::commit). Empty when the ring is full.
    ///
    /// The slots are shared memory: a misbehaving peer could write them too (see the trust
    /// model in the [module docs](super)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
    /// let cap = tx.capacity();
    /// tx.push_slice(&vec![0; cap - 2]);
    /// rx.consume(cap - 2);
    /// let free = tx.writable(); // from 2 bytes before the physical end, past it
    /// assert_eq!(free.len(), cap);
    /// free[..5].copy_from_slice(b"wraps");
    /// tx.commit(5);
    /// assert_eq!(rx.readable(), b"wraps");
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn writable(&mut self) -> &mut [T] {
        let n = self.free_bytes(self.inner.data_len()) / mem::size_of::<T>();
        // SAFETY: the n free slots from `tail` belong to this end until committed, are
        // contiguous through the mirror and aligned (tail is a multiple of the element size,
        // data starts on a page); T is Pod, so any bytes there are valid values. `&mut self`
        // keeps this the only reference this process hands out to them.
        unsafe { std::slice::from_raw_parts_mut(self.slot(), n) }
    }

    /// Publishes the first `n` elements of the free space (written through
    /// [`writable`](Self::writable)); returns how many were published (`n` at most the free
    /// space).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
    /// tx.writable()[..2].copy_from_slice(b"ok");
    /// assert_eq!(tx.commit(2), 2);
    /// assert_eq!(rx.readable(), b"ok");
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn commit(&mut self, n: usize) -> usize {
        let size = mem::size_of::<T>();
        let n = n.min(self.free_bytes(n.saturating_mul(size)) / size);
        if n > 0 {
            self.publish(n * size);
        }
        n
    }

    /// Blocks until at least `min` elements are free (`min` is capped at the capacity), or
    /// `timeout` passes (`None`: no limit); returns the free count.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::BrokenPipe`] once the consumer is gone,
    /// [`io::ErrorKind::TimedOut`] when the timeout passed first,
    /// [`io::ErrorKind::InvalidData`] when the header holds an invalid position,
    /// [`io::ErrorKind::Other`] when called in a forked child that inherited the end.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// use std::io::ErrorKind;
    /// use std::time::Duration;
    ///
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// let mut tx = ring.producer()?;
    /// let cap = tx.capacity();
    /// assert_eq!(tx.wait_writable(cap, None)?, cap);
    /// tx.push(0).unwrap();
    /// let err = tx.wait_writable(cap, Some(Duration::from_millis(1))).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// drop(ring.consumer()?);
    /// assert_eq!(tx.wait_writable(cap, None).unwrap_err().kind(), ErrorKind::BrokenPipe);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait_writable(&mut self, min: usize, timeout: Option<Duration>) -> io::Result<usize> {
        let size = mem::size_of::<T>();
        let min = min.min(self.capacity());
        // Like a socket's writer, a producer waiting for space is woken once half the ring is
        // free (or what it asked for, if more): one wakeup per half ring, not per chunk.
        let want = (min * size).max(self.inner.data_len() / 2) as u64;
        let inner = Arc::clone(&self.inner);
        let outcome = wait_for(&inner, self.pid, Role::Producer, min, want, timeout, || {
            let free = self.free_bytes(min * size) / size;
            (!self.corrupt).then_some(free)
        })?;
        outcome.map_err(|Stop::PeerGone| io::ErrorKind::BrokenPipe.into())
    }

    /// Whether the consumer released its role (no system call): `write`'s quick check.
    pub(super) fn consumer_released(&self) -> bool {
        self.inner.header().consumer.released()
    }
}

/// Both ends' waits for `min` elements (free for the producer `me == Role::Producer`, queued
/// for the consumer). `count` gives how many there are now, `None` once the header gave an
/// invalid position; `want` is the bytes to be woken for. Fails in a forked child using an end
/// its parent claimed.
fn wait_for(
    inner: &Inner,
    pid: u32,
    me: Role,
    min: usize,
    want: u64,
    timeout: Option<Duration>,
    mut count: impl FnMut() -> Option<usize>,
) -> io::Result<Result<usize, Stop>> {
    let invalid = || {
        corrupt(match me {
            Role::Producer => "shared ring header holds an invalid consumer position",
            Role::Consumer => "shared ring header holds an invalid producer position",
        })
    };
    let now = count().ok_or_else(invalid)?;
    if now >= min {
        return Ok(Ok(now));
    }
    if os::current_pid() != pid {
        return Err(io::Error::other(
            "this shared ring end belongs to the process that claimed it (inherited by fork)",
        ));
    }
    let h = inner.header();
    let (mine, theirs, peer) = match me {
        Role::Producer => (h.space_bell(), h.data_bell(), &h.consumer),
        Role::Consumer => (h.data_bell(), h.space_bell(), &h.producer),
    };
    block(mine, theirs, peer, want, timeout, || {
        let now = count().ok_or_else(invalid)?;
        Ok((now >= min).then_some(now))
    })
}

impl<T: Pod> Drop for Producer<T> {
    fn drop(&mut self) {
        if os::current_pid() != self.pid {
            return; // a forked child's copy: the role is the parent's
        }
        let h = self.inner.header();
        h.producer.release(self.owner);
        // A consumer asleep waiting for data learns at once that no more will come.
        h.data_bell().ring();
    }
}

impl<T: Pod> Consumer<T> {
    pub(super) fn claim(inner: Arc<Inner>) -> io::Result<Self> {
        let (owner, pid) = claim_role(&inner, Role::Consumer)?;
        let h = inner.header();
        let head = h.head.load(Ordering::Acquire);
        let tail = h.tail.load(Ordering::Acquire);
        if span(head, tail, inner.data_len()).is_none() || head % mem::size_of::<T>() as u64 != 0 {
            h.consumer.release(owner);
            return Err(corrupt("shared ring header holds invalid positions"));
        }
        Ok(Consumer {
            inner,
            owner,
            pid,
            head,
            cached_tail: tail,
            corrupt: false,
            _elem: PhantomData,
        })
    }

    /// Capacity in elements.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(100)?;
    /// assert_eq!(ring.consumer()?.capacity(), ring.capacity());
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.inner.data_len() / mem::size_of::<T>()
    }

    /// Queued bytes, re-reading the producer's position only when the cached one shows fewer
    /// than `want`; 0 once the header gave an invalid position.
    #[inline(always)]
    fn queued_bytes(&mut self, want: usize) -> usize {
        let queued = self.cached_tail.wrapping_sub(self.head) as usize;
        if queued >= want || self.corrupt {
            return if self.corrupt { 0 } else { queued };
        }
        let tail = self.inner.header().tail.load(Ordering::Acquire);
        match span(self.head, tail, self.inner.data_len()) {
            Some(queued) => {
                self.cached_tail = tail;
                queued
            }
            None => {
                self.corrupt = true;
                0
            }
        }
    }

    /// Queued elements right now (the producer may add more at any moment).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(16)?;
    /// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
    /// tx.push_slice(b"xy");
    /// assert_eq!(rx.len(), 2);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn len(&mut self) -> usize {
        self.queued_bytes(self.inner.data_len()) / mem::size_of::<T>()
    }

    /// Free slots right now, as far as the consumer knows.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(16)?;
    /// let mut rx = ring.consumer()?;
    /// assert_eq!(rx.free_len(), rx.capacity());
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn free_len(&mut self) -> usize {
        self.capacity() - self.len()
    }

    /// Whether nothing is queued right now.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(16)?;
    /// assert!(ring.consumer()?.is_empty());
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_empty(&mut self) -> bool {
        self.queued_bytes(mem::size_of::<T>()) < mem::size_of::<T>()
    }

    /// Whether the ring is full right now.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
    /// tx.push_slice(&vec![1; tx.capacity()]);
    /// assert!(rx.is_full());
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_full(&mut self) -> bool {
        self.len() == self.capacity()
    }

    /// Whether the producer is gone: it was claimed once, and its end was dropped or its
    /// process no longer runs (this asks the system). What is queued now is all there will be,
    /// unless a new producer claims the role.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// let rx = ring.consumer()?;
    /// assert!(!rx.is_abandoned()); // no producer yet: not abandoned
    /// drop(ring.producer()?);
    /// assert!(rx.is_abandoned());
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_abandoned(&self) -> bool {
        self.inner.header().producer.gone()
    }

    /// Pointer to the queued slot at `head`, in the first copy of the data.
    #[inline(always)]
    fn slot(&self) -> *const T {
        let offset = (self.head % self.inner.data_len() as u64) as usize;
        // SAFETY: offset < data_len, and data_len more bytes from it are mapped (the mirror).
        unsafe { self.inner.data().add(offset).cast::<T>() }
    }

    /// Gives `bytes` consumed bytes back to the producer.
    #[inline(always)]
    fn release(&mut self, bytes: usize) {
        self.head = self.head.wrapping_add(bytes as u64);
        let h = self.inner.header();
        h.head.store(self.head, Ordering::Release);
        let (head, data_len) = (self.head, self.inner.data_len() as u64);
        h.space_bell().ring_if(|| {
            let queued = h.tail.load(Ordering::Acquire).wrapping_sub(head);
            data_len.saturating_sub(queued)
        });
    }

    /// Removes and returns the oldest element, `None` when none is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<i32>::create(1)?;
    /// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
    /// assert_eq!(rx.pop(), None);
    /// tx.push(-1).unwrap();
    /// assert_eq!(rx.pop(), Some(-1));
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pop(&mut self) -> Option<T> {
        let size = mem::size_of::<T>();
        if self.queued_bytes(size) < size {
            return None;
        }
        // SAFETY: one queued, aligned element at `slot`; T is Pod, so its bytes are a valid
        // value, whatever the producer wrote.
        let value = unsafe { self.slot().read() };
        self.release(size);
        Some(value)
    }

    /// Removes and returns the oldest element, waiting for one as long as it takes; `None`
    /// once the producer is gone and nothing is queued (end of stream).
    ///
    /// # Errors
    ///
    /// `InvalidData` for a corrupt header (see [`wait_readable`](Self::wait_readable)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u32>::create(1)?;
    /// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
    /// tx.push(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.pop_blocking()?, Some(1));
    /// assert_eq!(rx.pop_blocking()?, None);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pop_blocking(&mut self) -> io::Result<Option<T>> {
        loop {
            match self.wait_readable(1, None) {
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(err) => return Err(err),
            }
            if let Some(value) = self.pop() {
                return Ok(Some(value));
            }
        }
    }

    /// Moves as many queued elements as fit into `out`, oldest first; returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(16)?;
    /// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
    /// tx.push_slice(b"abc");
    /// let mut out = [0u8; 2];
    /// assert_eq!(rx.pop_slice(&mut out), 2);
    /// assert_eq!(&out, b"ab");
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn pop_slice(&mut self, out: &mut [T]) -> usize {
        let size = mem::size_of::<T>();
        let n = out
            .len()
            .min(self.queued_bytes(mem::size_of_val(out)) / size);
        if n == 0 {
            return 0;
        }
        // SAFETY: the n queued slots from `head` are contiguous through the mirror and
        // aligned; `out` is private memory of this process, so they do not overlap.
        unsafe { ptr::copy_nonoverlapping(self.slot(), out.as_mut_ptr(), n) };
        self.release(n * size);
        n
    }

    /// Every queued element, oldest first, as one contiguous slice, wrapped or not; give them
    /// back with [`consume`](Self::consume).
    ///
    /// The slice is shared memory that a misbehaving producer could change while you read it
    /// (see the trust model in the [module docs](super)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
    /// let cap = tx.capacity();
    /// tx.push_slice(&vec![0; cap - 2]);
    /// rx.consume(cap - 2);
    /// tx.push_slice(b"wraps"); // starts 2 bytes before the physical end
    /// assert_eq!(rx.readable(), b"wraps");
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn readable(&mut self) -> &[T] {
        let n = self.queued_bytes(self.inner.data_len()) / mem::size_of::<T>();
        // SAFETY: the n queued slots from `head` are published (written before the producer's
        // Release store we read with Acquire), contiguous through the mirror, aligned, and
        // not written by a well-behaved producer until we consume them; T is Pod. `&mut self`
        // rules out a consume while the slice lives.
        unsafe { std::slice::from_raw_parts(self.slot(), n) }
    }

    /// Drops up to `n` elements from the front; returns how many (`min(n, queued)`).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(16)?;
    /// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
    /// tx.push_slice(b"hello");
    /// assert_eq!(rx.consume(2), 2);
    /// assert_eq!(rx.readable(), b"llo");
    /// assert_eq!(rx.consume(100), 3);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn consume(&mut self, n: usize) -> usize {
        let size = mem::size_of::<T>();
        let n = n.min(self.queued_bytes(n.saturating_mul(size)) / size);
        if n > 0 {
            self.release(n * size);
        }
        n
    }

    /// Blocks until at least `min` elements are queued (`min` is capped at the capacity), or
    /// `timeout` passes (`None`: no limit); returns the queued count.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::UnexpectedEof`] once the producer is gone and fewer than `min`
    /// elements are queued (they stay readable),
    /// [`io::ErrorKind::TimedOut`] when the timeout passed first,
    /// [`io::ErrorKind::InvalidData`] when the header holds an invalid position,
    /// [`io::ErrorKind::Other`] when called in a forked child that inherited the end.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// use std::io::ErrorKind;
    /// use std::time::Duration;
    ///
    /// let ring = picoring::ipc::SharedRing::<u8>::create(64)?;
    /// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
    /// let err = rx.wait_readable(1, Some(Duration::from_millis(1))).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// tx.push_slice(b"abc");
    /// assert_eq!(rx.wait_readable(2, None)?, 3);
    /// drop(tx);
    /// assert_eq!(rx.wait_readable(4, None).unwrap_err().kind(), ErrorKind::UnexpectedEof);
    /// assert_eq!(rx.readable(), b"abc");
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait_readable(&mut self, min: usize, timeout: Option<Duration>) -> io::Result<usize> {
        let size = mem::size_of::<T>();
        let min = min.min(self.capacity());
        let want = (min * size) as u64;
        let inner = Arc::clone(&self.inner);
        let outcome = wait_for(&inner, self.pid, Role::Consumer, min, want, timeout, || {
            let queued = self.queued_bytes(min * size) / size;
            (!self.corrupt).then_some(queued)
        })?;
        match outcome {
            Ok(queued) => Ok(queued),
            Err(Stop::PeerGone) => {
                // The producer may have published just before it went: look once more.
                let queued = self.queued_bytes(min * size) / size;
                if self.corrupt {
                    Err(corrupt(
                        "shared ring header holds an invalid producer position",
                    ))
                } else if queued >= min {
                    Ok(queued)
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                }
            }
        }
    }
}

impl<T: Pod> Drop for Consumer<T> {
    fn drop(&mut self) {
        if os::current_pid() != self.pid {
            return; // a forked child's copy: the role is the parent's
        }
        let h = self.inner.header();
        h.consumer.release(self.owner);
        // A producer asleep waiting for space learns at once that nobody will read.
        h.space_bell().ring();
    }
}

impl<T: Pod> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("capacity", &self.capacity())
            .field("tail", &self.tail)
            .field("pid", &self.pid)
            .finish()
    }
}

impl<T: Pod> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("capacity", &self.capacity())
            .field("head", &self.head)
            .field("pid", &self.pid)
            .finish()
    }
}
