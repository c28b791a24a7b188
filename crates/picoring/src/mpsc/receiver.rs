//! [`Receiver`] and [`Record`]: taking records out in reservation order.

use std::fmt;
use std::ops::Deref;
use std::time::{Duration, Instant};

use super::{record_size, Shared, WaitError, BUSY, DISCARD, HEADER, LEN_MASK};
use crate::sync::{deadline_after, Arc, Ordering};

/// The reading end of a record ring.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
/// tx.send(b"one")?;
/// {
///     let record = rx.recv_timeout(Duration::from_secs(1))?;
///     assert_eq!(&*record, b"one");
/// } // the record's bytes go back to the ring here
/// assert!(rx.try_recv().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Receiver {
    shared: Arc<Shared>,
    /// Our position: always equal to `shared.consumer_pos`, which only we write.
    pos: usize,
}

/// What the header at the receiver's position says.
enum Next {
    /// Not reserved, or reserved and still being written.
    Pending,
    /// Committed, with this payload length.
    Ready(usize),
    /// Discarded, with this payload length.
    Discarded(usize),
}

impl Receiver {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Receiver { shared, pos: 0 }
    }

    /// Ring size in bytes, headers and padding included.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = picoring::mpsc::channel(1000)?;
    /// assert!(rx.capacity() >= 1000);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.size
    }

    /// Whether every sender was dropped: what is queued now is all there will ever be.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = picoring::mpsc::channel(4096)?;
    /// let tx2 = tx.clone();
    /// drop(tx);
    /// assert!(!rx.is_abandoned());
    /// drop(tx2);
    /// assert!(rx.is_abandoned());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn is_abandoned(&self) -> bool {
        self.shared.senders.load(Ordering::Acquire) == 0
    }

    fn peek(&self) -> Next {
        self.peek_offset(self.shared.offset(self.pos))
    }

    /// What the header `bytes` (< size) after the receiver's byte offset `base` says, and that
    /// header's offset in `0..size` (found without a division).
    #[inline]
    fn peek_after(&self, base: usize, bytes: usize) -> (Next, usize) {
        let size = self.shared.size;
        let offset = base + bytes;
        let offset = if offset >= size {
            offset - size
        } else {
            offset
        };
        (self.peek_offset(offset), offset)
    }

    /// What the header at byte offset `offset` (< size, a record's start) says.
    #[inline]
    fn peek_offset(&self, offset: usize) -> Next {
        let shared = &*self.shared;
        // SAFETY: the offset is < size and 8-aligned (positions advance by whole records).
        let header = unsafe { shared.buf.header(offset) };
        // Acquire: pairs with the sender's Release in `finish`, making the payload visible.
        let word = header.load(Ordering::Acquire);
        let len = (word & LEN_MASK) as usize;
        if word == 0 || word & BUSY != 0 {
            Next::Pending
        } else if word & DISCARD != 0 {
            Next::Discarded(len)
        } else {
            Next::Ready(len)
        }
    }

    /// The length of the next committed record, skipping (and releasing) discarded ones.
    fn next_ready(&mut self) -> Option<usize> {
        loop {
            match self.peek() {
                Next::Pending => return None,
                Next::Ready(len) => return Some(len),
                Next::Discarded(len) => self.release(len),
            }
        }
    }

    /// Zeroes the record at our position (free space reads as zero headers) and gives it
    /// back to the senders.
    fn release(&mut self, len: usize) {
        self.release_bytes(record_size(len));
    }

    /// Zeroes the `total` bytes of whole records at our position and gives them back to the
    /// senders.
    fn release_bytes(&mut self, total: usize) {
        let shared = &*self.shared;
        // SAFETY: the records' bytes (offset + total <= 2 * size) are ours until the store
        // below, and no reference into them is alive (`&mut self`).
        unsafe { shared.buf.clear(shared.offset(self.pos), total) };
        self.pos = shared.advance(self.pos, total);
        shared.consumer_pos.store(self.pos, Ordering::Release);
        self.wake_senders();
    }

    /// Wakes the senders waiting for space once the smallest request among them fits.
    ///
    /// Waking them on every release made each one take the wait mutex and find too little
    /// space, over and over (a thundering herd that, with more senders than cores, starved
    /// the receiver); waking them only once a quarter of the ring was freed let a sender sleep
    /// while the space it asked for was free. So each waiting sender announces the ring bytes
    /// it needs in `space_needed` (the smallest announcement wins), and releases that leave
    /// less free space than that wake nobody: no waiter could use them.
    ///
    /// No waiter sleeps while its request fits: a sender announces, under the wait lock and
    /// before the fence of its last re-check, and a release fenced after that re-check sees
    /// the sender registered and its announcement, or a smaller one. We take the smallest
    /// announcement out (a swap, so we read the latest one) and either wake the senders,
    /// which then announce again (see `Signal::wait_announcing`), or put it back with
    /// `fetch_min`, which keeps whatever was announced meanwhile. Only we release space, so
    /// no other release runs in between. Free space computed here is never less than what a
    /// sender sees, so a request that fits wakes its sender.
    fn wake_senders(&mut self) {
        let shared = &*self.shared;
        if !shared.space_ready.has_waiters() {
            return;
        }
        let needed = shared.space_needed.swap(usize::MAX, Ordering::Relaxed);
        if needed == usize::MAX {
            // Nothing announced: every registered sender either fences after us (its
            // re-check sees the space we freed) or was woken and will announce again.
            return;
        }
        // Relaxed: the header we just read (Acquire) was written after its reservation's
        // CAS, so this load sees the producer position at or past our own. A stale value
        // only overstates the free space: a spurious wakeup, never a missed one.
        let producer = shared.producer_pos.load(Ordering::Relaxed);
        let free = shared.size - shared.distance(self.pos, producer);
        if free >= needed {
            shared.space_ready.wake();
        } else {
            shared.space_needed.fetch_min(needed, Ordering::Relaxed);
        }
    }

    /// The next record if one is committed, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// assert!(rx.try_recv().is_none());
    /// tx.send(b"x")?;
    /// assert_eq!(&*rx.try_recv().unwrap(), b"x");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv(&mut self) -> Option<Record<'_>> {
        let len = self.next_ready()?;
        Some(Record::new(self, len))
    }

    /// The next record, sleeping until one is committed.
    ///
    /// # Errors
    ///
    /// [`WaitError::Disconnected`] once every sender is dropped and nothing is left.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mpsc::WaitError;
    ///
    /// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// std::thread::spawn(move || tx.send(b"hi"));
    /// assert_eq!(&*rx.recv()?, b"hi");
    /// assert_eq!(rx.recv().err(), Some(WaitError::Disconnected));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv(&mut self) -> Result<Record<'_>, WaitError> {
        let len = self.wait_ready(None)?;
        Ok(Record::new(self, len))
    }

    /// The next record, sleeping at most `timeout` for one.
    ///
    /// # Errors
    ///
    /// [`WaitError::TimedOut`], or [`WaitError::Disconnected`] once every sender is dropped
    /// and nothing is left.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use picoring::mpsc::WaitError;
    ///
    /// let (_tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// let waited = rx.recv_timeout(Duration::from_millis(1));
    /// assert_eq!(waited.err(), Some(WaitError::TimedOut));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Record<'_>, WaitError> {
        let len = self.wait_ready(deadline_after(Some(timeout)))?;
        Ok(Record::new(self, len))
    }

    /// Every committed record from the next one up to the first that is not (still being
    /// written, or not reserved), as one [`Batch`], without waiting; `None` when the next record
    /// is not committed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// assert!(rx.try_recv_batch().is_none());
    /// tx.send(b"a")?;
    /// tx.send(b"bc")?;
    /// let batch = rx.try_recv_batch().unwrap();
    /// assert_eq!(batch.iter().collect::<Vec<_>>(), [&b"a"[..], b"bc"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv_batch(&mut self) -> Option<Batch<'_>> {
        self.next_ready()?;
        Some(Batch::new(self))
    }

    /// Every committed record from the next one up to the first that is not (still being
    /// written, or not reserved), as one [`Batch`] whose records are one contiguous region and
    /// go back to the senders together when it drops; sleeps until at least one is committed.
    /// One call and one release for many records: the receiver's side of a burst costs about
    /// what one record does.
    ///
    /// # Errors
    ///
    /// [`WaitError::Disconnected`] once every sender is dropped and nothing is left.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// for line in [&b"GET /"[..], b"Host: x", b""] {
    ///     tx.send(line)?;
    /// }
    /// let batch = rx.recv_batch()?;
    /// assert_eq!(batch.len(), 3);
    /// for (record, expected) in batch.iter().zip([&b"GET /"[..], b"Host: x", b""]) {
    ///     assert_eq!(record, expected);
    /// }
    /// drop(batch); // all three records' space goes back here
    /// assert!(rx.try_recv().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv_batch(&mut self) -> Result<Batch<'_>, WaitError> {
        self.wait_ready(None)?;
        Ok(Batch::new(self))
    }

    fn wait_ready(&mut self, deadline: Option<Instant>) -> Result<usize, WaitError> {
        loop {
            if let Some(len) = self.next_ready() {
                return Ok(len);
            }
            let this = &*self;
            let woke = this.shared.data_ready.wait_until(deadline, || {
                if !matches!(this.peek(), Next::Pending) {
                    Some(true)
                } else if this.shared.senders.load(Ordering::Acquire) == 0 {
                    // Every grant borrowed a sender, so every record is final now: look again.
                    Some(!matches!(this.peek(), Next::Pending))
                } else {
                    None
                }
            });
            match woke {
                None => return Err(WaitError::TimedOut),
                Some(false) => return Err(WaitError::Disconnected),
                Some(true) => {}
            }
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shared.receiver_alive.store(false, Ordering::Release);
        self.shared.space_ready.notify();
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt_end("Receiver", f)
    }
}

