//! [`Receiver`] and [`Record`]: reading every record, pinned while it is held.

use std::fmt;
use std::ops::Deref;
use std::time::{Duration, Instant};

use super::{frame_size, Policy, RecvError, Shared, Slot, HEADER, IDLE};
use crate::sync::{deadline_after, fence_light, Arc, AtomicU64, CachePadded, Ordering};
use crate::Pod;

// The async receives, a child of this module for the reader's fields.
#[cfg(feature = "async")]
#[path = "async_recv.rs"]
mod async_recv;
#[cfg(feature = "async")]
pub(super) use async_recv::Tasks;

/// One reader of a broadcast ring: receives every record sent after the position it started
/// at (lossy: unless it falls more than a ring behind). Clone it for another reader at the
/// same position; drop it to leave.
///
/// # Examples
///
/// ```
/// use picoring::broadcast::{self, Policy};
///
/// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossy)?;
/// tx.send(b"a")?;
/// let mut twin = rx.clone(); // also sees "a"
/// assert_eq!(&*rx.recv()?, b"a");
/// assert_eq!(&*twin.recv()?, b"a");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Receiver {
    shared: Arc<Shared>,
    /// Ours, in the registry: see [`Slot`].
    slot: Arc<Slot>,
    /// Start of the next record to read.
    pos: u64,
    /// Its sequence number, if nothing was overwritten before we got to it.
    seq: u64,
    /// The length of the record at `pos` while [`peek`](Self::peek) holds it (pinned, lossy).
    held: Option<usize>,
}

impl Receiver {
    /// A new reader at `pos`, whose record has sequence number `seq`. `pos` must not be
    /// overwritten before the reader is registered: it is the sender's head, or (lossless)
    /// the position of a live reader.
    pub(super) fn join(shared: Arc<Shared>, pos: u64, seq: u64) -> Self {
        let start = if shared.lossy { IDLE } else { pos };
        let slot = Arc::new(CachePadded(AtomicU64::new(start)));
        shared.register(Arc::clone(&slot));
        Receiver {
            shared,
            slot,
            pos,
            seq,
            held: None,
        }
    }

