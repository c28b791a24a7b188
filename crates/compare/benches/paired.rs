//! picoring against its thread-safe peers, measured in interleaved rounds: the SPSC rings
//! against rtrb and ringbuf, the MPSC record ring against crossbeam-channel.
//!
//! On a shared machine the background load changes over seconds. Criterion measures one
//! implementation for seconds, then the next, so a burst of load lands on one of them and the
//! ratio moves by more than the difference being measured. Here every round runs each
//! implementation once, for about 40 ms, in an order that rotates from round to round; the
//! figures are the median over the rounds of each one's time per unit, and the median (and
//! range) of the per-round ratios `peer / picoring`, both of which a burst shifts less.
//!
//! - `spsc_4k_chunks`: 4 KiB chunks through a 64 KiB ring, each side copying a chunk in or out
//!   through the crate's chunk API.
//! - `spsc_256b_chunks`: the same with 256-byte chunks, where synchronizing the indices weighs
//!   more than the copy.
//! - `spsc_u64`: single `u64` items pushed and popped one at a time.
//! - `spsc_overwrite_u64`: a "last N samples" ring whose reader is slower than its writer
//!   (one `pop` per four writes, on one thread: ringbuf overwrites only through the whole
//!   ring), single `u64` writes with `push_overwrite` against ringbuf's `push_overwrite`.
//! - `spsc_overwrite_blocks`: the same with blocks of 256 `u64`s (`push_slice_overwrite`,
//!   `pop_slice`).
//! - `mpsc_100b_burst`: bursts of 64 records of 100 bytes sent and then received on one
//!   thread, `recv_batch` against `recv` one at a time: the receiver's side alone differs.
//! - `mpsc_100b_batch_1p`, `mpsc_100b_batch_4p`: the MPSC record ring's receiver taking
//!   records with `recv_batch` against `recv` one at a time, with 1 and 4 producers of
//!   100-byte records (the ratio is `recv / recv_batch`).
//! - `mpsc_100b`: 4 producers of 100-byte records against crossbeam-channel carrying each as a
//!   `Vec<u8>` (five threads in all, so on a 2-core machine they take turns).
//!
//! `cargo bench` runs 15 rounds and writes each median where criterion writes its results
//! (`<target>/criterion/<group>/<implementation>/new/`), so the `ratios` tool and the README
//! tables read them like criterion's own. Without `--bench` (as under `cargo test --benches`)
//! it runs one tiny round and writes nothing. Other arguments filter groups by substring.

mod common;

use std::time::Duration;

use common::paired::{Group, Peer};

use picoring_compare::overwrite;
use picoring_compare::threads::{
    chunks_picoring, chunks_ringbuf, chunks_rtrb, items_picoring, items_rtrb, records_burst,
    records_crossbeam, records_picoring, records_picoring_batch,
};

fn chunk_group(name: &'static str, chunk: usize) -> Group {
    Group {
        name,
        unit: "chunk",
        bytes: Some(chunk as u64),
        peers: vec![
            Peer {
                name: "picoring",
                run: Box::new(move |n| chunks_picoring(chunk, n)),
            },
            Peer {
                name: "ringbuf",
                run: Box::new(move |n| chunks_ringbuf(chunk, n)),
            },
            Peer {
                name: "rtrb",
                run: Box::new(move |n| chunks_rtrb(chunk, n)),
            },
        ],
    }
}

/// A comparison of two: `first` (picoring's side, the ratios' denominator) and `second`, each
/// a name and its run.
fn pair(
    name: &'static str,
    unit: &'static str,
    bytes: Option<u64>,
    first: (&'static str, impl Fn(u64) -> Duration + 'static),
    second: (&'static str, impl Fn(u64) -> Duration + 'static),
) -> Group {
    Group {
        name,
        unit,
        bytes,
        peers: vec![
            Peer {
                name: first.0,
                run: Box::new(first.1),
            },
            Peer {
                name: second.0,
                run: Box::new(second.1),
            },
        ],
    }
}

/// `recv_batch` against `recv` one record at a time, with `producers` senders.
fn batch_group(name: &'static str, producers: u64) -> Group {
    pair(
        name,
        "record",
        None,
        ("recv_batch", move |n| records_picoring_batch(producers, n)),
        ("recv", move |n| records_picoring(producers, n)),
    )
}

fn groups() -> Vec<Group> {
    vec![
        chunk_group("spsc_4k_chunks", 4096),
        chunk_group("spsc_256b_chunks", 256),
        Group {
            name: "spsc_u64",
            unit: "item",
            bytes: None,
            peers: vec![
                Peer {
                    name: "picoring",
                    run: Box::new(items_picoring),
                },
                Peer {
                    name: "rtrb",
                    run: Box::new(items_rtrb),
                },
            ],
        },
        pair(
            "spsc_overwrite_u64",
            "item",
            None,
            ("picoring", overwrite::items_picoring),
            ("ringbuf", overwrite::items_ringbuf),
        ),
        pair(
            "spsc_overwrite_blocks",
            "block",
            Some((overwrite::BLOCK * 8) as u64),
            ("picoring", overwrite::blocks_picoring),
            ("ringbuf", overwrite::blocks_ringbuf),
        ),
        pair(
            "mpsc_100b_burst",
            "record",
            None,
            ("recv_batch", |n| records_burst(true, n)),
            ("recv", |n| records_burst(false, n)),
        ),
        batch_group("mpsc_100b_batch_1p", 1),
        batch_group("mpsc_100b_batch_4p", 4),
        Group {
            name: "mpsc_100b",
            unit: "record",
            bytes: None,
            peers: vec![
                Peer {
                    name: "picoring_4p",
                    run: Box::new(|n| records_picoring(4, n)),
                },
                Peer {
                    name: "crossbeam_4p",
                    run: Box::new(|n| records_crossbeam(4, n)),
                },
            ],
        },
    ]
}

fn main() {
    common::paired::run(groups());
}
