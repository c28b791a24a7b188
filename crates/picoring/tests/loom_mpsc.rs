//! loom models of the MPSC reservation, commit and release protocol: every interleaving (up to
//! the preemption bound) of two senders on a ring of a few records. Run with `make loom`.
#![cfg(loom)]

use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;
use picoring::mpsc::{self, WaitError};

mod common;

/// Explores `f` under loom; `LOOM_MAX_PREEMPTIONS` (default 2 here) bounds the search.
fn model(f: impl Fn() + Sync + Send + 'static) {
    common::loom_model(2, f);
}

/// Runs `a` and `b` on two threads, each with a sender of a new `bytes`-byte ring, while this
/// thread receives (blocking) until both senders are gone; returns the records' lengths in the
/// order received.
fn lens_from_two_senders(
    bytes: usize,
    a: impl FnOnce(mpsc::Sender) + Send + 'static,
    b: impl FnOnce(mpsc::Sender) + Send + 'static,
) -> Vec<usize> {
    let (tx, mut rx) = mpsc::channel(bytes).unwrap();
    let tx2 = tx.clone();
    let a = thread::spawn(move || a(tx));
    let b = thread::spawn(move || b(tx2));
    let mut lens = Vec::new();
    while let Ok(record) = rx.recv() {
        lens.push(record.len());
    }
    a.join().unwrap();
    b.join().unwrap();
    lens
}

/// Two senders on a 32-byte ring: two 16-byte records (8-byte header, 2 bytes padded to 8)
/// fit, so the third reservation must wait for, and then reuse, released space. `drain`
/// receives until both are gone, handing each record to `check`.
fn two_senders_wrap_a_two_record_ring_with(drain: fn(&mut mpsc::Receiver, &mut dyn FnMut(&[u8]))) {
    model(move || {
        let (tx, mut rx) = mpsc::channel(32).unwrap();
        let tx2 = tx.clone();
        let a = thread::spawn(move || {
            tx.send(&[0, 0]).unwrap();
            tx.send(&[0, 1]).unwrap();
        });
        let b = thread::spawn(move || tx2.send(&[1, 0]).unwrap());
        let mut next = [0u8; 2];
        drain(&mut rx, &mut |record| {
            assert_eq!(record.len(), 2);
            let id = record[0] as usize;
            assert_eq!(record[1], next[id]);
            next[id] += 1;
        });
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(next, [2, 1]);
    });
}

#[test]
fn two_senders_wrap_a_two_record_ring() {
    two_senders_wrap_a_two_record_ring_with(|rx, check| {
        while let Ok(record) = rx.recv() {
            check(&record);
        }
    });
}

#[test]
fn batches_from_two_senders_wrap_a_two_record_ring() {
    // A batch takes only finished records, each once, and its release lets the waiting
    // reservation reuse the space.
    two_senders_wrap_a_two_record_ring_with(|rx, check| {
        while let Ok(batch) = rx.recv_batch() {
            assert!(!batch.is_empty());
            batch.iter().for_each(&mut *check);
        }
    });
}

#[test]
fn reservation_order_survives_out_of_order_commits() {
    model(|| {
        let (tx, mut rx) = mpsc::channel(64).unwrap();
        let tx2 = tx.clone();
        let reserved = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&reserved);
        let first = thread::spawn(move || {
            let mut grant = tx.reserve(1).unwrap();
            flag.store(true, Ordering::Release);
            grant[0] = 1;
            grant.commit(); // may land before or after the second commit
        });
        let second = thread::spawn(move || {
            while !reserved.load(Ordering::Acquire) {
                thread::yield_now();
            }
            let mut grant = tx2.reserve(1).unwrap();
            grant[0] = 2;
            grant.commit();
        });
        // Blocking receive: no spinning, so a lost wakeup shows up as a deadlock.
        assert_eq!(&*rx.recv().unwrap(), [1]);
        assert_eq!(&*rx.recv().unwrap(), [2]);
        assert_eq!(rx.recv().err(), Some(WaitError::Disconnected));
        first.join().unwrap();
        second.join().unwrap();
    });
}

#[test]
fn sender_needing_the_whole_ring_is_woken_when_it_empties() {
    model(|| {
        // 64 bytes: the receiver wakes waiting senders only once the smallest request among
        // them fits. A sender waiting for all 64 bytes behind an 8-byte record is woken only
        // when the ring empties; in the other order the small sender waits for the whole
        // ring's record to go. A missed wakeup deadlocks the model.
        let mut lens = lens_from_two_senders(
            64,
            |tx| tx.send(&[]).unwrap(),
            |tx| tx.send(&[7; 56]).unwrap(),
        );
        lens.sort_unstable();
        assert_eq!(lens, [0, 56]);
    });
}

#[test]
fn preempted_reservation_cannot_claim_space_after_positions_wrap() {
    // One preemption is all the stale CAS needs (the one between reading the positions and
    // the CAS; the other sender's laps run while it is parked): with positions taken modulo
    // two laps, this bound finds the overrun in 3 s. The model passes in 15 s with one
    // preemption and in 18 minutes with two (on a busy 2-core machine): run two with
    // `LOOM_MAX_PREEMPTIONS=2 make loom`.
    common::loom_model(1, || {
        // 16 bytes: two empty records. While one sender may be preempted between reading the
        // positions and its CAS, the other reserves four records (two laps): with positions
        // modulo two laps the stale CAS would succeed and overrun the ring.
        let lens = lens_from_two_senders(
            16,
            |tx| tx.send(&[]).unwrap(),
            |tx| {
                for _ in 0..4 {
                    tx.send(&[]).unwrap();
                }
            },
        );
        assert_eq!(lens, [0; 5]);
    });
}

#[test]
fn waiting_sender_is_woken_by_a_small_release_that_fits_it() {
    model(|| {
        // 64 bytes, full: an 8-byte record, then 56 bytes reserved by this thread and held.
        // A sender waits for 8 bytes; releasing the first record frees exactly that, while the
        // ring stays far from empty. The receiver then waits for the sender (joins it) before
        // committing its own record: a sender not woken by that release deadlocks the model.
        let (tx, mut rx) = mpsc::channel(64).unwrap();
        tx.send(&[]).unwrap();
        let held = tx.reserve(48).unwrap();
        let tx2 = tx.clone();
        let waiting = thread::spawn(move || tx2.send(&[]).unwrap());
        assert!(rx.try_recv().unwrap().is_empty()); // released on drop
        waiting.join().unwrap();
        held.commit();
        assert_eq!(rx.recv().unwrap().len(), 48);
        assert!(rx.recv().unwrap().is_empty());
    });
}
