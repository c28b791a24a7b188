//! Zero-copy frame readers for [`PicoByteStream`]: delimited frames and length-prefixed frames.
//!
//! Each reader returns one whole frame as one slice straight out of the mirrored buffer, even
//! when the frame wraps past the physical end, and consumes it. The slice borrows the stream
//! mutably, so nothing can overwrite the frame while the slice lives.

use std::fmt;
use std::io;

use super::PicoByteStream;

/// How a length-prefixed frame announces its payload length: 1, 2 or 4 bytes, big- or
/// little-endian, and the longest payload accepted.
///
/// The prefix counts payload bytes only (not itself). Use the constants, optionally with
/// [`with_max_len`](Self::with_max_len), or [`from_parts`](Self::from_parts) at run time.
///
/// # Examples
///
/// ```
/// use picoring::{LengthPrefix, PicoByteStream};
///
/// let mut stream = PicoByteStream::with_capacity(4096)?;
/// stream.push_slice(&[0, 5]);
/// stream.push_slice(b"hello");
/// assert_eq!(stream.next_frame(LengthPrefix::U16_BE)?, Some(&b"hello"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LengthPrefix {
    /// Prefix width in bytes: 1, 2 or 4.
    width: usize,
    big_endian: bool,
    /// Longest payload accepted; the stream's capacity also bounds it.
    max_len: usize,
}

impl LengthPrefix {
    /// One length byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::{LengthPrefix, PicoByteStream};
    ///
    /// let mut stream = PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(&[3, b'a', b'b', b'c']);
    /// assert_eq!(stream.next_frame(LengthPrefix::U8)?, Some(&b"abc"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const U8: LengthPrefix = LengthPrefix::raw(1, true);
    /// Two length bytes, big-endian (network order).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::{LengthPrefix, PicoByteStream};
    ///
    /// let mut stream = PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(&[0, 2, b'h', b'i']);
    /// assert_eq!(stream.next_frame(LengthPrefix::U16_BE)?, Some(&b"hi"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const U16_BE: LengthPrefix = LengthPrefix::raw(2, true);
    /// Two length bytes, little-endian.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::{LengthPrefix, PicoByteStream};
    ///
    /// let mut stream = PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(&[2, 0, b'h', b'i']);
    /// assert_eq!(stream.next_frame(LengthPrefix::U16_LE)?, Some(&b"hi"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const U16_LE: LengthPrefix = LengthPrefix::raw(2, false);
    /// Four length bytes, big-endian (network order).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::{LengthPrefix, PicoByteStream};
    ///
    /// let mut stream = PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(&[0, 0, 0, 1, b'!']);
    /// assert_eq!(stream.next_frame(LengthPrefix::U32_BE)?, Some(&b"!"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const U32_BE: LengthPrefix = LengthPrefix::raw(4, true);
    /// Four length bytes, little-endian.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::{LengthPrefix, PicoByteStream};
    ///
    /// let mut stream = PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(&[1, 0, 0, 0, b'!']);
    /// assert_eq!(stream.next_frame(LengthPrefix::U32_LE)?, Some(&b"!"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const U32_LE: LengthPrefix = LengthPrefix::raw(4, false);

    const fn raw(width: usize, big_endian: bool) -> Self {
        LengthPrefix {
            width,
            big_endian,
            max_len: usize::MAX,
        }
    }

    /// A prefix of `width` bytes (1, 2 or 4) in the given byte order; `None` for other widths.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::LengthPrefix;
    ///
    /// assert_eq!(LengthPrefix::from_parts(4, false), Some(LengthPrefix::U32_LE));
    /// assert_eq!(LengthPrefix::from_parts(3, true), None);
    /// ```
    pub const fn from_parts(width: usize, big_endian: bool) -> Option<Self> {
        match width {
            1 | 2 | 4 => Some(LengthPrefix::raw(width, big_endian)),
            _ => None,
        }
    }

