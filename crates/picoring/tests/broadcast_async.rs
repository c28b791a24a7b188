//! The async waits of the broadcast ring (the `async` feature): many readers waiting at once
//! under tokio and under `futures::executor`, each woken by every record and by the sender's
//! drop, and the sender waiting asynchronously for room.

use picoring::broadcast::{self, Policy, Receiver, RecvError, SendError, Sender};

const READERS: usize = 4;
const RECORDS: u64 = 20_000;

/// Record `i`: its index, then `i % 40` bytes of `i as u8`.
fn record(i: u64) -> Vec<u8> {
    let mut bytes = i.to_le_bytes().to_vec();
    bytes.resize(8 + (i % 40) as usize, i as u8);
    bytes
}

/// The index of a record, checking its contents.
fn check(bytes: &[u8]) -> u64 {
    let i = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    assert_eq!(bytes, &record(i)[..], "record {i} corrupted");
    i
}

/// Reads until the sender is gone: every record in order (lossless), or in order with the
/// gaps reported by `Lagged` exactly (lossy). Returns (records read, records missed).
async fn read_all(mut rx: Receiver) -> (u64, u64) {
    let (mut next, mut read, mut missed) = (0, 0, 0);
    loop {
        match rx.recv_async().await {
            Ok(bytes) => {
                assert_eq!(check(&bytes), next, "out of order");
                next += 1;
                read += 1;
            }
            Err(RecvError::Lagged(n)) => {
                next += n;
                missed += n;
            }
            Err(RecvError::Disconnected) => return (read, missed),
            Err(e) => panic!("unexpected {e}"),
        }
    }
}

async fn send_all(mut tx: Sender) {
    for i in 0..RECORDS {
        tx.send_async(&record(i)).await.unwrap();
        if i % 64 == 0 {
            // Let the readers catch up, so they often wait with nothing queued.
            tokio::task::yield_now().await;
        }
    }
}

fn tokio_readers(policy: Policy) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, rx) = broadcast::channel(4096, policy).unwrap();
        let readers: Vec<_> = (0..READERS)
            .map(|_| tokio::spawn(read_all(rx.clone())))
            .collect();
        drop(rx);
        tokio::spawn(send_all(tx)).await.unwrap();
        for reader in readers {
            let (read, missed) = reader.await.unwrap();
            assert_eq!(read + missed, RECORDS);
            if policy == Policy::Lossless {
                assert_eq!(missed, 0);
            }
        }
    });
}

#[test]
fn tokio_lossless_readers_get_every_record() {
    tokio_readers(Policy::Lossless);
}

#[test]
fn tokio_lossy_readers_count_what_they_missed() {
    tokio_readers(Policy::Lossy);
}

#[test]
fn tokio_current_thread_readers_and_sender() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, rx) = broadcast::channel(4096, Policy::Lossless).unwrap();
        let readers: Vec<_> = (0..READERS)
            .map(|_| tokio::spawn(read_all(rx.clone())))
            .collect();
        drop(rx);
        send_all(tx).await;
        for reader in readers {
            assert_eq!(reader.await.unwrap(), (RECORDS, 0));
        }
    });
}

#[test]
fn futures_executor_readers_on_threads() {
    for policy in [Policy::Lossless, Policy::Lossy] {
        let (mut tx, rx) = broadcast::channel(4096, policy).unwrap();
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                let rx = rx.clone();
                std::thread::spawn(move || futures::executor::block_on(read_all(rx)))
            })
            .collect();
        drop(rx);
        futures::executor::block_on(async {
            for i in 0..RECORDS {
                tx.send_async(&record(i)).await.unwrap();
            }
        });
        drop(tx);
        for reader in readers {
            let (read, missed) = reader.join().unwrap();
            assert_eq!(read + missed, RECORDS);
            if policy == Policy::Lossless {
                assert_eq!(missed, 0);
            }
        }
    }
}

#[test]
fn peek_async_holds_until_consumed() {
    let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossy).unwrap();
    let sender = std::thread::spawn(move || {
        for i in 0..100 {
            tx.send(&record(i)).unwrap();
        }
    });
    futures::executor::block_on(async {
        let mut next = 0;
        loop {
            match rx.peek_async().await {
                Ok(bytes) => {
                    let i = check(bytes);
                    assert!(i >= next);
                    let again = rx.peek_async().await.unwrap();
                    assert_eq!(check(again), i);
                    assert!(rx.consume());
                    next = i + 1;
                }
                Err(RecvError::Lagged(n)) => next += n,
                Err(RecvError::Disconnected) => break,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(next, 100);
    });
    sender.join().unwrap();
}

#[test]
fn dropped_pending_future_loses_nothing() {
    let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossless).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let timed_out = tokio::time::timeout(std::time::Duration::from_millis(5), rx.recv_async())
            .await
            .is_err();
        assert!(timed_out, "nothing was sent");
        tx.send(b"after").unwrap();
        assert_eq!(&*rx.recv_async().await.unwrap(), b"after");
        // A reader dropped while registered takes its waker out; the others still wake.
        let mut gone = rx.clone();
        let _ = tokio::time::timeout(std::time::Duration::from_millis(1), gone.recv_async()).await;
        drop(gone);
        tx.send(b"again").unwrap();
        assert_eq!(&*rx.recv_async().await.unwrap(), b"again");
    });
}

#[test]
fn send_async_reports_too_large_and_waits_for_room() {
    let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossless).unwrap();
    let big = vec![0; tx.max_record_len() + 1];
    let result = futures::executor::block_on(tx.send_async(&big));
    assert_eq!(result, Err(SendError::TooLarge));
    while tx.try_send(&[1; 100]).is_ok() {}
    let reader = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(5));
        let mut read = 0;
        while rx.recv().is_ok() {
            read += 1;
        }
        read
    });
    futures::executor::block_on(tx.send_async(&[2; 100])).unwrap();
    drop(tx);
    assert!(reader.join().unwrap() > 1);
}

#[test]
fn pending_readers_are_all_woken_by_the_sender_drop() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, rx) = broadcast::channel(4096, Policy::Lossy).unwrap();
        let readers: Vec<_> = (0..READERS)
            .map(|_| tokio::spawn(read_all(rx.clone())))
            .collect();
        drop(rx);
        // Most likely every reader is pending by then; the outcome is the same either way.
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        drop(tx);
        for reader in readers {
            assert_eq!(reader.await.unwrap(), (0, 0));
        }
    });
}