/// One received record: derefs to its bytes as one contiguous `&[u8]`; its space goes back to
/// the senders when it drops.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
/// tx.send(b"abc")?;
/// let record = rx.try_recv().unwrap();
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
        let shared = &*receiver.shared;
        shared
            .buf
            .track_read(shared.offset(receiver.pos) + HEADER, len);
        Record { receiver, len }
    }
}

impl Deref for Record<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        let shared = &*self.receiver.shared;
        let start = shared.offset(self.receiver.pos) + HEADER;
        // SAFETY: the committed payload (len <= size - 8 bytes from start < 2 * size) is
        // inside the mapping, published to us by the header's Release/Acquire, and no sender
        // writes it (nor its twin) until `release` moves the consumer position past it.
        unsafe { std::slice::from_raw_parts(shared.buf.as_ptr().add(start), self.len) }
    }
}

impl Drop for Record<'_> {
    fn drop(&mut self) {
        self.receiver.release(self.len);
    }
}

impl fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record").field("len", &self.len).finish()
    }
}

/// The committed records [`Receiver::recv_batch`] took at once: consecutive records in one
/// contiguous region of the ring, each record's payload one contiguous `&[u8]`
/// ([`iter`](Self::iter)); all of their space goes back to the senders together when the batch
/// drops.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
/// tx.send(b"one")?;
/// tx.send(b"two")?;
/// let batch = rx.try_recv_batch().unwrap();
/// let mut total = 0;
/// for record in &batch {
///     total += record.len();
/// }
/// assert_eq!(total, 6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Batch<'a> {
    receiver: &'a mut Receiver,
    /// The receiver's byte offset, where the batch starts.
    base: usize,
    /// Ring bytes of the batch from the receiver's position: whole records (committed ones and
    /// the discarded ones between them), headers and padding included; at most the ring size.
    bytes: usize,
    /// Committed records in it.
    records: usize,
}

