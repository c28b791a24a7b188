//! PicoByteStream against a VecDeque<u8> model, frames straddling the wrap point, single-call
//! I/O, and (feature `bytes`) the Buf/BufMut implementations.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read, Write};

use picoring::mirror::MirrorOptions;
use picoring::{FrameError, LengthPrefix, PicoByteStream};

mod common;
use common::{backends, bulk_span, check_consume, check_pop_slice, Rng};

/// Bytes from a small alphabet, so delimiters and short length prefixes are common.
fn random_bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| b"ab;\n\x00\x01\x02z"[rng.below(8)])
        .collect()
}

/// Fewer than `bound` (> 0) random bytes.
fn some_random_bytes(rng: &mut Rng, bound: usize) -> Vec<u8> {
    let n = rng.below(bound);
    random_bytes(rng, n)
}

/// Model steps: fewer under Miri, which runs the same checks a thousand times slower.
const STEPS: usize = if cfg!(miri) { 150 } else { 3000 };

const PREFIXES: [LengthPrefix; 5] = [
    LengthPrefix::U8,
    LengthPrefix::U16_BE,
    LengthPrefix::U16_LE,
    LengthPrefix::U32_BE,
    LengthPrefix::U32_LE,
];

/// A reader that serves `data` at most `max_per_call` bytes at a time and counts its calls.
struct CountingReader {
    data: VecDeque<u8>,
    max_per_call: usize,
    calls: usize,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        let n = buf.len().min(self.max_per_call).min(self.data.len());
        for (slot, byte) in buf.iter_mut().zip(self.data.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

/// A writer that accepts at most `max_per_call` bytes per call and counts its calls.
struct CountingWriter {
    data: Vec<u8>,
    max_per_call: usize,
    calls: usize,
}

impl Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        let n = buf.len().min(self.max_per_call);
        self.data.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What `next_frame` must return for the model's contents.
fn model_frame(
    model: &VecDeque<u8>,
    prefix: LengthPrefix,
    cap: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    let w = prefix.width();
    if model.len() < w {
        return Ok(None);
    }
    let head: Vec<u8> = model.iter().take(w).copied().collect();
    let mut len = 0usize;
    for i in 0..w {
        let byte = if prefix.is_big_endian() {
            head[i]
        } else {
            head[w - 1 - i]
        };
        len = len << 8 | byte as usize;
    }
    let max = prefix.max_len().min(cap - w);
    if len > max {
        return Err(FrameError::TooLong { len, max });
    }
    if model.len() < w + len {
        return Ok(None);
    }
    Ok(Some(model.iter().skip(w).take(len).copied().collect()))
}

fn drain_frame(model: &mut VecDeque<u8>, frame: &Option<Vec<u8>>, prefix: LengthPrefix) {
    if let Some(payload) = frame {
        model.drain(..prefix.width() + payload.len());
    }
}

fn model_until(model: &mut VecDeque<u8>, delim: u8) -> Option<Vec<u8>> {
    let at = model.iter().position(|&b| b == delim)?;
    Some(model.drain(..=at).collect())
}

fn run_model(seed: u64, options: &MirrorOptions) {
    let mut rng = Rng::new(seed);
    let cap = PicoByteStream::with_options(1, options)
        .expect("stream")
        .capacity();
    // Start a little before the physical end, so even a short run wraps.
    let mut stream = stream_at(cap - 100, options);
    let span = bulk_span(cap);
    let mut model: VecDeque<u8> = VecDeque::new();
    for step in 0..STEPS {
        match rng.below(16) {
            0..=2 => {
                let data = some_random_bytes(&mut rng, span / 3);
                let n = stream.push_slice(&data);
                assert_eq!(n, data.len().min(cap - model.len()));
                model.extend(&data[..n]);
            }
            3 => {
                let len = rng.below(span / 2);
                check_pop_slice(|out| stream.pop_slice(out), &mut model, len, 0);
            }
            4 => check_consume(|n| stream.consume(n), &mut model, rng.below(span / 4)),
            5 | 6 => {
                let delim = [b';', b'\n', b'z', b'q'][rng.below(4)];
                let got = stream.read_until(delim).map(<[u8]>::to_vec);
                assert_eq!(got, model_until(&mut model, delim), "step {step}");
            }
            7 => {
                let got = stream.next_line().map(<[u8]>::to_vec);
                assert_eq!(got, model_until(&mut model, b'\n'));
            }
            8 => {
                let mut prefix = PREFIXES[rng.below(PREFIXES.len())];
                if rng.below(3) == 0 {
                    prefix = prefix.with_max_len(rng.below(300));
                }
                let expected = model_frame(&model, prefix, cap);
                let got = stream.next_frame(prefix).map(|f| f.map(<[u8]>::to_vec));
                assert_eq!(got, expected, "step {step}");
                drain_frame(&mut model, &expected.unwrap_or(None), prefix);
            }
            9 => {
                let free = stream.writable();
                assert_eq!(free.len(), cap - model.len());
                let k = rng.below(free.len().min(span) + 1);
                let data = random_bytes(&mut rng, k);
                free[..k].copy_from_slice(&data);
                assert_eq!(stream.commit(k), k);
                model.extend(&data);
            }
            10 => {
                let data = some_random_bytes(&mut rng, span);
                let mut reader = CountingReader {
                    data: data.iter().copied().collect(),
                    max_per_call: rng.below(cap) + 1,
                    calls: 0,
                };
                let free = cap - model.len();
                let n = stream.fill_from(&mut reader).expect("in-memory read");
                assert_eq!(reader.calls, usize::from(free > 0));
                assert_eq!(n, free.min(reader.max_per_call).min(data.len()));
                model.extend(&data[..n]);
            }
            11 => {
                let mut writer = CountingWriter {
                    data: Vec::new(),
                    max_per_call: rng.below(cap) + 1,
                    calls: 0,
                };
                let n = stream.drain_to(&mut writer).expect("in-memory write");
                assert_eq!(writer.calls, usize::from(!model.is_empty()));
                let expected: Vec<u8> = model.drain(..n).collect();
                assert_eq!(n, writer.max_per_call.min(expected.len() + model.len()));
                assert_eq!(writer.data, expected);
            }
            12 => {
                // The io traits, called as traits.
                let data = some_random_bytes(&mut rng, 64);
                let n = Write::write(&mut stream, &data).expect("io write");
                model.extend(&data[..n]);
                let mut out = vec![0; rng.below(64)];
                let n = Read::read(&mut stream, &mut out).expect("io read");
                let expected: Vec<u8> = model.drain(..n).collect();
                assert_eq!(&out[..n], &expected[..]);
            }
            13 => {
                let buffered = stream.fill_buf().expect("fill_buf").len();
                assert_eq!(buffered, model.len());
                let n = rng.below(buffered + 1);
                BufRead::consume(&mut stream, n);
                model.drain(..n);
            }
            14 => {
                let mut line = Vec::new();
                let n = BufRead::read_until(&mut stream, b';', &mut line).expect("io");
                let expected: Vec<u8> = match model.iter().position(|&b| b == b';') {
                    Some(at) => model.drain(..=at).collect(),
                    None => model.drain(..).collect(),
                };
                assert_eq!((n, line), (expected.len(), expected));
            }
            _ => {
                if rng.below(10) == 0 {
                    stream.clear();
                    model.clear();
                }
            }
        }
        assert_eq!(stream.len(), model.len());
        assert_eq!(stream.free_len(), cap - model.len());
        assert!(stream.readable().iter().eq(model.iter()), "step {step}");
    }
}

#[test]
fn model_against_vecdeque() {
    for (i, options) in backends().iter().enumerate() {
        for seed in 0..2 {
            run_model(0xC0FFEE + 17 * seed + i as u64, options);
        }
    }
}

/// A stream whose next byte goes `offset` bytes into the physical buffer.
fn stream_at(offset: usize, options: &MirrorOptions) -> PicoByteStream {
    let mut stream = PicoByteStream::with_options(1, options).expect("stream");
    assert_eq!(stream.push_slice(&vec![0xEE; offset]), offset);
    assert_eq!(stream.consume(offset), offset);
    stream
}

/// Offsets that put a frame's start, its middle or its last bytes on the wrap point.
fn wrap_offsets(cap: usize) -> Vec<usize> {
    vec![1, cap / 2, cap - 7, cap - 4, cap - 3, cap - 2, cap - 1]
}

/// Runs `check(stream, offset)` on a fresh stream at each wrap offset, on every backend.
fn at_each_wrap_offset(mut check: impl FnMut(PicoByteStream, usize)) {
    for options in backends() {
        let cap = PicoByteStream::with_options(1, &options)
            .expect("stream")
            .capacity();
        for offset in wrap_offsets(cap) {
            check(stream_at(offset, &options), offset);
        }
    }
}

#[test]
fn delimited_frames_straddling_the_wrap_come_back_whole() {
    at_each_wrap_offset(|mut stream, offset| {
        let cap = stream.capacity();
        stream.push_slice(b"first line\nsecond;frame;");
        assert_eq!(stream.next_line(), Some(&b"first line\n"[..]));
        assert_eq!(stream.read_until(b';'), Some(&b"second;"[..]));
        assert_eq!(stream.read_until(b';'), Some(&b"frame;"[..]));
        assert_eq!(stream.read_until(b';'), None);

        // A frame of exactly the capacity, delimiter last.
        let mut frame: Vec<u8> = (0..cap).map(|i| b'a' + (i % 26) as u8).collect();
        frame[cap - 1] = b'\n';
        assert_eq!(stream.push_slice(&frame), cap);
        assert_eq!(stream.next_line(), Some(&frame[..]), "offset {offset}");
        assert_eq!(stream.len(), 0);
    });
}

/// `len` encoded as `prefix` would send it.
fn encode(prefix: LengthPrefix, len: usize) -> Vec<u8> {
    let w = prefix.width();
    let mut bytes = (len as u32).to_be_bytes()[4 - w..].to_vec();
    if !prefix.is_big_endian() {
        bytes.reverse();
    }
    bytes
}

#[test]
fn length_prefixed_frames_straddling_the_wrap_come_back_whole() {
    at_each_wrap_offset(|mut stream, offset| {
        let cap = stream.capacity();
        for prefix in PREFIXES {
            let payload: Vec<u8> = (0..200u8).collect();
            stream.push_slice(&encode(prefix, payload.len()));
            stream.push_slice(&payload);
            stream.push_slice(&encode(prefix, 0));
            assert_eq!(stream.next_frame(prefix), Ok(Some(&payload[..])));
            assert_eq!(stream.next_frame(prefix), Ok(Some(&[][..])));
            assert_eq!(stream.next_frame(prefix), Ok(None));

            // Prefix plus payload exactly the capacity (where the prefix can say so).
            let w = prefix.width();
            let biggest = cap - w;
            let prefix_limit = (u64::from(u32::MAX) >> (32 - 8 * w)) as usize;
            if biggest <= prefix_limit {
                let payload: Vec<u8> = (0..biggest).map(|i| (i * 7) as u8).collect();
                stream.push_slice(&encode(prefix, biggest));
                assert_eq!(stream.push_slice(&payload), biggest);
                let frame = stream.next_frame(prefix);
                assert_eq!(frame, Ok(Some(&payload[..])), "offset {offset}");
                assert_eq!(stream.len(), 0);
            }
        }
    });
}

#[test]
fn a_frame_that_never_completes_leaves_the_stream_alone() {
    let mut stream = stream_at(100, &MirrorOptions::new());
    let cap = stream.capacity();
    let no_newline = vec![b'x'; cap];
    assert_eq!(stream.push_slice(&no_newline), cap);
    for _ in 0..3 {
        assert_eq!(stream.next_line(), None);
        assert_eq!(stream.read_until(b';'), None);
    }
    assert_eq!(stream.len(), cap);
    assert_eq!(stream.free_len(), 0);
    assert_eq!(stream.readable(), &no_newline[..]);

    // An incomplete length-prefixed frame: prefix says 100, only 50 bytes follow.
    let mut stream = stream_at(cap - 1, &MirrorOptions::new());
    stream.push_slice(&100u16.to_be_bytes());
    stream.push_slice(&[1; 50]);
    assert_eq!(stream.next_frame(LengthPrefix::U16_BE), Ok(None));
    assert_eq!(stream.len(), 52);
}

#[test]
fn a_prefix_larger_than_capacity_is_an_error_not_a_hang() {
    let mut stream = stream_at(4, &MirrorOptions::new());
    let cap = stream.capacity();
    let too_long = cap - 4 + 1;
    stream.push_slice(&(too_long as u32).to_le_bytes());
    let err = stream.next_frame(LengthPrefix::U32_LE).unwrap_err();
    assert_eq!(
        err,
        FrameError::TooLong {
            len: too_long,
            max: cap - 4
        }
    );
    assert_eq!(stream.len(), 4, "the stream is left unchanged");
    let io_err: io::Error = err.into();
    assert_eq!(io_err.kind(), io::ErrorKind::InvalidData);

    // A smaller limit set by the caller wins.
    let mut stream = stream_at(0, &MirrorOptions::new());
    stream.push_slice(&[0, 0, 0, 10]);
    assert_eq!(
        stream.next_frame(LengthPrefix::U32_BE.with_max_len(9)),
        Err(FrameError::TooLong { len: 10, max: 9 })
    );
    assert_eq!(
        stream.next_frame(LengthPrefix::U32_BE.with_max_len(10)),
        Ok(None)
    );
}

#[test]
fn polling_byte_by_byte_and_switching_delimiters() {
    let mut stream = stream_at(4090, &MirrorOptions::new());
    for &byte in b"slowly arriving line" {
        stream.push_slice(&[byte]);
        assert_eq!(stream.next_line(), None);
    }
    stream.push_slice(b"\n");
    assert_eq!(stream.next_line(), Some(&b"slowly arriving line\n"[..]));

    // A failed search for one delimiter must not hide another delimiter.
    stream.push_slice(b"ab,cd");
    assert_eq!(stream.read_until(b';'), None);
    assert_eq!(stream.read_until(b','), Some(&b"ab,"[..]));
    stream.push_slice(b";");
    assert_eq!(stream.read_until(b';'), Some(&b"cd;"[..]));
}

#[test]
fn fill_from_and_drain_to_make_one_call_each() {
    let mut stream = stream_at(4093, &MirrorOptions::new());
    let cap = stream.capacity();
    let data: Vec<u8> = (0..2 * cap).map(|i| i as u8).collect();
    let mut reader = CountingReader {
        data: data.iter().copied().collect(),
        max_per_call: usize::MAX,
        calls: 0,
    };
    // One read fills all free space, across the wrap point.
    assert_eq!(stream.fill_from(&mut reader).unwrap(), cap);
    assert_eq!(reader.calls, 1);
    assert_eq!(stream.readable(), &data[..cap]);
    // Full: the reader is not called at all.
    assert_eq!(stream.fill_from(&mut reader).unwrap(), 0);
    assert_eq!(reader.calls, 1);

    let mut writer = CountingWriter {
        data: Vec::new(),
        max_per_call: usize::MAX,
        calls: 0,
    };
    assert_eq!(stream.drain_to(&mut writer).unwrap(), cap);
    assert_eq!(writer.calls, 1);
    assert_eq!(writer.data, &data[..cap]);
    assert_eq!(stream.drain_to(&mut writer).unwrap(), 0);
    assert_eq!(writer.calls, 1);
}

#[test]
fn io_errors_pass_through_and_change_nothing() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::ErrorKind::Interrupted.into())
        }
    }
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut stream = PicoByteStream::with_capacity(64).unwrap();
    stream.push_slice(b"kept");
    let err = stream.fill_from(&mut Failing).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Interrupted);
    let err = stream.drain_to(&mut Failing).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(stream.readable(), b"kept");
}

