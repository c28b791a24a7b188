//! `PicoRing` against `VecDeque`: a ring of drop-counted elements with a `Cell` inside
//! (push, overwrite, pop, consume, extend, mutation through `get_mut`, `readable_mut` and
//! through `&`), then a byte ring through its slice, in-place and `std::io` interfaces. Either
//! on the default (native) backend or the software mirror.
#![no_main]

use std::io::{Read, Write};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use picoring::PicoRing;
use picoring_fuzz::model::{create, Model};
use picoring_fuzz::{counting_drops, Tracked, TwoRuns};

#[derive(Arbitrary, Debug)]
enum Accessor {
    Get,
    Front,
    Back,
    Iter,
    Readable,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Push(u64),
    PushMany(u8),
    PushOverwrite(u64),
    Extend(u8),
    Pop,
    Consume(u16),
    Clear,
    GetMut(u16, u64),
    /// `cell.set` through the `readable_mut()` slice.
    ReadableMut(u16, u64),
    /// `cell.set` through a shared reference from one of the `&self` accessors.
    Poke(Accessor, u16, u64),
}

#[derive(Arbitrary, Debug)]
enum ByteOp {
    PushSlice(Vec<u8>),
    PopSlice(u16),
    /// Fill the whole free slice with a pattern, then commit up to that many.
    WriteInPlace(u8, u16),
    IoWrite(Vec<u8>),
    IoRead(u16),
    /// `BufRead::fill_buf`, then `BufRead::consume`.
    BufConsume(u16),
    Push(u8),
    Pop,
    Consume(u16),
    Clear,
}

type Input = TwoRuns<Op, ByteOp>;

fn check(ring: &PicoRing<Tracked>, model: &Model<Tracked>) {
    assert_eq!(ring.len(), model.len());
    assert_eq!(ring.free_len(), model.free());
    assert_eq!(ring.is_empty(), model.is_empty());
    assert_eq!(ring.is_full(), model.free() == 0);
    model.check(ring.readable());
    model.check(ring.iter());
    assert_eq!(ring.front().map(Tracked::key), model.front().copied());
    assert_eq!(ring.back().map(Tracked::key), model.back().copied());
    assert!(ring.get(model.len()).is_none());
}

fn tracked_ops(input: &Input) -> Option<()> {
    let (mut ring, mut model) = create::<PicoRing<Tracked>>(input.capacity, 600, input.mirror)?;
    let cap = ring.capacity();
    for op in &input.ops {
        match *op {
            Op::Push(v) => model.push(Tracked::new(v), |t| ring.push(t)),
            Op::PushMany(n) => model.push_many(n.into(), |t| ring.push(t).is_ok()),
            Op::PushOverwrite(v) => {
                let t = Tracked::new(v);
                let key = t.key();
                let evicted = ring.push_overwrite(t).map(|e| e.key());
                let expected = if model.len() == cap {
                    model.pop_front()
                } else {
                    None
                };
                model.push_back(key);
                assert_eq!(evicted, expected);
            }
            Op::Extend(n) => {
                let items: Vec<Tracked> = (0..u64::from(n)).map(Tracked::new).collect();
                for t in &items {
                    if model.len() == cap {
                        model.pop_front();
                    }
                    model.push_back(t.key());
                }
                ring.extend(items);
            }
            Op::Pop => model.pop(ring.pop()),
            Op::Consume(n) => model.consume(n, |n| ring.consume(n)),
            Op::Clear => model.clear_with(|| ring.clear()),
            Op::GetMut(i, v) => {
                let i = usize::from(i);
                model.set_cell(i, v, ring.get_mut(i).map(|t| &*t));
            }
            Op::ReadableMut(i, v) => {
                if let Some(i) = model.index(i) {
                    model.set_cell(i, v, ring.readable_mut().get_mut(i).map(|t| &*t));
                }
            }
            Op::Poke(ref accessor, i, v) => {
                let Some(i) = model.index(i) else { continue };
                let (i, target) = match accessor {
                    Accessor::Get => (i, ring.get(i)),
                    Accessor::Front => (0, ring.front()),
                    Accessor::Back => (model.len() - 1, ring.back()),
                    Accessor::Iter => (i, ring.iter().nth(i)),
                    Accessor::Readable => (i, ring.readable().get(i)),
                };
                model.set_cell(i, v, Some(target.expect("index within len")));
            }
        }
        check(&ring, &model);
    }
    // Drain half through pop, leave the rest to the ring's destructor.
    model.pop_half(|| ring.pop());
    drop(ring);
    Some(())
}

fn byte_ops(input: &Input) -> Option<()> {
    let (mut ring, mut model) = create::<PicoRing<u8>>(input.data_capacity, 20_000, input.mirror)?;
    for op in &input.data_ops {
        match op {
            ByteOp::PushSlice(data) | ByteOp::IoWrite(data) => {
                let n = if let ByteOp::IoWrite(_) = op {
                    ring.write(data).expect("ring writes never fail")
                } else {
                    ring.push_slice(data)
                };
                model.pushed(data, n);
            }
            ByteOp::PopSlice(n) | ByteOp::IoRead(n) => {
                let mut out = vec![0u8; usize::from(*n)];
                let got = if let ByteOp::IoRead(_) = op {
                    ring.read(&mut out).expect("ring reads never fail")
                } else {
                    ring.pop_slice(&mut out)
                };
                model.popped(&out, got);
            }
            ByteOp::WriteInPlace(fill, n) => {
                model.write_in_place(&mut ring, *n, |i| fill.wrapping_add(i as u8));
            }
            ByteOp::BufConsume(n) => model.buf_consume(&mut ring, *n),
            ByteOp::Push(b) => model.push(*b, |b| ring.push(b)),
            ByteOp::Pop => model.pop(ring.pop()),
            ByteOp::Consume(n) => model.consume(*n, |n| ring.consume(n)),
            ByteOp::Clear => model.clear_with(|| ring.clear()),
        }
        model.check_len(ring.len(), ring.readable());
    }
    Some(())
}

fuzz_target!(|input: Input| {
    counting_drops(|| tracked_ops(&input));
    byte_ops(&input);
});
