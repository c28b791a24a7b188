//! `PicoList` against `Vec`: a list of drop-counted elements with a `Cell` inside, with a
//! small maximum capacity so that exhaustion is reached: push, try_push, pop, set, truncate,
//! clear, extend (all-or-nothing and partial), reserve, shrink, mutation through `&mut` and
//! through `&`. Its elements must never move while it grows.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use picoring::{Error, PicoList};
use picoring_fuzz::model::Model;
use picoring_fuzz::{finish_run, small, start_run, Tracked};

#[derive(Arbitrary, Debug)]
enum Op {
    Push(u64),
    TryPush(u64),
    PushMany(u16),
    Pop,
    Set(u16, u64),
    GetMut(u16, u64),
    /// `cell.set` through `get`, `as_slice` or `iter` (shared references).
    Poke(u8, u16, u64),
    Truncate(u16),
    Clear,
    /// Clones of the first `n` elements (or fresh ones when empty), all or nothing.
    ExtendFromSlice(u16),
    /// `try_extend` with `n` fresh elements: as many as fit.
    TryExtend(u16, bool),
    Reserve(u32),
    ShrinkToFit,
}

#[derive(Arbitrary, Debug)]
struct Input {
    max_capacity: u16,
    ops: Vec<Op>,
}

fn run(input: &Input) {
    let max = small(input.max_capacity, 3000);
    let mut list = match PicoList::<Tracked>::with_max_capacity(max) {
        Ok(list) => list,
        Err(Error::Os { .. }) => return,
        Err(err) => panic!("with_max_capacity({max}): {err}"),
    };
    assert_eq!(list.max_capacity(), max);
    // Where the elements live, from the first growth on (an empty list maps nothing yet, so
    // its pointer is dangling, like an empty `Vec`'s).
    let mut base = None;
    let stable = PicoList::<Tracked>::grows_in_place();
    let mut model = Model::<Tracked>::new(max);
    for op in &input.ops {
        match *op {
            Op::Push(v) | Op::TryPush(v) => {
                let t = Tracked::new(v);
                let key = t.key();
                let result = match op {
                    Op::Push(_) => list.push(t).map_err(|e| (None, e)),
                    _ => list.try_push(t).map_err(|(back, e)| (Some(back), e)),
                };
                match result {
                    Ok(()) => model.push_back(key),
                    Err((back, err)) => {
                        assert!(matches!(err, Error::ReservationExhausted { .. }), "{err}");
                        assert_eq!(model.len(), max);
                        if let Some(back) = back {
                            assert_eq!(back.key(), key);
                        }
                    }
                }
            }
            Op::PushMany(n) => model.push_many(n.into(), |t| list.push(t).is_ok()),
            Op::Pop => assert_eq!(list.pop().map(|t| t.key()), model.pop_back()),
            Op::Set(i, v) => {
                let i = usize::from(i);
                let t = Tracked::new(v);
                let key = t.key();
                match list.set(i, t) {
                    Ok(old) => assert_eq!(old.key(), std::mem::replace(&mut model[i], key)),
                    Err(back) => {
                        assert!(i >= model.len());
                        assert_eq!(back.key(), key);
                    }
                }
            }
            Op::GetMut(i, v) => {
                let i = usize::from(i);
                model.set_cell(i, v, list.get_mut(i).map(|t| &*t));
            }
            Op::Poke(how, i, v) => {
                let Some(i) = model.index(i) else { continue };
                let target = match how % 3 {
                    0 => list.get(i),
                    1 => list.as_slice().get(i),
                    // The iterator is one of the ways under test.
                    #[allow(clippy::iter_nth)]
                    _ => list.iter().nth(i),
                };
                model.set_cell(i, v, Some(target.expect("index within len")));
            }
            Op::Truncate(n) => {
                list.truncate(usize::from(n));
                model.truncate(usize::from(n));
            }
            Op::Clear => model.clear_with(|| list.clear()),
            Op::ExtendFromSlice(n) => {
                let items: Vec<Tracked> = if model.is_empty() {
                    (0..u64::from(n)).map(Tracked::new).collect()
                } else {
                    list.iter().take(usize::from(n)).cloned().collect()
                };
                let first = Tracked::next_id();
                match list.extend_from_slice(&items) {
                    Ok(()) => {
                        let added = &list.as_slice()[model.len()..];
                        assert_eq!(added.len(), items.len());
                        for (t, src) in added.iter().zip(&items) {
                            assert!(t.id() >= first);
                            assert_eq!(t.cell.get(), src.cell.get());
                            model.push_back(t.key());
                        }
                    }
                    Err(err) => {
                        assert!(matches!(err, Error::ReservationExhausted { .. }), "{err}");
                        assert!(model.len() + items.len() > max);
                    }
                }
            }
            Op::TryExtend(n, exact_hint) => {
                let items: Vec<Tracked> = (0..u64::from(n)).map(Tracked::new).collect();
                let keys: Vec<_> = items.iter().map(Tracked::key).collect();
                let result = if exact_hint {
                    list.try_extend(items)
                } else {
                    // No size hint: the list learns the length only by pushing.
                    list.try_extend(items.into_iter().filter(|_| true))
                };
                let fit = keys.len().min(model.free());
                model.extend(&keys[..fit]);
                assert_eq!(result.is_ok(), fit == keys.len());
            }
            Op::Reserve(n) => {
                let n = n as usize;
                match list.reserve(n) {
                    Ok(()) => {
                        assert!(model.len() + n <= max);
                        assert!(list.capacity() >= model.len() + n);
                    }
                    Err(err) => {
                        assert!(matches!(err, Error::ReservationExhausted { .. }), "{err}");
                        assert!(model.len() + n > max);
                    }
                }
            }
            Op::ShrinkToFit => list.shrink_to_fit(),
        }
        assert_eq!(list.len(), model.len());
        assert!(list.capacity() >= list.len());
        assert!(list.capacity() <= max);
        model.check(list.iter());
        if stable && list.capacity() > 0 {
            let now = list.as_ptr();
            assert_eq!(
                *base.get_or_insert(now),
                now,
                "a list that grows in place moved"
            );
        }
    }
    for _ in 0..model.len() / 2 {
        assert_eq!(list.pop().map(|t| t.key()), model.pop_back());
    }
}

fuzz_target!(|input: Input| {
    start_run();
    run(&input);
    finish_run();
});
