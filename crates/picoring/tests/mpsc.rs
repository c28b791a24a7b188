//! The MPSC record ring: a model test of reservation order with out-of-order commits and
//! discards, many producers with per-producer order and content checks, waits and disconnection.

use std::collections::VecDeque;
use std::thread;
use std::time::{Duration, Instant};

use picoring::mirror::{Backend, MirrorOptions};
use picoring::mpsc::{self, Grant, ReserveError, WaitError};

mod common;
use common::Rng;

/// Payload of record `seq` of producer `id`, `len` bytes: the id, the sequence number, then
/// bytes derived from both, so a torn or misplaced record fails the check.
fn payload(id: u8, seq: u32, len: usize) -> Vec<u8> {
    let mut bytes = vec![id];
    bytes.extend_from_slice(&seq.to_le_bytes());
    bytes.extend((0..len.saturating_sub(5)).map(|k| (k as u32 ^ seq).wrapping_mul(7) as u8 ^ id));
    bytes.truncate(len.max(5));
    bytes
}

fn record_len(id: u8, seq: u32) -> usize {
    5 + ((seq as usize * 37 + id as usize * 11) % 150)
}

/// Random reserve / fill / commit / discard / receive steps on one thread, checked against a
/// model: records come out in reservation order, committed ones only, each exactly as written.
fn model_run(options: &MirrorOptions, seed: u64) {
    let (tx, mut rx) = mpsc::channel_with_options(1, options).unwrap();
    // Record lengths are sized for a 4096-byte ring (one page); a ring of a larger granularity
    // (64 KiB on Windows) gets proportionally longer records, so that it fills as often.
    let scale = (tx.capacity() / 4096).max(1);
    let mut rng = Rng::new(seed);
    // Reserved, not yet finished: (ticket, grant).
    let mut open: Vec<(u32, Grant<'_>)> = Vec::new();
    // Every reservation in order: Some(payload) once committed, None if discarded, pending else.
    let mut tickets: VecDeque<(u32, Option<Option<Vec<u8>>>)> = VecDeque::new();
    let mut next_ticket = 0u32;
    let mut received = 0;
    for _ in 0..3000 {
        match rng.below(5) {
            0 | 1 => {
                let len = scale
                    * if rng.below(8) == 0 {
                        rng.below(1200)
                    } else {
                        rng.below(64)
                    };
                match tx.reserve(len) {
                    Ok(mut grant) => {
                        assert!(grant.iter().all(|&b| b == 0), "free space reads as zero");
                        let bytes = payload(0, next_ticket, len);
                        grant.copy_from_slice(&bytes[..len]);
                        open.push((next_ticket, grant));
                        tickets.push_back((next_ticket, None));
                        next_ticket += 1;
                    }
                    Err(ReserveError::Full) => {}
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
            2 if !open.is_empty() => {
                let (ticket, grant) = open.swap_remove(rng.below(open.len()));
                let entry = tickets.iter_mut().find(|(t, _)| *t == ticket).unwrap();
                if rng.below(4) == 0 {
                    drop(grant);
                    entry.1 = Some(None);
                } else {
                    entry.1 = Some(Some(grant.to_vec()));
                    grant.commit();
                }
            }
            3 if rng.below(2) == 0 => {
                // A batch: every finished reservation at the front, up to the first pending
                // one, the committed ones in order as `try_recv` one at a time would give them.
                let mut expected = Vec::new();
                while let Some((_, Some(state))) = tickets.front() {
                    expected.extend(state.clone());
                    tickets.pop_front();
                }
                match rx.try_recv_batch() {
                    Some(batch) => {
                        let got: Vec<Vec<u8>> = batch.iter().map(<[u8]>::to_vec).collect();
                        assert_eq!(got, expected);
                        assert_eq!(batch.len(), got.len());
                        // The same payloads, through the one region and its ranges.
                        let region = batch.region();
                        let ranged: Vec<Vec<u8>> =
                            batch.ranges().map(|r| region[r].to_vec()).collect();
                        assert_eq!(ranged, got);
                        received += got.len();
                    }
                    None => assert!(expected.is_empty()),
                }
            }
            _ => {
                // Discarded records at the front are skipped silently.
                while matches!(tickets.front(), Some((_, Some(None)))) {
                    tickets.pop_front();
                }
                match rx.try_recv() {
                    Some(record) => {
                        let (_, state) = tickets.pop_front().expect("a record the model knows");
                        assert_eq!(Some(Some(record.to_vec())), state);
                        received += 1;
                    }
                    None => assert!(!matches!(tickets.front(), Some((_, Some(Some(_)))))),
                }
            }
        }
    }
    assert!(
        received > 100,
        "the model run exercised too little: {received}"
    );
}

#[test]
fn matches_reservation_order_model() {
    for seed in 1..4 {
        model_run(&MirrorOptions::new(), seed);
        model_run(&MirrorOptions::new().backend(Backend::Software), seed);
    }
}

#[test]
fn out_of_order_commit_holds_back_later_records() {
    let (tx, mut rx) = mpsc::channel(4096).unwrap();
    let mut a = tx.reserve(1).unwrap();
    let mut b = tx.reserve(2).unwrap();
    let c = tx.reserve(3).unwrap();
    let mut d = tx.reserve(4).unwrap();
    a[0] = b'a';
    b.copy_from_slice(b"bb");
    d.copy_from_slice(b"dddd");
    d.commit();
    b.commit();
    assert!(
        rx.try_recv().is_none(),
        "a is reserved first and not committed"
    );
    a.commit();
    assert_eq!(&*rx.try_recv().unwrap(), b"a");
    assert_eq!(&*rx.try_recv().unwrap(), b"bb");
    assert!(rx.try_recv().is_none(), "c is still open");
    drop(c);
    assert_eq!(&*rx.try_recv().unwrap(), b"dddd");
    assert!(rx.try_recv().is_none());
}

/// Runs `f` on its own thread and fails the test if it has not finished within `limit`: a
/// missed wakeup then shows up as a failure, not as a test that hangs forever.
fn watchdog(limit: Duration, f: impl FnOnce() + Send + 'static) {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let worker = thread::spawn(move || {
        f();
        let _ = done_tx.send(());
    });
    match done_rx.recv_timeout(limit) {
        Ok(()) => worker.join().unwrap(),
        // `f` panicked: surface its panic.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("no progress for {limit:?}: a sender or the receiver missed a wakeup")
        }
    }
}

