//! Variable-length records through an SPSC byte ring, parsed in place by the consumer: the
//! case mirroring is for. Each record is a 2-byte little-endian length and 1 to 1500 payload
//! bytes (lengths from a fixed seed), so records keep straddling the physical end of the
//! 64 KiB ring. picoring's consumer parses everything queued in one contiguous slice; rtrb and
//! ringbuf hand out two slices, so their consumer parses each slice in place and copies only
//! the record that straddles the seam into a scratch buffer ([`parse_two`]), as their users do.
//!
//! The parse is a checksum over each payload; every run checks the total against the one the
//! records were built with.

use std::hint::black_box;
use std::time::Duration;

use ringbuf::traits::{Consumer as _, Observer as _, Producer as _, Split as _};

use crate::threads::{two_threads, Backoff, RING};

/// Longest payload, in bytes.
pub const MAX_PAYLOAD: usize = 1500;
/// Bytes of the length prefix.
const HEADER: usize = 2;
/// Distinct records in the repeating sequence (lengths drawn once from a fixed seed).
const DISTINCT: usize = 4096;

/// The record sequence: payload lengths from a fixed seed, and the bytes every payload is cut
/// from (record `i` carries the first `lengths[i % DISTINCT]` bytes of `pattern`).
pub struct Records {
    lengths: Vec<u16>,
    pattern: Vec<u8>,
}

impl Default for Records {
    fn default() -> Self {
        Self::new()
    }
}

impl Records {
    /// The fixed sequence (xorshift64 from a constant seed).
    pub fn new() -> Self {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let lengths = (0..DISTINCT)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % MAX_PAYLOAD as u64 + 1) as u16
            })
            .collect();
        let pattern = (0..MAX_PAYLOAD).map(|i| (i * 31 + 7) as u8).collect();
        Self { lengths, pattern }
    }

    /// The `i`th record's payload.
    #[inline]
    pub fn payload(&self, i: u64) -> &[u8] {
        &self.pattern[..usize::from(self.lengths[i as usize % DISTINCT])]
    }

    /// The checksum a consumer must arrive at after `n` records.
    pub fn expected(&self, n: u64) -> u64 {
        (0..n).fold(0u64, |sum, i| sum.wrapping_add(checksum(self.payload(i))))
    }

    /// Mean bytes per record on the wire (prefix included), over the repeating sequence.
    pub fn mean_wire_bytes(&self) -> f64 {
        let total: usize = self.lengths.iter().map(|&l| usize::from(l) + HEADER).sum();
        total as f64 / DISTINCT as f64
    }
}

/// What the consumer computes over each payload: the sum of its bytes, plus its length.
#[inline]
pub fn checksum(payload: &[u8]) -> u64 {
    payload.iter().fold(payload.len() as u64, |sum, &b| {
        sum.wrapping_add(u64::from(b))
    })
}

/// Parses the complete records at the start of `buf`, adding each payload's checksum to
/// `sum`; returns (bytes consumed, records parsed). Stops at an incomplete record.
#[inline]
pub fn parse(buf: &[u8], sum: &mut u64) -> (usize, u64) {
    let mut at = 0;
    let mut count = 0;
    while let Some(header) = buf.get(at..at + HEADER) {
        let len = usize::from(u16::from_le_bytes([header[0], header[1]]));
        let Some(payload) = buf.get(at + HEADER..at + HEADER + len) else {
            break;
        };
        *sum = sum.wrapping_add(checksum(payload));
        at += HEADER + len;
        count += 1;
    }
    (at, count)
}