    /// Ring size in bytes, framing included.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy};
    ///
    /// let (_tx, rx) = broadcast::channel(1000, Policy::Lossless)?;
    /// assert!(rx.capacity() >= 1000);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.size
    }

    /// The policy chosen at creation.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy};
    ///
    /// let (_tx, rx) = broadcast::channel(4096, Policy::Lossless)?;
    /// assert_eq!(rx.policy(), Policy::Lossless);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn policy(&self) -> Policy {
        self.shared.policy()
    }

    /// Whether the sender was dropped: what is queued now is all there will ever be.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy};
    ///
    /// let (tx, rx) = broadcast::channel(4096, Policy::Lossy)?;
    /// assert!(!rx.is_abandoned());
    /// drop(tx);
    /// assert!(rx.is_abandoned());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn is_abandoned(&self) -> bool {
        !self.shared.sender_alive.load(Ordering::Acquire)
    }

    /// The next record if one was sent, without waiting.
    ///
    /// # Errors
    ///
    /// [`RecvError::Empty`] if there is none yet, [`RecvError::Lagged`] (lossy) if records
    /// were overwritten before this reader read them (the next call returns the oldest one
    /// left), [`RecvError::Disconnected`] once the sender is dropped and everything is read.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy, RecvError};
    ///
    /// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossless)?;
    /// assert_eq!(rx.try_recv().err(), Some(RecvError::Empty));
    /// tx.send(b"x")?;
    /// assert_eq!(&*rx.try_recv()?, b"x");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv(&mut self) -> Result<Record<'_>, RecvError> {
        let len = self.next()?;
        Ok(Record::new(self, len))
    }

    /// The next record, sleeping until one is sent.
    ///
    /// # Errors
    ///
    /// [`RecvError::Lagged`] and [`RecvError::Disconnected`] as for
    /// [`try_recv`](Self::try_recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy, RecvError};
    ///
    /// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossy)?;
    /// std::thread::spawn(move || tx.send(b"hi"));
    /// assert_eq!(&*rx.recv()?, b"hi");
    /// assert_eq!(rx.recv().err(), Some(RecvError::Disconnected));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv(&mut self) -> Result<Record<'_>, RecvError> {
        let len = self.wait_next(None)?;
        Ok(Record::new(self, len))
    }

    /// The next record, sleeping at most `timeout` for one.
    ///
    /// # Errors
    ///
    /// [`RecvError::TimedOut`], or as for [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use picoring::broadcast::{self, Policy, RecvError};
    ///
    /// let (_tx, mut rx) = broadcast::channel(4096, Policy::Lossy)?;
    /// let waited = rx.recv_timeout(Duration::from_millis(1));
    /// assert_eq!(waited.err(), Some(RecvError::TimedOut));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Record<'_>, RecvError> {
        let len = self.wait_next(deadline_after(Some(timeout)))?;
        Ok(Record::new(self, len))
    }

    /// The next record's bytes, without moving past it: the record stays held (pinned, in
    /// the lossy policy) until [`consume`](Self::consume), so a caller can keep its address
    /// across calls, as [`Record`] does within one borrow. Waits as [`recv`](Self::recv) does;
    /// while a record is held, returns it again at once (and so does `recv`, whose
    /// [`Record`] moves past it on drop).
    ///
    /// A held record holds the sender back like a live [`Record`]: lossless, it counts as
    /// unread; lossy, [`Sender::send`](super::Sender::send) waits for it (and
    /// [`Sender::try_send`](super::Sender::try_send) reports [`SendError::Full`](super::SendError::Full))
    /// once it is about to be overwritten.
    ///
    /// # Errors
    ///
    /// As for [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy};
    ///
    /// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossy)?;
    /// tx.send(b"one")?;
    /// tx.send(b"two")?;
    /// let (ptr, len) = {
    ///     let held = rx.peek()?;
    ///     (held.as_ptr(), held.len())
    /// };
    /// assert_eq!(rx.peek()?, b"one"); // the same record, still held
    /// assert_eq!(rx.peek()?.as_ptr(), ptr);
    /// assert_eq!(len, 3);
    /// assert!(rx.consume());
    /// assert_eq!(rx.peek()?, b"two");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn peek(&mut self) -> Result<&[u8], RecvError> {
        self.peek_until(None)
    }

    /// [`peek`](Self::peek) without waiting.
    ///
    /// # Errors
    ///
    /// As for [`try_recv`](Self::try_recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy, RecvError};
    ///
    /// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossless)?;
    /// assert_eq!(rx.try_peek().err(), Some(RecvError::Empty));
    /// tx.send(b"x")?;
    /// assert_eq!(rx.try_peek()?, b"x");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_peek(&mut self) -> Result<&[u8], RecvError> {
        let len = self.next()?;
        Ok(self.hold(len))
    }

    /// [`peek`](Self::peek), sleeping at most `timeout` for a record.
    ///
    /// # Errors
    ///
    /// As for [`recv_timeout`](Self::recv_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use picoring::broadcast::{self, Policy, RecvError};
    ///
    /// let (_tx, mut rx) = broadcast::channel(4096, Policy::Lossy)?;
    /// let waited = rx.peek_timeout(Duration::from_millis(1));
    /// assert_eq!(waited.err(), Some(RecvError::TimedOut));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn peek_timeout(&mut self, timeout: Duration) -> Result<&[u8], RecvError> {
        self.peek_until(deadline_after(Some(timeout)))
    }

    fn peek_until(&mut self, deadline: Option<Instant>) -> Result<&[u8], RecvError> {
        let len = self.wait_next(deadline)?;
        Ok(self.hold(len))
    }

    /// Moves past the record [`peek`](Self::peek) holds, releasing it; `false` (doing
    /// nothing) when none is held.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy, RecvError};
    ///
    /// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossless)?;
    /// assert!(!rx.consume());
    /// tx.send(b"x")?;
    /// rx.peek()?;
    /// assert!(rx.consume());
    /// assert_eq!(rx.try_peek().err(), Some(RecvError::Empty));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn consume(&mut self) -> bool {
        match self.held {
            Some(len) => {
                self.advance(len);
                true
            }
            None => false,
        }
    }

    /// Marks the record of `len` bytes at our position (made ours by `next`) held, and
    /// returns its bytes.
    fn hold(&mut self, len: usize) -> &[u8] {
        if self.held.is_none() {
            let shared = &*self.shared;
            shared.buf.track_read(shared.offset(self.pos) + HEADER, len);
            self.held = Some(len);
        }
        // SAFETY: as in `Record::deref`: the record is ours (published, and pinned or behind
        // our slot) until `advance`, which needs `&mut self`, so not while this borrow lives.
        unsafe { self.payload(len) }
    }

    /// The payload of the record of `len` bytes at our position.
    ///
    /// # Safety
    ///
    /// The record is ours to read (returned by `next`, not yet passed by `advance`) for as
    /// long as the slice lives.
    unsafe fn payload(&self, len: usize) -> &[u8] {
        let shared = &*self.shared;
        let start = shared.offset(self.pos) + HEADER;
        // SAFETY: the payload ends at most `frame_size(len) <= size` bytes after the record's
        // offset (< size), so inside the 2N mapping; it was published to us by the head's
        // Release/Acquire, and the caller guarantees it is not written while the slice lives:
        // lossless, the sender stays below our slot plus the ring size; lossy, our slot pins
        // it and the sender does not overwrite a pinned record.
        unsafe { std::slice::from_raw_parts(shared.buf.as_ptr().add(start), len) }
    }

    fn wait_next(&mut self, deadline: Option<Instant>) -> Result<usize, RecvError> {
        loop {
            match self.next() {
                Err(RecvError::Empty) => {}
                other => return other,
            }
            let shared = &*self.shared;
            let pos = self.pos;
            let woke = shared.data_ready.wait_until(deadline, || {
                let alive = shared.sender_alive.load(Ordering::Acquire);
                (shared.head.load(Ordering::Acquire) != pos || !alive).then_some(())
            });
            if woke.is_none() {
                return Err(RecvError::TimedOut);
            }
        }
    }

    /// Makes the record at our position ours to read and returns its length: lossy, pins it
    /// (moving up to the oldest record still present if ours was overwritten).
    fn next(&mut self) -> Result<usize, RecvError> {
        if let Some(len) = self.held {
            // Already ours (and pinned: `tail` may be past it while the sender waits for us).
            return Ok(len);
        }
        let shared = &*self.shared;
        if shared.lossy {
            let mut moved = false;
            loop {
                self.slot.store(self.pos, Ordering::Relaxed);
                // Orders the pin before reading `tail`; the sender's half is in
                // `Sender::room_for`. Acquire: the head we read next is at or past `tail`.
                fence_light();
                let tail = shared.tail.load(Ordering::Acquire);
                if self.pos >= tail {
                    break;
                }
                self.pos = tail;
                moved = true;
            }
            if moved {
                // The sender may be waiting for our old pin, which was overwritten.
                shared.space_ready.notify();
            }
        }
        // Acquire: pairs with the sender's Release in `write`: the record is visible.
        let mut head = shared.head.load(Ordering::Acquire);
        if self.pos >= head {
            let alive = shared.sender_alive.load(Ordering::Acquire);
            // A sender seen dropped published its last head before: look once more.
            head = shared.head.load(Ordering::Acquire);
            if self.pos >= head {
                self.unpin();
                return Err(if alive {
                    RecvError::Empty
                } else {
                    RecvError::Disconnected
                });
            }
        }
        // Relaxed: published by the head we acquired; pinned (or, lossless, behind our
        // position), so not rewritten while we look.
        let len = shared.word(self.pos).load(Ordering::Relaxed);
        let seq = shared.word(self.pos + 8).load(Ordering::Relaxed);
        if seq != self.seq {
            // Only a lossy reader moved up to `tail` gets here: what it skipped is the gap.
            let missed = seq.wrapping_sub(self.seq);
            self.seq = seq;
            self.unpin();
            return Err(RecvError::Lagged(missed));
        }
        debug_assert!(len as usize <= shared.max_record_len());
        Ok(len as usize)
    }

    /// (Lossy) Releases the pin, waking the sender if it waits for it.
    fn unpin(&self) {
        if self.shared.lossy {
            self.slot.store(IDLE, Ordering::Release);
            self.shared.space_ready.notify();
        }
    }

    /// Moves past the record of `len` bytes at our position, which we have read.
    fn advance(&mut self, len: usize) {
        self.held = None;
        self.pos += frame_size(len);
        self.seq += 1;
        if self.shared.lossy {
            self.unpin();
        } else {
            // Release: our reads of the record happen before the sender overwrites it.
            self.slot.store(self.pos, Ordering::Release);
            self.shared.space_ready.notify();
        }
    }
}

