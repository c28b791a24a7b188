//! One interface over picoring and its peers, for byte streaming and contiguous views.

use std::collections::VecDeque;
use std::io::{Read, Write};

use bytes::{Buf, BytesMut};
use ringbuf::traits::{Consumer, Producer};

/// A bounded byte FIFO as the benchmarks see it.
pub trait ByteFifo: Sized {
    /// Column name in the tables.
    const NAME: &'static str;
    /// Whether [`contiguous`](Self::contiguous) copies the queued bytes.
    const VIEW_COPIES: bool;
    /// A FIFO that holds at least `bytes` bytes.
    fn with_capacity(bytes: usize) -> Self;
    /// Appends as much of `data` as fits; returns how many bytes went in.
    fn push(&mut self, data: &[u8]) -> usize;
    /// Moves up to `out.len()` bytes out, oldest first; returns how many.
    fn pop(&mut self, out: &mut [u8]) -> usize;
    /// All queued bytes as one slice, copying (into a reused buffer, or in place) if the
    /// implementation cannot do otherwise.
    fn contiguous(&mut self) -> &[u8];
    /// The first `n` queued bytes (at most as many as are queued) as one slice: in place where
    /// they are contiguous, else copied into `scratch`.
    fn prefix<'a>(&'a mut self, n: usize, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        let _ = scratch;
        let view = self.contiguous();
        &view[..n.min(view.len())]
    }
}

/// picoring's [`PicoRing<u8>`](picoring::PicoRing).
pub struct Pico(picoring::PicoRing<u8>);

impl ByteFifo for Pico {
    const NAME: &'static str = "picoring";
    const VIEW_COPIES: bool = false;
    fn with_capacity(bytes: usize) -> Self {
        Self(picoring::PicoRing::with_capacity(bytes).expect("mirrored ring"))
    }
    #[inline]
    fn push(&mut self, data: &[u8]) -> usize {
        self.0.push_slice(data)
    }
    #[inline]
    fn pop(&mut self, out: &mut [u8]) -> usize {
        self.0.pop_slice(out)
    }
    #[inline]
    fn contiguous(&mut self) -> &[u8] {
        self.0.readable()
    }
}

/// The published picoring 0.6 crate. Its ring keeps one slot free, so it is created one byte
/// larger to hold the same payload.
pub struct Upstream(picoring_upstream::PicoRing<u8>);

impl ByteFifo for Upstream {
    const NAME: &'static str = "picoring 0.6";
    const VIEW_COPIES: bool = false;
    fn with_capacity(bytes: usize) -> Self {
        Self(picoring_upstream::PicoRing::with_capacity(bytes + 1).expect("mirrored ring"))
    }
    #[inline]
    fn push(&mut self, data: &[u8]) -> usize {
        // All or nothing in 0.6: cut to the free space first so it behaves like the others.
        let n = data.len().min(self.0.available_space());
        if self.0.push_slice(&data[..n]) {
            n
        } else {
            0
        }
    }
    #[inline]
    fn pop(&mut self, out: &mut [u8]) -> usize {
        let readable = self.0.readable_slice();
        let n = out.len().min(readable.len());
        out[..n].copy_from_slice(&readable[..n]);
        self.0.advance_tail(n);
        n
    }
    #[inline]
    fn contiguous(&mut self) -> &[u8] {
        self.0.readable_slice()
    }
}

/// `std::collections::VecDeque<u8>` through its `io::Write`/`io::Read`; the view is
/// `make_contiguous`, which moves bytes in place when they wrap.
pub struct Deque(VecDeque<u8>);

impl ByteFifo for Deque {
    const NAME: &'static str = "VecDeque";
    const VIEW_COPIES: bool = true;
    fn with_capacity(bytes: usize) -> Self {
        Self(VecDeque::with_capacity(bytes))
    }
    #[inline]
    fn push(&mut self, data: &[u8]) -> usize {
        // Bounded like the rings: never grow past the capacity chosen at creation.
        let n = data.len().min(self.0.capacity() - self.0.len());
        self.0.write(&data[..n]).unwrap_or(0)
    }
    #[inline]
    fn pop(&mut self, out: &mut [u8]) -> usize {
        // `Read for VecDeque` stops at the wrap point; a second call reads the other half.
        let mut got = 0;
        while got < out.len() {
            match self.0.read(&mut out[got..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        got
    }
    #[inline]
    fn contiguous(&mut self) -> &[u8] {
        self.0.make_contiguous()
    }
    fn prefix<'a>(&'a mut self, n: usize, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        let (first, second) = self.0.as_slices();
        prefix_of(scratch, first, second, n)
    }
}

/// `slice_ring_buffer::SliceRingBuffer<u8>`, a mirrored deque that derefs to one slice.
pub struct SliceRing(slice_ring_buffer::SliceRingBuffer<u8>);

impl ByteFifo for SliceRing {
    const NAME: &'static str = "slice-ring-buffer";
    const VIEW_COPIES: bool = false;
    fn with_capacity(bytes: usize) -> Self {
        Self(slice_ring_buffer::SliceRingBuffer::with_capacity(bytes))
    }
    #[inline]
    fn push(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.0.capacity() - self.0.len());
        self.0.extend_from_slice(&data[..n]);
        n
    }
    #[inline]
    fn pop(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.0.len());
        out[..n].copy_from_slice(&self.0.as_slice()[..n]);
        let keep = self.0.len() - n;
        self.0.truncate_front(keep);
        n
    }
    #[inline]
    fn contiguous(&mut self) -> &[u8] {
        self.0.as_slice()
    }
}