/// `producers` threads each send `per_producer` records; the consumer checks that each
/// producer's records arrive complete, in order, exactly once. Under a watchdog.
fn many_producers(producers: u8, per_producer: u32, ring_bytes: usize) {
    many_producers_with(producers, per_producer, ring_bytes, record_len, false);
}

/// As [`many_producers`], with record `seq` of producer `id` being `len_of(id, seq)` bytes.
fn many_producers_with(
    producers: u8,
    per_producer: u32,
    ring_bytes: usize,
    len_of: fn(u8, u32) -> usize,
    batches: bool,
) {
    // Minutes above what the slowest run (debug, loaded machine) takes.
    watchdog(Duration::from_secs(120), move || {
        run_producers(producers, per_producer, ring_bytes, len_of, batches)
    });
}

fn run_producers(
    producers: u8,
    per_producer: u32,
    ring_bytes: usize,
    len_of: fn(u8, u32) -> usize,
    batches: bool,
) {
    let (tx, mut rx) = mpsc::channel(ring_bytes).unwrap();
    let workers: Vec<_> = (0..producers)
        .map(|id| {
            let tx = tx.clone();
            thread::spawn(move || {
                for seq in 0..per_producer {
                    let len = len_of(id, seq);
                    let mut grant = tx.reserve_blocking(len).unwrap();
                    grant.copy_from_slice(&payload(id, seq, len));
                    // Some records are discarded first and sent again: never seen twice.
                    if seq % 97 == 0 {
                        drop(grant);
                        tx.send(&payload(id, seq, len)).unwrap();
                    } else {
                        grant.commit();
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let mut next = vec![0u32; producers as usize];
    let mut total = 0u64;
    let mut check = |record: &[u8]| {
        let id = record[0];
        let seq = u32::from_le_bytes(record[1..5].try_into().unwrap());
        assert_eq!(
            seq, next[id as usize],
            "producer {id}: order, loss or duplicate"
        );
        assert_eq!(
            record,
            &payload(id, seq, len_of(id, seq))[..],
            "torn record"
        );
        next[id as usize] += 1;
        total += 1;
    };
    if batches {
        while let Ok(batch) = rx.recv_batch() {
            batch.iter().for_each(&mut check);
        }
    }
    loop {
        let record = match rx.recv() {
            Ok(record) => record,
            Err(WaitError::Disconnected) => break,
            Err(WaitError::TimedOut) => unreachable!("no timeout"),
        };
        check(&record);
    }
    for w in workers {
        w.join().unwrap();
    }
    assert!(next.iter().all(|&n| n == per_producer), "{next:?}");
    assert_eq!(total, producers as u64 * per_producer as u64);
}

#[test]
fn four_producers_in_order_no_loss_no_duplicate() {
    // 4 x 1 M in release builds; `make test` runs debug builds, where 4 x 50 k keeps it quick.
    let per_producer = common::debug_or_release(50_000, 1_000_000);
    many_producers(4, per_producer, 1 << 16);
}

#[test]
fn eight_producers_small_ring() {
    many_producers(8, common::debug_or_release(5_000, 100_000), 4096);
}

#[test]
fn four_producers_received_in_batches() {
    let per_producer = common::debug_or_release(20_000, 500_000);
    many_producers_with(4, per_producer, 4096, mixed_len, true);
}

/// Mostly small records, and every 16th nearly as long as the ring: a sender waiting for one
/// of those needs the ring almost empty, so it relies on the receiver's wakeup when the ring
/// empties rather than the one after each quarter freed.
fn mixed_len(id: u8, seq: u32) -> usize {
    if (seq + u32::from(id)) % 16 == 0 {
        4000 - (seq as usize % 64)
    } else {
        record_len(id, seq)
    }
}

#[test]
fn eight_blocking_producers_never_stall_on_a_tiny_ring() {
    let per_producer = common::debug_or_release(2_000, 50_000);
    many_producers_with(8, per_producer, 4096, mixed_len, false);
}

#[test]
fn record_crossing_the_physical_end_is_one_slice() {
    let (tx, mut rx) = mpsc::channel(4096).unwrap();
    let cap = tx.capacity();
    tx.send(&vec![1; cap - 8 - 24]).unwrap();
    drop(rx.recv().unwrap());
    // Header at cap - 24, payload of 100 bytes runs past the end.
    let bytes: Vec<u8> = (0..100).collect();
    tx.send(&bytes).unwrap();
    assert_eq!(&*rx.recv().unwrap(), &bytes[..]);
}

#[test]
fn oversized_and_disconnected_reservations_are_errors() {
    let (tx, mut rx) = mpsc::channel(4096).unwrap();
    assert_eq!(tx.reserve(usize::MAX).err(), Some(ReserveError::TooLarge));
    assert_eq!(
        tx.reserve(tx.max_record_len() + 1).err(),
        Some(ReserveError::TooLarge)
    );
    tx.send(b"kept").unwrap();
    drop(tx);
    assert_eq!(&*rx.recv().unwrap(), b"kept");
    assert_eq!(rx.recv().err(), Some(WaitError::Disconnected));

    let (tx, rx) = mpsc::channel(4096).unwrap();
    drop(rx);
    assert_eq!(tx.reserve(1).err(), Some(ReserveError::Disconnected));
    assert_eq!(tx.send(b"x").err(), Some(ReserveError::Disconnected));
}

#[test]
fn waits_time_out_and_see_disconnection() {
    let timeout = Duration::from_millis(30);
    let (tx, mut rx) = mpsc::channel(4096).unwrap();
    // More than half the ring (4000 bytes of a one-page ring of 4096): two never fit at once.
    let most = tx.capacity() - 96;
    let start = Instant::now();
    assert_eq!(rx.recv_timeout(timeout).err(), Some(WaitError::TimedOut));
    assert!(start.elapsed() >= timeout);

    let held = tx.reserve(most).unwrap();
    let start = Instant::now();
    assert_eq!(
        tx.reserve_timeout(most, timeout).err(),
        Some(ReserveError::TimedOut)
    );
    assert!(start.elapsed() >= timeout);
    drop(held);

    // A receiver blocked on an empty ring wakes when the last sender leaves.
    let reader = thread::spawn(move || rx.recv().err());
    thread::sleep(Duration::from_millis(20));
    drop(tx);
    assert_eq!(reader.join().unwrap(), Some(WaitError::Disconnected));

    // A sender blocked on a full ring wakes when the receiver leaves.
    // The receiver leaves only once the writer holds its first grant (a slow thread start must
    // not find the receiver gone already).
    let (tx, rx) = mpsc::channel(4096).unwrap();
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let writer = thread::spawn(move || {
        let _held = tx.reserve(most).unwrap();
        held_tx.send(()).unwrap();
        tx.reserve_blocking(most).err()
    });
    held_rx.recv().unwrap();
    thread::sleep(Duration::from_millis(20));
    drop(rx);
    assert_eq!(writer.join().unwrap(), Some(ReserveError::Disconnected));
}

#[test]
fn ends_are_send_and_sender_is_sync() {
    fn is_send<T: Send>() {}
    fn is_sync<T: Sync>() {}
    is_send::<mpsc::Sender>();
    is_sync::<mpsc::Sender>();
    is_send::<mpsc::Receiver>();
}

/// Fills a 4096-byte ring with records of 1008 and 2008 bytes (1016 + 2016 ring bytes), starts
/// a sender that needs 1500 bytes (1512 ring bytes, more than the 1064 free), then releases
/// the first record only: 2080 bytes are free, enough for the sender, though less than a
/// quarter of the ring was freed and the ring is not empty. The receiver keeps the second
/// record and waits for the sender to say it has its space (a request/response exchange).
/// Prints how long the sender took from the release to its grant. A ring of a larger
/// granularity (64 KiB on Windows) gets every size scaled by its size over 4096.
fn sender_woken_when_its_space_is_freed(
    reserve: fn(&mpsc::Sender, usize) -> Result<(), ReserveError>,
) {
    let (tx, mut rx) = mpsc::channel(4096).unwrap();
    let scale = tx.capacity() / 4096;
    assert_eq!(
        tx.capacity(),
        4096 * scale,
        "the scenario needs a ring of a multiple of 4096 bytes"
    );
    // Ring bytes: 1016, 2016 and 1512 times the scale, each with its 8-byte header.
    let (first_len, second_len, wanted) = (1016 * scale - 8, 2016 * scale - 8, 1512 * scale - 12);
    tx.send(&vec![1; first_len]).unwrap();
    tx.send(&vec![2; second_len]).unwrap();
    let (reserved_tx, reserved_rx) = std::sync::mpsc::channel::<Instant>();
    let sender = thread::spawn(move || {
        let outcome = reserve(&tx, wanted);
        let _ = reserved_tx.send(Instant::now());
        outcome
    });
    // Give the sender time to go to sleep (the test passes either way: a sender that has not
    // slept yet finds the space on its own).
    thread::sleep(Duration::from_millis(50));
    let released_at = {
        let first = rx.recv().unwrap();
        assert_eq!(first.len(), first_len);
        drop(first);
        Instant::now()
    };
    // Generous: the wakeup takes microseconds; a missed one never comes.
    match reserved_rx.recv_timeout(Duration::from_secs(10)) {
        Ok(granted_at) => {
            println!(
                "sender had its space {:?} after the release",
                granted_at.saturating_duration_since(released_at)
            );
            assert_eq!(sender.join().unwrap(), Ok(()));
        }
        Err(_) => {
            // Unblock the sender (it sees the receiver gone) so the test ends rather than hangs.
            drop(rx);
            let outcome = sender.join().unwrap();
            panic!("the sender was not woken although its {wanted} bytes were free ({outcome:?})");
        }
    }
    let second = rx.recv().unwrap();
    assert_eq!(&*second, &vec![2; second_len][..]);
}

#[test]
fn blocked_sender_is_woken_once_its_request_fits() {
    sender_woken_when_its_space_is_freed(|tx, wanted| {
        let mut grant = tx.reserve_blocking(wanted)?;
        grant.fill(3);
        drop(grant);
        Ok(())
    });
}

#[test]
fn timed_sender_gets_its_space_before_the_deadline() {
    // The deadline is far beyond the receiver's patience: a sender woken only by its timeout
    // fails the test.
    sender_woken_when_its_space_is_freed(|tx, wanted| {
        let grant = tx.reserve_timeout(wanted, Duration::from_secs(60))?;
        drop(grant);
        Ok(())
    });
}
