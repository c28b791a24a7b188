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

use std::path::Path;
use std::time::Duration;

use picoring_compare::overwrite;
use picoring_compare::threads::{
    chunks_picoring, chunks_ringbuf, chunks_rtrb, items_picoring, items_rtrb, records_burst,
    records_crossbeam, records_picoring, records_picoring_batch,
};

/// One implementation: its name and how to move `n` units through it.
struct Peer {
    name: &'static str,
    run: Box<dyn Fn(u64) -> Duration>,
}

/// One comparison: picoring first, then its peers.
struct Group {
    name: &'static str,
    /// What one unit is, for the printed table: chunk, item, record.
    unit: &'static str,
    /// Bytes per unit, or `None` for single items (elements).
    bytes: Option<u64>,
    peers: Vec<Peer>,
}

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

const ROUNDS: usize = 15;
const RUN_TIME: Duration = Duration::from_millis(40);

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// How many units make one run of about `RUN_TIME` through picoring, after a warm-up.
fn calibrate(run: &dyn Fn(u64) -> Duration) -> u64 {
    let mut n = 1_000u64;
    loop {
        let took = run(n);
        if took >= RUN_TIME / 4 || n >= 1 << 32 {
            let per_unit = took.as_secs_f64() / n as f64;
            return ((RUN_TIME.as_secs_f64() / per_unit) as u64).max(1_000);
        }
        n *= 4;
    }
}

/// Writes one median in criterion's layout, with the median per-round ratio to picoring's time.
fn write_result(
    dir: &Path,
    group: &Group,
    peer: &str,
    ns_per_unit: f64,
    paired_ratio: f64,
) -> std::io::Result<()> {
    let throughput = match group.bytes {
        Some(bytes) => format!(r#"{{"Bytes":{bytes}}}"#),
        None => r#"{"Elements":1}"#.to_string(),
    };
    common::write_paired_result(
        dir,
        group.name,
        peer,
        &throughput,
        ns_per_unit,
        paired_ratio,
        ROUNDS,
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let dir = if full { common::criterion_dir() } else { None };
    for group in groups() {
        if !filters.is_empty() && !filters.iter().any(|f| group.name.contains(f.as_str())) {
            continue;
        }
        let (rounds, n) = if full {
            (ROUNDS, calibrate(&*group.peers[0].run))
        } else {
            (1, 200)
        };
        let peers = group.peers.len();
        // times[r][p]: ns per unit of peer p in round r.
        let mut times = vec![vec![0.0; peers]; rounds];
        for (round, row) in times.iter_mut().enumerate() {
            for k in 0..peers {
                let p = (round + k) % peers;
                let took = (group.peers[p].run)(n);
                row[p] = took.as_nanos() as f64 / n as f64;
            }
        }
        let unit = group.unit;
        if !full {
            println!(
                "{}: {n} {unit}s through each implementation (smoke run, no figures)",
                group.name
            );
            continue;
        }
        println!(
            "{} ({rounds} rounds of {n} {unit}s each, order rotating)",
            group.name
        );
        for (p, peer) in group.peers.iter().enumerate() {
            let mut own: Vec<f64> = times.iter().map(|row| row[p]).collect();
            let med = median(&mut own);
            let speed = match group.bytes {
                Some(bytes) => format!("{:6.2} GiB/s", bytes as f64 / med / 1.073_741_824),
                None => format!("{:6.1} M/s", 1e3 / med),
            };
            let mut ratios: Vec<f64> = times.iter().map(|row| row[p] / row[0]).collect();
            let ratio = median(&mut ratios);
            if p == 0 {
                println!("  {:10} {med:9.2} ns/{unit}  {speed}", peer.name);
            } else {
                let (lo, hi) = (ratios[0], ratios[rounds - 1]);
                println!(
                    "  {:10} {med:9.2} ns/{unit}  {speed}   picoring is {ratio:.2}x as fast (rounds {lo:.2}..{hi:.2})",
                    peer.name
                );
            }
            if let Some(dir) = &dir {
                if let Err(e) = write_result(dir, &group, peer.name, med, ratio) {
                    eprintln!("could not write {}/{}: {e}", group.name, peer.name);
                }
            }
        }
    }
}
