//! The stream's frame readers fed hostile bytes: the input's own bytes, cut into chunks of
//! fuzzed sizes, pass through a small stream and are parsed as lines, delimited frames or
//! length-prefixed frames (any width, order and limit, with whatever lengths the bytes
//! announce), against a reference parser over the same bytes. A frame that can never complete
//! (too long, or a delimited frame filling the stream) makes the reader drop the connection
//! (`clear`), as a server would.
#![no_main]

use std::collections::VecDeque;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use picoring::PicoByteStream;
use picoring_fuzz::{frames, small, Mirror};

#[derive(Arbitrary, Debug)]
enum Framing {
    Lines,
    Delimited(u8),
    Prefixed {
        width: u8,
        big_endian: bool,
        max_len: Option<u32>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    mirror: Mirror,
    capacity: u16,
    framing: Framing,
    /// Chunk sizes the bytes are written in (cycled).
    chunks: Vec<u16>,
    bytes: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let requested = small(input.capacity, 9000);
    let Ok(mut stream) = PicoByteStream::with_options(requested, &input.mirror.options()) else {
        return;
    };
    let cap = stream.capacity();
    let mut model: VecDeque<u8> = VecDeque::new();
    let mut rest: &[u8] = &input.bytes;
    let mut sizes = input.chunks.iter().cycle();
    let mut frames_seen = 0usize;
    while !rest.is_empty() {
        let chunk = sizes.next().map_or(rest.len(), |&n| usize::from(n).max(1));
        let (now, _) = rest.split_at(chunk.min(rest.len()));
        let written = stream.push_slice(now);
        assert_eq!(written, now.len().min(cap - model.len()));
        model.extend(&now[..written]);
        rest = &rest[written..];
        loop {
            let (got, expected) = match input.framing {
                Framing::Lines => (
                    stream.next_line().map(<[u8]>::to_vec),
                    frames::read_until(&mut model, b'\n'),
                ),
                Framing::Delimited(delim) => (
                    stream.read_until(delim).map(<[u8]>::to_vec),
                    frames::read_until(&mut model, delim),
                ),
                Framing::Prefixed {
                    width,
                    big_endian,
                    max_len,
                } => {
                    let prefix = frames::prefix(width, big_endian, max_len);
                    let got = stream.next_frame(prefix).map(|f| f.map(<[u8]>::to_vec));
                    let expected = frames::next_frame(&mut model, prefix, cap);
                    assert_eq!(got, expected);
                    match got {
                        Ok(frame) => (frame, expected.ok().flatten()),
                        Err(_) => {
                            assert_eq!(stream.len(), model.len());
                            stream.clear();
                            model.clear();
                            (None, None)
                        }
                    }
                }
            };
            assert_eq!(got, expected);
            if got.is_none() {
                break;
            }
            frames_seen += 1;
        }
        assert!(stream.readable().iter().eq(model.iter()));
        if stream.free_len() == 0 {
            // A frame as long as the stream: it can never complete.
            stream.clear();
            model.clear();
        }
    }
    assert!(frames_seen <= input.bytes.len());
});
