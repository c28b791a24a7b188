//! tokio's I/O traits on the byte ends (the `tokio` feature): the same behaviour as the
//! `futures-io` impls of the `async` feature, so tokio code needs no `compat` shim.
//!
//! Only tokio's trait definitions are used (no runtime, no default features); any executor
//! polls these ends.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

use super::async_io::async_impl;
use super::{Consumer, Producer};

/// Pending until at least one byte is queued, then reads what is there and fits; nothing
/// (end of file) once the ring is empty and the producer is dropped or shut down.
///
/// # Examples
///
/// ```
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(4096)?;
/// let writer = tokio::spawn(async move { tx.write_all(&[7u8; 100_000]).await });
/// let mut all = Vec::new();
/// rx.read_to_end(&mut all).await?; // ends when the writer is done and drops `tx`
/// writer.await??;
/// assert_eq!(all, vec![7u8; 100_000]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl AsyncRead for Consumer<u8> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let want = buf.remaining();
        let read = |rx: &mut Consumer<u8>| {
            let data = rx.readable();
            let n = data.len().min(want);
            buf.put_slice(&data[..n]);
            rx.consume(n)
        };
        self.get_mut()
            .poll_read_with(cx, want, read)
            .map(|_| Ok(()))
    }
}

async_impl! {
    /// `poll_fill_buf` is pending like `poll_read`, then returns everything queued as one
    /// contiguous slice (empty at end of file).
    ///
    /// # Examples
    ///
    /// ```
    /// use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(64)?;
    /// tx.write_all(b"one\ntwo\n").await?;
    /// tx.shutdown().await?; // end of file for the reader, as dropping `tx` would be
    /// let mut line = String::new();
    /// rx.read_line(&mut line).await?;
    /// assert_eq!(line, "one\n");
    /// assert_eq!(rx.fill_buf().await?, b"two\n");
    /// AsyncBufReadExt::consume(&mut rx, 4);
    /// assert_eq!(rx.fill_buf().await?, b"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    AsyncBufRead
}

async_impl! {
    /// Pending until at least one byte fits, then writes what fits; fails with
    /// [`io::ErrorKind::BrokenPipe`] once the consumer is dropped, or after `poll_shutdown`.
    /// Every write is published at once, so `poll_flush` has nothing to do; `poll_shutdown`
    /// makes the reader see end of file after the queued bytes, as dropping the producer does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(64)?;
    /// tx.write_all(b"bytes").await?;
    /// tx.flush().await?;
    /// let mut got = [0u8; 5];
    /// rx.read_exact(&mut got).await?;
    /// assert_eq!(&got, b"bytes");
    /// drop(rx);
    /// let err = tx.write(b"more").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    AsyncWrite, poll_shutdown, "write on a shut down ring producer"
}