/// [`parse`] over queued bytes given as two slices (`first` then `second`): each slice is
/// parsed in place, and the one record that straddles the seam, if complete, is copied into
/// `scratch` and parsed there. Returns (bytes consumed, records parsed).
#[inline]
pub fn parse_two(
    first: &[u8],
    second: &[u8],
    scratch: &mut Vec<u8>,
    sum: &mut u64,
) -> (usize, u64) {
    let (mut at, mut count) = parse(first, sum);
    if second.is_empty() {
        return (at, count);
    }
    let rest = &first[at..];
    let mut start_second = 0;
    if !rest.is_empty() {
        // The header itself may be split.
        let byte = |i: usize| rest.get(i).or_else(|| second.get(i - rest.len())).copied();
        let (Some(lo), Some(hi)) = (byte(0), byte(1)) else {
            return (at, count);
        };
        let need = HEADER + usize::from(u16::from_le_bytes([lo, hi]));
        let Some(tail) = second.get(..need.saturating_sub(rest.len())) else {
            return (at, count);
        };
        scratch.clear();
        scratch.extend_from_slice(rest);
        scratch.extend_from_slice(tail);
        let (used, one) = parse(scratch, sum);
        debug_assert_eq!((used, one), (need, 1));
        at += need;
        count += 1;
        start_second = tail.len();
    }
    let (used, more) = parse(&second[start_second..], sum);
    (at + used, count + more)
}

/// How a benchmark drives the two ends of one implementation: `put` writes one record (false
/// while it does not fit), `take` parses what is queued into a running checksum (returning the
/// records it parsed, 0 while none is complete).
pub trait Ends {
    /// The producer's call.
    type Put: FnMut(&[u8]) -> bool + Send + 'static;
    /// The consumer's call.
    type Take: FnMut(&mut u64) -> u64;
    /// A fresh 64 KiB ring's two ends.
    fn ends() -> (Self::Put, Self::Take);
}

/// Moves `n` records with the producer on a new thread and the consumer here, each backing
/// off while it cannot proceed; checks the checksum and returns the time both took.
pub fn two_threads_records<E: Ends>(n: u64) -> Duration {
    let (mut put, mut take) = E::ends();
    let records = std::sync::Arc::new(Records::new());
    let expected = records.expected(n);
    let theirs = records.clone();
    let mut sum = 0u64;
    let took = two_threads(
        move || {
            for i in 0..n {
                let mut backoff = Backoff::default();
                while !put(theirs.payload(i)) {
                    backoff.snooze();
                }
            }
        },
        || {
            let mut got = 0;
            while got < n {
                let mut backoff = Backoff::default();
                loop {
                    let parsed = take(&mut sum);
                    if parsed > 0 {
                        got += parsed;
                        break;
                    }
                    backoff.snooze();
                }
            }
        },
    );
    assert_eq!(black_box(sum), expected, "the consumer parsed other bytes");
    took
}

/// Moves `n` records through the same ends from one thread: write records until the ring is
/// full, parse everything queued, repeat. The cost of writing and parsing alone, without the
/// scheduling of two threads (which on a busy machine moves the two-thread figures several-fold).
pub fn one_thread_records<E: Ends>(n: u64) -> Duration {
    let (mut put, mut take) = E::ends();
    let records = Records::new();
    let expected = records.expected(n);
    let start = std::time::Instant::now();
    let sum = one_thread_loop(n, &records, &mut put, &mut take);
    let took = start.elapsed();
    assert_eq!(black_box(sum), expected, "the consumer parsed other bytes");
    took
}

/// The loop of [`one_thread_records`]; returns the checksum.
pub fn one_thread_loop(
    n: u64,
    records: &Records,
    put: &mut impl FnMut(&[u8]) -> bool,
    take: &mut impl FnMut(&mut u64) -> u64,
) -> u64 {
    let mut sum = 0u64;
    let (mut sent, mut got) = (0, 0);
    while got < n {
        while sent < n && put(records.payload(sent)) {
            sent += 1;
        }
        got += take(&mut sum);
    }
    sum
}

fn header(payload: &[u8]) -> [u8; HEADER] {
    (payload.len() as u16).to_le_bytes()
}

/// picoring's SPSC ring: each record written in place (`writable_at_least`), everything
/// queued parsed in place through `readable`.
pub struct PicoEnds;

