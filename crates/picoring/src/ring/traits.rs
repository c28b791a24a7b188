//! Standard traits of [`PicoRing`]: `Debug`, `Extend`, `IntoIterator` and, for bytes,
//! `std::io::{Read, Write, BufRead}`.

use std::fmt;
use std::io;

use super::PicoRing;

impl<T: fmt::Debug> fmt::Debug for PicoRing<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.readable()).finish()
    }
}

/// Appends every item; when the ring is full, evicts (drops) the oldest elements as
/// [`PicoRing::push_overwrite`] does, so the ring ends holding the latest `capacity()` items.
///
/// # Examples
///
/// ```
/// let mut ring = picoring::PicoRing::<u16>::with_capacity(1)?;
/// let cap = ring.capacity() as u16;
/// ring.extend(0..cap + 5);
/// assert_eq!(ring.front(), Some(&5));
/// # Ok::<(), picoring::Error>(())
/// ```
impl<T> Extend<T> for PicoRing<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for item in iter {
            drop(self.push_overwrite(item));
        }
    }
}

impl<'a, T> IntoIterator for &'a PicoRing<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Writes what fits; `Ok(0)` when full (so `write_all` reports `WriteZero`), like `&mut [u8]`.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// let mut ring = picoring::PicoRing::<u8>::with_capacity(4)?;
/// ring.write_all(b"hi")?;
/// assert_eq!(ring.readable(), b"hi");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl io::Write for PicoRing<u8> {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.push_slice(buf))
    }

    #[inline]
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads what is queued; `Ok(0)` when empty.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// let mut ring = picoring::PicoRing::<u8>::with_capacity(4)?;
/// ring.push_slice(b"hey");
/// let mut s = String::new();
/// ring.read_to_string(&mut s)?;
/// assert_eq!(s, "hey");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl io::Read for PicoRing<u8> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.pop_slice(buf))
    }
}

/// `fill_buf` returns the whole readable region as one slice, wrapped or not.
///
/// # Examples
///
/// ```
/// use std::io::BufRead;
/// let mut ring = picoring::PicoRing::<u8>::with_capacity(4)?;
/// ring.push_slice(b"one\ntwo\n");
/// let lines: Vec<String> = ring.lines().collect::<Result<_, _>>()?;
/// assert_eq!(lines, ["one", "two"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl io::BufRead for PicoRing<u8> {
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(self.readable())
    }

    #[inline]
    fn consume(&mut self, amt: usize) {
        PicoRing::consume(self, amt);
    }
}
