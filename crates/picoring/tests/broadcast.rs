//! The broadcast ring: every reader sees every record in order (lossless), or every record
//! but those it is told it missed (lossy); readers join and leave at any time.
#![cfg(not(loom))]

use std::thread;
use std::time::Duration;

use picoring::broadcast::{self, Policy, RecvError, SendError};
use picoring::mirror::MirrorOptions;

mod common;
use common::Rng;

/// A record's bytes: its sequence number (8 bytes) then `len - 8` bytes derived from it.
fn make_record(seq: u64, len: usize, buf: &mut Vec<u8>) {
    buf.clear();
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend((8..len).map(|i| (seq as usize).wrapping_mul(31).wrapping_add(i) as u8));
}

/// The length of record `seq`: 8 to 300 bytes, from the sequence number alone.
fn record_len(seq: u64) -> usize {
    8 + (seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize % 293
}

/// Checks that `bytes` is record `seq` and returns `seq`.
fn check_record(bytes: &[u8]) -> u64 {
    let seq = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    let mut expected = Vec::new();
    make_record(seq, record_len(seq), &mut expected);
    assert_eq!(bytes, &expected[..], "record {seq} damaged");
    seq
}

fn channels(bytes: usize, policy: Policy) -> Vec<(broadcast::Sender, broadcast::Receiver)> {
    common::backends()
        .iter()
        .map(|opts: &MirrorOptions| broadcast::channel_with_options(bytes, policy, opts).unwrap())
        .collect()
}

#[test]
fn every_reader_sees_every_record_in_order() {
    for policy in [Policy::Lossy, Policy::Lossless] {
        for (mut tx, mut a) in channels(4096, policy) {
            let mut b = a.clone();
            let mut buf = Vec::new();
            for seq in 0..10 {
                make_record(seq, record_len(seq), &mut buf);
                tx.send(&buf).unwrap();
            }
            for rx in [&mut a, &mut b] {
                for seq in 0..10 {
                    assert_eq!(check_record(&rx.try_recv().unwrap()), seq);
                }
                assert_eq!(rx.try_recv().err(), Some(RecvError::Empty));
            }
        }
    }
}

#[test]
fn records_wrap_the_physical_end_as_one_slice() {
    for policy in [Policy::Lossy, Policy::Lossless] {
        for (mut tx, mut rx) in channels(4096, policy) {
            let cap = tx.capacity();
            let mut buf = Vec::new();
            // Lengths that do not divide the ring: records straddle the end on later laps.
            for seq in 0..(cap as u64) {
                make_record(seq, record_len(seq), &mut buf);
                tx.send(&buf).unwrap();
                assert_eq!(check_record(&rx.try_recv().unwrap()), seq);
            }
        }
    }
}

#[test]
fn subscribe_starts_at_the_next_record_and_clone_at_the_same_one() {
    let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossless).unwrap();
    tx.send(b"1").unwrap();
    let mut late = tx.subscribe();
    tx.send(b"2").unwrap();
    assert_eq!(&*rx.recv().unwrap(), b"1");
    let mut twin = rx.clone();
    assert_eq!(&*rx.recv().unwrap(), b"2");
    assert_eq!(&*twin.recv().unwrap(), b"2");
    assert_eq!(&*late.recv().unwrap(), b"2");
    assert_eq!(tx.receiver_count(), 3);
}

#[test]
fn lossless_sender_waits_for_the_slowest_reader_only_while_it_lives() {
    let (mut tx, mut fast) = broadcast::channel(4096, Policy::Lossless).unwrap();
    let slow = fast.clone();
    let mut sent = 0;
    while tx.try_send(&[0; 100]).is_ok() {
        sent += 1;
        while fast.try_recv().is_ok() {}
    }
    assert!(sent > 10);
    assert_eq!(tx.try_send(&[0; 100]), Err(SendError::Full));
    assert_eq!(
        tx.send_timeout(&[0; 100], Duration::from_millis(5)),
        Err(SendError::TimedOut)
    );
    // The slow reader leaves: it no longer holds the sender back.
    let waiter = thread::spawn(move || {
        tx.send(&[1; 100]).unwrap();
        tx
    });
    thread::sleep(Duration::from_millis(20));
    drop(slow);
    let _tx = waiter.join().unwrap();
}

