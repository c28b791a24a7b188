//! `std::io` on the byte ends: they behave like the two ends of a pipe.

use std::io;

use super::{Consumer, Producer};

/// Blocks until at least one byte fits, then writes what fits; fails with
/// [`io::ErrorKind::BrokenPipe`] once the consumer is dropped.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::thread;
///
/// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(4096)?;
/// let writer = thread::spawn(move || tx.write_all(&[1u8; 100_000]));
/// let mut all = Vec::new();
/// rx.read_to_end(&mut all)?; // ends when the writer has finished and dropped `tx`
/// writer.join().unwrap()?;
/// assert_eq!(all.len(), 100_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl io::Write for Producer<u8> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.is_abandoned() || self.wait_writable(1, None).is_err() {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        Ok(self.push_slice(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Blocks until at least one byte is queued, then reads what is there; `Ok(0)` (end of file)
/// once the ring is empty and the producer is dropped.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
///
/// let (mut tx, mut rx) = picoring::spsc::channel::<u8>(64)?;
/// tx.write_all(b"bytes")?;
/// drop(tx);
/// let mut s = String::new();
/// rx.read_to_string(&mut s)?;
/// assert_eq!(s, "bytes");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl io::Read for Consumer<u8> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.wait_readable(1, None).is_err() {
            return Ok(0);
        }
        Ok(self.pop_slice(buf))
    }
}

/// `fill_buf` blocks like `read`, then returns everything queued as one slice.
///
/// # Examples
///
/// ```
/// use std::io::{BufRead, Write};
///
/// let (mut tx, rx) = picoring::spsc::channel::<u8>(64)?;
/// tx.write_all(b"one\ntwo\n")?;
/// drop(tx);
/// let lines: Vec<String> = rx.lines().collect::<Result<_, _>>()?;
/// assert_eq!(lines, ["one", "two"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl io::BufRead for Consumer<u8> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        // On disconnection with nothing queued, `readable` is empty: end of file.
        let _ = self.wait_readable(1, None);
        Ok(self.readable())
    }

    fn consume(&mut self, amt: usize) {
        Consumer::consume(self, amt);
    }
}
