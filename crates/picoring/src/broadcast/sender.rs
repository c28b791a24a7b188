//! [`Sender`]: writing records, and making room for them under either policy.

use std::fmt;
use std::time::{Duration, Instant};

use super::{element_bytes, frame_size, Policy, Receiver, SendError, Shared, Slot, HEADER, IDLE};
use crate::sync::{deadline_after, fence_heavy, Arc, Barrier, Ordering};
use crate::Pod;

// The async send, a child of this module for the sender's fields.
#[cfg(feature = "async")]
#[path = "async_send.rs"]
mod async_send;

/// The writing end of a broadcast ring (there is one).
///
/// # Examples
///
/// ```
/// use picoring::broadcast::{self, Policy};
///
/// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossless)?;
/// tx.send(b"one")?;
/// let mut late = tx.subscribe(); // sees only what is sent from now on
/// tx.send(b"two")?;
/// assert_eq!(&*rx.recv()?, b"one");
/// assert_eq!(&*rx.recv()?, b"two");
/// assert_eq!(&*late.recv()?, b"two");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Sender {
    shared: Arc<Shared>,
    /// End of the last record written: always equal to `shared.head`, which only we write.
    head: u64,
    /// Sequence number of the next record.
    seq: u64,
    /// Records may be written below this position: the smallest reader position plus the ring
    /// size as last seen (lossless), or `tail` plus the ring size once no reader pins a record
    /// before `tail` (lossy). Readers only move forward, so it stays valid until we pass it.
    limit: u64,
    /// (Lossy) our copy of `shared.tail`.
    tail: u64,
    /// Our copy of the registry, as of `generation`.
    view: Vec<Arc<Slot>>,
    generation: usize,
}