impl Ends for PicoEnds {
    type Put = Box<dyn FnMut(&[u8]) -> bool + Send>;
    type Take = Box<dyn FnMut(&mut u64) -> u64>;
    fn ends() -> (Self::Put, Self::Take) {
        let (mut tx, mut rx) = picoring::spsc::channel::<u8>(RING).expect("a 64 KiB ring");
        (
            Box::new(move |payload: &[u8]| {
                let need = HEADER + payload.len();
                match tx.writable_at_least(need) {
                    Some(free) => {
                        free[..HEADER].copy_from_slice(&header(payload));
                        free[HEADER..need].copy_from_slice(payload);
                        tx.commit(need);
                        true
                    }
                    None => false,
                }
            }),
            Box::new(move |sum: &mut u64| {
                let (used, count) = parse(rx.readable(), sum);
                rx.consume(used);
                count
            }),
        )
    }
}

/// rtrb: `push_entire_slice` for the prefix and the payload once there is room for both, and
/// a `read_chunk` of everything queued, parsed by [`parse_two`].
pub struct RtrbEnds;

impl Ends for RtrbEnds {
    type Put = Box<dyn FnMut(&[u8]) -> bool + Send>;
    type Take = Box<dyn FnMut(&mut u64) -> u64>;
    fn ends() -> (Self::Put, Self::Take) {
        let (mut tx, mut rx) = rtrb::RingBuffer::<u8>::new(RING);
        let mut scratch = Vec::with_capacity(HEADER + MAX_PAYLOAD);
        (
            Box::new(move |payload: &[u8]| {
                if tx.slots() < HEADER + payload.len() {
                    return false;
                }
                let pushed = tx.push_entire_slice(&header(payload)).is_ok()
                    && tx.push_entire_slice(payload).is_ok();
                assert!(pushed, "the producer alone fills the ring");
                true
            }),
            Box::new(move |sum: &mut u64| {
                let Ok(chunk) = rx.read_chunk(rx.slots()) else {
                    return 0;
                };
                let (first, second) = chunk.as_slices();
                let (used, count) = parse_two(first, second, &mut scratch, sum);
                chunk.commit(used);
                count
            }),
        )
    }
}

/// ringbuf: `push_slice` of the prefix and the payload once there is room for both, and
/// `as_slices` parsed by [`parse_two`], then `skip`.
pub struct RingbufEnds;

impl Ends for RingbufEnds {
    type Put = Box<dyn FnMut(&[u8]) -> bool + Send>;
    type Take = Box<dyn FnMut(&mut u64) -> u64>;
    fn ends() -> (Self::Put, Self::Take) {
        let (mut tx, mut rx) = ringbuf::HeapRb::<u8>::new(RING).split();
        let mut scratch = Vec::with_capacity(HEADER + MAX_PAYLOAD);
        (
            Box::new(move |payload: &[u8]| {
                if tx.vacant_len() < HEADER + payload.len() {
                    return false;
                }
                tx.push_slice(&header(payload));
                tx.push_slice(payload);
                true
            }),
            Box::new(move |sum: &mut u64| {
                let (first, second) = rx.as_slices();
                let (used, count) = parse_two(first, second, &mut scratch, sum);
                rx.skip(used);
                count
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every split point of a run of records parses to the same sum as the whole.
    #[test]
    fn parse_two_matches_parse_at_every_seam() {
        let records = Records::new();
        let mut wire = Vec::new();
        for i in 0..6 {
            let payload = &records.payload(i)[..(i as usize * 3) % 7 + 1];
            wire.extend_from_slice(&header(payload));
            wire.extend_from_slice(payload);
        }
        let mut whole = 0;
        assert_eq!(parse(&wire, &mut whole), (wire.len(), 6));
        let mut scratch = Vec::new();
        for seam in 0..=wire.len() {
            for end in seam..=wire.len() {
                let (mut a, mut b) = (0, 0);
                let two = parse_two(&wire[..seam], &wire[seam..end], &mut scratch, &mut a);
                let one = parse(&wire[..end], &mut b);
                assert_eq!((two, a), (one, b), "seam {seam}, end {end}");
            }
        }
    }

    #[test]
    fn every_peer_parses_the_same_records() {
        two_threads_records::<PicoEnds>(3_000);
        two_threads_records::<RtrbEnds>(3_000);
        two_threads_records::<RingbufEnds>(3_000);
        one_thread_records::<PicoEnds>(3_000);
        one_thread_records::<RtrbEnds>(3_000);
        one_thread_records::<RingbufEnds>(3_000);
    }
}
