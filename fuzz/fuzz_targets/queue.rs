//! `PicoQueue` against `VecDeque`: a queue of drop-counted elements with a `Cell` inside
//! (push, pop, consume, mutation through `readable` and through `as_ring_mut`), then a `u32`
//! queue through its slice interface (all-or-nothing and partial) and in-place writes. Either
//! on the default (native) backend or the software mirror.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use picoring::PicoQueue;
use picoring_fuzz::model::create;
use picoring_fuzz::{counting_drops, Tracked, TwoRuns};

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

type Input = TwoRuns<Op, BulkOp>;

fn tracked_ops(input: &Input) -> Option<()> {
    let (mut queue, mut model) = create::<PicoQueue<Tracked>>(input.capacity, 600, input.mirror)?;
    for op in &input.ops {
        match *op {
            Op::Push(v) => model.push(Tracked::new(v), |t| queue.push(t)),
            Op::PushMany(n) => model.push_many(n.into(), |t| queue.push(t).is_ok()),
            Op::Pop => model.pop(queue.pop()),
            Op::Consume(n) => model.consume(n, |n| queue.consume(n)),
            Op::Clear => model.clear_with(|| queue.clear()),
            Op::PokeView(i, v) => {
                if let Some(i) = model.index(i) {
                    model.set_cell(i, v, queue.readable().get(i));
                }
            }
            Op::SetViaRing(i, v) => {
                let i = usize::from(i);
                model.set_cell(i, v, queue.as_ring_mut().get_mut(i).map(|t| &*t));
            }
        }
        assert_eq!(queue.free_len(), model.free());
        assert_eq!(queue.is_full(), model.free() == 0);
        model.check_len(queue.len(), queue.readable());
    }
    model.pop_half(|| queue.pop());
    Some(())
}

/// `n` values counting up from `start` (wrapping).
fn values(n: u16, start: u32) -> Vec<u32> {
    (0..u32::from(n)).map(|i| start.wrapping_add(i)).collect()
}

fn bulk_ops(input: &Input) -> Option<()> {
    let (mut queue, mut model) = create::<PicoQueue<u32>>(input.data_capacity, 5000, input.mirror)?;
    for op in &input.data_ops {
        match *op {
            BulkOp::PushAll(n, start) => {
                let values = values(n, start);
                match queue.push_all(&values) {
                    Ok(()) => model.extend(&values),
                    Err(_) => assert!(values.len() > model.free()),
                }
            }
            BulkOp::PushSlice(n, start) => {
                let values = values(n, start);
                model.pushed(&values, queue.push_slice(&values));
            }
            BulkOp::PopSlice(n) => {
                let mut out = vec![0; usize::from(n)];
                let got = queue.pop_slice(&mut out);
                model.popped(&out, got);
            }
            BulkOp::WriteInPlace(start, n) => {
                model.write_in_place(&mut queue, n, |i| start.wrapping_add(i as u32));
            }
            BulkOp::Consume(n) => model.consume(n, |n| queue.consume(n)),
            BulkOp::Clear => model.clear_with(|| queue.clear()),
        }
        model.check(queue.readable());
    }
    Some(())
}

fuzz_target!(|input: Input| {
    counting_drops(|| tracked_ops(&input));
    bulk_ops(&input);
});
