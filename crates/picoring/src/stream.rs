//! [`PicoByteStream`]: a byte pipe for parsers, with zero-copy framing and `std::io` traits.

use std::fmt;
use std::io;

use crate::mirror::{Backend, MirrorOptions};
use crate::{Error, PicoRing};

#[cfg(feature = "bytes")]
mod bytes_impl;
#[cfg(feature = "tokio")]
mod frame_reader;
mod framing;

#[cfg(feature = "tokio")]
pub use frame_reader::FrameReader;
#[cfg(feature = "tokio")]
use framing::find_byte;
pub use framing::{FrameError, LengthPrefix};

/// A fixed-capacity FIFO of bytes whose readable bytes are always one contiguous slice.
///
/// Write what arrives ([`push_slice`](Self::push_slice), or [`fill_from`](Self::fill_from)
/// straight from a socket or file), then parse in place: [`readable`](Self::readable) shows every
/// readable byte as one slice, and the framing readers ([`next_line`](Self::next_line),
/// [`read_until`](Self::read_until), [`next_frame`](Self::next_frame)) hand out one whole frame
/// as one slice, with no copy, even when it wraps past the physical end of the buffer.
///
/// Built on [`PicoRing<u8>`]; it also implements [`io::Read`], [`io::Write`] and
/// [`io::BufRead`], and with the `bytes` feature `bytes::Buf` and `bytes::BufMut`.
///
/// The inherent [`read_until`](Self::read_until) takes precedence over
/// [`io::BufRead::read_until`] in method-call syntax; call the trait's version as
/// `io::BufRead::read_until(&mut stream, ..)` or through generic code.
///
/// # Examples
///
/// ```
/// use picoring::PicoByteStream;
///
/// let mut stream = PicoByteStream::with_capacity(4096)?;
/// stream.push_slice(b"PING\r\nPONG\r\npartial");
/// assert_eq!(stream.next_line(), Some(&b"PING\r\n"[..]));
/// assert_eq!(stream.next_line(), Some(&b"PONG\r\n"[..]));
/// assert_eq!(stream.next_line(), None); // "partial" has no newline yet
/// stream.push_slice(b" line\n");
/// assert_eq!(stream.next_line(), Some(&b"partial line\n"[..]));
/// # Ok::<(), picoring::Error>(())
/// ```
pub struct PicoByteStream {
    ring: PicoRing<u8>,
    /// The first `searched` readable bytes hold no `searched_for` byte: a delimiter search that
    /// came back empty-handed resumes there instead of rescanning. `searched <= ring.len()`.
    searched: usize,
    /// The delimiter `searched` refers to.
    searched_for: u8,
}