impl Sender {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        // Every reader starts at position 0 or later: the whole first lap is free.
        let limit = shared.size as u64;
        Sender {
            shared,
            head: 0,
            seq: 0,
            limit,
            tail: 0,
            view: Vec::new(),
            generation: usize::MAX,
        }
    }

    /// Ring size in bytes, framing included.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy};
    ///
    /// let (tx, _rx) = broadcast::channel(1000, Policy::Lossy)?;
    /// assert!(tx.capacity() >= 1000);
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
    /// let (tx, _rx) = broadcast::channel(4096, Policy::Lossy)?;
    /// assert_eq!(tx.policy(), Policy::Lossy);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn policy(&self) -> Policy {
        self.shared.policy()
    }

    /// The longest record the ring can hold: `min(capacity - 16, u32::MAX)` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy};
    ///
    /// let (tx, _rx) = broadcast::channel(4096, Policy::Lossy)?;
    /// assert_eq!(tx.max_record_len(), tx.capacity() - 16);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn max_record_len(&self) -> usize {
        self.shared.max_record_len()
    }

    /// How many readers are alive now.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy};
    ///
    /// let (tx, rx) = broadcast::channel(4096, Policy::Lossy)?;
    /// let rx2 = tx.subscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// drop((rx, rx2));
    /// assert_eq!(tx.receiver_count(), 0);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.readers().len()
    }

    /// A new reader that receives every record sent from now on.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy, RecvError};
    ///
    /// let (mut tx, _rx) = broadcast::channel(4096, Policy::Lossless)?;
    /// tx.send(b"before")?;
    /// let mut rx = tx.subscribe();
    /// assert_eq!(rx.try_recv().err(), Some(RecvError::Empty));
    /// tx.send(b"after")?;
    /// assert_eq!(&*rx.try_recv()?, b"after");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe(&self) -> Receiver {
        Receiver::join(Arc::clone(&self.shared), self.head, self.seq)
    }

    /// Sends one record, waiting while there is no room (lossless: for the slowest reader;
    /// lossy: only for a reader that holds a [`Record`](super::Record) about to be
    /// overwritten). With no reader alive the record is written and read by nobody.
    ///
    /// # Errors
    ///
    /// [`SendError::TooLarge`] if the record is longer than
    /// [`max_record_len`](Self::max_record_len).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy};
    ///
    /// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossless)?;
    /// let reader = std::thread::spawn(move || {
    ///     (0..100).map(|_| rx.recv().unwrap().len()).sum::<usize>()
    /// });
    /// for _ in 0..100 {
    ///     tx.send(&[1; 100])?; // waits for the reader when the ring is full
    /// }
    /// assert_eq!(reader.join().unwrap(), 10_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send(&mut self, record: &[u8]) -> Result<(), SendError> {
        self.send_until(record, Some(None))
    }

    /// Sends one record if there is room now.
    ///
    /// # Errors
    ///
    /// [`SendError::Full`] if there is no room now, [`SendError::TooLarge`] as for
    /// [`send`](Self::send).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy, SendError};
    ///
    /// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossless)?;
    /// let mut sent = 0;
    /// while tx.try_send(&[0; 100]).is_ok() {
    ///     sent += 1;
    /// }
    /// assert_eq!(tx.try_send(&[0; 100]), Err(SendError::Full));
    /// drop(rx.try_recv()?); // one record read: room for one more
    /// assert_eq!(tx.try_send(&[0; 100]), Ok(()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_send(&mut self, record: &[u8]) -> Result<(), SendError> {
        self.send_until(record, None)
    }

    /// Sends one record, waiting at most `timeout` for room.
    ///
    /// # Errors
    ///
    /// [`SendError::TimedOut`], or [`SendError::TooLarge`] as for [`send`](Self::send).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use picoring::broadcast::{self, Policy, SendError};
    ///
    /// let (mut tx, _rx) = broadcast::channel(4096, Policy::Lossless)?;
    /// while tx.try_send(&[0; 100]).is_ok() {}
    /// let waited = tx.send_timeout(&[0; 100], Duration::from_millis(1));
    /// assert_eq!(waited, Err(SendError::TimedOut));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn send_timeout(&mut self, record: &[u8], timeout: Duration) -> Result<(), SendError> {
        self.send_until(record, Some(deadline_after(Some(timeout))))
    }

    /// Sends a slice of plain-data elements as one record (waiting as [`send`](Self::send)
    /// does); readers get it back with [`Record::elements`](super::Record::elements).
    ///
    /// # Errors
    ///
    /// [`SendError::TooLarge`] if the slice's bytes do not fit, or `T` needs an alignment
    /// above 8.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy};
    ///
    /// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossy)?;
    /// tx.send_elements(&[[0.5f32, -0.5]; 3])?; // three stereo frames
    /// let record = rx.recv()?;
    /// assert_eq!(record.elements::<[f32; 2]>(), Some(&[[0.5, -0.5]; 3][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_elements<T: Pod>(&mut self, elements: &[T]) -> Result<(), SendError> {
        let bytes = element_bytes(elements).ok_or(SendError::TooLarge)?;
        self.send(bytes)
    }

    /// Sends `record`; `wait` is `None` to fail at once when full, or the deadline (`None`:
    /// none) to wait until.
    fn send_until(
        &mut self,
        record: &[u8],
        wait: Option<Option<Instant>>,
    ) -> Result<(), SendError> {
        if record.len() > self.shared.max_record_len() {
            return Err(SendError::TooLarge);
        }
        let need = frame_size(record.len());
        if self.head + need > self.limit {
            self.make_room(need, wait)?;
        }
        self.write(record, need);
        Ok(())
    }

    /// Writes and publishes one record at `head`; the `need` bytes there are ours.
    fn write(&mut self, record: &[u8], need: u64) {
        let shared = &*self.shared;
        shared
            .word(self.head)
            .store(record.len() as u64, Ordering::Relaxed);
        shared
            .word(self.head + 8)
            .store(self.seq, Ordering::Relaxed);
        let start = shared.offset(self.head) + HEADER;
        shared.buf.track_write(start, record.len());
        // SAFETY: `start + len <= offset + need <= 2 * size`, inside the mapping; these bytes
        // (and their twins) are below `limit`, so no reader reads them (lossless: every reader
        // is past them; lossy: they are before `tail`, which no pinned record is) and no
        // reference into them is alive; `record` is another allocation.
        unsafe {
            std::ptr::copy_nonoverlapping(
                record.as_ptr(),
                shared.buf.as_ptr().add(start),
                record.len(),
            );
            shared.buf.mirror_range(start, record.len());
        }
        self.head += need;
        self.seq += 1;
        // Release: the words and payload above are visible to whoever sees the new head.
        shared.head.store(self.head, Ordering::Release);
        shared.data_ready.notify();
        // After the fence in `notify`: see `async_recv`.
        #[cfg(feature = "async")]
        shared.tasks.wake();
    }

    /// Moves `limit` so that `need` more bytes fit, waiting as `wait` says.
    #[cold]
    fn make_room(&mut self, need: u64, wait: Option<Option<Instant>>) -> Result<(), SendError> {
        if self.shared.lossy {
            self.evict(need);
        }
        if self.room_for(need) {
            return Ok(());
        }
        let Some(deadline) = wait else {
            return Err(SendError::Full);
        };
        let shared = Arc::clone(&self.shared);
        shared
            .space_ready
            .wait_until(deadline, || self.room_for(need).then_some(()))
            .ok_or(SendError::TimedOut)
    }

    /// (Lossy) Drops the oldest records until `need` bytes and a quarter of the ring more fit
    /// after `tail`, and publishes the new `tail`. The slack means the readers' pins are looked
    /// at once per quarter ring rather than once per record.
    fn evict(&mut self, need: u64) {
        let size = self.shared.size as u64;
        let slack = (size / 4).min(size - need);
        let target = (self.head + need + slack).saturating_sub(size);
        if self.tail >= target {
            return;
        }
        while self.tail < target {
            // Relaxed: we wrote this word ourselves; readers only read it.
            let len = self.shared.word(self.tail).load(Ordering::Relaxed);
            self.tail += frame_size(len as usize);
        }
        // Release: a reader that moves to the new tail finds a head at or past it.
        self.shared.tail.store(self.tail, Ordering::Release);
    }

    /// Whether `need` bytes fit now, looking at the readers' slots (and moving `limit`).
    fn room_for(&mut self, need: u64) -> bool {
        let size = self.shared.size as u64;
        if self.shared.lossy {
            // Orders our `tail` store before reading the pins: a reader whose pin we do not
            // see fences after us and sees the new tail (see the module docs).
            if let Barrier::Settling(settled) = fence_heavy() {
                // A reader's pin may still be in flight until then (see `sync::fence`).
                std::thread::sleep(settled.saturating_duration_since(Instant::now()));
            }
            if self.scan() < self.tail {
                return false;
            }
            self.limit = self.tail + size;
        } else {
            self.limit = self.scan().min(self.head) + size;
        }
        self.head + need <= self.limit
    }

    /// The smallest value in the readers' slots ([`IDLE`] if none), over the registry as it is
    /// now.
    ///
    /// The slots are read before the generation: a reader cloned from another is registered
    /// (bumping the generation) before the other one can move on, so if we see the other's
    /// new position we also see the bump, and look again with the clone included.
    fn scan(&mut self) -> u64 {
        loop {
            // Acquire: pairs with a reader's `Release` store of its position (lossless) or of
            // its unpinning (lossy): its reads of the records happen before we overwrite them.
            let min = self
                .view
                .iter()
                .map(|slot| slot.load(Ordering::Acquire))
                .min()
                .unwrap_or(IDLE);
            if self.shared.generation.load(Ordering::Acquire) == self.generation {
                return min;
            }
            let readers = self.shared.readers();
            self.view.clone_from(&readers);
            // Under the lock, where the generation changes.
            self.generation = self.shared.generation.load(Ordering::Relaxed);
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.shared.sender_alive.store(false, Ordering::Release);
        self.shared.data_ready.notify();
        #[cfg(feature = "async")]
        self.shared.tasks.wake();
    }
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt_end("Sender", f)
    }
}