#[test]
fn lossy_reader_is_told_exactly_how_many_it_missed() {
    for (mut tx, mut rx) in channels(4096, Policy::Lossy) {
        let mut buf = Vec::new();
        for seq in 0..1000 {
            make_record(seq, record_len(seq), &mut buf);
            tx.send(&buf).unwrap();
        }
        let missed = match rx.try_recv() {
            Err(RecvError::Lagged(n)) => n,
            other => panic!("expected a lag, got {other:?}"),
        };
        let first = check_record(&rx.try_recv().unwrap());
        assert_eq!(first, missed);
        let mut last = first;
        while let Ok(record) = rx.try_recv() {
            last = check_record(&record);
        }
        assert_eq!(last, 999);
    }
}

#[test]
fn lossy_sender_does_not_overwrite_a_held_record() {
    let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossy).unwrap();
    tx.send(b"held").unwrap();
    let record = rx.try_recv().unwrap();
    // Fills the ring until the next record would overwrite the held one.
    let mut full = false;
    for _ in 0..1000 {
        if tx.try_send(&[9; 100]) == Err(SendError::Full) {
            full = true;
            break;
        }
    }
    assert!(full);
    assert_eq!(&*record, b"held");
    assert_eq!(
        tx.send_timeout(&[9; 100], Duration::from_millis(2)),
        Err(SendError::TimedOut)
    );
    drop(record);
    tx.try_send(&[9; 100]).unwrap();
    assert!(matches!(rx.try_recv(), Err(RecvError::Lagged(_))));
}

#[test]
fn a_peeked_record_stays_held_until_consumed() {
    for (mut tx, mut rx) in channels(4096, Policy::Lossy) {
        tx.send(b"held").unwrap();
        let (ptr, len) = {
            let held = rx.try_peek().unwrap();
            (held.as_ptr(), held.len())
        };
        // The pin outlives the borrow: the sender fills the ring up to it and stops.
        let mut full = false;
        for _ in 0..1000 {
            if tx.try_send(&[9; 100]) == Err(SendError::Full) {
                full = true;
                break;
            }
        }
        assert!(full);
        assert_eq!(
            tx.send_timeout(&[9; 100], Duration::from_millis(2)),
            Err(SendError::TimedOut)
        );
        // Peeking (or receiving) again gives the same record in place.
        assert_eq!(rx.peek().unwrap().as_ptr(), ptr);
        assert_eq!(&*rx.recv().unwrap(), b"held"); // dropping the Record consumes it
        assert_eq!(len, 4);
        assert!(!rx.consume());
        tx.try_send(&[9; 100]).unwrap();
        assert!(matches!(rx.try_peek(), Err(RecvError::Lagged(_))));
        assert_eq!(rx.try_peek().unwrap(), &[9; 100]);
        assert!(rx.consume());
    }
    for (mut tx, mut rx) in channels(4096, Policy::Lossless) {
        let mut sent = 0u64;
        while tx.try_send(&sent.to_le_bytes()).is_ok() {
            sent += 1;
        }
        let mut twin = rx.clone();
        assert_eq!(rx.peek().unwrap(), 0u64.to_le_bytes());
        // Held, not read: no room until it is consumed, though the twin read it.
        drop(twin.recv().unwrap());
        assert_eq!(tx.try_send(&[0; 8]), Err(SendError::Full));
        assert!(rx.consume());
        tx.try_send(&sent.to_le_bytes()).unwrap();
        for seq in 1..=sent {
            assert_eq!(rx.peek_timeout(Duration::ZERO).unwrap(), seq.to_le_bytes());
            assert!(rx.consume());
        }
        assert_eq!(rx.try_peek().err(), Some(RecvError::Empty));
        drop(tx);
        assert_eq!(rx.peek().err(), Some(RecvError::Disconnected));
    }
}