impl PicoByteStream {
    /// Creates a stream holding at least `capacity` bytes (rounded up to whole pages).
    ///
    /// # Errors
    ///
    /// As for [`PicoRing::with_capacity`].
    ///
    /// # Examples
    ///
    /// ```
    /// let stream = picoring::PicoByteStream::with_capacity(1 << 20)?;
    /// assert!(stream.capacity() >= 1 << 20);
    /// assert!(picoring::PicoByteStream::with_capacity(0).is_err());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn with_capacity(capacity: usize) -> Result<Self, Error> {
        Self::with_options(capacity, &MirrorOptions::default())
    }

    /// Creates a stream holding at least `capacity` bytes, with the given mirror options.
    ///
    /// # Errors
    ///
    /// As for [`PicoRing::with_options`].
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::{Backend, MirrorOptions};
    ///
    /// let opts = MirrorOptions::new().backend(Backend::Software);
    /// let stream = picoring::PicoByteStream::with_options(100, &opts)?;
    /// assert_eq!(stream.backend(), Backend::Software);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn with_options(capacity: usize, options: &MirrorOptions) -> Result<Self, Error> {
        Ok(PicoByteStream {
            ring: PicoRing::with_options(capacity, options)?,
            searched: 0,
            searched_for: 0,
        })
    }

    /// Appends as much of `data` as fits; returns how many bytes went in.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(1)?;
    /// let cap = stream.capacity();
    /// assert_eq!(stream.push_slice(&vec![b'x'; cap + 5]), cap);
    /// assert_eq!(stream.push_slice(b"more"), 0);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn push_slice(&mut self, data: &[u8]) -> usize {
        self.ring.push_slice(data)
    }

    /// Moves as many readable bytes as fit into `out`; returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(b"hello");
    /// let mut out = [0u8; 3];
    /// assert_eq!(stream.pop_slice(&mut out), 3);
    /// assert_eq!(&out, b"hel");
    /// assert_eq!(stream.readable(), b"lo");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn pop_slice(&mut self, out: &mut [u8]) -> usize {
        let n = self.ring.pop_slice(out);
        self.forget_searched(n);
        n
    }

    /// Bytes ready to read (queued).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(b"abc");
    /// assert_eq!(stream.len(), 3);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// Whether no byte is ready to read.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
    /// assert!(stream.is_empty());
    /// stream.push_slice(b"a");
    /// assert!(!stream.is_empty());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// Free bytes: how much the next [`push_slice`](Self::push_slice) can take.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(b"abc");
    /// assert_eq!(stream.free_len(), stream.capacity() - 3);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn free_len(&self) -> usize {
        self.ring.free_len()
    }

    /// Whether the stream holds `capacity()` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(1)?;
    /// stream.push_slice(&vec![0; stream.capacity()]);
    /// assert!(stream.is_full());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn is_full(&self) -> bool {
        self.ring.is_full()
    }

    /// Capacity in bytes: exact, and all of it usable.
    ///
    /// # Examples
    ///
    /// ```
    /// let stream = picoring::PicoByteStream::with_capacity(100)?;
    /// assert_eq!(stream.capacity() % picoring::mirror::granularity(), 0);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// The mirror backend serving this stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::{Backend, MirrorOptions};
    ///
    /// let opts = MirrorOptions::new().backend(Backend::Software);
    /// let stream = picoring::PicoByteStream::with_options(1, &opts)?;
    /// assert_eq!(stream.backend(), Backend::Software);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn backend(&self) -> Backend {
        self.ring.backend()
    }

    /// Every readable byte as one contiguous slice, without consuming it: O(1), wrapped or not.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(1)?;
    /// let cap = stream.capacity();
    /// stream.push_slice(&vec![0; cap - 2]);
    /// stream.consume(cap - 2);
    /// stream.push_slice(b"wraps"); // starts 2 bytes before the physical end
    /// assert_eq!(stream.readable(), b"wraps");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn readable(&self) -> &[u8] {
        self.ring.readable()
    }

    /// Discards up to `n` readable bytes; returns how many (`min(n, len())`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(b"header:body");
    /// let colon = stream.readable().iter().position(|&b| b == b':').unwrap();
    /// assert_eq!(stream.consume(colon + 1), 7);
    /// assert_eq!(stream.readable(), b"body");
    /// assert_eq!(stream.consume(100), 4);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn consume(&mut self, n: usize) -> usize {
        let n = self.ring.consume(n);
        self.forget_searched(n);
        n
    }

    /// Discards every readable byte.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(b"abc");
    /// stream.clear();
    /// assert_eq!(stream.len(), 0);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn clear(&mut self) {
        self.ring.clear();
        self.searched = 0;
    }

    /// All free space as one contiguous mutable slice, to fill in place (for example with a
    /// `read(2)`); publish what was written with [`commit`](Self::commit).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
    /// stream.writable()[..2].copy_from_slice(b"ok");
    /// assert_eq!(stream.commit(2), 2);
    /// assert_eq!(stream.readable(), b"ok");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn writable(&mut self) -> &mut [u8] {
        self.ring.writable()
    }

    /// Publishes up to `n` bytes written through [`writable`](Self::writable); returns how many
    /// (`min(n, free_len())`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(1)?;
    /// let cap = stream.capacity();
    /// assert_eq!(stream.commit(cap + 1), cap);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn commit(&mut self, n: usize) -> usize {
        self.ring.commit(n)
    }

    /// Makes exactly one `read` call on `reader`, into the contiguous free region, and publishes
    /// what it read; returns that count.
    ///
    /// When the stream is full, `reader` is not called and the result is `Ok(0)`; tell that
    /// apart from end-of-file with [`free_len`](Self::free_len).
    ///
    /// # Errors
    ///
    /// Whatever `reader.read` returns, including [`io::ErrorKind::Interrupted`]; the stream is
    /// then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
    /// let mut source: &[u8] = b"from a socket";
    /// assert_eq!(stream.fill_from(&mut source)?, 13);
    /// assert_eq!(stream.readable(), b"from a socket");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fill_from<R: io::Read + ?Sized>(&mut self, reader: &mut R) -> io::Result<usize> {
        let free = self.ring.writable();
        if free.is_empty() {
            return Ok(0);
        }
        let n = reader.read(free)?;
        // `commit` clamps, so a reader claiming more than it was given cannot overrun.
        Ok(self.ring.commit(n))
    }

    /// Makes exactly one `write` call on `writer` with every readable byte (one slice), and
    /// consumes what it accepted; returns that count.
    ///
    /// When the stream is empty, `writer` is not called and the result is `Ok(0)`.
    ///
    /// # Errors
    ///
    /// Whatever `writer.write` returns; the stream is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(b"to a socket");
    /// let mut sink = Vec::new();
    /// assert_eq!(stream.drain_to(&mut sink)?, 11);
    /// assert_eq!(sink, b"to a socket");
    /// assert_eq!(stream.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn drain_to<W: io::Write + ?Sized>(&mut self, writer: &mut W) -> io::Result<usize> {
        let data = self.ring.readable();
        if data.is_empty() {
            return Ok(0);
        }
        let n = writer.write(data)?;
        Ok(self.consume(n))
    }

    /// The underlying ring, read-only (for `iter()`, `get()`, `front()`...).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(b"xy");
    /// assert_eq!(stream.as_ring().front(), Some(&b'x'));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn as_ring(&self) -> &PicoRing<u8> {
        &self.ring
    }

    /// Consumes the first `n <= len()` bytes and returns them as one slice that
    /// borrows the stream, so nothing can overwrite them while it lives.
    fn take(&mut self, n: usize) -> &[u8] {
        self.forget_searched(n);
        self.ring.consume_view(n)
    }

    /// Keeps the delimiter-search memo true after `n` bytes left the front.
    #[inline]
    fn forget_searched(&mut self, n: usize) {
        self.searched = self.searched.saturating_sub(n);
    }
}

