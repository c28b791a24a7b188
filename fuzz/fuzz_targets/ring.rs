//! `PicoRing` against `VecDeque`: a ring of drop-counted elements with a `Cell` inside
//! (push, overwrite, pop, consume, extend, mutation through `get_mut`, `readable_mut` and
//! through `&`), then a byte ring through its slice, in-place and `std::io` interfaces. Either
//! on the default (native) backend or the software mirror.
#![no_main]

use std::collections::VecDeque;
use std::io::{BufRead, Read, Write};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use picoring::PicoRing;
use picoring_fuzz::{finish_run, small, start_run, Mirror, Tracked};

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

#[derive(Arbitrary, Debug)]
struct Input {
    mirror: Mirror,
    capacity: u16,
    ops: Vec<Op>,
    byte_capacity: u16,
    byte_ops: Vec<ByteOp>,
}

fn check(ring: &PicoRing<Tracked>, model: &VecDeque<(usize, u64)>) {
    assert_eq!(ring.len(), model.len());
    assert_eq!(ring.free_len(), ring.capacity() - model.len());
    assert_eq!(ring.is_empty(), model.is_empty());
    assert_eq!(ring.is_full(), model.len() == ring.capacity());
    let readable: Vec<_> = ring.readable().iter().map(Tracked::key).collect();
    assert!(readable.iter().eq(model.iter()));
    assert!(ring.iter().map(Tracked::key).eq(model.iter().copied()));
    assert_eq!(ring.front().map(Tracked::key), model.front().copied());
    assert_eq!(ring.back().map(Tracked::key), model.back().copied());
    assert!(ring.get(model.len()).is_none());
}

fn tracked_ops(input: &Input) {
    let requested = small(input.capacity, 600);
    let Ok(mut ring) = PicoRing::<Tracked>::with_options(requested, &input.mirror.options()) else {
        return;
    };
    let cap = ring.capacity();
    assert!(cap >= requested);
    let mut model: VecDeque<(usize, u64)> = VecDeque::new();
    for op in &input.ops {
        match *op {
            Op::Push(v) => {
                let t = Tracked::new(v);
                let key = t.key();
                match ring.push(t) {
                    Ok(()) => model.push_back(key),
                    Err(back) => {
                        assert_eq!(model.len(), cap);
                        assert_eq!(back.key(), key);
                    }
                }
            }
            Op::PushMany(n) => {
                for i in 0..n {
                    let t = Tracked::new(u64::from(i));
                    let key = t.key();
                    if ring.push(t).is_err() {
                        assert_eq!(model.len(), cap);
                        break;
                    }
                    model.push_back(key);
                }
            }
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
            Op::Pop => assert_eq!(ring.pop().map(|t| t.key()), model.pop_front()),
            Op::Consume(n) => {
                let n = usize::from(n);
                let expected = n.min(model.len());
                assert_eq!(ring.consume(n), expected);
                model.drain(..expected);
            }
            Op::Clear => {
                ring.clear();
                model.clear();
            }
            Op::GetMut(i, v) => {
                let i = usize::from(i);
                match ring.get_mut(i) {
                    Some(t) => {
                        t.cell.set(v);
                        model[i].1 = v;
                    }
                    None => assert!(i >= model.len()),
                }
            }
            Op::ReadableMut(i, v) => {
                if !model.is_empty() {
                    let i = usize::from(i) % model.len();
                    ring.readable_mut()[i].cell.set(v);
                    model[i].1 = v;
                }
            }
            Op::Poke(ref accessor, i, v) => {
                if model.is_empty() {
                    continue;
                }
                let i = match accessor {
                    Accessor::Front => 0,
                    Accessor::Back => model.len() - 1,
                    _ => usize::from(i) % model.len(),
                };
                let target = match accessor {
                    Accessor::Get => ring.get(i),
                    Accessor::Front => ring.front(),
                    Accessor::Back => ring.back(),
                    Accessor::Iter => ring.iter().nth(i),
                    Accessor::Readable => ring.readable().get(i),
                };
                target.expect("index within len").cell.set(v);
                model[i].1 = v;
            }
        }
        check(&ring, &model);
    }
    // Drain half through pop, leave the rest to the ring's destructor.
    for _ in 0..model.len() / 2 {
        assert_eq!(ring.pop().map(|t| t.key()), model.pop_front());
    }
    drop(ring);
}

fn byte_ops(input: &Input) {
    let requested = small(input.byte_capacity, 20_000);
    let Ok(mut ring) = PicoRing::<u8>::with_options(requested, &input.mirror.options()) else {
        return;
    };
    let cap = ring.capacity();
    assert!(cap >= requested);
    let mut model: VecDeque<u8> = VecDeque::new();
    for op in &input.byte_ops {
        match op {
            ByteOp::PushSlice(data) | ByteOp::IoWrite(data) => {
                let n = if let ByteOp::IoWrite(_) = op {
                    ring.write(data).expect("ring writes never fail")
                } else {
                    ring.push_slice(data)
                };
                assert_eq!(n, data.len().min(cap - model.len()));
                model.extend(&data[..n]);
            }
            ByteOp::PopSlice(n) | ByteOp::IoRead(n) => {
                let mut out = vec![0u8; usize::from(*n)];
                let got = if let ByteOp::IoRead(_) = op {
                    ring.read(&mut out).expect("ring reads never fail")
                } else {
                    ring.pop_slice(&mut out)
                };
                assert_eq!(got, out.len().min(model.len()));
                assert!(model.drain(..got).eq(out[..got].iter().copied()));
            }
            ByteOp::WriteInPlace(fill, n) => {
                let free = ring.writable();
                assert_eq!(free.len(), cap - model.len());
                for (i, b) in free.iter_mut().enumerate() {
                    *b = fill.wrapping_add(i as u8);
                }
                let n = usize::from(*n).min(free.len());
                assert_eq!(ring.commit(n), n);
                model.extend((0..n).map(|i| fill.wrapping_add(i as u8)));
            }
            ByteOp::BufConsume(n) => {
                let buf = ring.fill_buf().expect("ring reads never fail");
                assert!(buf.iter().eq(model.iter()));
                let n = usize::from(*n).min(model.len());
                BufRead::consume(&mut ring, n);
                model.drain(..n);
            }
            ByteOp::Push(b) => match ring.push(*b) {
                Ok(()) => model.push_back(*b),
                Err(back) => {
                    assert_eq!(back, *b);
                    assert_eq!(model.len(), cap);
                }
            },
            ByteOp::Pop => assert_eq!(ring.pop(), model.pop_front()),
            ByteOp::Consume(n) => {
                let asked = usize::from(*n);
                let n = asked.min(model.len());
                assert_eq!(ring.consume(asked), n);
                model.drain(..n);
            }
            ByteOp::Clear => {
                ring.clear();
                model.clear();
            }
        }
        assert_eq!(ring.len(), model.len());
        assert!(ring.readable().iter().eq(model.iter()));
    }
}

fuzz_target!(|input: Input| {
    start_run();
    tracked_ops(&input);
    finish_run();
    byte_ops(&input);
});
