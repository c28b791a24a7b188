//! [`Sender`] and [`Grant`]: reserving, filling and committing records.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use super::{record_size, ReserveError, Shared, BUSY, DISCARD, HEADER, LEN_MASK, PRESENT};
use crate::sync::{deadline_after, Arc, Ordering};

/// The writing end of a record ring; clone it for each producing thread.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
/// let tx2 = tx.clone();
/// tx.send(b"first")?;
/// tx2.send(b"second")?;
/// assert_eq!(&*rx.recv()?, b"first");
/// assert_eq!(&*rx.recv()?, b"second");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Sender {
    shared: Arc<Shared>,
}

impl Sender {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Sender { shared }
    }

    /// Ring size in bytes, headers and padding included.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = picoring::mpsc::channel(1000)?;
    /// assert!(tx.capacity() >= 1000);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.size
    }

    /// The longest record the ring can hold: `min(capacity() - 8, u32::MAX)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = picoring::mpsc::channel(4096)?;
    /// assert_eq!(tx.max_record_len(), tx.capacity() - 8);
    /// assert!(tx.reserve(tx.max_record_len()).is_ok());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn max_record_len(&self) -> usize {
        (self.shared.size - HEADER).min(LEN_MASK as usize)
    }

    /// Whether the receiver was dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = picoring::mpsc::channel(4096)?;
    /// drop(rx);
    /// assert!(tx.is_abandoned());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn is_abandoned(&self) -> bool {
        !self.shared.receiver_alive.load(Ordering::Acquire)
    }

    /// Reserves room for a record of `len` bytes, without waiting.
    ///
    /// # Errors
    ///
    /// [`ReserveError::Full`] when there is not enough free space now,
    /// [`ReserveError::TooLarge`] above [`max_record_len`](Self::max_record_len),
    /// [`ReserveError::Disconnected`] when the receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mpsc::ReserveError;
    ///
    /// let (tx, _rx) = picoring::mpsc::channel(4096)?;
    /// let grant = tx.reserve(4000).unwrap();
    /// assert!(matches!(tx.reserve(4000), Err(ReserveError::Full)));
    /// drop(grant); // discarded: the receiver skips it
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn reserve(&self, len: usize) -> Result<Grant<'_>, ReserveError> {
        let offset = self.try_reserve(len)?;
        Ok(self.grant(offset, len))
    }

    /// Reserves room for a record of `len` bytes, sleeping while the ring is full.
    ///
    /// Do not call it while this thread holds an uncommitted [`Grant`]: the receiver cannot
    /// pass that record, so the space this call waits for may never be freed.
    ///
    /// # Errors
    ///
    /// [`ReserveError::TooLarge`] or [`ReserveError::Disconnected`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// let mut grant = tx.reserve_blocking(3)?;
    /// grant.copy_from_slice(b"abc");
    /// grant.commit();
    /// assert_eq!(&*rx.recv()?, b"abc");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve_blocking(&self, len: usize) -> Result<Grant<'_>, ReserveError> {
        self.reserve_until(len, None)
    }

    /// Reserves room for a record of `len` bytes, sleeping at most `timeout` for space.
    ///
    /// # Errors
    ///
    /// [`ReserveError::TimedOut`], [`ReserveError::TooLarge`] or
    /// [`ReserveError::Disconnected`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use picoring::mpsc::ReserveError;
    ///
    /// let (tx, _rx) = picoring::mpsc::channel(4096)?;
    /// let _held = tx.reserve(4000)?;
    /// let late = tx.reserve_timeout(4000, Duration::from_millis(1));
    /// assert!(matches!(late, Err(ReserveError::TimedOut)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve_timeout(
        &self,
        len: usize,
        timeout: Duration,
    ) -> Result<Grant<'_>, ReserveError> {
        self.reserve_until(len, deadline_after(Some(timeout)))
    }

    /// Copies `record` into the ring as one record, sleeping while the ring is full.
    ///
    /// # Errors
    ///
    /// As for [`reserve_blocking`](Self::reserve_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// tx.send(b"log line")?;
    /// assert_eq!(&*rx.try_recv().unwrap(), b"log line");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send(&self, record: &[u8]) -> Result<(), ReserveError> {
        let mut grant = self.reserve_blocking(record.len())?;
        grant.copy_from_slice(record);
        grant.commit();
        Ok(())
    }

    fn reserve_until(
        &self,
        len: usize,
        deadline: Option<std::time::Instant>,
    ) -> Result<Grant<'_>, ReserveError> {
        let shared = &*self.shared;
        // Ring bytes this record takes (`len` is only announced once it proved valid).
        let needed = record_size(len.min(self.max_record_len()));
        let outcome = shared.space_ready.wait_announcing(
            deadline,
            // Tells the receiver how much space would let us go on: it wakes the waiting
            // senders once the smallest such request fits (see `Receiver::wake_senders`).
            || {
                shared.space_needed.fetch_min(needed, Ordering::Relaxed);
            },
            || match self.try_reserve(len) {
                Err(ReserveError::Full) => None,
                other => Some(other),
            },
        );
        let offset = outcome.unwrap_or(Err(ReserveError::TimedOut))?;
        Ok(self.grant(offset, len))
    }

    /// Claims `record_size(len)` bytes with a CAS on the producer position and marks the
    /// record busy; returns the header's byte offset.
    fn try_reserve(&self, len: usize) -> Result<usize, ReserveError> {
        let shared = &*self.shared;
        if len > self.max_record_len() {
            return Err(ReserveError::TooLarge);
        }
        if !shared.receiver_alive.load(Ordering::Relaxed) {
            return Err(ReserveError::Disconnected);
        }
        let total = record_size(len);
        let pos = loop {
            // The consumer position first: every record it has passed was reserved before,
            // so the producer position read next is never behind it. `Acquire` makes the
            // receiver's zeroing of the freed bytes visible before we write a header there.
            let cons = shared.consumer_pos.load(Ordering::Acquire);
            let prod = shared.producer_pos.load(Ordering::Relaxed);
            if shared.distance(cons, prod) + total > shared.size {
                return Err(ReserveError::Full);
            }
            let next = shared.advance(prod, total);
            if shared
                .producer_pos
                .compare_exchange_weak(prod, next, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                break prod;
            }
        };
        let offset = shared.offset(pos);
        // SAFETY: offset < size and 8-aligned; the word is ours until the receiver reads it.
        let header = unsafe { shared.buf.header(offset) };
        header.store(len as u64 | PRESENT | BUSY, Ordering::Relaxed);
        Ok(offset)
    }

    fn grant(&self, offset: usize, len: usize) -> Grant<'_> {
        self.shared.buf.track_write(offset + HEADER, len);
        Grant {
            sender: self,
            offset,
            len,
        }
    }
}