    /// The same prefix, refusing payloads longer than `max_len` with [`FrameError::TooLong`].
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::{FrameError, LengthPrefix, PicoByteStream};
    ///
    /// let mut stream = PicoByteStream::with_capacity(4096)?;
    /// stream.push_slice(&[200]);
    /// let err = stream.next_frame(LengthPrefix::U8.with_max_len(100)).unwrap_err();
    /// assert_eq!(err, FrameError::TooLong { len: 200, max: 100 });
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub const fn with_max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len;
        self
    }

    /// Prefix width in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(picoring::LengthPrefix::U16_LE.width(), 2);
    /// ```
    pub const fn width(&self) -> usize {
        self.width
    }

    /// Whether the prefix is big-endian.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(picoring::LengthPrefix::U32_BE.is_big_endian());
    /// ```
    pub const fn is_big_endian(&self) -> bool {
        self.big_endian
    }

    /// The longest payload accepted (`usize::MAX` unless set with
    /// [`with_max_len`](Self::with_max_len)).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(picoring::LengthPrefix::U8.with_max_len(9).max_len(), 9);
    /// ```
    pub const fn max_len(&self) -> usize {
        self.max_len
    }

    /// Decodes the payload length from the first `width` bytes of `bytes`.
    pub(super) fn decode(&self, bytes: &[u8]) -> usize {
        let mut buf = [0u8; 4];
        let prefix = &bytes[..self.width];
        let value = if self.big_endian {
            buf[4 - self.width..].copy_from_slice(prefix);
            u32::from_be_bytes(buf)
        } else {
            buf[..self.width].copy_from_slice(prefix);
            u32::from_le_bytes(buf)
        };
        usize::try_from(value).unwrap_or(usize::MAX)
    }
}

/// A length-prefixed frame that can never be read.
///
/// The stream is left unchanged, so the same error comes back until the caller discards data
/// (usually by dropping the connection and calling [`PicoByteStream::clear`]).
///
/// # Examples
///
/// ```
/// use picoring::{FrameError, LengthPrefix, PicoByteStream};
///
/// let mut stream = PicoByteStream::with_capacity(4096)?;
/// let cap = stream.capacity();
/// stream.push_slice(&u32::MAX.to_be_bytes());
/// let err = stream.next_frame(LengthPrefix::U32_BE).unwrap_err();
/// assert_eq!(err, FrameError::TooLong { len: u32::MAX as usize, max: cap - 4 });
/// assert_eq!(stream.len(), 4);
/// # Ok::<(), picoring::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The prefix announces `len` payload bytes, more than the `max` that can be accepted:
    /// the prefix's [`max_len`](LengthPrefix::max_len), or what fits in the stream beside the
    /// prefix, whichever is smaller.
    TooLong {
        /// The payload length the prefix announced.
        len: usize,
        /// The longest payload accepted.
        max: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLong { len, max } => {
                write!(f, "frame of {len} bytes exceeds the maximum of {max} bytes")
            }
        }
    }
}

impl std::error::Error for FrameError {}

impl From<FrameError> for io::Error {
    fn from(err: FrameError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, err)
    }
}

