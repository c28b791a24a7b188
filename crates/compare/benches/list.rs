//! Growing a PicoList to 50 M elements against `Vec` (with its reallocations) and the upstream
//! picoring 0.6 `PicoList` (chunked, 16384 elements a chunk): one push at a time and by
//! `extend_from_slice` in 64 KiB chunks for `u8`, one push at a time for `u64`.
//!
//! The timings are interleaved rounds (as in `paired`): each round grows one list with every
//! implementation, in an order that rotates from round to round, and the figures are the
//! median time per list and the median (and range) of the per-round ratios to picoring's,
//! which a burst of load on this shared machine moves less than a criterion pass per
//! implementation. Dropping the grown list is not timed.
//!
//! Before the timings, each case is also run once in a fresh subprocess (this binary run again
//! with `PICORING_LIST_CASE` set), which reports its peak RSS growth (`VmHWM` minus the `VmRSS`
//! it started with), so the memory figures of one case do not hide in another's.

mod common;

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use common::{run_rounds, RoundGroup, RoundPeer};
use picoring::PicoList;

use std::sync::atomic::{AtomicUsize, Ordering};

/// Elements per list: 50 M under `cargo bench`; a smoke-test size when `cargo test` runs this
/// binary (without `--bench`), which executes every routine once.
static N: AtomicUsize = AtomicUsize::new(50_000_000);

fn n() -> usize {
    N.load(Ordering::Relaxed)
}
const CHUNK: usize = 64 * 1024;

/// The grow-to-N workloads, written once for anything with the three operations.
trait Grow<T> {
    fn fresh() -> Self;
    fn push_one(&mut self, value: T);
    fn extend_chunk(&mut self, items: &[T]);
    fn length(&self) -> usize;
}

impl<T: Copy> Grow<T> for PicoList<T> {
    fn fresh() -> Self {
        PicoList::new().expect("reserve")
    }
    #[inline]
    fn push_one(&mut self, value: T) {
        self.push(value).expect("push");
    }
    fn extend_chunk(&mut self, items: &[T]) {
        self.extend_from_slice(items).expect("extend");
    }
    fn length(&self) -> usize {
        self.len()
    }
}

/// `Grow` for a list whose `push` and `extend_from_slice` cannot fail.
macro_rules! infallible_grow {
    ($list:ident) => {
        impl<T: Copy> Grow<T> for $list<T> {
            fn fresh() -> Self {
                $list::new()
            }
            #[inline]
            fn push_one(&mut self, value: T) {
                self.push(value);
            }
            fn extend_chunk(&mut self, items: &[T]) {
                self.extend_from_slice(items);
            }
            fn length(&self) -> usize {
                self.len()
            }
        }
    };
}

infallible_grow!(Vec);

/// Upstream 0.6's list: a vector of fixed chunks (so not one contiguous slice); its `push`
/// and `extend_from_slice` cannot fail.
type Upstream<T> = picoring_upstream::PicoList<T>;

infallible_grow!(Upstream);

fn push_u8<L: Grow<u8>>(mut list: L) -> L {
    for i in 0..n() {
        list.push_one(i as u8);
    }
    list
}

fn extend_u8<L: Grow<u8>>(mut list: L) -> L {
    let chunk: Vec<u8> = (0..CHUNK).map(|i| i as u8).collect();
    while list.length() < n() {
        let len = CHUNK.min(n() - list.length());
        list.extend_chunk(black_box(&chunk[..len]));
    }
    list
}

fn push_u64<L: Grow<u64>>(mut list: L) -> L {
    for i in 0..n() as u64 {
        list.push_one(i);
    }
    list
}

fn huge<T: Copy>() -> PicoList<T> {
    let mut list = PicoList::fresh();
    list.set_huge_pages(true);
    list
}

/// A grown list of any kind, kept alive until measured, dropped outside the timing.
type Grown = Box<dyn std::any::Any>;

/// Every case: (name, bytes per element, grow one list).
type Case = (&'static str, usize, fn() -> Grown);

/// The four cases of one workload (`$grow` is `push_u8`, `extend_u8` or `push_u64`), named
/// `workload/implementation`.
macro_rules! workload {
    ($workload:literal, $element_size:literal, $grow:ident) => {{
        let cases: [Case; 4] = [
            (concat!($workload, "/picoring"), $element_size, || {
                Box::new($grow(PicoList::fresh()))
            }),
            (
                concat!($workload, "/picoring_hugepages"),
                $element_size,
                || Box::new($grow(huge())),
            ),
            (concat!($workload, "/Vec"), $element_size, || {
                Box::new($grow(Vec::fresh()))
            }),
            (concat!($workload, "/picoring 0.6"), $element_size, || {
                Box::new($grow(Upstream::fresh()))
            }),
        ];
        cases
    }};
}

fn cases() -> Vec<Case> {
    [
        workload!("list_push_u8_50M", 1, push_u8),
        workload!("list_extend_u8_50M", 1, extend_u8),
        workload!("list_push_u64_50M", 8, push_u64),
    ]
    .concat()
}

/// A `/proc/self/status` field in bytes (0 where there is no /proc).
fn read_status(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<usize>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

const CASE_VAR: &str = "PICORING_LIST_CASE";

fn print_peak_rss() {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    println!("peak RSS growth per case, each in a fresh process:");
    for (name, element_size, _) in cases() {
        let payload = n() * element_size;
        let out = Command::new(&exe).env(CASE_VAR, name).output();
        let Ok(out) = out else { continue };
        let text = String::from_utf8_lossy(&out.stdout);
        if let Ok(grown) = text.trim().parse::<usize>() {
            println!(
                "  {name:<40} {:>7.1} MB for {:>5.1} MB of payload ({:+.1}%)",
                grown as f64 / 1e6,
                payload as f64 / 1e6,
                (grown as f64 / payload as f64 - 1.0) * 100.0
            );
        }
    }
}

const WORKLOADS: [&str; 3] = [
    "list_push_u8_50M",
    "list_extend_u8_50M",
    "list_push_u64_50M",
];

/// Rounds per workload: each grows 50 M elements with every implementation.
const ROUNDS: usize = 11;

fn groups() -> Vec<RoundGroup> {
    WORKLOADS
        .iter()
        .map(|&workload| RoundGroup {
            name: workload,
            unit: "list",
            bytes: None,
            // One unit is one list grown to N elements.
            units: Some(1),
            peers: cases()
                .into_iter()
                .filter_map(|(name, _, grow)| {
                    let implementation = name.strip_prefix(workload)?.strip_prefix('/')?;
                    Some(RoundPeer::new(implementation, move |lists| {
                        (0..lists)
                            .map(|_| {
                                let start = Instant::now();
                                let grown = black_box(grow());
                                let took = start.elapsed();
                                drop(grown);
                                took
                            })
                            .sum()
                    }))
                })
                .collect(),
        })
        .collect()
}

fn main() {
    if let Ok(name) = std::env::var(CASE_VAR) {
        let before = read_status("VmRSS:");
        if let Some((_, _, grow)) = cases().into_iter().find(|(n, _, _)| *n == name) {
            let grown = black_box(grow());
            println!("{}", read_status("VmHWM:").saturating_sub(before));
            drop(grown);
        }
        return;
    }
    // `cargo test --benches` runs this binary without `--bench`: small lists, no subprocesses.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench");
    if full {
        print_peak_rss();
    } else {
        N.store(100_000, Ordering::Relaxed);
    }
    let filters: Vec<String> = args.into_iter().filter(|a| !a.starts_with('-')).collect();
    run_rounds(groups(), full, ROUNDS, 1, &filters);
}
