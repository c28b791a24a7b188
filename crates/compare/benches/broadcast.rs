//! Fan-out: one writer, 4 readers, 100-byte records, each reader receiving every record;
//! picoring's broadcast ring against `tokio::sync::broadcast` of `bytes::Bytes` and a
//! `crossbeam-channel` per reader (the writer sends each reader a clone of the record's
//! `Bytes`), in interleaved rounds as in `paired.rs`.
//!
//! The time per record sent, until every reader has seen the last one. Every ring or channel
//! holds about 1 MiB of records (8192 of tokio's and crossbeam's).
//!
//! - `broadcast_lossy_100b`: picoring's lossy policy against tokio's broadcast, which is lossy
//!   by design (its sender never waits): readers that fall a ring behind skip ahead.
//! - `broadcast_100b`: picoring's lossless policy (the writer waits for the slowest reader)
//!   against crossbeam's bounded channels (lossless too) and tokio's broadcast again, whose
//!   readers may still skip records, which only flatters it.

mod common;

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{RoundGroup, RoundPeer};
use picoring::broadcast::{self, Policy, RecvError};

const READERS: usize = 4;
const RECORD: [u8; 100] = [7; 100];
/// Records each channel holds; picoring's ring is the same bytes (128 per framed record).
const SLOTS: usize = 8192;

/// Runs `reader` on `READERS` threads and `writer` on this one; the time until all are done.
fn fan_out<R: Send + 'static>(receivers: Vec<R>, reader: fn(R), writer: impl FnOnce()) -> Duration {
    let start = Instant::now();
    let threads: Vec<_> = receivers
        .into_iter()
        .map(|rx| thread::spawn(move || reader(rx)))
        .collect();
    writer();
    for t in threads {
        t.join().expect("reader thread");
    }
    start.elapsed()
}

fn picoring_broadcast(policy: Policy, n: u64) -> Duration {
    let (mut tx, rx) = broadcast::channel(SLOTS * 128, policy).expect("ring");
    let receivers: Vec<_> = (0..READERS).map(|_| rx.clone()).collect();
    drop(rx);
    fan_out(
        receivers,
        |mut rx| loop {
            match rx.recv() {
                Ok(record) => {
                    black_box(record[0]);
                }
                Err(RecvError::Lagged(n)) => {
                    black_box(n);
                }
                Err(_) => break,
            }
        },
        move || {
            for _ in 0..n {
                tx.send(black_box(&RECORD)).expect("fits");
            }
        },
    )
}

fn tokio_broadcast(n: u64) -> Duration {
    let (tx, rx) = tokio::sync::broadcast::channel::<Bytes>(SLOTS);
    let receivers: Vec<_> = (0..READERS).map(|_| rx.resubscribe()).collect();
    drop(rx);
    fan_out(
        receivers,
        |mut rx| loop {
            use tokio::sync::broadcast::error::RecvError;
            match rx.blocking_recv() {
                Ok(record) => {
                    black_box(record[0]);
                }
                Err(RecvError::Lagged(n)) => {
                    black_box(n);
                }
                Err(RecvError::Closed) => break,
            }
        },
        move || {
            for _ in 0..n {
                tx.send(Bytes::copy_from_slice(black_box(&RECORD)))
                    .expect("readers alive");
            }
        },
    )
}

fn crossbeam_per_reader(n: u64) -> Duration {
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..READERS)
        .map(|_| crossbeam_channel::bounded::<Bytes>(SLOTS))
        .unzip();
    fan_out(
        receivers,
        |rx| {
            while let Ok(record) = rx.recv() {
                black_box(record[0]);
            }
        },
        move || {
            for _ in 0..n {
                let record = Bytes::copy_from_slice(black_box(&RECORD));
                for tx in &senders {
                    tx.send(record.clone()).expect("readers alive");
                }
            }
        },
    )
}

fn tokio_peer() -> RoundPeer {
    RoundPeer::new("tokio_4r", tokio_broadcast)
}

fn main() {
    common::run_rounds_main(
        vec![
            // Both lossy: readers that fall a ring behind skip ahead.
            RoundGroup {
                name: "broadcast_lossy_100b",
                unit: "record",
                bytes: None,
                units: None,
                peers: vec![
                    RoundPeer::new("picoring_4r", |n| picoring_broadcast(Policy::Lossy, n)),
                    tokio_peer(),
                ],
            },
            // picoring and crossbeam lossless (the writer waits), tokio still lossy.
            RoundGroup {
                name: "broadcast_100b",
                unit: "record",
                bytes: None,
                units: None,
                peers: vec![
                    RoundPeer::new("picoring_4r", |n| picoring_broadcast(Policy::Lossless, n)),
                    RoundPeer::new("crossbeam_4r", crossbeam_per_reader),
                    tokio_peer(),
                ],
            },
        ],
        200,
    );
}
