//! The `async` feature: futures-io on the SPSC byte ends, driven by `futures::executor` on two
//! threads, and by hand with a counting waker to see the wakeups themselves.

use std::io::ErrorKind;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

use futures::executor::block_on;
use futures::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt};
use picoring::spsc::{channel, WaitError};

mod common;
use common::Rng;

/// The stream both sides agree on: byte `i` of the transfer.
fn byte_at(i: u64) -> u8 {
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 56) as u8 ^ i as u8
}

#[test]
fn moves_64_mib_in_random_chunks_through_a_small_ring() {
    const TOTAL: u64 = 64 << 20;
    let (mut tx, mut rx) = channel::<u8>(4096).unwrap();
    let cap = tx.capacity();
    let writer = thread::spawn(move || {
        block_on(async {
            let mut rng = Rng::new(0x1234_5678_9abc_def1);
            let mut chunk = vec![0u8; 3 * cap];
            let mut sent = 0u64;
            while sent < TOTAL {
                let n = (1 + rng.below(chunk.len())).min((TOTAL - sent) as usize);
                for (k, b) in chunk[..n].iter_mut().enumerate() {
                    *b = byte_at(sent + k as u64);
                }
                tx.write_all(&chunk[..n]).await.unwrap();
                sent += n as u64;
            }
            tx.close().await.unwrap();
        })
    });
    let mut rng = Rng::new(0xfeed_f00d_dead_beef);
    let mut buf = vec![0u8; 2 * cap];
    let mut received = 0u64;
    let mut sum = 0u64;
    block_on(async {
        loop {
            // Alternate between copying reads and in-place fill_buf/consume.
            if rng.next() % 2 == 0 {
                let want = 1 + rng.below(buf.len());
                let n = rx.read(&mut buf[..want]).await.unwrap();
                if n == 0 {
                    break;
                }
                for &b in &buf[..n] {
                    assert_eq!(b, byte_at(received), "byte {received}");
                    sum = sum.wrapping_mul(31).wrapping_add(u64::from(b));
                    received += 1;
                }
            } else {
                let data = rx.fill_buf().await.unwrap();
                if data.is_empty() {
                    break;
                }
                let n = 1 + rng.below(data.len());
                for &b in &data[..n] {
                    assert_eq!(b, byte_at(received), "byte {received}");
                    sum = sum.wrapping_mul(31).wrapping_add(u64::from(b));
                    received += 1;
                }
                rx.consume_unpin(n);
            }
        }
    });
    writer.join().unwrap();
    assert_eq!(received, TOTAL);
    let expected = (0..TOTAL).fold(0u64, |s, i| {
        s.wrapping_mul(31).wrapping_add(u64::from(byte_at(i)))
    });
    assert_eq!(sum, expected);
}

#[test]
fn producer_drop_and_close_are_end_of_file_after_the_queued_bytes() {
    for close in [false, true] {
        let (mut tx, mut rx) = channel::<u8>(64).unwrap();
        block_on(async {
            tx.write_all(b"last words").await.unwrap();
            if close {
                tx.close().await.unwrap();
                let err = tx.write(b"x").await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::BrokenPipe);
            } else {
                drop(tx);
            }
            let mut all = Vec::new();
            assert_eq!(rx.read_to_end(&mut all).await.unwrap(), 10);
            assert_eq!(all, b"last words");
            assert_eq!(rx.read(&mut [0u8; 4]).await.unwrap(), 0);
            assert!(rx.fill_buf().await.unwrap().is_empty());
        });
    }
}

#[test]
fn a_closed_producer_refuses_every_later_push() {
    let (mut tx, mut rx) = channel::<u8>(64).unwrap();
    block_on(async {
        tx.write_all(b"before").await.unwrap();
        tx.close().await.unwrap();
    });
    assert_eq!(tx.push(1), Err(1));
    assert_eq!(tx.push_slice(b"after"), 0);
    assert!(tx.writable().is_empty());
    assert!(tx.writable_at_least(1).is_none());
    assert_eq!(tx.commit(3), 0);
    assert_eq!(tx.free_len(), 0);
    assert_eq!(tx.wait_writable(1, None), Err(WaitError::Disconnected));
    assert_eq!(tx.push_blocking(2), Err(2));
    let err = std::io::Write::write(&mut tx, b"after").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    let mut all = Vec::new();
    block_on(rx.read_to_end(&mut all)).unwrap();
    assert_eq!(all, b"before");
}

#[test]
fn pending_reader_is_woken_by_the_producer_dropping_on_another_thread() {
    let (tx, mut rx) = channel::<u8>(64).unwrap();
    let dropper = thread::spawn(move || drop(tx));
    let mut all = Vec::new();
    assert_eq!(block_on(rx.read_to_end(&mut all)).unwrap(), 0);
    dropper.join().unwrap();
}

