//! `futures-io` on the byte ends (the `async` feature): the async twins of `io.rs`.
//!
//! Why `futures-io` by default: it is runtime-agnostic (async-std, smol,
//! `futures::executor`, embassy-style executors all use it), a tiny dependency with no
//! transitive ones. tokio's own traits come with the `tokio` feature (`tokio_io.rs`: tokio's
//! trait definitions only, no runtime), so tokio users need no `compat` shim.
//!
//! Wakers ride on the same `Signal` as the blocking waits: a pending task
//! registers its waker as a waiter before re-checking the ring, and the other end's publish,
//! release or drop wakes it; the fast path of every push and pop stays one fence and one load.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};

use super::{Consumer, Producer};

/// The bodies of the async trait impls, shared by this module's `futures-io` ones and
/// `tokio_io.rs`'s tokio ones.
impl Consumer<u8> {
    /// `poll_read`: pending until at least one byte is queued, then `read` takes what fits and
    /// its count is returned; 0 (end of file) once the ring is empty and the producer dropped or
    /// closed, and at once when `want` (the room in the caller's buffer) is 0.
    pub(super) fn poll_read_with(
        &mut self,
        cx: &mut Context<'_>,
        want: usize,
        read: impl FnOnce(&mut Self) -> usize,
    ) -> Poll<usize> {
        if want == 0 {
            return Poll::Ready(0);
        }
        match self.end.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(_)) => Poll::Ready(read(self)),
            Poll::Ready(Err(_)) => Poll::Ready(0),
        }
    }

    /// `poll_fill_buf`: pending like [`poll_read_with`](Self::poll_read_with), then everything
    /// queued as one contiguous slice (empty at end of file).
    pub(super) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        match self.end.poll(cx) {
            Poll::Pending => Poll::Pending,
            // On disconnection with nothing queued, `readable` is empty: end of file.
            Poll::Ready(_) => Poll::Ready(Ok(self.readable())),
        }
    }
}

impl Producer<u8> {
    /// `poll_write`: pending until at least one byte fits, then writes what fits; fails with
    /// [`io::ErrorKind::BrokenPipe`] once the consumer is dropped, or after
    /// [`close`](Self::close) (then with the message `closed`).
    pub(super) fn poll_write_from(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
        closed: &'static str,
    ) -> Poll<io::Result<usize>> {
        if self.end.is_closed() {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::BrokenPipe, closed)));
        }
        if self.is_abandoned() {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        match self.end.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(_)) => Poll::Ready(Ok(self.push_slice(buf))),
            Poll::Ready(Err(_)) => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
        }
    }
}

/// Pending until at least one byte is queued, then reads what is there; `Ok(0)` (end of file)
/// once the ring is empty and the producer is dropped or closed.
///
/// # Examples
///
/// ```
/// use futures::executor::block_on;
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use std::thread;
///
/// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(4096)?;
/// let writer = thread::spawn(move || block_on(tx.write_all(&[7u8; 100_000])));
/// let mut all = Vec::new();
/// block_on(rx.read_to_end(&mut all))?; // ends when the writer is done and drops `tx`
/// writer.join().unwrap()?;
/// assert_eq!(all, vec![7u8; 100_000]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
impl AsyncRead for Consumer<u8> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let want = buf.len();
        self.get_mut()
            .poll_read_with(cx, want, |rx| rx.pop_slice(buf))
            .map(Ok)
    }
}

async_impl! {
    /// `poll_fill_buf` is pending like `poll_read`, then returns everything queued as one
    /// contiguous slice (empty at end of file).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use futures::io::{AsyncBufReadExt, AsyncWriteExt};
    ///
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(64)?;
    /// block_on(async {
    ///     tx.write_all(b"one\ntwo\n").await?;
    ///     tx.close().await?; // end of file for the reader, as dropping `tx` would be
    ///     let mut line = String::new();
    ///     rx.read_line(&mut line).await?;
    ///     assert_eq!(line, "one\n");
    ///     assert_eq!(rx.fill_buf().await?, b"two\n");
    ///     rx.consume_unpin(4);
    ///     assert_eq!(rx.fill_buf().await?, b"");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    AsyncBufRead
}

async_impl! {
    /// Pending until at least one byte fits, then writes what fits; fails with
    /// [`io::ErrorKind::BrokenPipe`] once the consumer is dropped, or after `poll_close`.
    /// Every write is published at once, so `poll_flush` has nothing to do; `poll_close` makes
    /// the reader see end of file after the queued bytes, as dropping the producer does, and
    /// the producer refuses everything after it: `push` gives the value back, `push_slice` and
    /// `commit` take nothing, `writable` is empty, and the blocking waits and `std::io::Write`
    /// report the disconnection.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// use std::io::ErrorKind;
    ///
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(64)?;
    /// block_on(async {
    ///     tx.write_all(b"bytes").await?;
    ///     tx.flush().await?;
    ///     let mut got = [0u8; 5];
    ///     rx.read_exact(&mut got).await?;
    ///     assert_eq!(&got, b"bytes");
    ///     drop(rx);
    ///     let err = tx.write(b"more").await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    AsyncWrite, poll_close, "write on a closed ring producer"
}

/// The impls that are the same for `futures-io` and tokio but for the trait's path (the
/// caller's import), with the attributes (docs) to put on them: `AsyncBufRead` on the consumer,
/// and `AsyncWrite` on the producer, whose last method is `poll_close` in one and
/// `poll_shutdown` in the other, followed by the message of the error on a write after it.
/// `Consumer`, `Producer`, `Pin`, `Context`, `Poll` and `io` are the caller's imports.
macro_rules! async_impl {
    ($(#[$attr:meta])* AsyncBufRead) => {
        $(#[$attr])*
        impl AsyncBufRead for Consumer<u8> {
            fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
                self.get_mut().poll_fill(cx)
            }

            fn consume(self: Pin<&mut Self>, amt: usize) {
                Consumer::consume(self.get_mut(), amt);
            }
        }
    };
    ($(#[$attr:meta])* AsyncWrite, $close:ident, $closed:literal) => {
        $(#[$attr])*
        impl AsyncWrite for Producer<u8> {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().poll_write_from(cx, buf, $closed)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn $close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().close();
                Poll::Ready(Ok(()))
            }
        }
    };
}
pub(super) use async_impl;
