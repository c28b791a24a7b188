//! `PicoByteStream` against `VecDeque<u8>`: writes, reads, peeks, in-place writes, the frame
//! readers (with their remembered search position), and `fill_from`/`drain_to` with readers and
//! writers that lie about how much they moved. Either on the default (native) backend or the
//! software mirror.
#![no_main]

use std::collections::VecDeque;
use std::io::{self, BufRead, Read, Write};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use picoring::PicoByteStream;
use picoring_fuzz::{frames, small, Mirror};

#[derive(Arbitrary, Debug)]
enum Op {
    Write(Vec<u8>),
    /// The same through `std::io::Write`.
    IoWrite(Vec<u8>),
    Read(u16),
    IoRead(u16),
    Consume(u16),
    /// `BufRead::fill_buf` then `BufRead::consume`.
    BufConsume(u16),
    Clear,
    WriteInPlace(u8, u16),
    ReadUntil(u8),
    NextLine,
    NextFrame {
        width: u8,
        big_endian: bool,
        max_len: Option<u32>,
    },
    /// `fill_from` a reader that writes `data` (as much as fits) and reports `claim` bytes
    /// read, or fails.
    FillFrom {
        data: Vec<u8>,
        claim: Claim,
    },
    /// `drain_to` a writer that takes at most `take` bytes and reports `claim` bytes written,
    /// or fails.
    DrainTo {
        take: u16,
        claim: Claim,
    },
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Claim {
    /// What it really moved.
    Honest,
    /// Any count, even more than the buffer it was given.
    Lie(u32),
    Fail,
}

/// A reader that writes `data` into the buffer it is given and claims `claim` bytes; what the
/// stream will then hold is whatever its buffer holds, which it records.
struct Hostile<'a> {
    data: &'a [u8],
    claim: Claim,
    seen: Vec<u8>,
}

impl Read for Hostile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.data.len().min(buf.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        let claimed = match self.claim {
            Claim::Honest => n,
            Claim::Lie(c) => c as usize,
            Claim::Fail => return Err(io::Error::other("hostile reader")),
        };
        self.seen = buf[..claimed.min(buf.len())].to_vec();
        Ok(claimed)
    }
}

/// A writer that keeps at most `take` bytes and claims `claim` bytes.
struct Sink {
    take: usize,
    claim: Claim,
    got: Vec<u8>,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.take.min(buf.len());
        self.got.extend_from_slice(&buf[..n]);
        match self.claim {
            Claim::Honest => Ok(n),
            Claim::Lie(c) => Ok(c as usize),
            Claim::Fail => Err(io::Error::other("hostile writer")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    mirror: Mirror,
    capacity: u16,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    let requested = small(input.capacity, 20_000);
    let Ok(mut stream) = PicoByteStream::with_options(requested, &input.mirror.options()) else {
        return;
    };
    let cap = stream.capacity();
    assert!(cap >= requested);
    let mut model: VecDeque<u8> = VecDeque::new();
    for op in &input.ops {
        match op {
            Op::Write(data) | Op::IoWrite(data) => {
                let n = match op {
                    Op::IoWrite(_) => Write::write(&mut stream, data).expect("never fails"),
                    _ => stream.push_slice(data),
                };
                assert_eq!(n, data.len().min(cap - model.len()));
                model.extend(&data[..n]);
            }
            Op::Read(n) | Op::IoRead(n) => {
                let mut out = vec![0; usize::from(*n)];
                let got = match op {
                    Op::IoRead(_) => Read::read(&mut stream, &mut out).expect("never fails"),
                    _ => stream.pop_slice(&mut out),
                };
                assert_eq!(got, out.len().min(model.len()));
                assert!(model.drain(..got).eq(out[..got].iter().copied()));
            }
            Op::Consume(n) => {
                let asked = usize::from(*n);
                let n = asked.min(model.len());
                assert_eq!(stream.consume(asked), n);
                model.drain(..n);
            }
            Op::BufConsume(n) => {
                assert!(stream
                    .fill_buf()
                    .expect("never fails")
                    .iter()
                    .eq(model.iter()));
                let n = usize::from(*n).min(model.len());
                BufRead::consume(&mut stream, n);
                model.drain(..n);
            }
            Op::Clear => {
                stream.clear();
                model.clear();
            }
            Op::WriteInPlace(fill, n) => {
                let free = stream.writable();
                assert_eq!(free.len(), cap - model.len());
                for (i, b) in free.iter_mut().enumerate() {
                    *b = fill.wrapping_add(i as u8);
                }
                let n = usize::from(*n).min(free.len());
                assert_eq!(stream.commit(n), n);
                model.extend((0..n).map(|i| fill.wrapping_add(i as u8)));
            }
            Op::ReadUntil(delim) => {
                let got = stream.read_until(*delim).map(<[u8]>::to_vec);
                assert_eq!(got, frames::read_until(&mut model, *delim));
            }
            Op::NextLine => {
                let got = stream.next_line().map(<[u8]>::to_vec);
                assert_eq!(got, frames::read_until(&mut model, b'\n'));
            }
            Op::NextFrame {
                width,
                big_endian,
                max_len,
            } => {
                let prefix = frames::prefix(*width, *big_endian, *max_len);
                let got = stream.next_frame(prefix).map(|f| f.map(<[u8]>::to_vec));
                assert_eq!(got, frames::next_frame(&mut model, prefix, cap));
            }
            Op::FillFrom { data, claim } => {
                let mut reader = Hostile {
                    data,
                    claim: *claim,
                    seen: Vec::new(),
                };
                let free = cap - model.len();
                match stream.fill_from(&mut reader) {
                    Ok(n) => {
                        if free == 0 {
                            assert_eq!(n, 0);
                        } else {
                            assert_eq!(n, reader.seen.len());
                            model.extend(&reader.seen);
                        }
                    }
                    Err(_) => assert!(matches!(claim, Claim::Fail) && free > 0),
                }
            }
            Op::DrainTo { take, claim } => {
                let mut sink = Sink {
                    take: usize::from(*take),
                    claim: *claim,
                    got: Vec::new(),
                };
                let len = model.len();
                match stream.drain_to(&mut sink) {
                    Ok(n) => {
                        assert!(model.iter().take(sink.got.len()).eq(sink.got.iter()));
                        let expected = match claim {
                            _ if len == 0 => 0,
                            Claim::Honest => sink.got.len(),
                            Claim::Lie(c) => (*c as usize).min(len),
                            Claim::Fail => unreachable!("a failing writer reported success"),
                        };
                        assert_eq!(n, expected);
                        model.drain(..n);
                    }
                    Err(_) => assert!(matches!(claim, Claim::Fail) && len > 0),
                }
            }
        }
        assert_eq!(stream.len(), model.len());
        assert_eq!(stream.free_len(), cap - model.len());
        assert!(stream.readable().iter().eq(model.iter()));
    }
});
