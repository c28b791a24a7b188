//! Creating a small list, pushing 100 `u64` into it and dropping it, in interleaved rounds
//! (`common/paired.rs`): picoring (its reservation from, and back to, the thread's pool of
//! released reservations), picoring without the pool (the pool emptied after every drop, so
//! each list reserves, commits and unmaps anew: the cost before the pool), and `Vec`.
//!
//! `cargo bench -p picoring-compare --bench list_create`. With `PICORING_LIST_CREATE_ROW` set
//! to a row's name and `PICORING_LIST_CREATE_N` to a count, the binary runs that row N times
//! and exits, for `valgrind --tool=callgrind` instruction counts.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{RoundGroup, RoundPeer};
use picoring::PicoList;

/// Items pushed into each list.
const ITEMS: u64 = 100;

fn picoring_once() {
    let mut list = PicoList::<u64>::new().expect("new");
    for i in 0..ITEMS {
        list.push(black_box(i)).expect("push");
    }
    black_box(&list);
}

fn unpooled_once() {
    picoring_once();
    PicoList::<u64>::trim_pool();
}

fn vec_once() {
    let mut list = Vec::<u64>::new();
    for i in 0..ITEMS {
        list.push(black_box(i));
    }
    black_box(&list);
}

const ROWS: [(&str, fn()); 3] = [
    ("picoring", picoring_once),
    ("unpooled", unpooled_once),
    ("Vec", vec_once),
];

fn timed(once: fn()) -> Box<dyn Fn(u64) -> Duration> {
    Box::new(move |n| {
        let start = Instant::now();
        for _ in 0..n {
            once();
        }
        start.elapsed()
    })
}

fn main() {
    if let Ok(row) = std::env::var("PICORING_LIST_CREATE_ROW") {
        let n: u64 = std::env::var("PICORING_LIST_CREATE_N")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1000);
        if let Some((_, once)) = ROWS.iter().find(|(name, _)| *name == row) {
            for _ in 0..n {
                once();
            }
        }
        return;
    }
    common::run_rounds_main(
        vec![RoundGroup {
            name: "list_create",
            unit: "list",
            bytes: None,
            units: None,
            peers: ROWS
                .iter()
                .map(|&(name, once)| RoundPeer {
                    name,
                    run: timed(once),
                })
                .collect(),
        }],
        200,
    );
}