#[test]
fn errors_are_reported_not_panics() {
    let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossless).unwrap();
    let max = tx.max_record_len();
    assert_eq!(tx.send(&vec![0; max + 1]), Err(SendError::TooLarge));
    tx.send(&vec![3; max]).unwrap();
    assert_eq!(rx.try_recv().unwrap().len(), max);
    if std::mem::align_of::<u128>() > 8 {
        assert_eq!(tx.send_elements(&[0u128; 1]), Err(SendError::TooLarge));
    }
    drop(tx);
    let _ = rx.try_recv();
    assert_eq!(rx.try_recv().err(), Some(RecvError::Disconnected));
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(1)).err(),
        Some(RecvError::Disconnected)
    );
    assert!(rx.is_abandoned());
}

#[test]
fn elements_round_trip() {
    let (mut tx, mut rx) = broadcast::channel(4096, Policy::Lossy).unwrap();
    let frames: Vec<[f32; 2]> = (0..100).map(|i| [i as f32, -(i as f32)]).collect();
    tx.send_elements(&frames).unwrap();
    let record = rx.recv().unwrap();
    assert_eq!(record.elements::<[f32; 2]>(), Some(&frames[..]));
    assert_eq!(record.elements::<[u8; 3]>(), None);
    assert_eq!(record.elements::<[u8; 0]>(), None);
}

