//! `bytes::Buf` and `bytes::BufMut` for [`PicoByteStream`] (feature `bytes`).

use bytes::buf::UninitSlice;
use bytes::{Buf, BufMut};

use super::PicoByteStream;

/// `chunk` is every readable byte as one slice, wrapped or not; `advance` clamps to
/// `remaining()` instead of panicking.
///
/// # Examples
///
/// ```
/// use bytes::Buf;
///
/// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
/// stream.push_slice(&[0, 0, 0, 42, 7]);
/// assert_eq!(stream.get_u32(), 42);
/// assert_eq!(stream.chunk(), &[7]);
/// # Ok::<(), picoring::Error>(())
/// ```
impl Buf for PicoByteStream {
    #[inline]
    fn remaining(&self) -> usize {
        self.len()
    }

    #[inline]
    fn chunk(&self) -> &[u8] {
        self.readable()
    }

    #[inline]
    fn advance(&mut self, cnt: usize) {
        self.consume(cnt);
    }
}

/// `chunk_mut` is all free space as one slice, wrapped or not, so `remaining_mut()` bytes can
/// always be written in one go. Like every fixed-size `BufMut` (`&mut [u8]`), the `put_*`
/// methods panic when the data does not fit: check `remaining_mut()` first.
///
/// # Examples
///
/// ```
/// use bytes::BufMut;
///
/// let mut stream = picoring::PicoByteStream::with_capacity(64)?;
/// stream.put_u16(0xABCD);
/// stream.put_slice(b"hi");
/// assert_eq!(stream.readable(), &[0xAB, 0xCD, b'h', b'i']);
/// # Ok::<(), picoring::Error>(())
/// ```
// SAFETY: `remaining_mut` is the free length and only changes through `advance_mut` or the
// stream's own methods; `chunk_mut` returns exactly that many bytes of writable memory that no
// reader can see until committed; `advance_mut` past the end behaves as `remaining_mut()`
// (commit clamps), and the free region is always initialized memory, so even a caller that
// commits without writing exposes stale bytes, never uninitialized ones.
unsafe impl BufMut for PicoByteStream {
    #[inline]
    fn remaining_mut(&self) -> usize {
        self.free_len()
    }

    #[inline]
    unsafe fn advance_mut(&mut self, cnt: usize) {
        self.commit(cnt);
    }

    #[inline]
    fn chunk_mut(&mut self) -> &mut UninitSlice {
        UninitSlice::new(self.writable())
    }
}
