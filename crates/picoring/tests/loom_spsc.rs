//! loom models of the SPSC index and wakeup protocols: every interleaving (up to the
//! preemption bound) of small rings that wrap around. Run with `make loom`.
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use picoring::spsc::{self, WaitError};

mod common;

/// Explores `f` under loom; `LOOM_MAX_PREEMPTIONS` (default 3 here) bounds the search.
fn model(f: impl Fn() + Sync + Send + 'static) {
    common::loom_model(3, f);
}

/// Runs `produce` on a thread that owns the producer of a new `cap`-element ring (and drops it
/// when done) while `consume` runs here with the consumer; then joins the thread.
fn produce_while_consuming(
    cap: usize,
    produce: impl FnOnce(&mut spsc::Producer<u64>) + Send + 'static,
    consume: impl FnOnce(&mut spsc::Consumer<u64>),
) {
    let (mut tx, mut rx) = spsc::channel::<u64>(cap).unwrap();
    let producer = thread::spawn(move || produce(&mut tx));
    consume(&mut rx);
    producer.join().unwrap();
}

#[test]
fn push_and_pop_across_the_wrap() {
    model(|| {
        let (mut tx, mut rx) = spsc::channel::<u64>(2).unwrap();
        assert_eq!(tx.capacity(), 2);
        let producer = thread::spawn(move || {
            for i in 0..3 {
                let mut value = i;
                while let Err(v) = tx.push(value) {
                    value = v;
                    thread::yield_now();
                }
            }
        });
        let mut got = Vec::new();
        while got.len() < 3 {
            match rx.pop() {
                Some(v) => got.push(v),
                None => thread::yield_now(),
            }
        }
        producer.join().unwrap();
        assert_eq!(got, [0, 1, 2]);
    });
}

#[test]
fn contiguous_chunks_on_both_sides() {
    model(|| {
        let (mut tx, mut rx) = spsc::channel::<u32>(2).unwrap();
        let producer = thread::spawn(move || {
            let mut next = 0u32;
            while next < 3 {
                let free = tx.writable();
                let n = free.len().min(3 - next as usize);
                for (k, slot) in free[..n].iter_mut().enumerate() {
                    *slot = next + k as u32;
                }
                tx.commit(n);
                next += n as u32;
                if n == 0 {
                    thread::yield_now();
                }
            }
        });
        let mut expected = 0u32;
        while expected < 3 {
            let readable = rx.readable();
            for (k, &v) in readable.iter().enumerate() {
                assert_eq!(v, expected + k as u32);
            }
            let n = readable.len();
            rx.consume(n);
            expected += n as u32;
            if n == 0 {
                thread::yield_now();
            }
        }
        producer.join().unwrap();
    });
}

#[test]
fn blocking_ends_never_miss_a_wakeup() {
    // No yields: a lost wakeup leaves both threads asleep, which loom reports as a deadlock.
    model(|| {
        produce_while_consuming(
            1,
            |tx| {
                for i in 0..2 {
                    tx.push_blocking(i).unwrap();
                }
            },
            |rx| {
                assert_eq!(rx.pop_blocking(), Some(0));
                assert_eq!(rx.pop_blocking(), Some(1));
                assert_eq!(rx.pop_blocking(), None);
            },
        );
    });
}

#[test]
fn waiting_consumer_sees_producer_leave() {
    model(|| {
        produce_while_consuming(
            2,
            |tx| tx.push(7).unwrap(),
            |rx| {
                // Two elements never come: the wait ends in Disconnected, never a hang.
                assert_eq!(rx.wait_readable(2, None), Err(WaitError::Disconnected));
                assert_eq!(rx.pop(), Some(7));
            },
        );
    });
}

/// Counts drops, so the model can check each element is dropped exactly once.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn last_end_to_drop_drops_each_element_once() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, mut rx) = spsc::channel::<Counted>(2).unwrap();
        let counter = Arc::clone(&drops);
        let producer = thread::spawn(move || {
            for _ in 0..2 {
                let _ = tx.push(Counted(Arc::clone(&counter)));
            }
        });
        drop(rx.pop());
        drop(rx);
        producer.join().unwrap();
        // Pushed into a full ring or not, every created element was dropped once.
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    });
}
