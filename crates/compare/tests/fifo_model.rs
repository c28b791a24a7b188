//! Every benchmark adapter must be a correct bounded byte FIFO, or its figures mean nothing:
//! random pushes, pops and views checked against a `VecDeque` model.

use std::collections::VecDeque;

use picoring_compare::fifo::{ByteFifo, Bytes, Deque, Pico, RingBuf, Rtrb, SliceRing, Upstream};

/// xorshift64: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const CAPACITY: usize = 4096;

fn check<F: ByteFifo>(seed: u64) {
    let mut fifo = F::with_capacity(CAPACITY);
    let mut model = VecDeque::new();
    let mut rng = Rng(seed);
    let mut next_byte = 0u8;
    let mut out = vec![0u8; 3 * CAPACITY];
    for step in 0..3000 {
        match rng.below(3) {
            0 => {
                let len = rng.below(2 * CAPACITY);
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        next_byte = next_byte.wrapping_add(1);
                        next_byte
                    })
                    .collect();
                let pushed = fifo.push(&data);
                // Every adapter accepts what fits in CAPACITY bytes (some hold a little more).
                let room = CAPACITY.saturating_sub(model.len());
                assert!(
                    pushed >= len.min(room),
                    "{} step {step}: pushed {pushed} of {len}",
                    F::NAME
                );
                model.extend(&data[..pushed]);
                next_byte = next_byte.wrapping_sub((len - pushed) as u8);
            }
            1 => {
                let want = rng.below(2 * CAPACITY);
                let got = fifo.pop(&mut out[..want]);
                assert_eq!(
                    got,
                    want.min(model.len()),
                    "{} step {step}: popped",
                    F::NAME
                );
                let expected: Vec<u8> = model.drain(..got).collect();
                assert_eq!(&out[..got], &expected[..], "{} step {step}: bytes", F::NAME);
            }
            _ => {
                let expected: Vec<u8> = model.iter().copied().collect();
                assert_eq!(
                    fifo.contiguous(),
                    &expected[..],
                    "{} step {step}: view",
                    F::NAME
                );
            }
        }
    }
}

#[test]
fn every_adapter_is_a_fifo() {
    for seed in [1, 0x9E37_79B9_7F4A_7C15, 42] {
        check::<Pico>(seed);
        check::<Upstream>(seed);
        check::<Deque>(seed);
        check::<SliceRing>(seed);
        check::<RingBuf>(seed);
        check::<Rtrb>(seed);
        check::<Bytes>(seed);
    }
}
