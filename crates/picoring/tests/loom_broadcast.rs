//! loom models of the broadcast protocol: the lossy pin handshake (a reader never reads a
//! record the sender is overwriting, and counts what it missed exactly) and the lossless wait
//! for the slowest reader, including a reader cloned while the sender runs, and a reader holding
//! records across calls with `peek`/`consume`. Every interleaving
//! up to the preemption bound, on rings of two or three records; the model memory flags any
//! read of ring bytes not ordered against their writes. Run with `make loom`.
#![cfg(loom)]

use loom::thread;
use picoring::broadcast::{self, Policy, RecvError};

mod common;

/// Explores `f` under loom; `LOOM_MAX_PREEMPTIONS` (default 2 here) bounds the search.
fn model(f: impl Fn() + Sync + Send + 'static) {
    common::loom_model(2, f);
}

/// A 1-byte record takes 24 ring bytes (16 of framing, the payload padded to 8).
const RECORD: usize = 24;

/// The next record's bytes, by `recv`, or (with `peek`) held across calls by `peek`, read
/// twice, then consumed.
fn take(rx: &mut broadcast::Receiver, peek: bool) -> Result<Vec<u8>, RecvError> {
    if !peek {
        return rx.recv().map(|record| record.to_vec());
    }
    let bytes = rx.peek()?.to_vec();
    // Held: the same record again, even if the sender moved `tail` past it meanwhile.
    assert_eq!(rx.peek().expect("the held record"), &bytes[..]);
    assert!(rx.consume());
    Ok(bytes)
}

/// Reads (see [`take`]) until the sender is gone; returns (records received in order, records
/// missed). Each record's byte is its sequence number, checked against the count so far.
fn read_all(rx: &mut broadcast::Receiver, mut next: u8, peek: bool) -> (u8, u64) {
    let (mut received, mut missed) = (0, 0);
    loop {
        match take(rx, peek) {
            Ok(record) => {
                assert_eq!(record, [next]);
                next += 1;
                received += 1;
            }
            Err(RecvError::Lagged(n)) => {
                missed += n;
                next += n as u8;
            }
            Err(RecvError::Disconnected) => return (received, missed),
            Err(other) => panic!("{other:?}"),
        }
    }
}

/// Two records fit: the third send evicts the first, racing the reader's pin.
fn lossy_sender_overwrites(peek: bool) {
    model(move || {
        let (mut tx, mut rx) = broadcast::channel(2 * RECORD, Policy::Lossy).unwrap();
        let reader = thread::spawn(move || read_all(&mut rx, 0, peek));
        for i in 0..3u8 {
            tx.send(&[i]).unwrap();
        }
        drop(tx);
        let (received, missed) = reader.join().unwrap();
        assert_eq!(u64::from(received) + missed, 3);
    });
}

#[test]
fn lossy_sender_overwrites_around_a_reader() {
    lossy_sender_overwrites(false);
}

#[test]
fn lossy_sender_overwrites_around_a_peeking_reader() {
    lossy_sender_overwrites(true);
}

#[test]
fn lossy_reader_joining_by_clone_while_the_sender_overwrites() {
    model(|| {
        let (mut tx, rx) = broadcast::channel(2 * RECORD, Policy::Lossy).unwrap();
        tx.send(&[0]).unwrap();
        let reader = thread::spawn(move || {
            let mut twin = rx.clone();
            drop(rx);
            read_all(&mut twin, 0, false)
        });
        tx.send(&[1]).unwrap();
        tx.send(&[2]).unwrap();
        drop(tx);
        let (received, missed) = reader.join().unwrap();
        assert_eq!(u64::from(received) + missed, 3);
    });
}

/// Receives the next record from `a` and from `b`, in turn, until the sender is gone; both
/// must see `next`, `next + 1`, ... Returns how many each received.
fn read_in_turn(a: &mut broadcast::Receiver, b: &mut broadcast::Receiver, mut next: u8) -> u8 {
    let mut received = 0;
    loop {
        match (a.recv(), b.recv()) {
            (Ok(x), Ok(y)) => {
                assert_eq!((&*x, &*y), (&[next][..], &[next][..]));
                next += 1;
                received += 1;
            }
            (Err(RecvError::Disconnected), Err(RecvError::Disconnected)) => return received,
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn lossless_sender_waits_for_two_readers() {
    model(|| {
        // One record fits: every send waits until both readers have read the one before.
        let (mut tx, mut a) = broadcast::channel(RECORD, Policy::Lossless).unwrap();
        let mut b = a.clone();
        let sender = thread::spawn(move || {
            for i in 0..2u8 {
                tx.send(&[i]).unwrap();
            }
        });
        assert_eq!(read_in_turn(&mut a, &mut b, 0), 2);
        sender.join().unwrap();
    });
}

#[test]
fn lossless_reader_cloned_while_the_sender_waits() {
    model(|| {
        // The reader clones itself after one record, and the original moves on: the sender,
        // which may have looked at the readers before the clone existed, must not overwrite
        // the record the clone has not read yet (loom flags the overlap, the check the bytes).
        let (mut tx, mut rx) = broadcast::channel(2 * RECORD, Policy::Lossless).unwrap();
        let sender = thread::spawn(move || {
            for i in 0..4u8 {
                tx.send(&[i]).unwrap();
            }
        });
        assert_eq!(&*rx.recv().unwrap(), &[0]);
        let mut twin = rx.clone();
        assert_eq!(&*rx.recv().unwrap(), &[1]);
        assert_eq!(&*twin.recv().unwrap(), &[1]);
        assert_eq!(read_in_turn(&mut rx, &mut twin, 2), 2);
        sender.join().unwrap();
    });
}
