//! The SPSC ring's two ends, driven from one thread in a fuzzed interleaving, against a
//! `VecDeque`: a ring of drop-counted elements with a `Cell` inside (split with elements
//! already queued, possibly wrapped; push, pop, consume, mutation through `readable`; either
//! end dropped early), then a byte ring through the slice, in-place and `std::io` interfaces.
//! Either on the default (native) backend or the software mirror.
#![no_main]

use std::io::{Read, Write};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use picoring::PicoRing;
use picoring_fuzz::model::create;
use picoring_fuzz::{counting_drops, Mirror, Tracked};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Push(u64),
    PushMany(u8),
    Pop,
    Consume(u16),
    ReadableAtLeast(u16),
    /// `cell.set` through the consumer's shared `readable()` slice.
    Poke(u16, u64),
    DropProducer,
    DropConsumer,
}

#[derive(Arbitrary, Debug)]
enum ByteOp {
    PushSlice(Vec<u8>),
    PopSlice(u16),
    WriteInPlace(u8, u16),
    WritableAtLeast(u16, u8),
    ReadableAtLeast(u16),
    /// `std::io` on the ends blocks while the ring is full (write) or empty (read): these are
    /// skipped then, the one thread driving both ends would wait forever.
    IoWrite(Vec<u8>),
    IoRead(u16),
    BufConsume(u16),
    Consume(u16),
}

#[derive(Arbitrary, Debug)]
struct Input {
    mirror: Mirror,
    capacity: u16,
    /// Elements pushed and popped before the split, to move the head.
    advance: u16,
    /// Elements queued at the split.
    queued: u16,
    ops: Vec<Op>,
    byte_capacity: u16,
    byte_ops: Vec<ByteOp>,
}

fn tracked_ops(input: &Input) -> Option<()> {
    let (mut ring, mut model) = create::<PicoRing<Tracked>>(input.capacity, 600, input.mirror)?;
    let cap = ring.capacity();
    for i in 0..usize::from(input.advance) % (cap + 1) {
        ring.push(Tracked::new(i as u64)).expect("room");
        ring.pop().expect("queued");
    }
    for i in 0..usize::from(input.queued) % (cap + 1) {
        let t = Tracked::new(i as u64);
        model.push_back(t.key());
        ring.push(t).expect("room");
    }
    let (tx, rx) = ring.split();
    let (mut tx, mut rx) = (Some(tx), Some(rx));
    for op in &input.ops {
        match (*op, tx.as_mut(), rx.as_mut()) {
            (Op::Push(v), Some(tx), _) => model.push(Tracked::new(v), |t| tx.push(t)),
            (Op::PushMany(n), Some(tx), _) => model.push_many(n.into(), |t| tx.push(t).is_ok()),
            (Op::Pop, _, Some(rx)) => model.pop(rx.pop()),
            (Op::Consume(n), _, Some(rx)) => model.consume(n, |n| rx.consume(n)),
            (Op::ReadableAtLeast(min), _, Some(rx)) => {
                let min = usize::from(min);
                model.check_at_least(min, rx.readable_at_least(min));
            }
            (Op::Poke(i, v), _, Some(rx)) => {
                if let Some(i) = model.index(i) {
                    model.set_cell(i, v, rx.readable().get(i));
                }
            }
            (Op::DropProducer, ..) => {
                if tx.take().is_some() {
                    if let Some(rx) = rx.as_ref() {
                        assert!(rx.is_abandoned());
                    }
                }
            }
            (Op::DropConsumer, ..) => {
                if rx.take().is_some() {
                    if let Some(tx) = tx.as_ref() {
                        assert!(tx.is_abandoned());
                    }
                }
            }
            // The end this operation needs was dropped.
            _ => continue,
        }
        if let Some(tx) = tx.as_mut() {
            assert_eq!(tx.free_len(), model.free());
        }
        if let Some(rx) = rx.as_mut() {
            model.check_len(rx.len(), rx.readable());
        }
    }
    if let Some(rx) = rx.as_mut() {
        model.pop_half(|| rx.pop());
    }
    Some(())
}

fn byte_ops(input: &Input) -> Option<()> {
    let (ring, mut model) = create::<PicoRing<u8>>(input.byte_capacity, 20_000, input.mirror)?;
    let (mut tx, mut rx) = ring.split();
    for op in &input.byte_ops {
        let would_block = match op {
            ByteOp::IoWrite(data) => !data.is_empty() && model.free() == 0,
            ByteOp::IoRead(n) => *n > 0 && model.is_empty(),
            ByteOp::BufConsume(_) => model.is_empty(),
            _ => false,
        };
        if would_block {
            continue;
        }
        match op {
            ByteOp::PushSlice(data) | ByteOp::IoWrite(data) => {
                let n = match op {
                    ByteOp::IoWrite(_) => tx.write(data).expect("the consumer is alive"),
                    _ => tx.push_slice(data),
                };
                model.pushed(data, n);
            }
            ByteOp::PopSlice(n) | ByteOp::IoRead(n) => {
                let mut out = vec![0; usize::from(*n)];
                let got = match op {
                    ByteOp::IoRead(_) => rx.read(&mut out).expect("never fails"),
                    _ => rx.pop_slice(&mut out),
                };
                model.popped(&out, got);
            }
            ByteOp::WriteInPlace(fill, n) => {
                model.write_in_place(&mut tx, *n, |i| fill.wrapping_add(i as u8));
            }
            ByteOp::WritableAtLeast(min, fill) => {
                let min = usize::from(*min);
                match tx.writable_at_least(min) {
                    Some(free) => {
                        assert!(free.len() >= min);
                        assert!(free.len() <= model.free());
                        free[..min].fill(*fill);
                        assert_eq!(tx.commit(min), min);
                        model.extend(std::iter::repeat_n(*fill, min));
                    }
                    None => assert!(model.free() < min),
                }
            }
            ByteOp::ReadableAtLeast(min) => {
                let min = usize::from(*min);
                model.check_at_least(min, rx.readable_at_least(min));
            }
            ByteOp::BufConsume(n) => model.buf_consume(&mut rx, *n),
            ByteOp::Consume(n) => model.consume(*n, |n| rx.consume(n)),
        }
        model.check_len(rx.len(), rx.readable());
    }
    Some(())
}

fuzz_target!(|input: Input| {
    counting_drops(|| tracked_ops(&input));
    byte_ops(&input);
});
