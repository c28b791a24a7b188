//! `PicoQueue` against `VecDeque`: a queue of drop-counted elements with a `Cell` inside
//! (push, pop, consume, mutation through `readable` and through `as_ring_mut`), then a `u32`
//! queue through its slice interface (all-or-nothing and partial) and in-place writes. Either on the default
//! (native) backend or the software mirror.
#![no_main]

use std::collections::VecDeque;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use picoring::PicoQueue;
use picoring_fuzz::{finish_run, small, start_run, Mirror, Tracked};

#[derive(Arbitrary, Debug)]
enum Op {
    Push(u64),
    PushMany(u8),
    Pop,
    Consume(u16),
    Clear,
    /// `cell.set` through the shared `view()` slice.
    PokeView(u16, u64),
    /// `cell.set` through `as_ring_mut().get_mut()`.
    SetViaRing(u16, u64),
}

#[derive(Arbitrary, Debug)]
enum BulkOp {
    PushAll(u16, u32),
    PushSlice(u16, u32),
    PopSlice(u16),
    WriteInPlace(u32, u16),
    Consume(u16),
    Clear,
}

#[derive(Arbitrary, Debug)]
struct Input {
    mirror: Mirror,
    capacity: u16,
    ops: Vec<Op>,
    bulk_capacity: u16,
    bulk_ops: Vec<BulkOp>,
}

fn tracked_ops(input: &Input) {
    let requested = small(input.capacity, 600);
    let Ok(mut queue) = PicoQueue::<Tracked>::with_options(requested, &input.mirror.options())
    else {
        return;
    };
    let cap = queue.capacity();
    assert!(cap >= requested);
    let mut model: VecDeque<(usize, u64)> = VecDeque::new();
    for op in &input.ops {
        match *op {
            Op::Push(v) => {
                let t = Tracked::new(v);
                let key = t.key();
                match queue.push(t) {
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
                    if queue.push(t).is_err() {
                        assert_eq!(model.len(), cap);
                        break;
                    }
                    model.push_back(key);
                }
            }
            Op::Pop => assert_eq!(queue.pop().map(|t| t.key()), model.pop_front()),
            Op::Consume(n) => {
                let asked = usize::from(n);
                let n = asked.min(model.len());
                assert_eq!(queue.consume(asked), n);
                model.drain(..n);
            }
            Op::Clear => {
                queue.clear();
                model.clear();
            }
            Op::PokeView(i, v) => {
                if !model.is_empty() {
                    let i = usize::from(i) % model.len();
                    queue.readable()[i].cell.set(v);
                    model[i].1 = v;
                }
            }
            Op::SetViaRing(i, v) => {
                let i = usize::from(i);
                match queue.as_ring_mut().get_mut(i) {
                    Some(t) => {
                        t.cell.set(v);
                        model[i].1 = v;
                    }
                    None => assert!(i >= model.len()),
                }
            }
        }
        assert_eq!(queue.len(), model.len());
        assert_eq!(queue.free_len(), cap - model.len());
        assert_eq!(queue.is_full(), model.len() == cap);
        assert!(queue
            .readable()
            .iter()
            .map(Tracked::key)
            .eq(model.iter().copied()));
    }
    for _ in 0..model.len() / 2 {
        assert_eq!(queue.pop().map(|t| t.key()), model.pop_front());
    }
}

fn bulk_ops(input: &Input) {
    let requested = small(input.bulk_capacity, 5000);
    let Ok(mut queue) = PicoQueue::<u32>::with_options(requested, &input.mirror.options()) else {
        return;
    };
    let cap = queue.capacity();
    let mut model: VecDeque<u32> = VecDeque::new();
    for op in &input.bulk_ops {
        match *op {
            BulkOp::PushAll(n, start) => {
                let values: Vec<u32> = (0..u32::from(n)).map(|i| start.wrapping_add(i)).collect();
                match queue.push_all(&values) {
                    Ok(()) => model.extend(&values),
                    Err(_) => assert!(values.len() > cap - model.len()),
                }
            }
            BulkOp::PushSlice(n, start) => {
                let values: Vec<u32> = (0..u32::from(n)).map(|i| start.wrapping_add(i)).collect();
                let pushed = queue.push_slice(&values);
                assert_eq!(pushed, values.len().min(cap - model.len()));
                model.extend(&values[..pushed]);
            }
            BulkOp::PopSlice(n) => {
                let mut out = vec![0; usize::from(n)];
                let got = queue.pop_slice(&mut out);
                assert_eq!(got, out.len().min(model.len()));
                assert!(model.drain(..got).eq(out[..got].iter().copied()));
            }
            BulkOp::WriteInPlace(start, n) => {
                let free = queue.writable();
                assert_eq!(free.len(), cap - model.len());
                for (i, slot) in free.iter_mut().enumerate() {
                    *slot = start.wrapping_add(i as u32);
                }
                let n = usize::from(n).min(free.len());
                assert_eq!(queue.commit(n), n);
                model.extend((0..n).map(|i| start.wrapping_add(i as u32)));
            }
            BulkOp::Consume(n) => {
                let asked = usize::from(n);
                let n = asked.min(model.len());
                assert_eq!(queue.consume(asked), n);
                model.drain(..n);
            }
            BulkOp::Clear => {
                queue.clear();
                model.clear();
            }
        }
        assert!(queue.readable().iter().eq(model.iter()));
    }
}

fuzz_target!(|input: Input| {
    start_run();
    tracked_ops(&input);
    finish_run();
    bulk_ops(&input);
});
