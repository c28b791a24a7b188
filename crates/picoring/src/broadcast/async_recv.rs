//! Async receives (the `async` feature): [`Receiver::recv_async`] and
//! [`Receiver::peek_async`], runtime-agnostic (plain futures woken through their
//! [`Waker`]s: tokio, `futures::executor`, smol...).
//!
//! Any number of readers may wait at once, so their wakers live in a registry of their own,
//! [`Tasks`], beside the [`Signal`](crate::sync::Signal) the blocking waits sleep on (which
//! holds one task). The handshake is the same Dekker pair: a pending reader registers its
//! waker (raising `count`), issues the heavy fence, then looks for a record again; the sender
//! publishes its head (or clears `sender_alive`), issues the light fence (the one in
//! `data_ready.notify()`, just before it calls [`Tasks::wake`]), then reads `count`. The
//! fences are totally ordered, so either the reader's second look sees the record or the
//! sender sees the registration and wakes it. With no task registered the sender pays one
//! `Relaxed` load per record.

use std::future::poll_fn;
use std::task::{Context, Poll, Waker};

use super::super::RecvError;
use super::{Receiver, Slot};
use crate::sync::{fence_heavy, poll_again_at, Arc, AtomicUsize, Barrier, Mutex, Ordering};

/// The wakers of the readers waiting asynchronously, each with its reader's slot (which
/// identifies the reader, and stays allocated while the entry exists, so no other reader can
/// be mistaken for it).
pub(in crate::broadcast) struct Tasks {
    /// How many entries `list` holds; changed only under its lock, read by the sender without
    /// it.
    count: AtomicUsize,
    list: Mutex<Vec<(Arc<Slot>, Waker)>>,
}

impl Tasks {
    pub(in crate::broadcast) fn new() -> Self {
        Tasks {
            count: AtomicUsize::new(0),
            list: Mutex::new(Vec::new()),
        }
    }

    fn list(&self) -> crate::sync::MutexGuard<'_, Vec<(Arc<Slot>, Waker)>> {
        // A panicking waker clone leaves the list as it was: consistent.
        self.list
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Called by the sender after publishing a record or its drop, and after the light fence
    /// of `data_ready.notify()`: wakes (and unregisters) every waiting task. One `Relaxed`
    /// load when none waits.
    #[inline]
    pub(in crate::broadcast) fn wake(&self) {
        if self.count.load(Ordering::Relaxed) != 0 {
            self.wake_all();
        }
    }

    #[cold]
    fn wake_all(&self) {
        let woken = {
            let mut list = self.list();
            self.count.store(0, Ordering::Relaxed);
            std::mem::take(&mut *list)
        };
        // Outside the lock: a waker may run arbitrary code.
        for (_, waker) in woken {
            waker.wake();
        }
    }

    /// Takes out the entry of the reader owning `slot`, if any: called when the reader drops,
    /// so that readers joining and leaving while no record is sent do not pile up entries.
    /// One `Relaxed` load when no task waits (the reader's own registration, if any, happened
    /// before, so a count of 0 means it was taken already).
    pub(in crate::broadcast) fn forget(&self, slot: &Arc<Slot>) {
        if self.count.load(Ordering::Relaxed) == 0 {
            return;
        }
        let entry = {
            let mut list = self.list();
            let i = list.iter().position(|(s, _)| Arc::ptr_eq(s, slot));
            i.map(|i| {
                self.count.fetch_sub(1, Ordering::Relaxed);
                list.swap_remove(i)
            })
        };
        // Outside the lock: dropping a waker may run arbitrary code.
        drop(entry);
    }

    /// Registers `waker` for the reader owning `slot`; the barrier of the heavy fence if the
    /// registration is new. A reader still registered (not woken since) only swaps in its
    /// current waker: every publish fenced after its first registration's fence is bound to
    /// wake it, since none has taken the entry yet.
    fn register(&self, slot: &Arc<Slot>, waker: &Waker) -> Barrier {
        {
            let mut list = self.list();
            if let Some((_, old)) = list.iter_mut().find(|(s, _)| Arc::ptr_eq(s, slot)) {
                if !old.will_wake(waker) {
                    *old = waker.clone();
                }
                return Barrier::Complete;
            }
            list.push((Arc::clone(slot), waker.clone()));
            self.count.fetch_add(1, Ordering::Relaxed);
        }
        fence_heavy()
    }
}

impl Receiver {
    /// The next record, waiting asynchronously until one is sent: the async twin of
    /// [`recv`](Self::recv). Runtime-agnostic; any number of readers may wait at once, each
    /// woken by the next record or by the sender's drop.
    ///
    /// Dropping the future before it completes loses nothing: the record stays unread.
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
    /// let sender = std::thread::spawn(move || tx.send(b"hi"));
    /// futures::executor::block_on(async {
    ///     assert_eq!(&*rx.recv_async().await?, b"hi");
    ///     assert_eq!(rx.recv_async().await.err(), Some(RecvError::Disconnected));
    ///     Ok::<(), RecvError>(())
    /// })?;
    /// sender.join().unwrap()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub async fn recv_async(&mut self) -> Result<super::Record<'_>, RecvError> {
        let len = poll_fn(|cx| self.poll_next(cx)).await?;
        Ok(super::Record::new(self, len))
    }

    /// The async twin of [`peek`](Self::peek): the next record's bytes, held until
    /// [`consume`](Self::consume), waiting asynchronously for one.
    ///
    /// # Errors
    ///
    /// As for [`recv_async`](Self::recv_async).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::broadcast::{self, Policy};
    ///
    /// let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossless)?;
    /// tx.send(b"one")?;
    /// futures::executor::block_on(async {
    ///     assert_eq!(rx.peek_async().await.unwrap(), b"one");
    ///     assert_eq!(rx.peek_async().await.unwrap(), b"one"); // still held
    /// });
    /// assert!(rx.consume());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub async fn peek_async(&mut self) -> Result<&[u8], RecvError> {
        let len = poll_fn(|cx| self.poll_next(cx)).await?;
        Ok(self.hold(len))
    }

    /// `Ready` with what `next` returns once that is not `Empty`; otherwise registers the
    /// task (see the module docs) and looks again before returning `Pending`.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize, RecvError>> {
        match self.next() {
            Err(RecvError::Empty) => {}
            other => return Poll::Ready(other),
        }
        let barrier = self.shared.tasks.register(&self.slot, cx.waker());
        match self.next() {
            Err(RecvError::Empty) => {
                // While the process switches fence protocols, a publish may reach us without
                // a wakeup: look again once the switch has settled.
                if let Barrier::Settling(settled) = barrier {
                    poll_again_at(cx.waker().clone(), settled);
                }
                Poll::Pending
            }
            other => Poll::Ready(other),
        }
    }
}
