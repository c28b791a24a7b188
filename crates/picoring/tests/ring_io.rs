//! `std::io::{Read, Write, BufRead}` for `PicoRing<u8>`: full and empty behaviour, lines across
//! the wrap point, and `fill_buf` returning the whole wrapped region as one slice; on the default
//! backend and on the software mirror.

use std::io::{self, BufRead, ErrorKind, Read, Write};

use picoring::mirror::MirrorOptions;
use picoring::PicoRing;

mod common;
use common::{backends, Rng};

/// An empty ring whose next byte goes `before_end` bytes before the physical end.
fn ring_positioned(options: &MirrorOptions, before_end: usize) -> PicoRing<u8> {
    let mut ring = PicoRing::<u8>::with_options(1, options).expect("ring");
    let skip = ring.capacity() - before_end;
    ring.write_all(&vec![b'-'; skip]).expect("fits");
    assert_eq!(ring.consume(skip), skip);
    ring
}

#[test]
fn write_when_full_returns_zero_and_write_all_reports_write_zero() {
    for options in backends() {
        let mut ring = ring_positioned(&options, 5);
        let cap = ring.capacity();
        // A partial write takes what fits.
        let data: Vec<u8> = (0..cap + 10).map(|i| i as u8).collect();
        assert_eq!(ring.write(&data).expect("write"), cap);
        assert!(ring.is_full());
        assert_eq!(ring.write(b"more").expect("write when full"), 0);
        assert_eq!(ring.write(b"").expect("empty write"), 0);
        ring.flush().expect("flush");

        // write_all: the part that fits goes in, then WriteZero.
        assert_eq!(ring.consume(3), 3);
        let err = ring.write_all(b"abcdef").expect_err("does not fit");
        assert_eq!(err.kind(), ErrorKind::WriteZero);
        assert!(ring.is_full());
        assert_eq!(&ring.readable()[cap - 3..], b"abc");
        assert_eq!(&ring.readable()[..cap - 3], &data[3..cap]);
    }
}

#[test]
fn read_when_empty_returns_zero_and_read_exact_reports_eof() {
    for options in backends() {
        let mut ring = ring_positioned(&options, 2);
        let mut buf = [0u8; 8];
        assert_eq!(ring.read(&mut buf).expect("read"), 0);
        ring.write_all(b"xyz").expect("fits");
        assert_eq!(ring.read(&mut buf[..2]).expect("read"), 2);
        assert_eq!(&buf[..2], b"xy");
        let err = ring.read_exact(&mut buf).expect_err("only one byte queued");
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        // How much a failed read_exact consumed is unspecified; nothing was invented.
        assert!(ring.len() <= 1);
        assert_eq!(ring.read(&mut []).expect("empty read"), 0);
    }
}

#[test]
fn read_line_across_the_wrap_point() {
    for options in backends() {
        for before_end in [1, 3, 6, 7, 12] {
            let mut ring = ring_positioned(&options, before_end);
            ring.write_all(b"hello\nworld\nrest").expect("fits");
            let mut line = String::new();
            assert_eq!(ring.read_line(&mut line).expect("line"), 6);
            assert_eq!(line, "hello\n");
            line.clear();
            assert_eq!(ring.read_line(&mut line).expect("line"), 6);
            assert_eq!(line, "world\n");
            line.clear();
            // No newline: the rest, then end of stream.
            assert_eq!(ring.read_line(&mut line).expect("line"), 4);
            assert_eq!(line, "rest");
            assert_eq!(ring.read_line(&mut line).expect("line"), 0);

            ring.write_all(b"a\r\nb\n\nc").expect("fits");
            let lines: Vec<String> = (&mut ring).lines().collect::<Result<_, _>>().expect("utf8");
            assert_eq!(lines, ["a", "b", "", "c"]);
        }
    }
}

#[test]
fn fill_buf_returns_the_whole_wrapped_region() {
    for options in backends() {
        let mut ring = ring_positioned(&options, 4);
        let cap = ring.capacity();
        let data: Vec<u8> = (0..cap).map(|i| (i * 7 + 1) as u8).collect();
        ring.write_all(&data).expect("fits exactly");
        let buf = ring.fill_buf().expect("fill_buf");
        // All of it, in one slice, though it starts 4 bytes before the physical end.
        assert_eq!(buf.len(), cap);
        assert_eq!(buf, &data[..]);
        BufRead::consume(&mut ring, 4);
        assert_eq!(ring.fill_buf().expect("fill_buf"), &data[4..]);
        // Consuming more than is there clamps.
        BufRead::consume(&mut ring, cap * 2);
        assert!(ring.fill_buf().expect("fill_buf").is_empty());
    }
}

#[test]
fn std_io_helpers_work_through_the_ring() {
    for options in backends() {
        let mut ring = ring_positioned(&options, 9);
        let text = "ünïcödé across the end\nsecond line\n";
        let copied = io::copy(&mut text.as_bytes(), &mut ring).expect("copy in");
        assert_eq!(copied, text.len() as u64);
        let mut s = String::new();
        ring.read_to_string(&mut s).expect("utf8");
        assert_eq!(s, text);
        assert!(ring.is_empty());

        write!(ring, "{}-{:x}", 12, 10u8).expect("fmt");
        let mut out = Vec::new();
        assert_eq!(io::copy(&mut ring, &mut out).expect("copy out"), 4);
        assert_eq!(out, b"12-a");

        ring.write_all(b"k=v;rest").expect("fits");
        let mut field = Vec::new();
        assert_eq!(ring.read_until(b';', &mut field).expect("until"), 4);
        assert_eq!(field, b"k=v;");
        assert_eq!(ring.readable(), b"rest");
    }
}

/// A long stream through a small ring in random-sized writes and reads comes out unchanged.
#[test]
fn streaming_preserves_every_byte() {
    let total = if cfg!(miri) { 20_000 } else { 3_000_000 };
    for options in backends() {
        let mut ring = PicoRing::<u8>::with_options(1, &options).expect("ring");
        let cap = ring.capacity();
        let mut rng = Rng::new(0x853c_49e6_748f_ea9b);
        let input: Vec<u8> = (0..total).map(|i| (i as u64 * 31 % 251) as u8).collect();
        let mut output = Vec::with_capacity(total);
        let mut sent = 0;
        let mut buf = vec![0u8; cap + 100];
        while output.len() < total {
            let want = rng.below(cap + 100);
            let end = (sent + want).min(total);
            sent += ring.write(&input[sent..end]).expect("write");
            let want = rng.below(cap + 100);
            if rng.below(2) == 0 {
                let n = ring.read(&mut buf[..want]).expect("read");
                output.extend_from_slice(&buf[..n]);
            } else {
                let avail = ring.fill_buf().expect("fill_buf");
                let n = avail.len().min(want);
                output.extend_from_slice(&avail[..n]);
                BufRead::consume(&mut ring, n);
            }
        }
        assert!(output == input, "stream corrupted ({options:?})");
    }
}