impl<'a> Batch<'a> {
    /// The batch from the receiver's position, whose record is committed: every record after
    /// it that is committed or discarded, stopping at the first that is neither, or after a
    /// whole ring.
    fn new(receiver: &'a mut Receiver) -> Self {
        let shared = &*receiver.shared;
        let base = shared.offset(receiver.pos);
        let (mut bytes, mut records) = (0, 0);
        while bytes < shared.size {
            match receiver.peek_after(base, bytes).0 {
                Next::Pending => break,
                Next::Ready(len) => {
                    records += 1;
                    bytes += record_size(len);
                }
                Next::Discarded(len) => bytes += record_size(len),
            }
        }
        shared.buf.track_read(base, bytes);
        Batch {
            receiver,
            base,
            bytes,
            records,
        }
    }

    /// How many records the batch holds; at least one.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// tx.send(b"x")?;
    /// assert_eq!(rx.recv_batch()?.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.records
    }

    /// Always `false`: a batch holds at least one record.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// tx.send(b"")?;
    /// assert!(!rx.recv_batch()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The payloads of the batch's committed records, in order, each one contiguous slice.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// tx.send(b"a")?;
    /// let grant = tx.reserve(1)?; // dropped uncommitted: discarded, skipped
    /// drop(grant);
    /// tx.send(b"b")?;
    /// let batch = rx.recv_batch()?;
    /// assert_eq!(batch.iter().collect::<Vec<_>>(), [b"a", b"b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> BatchIter<'_> {
        BatchIter {
            receiver: self.receiver,
            base: self.base,
            skipped: 0,
            left: self.records,
        }
    }

    /// The whole batch as one contiguous slice of the ring, even where it wraps: every
    /// committed record's payload lies at the range [`ranges`](Batch::ranges) gives, and the
    /// bytes between payloads are the ring's framing (headers, padding, discarded records),
    /// whose contents are unspecified. For parsers that want one buffer and the record
    /// boundaries rather than one slice per record.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// tx.send(b"ab")?;
    /// tx.send(b"cde")?;
    /// let batch = rx.recv_batch()?;
    /// let region = batch.region();
    /// let payloads: Vec<&[u8]> = batch.ranges().map(|r| &region[r]).collect();
    /// assert_eq!(payloads, [&b"ab"[..], &b"cde"[..]]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn region(&self) -> &[u8] {
        let shared = &*self.receiver.shared;
        // SAFETY: the batch's `bytes <= size` bytes from the receiver's offset (< size) are
        // inside the mapping and contiguous through the mirror; they hold finished records
        // (committed or discarded), which no sender writes (nor their twins) until the batch
        // drops and releases them, and the borrow of the batch outlives this slice. Payload
        // bytes are published by their headers' Release/Acquire (read when the batch was
        // made); the other bytes are only read, never relied on.
        unsafe { std::slice::from_raw_parts(shared.buf.as_ptr().add(self.base), self.bytes) }
    }

    /// Where each committed record's payload lies in [`region`](Batch::region), in order
    /// (the same records as [`iter`](Batch::iter)).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// tx.send(b"xyz")?;
    /// let batch = rx.recv_batch()?;
    /// let range = batch.ranges().next().unwrap();
    /// assert_eq!(&batch.region()[range], b"xyz");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let region = self.region().as_ptr() as usize;
        self.iter().map(move |payload| {
            // Every payload is a sub-slice of the region (see `BatchIter::next`).
            let start = payload.as_ptr() as usize - region;
            start..start + payload.len()
        })
    }
}

