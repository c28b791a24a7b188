//! The async send (the `async` feature): [`Sender::send_async`], which waits for room as
//! [`Sender::send`] does, but by returning `Pending`. The sender is the only task that waits
//! on `space_ready`, so the [`Signal`](crate::sync::Signal)'s one task slot is enough: every
//! reader that moves on, releases a pin or leaves wakes it there.

use std::future::poll_fn;

use super::super::{frame_size, SendError};
use super::Sender;
use crate::sync::Arc;

impl Sender {
    /// Sends one record, waiting asynchronously while there is no room (lossless: for the
    /// slowest reader; lossy: only for a reader holding a record about to be overwritten).
    /// Runtime-agnostic. Dropping the future before it completes sends nothing.
    ///
    /// # Errors
    ///
    /// [`SendError::TooLarge`] as for [`send`](Self::send).
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
    /// futures::executor::block_on(async {
    ///     for _ in 0..100 {
    ///         tx.send_async(&[1; 100]).await?; // pending while the ring is full
    ///     }
    ///     Ok::<(), broadcast::SendError>(())
    /// })?;
    /// assert_eq!(reader.join().unwrap(), 10_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub async fn send_async(&mut self, record: &[u8]) -> Result<(), SendError> {
        if record.len() > self.shared.max_record_len() {
            return Err(SendError::TooLarge);
        }
        let need = frame_size(record.len());
        if self.head + need > self.limit {
            if self.shared.lossy {
                self.evict(need);
            }
            let shared = Arc::clone(&self.shared);
            poll_fn(|cx| {
                shared
                    .space_ready
                    .poll_until(cx, || self.room_for(need).then_some(()))
            })
            .await;
        }
        // There is room now: this writes without looking at the readers again. (Not `write`
        // itself, which then stays inlined into its one caller, the blocking sends' path.)
        self.send_until(record, None)
    }
}