impl fmt::Debug for PicoByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PicoByteStream")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// Writes what fits; `Ok(0)` when full (so `write_all` reports `WriteZero`), like `&mut [u8]`.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
/// write!(stream, "{}+{}", 1, 2)?;
/// assert_eq!(stream.readable(), b"1+2");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl io::Write for PicoByteStream {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Writing appends after the searched bytes: the ring's own write leaves the memo true.
        io::Write::write(&mut self.ring, buf)
    }

    #[inline]
    fn flush(&mut self) -> io::Result<()> {
        io::Write::flush(&mut self.ring)
    }
}

/// `fill_buf` returns every readable byte as one slice, wrapped or not.
///
/// # Examples
///
/// ```
/// use std::io::BufRead;
/// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
/// stream.push_slice(b"one\ntwo\n");
/// let lines: Vec<String> = stream.lines().collect::<Result<_, _>>()?;
/// assert_eq!(lines, ["one", "two"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl io::BufRead for PicoByteStream {
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        io::BufRead::fill_buf(&mut self.ring)
    }

    #[inline]
    fn consume(&mut self, amt: usize) {
        PicoByteStream::consume(self, amt);
    }
}

/// Reads what is readable; `Ok(0)` when empty.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
/// stream.push_slice(b"hey");
/// let mut s = String::new();
/// stream.read_to_string(&mut s)?;
/// assert_eq!(s, "hey");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl io::Read for PicoByteStream {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.pop_slice(buf))
    }
}
