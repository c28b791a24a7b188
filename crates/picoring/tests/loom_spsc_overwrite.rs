//! loom models of the overwriting SPSC ring: the producer's compare-exchange moving `head` past
//! dropped elements against the consumer's claim, with data-race tracking on the slots, so a
//! slot written while the consumer reads it fails the model. Up to 4 preemptions (about 10 s
//! in release); run with `make loom`.
#![cfg(loom)]

use loom::thread;
use picoring::spsc::overwrite::{self, Consumer, Producer};

mod common;

/// Explores a producer thread running `produce` on a new 2-element ring (dropping its end when
/// done) while the consumer reads here with `read` until the producer is gone and the ring is
/// empty; checks that what was read is in order and that read + lost = what `produce` says it
/// pushed.
fn overwrite_while_reading(
    produce: fn(&mut Producer<u64>) -> u64,
    read: fn(&mut Consumer<u64>, &mut Vec<u64>),
) {
    common::loom_model(4, move || {
        let (mut tx, mut rx) = overwrite::channel::<u64>(2).unwrap();
        assert_eq!(tx.capacity(), 2);
        let producer = thread::spawn(move || produce(&mut tx));
        let mut got = Vec::new();
        loop {
            let gone = rx.is_abandoned();
            read(&mut rx, &mut got);
            if gone && rx.is_empty() {
                break;
            }
            thread::yield_now();
        }
        let pushed = producer.join().unwrap();
        assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
        assert_eq!(got.len() as u64 + rx.take_lost(), pushed, "{got:?}");
    });
}

/// Pushes 0, 1, 2, 3 one at a time, skipping a value the producer refuses (the consumer was
/// reading a full ring's oldest element); returns how many went in.
fn push_four(tx: &mut Producer<u64>) -> u64 {
    (0..4).filter(|&v| tx.push_overwrite(v).is_ok()).count() as u64
}

#[test]
fn pop_against_overwriting_push() {
    overwrite_while_reading(push_four, |rx, got| got.extend(rx.pop()));
}

#[test]
fn readable_against_overwriting_push() {
    overwrite_while_reading(push_four, |rx, got| {
        let view = rx.readable();
        got.extend_from_slice(&view);
        let n = view.len();
        view.consume(n);
    });
}

#[test]
fn pop_slice_against_overwriting_slices() {
    overwrite_while_reading(
        |tx| (tx.push_slice_overwrite(&[0, 1, 2]) + tx.push_slice_overwrite(&[3])) as u64,
        |rx, got| {
            let mut out = [0u64; 2];
            let n = rx.pop_slice(&mut out);
            got.extend_from_slice(&out[..n]);
        },
    );
}