impl PicoByteStream {
    /// Consumes and returns the next frame ending with `delim`, delimiter included, as one
    /// contiguous slice; `None` when no complete frame is readable yet.
    ///
    /// A search that finds nothing remembers how far it looked, so polling after each small
    /// write costs only the new bytes. A frame longer than the capacity can never complete:
    /// when this returns `None` and [`free_len`](Self::free_len) is 0, the
    /// caller must discard data.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(b"a;bc;d");
    /// assert_eq!(stream.read_until(b';'), Some(&b"a;"[..]));
    /// assert_eq!(stream.read_until(b';'), Some(&b"bc;"[..]));
    /// assert_eq!(stream.read_until(b';'), None);
    /// assert_eq!(stream.readable(), b"d");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn read_until(&mut self, delim: u8) -> Option<&[u8]> {
        let data = self.ring.readable();
        let len = data.len();
        let from = if self.searched_for == delim {
            self.searched
        } else {
            0
        };
        match find_byte(&data[from..], delim) {
            Some(i) => Some(self.take(from + i + 1)),
            None => {
                self.searched = len;
                self.searched_for = delim;
                None
            }
        }
    }

    /// Consumes and returns the next line, `b'\n'` included, as one contiguous slice; `None`
    /// when no complete line is readable yet. `read_until(b'\n')`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(b"GET / HTTP/1.1\r\nHost: x\r\n");
    /// let request_line = stream.next_line().unwrap();
    /// assert_eq!(request_line, b"GET / HTTP/1.1\r\n");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn next_line(&mut self) -> Option<&[u8]> {
        self.read_until(b'\n')
    }

    /// Consumes the next length-prefixed frame and returns its payload (without the prefix) as
    /// one contiguous slice; `Ok(None)` when the frame is not complete yet.
    ///
    /// # Errors
    ///
    /// [`FrameError::TooLong`] when the prefix announces more than `prefix.max_len()` or more
    /// than fits in the stream beside the prefix; such a frame could never complete. The stream
    /// is left unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::{LengthPrefix, PicoByteStream};
    ///
    /// let mut stream = PicoByteStream::with_capacity(64)?;
    /// stream.push_slice(&[3, 0, 0, 0]);
    /// stream.push_slice(b"ab");
    /// assert_eq!(stream.next_frame(LengthPrefix::U32_LE)?, None); // one byte missing
    /// stream.push_slice(b"c");
    /// assert_eq!(stream.next_frame(LengthPrefix::U32_LE)?, Some(&b"abc"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_frame(&mut self, prefix: LengthPrefix) -> Result<Option<&[u8]>, FrameError> {
        let data = self.ring.readable();
        if data.len() < prefix.width {
            return Ok(None);
        }
        let len = prefix.decode(data);
        let max = prefix
            .max_len
            .min(self.capacity().saturating_sub(prefix.width));
        if len > max {
            return Err(FrameError::TooLong { len, max });
        }
        let total = prefix.width + len;
        if data.len() < total {
            return Ok(None);
        }
        Ok(Some(&self.take(total)[prefix.width..]))
    }
}

/// Index of the first `needle` in `haystack`.
///
/// Eight bytes at a time: after XOR with the repeated needle, a matching byte is zero, and
/// `(w - 0x01..01) & !w & 0x80..80` flags zero bytes. Only bytes above a true zero can be
/// flagged falsely, so the lowest flag (first in memory, little-endian) is always a real match.
pub(super) fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    const LOW_BITS: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let repeated = LOW_BITS * u64::from(needle);
    let mut words = haystack.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let word = u64::from_le_bytes(bytes) ^ repeated;
        let zeros = word.wrapping_sub(LOW_BITS) & !word & HIGH_BITS;
        if zeros != 0 {
            return Some(offset + (zeros.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|i| offset + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_byte_agrees_with_position() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for len in 0..200 {
            let hay: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    [0x00, 0x01, 0x0A, 0x7F, 0x80, 0xFE, 0xFF][(state % 7) as usize]
                })
                .collect();
            for needle in [0x00, 0x01, 0x0A, 0x0B, 0x7F, 0x80, 0xFE, 0xFF] {
                assert_eq!(
                    find_byte(&hay, needle),
                    hay.iter().position(|&b| b == needle)
                );
            }
        }
    }

    #[test]
    fn decode_all_widths_and_orders() {
        let bytes = [0x01, 0x02, 0x03, 0x04];
        assert_eq!(LengthPrefix::U8.decode(&bytes), 0x01);
        assert_eq!(LengthPrefix::U16_BE.decode(&bytes), 0x0102);
        assert_eq!(LengthPrefix::U16_LE.decode(&bytes), 0x0201);
        assert_eq!(LengthPrefix::U32_BE.decode(&bytes), 0x0102_0304);
        assert_eq!(LengthPrefix::U32_LE.decode(&bytes), 0x0403_0201);
    }
}