impl<'b> IntoIterator for &'b Batch<'_> {
    type Item = &'b [u8];
    type IntoIter = BatchIter<'b>;

    fn into_iter(self) -> BatchIter<'b> {
        self.iter()
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        self.receiver.release_bytes(self.bytes);
    }
}

impl fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("len", &self.records)
            .field("bytes", &self.bytes)
            .finish()
    }
}

/// The records of a [`Batch`], oldest first: see [`Batch::iter`].
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
/// tx.send(b"xy")?;
/// let batch = rx.recv_batch()?;
/// let mut records = batch.iter();
/// assert_eq!(records.len(), 1);
/// assert_eq!(records.next(), Some(&b"xy"[..]));
/// assert_eq!(records.next(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct BatchIter<'a> {
    receiver: &'a Receiver,
    /// The batch's start: the receiver's byte offset.
    base: usize,
    /// Bytes of the batch already walked, from the receiver's position.
    skipped: usize,
    /// Committed records not yet returned.
    left: usize,
}

impl<'a> Iterator for BatchIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (shared, base) = (&*self.receiver.shared, self.base);
        while self.left > 0 {
            // The headers are read from the first half, where senders write them (on the
            // software backend their twins are not kept up to date).
            let (next, header) = self.receiver.peek_after(base, self.skipped);
            let (len, ready) = match next {
                Next::Ready(len) => (len, true),
                Next::Discarded(len) => (len, false),
                // The batch was made of finished records only, which stay so until released.
                Next::Pending => return None,
            };
            // The payload runs on from the batch's start, through the mirror.
            let start = header + HEADER + if header < base { shared.size } else { 0 };
            self.skipped += record_size(len);
            if ready {
                self.left -= 1;
                // SAFETY: a committed payload of the batch (it ends within `bytes <= size` of
                // the receiver's offset, < size) is inside the mapping and contiguous through
                // the mirror, published by its header's Release/Acquire, and no sender writes
                // it (nor its twin) until the batch drops and releases it, which the borrow of
                // the batch prevents while this slice lives.
                return Some(unsafe {
                    std::slice::from_raw_parts(shared.buf.as_ptr().add(start), len)
                });
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for BatchIter<'_> {}

impl fmt::Debug for BatchIter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchIter")
            .field("left", &self.left)
            .finish()
    }
}