#[test]
fn consumer_drop_is_broken_pipe_even_for_a_pending_writer() {
    let (mut tx, rx) = channel::<u8>(64).unwrap();
    let cap = tx.capacity();
    // The ring fills, so the writer is pending (or about to be) when the consumer drops.
    let dropper = thread::spawn(move || drop(rx));
    let err = block_on(tx.write_all(&vec![1u8; cap + 1])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    dropper.join().unwrap();
    let err = block_on(tx.write(b"x")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
}

/// A waker that counts its wakeups and unparks the thread that made it.
struct Counter {
    wakes: AtomicUsize,
    thread: thread::Thread,
}

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

fn counting_waker() -> (Arc<Counter>, Waker) {
    let counter = Arc::new(Counter {
        wakes: AtomicUsize::new(0),
        thread: thread::current(),
    });
    (counter.clone(), Waker::from(counter))
}

/// Parks until `counter` has seen more than `seen` wakeups (no timing: it waits for the event).
fn wait_for_wake(counter: &Counter, seen: usize) {
    while counter.wakes.load(Ordering::SeqCst) <= seen {
        thread::park();
    }
}

/// Polls (`poll` says whether it was pending) until a pending poll no longer wakes its own
/// task on the spot: an end first hands the task back to the executor a few times, then
/// registers its waker. Returns the wake count at that point; a `Ready` poll fails the test.
fn poll_until_registered(counter: &Counter, mut poll: impl FnMut() -> bool) -> usize {
    for _ in 0..1000 {
        let before = counter.wakes.load(Ordering::SeqCst);
        assert!(poll(), "expected a pending poll");
        let after = counter.wakes.load(Ordering::SeqCst);
        if after == before {
            return after;
        }
    }
    panic!("a pending poll never registered its waker");
}

#[test]
fn pending_read_yields_a_few_times_then_registers() {
    let (_tx, mut rx) = channel::<u8>(64).unwrap();
    let (counter, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut buf = [0u8; 8];
    let yields = poll_until_registered(&counter, || {
        Pin::new(&mut rx).poll_read(&mut cx, &mut buf).is_pending()
    });
    assert!(yields > 0, "the first pending polls wake their own task");
    // Registered now: later pending polls (a spurious re-poll) wake nothing by themselves.
    assert!(Pin::new(&mut rx).poll_fill_buf(&mut cx).is_pending());
    assert_eq!(counter.wakes.load(Ordering::SeqCst), yields);
}

#[test]
fn pending_read_is_woken_by_a_write_on_another_thread() {
    let (mut tx, mut rx) = channel::<u8>(64).unwrap();
    let (counter, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut buf = [0u8; 8];
    let seen = poll_until_registered(&counter, || {
        Pin::new(&mut rx).poll_read(&mut cx, &mut buf).is_pending()
    });
    assert!(Pin::new(&mut rx).poll_fill_buf(&mut cx).is_pending());
    let writer = thread::spawn(move || {
        block_on(tx.write_all(b"wake")).unwrap();
        tx
    });
    wait_for_wake(&counter, seen);
    match Pin::new(&mut rx).poll_read(&mut cx, &mut buf) {
        // Four bytes into an empty ring of 64 are one publish: all or nothing.
        Poll::Ready(Ok(n)) => assert_eq!(&buf[..n], b"wake"),
        other => panic!("woken but not ready: {other:?}"),
    }
    let tx = writer.join().unwrap();
    // Registered again, the reader is woken by the producer's drop too, then sees end of file.
    let seen = poll_until_registered(&counter, || {
        Pin::new(&mut rx).poll_read(&mut cx, &mut buf).is_pending()
    });
    thread::spawn(move || drop(tx)).join().unwrap();
    wait_for_wake(&counter, seen);
    assert!(matches!(
        Pin::new(&mut rx).poll_read(&mut cx, &mut buf),
        Poll::Ready(Ok(0))
    ));
}

#[test]
fn no_lost_wakeup_over_many_tiny_ping_pongs() {
    // Each side waits for the other after every byte, so nearly every read and write goes
    // through the pending/wake path; one lost wakeup would hang the test.
    const ROUNDS: u32 = 20_000;
    let (mut ping_tx, mut ping_rx) = channel::<u8>(1).unwrap();
    let (mut pong_tx, mut pong_rx) = channel::<u8>(1).unwrap();
    let echo = thread::spawn(move || {
        block_on(async {
            let mut b = [0u8; 1];
            let mut count = 0u32;
            while ping_rx.read(&mut b).await.unwrap() == 1 {
                pong_tx.write_all(&[b[0].wrapping_add(1)]).await.unwrap();
                count += 1;
            }
            count
        })
    });
    block_on(async {
        let mut b = [0u8; 1];
        for i in 0..ROUNDS {
            ping_tx.write_all(&[i as u8]).await.unwrap();
            pong_rx.read_exact(&mut b).await.unwrap();
            assert_eq!(b[0], (i as u8).wrapping_add(1));
        }
        ping_tx.close().await.unwrap();
    });
    assert_eq!(echo.join().unwrap(), ROUNDS);
}

#[test]
fn pending_writer_is_woken_by_reads_on_another_thread() {
    // A ring much smaller than the message: the writer fills it and waits many times.
    let (mut tx, mut rx) = channel::<u8>(1).unwrap();
    let cap = tx.capacity();
    let message: Vec<u8> = (0..(cap * 50) as u64).map(byte_at).collect();
    let expected = message.clone();
    let reader = thread::spawn(move || {
        let mut got = Vec::new();
        let mut rng = Rng::new(99);
        let mut buf = vec![0u8; cap / 3 + 1];
        loop {
            let want = 1 + rng.below(buf.len());
            let n = std::io::Read::read(&mut rx, &mut buf[..want]).unwrap();
            if n == 0 {
                return got;
            }
            got.extend_from_slice(&buf[..n]);
        }
    });
    block_on(async {
        tx.write_all(&message).await.unwrap();
        tx.close().await.unwrap();
    });
    assert_eq!(reader.join().unwrap(), expected);
}