/// Copies two halves into `scratch` and returns it: what a user of a two-slice ring does to
/// get one slice.
fn join_into<'a>(scratch: &'a mut Vec<u8>, first: &[u8], second: &[u8]) -> &'a [u8] {
    scratch.clear();
    scratch.extend_from_slice(first);
    scratch.extend_from_slice(second);
    scratch
}

/// The first `n` bytes of `first` then `second` as one slice: `first` itself when they fit in
/// it, else both parts copied into `scratch`.
fn prefix_of<'a>(scratch: &'a mut Vec<u8>, first: &'a [u8], second: &[u8], n: usize) -> &'a [u8] {
    if n <= first.len() {
        return &first[..n];
    }
    let rest = (n - first.len()).min(second.len());
    join_into(scratch, first, &second[..rest])
}

/// `ringbuf::LocalRb<u8>` (the single-thread variant); its view is two slices, joined by a
/// copy into a reused buffer.
pub struct RingBuf {
    ring: ringbuf::LocalRb<ringbuf::storage::Heap<u8>>,
    scratch: Vec<u8>,
}

impl ByteFifo for RingBuf {
    const NAME: &'static str = "ringbuf";
    const VIEW_COPIES: bool = true;
    fn with_capacity(bytes: usize) -> Self {
        Self {
            ring: ringbuf::LocalRb::new(bytes),
            scratch: Vec::with_capacity(bytes),
        }
    }
    #[inline]
    fn push(&mut self, data: &[u8]) -> usize {
        self.ring.push_slice(data)
    }
    #[inline]
    fn pop(&mut self, out: &mut [u8]) -> usize {
        self.ring.pop_slice(out)
    }
    #[inline]
    fn contiguous(&mut self) -> &[u8] {
        let (first, second) = self.ring.as_slices();
        join_into(&mut self.scratch, first, second)
    }
    fn prefix<'a>(&'a mut self, n: usize, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        let (first, second) = self.ring.as_slices();
        prefix_of(scratch, first, second, n)
    }
}

/// `rtrb` (a thread-safe SPSC ring used from one thread); its view is a read chunk of two
/// slices, joined by a copy into a reused buffer.
pub struct Rtrb {
    producer: rtrb::Producer<u8>,
    consumer: rtrb::Consumer<u8>,
    scratch: Vec<u8>,
}

impl ByteFifo for Rtrb {
    const NAME: &'static str = "rtrb";
    const VIEW_COPIES: bool = true;
    fn with_capacity(bytes: usize) -> Self {
        let (producer, consumer) = rtrb::RingBuffer::new(bytes);
        Self {
            producer,
            consumer,
            scratch: Vec::with_capacity(bytes),
        }
    }
    #[inline]
    fn push(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.producer.slots());
        match self.producer.push_entire_slice(&data[..n]) {
            Ok(()) => n,
            Err(_) => 0,
        }
    }
    #[inline]
    fn pop(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.consumer.slots());
        match self.consumer.pop_entire_slice(&mut out[..n]) {
            Ok(()) => n,
            Err(_) => 0,
        }
    }
    #[inline]
    fn contiguous(&mut self) -> &[u8] {
        let Ok(chunk) = self.consumer.read_chunk(self.consumer.slots()) else {
            return &[];
        };
        let (first, second) = chunk.as_slices();
        // The chunk is dropped uncommitted: the bytes stay queued, as with the other views.
        join_into(&mut self.scratch, first, second)
    }
}

/// `bytes::BytesMut` used as a FIFO (`extend_from_slice` + `copy_to_slice`). It is always
/// contiguous because it moves the queued bytes to the front when it runs out of room.
pub struct Bytes {
    buf: BytesMut,
    /// The bound the other rings have; `BytesMut` alone would grow without one.
    limit: usize,
}

impl ByteFifo for Bytes {
    const NAME: &'static str = "bytes::BytesMut";
    const VIEW_COPIES: bool = false;
    fn with_capacity(bytes: usize) -> Self {
        Self {
            buf: BytesMut::with_capacity(bytes),
            limit: bytes,
        }
    }
    #[inline]
    fn push(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.limit - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        n
    }
    #[inline]
    fn pop(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.buf.len());
        self.buf.copy_to_slice(&mut out[..n]);
        n
    }
    #[inline]
    fn contiguous(&mut self) -> &[u8] {
        &self.buf
    }
}

/// Leaves `queued` bytes in `fifo` (of `capacity` bytes), starting 3/4 into it so they wrap
/// when `queued` exceeds a quarter of it; `filler` and `scratch` hold at least `queued` bytes.
///
/// One byte stays queued while the read position moves: some deques (`VecDeque`) jump back to
/// the start of their buffer whenever they become empty.
pub fn wrap_at<F: ByteFifo>(
    fifo: &mut F,
    capacity: usize,
    queued: usize,
    filler: &[u8],
    scratch: &mut [u8],
) {
    while fifo.pop(scratch) > 0 {}
    assert_eq!(fifo.push(&filler[..1]), 1);
    let skip = capacity * 3 / 4 - 1;
    let mut moved = 0;
    while moved < skip {
        let step = (skip - moved).min(filler.len());
        fifo.push(&filler[..step]);
        moved += fifo.pop(&mut scratch[..step]);
    }
    assert_eq!(
        fifo.push(&filler[..queued]),
        queued,
        "{} refused the bytes",
        F::NAME
    );
    assert_eq!(fifo.pop(&mut scratch[..1]), 1);
}
