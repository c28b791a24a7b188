//! loom models of the broadcast protocol: the lossy pin handshake (a reader never reads a
//! record the sender is overwriting, and counts what it missed exactly) and the lossless wait
//! for the slowest reader, including a reader cloned while the sender runs, and a reader holding
//! records across calls with `peek`/`consume`, and (with the `async` feature) the wakeups of
//! pending `recv_async`/`send_async` futures. Every interleaving
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

/// The async wakeup handshake (the `async` feature): a reader whose `recv_async` polled
/// `Pending` is always woken by the publish or the sender's drop that follows, whatever the
/// interleaving; with two readers pending at once, both are.
#[cfg(feature = "async")]
mod wakeups {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll};

    use loom::sync::atomic::Ordering;
    use loom::thread;
    use picoring::broadcast::{self, Policy, RecvError};

    use super::common::flag_waker;
    use super::{model, RECORD};

    /// Polls `rx.recv_async()` once while `tx` sends `[7]` (or, with `send` false, drops);
    /// if that poll was `Pending`, the waker must have fired by the time the sender is done,
    /// and polling again gives the record (or `Disconnected`).
    fn pending_reader_is_woken(send: bool, policy: Policy) {
        model(move || {
            let (mut tx, mut rx) = broadcast::channel(2 * RECORD, policy).unwrap();
            let sender = thread::spawn(move || {
                if send {
                    tx.send(&[7]).unwrap();
                }
            });
            let (flag, waker) = flag_waker();
            let mut cx = Context::from_waker(&waker);
            let mut future = pin!(rx.recv_async());
            let first = future.as_mut().poll(&mut cx);
            sender.join().unwrap();
            let result = match first {
                Poll::Ready(result) => result.map(|record| record.to_vec()),
                Poll::Pending => {
                    assert!(flag.0.load(Ordering::Acquire), "lost wakeup");
                    match future.as_mut().poll(&mut cx) {
                        Poll::Ready(result) => result.map(|record| record.to_vec()),
                        Poll::Pending => panic!("woken, but nothing to receive"),
                    }
                }
            };
            if send {
                assert_eq!(result, Ok(vec![7]));
            } else {
                assert_eq!(result, Err(RecvError::Disconnected));
            }
        });
    }

    #[test]
    fn pending_reader_is_woken_by_a_send() {
        pending_reader_is_woken(true, Policy::Lossless);
        pending_reader_is_woken(true, Policy::Lossy);
    }

    #[test]
    fn pending_reader_is_woken_by_the_sender_drop() {
        pending_reader_is_woken(false, Policy::Lossless);
        pending_reader_is_woken(false, Policy::Lossy);
    }

    #[test]
    fn two_pending_readers_are_both_woken() {
        model(|| {
            let (mut tx, mut a) = broadcast::channel(2 * RECORD, Policy::Lossless).unwrap();
            let mut b = a.clone();
            let sender = thread::spawn(move || {
                tx.send(&[7]).unwrap();
                tx
            });
            let (flag_a, waker_a) = flag_waker();
            let (flag_b, waker_b) = flag_waker();
            let mut future_a = pin!(a.recv_async());
            let mut future_b = pin!(b.recv_async());
            let first_a = future_a.as_mut().poll(&mut Context::from_waker(&waker_a));
            let first_b = future_b.as_mut().poll(&mut Context::from_waker(&waker_b));
            let _tx = sender.join().unwrap();
            for (first, flag) in [
                (first_a.is_pending(), &flag_a),
                (first_b.is_pending(), &flag_b),
            ] {
                if first {
                    assert!(flag.0.load(Ordering::Acquire), "lost wakeup");
                }
            }
        });
    }

    /// A lossless sender whose `send_async` polled `Pending` on a full ring is woken by the
    /// reader that frees the room.
    #[test]
    fn pending_sender_is_woken_by_a_read() {
        model(|| {
            let (mut tx, mut rx) = broadcast::channel(RECORD, Policy::Lossless).unwrap();
            tx.send(&[1]).unwrap();
            let reader = thread::spawn(move || {
                assert_eq!(&*rx.recv().unwrap(), &[1]);
                rx
            });
            let (flag, waker) = flag_waker();
            let mut cx = Context::from_waker(&waker);
            let mut future = pin!(tx.send_async(&[2]));
            let first = future.as_mut().poll(&mut cx);
            let _rx = reader.join().unwrap();
            if first.is_pending() {
                assert!(flag.0.load(Ordering::Acquire), "lost wakeup");
                assert_eq!(future.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
            }
        });
    }
}
