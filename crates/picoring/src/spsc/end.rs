//! [`End`]: what the [`Producer`](super::Producer) and the [`Consumer`](super::Consumer) have
//! in common, written once: the shared state, the end's own position and its cached view of the
//! other end's, the query/wait/poll code built on them, `Drop` and `Debug`; and
//! [`end_methods!`], the public methods both ends have with the same body (each end keeps its
//! own docs).

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use super::{Shared, Side, WaitError};
use crate::sync::Arc;

/// Which end an [`End`] is, known at compile time, so that the `match`es on the [`Side`] in the
/// shared code fold away and each end's fast path is the code it would have on its own.
pub(super) trait EndSide {
    const SIDE: Side;
}

/// The producer's [`EndSide`].
pub(super) enum ProducerSide {}

/// The consumer's [`EndSide`].
pub(super) enum ConsumerSide {}

impl EndSide for ProducerSide {
    const SIDE: Side = Side::Producer;
}

impl EndSide for ConsumerSide {
    const SIDE: Side = Side::Consumer;
}

/// One end of a split ring, without what only that end has.
pub(super) struct End<T, S: EndSide> {
    pub(super) shared: Arc<Shared<T>>,
    /// Our own position: the producer's `tail` or the consumer's `head`, always equal to that
    /// field of `shared`, which only we write.
    pub(super) pos: usize,
    /// The other end's position as last read. Stale but never ahead of the real one, so what
    /// we compute from it (free slots for the producer, queued elements for the consumer) is a
    /// lower bound; resynchronized when it says "none".
    pub(super) cached_peer: usize,
    /// Pending polls in a row that handed the task back to the executor without registering
    /// its waker (see `YIELDS_BEFORE_REGISTER`).
    #[cfg(feature = "async")]
    idle_polls: u8,
    _side: PhantomData<S>,
}

impl<T, S: EndSide> End<T, S> {
    pub(super) fn new(shared: Arc<Shared<T>>, pos: usize, peer: usize) -> Self {
        End {
            shared,
            pos,
            cached_peer: peer,
            #[cfg(feature = "async")]
            idle_polls: 0,
            _side: PhantomData,
        }
    }

    /// What we can take (free slots, queued elements), reading the other end's position only
    /// when the cached one shows fewer than `want`.
    #[inline(always)]
    pub(super) fn available_at_least(&mut self, want: usize) -> usize {
        let shared = &*self.shared;
        let n = shared.available(S::SIDE, self.pos, self.cached_peer);
        if n >= want {
            return n;
        }
        // After an async close the producer's cached view says "full" (see `Producer::close`),
        // so every push comes here and is refused, at no cost to the fast path above.
        #[cfg(feature = "async")]
        if self.is_closed() {
            return 0;
        }
        self.cached_peer = shared.peer_position(S::SIDE);
        shared.available(S::SIDE, self.pos, self.cached_peer)
    }

    /// Whether this end was closed before dropping, which only the producer does (through
    /// `AsyncWrite::poll_close`, see `Producer::close`); only this end clears its flag before it
    /// drops.
    #[cfg(feature = "async")]
    #[inline(always)]
    pub(super) fn is_closed(&self) -> bool {
        matches!(S::SIDE, Side::Producer)
            && !self
                .shared
                .alive(S::SIDE)
                .load(crate::sync::Ordering::Relaxed)
    }

    /// Whether the other end was dropped (or, for the producer, closed).
    pub(super) fn is_abandoned(&self) -> bool {
        self.shared.is_abandoned(S::SIDE)
    }

    /// The blocking wait of both ends (`wait_writable`, `wait_readable`): see their docs.
    pub(super) fn wait(
        &mut self,
        min: usize,
        timeout: Option<Duration>,
    ) -> Result<usize, WaitError> {
        let min = min.min(self.shared.cap);
        let n = self.available_at_least(min);
        if n >= min {
            return Ok(n);
        }
        #[cfg(feature = "async")]
        if self.is_closed() {
            return Err(WaitError::Disconnected);
        }
        let (outcome, peer) = self.shared.wait(S::SIDE, self.pos, min, timeout);
        self.cached_peer = peer;
        outcome
    }

    /// The async form of `wait(1, None)`: `Ready` with the count available, or with
    /// `Disconnected` once nothing is and the other end is gone (for the consumer: the producer
    /// gone or closed, the ring empty); otherwise the task's waker is registered and the other
    /// end's next publish or release (or drop) wakes it.
    #[cfg(feature = "async")]
    pub(super) fn poll(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<usize, WaitError>> {
        let n = self.available_at_least(1);
        if n >= 1 {
            self.idle_polls = 0;
            return std::task::Poll::Ready(Ok(n));
        }
        let (outcome, peer) = self
            .shared
            .poll(S::SIDE, self.pos, &mut self.idle_polls, cx);
        self.cached_peer = peer;
        outcome
    }
}

impl<T, S: EndSide> Drop for End<T, S> {
    fn drop(&mut self) {
        self.shared.end_dropped(S::SIDE);
    }
}

impl<T, S: EndSide> fmt::Debug for End<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt_end(S::SIDE, self.pos, f)
    }
}

/// The public methods with the same body on both ends, which hold their [`End`] in a field
/// `end`; each end writes its own docs before each method's name, in the order it wants them:
/// `fn capacity;`, `fn backend;`, `fn is_abandoned;` and its blocking wait,
/// `fn wait_writable(min, timeout);` or `fn wait_readable(min, timeout);`. `Backend`,
/// `Duration` and `WaitError` are the caller's imports (its docs link them).
macro_rules! end_methods {
    () => {};
    ($(#[$doc:meta])* fn capacity; $($rest:tt)*) => {
        $(#[$doc])*
        #[inline]
        pub fn capacity(&self) -> usize {
            self.end.shared.cap
        }
        $crate::spsc::end::end_methods! { $($rest)* }
    };
    ($(#[$doc:meta])* fn backend; $($rest:tt)*) => {
        $(#[$doc])*
        pub fn backend(&self) -> Backend {
            self.end.shared.backend()
        }
        $crate::spsc::end::end_methods! { $($rest)* }
    };
    ($(#[$doc:meta])* fn is_abandoned; $($rest:tt)*) => {
        $(#[$doc])*
        pub fn is_abandoned(&self) -> bool {
            self.end.is_abandoned()
        }
        $crate::spsc::end::end_methods! { $($rest)* }
    };
    ($(#[$doc:meta])* fn $wait:ident(min, timeout); $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $wait(
            &mut self,
            min: usize,
            timeout: Option<Duration>,
        ) -> Result<usize, WaitError> {
            self.end.wait(min, timeout)
        }
        $crate::spsc::end::end_methods! { $($rest)* }
    };
}
pub(super) use end_methods;
