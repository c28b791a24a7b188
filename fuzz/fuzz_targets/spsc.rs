//! The SPSC ring's two ends, driven from one thread in a fuzzed interleaving, against a
//! `VecDeque`: a ring of drop-counted elements with a `Cell` inside (split with elements
//! already queued, possibly wrapped; push, pop, consume, mutation through `readable`; either
//! end dropped early), then a byte ring through the slice, in-place and `std::io` interfaces.
//! Either on the default (native) backend or the software mirror.
#![no_main]

use std::collections::VecDeque;
use std::io::{BufRead, Read, Write};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use picoring::PicoRing;
use picoring_fuzz::{finish_run, small, start_run, Mirror, Tracked};

#[derive(Arbitrary, Debug)]
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

fn tracked_ops(input: &Input) {
    let requested = small(input.capacity, 600);
    let Ok(mut ring) = PicoRing::<Tracked>::with_options(requested, &input.mirror.options()) else {
        return;
    };
    let cap = ring.capacity();
    for i in 0..usize::from(input.advance) % (cap + 1) {
        ring.push(Tracked::new(i as u64)).expect("room");
        ring.pop().expect("queued");
    }
    let mut model: VecDeque<(usize, u64)> = VecDeque::new();
    for i in 0..usize::from(input.queued) % (cap + 1) {
        let t = Tracked::new(i as u64);
        model.push_back(t.key());
        ring.push(t).expect("room");
    }
    let (tx, rx) = ring.split();
    let (mut tx, mut rx) = (Some(tx), Some(rx));
    for op in &input.ops {
        match *op {
            Op::Push(v) => {
                let Some(tx) = tx.as_mut() else { continue };
                let t = Tracked::new(v);
                let key = t.key();
                match tx.push(t) {
                    Ok(()) => model.push_back(key),
                    Err(back) => {
                        assert_eq!(model.len(), cap);
                        assert_eq!(back.key(), key);
                    }
                }
            }
            Op::PushMany(n) => {
                let Some(tx) = tx.as_mut() else { continue };
                for i in 0..u64::from(n) {
                    let t = Tracked::new(i);
                    let key = t.key();
                    if tx.push(t).is_err() {
                        assert_eq!(model.len(), cap);
                        break;
                    }
                    model.push_back(key);
                }
            }
            Op::Pop => {
                let Some(rx) = rx.as_mut() else { continue };
                assert_eq!(rx.pop().map(|t| t.key()), model.pop_front());
            }
            Op::Consume(n) => {
                let Some(rx) = rx.as_mut() else { continue };
                let asked = usize::from(n);
                let n = asked.min(model.len());
                assert_eq!(rx.consume(asked), n);
                model.drain(..n);
            }
            Op::ReadableAtLeast(min) => {
                let Some(rx) = rx.as_mut() else { continue };
                let min = usize::from(min);
                match rx.readable_at_least(min) {
                    Some(slice) => {
                        assert!(slice.len() >= min);
                        assert!(slice
                            .iter()
                            .map(Tracked::key)
                            .eq(model.iter().take(slice.len()).copied()));
                    }
                    None => assert!(model.len() < min),
                }
            }
            Op::Poke(i, v) => {
                let Some(rx) = rx.as_mut() else { continue };
                if !model.is_empty() {
                    let i = usize::from(i) % model.len();
                    rx.readable()[i].cell.set(v);
                    model[i].1 = v;
                }
            }
            Op::DropProducer => {
                if tx.take().is_some() {
                    if let Some(rx) = rx.as_ref() {
                        assert!(rx.is_abandoned());
                    }
                }
            }
            Op::DropConsumer => {
                if rx.take().is_some() {
                    if let Some(tx) = tx.as_ref() {
                        assert!(tx.is_abandoned());
                    }
                }
            }
        }
        if let Some(tx) = tx.as_mut() {
            assert_eq!(tx.free_len(), cap - model.len());
        }
        if let Some(rx) = rx.as_mut() {
            assert_eq!(rx.len(), model.len());
            assert!(rx
                .readable()
                .iter()
                .map(Tracked::key)
                .eq(model.iter().copied()));
        }
    }
    if let Some(rx) = rx.as_mut() {
        for _ in 0..model.len() / 2 {
            assert_eq!(rx.pop().map(|t| t.key()), model.pop_front());
        }
    }
}

fn byte_ops(input: &Input) {
    let requested = small(input.byte_capacity, 20_000);
    let Ok(ring) = PicoRing::<u8>::with_options(requested, &input.mirror.options()) else {
        return;
    };
    let cap = ring.capacity();
    let (mut tx, mut rx) = ring.split();
    let mut model: VecDeque<u8> = VecDeque::new();
    for op in &input.byte_ops {
        let would_block = match op {
            ByteOp::IoWrite(data) => !data.is_empty() && model.len() == cap,
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
                assert_eq!(n, data.len().min(cap - model.len()));
                model.extend(&data[..n]);
            }
            ByteOp::PopSlice(n) | ByteOp::IoRead(n) => {
                let mut out = vec![0; usize::from(*n)];
                let got = match op {
                    ByteOp::IoRead(_) => rx.read(&mut out).expect("never fails"),
                    _ => rx.pop_slice(&mut out),
                };
                assert_eq!(got, out.len().min(model.len()));
                assert!(model.drain(..got).eq(out[..got].iter().copied()));
            }
            ByteOp::WriteInPlace(fill, n) => {
                let free = tx.writable();
                assert_eq!(free.len(), cap - model.len());
                for (i, b) in free.iter_mut().enumerate() {
                    *b = fill.wrapping_add(i as u8);
                }
                let n = usize::from(*n).min(free.len());
                assert_eq!(tx.commit(n), n);
                model.extend((0..n).map(|i| fill.wrapping_add(i as u8)));
            }
            ByteOp::WritableAtLeast(min, fill) => {
                let min = usize::from(*min);
                match tx.writable_at_least(min) {
                    Some(free) => {
                        assert!(free.len() >= min);
                        assert!(free.len() <= cap - model.len());
                        free[..min].fill(*fill);
                        assert_eq!(tx.commit(min), min);
                        model.extend(std::iter::repeat_n(*fill, min));
                    }
                    None => assert!(cap - model.len() < min),
                }
            }
            ByteOp::ReadableAtLeast(min) => {
                let min = usize::from(*min);
                match rx.readable_at_least(min) {
                    Some(slice) => {
                        assert!(slice.len() >= min);
                        assert!(slice.iter().eq(model.iter().take(slice.len())));
                    }
                    None => assert!(model.len() < min),
                }
            }
            ByteOp::BufConsume(n) => {
                assert!(rx.fill_buf().expect("never fails").iter().eq(model.iter()));
                let n = usize::from(*n).min(model.len());
                BufRead::consume(&mut rx, n);
                model.drain(..n);
            }
            ByteOp::Consume(n) => {
                let asked = usize::from(*n);
                let n = asked.min(model.len());
                assert_eq!(rx.consume(asked), n);
                model.drain(..n);
            }
        }
        assert_eq!(rx.len(), model.len());
        assert!(rx.readable().iter().eq(model.iter()));
    }
}

fuzz_target!(|input: Input| {
    start_run();
    tracked_ops(&input);
    finish_run();
    byte_ops(&input);
});