/// 1 writer, 8 readers of random speeds (some join late by clone or subscribe), records of
/// random lengths: each reader checks every record's content and order, and that the records
/// it received plus those it was told it missed are every record sent from where it started.
fn stress(policy: Policy, opts: &MirrorOptions, records: u64) {
    let (mut tx, rx) = broadcast::channel_with_options(1 << 14, policy, opts).unwrap();
    // Reader 0 clones itself halfway and hands the clone (with its position) over here.
    let (twins_tx, twins) = std::sync::mpsc::channel::<(broadcast::Receiver, u64)>();
    type Twins = std::sync::mpsc::Sender<(broadcast::Receiver, u64)>;
    let spawn = |mut rx: broadcast::Receiver, start: u64, seed: u64, twins_tx: Option<Twins>| {
        thread::spawn(move || {
            let mut rng = Rng::new(seed);
            let slowness = rng.below(4);
            let (mut received, mut missed) = (0u64, 0u64);
            let mut expected = start;
            let mut twins_tx = twins_tx;
            loop {
                if expected >= records / 2 {
                    if let Some(twins_tx) = twins_tx.take() {
                        twins_tx.send((rx.clone(), expected)).unwrap();
                    }
                }
                match rx.recv() {
                    Ok(record) => {
                        assert_eq!(check_record(&record), expected);
                        expected += 1;
                        received += 1;
                        if slowness > 0 && rng.below(64 >> slowness) == 0 {
                            // Holds the record a while: a lossy sender must wait for it.
                            thread::yield_now();
                        }
                        if slowness == 3 && rng.below(256) == 0 {
                            thread::sleep(Duration::from_micros(200));
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        assert!(n > 0);
                        missed += n;
                        expected += n;
                    }
                    Err(RecvError::Disconnected) => break,
                    Err(other) => panic!("{other:?}"),
                }
            }
            (start, received, missed)
        })
    };
    let mut readers = Vec::new();
    readers.push(spawn(rx.clone(), 0, 1, Some(twins_tx)));
    for seed in 2..7 {
        readers.push(spawn(rx.clone(), 0, seed, None));
    }
    drop(rx);
    let mut buf = Vec::new();
    let mut rng = Rng::new(99);
    for seq in 0..records {
        if seq == records / 3 {
            readers.push(spawn(tx.subscribe(), seq, 7, None));
        }
        if let Ok((twin, start)) = twins.try_recv() {
            readers.push(spawn(twin, start, 8, None));
        }
        make_record(seq, record_len(seq), &mut buf);
        tx.send(&buf).unwrap();
        if rng.below(1024) == 0 {
            thread::yield_now();
        }
    }
    drop(tx);
    if readers.len() < 8 {
        // Reader 1 got halfway after the last send.
        let (twin, start) = twins.recv().unwrap();
        readers.push(spawn(twin, start, 8, None));
    }
    for r in readers {
        let (start, received, missed) = r.join().unwrap();
        assert_eq!(received + missed, records - start);
        if policy == Policy::Lossless {
            assert_eq!(missed, 0);
        }
    }
}

/// Records per stress run: `make stress` runs the optimized build at full size.
const STRESS_RECORDS: u64 = if cfg!(debug_assertions) {
    20_000
} else {
    200_000
};

#[test]
fn stress_lossy_one_writer_eight_readers() {
    for opts in common::backends() {
        stress(Policy::Lossy, &opts, STRESS_RECORDS);
    }
}

#[test]
fn stress_lossless_one_writer_eight_readers() {
    for opts in common::backends() {
        stress(Policy::Lossless, &opts, STRESS_RECORDS);
    }
}

/// Random sends, receives, clones, subscriptions and drops on a lossless ring, against a model:
/// each reader's queue of pending records (a `VecDeque` per reader), and the ring's bytes in
/// use, from the oldest record a live reader has not read to the newest.
#[test]
fn lossless_matches_a_model() {
    use std::collections::VecDeque;
    for seed in 1..=20u64 {
        let mut rng = Rng::new(seed);
        let (mut tx, rx) = broadcast::channel(4096, Policy::Lossless).unwrap();
        let cap = tx.capacity() as u64;
        // (reader, records it has yet to read: (seq, ring bytes)).
        let mut readers = vec![(rx, VecDeque::<(u64, u64)>::new())];
        let mut seq = 0u64;
        let mut buf = Vec::new();
        for _ in 0..3000 {
            match rng.below(10) {
                0..=3 => {
                    let len = record_len(seq);
                    let frame = 16 + len.next_multiple_of(8) as u64;
                    let used = readers
                        .iter()
                        .map(|(_, q)| q.iter().map(|r| r.1).sum::<u64>())
                        .max()
                        .unwrap_or(0);
                    make_record(seq, len, &mut buf);
                    let sent = tx.try_send(&buf);
                    if used + frame <= cap {
                        assert_eq!(sent, Ok(()));
                        for (_, q) in &mut readers {
                            q.push_back((seq, frame));
                        }
                        seq += 1;
                    } else {
                        assert_eq!(sent, Err(SendError::Full));
                    }
                }
                4..=7 if !readers.is_empty() => {
                    let i = rng.below(readers.len());
                    let (rx, q) = &mut readers[i];
                    match q.pop_front() {
                        Some((want, _)) => assert_eq!(check_record(&rx.try_recv().unwrap()), want),
                        None => assert_eq!(rx.try_recv().err(), Some(RecvError::Empty)),
                    }
                }
                8 if readers.len() < 5 => {
                    if rng.below(2) == 0 && !readers.is_empty() {
                        let i = rng.below(readers.len());
                        let twin = (readers[i].0.clone(), readers[i].1.clone());
                        readers.push(twin);
                    } else {
                        readers.push((tx.subscribe(), VecDeque::new()));
                    }
                }
                9 if !readers.is_empty() => {
                    let i = rng.below(readers.len());
                    readers.swap_remove(i);
                }
                _ => {}
            }
            assert_eq!(tx.receiver_count(), readers.len());
        }
        drop(tx);
        for (mut rx, q) in readers {
            for (want, _) in q {
                assert_eq!(check_record(&rx.try_recv().unwrap()), want);
            }
            assert_eq!(rx.try_recv().err(), Some(RecvError::Disconnected));
        }
    }
}