impl Clone for Receiver {
    /// Another reader at the same position: it receives the same records from here on.
    fn clone(&self) -> Self {
        Receiver::join(Arc::clone(&self.shared), self.pos, self.seq)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        #[cfg(feature = "async")]
        self.shared.tasks.forget(&self.slot);
        self.shared.unregister(&self.slot);
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt_end("Receiver", f)
    }
}

/// One received record: derefs to its bytes as one contiguous `&[u8]`. While it is alive the
/// sender does not overwrite it (lossy: [`Sender::send`](super::Sender::send) waits for it to
/// drop); dropping it moves its reader on.
///
/// # Examples
///
/// ```
/// use picoring::broadcast::{self, Policy};
///
/// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossy)?;
/// tx.send(b"abc")?;
/// let record = rx.recv()?;
/// assert_eq!(record.len(), 3);
/// assert_eq!(&record[..2], b"ab");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Record<'a> {
    receiver: &'a mut Receiver,
    len: usize,
}

impl<'a> Record<'a> {
    fn new(receiver: &'a mut Receiver, len: usize) -> Self {
        receiver.hold(len);
        Record { receiver, len }
    }

    /// The record as a slice of `T`, if it was sent as one (its length a multiple of
    /// `T`'s size, `T` aligned to at most 8 and not zero-sized).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy};
    ///
    /// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossless)?;
    /// tx.send_elements(&[1u32, 2, 3])?;
    /// let record = rx.recv()?;
    /// assert_eq!(record.elements::<u32>(), Some(&[1, 2, 3][..]));
    /// assert_eq!(record.elements::<u64>(), None); // 12 bytes are not whole u64s
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn elements<T: Pod>(&self) -> Option<&[T]> {
        let size = std::mem::size_of::<T>();
        if size == 0 || std::mem::align_of::<T>() > 8 || self.len % size != 0 {
            return None;
        }
        let bytes: &[u8] = self;
        // SAFETY: payloads start 8-aligned (the mapping is page-aligned, records start at
        // multiples of 8 and the header is 16 bytes), so aligned for `T`; the length is whole
        // elements; `T: Pod` accepts any bytes; the borrow is tied to `self`.
        Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr() as *const T, self.len / size) })
    }
}

impl Deref for Record<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: the record is ours until this guard's drop moves past it.
        unsafe { self.receiver.payload(self.len) }
    }
}

impl Drop for Record<'_> {
    fn drop(&mut self) {
        self.receiver.advance(self.len);
    }
}

impl fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record").field("len", &self.len).finish()
    }
}
