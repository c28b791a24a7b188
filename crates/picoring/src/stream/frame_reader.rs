//! [`FrameReader`]: lines, delimited chunks and length-prefixed frames from any tokio reader
//! (the `tokio` feature), received straight into a [`PicoByteStream`]'s free space and
//! returned as slices of it.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;

use tokio::io::{AsyncRead, ReadBuf};

use super::{find_byte, FrameError, LengthPrefix, PicoByteStream};
use crate::Error;

/// Reads frames from a [`tokio::io::AsyncRead`] (a `TcpStream`, a `UnixStream`, ...) with no
/// copy: the reader's bytes land in the free space of a [`PicoByteStream`], and each call
/// returns the next whole line, delimited chunk or length-prefixed frame as one `&[u8]`
/// borrowed from it, contiguous even across the ring's wrap.
///
/// The slice borrows the `FrameReader`, so it is gone before the next call reads more (the
/// borrow checker sees to it). A frame longer than [`max_len`](Self::max_len) (by default
/// the capacity) is an [`io::ErrorKind::InvalidData`] error, and one cut short by the end of
/// the stream an [`io::ErrorKind::UnexpectedEof`] error; either leaves the buffered bytes
/// where they are ([`buffered`](Self::buffered)). `Ok(None)` is a clean end of stream.
///
/// Which to pick: `FrameReader` when frames are parsed where they lie (a `&[u8]` per frame,
/// no allocation); `tokio_util::codec` when each frame must become an owned `Bytes`/`String`
/// handed to other tasks (a codec copies it out anyway).
///
/// # Examples
///
/// ```
/// use picoring::{FrameReader, LengthPrefix};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let input: &[u8] = b"PING\r\nPONG\r\n\x00\x03abc";
/// let mut frames = FrameReader::new(input, 4096)?; // any tokio AsyncRead
/// assert_eq!(frames.next_line().await?, Some(&b"PING\r\n"[..]));
/// assert_eq!(frames.next_until(b'\n').await?, Some(&b"PONG\r\n"[..]));
/// assert_eq!(frames.next_frame(LengthPrefix::U16_BE).await?, Some(&b"abc"[..]));
/// assert_eq!(frames.next_line().await?, None); // the end of the stream
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FrameReader<R> {
    reader: R,
    stream: PicoByteStream,
    max_len: usize,
    /// The reader reported the end of the stream.
    eof: bool,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// Reads from `reader` into a stream of at least `capacity` bytes (rounded up to whole
    /// pages), which is also the longest frame accepted.
    ///
    /// # Errors
    ///
    /// As for [`PicoByteStream::with_capacity`].
    ///
    /// # Examples
    ///
    /// ```
    /// let frames = picoring::FrameReader::new(tokio::io::empty(), 1 << 16)?;
    /// assert!(frames.max_len() >= 1 << 16);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn new(reader: R, capacity: usize) -> Result<Self, Error> {
        let stream = PicoByteStream::with_capacity(capacity)?;
        let max_len = stream.capacity();
        Ok(FrameReader {
            reader,
            stream,
            max_len,
            eof: false,
        })
    }

    /// The same reader, accepting frames of at most `max_len` bytes (never more than the
    /// capacity): a line or delimited chunk counts its delimiter, a length-prefixed frame its
    /// payload.
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let input: &[u8] = b"a line that is far too long\n";
    /// let mut frames = picoring::FrameReader::new(input, 4096)?.with_max_len(8);
    /// let err = frames.next_line().await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    /// assert_eq!(frames.buffered(), input); // nothing was dropped
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len.min(self.stream.capacity());
        self
    }

    /// The longest frame accepted.
    ///
    /// # Examples
    ///
    /// ```
    /// let frames = picoring::FrameReader::new(tokio::io::empty(), 4096)?.with_max_len(100);
    /// assert_eq!(frames.max_len(), 100);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The bytes received and not returned yet.
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let input: &[u8] = b"one\ntw";
    /// let mut frames = picoring::FrameReader::new(input, 4096)?;
    /// frames.next_line().await?;
    /// assert_eq!(frames.buffered(), b"tw");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn buffered(&self) -> &[u8] {
        self.stream.readable()
    }

    /// The reader underneath.
    ///
    /// # Examples
    ///
    /// ```
    /// let frames = picoring::FrameReader::new(tokio::io::empty(), 4096)?;
    /// let _reader: &tokio::io::Empty = frames.get_ref();
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The reader underneath, mutably (reading from it directly skips the buffered bytes).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut frames = picoring::FrameReader::new(tokio::io::empty(), 4096)?;
    /// let _reader: &mut tokio::io::Empty = frames.get_mut();
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The reader and the stream with the bytes received and not returned yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let frames = picoring::FrameReader::new(tokio::io::empty(), 4096)?;
    /// let (_reader, stream) = frames.into_parts();
    /// assert!(stream.is_empty());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn into_parts(self) -> (R, PicoByteStream) {
        (self.reader, self.stream)
    }

    /// The next line, `b'\n'` included; `Ok(None)` at the end of the stream.
    ///
    /// # Errors
    ///
    /// As [`next_until`](Self::next_until).
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let input: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    /// let mut request = picoring::FrameReader::new(input, 4096)?;
    /// let mut headers = 0;
    /// while let Some(line) = request.next_line().await? {
    ///     if line == b"\r\n" {
    ///         break;
    ///     }
    ///     headers += 1;
    /// }
    /// assert_eq!(headers, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        self.next_until(b'\n').await
    }

    /// The next chunk ending with `delim`, delimiter included; `Ok(None)` at the end of the
    /// stream.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidData`] when no `delim` comes within
    /// [`max_len`](Self::max_len) bytes; [`io::ErrorKind::UnexpectedEof`] when the stream
    /// ends inside a chunk; the reader's own errors. The buffered bytes stay.
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let input: &[u8] = b"a;bc;d";
    /// let mut chunks = picoring::FrameReader::new(input, 4096)?;
    /// assert_eq!(chunks.next_until(b';').await?, Some(&b"a;"[..]));
    /// assert_eq!(chunks.next_until(b';').await?, Some(&b"bc;"[..]));
    /// let err = chunks.next_until(b';').await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof); // "d" has no ';'
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn next_until(&mut self, delim: u8) -> io::Result<Option<&[u8]>> {
        let mut searched = 0;
        let end = loop {
            let data = self.stream.readable();
            let window = data.len().min(self.max_len);
            if let Some(i) = find_byte(&data[searched..window], delim) {
                break searched + i + 1;
            }
            searched = window;
            if data.len() >= self.max_len {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("no delimiter within the first {} bytes", self.max_len),
                ));
            }
            if !self.fill().await? {
                return self.end_of_stream();
            }
        };
        Ok(Some(self.stream.take(end)))
    }

    /// The payload of the next length-prefixed frame; `Ok(None)` at the end of the stream.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidData`] (from [`FrameError::TooLong`]) when the prefix
    /// announces more than [`max_len`](Self::max_len), the prefix's own maximum or what
    /// fits in the stream; [`io::ErrorKind::UnexpectedEof`] when the stream ends inside a
    /// frame; the reader's own errors. The buffered bytes stay.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::{FrameReader, LengthPrefix};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let input: &[u8] = &[2, b'h', b'i', 200, 0];
    /// let mut frames = FrameReader::new(input, 4096)?.with_max_len(100);
    /// assert_eq!(frames.next_frame(LengthPrefix::U8).await?, Some(&b"hi"[..]));
    /// let err = frames.next_frame(LengthPrefix::U8).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData); // 200 > 100
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn next_frame(&mut self, prefix: LengthPrefix) -> io::Result<Option<&[u8]>> {
        let prefix = prefix.with_max_len(prefix.max_len().min(self.max_len));
        let width = prefix.width();
        loop {
            let data = self.stream.readable();
            if data.len() >= width {
                let len = prefix.decode(data);
                let max = prefix
                    .max_len()
                    .min(self.stream.capacity().saturating_sub(width));
                if len > max {
                    return Err(FrameError::TooLong { len, max }.into());
                }
                if data.len() - width >= len {
                    break;
                }
            }
            if !self.fill().await? {
                return self.end_of_stream();
            }
        }
        // Complete: the stream's own reader takes it.
        Ok(self.stream.next_frame(prefix)?)
    }

    /// `Ok(None)` at a clean end, `UnexpectedEof` inside a frame.
    fn end_of_stream<T>(&self) -> io::Result<Option<T>> {
        if self.stream.is_empty() {
            Ok(None)
        } else {
            Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the stream ended inside a frame ({} bytes buffered)",
                    self.stream.len()
                ),
            ))
        }
    }

    /// Reads once into the free space; `false` at the end of the stream.
    async fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let FrameReader { reader, stream, .. } = self;
        let free = stream.writable();
        if free.is_empty() {
            // Unreachable while frames are at most the capacity; an empty buffer would read
            // as the end of the stream.
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the stream is full",
            ));
        }
        let mut buf = ReadBuf::new(free);
        poll_fn(|cx| Pin::new(&mut *reader).poll_read(cx, &mut buf)).await?;
        let n = buf.filled().len();
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        self.stream.commit(n);
        Ok(true)
    }
}