impl Clone for Sender {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        // AcqRel: the receiver that reads zero senders must see every record final.
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.data_ready.notify();
        }
    }
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt_end("Sender", f)
    }
}

/// Room for one record, reserved in the ring: a contiguous `&mut [u8]` (through `DerefMut`).
/// [`commit`](Self::commit) publishes it; dropping it uncommitted discards it.
///
/// The bytes hold zeros until written.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
/// let first = tx.reserve(1)?;
/// let mut second = tx.reserve(1)?;
/// second[0] = 2;
/// second.commit();
/// assert!(rx.try_recv().is_none()); // held back by `first`, reserved earlier
/// drop(first);                      // discarded
/// assert_eq!(&*rx.try_recv().unwrap(), [2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Grant<'a> {
    sender: &'a Sender,
    /// Byte offset of the record's header, in `0..size`; the payload follows it.
    offset: usize,
    /// Payload length.
    len: usize,
}

impl Grant<'_> {
    /// Publishes the record to the receiver.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = picoring::mpsc::channel(4096)?;
    /// let mut grant = tx.reserve(2)?;
    /// grant.copy_from_slice(b"ok");
    /// grant.commit();
    /// assert_eq!(&*rx.try_recv().unwrap(), b"ok");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn commit(self) {
        let shared = &*self.sender.shared;
        // SAFETY: the payload bytes are ours; the only reference into them was `self`'s.
        unsafe { shared.buf.mirror_range(self.offset + HEADER, self.len) };
        self.finish(0);
        std::mem::forget(self);
    }

    /// Writes the final header (with `flags`) and wakes the receiver.
    fn finish(&self, flags: u64) {
        let shared = &*self.sender.shared;
        // SAFETY: offset < size and 8-aligned, as `try_reserve` returned it.
        let header = unsafe { shared.buf.header(self.offset) };
        // Release: the payload written through the grant is visible to whoever sees the header.
        header.store(self.len as u64 | PRESENT | flags, Ordering::Release);
        shared.data_ready.notify();
    }
}

impl Deref for Grant<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: the payload (len <= size - 8 bytes from offset + 8 < 2 * size) is inside
        // the mapping, reserved for this grant alone, initialized (zeroed free space).
        unsafe {
            std::slice::from_raw_parts(
                self.sender.shared.buf.as_ptr().add(self.offset + HEADER),
                self.len,
            )
        }
    }
}

impl DerefMut for Grant<'_> {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as for `deref`; `&mut self` makes this the only live reference, and no
        // other record's bytes (in either half) overlap this reservation.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.sender.shared.buf.as_ptr().add(self.offset + HEADER),
                self.len,
            )
        }
    }
}

impl Drop for Grant<'_> {
    fn drop(&mut self) {
        self.finish(DISCARD);
    }
}

impl fmt::Debug for Grant<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grant").field("len", &self.len).finish()
    }
}
