//! loom models of the async wakeup handshake (the `async` feature): a task that polls
//! `Pending` is always woken by the other end's publish, release or drop, whatever the
//! interleaving. Run with
//! `RUSTFLAGS="--cfg loom" cargo test --release -p picoring --features async --test loom_spsc_async`.
#![cfg(loom)]

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};
use loom::sync::atomic::Ordering;
use loom::thread;
use picoring::spsc;

mod common;
use common::{flag_waker, Flag};

/// Explores `f` under loom; `LOOM_MAX_PREEMPTIONS` (default 3 here) bounds the search.
fn model(f: impl Fn() + Sync + Send + 'static) {
    common::loom_model(3, f);
}

/// A producer thread that pushes the one byte `7` and keeps its end alive, so only the push
/// itself can wake a reader.
fn push_seven(mut tx: spsc::Producer<u8>) -> thread::JoinHandle<spsc::Producer<u8>> {
    thread::spawn(move || {
        assert_eq!(tx.push_slice(&[7]), 1);
        tx
    })
}

/// After a read that polled `Pending` before the `7` arrived: the waker must have fired, and
/// polling again reads the `7`.
fn assert_woken_to_read_seven(flag: &Flag, rx: &mut spsc::Consumer<u8>, cx: &mut Context<'_>) {
    assert!(flag.0.load(Ordering::Acquire), "lost wakeup");
    let mut buf = [0u8; 2];
    let again = Pin::new(rx).poll_read(cx, &mut buf);
    assert!(matches!(again, Poll::Ready(Ok(1))));
    assert_eq!(buf[0], 7);
}

#[test]
fn pending_read_is_woken_by_a_write() {
    model(|| {
        let (tx, mut rx) = spsc::channel::<u8>(2).unwrap();
        let producer = push_seven(tx);
        let (flag, waker) = flag_waker();
        let mut cx = Context::from_waker(&waker);
        let mut buf = [0u8; 2];
        let first = Pin::new(&mut rx).poll_read(&mut cx, &mut buf);
        let _tx = producer.join().unwrap();
        match first {
            Poll::Ready(Ok(n)) => assert_eq!(&buf[..n], [7]),
            Poll::Ready(Err(e)) => panic!("{e}"),
            Poll::Pending => assert_woken_to_read_seven(&flag, &mut rx, &mut cx),
        }
    });
}

#[test]
fn still_registered_read_is_woken_by_a_write() {
    model(|| {
        let (tx, mut rx) = spsc::channel::<u8>(2).unwrap();
        let (flag, waker) = flag_waker();
        let mut cx = Context::from_waker(&waker);
        let mut buf = [0u8; 2];
        // Registered before the producer starts; the racing poll below finds the registration
        // in place and skips the heavy fence.
        assert!(Pin::new(&mut rx).poll_read(&mut cx, &mut buf).is_pending());
        let producer = push_seven(tx);
        let second = Pin::new(&mut rx).poll_read(&mut cx, &mut buf);
        let _tx = producer.join().unwrap();
        if second.is_pending() {
            assert_woken_to_read_seven(&flag, &mut rx, &mut cx);
        } else {
            assert_eq!(buf[0], 7);
        }
    });
}

#[test]
fn pending_read_is_woken_by_the_producer_leaving() {
    model(|| {
        let (tx, mut rx) = spsc::channel::<u8>(2).unwrap();
        let producer = thread::spawn(move || drop(tx));
        let (flag, waker) = flag_waker();
        let mut cx = Context::from_waker(&waker);
        let mut buf = [0u8; 2];
        let first = Pin::new(&mut rx).poll_read(&mut cx, &mut buf);
        producer.join().unwrap();
        if first.is_pending() {
            assert!(flag.0.load(Ordering::Acquire), "lost wakeup");
        }
        let last = Pin::new(&mut rx).poll_read(&mut cx, &mut buf);
        assert!(matches!(last, Poll::Ready(Ok(0))));
    });
}

#[test]
fn pending_write_is_woken_by_a_read() {
    model(|| {
        let (mut tx, mut rx) = spsc::channel::<u8>(2).unwrap();
        // Full (the model ring rounds its capacity up to whole words), so the write waits.
        let cap = tx.capacity();
        assert_eq!(tx.push_slice(&vec![1; cap]), cap);
        let consumer = thread::spawn(move || {
            assert_eq!(rx.pop(), Some(1));
            rx
        });
        let (flag, waker) = flag_waker();
        let mut cx = Context::from_waker(&waker);
        let first = Pin::new(&mut tx).poll_write(&mut cx, &[3]);
        let _rx = consumer.join().unwrap();
        match first {
            Poll::Ready(result) => assert_eq!(result.unwrap(), 1),
            // (Ready only when the pop came first.)
            Poll::Pending => {
                assert!(flag.0.load(Ordering::Acquire), "lost wakeup");
                let again = Pin::new(&mut tx).poll_write(&mut cx, &[3]);
                assert!(matches!(again, Poll::Ready(Ok(1))));
            }
        }
    });
}
