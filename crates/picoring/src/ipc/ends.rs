//! [`Producer`] and [`Consumer`]: the two ends of a shared ring, each holding its role.

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::mem;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::header::{Header, RoleSlot};
use super::{block, corrupt, os, Bell, Inner, Role, Stop};
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
    end: End<Tx, T>,
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
    end: End<Rx, T>,
}

/// The methods both ends have, written once. The queries take this end's and the other end's
/// names in the examples and the peer's role; `$advance` is the end's publish (`commit`) or
/// release (`consume`) and `$wait` its wait, each with the end's own docs.
macro_rules! end_methods {
    ($this:ident, $other:ident, $peer:literal) => {
        /// Capacity in elements.
        ///
        /// # Examples
        ///
        #[doc = concat!(
            "```\n# #[cfg(any(target_os = \"linux\", target_os = \"android\"))] {\n",
            "let ring = picoring::ipc::SharedRing::<u8>::create(1)?;\n",
            "let (tx, rx) = (ring.producer()?, ring.consumer()?);\n",
            "assert_eq!(", stringify!($this), ".capacity(), ring.capacity());\n",
            "# }\n# Ok::<(), std::io::Error>(())\n```",
        )]
        #[inline]
        pub fn capacity(&self) -> usize {
            self.end.capacity()
        }

        #[doc = concat!("Queued elements right now, as far as this end knows (the ", $peer,
            " may change it at any moment).")]
        ///
        /// # Examples
        ///
        #[doc = concat!(
            "```\n# #[cfg(any(target_os = \"linux\", target_os = \"android\"))] {\n",
            "let ring = picoring::ipc::SharedRing::<u8>::create(1)?;\n",
            "let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);\n",
            "tx.push_slice(b\"abc\");\n",
            "assert_eq!(", stringify!($this), ".len(), 3);\n",
            "# }\n# Ok::<(), std::io::Error>(())\n```",
        )]
        pub fn len(&mut self) -> usize {
            self.end.queued()
        }

        /// Free slots right now, as far as this end knows.
        ///
        /// # Examples
        ///
        #[doc = concat!(
            "```\n# #[cfg(any(target_os = \"linux\", target_os = \"android\"))] {\n",
            "let ring = picoring::ipc::SharedRing::<u8>::create(1)?;\n",
            "let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);\n",
            "tx.push_slice(b\"abc\");\n",
            "assert_eq!(", stringify!($this), ".free_len(), ring.capacity() - 3);\n",
            "# }\n# Ok::<(), std::io::Error>(())\n```",
        )]
        pub fn free_len(&mut self) -> usize {
            self.end.capacity() - self.end.queued()
        }

        /// Whether nothing is queued right now.
        ///
        /// # Examples
        ///
        #[doc = concat!(
            "```\n# #[cfg(any(target_os = \"linux\", target_os = \"android\"))] {\n",
            "let ring = picoring::ipc::SharedRing::<u8>::create(1)?;\n",
            "let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);\n",
            "assert!(", stringify!($this), ".is_empty());\n",
            "tx.push(7).unwrap();\n",
            "assert!(!", stringify!($this), ".is_empty());\n",
            "# }\n# Ok::<(), std::io::Error>(())\n```",
        )]
        pub fn is_empty(&mut self) -> bool {
            self.end.is_empty()
        }

        /// Whether no slot is free right now.
        ///
        /// # Examples
        ///
        #[doc = concat!(
            "```\n# #[cfg(any(target_os = \"linux\", target_os = \"android\"))] {\n",
            "let ring = picoring::ipc::SharedRing::<u8>::create(1)?;\n",
            "let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);\n",
            "tx.push_slice(&vec![0; ring.capacity()]);\n",
            "assert!(", stringify!($this), ".is_full());\n",
            "# }\n# Ok::<(), std::io::Error>(())\n```",
        )]
        pub fn is_full(&mut self) -> bool {
            self.end.is_full()
        }

        #[doc = concat!("Whether the ", $peer, " is gone: it was claimed once, and its end was \
            dropped or its process no longer runs (this asks the system; see the \
            [module docs](super)).")]
        ///
        /// # Examples
        ///
        #[doc = concat!(
            "```\n# #[cfg(any(target_os = \"linux\", target_os = \"android\"))] {\n",
            "let ring = picoring::ipc::SharedRing::<u8>::create(1)?;\n",
            "let (tx, rx) = (ring.producer()?, ring.consumer()?);\n",
            "assert!(!", stringify!($this), ".is_abandoned());\n",
            "drop(", stringify!($other), ");\n",
            "assert!(", stringify!($this), ".is_abandoned());\n",
            "# }\n# Ok::<(), std::io::Error>(())\n```",
        )]
        pub fn is_abandoned(&self) -> bool {
            self.end.peer_gone()
        }
    };
    (
        $(#[$advance_doc:meta])* fn $advance:ident(n);
        $(#[$wait_doc:meta])* fn $wait:ident(min, timeout);
    ) => {
        $(#[$advance_doc])*
        pub fn $advance(&mut self, n: usize) -> usize {
            self.end.advance_up_to(n)
        }

        $(#[$wait_doc])*
        pub fn $wait(&mut self, min: usize, timeout: Option<Duration>) -> io::Result<usize> {
            self.end.wait(min, timeout)
        }
    };
}

/// Which end an [`End`] is, known at compile time, so that the role's choices (which header
/// fields and bells are its own) cost no branch on the fast path.
trait Side {
    const ROLE: Role;
}

/// The producer's side.
struct Tx;

/// The consumer's side.
struct Rx;

impl Side for Tx {
    const ROLE: Role = Role::Producer;
}

impl Side for Rx {
    const ROLE: Role = Role::Consumer;
}

/// What both ends are: a role claimed in an attached ring, and this end's view of the two
/// positions. Positions are free-running byte counts and wrap at 2^64, which a header written
/// by another process may start close to: all arithmetic on them wraps.
struct End<S: Side, T: Pod> {
    inner: Arc<Inner>,
    /// Our owner word in our role's slot.
    owner: u64,
    /// The process that claimed: only it releases the role.
    pid: u32,
    /// Our position (the producer's `tail`: bytes published; the consumer's `head`: bytes
    /// consumed): always equal to the header's, which only we write; a multiple of the element
    /// size.
    pos: u64,
    /// The peer's position as last read and checked: `tail - head <= data_len`.
    peer: u64,
    /// Set once the header gave an invalid index: the end refuses to move from then on.
    corrupt: bool,
    _side: PhantomData<(S, T)>,
}

/// Whether `from..to` (free-running byte positions) spans at most `data_len` bytes.
#[inline(always)]
fn span(from: u64, to: u64, data_len: usize) -> Option<usize> {
    let d = to.wrapping_sub(from);
    (d <= data_len as u64).then_some(d as usize)
}

impl<S: Side, T: Pod> End<S, T> {
    const SIZE: usize = mem::size_of::<T>();

    /// Our position's header field, then the peer's.
    #[inline(always)]
    fn positions(h: &Header) -> (&AtomicU64, &AtomicU64) {
        match S::ROLE {
            Role::Producer => (&h.tail, &h.head),
            Role::Consumer => (&h.head, &h.tail),
        }
    }

    /// Our role's slot, then the peer's.
    #[inline(always)]
    fn slots(h: &Header) -> (&RoleSlot, &RoleSlot) {
        match S::ROLE {
            Role::Producer => (&h.producer, &h.consumer),
            Role::Consumer => (&h.consumer, &h.producer),
        }
    }

    /// Where we sleep (the producer waits for space, the consumer for data), then where the
    /// peer sleeps.
    #[inline(always)]
    fn bells(h: &Header) -> (Bell<'_>, Bell<'_>) {
        match S::ROLE {
            Role::Producer => (h.space_bell(), h.data_bell()),
            Role::Consumer => (h.data_bell(), h.space_bell()),
        }
    }

    /// `(head, tail)` from our position and the peer's.
    #[inline(always)]
    fn head_tail(pos: u64, peer: u64) -> (u64, u64) {
        match S::ROLE {
            Role::Producer => (peer, pos),
            Role::Consumer => (pos, peer),
        }
    }

    /// The bytes we may move when `used` bytes are queued: the free ones for the producer, the
    /// queued ones for the consumer.
    #[inline(always)]
    fn ours(used: usize, data_len: usize) -> usize {
        match S::ROLE {
            Role::Producer => data_len - used,
            Role::Consumer => used,
        }
    }

    /// Claims our role in `inner`'s header for this process, and takes the positions from it.
    fn claim(inner: Arc<Inner>) -> io::Result<Self> {
        let h = inner.header();
        let (slot, _) = Self::slots(h);
        let owner = os::self_owner();
        slot.claim(S::ROLE, owner)?;
        let pid = os::current_pid();
        let (mine, theirs) = Self::positions(h);
        let pos = mine.load(Ordering::Acquire);
        let peer = theirs.load(Ordering::Acquire);
        let (head, tail) = Self::head_tail(pos, peer);
        if span(head, tail, inner.data_len()).is_none() || pos % Self::SIZE as u64 != 0 {
            slot.release(owner);
            return Err(corrupt("shared ring header holds invalid positions"));
        }
        Ok(End {
            inner,
            owner,
            pid,
            pos,
            peer,
            corrupt: false,
            _side: PhantomData,
        })
    }

    /// Capacity in elements.
    #[inline(always)]
    fn capacity(&self) -> usize {
        self.inner.data_len() / Self::SIZE
    }

    /// Bytes we may move (free for the producer, queued for the consumer), re-reading the
    /// peer's position only when the cached one shows fewer than `want`; 0 once the header gave
    /// an invalid position.
    #[inline(always)]
    fn available(&mut self, want: usize) -> usize {
        let data_len = self.inner.data_len();
        let (head, tail) = Self::head_tail(self.pos, self.peer);
        let have = Self::ours(tail.wrapping_sub(head) as usize, data_len);
        if have >= want || self.corrupt {
            return if self.corrupt { 0 } else { have };
        }
        let peer = Self::positions(self.inner.header())
            .1
            .load(Ordering::Acquire);
        let (head, tail) = Self::head_tail(self.pos, peer);
        match span(head, tail, data_len) {
            Some(used) => {
                self.peer = peer;
                Self::ours(used, data_len)
            }
            None => {
                self.corrupt = true;
                0
            }
        }
    }

    /// Elements we may move right now, all of them.
    #[inline(always)]
    fn count(&mut self) -> usize {
        self.available(self.inner.data_len()) / Self::SIZE
    }

    /// Whether at least one element can move.
    #[inline(always)]
    fn has_one(&mut self) -> bool {
        self.available(Self::SIZE) >= Self::SIZE
    }

    /// How many of `n` elements (`bytes` bytes, or more if that overflows) can move right now.
    #[inline(always)]
    fn fit(&mut self, n: usize, bytes: usize) -> usize {
        n.min(self.available(bytes) / Self::SIZE)
    }

    /// Pointer to the slot at our position, in the first copy of the data.
    #[inline(always)]
    fn slot(&self) -> *mut T {
        let offset = (self.pos % self.inner.data_len() as u64) as usize;
        // SAFETY: offset < data_len, and data_len more bytes from it are mapped (the mirror).
        unsafe { self.inner.data().add(offset).cast::<T>() }
    }

    /// Moves our position `bytes` on and stores it: publishes bytes written (producer) or gives
    /// bytes consumed back (consumer). Wakes the peer if it sleeps and what it waits for is
    /// reached.
    #[inline(always)]
    fn advance(&mut self, bytes: usize) {
        self.pos = self.pos.wrapping_add(bytes as u64);
        let h = self.inner.header();
        let (mine, theirs) = Self::positions(h);
        mine.store(self.pos, Ordering::Release);
        let (pos, data_len) = (self.pos, self.inner.data_len() as u64);
        Self::bells(h).1.ring_if(|| {
            let (head, tail) = Self::head_tail(pos, theirs.load(Ordering::Acquire));
            let queued = tail.wrapping_sub(head);
            match S::ROLE {
                // The consumer waits for queued bytes, the producer for free ones.
                Role::Producer => queued,
                Role::Consumer => data_len.saturating_sub(queued),
            }
        });
    }

    /// Moves up to `n` elements' worth (already written or read) on; returns how many.
    #[inline(always)]
    fn advance_up_to(&mut self, n: usize) -> usize {
        let n = self.fit(n, n.saturating_mul(Self::SIZE));
        if n > 0 {
            self.advance(n * Self::SIZE);
        }
        n
    }

    /// The elements we may move, `None` once the header gave an invalid position; re-reads
    /// the peer's position when fewer than `min` are known.
    fn ready(&mut self, min: usize) -> Option<usize> {
        let n = self.available(min * Self::SIZE) / Self::SIZE;
        (!self.corrupt).then_some(n)
    }

    /// The error for an invalid position of the peer's.
    fn invalid_peer() -> io::Error {
        corrupt(match S::ROLE {
            Role::Producer => "shared ring header holds an invalid consumer position",
            Role::Consumer => "shared ring header holds an invalid producer position",
        })
    }

    /// Both ends' waits for `min` elements (capped at the capacity) to move; returns how many
    /// can. Fails as [`Producer::wait_writable`] and [`Consumer::wait_readable`] say, and in a
    /// forked child using an end its parent claimed.
    fn wait(&mut self, min: usize, timeout: Option<Duration>) -> io::Result<usize> {
        let min = min.min(self.capacity());
        let want = match S::ROLE {
            // Like a socket's writer, a producer waiting for space is woken once half the ring
            // is free (or what it asked for, if more): one wakeup per half ring, not per chunk.
            Role::Producer => (min * Self::SIZE).max(self.inner.data_len() / 2),
            Role::Consumer => min * Self::SIZE,
        } as u64;
        let now = self.ready(min).ok_or_else(Self::invalid_peer)?;
        if now >= min {
            return Ok(now);
        }
        if os::current_pid() != self.pid {
            return Err(io::Error::other(
                "this shared ring end belongs to the process that claimed it (inherited by fork)",
            ));
        }
        let inner = Arc::clone(&self.inner);
        let h = inner.header();
        let (mine, theirs) = Self::bells(h);
        let outcome = block(mine, theirs, Self::slots(h).1, want, timeout, || {
            let now = self.ready(min).ok_or_else(Self::invalid_peer)?;
            Ok((now >= min).then_some(now))
        })?;
        match (outcome, S::ROLE) {
            (Ok(n), _) => Ok(n),
            (Err(Stop::PeerGone), Role::Producer) => Err(io::ErrorKind::BrokenPipe.into()),
            // The producer may have published just before it went: look once more.
            (Err(Stop::PeerGone), Role::Consumer) => match self.ready(min) {
                None => Err(Self::invalid_peer()),
                Some(queued) if queued >= min => Ok(queued),
                Some(_) => Err(io::ErrorKind::UnexpectedEof.into()),
            },
        }
    }

    /// Queued elements as this end sees them now (the producer: what the consumer has not
    /// yet taken of what it published).
    #[inline(always)]
    fn queued(&mut self) -> usize {
        match S::ROLE {
            Role::Producer => self.capacity() - self.count(),
            Role::Consumer => self.count(),
        }
    }

    /// Whether nothing is queued.
    #[inline(always)]
    fn is_empty(&mut self) -> bool {
        match S::ROLE {
            Role::Producer => self.count() == self.capacity(),
            Role::Consumer => !self.has_one(),
        }
    }

    /// Whether no slot is free.
    #[inline(always)]
    fn is_full(&mut self) -> bool {
        match S::ROLE {
            Role::Producer => !self.has_one(),
            Role::Consumer => self.count() == self.capacity(),
        }
    }

    /// Whether the peer is gone (system calls; see [`RoleSlot::gone`]).
    fn peer_gone(&self) -> bool {
        Self::slots(self.inner.header()).1.gone()
    }

    /// Whether the peer released its role (no system call).
    fn peer_released(&self) -> bool {
        Self::slots(self.inner.header()).1.released()
    }
}

impl<S: Side, T: Pod> Drop for End<S, T> {
    fn drop(&mut self) {
        if os::current_pid() != self.pid {
            return; // a forked child's copy: the role is the parent's
        }
        let h = self.inner.header();
        Self::slots(h).0.release(self.owner);
        // A peer asleep waiting (a consumer for data, a producer for space) learns at once
        // that this end is gone.
        Self::bells(h).1.ring();
    }
}

impl<T: Pod> Producer<T> {
    pub(super) fn claim(inner: Arc<Inner>) -> io::Result<Self> {
        End::claim(inner).map(|end| Producer { end })
    }

    end_methods!(tx, rx, "consumer");

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
        let n = self.end.fit(values.len(), mem::size_of_val(values));
        if n == 0 {
            return 0;
        }
        // SAFETY: the n slots from `tail` are free and ours, and contiguous through the mirror
        // (n * size <= data_len); `values` is private memory of this process, so it cannot
        // overlap them (they are in the shared mapping, of which we hand out no `&` to free
        // slots while `self` is borrowed mutably).
        unsafe { ptr::copy_nonoverlapping(values.as_ptr(), self.end.slot(), n) };
        self.end.advance(n * mem::size_of::<T>());
        n
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
        let n = self.end.count();
        // SAFETY: the n free slots from `tail` belong to this end until committed, are
        // contiguous through the mirror and aligned (tail is a multiple of the element size,
        // data starts on a page); T is Pod, so any bytes there are valid values. `&mut self`
        // keeps this the only reference this process hands out to them.
        unsafe { std::slice::from_raw_parts_mut(self.end.slot(), n) }
    }

    end_methods! {
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
        fn commit(n);

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
        fn wait_writable(min, timeout);
    }

    /// Whether the consumer released its role (no system call): `write`'s quick check.
    pub(super) fn consumer_released(&self) -> bool {
        self.end.peer_released()
    }
}

impl<T: Pod> Consumer<T> {
    pub(super) fn claim(inner: Arc<Inner>) -> io::Result<Self> {
        End::claim(inner).map(|end| Consumer { end })
    }

    end_methods!(rx, tx, "producer");

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
        if !self.end.has_one() {
            return None;
        }
        // SAFETY: one queued, aligned element at `slot`; T is Pod, so its bytes are a valid
        // value, whatever the producer wrote.
        let value = unsafe { self.end.slot().read() };
        self.end.advance(mem::size_of::<T>());
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
        let n = self.end.fit(out.len(), mem::size_of_val(out));
        if n == 0 {
            return 0;
        }
        // SAFETY: the n queued slots from `head` are contiguous through the mirror and
        // aligned; `out` is private memory of this process, so they do not overlap.
        unsafe { ptr::copy_nonoverlapping(self.end.slot(), out.as_mut_ptr(), n) };
        self.end.advance(n * mem::size_of::<T>());
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
        let n = self.end.count();
        // SAFETY: the n queued slots from `head` are published (written before the producer's
        // Release store we read with Acquire), contiguous through the mirror, aligned, and
        // not written by a well-behaved producer until we consume them; T is Pod. `&mut self`
        // rules out a consume while the slice lives.
        unsafe { std::slice::from_raw_parts(self.end.slot(), n) }
    }

    end_methods! {
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
        fn consume(n);

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
        fn wait_readable(min, timeout);
    }
}

impl<S: Side, T: Pod> fmt::Debug for End<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, position) = match S::ROLE {
            Role::Producer => ("Producer", "tail"),
            Role::Consumer => ("Consumer", "head"),
        };
        f.debug_struct(name)
            .field("capacity", &self.capacity())
            .field(position, &self.pos)
            .field("pid", &self.pid)
            .finish()
    }
}

impl<T: Pod> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.end.fmt(f)
    }
}

impl<T: Pod> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.end.fmt(f)
    }
}