#[test]
fn a_lying_reader_cannot_overrun() {
    struct Liar;
    impl Read for Liar {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            Ok(buf.len() + 100)
        }
    }
    let mut stream = PicoByteStream::with_capacity(64).unwrap();
    stream.push_slice(b"abc");
    let cap = stream.capacity();
    assert_eq!(stream.fill_from(&mut Liar).unwrap(), cap - 3);
    assert_eq!(stream.len(), cap);
}

#[test]
fn write_all_reports_write_zero_when_full() {
    let mut stream = PicoByteStream::with_capacity(1).unwrap();
    let cap = stream.capacity();
    let err = stream.write_all(&vec![0; cap + 1]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    assert_eq!(stream.len(), cap);
}

#[cfg(feature = "bytes")]
mod bytes_traits {
    use bytes::{Buf, BufMut};

    use super::*;

    #[test]
    fn buf_and_buf_mut_across_the_wrap() {
        at_each_wrap_offset(|mut stream, _| {
            let cap = stream.capacity();
            assert_eq!(stream.remaining_mut(), cap);
            assert_eq!(stream.chunk_mut().len(), cap, "all free space in one chunk");
            stream.put_u32(0xDEAD_BEEF);
            stream.put_u64_le(42);
            stream.put_slice(b"tail");
            assert_eq!(stream.remaining(), 16);
            assert_eq!(stream.chunk().len(), 16, "all readable bytes in one chunk");
            assert_eq!(stream.get_u32(), 0xDEAD_BEEF);
            assert_eq!(stream.get_u64_le(), 42);
            assert_eq!(stream.copy_to_bytes(4).as_ref(), b"tail");
            assert!(!stream.has_remaining());
        });
    }

    #[test]
    fn advance_clamps_like_remaining() {
        let mut stream = PicoByteStream::with_capacity(1).unwrap();
        let cap = stream.capacity();
        stream.chunk_mut().write_byte(0, b'x');
        // SAFETY: the free region is initialized memory; advancing past the end clamps.
        unsafe { stream.advance_mut(cap + 10) };
        assert_eq!(stream.remaining(), cap);
        assert_eq!(stream.chunk()[0], b'x');
        stream.advance(cap + 10);
        assert_eq!(stream.remaining(), 0);
    }

    #[test]
    fn model_with_buf_ops() {
        let mut rng = Rng::new(0xB0F);
        let cap = PicoByteStream::with_capacity(1).unwrap().capacity();
        let mut stream = stream_at(cap - 100, &MirrorOptions::new());
        let span = bulk_span(cap);
        let mut model: VecDeque<u8> = VecDeque::new();
        for _ in 0..STEPS {
            if rng.below(2) == 0 {
                let n = rng.below(span / 2).min(stream.remaining_mut());
                let data = random_bytes(&mut rng, n);
                stream.put_slice(&data);
                model.extend(&data);
            } else {
                let n = rng.below(span / 2).min(stream.remaining());
                let got = stream.copy_to_bytes(n);
                let expected: Vec<u8> = model.drain(..n).collect();
                assert_eq!(got.as_ref(), &expected[..]);
            }
            assert_eq!(stream.remaining(), model.len());
            assert!(stream.chunk().iter().eq(model.iter()));
        }
    }
}
