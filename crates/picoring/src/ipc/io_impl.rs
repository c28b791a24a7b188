//! `std::io` on the byte ends: they behave like the two ends of a pipe.

use std::io;

use super::{Consumer, Producer};

/// Blocks until at least one byte fits, then writes what fits; fails with
/// [`io::ErrorKind::BrokenPipe`] once the consumer is gone (at once when it released its
/// role; when its process died, once the ring is full and the death is noticed).
///
/// # Examples
///
/// ```
/// # #[cfg(any(target_os = "linux", target_os = "android"))] {
/// use std::io::{ErrorKind, Write};
///
/// let ring = picoring::ipc::SharedRing::<u8>::create(4096)?;
/// let mut tx = ring.producer()?;
/// tx.write_all(b"queued")?;
/// drop(ring.consumer()?);
/// assert_eq!(tx.write(b"lost").unwrap_err().kind(), ErrorKind::BrokenPipe);
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
impl io::Write for Producer<u8> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.consumer_released() {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        self.wait_writable(1, None)?;
        Ok(self.push_slice(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Blocks until at least one byte is queued, then reads what is there; `Ok(0)` (end of file)
/// once the ring is empty and the producer gone.
///
/// # Examples
///
/// ```
/// # #[cfg(any(target_os = "linux", target_os = "android"))] {
/// use std::io::{Read, Write};
///
/// let ring = picoring::ipc::SharedRing::<u8>::create(64)?;
/// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
/// tx.write_all(b"bytes")?;
/// drop(tx);
/// let mut s = String::new();
/// rx.read_to_string(&mut s)?;
/// assert_eq!(s, "bytes");
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
impl io::Read for Consumer<u8> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.wait_readable(1, None) {
            Ok(_) => Ok(self.pop_slice(buf)),
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
            Err(err) => Err(err),
        }
    }
}

/// `fill_buf` blocks like `read`, then returns everything queued as one slice.
///
/// # Examples
///
/// ```
/// # #[cfg(any(target_os = "linux", target_os = "android"))] {
/// use std::io::{BufRead, Write};
///
/// let ring = picoring::ipc::SharedRing::<u8>::create(64)?;
/// let (mut tx, rx) = (ring.producer()?, ring.consumer()?);
/// tx.write_all(b"one\ntwo\n")?;
/// drop(tx);
/// let lines: Vec<String> = rx.lines().collect::<Result<_, _>>()?;
/// assert_eq!(lines, ["one", "two"]);
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
impl io::BufRead for Consumer<u8> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self.wait_readable(1, None) {
            Ok(_) => {}
            // End of stream: `readable` is empty.
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => {}
            Err(err) => return Err(err),
        }
        Ok(self.readable())
    }

    fn consume(&mut self, amt: usize) {
        Consumer::consume(self, amt);
    }
}
