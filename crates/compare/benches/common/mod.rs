//! What the benchmarks share: the short criterion settings, the benchmark-group type, the list
//! of byte-FIFO peers, and the harness of the benchmarks measured in interleaved rounds
//! (`paired`, `list`: [`run_rounds`]). Each includes it with `mod common;` and uses a part of it
//! (criterion is a dev-dependency, so this cannot live in the library part of the crate).
#![allow(dead_code, unused_macros, unused_imports)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};

/// A benchmark group timed by the wall clock.
pub type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Short runs so `make bench` stays a few minutes on two cores.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(700))
        .sample_size(20)
}

/// Benchmarks with threads, whose every sample spawns one: fewer, longer samples.
pub fn threads_config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

/// `for_each_fifo!(bench(args))` calls `bench::<F>(args)` for every byte-FIFO peer of
/// `picoring_compare::fifo`, picoring first, in the order the result tables show them.
macro_rules! for_each_fifo {
    ($bench:ident($($arg:expr),* $(,)?)) => {{
        use picoring_compare::fifo::{Bytes, Deque, Pico, RingBuf, Rtrb, SliceRing, Upstream};
        $bench::<Pico>($($arg),*);
        $bench::<Upstream>($($arg),*);
        $bench::<Deque>($($arg),*);
        $bench::<SliceRing>($($arg),*);
        $bench::<RingBuf>($($arg),*);
        $bench::<Rtrb>($($arg),*);
        $bench::<Bytes>($($arg),*);
    }};
}

pub(crate) use for_each_fifo;

/// Where criterion keeps its results: `$CRITERION_HOME`, else `<target>/criterion`, found from
/// this executable's path (`<target>/<profile>/deps/<name>`), which holds whatever the target
/// directory is and whichever directory cargo runs the bench from.
pub fn criterion_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(home));
    }
    let exe = std::env::current_exe().ok()?;
    Some(exe.ancestors().nth(3)?.join("criterion"))
}

/// Writes one median of a benchmark measured in interleaved rounds in criterion's layout (the
/// fields the `ratios` tool reads), with the median per-round ratio to picoring's time as
/// `paired_ratio`; `throughput` is criterion's JSON for it (`{"Bytes":4096}`, `{"Elements":1}`).
pub fn write_paired_result(
    dir: &Path,
    group: &str,
    peer: &str,
    throughput: &str,
    ns_per_unit: f64,
    paired_ratio: f64,
    rounds: usize,
) -> std::io::Result<()> {
    let out = dir.join(group).join(peer).join("new");
    fs::create_dir_all(&out)?;
    let id = format!("{group}/{peer}");
    fs::write(
        out.join("benchmark.json"),
        format!(
            r#"{{"group_id":"{group}","function_id":"{peer}","value_str":null,"throughput":{throughput},"full_id":"{id}","directory_name":"{id}","title":"{id}"}}"#
        ),
    )?;
    fs::write(
        out.join("estimates.json"),
        format!(
            r#"{{"median":{{"point_estimate":{ns_per_unit}}},"paired_ratio":{paired_ratio},"rounds":{rounds}}}"#
        ),
    )
}

/// One implementation in a benchmark measured in interleaved rounds: its name and how to do
/// `n` units of the work through it (returning the time that took).
pub struct RoundPeer {
    pub name: &'static str,
    pub run: Box<dyn Fn(u64) -> Duration>,
}

impl RoundPeer {
    pub fn new(name: &'static str, run: impl Fn(u64) -> Duration + 'static) -> Self {
        Self {
            name,
            run: Box::new(run),
        }
    }
}

/// One comparison measured in interleaved rounds: picoring first, then its peers.
pub struct RoundGroup {
    pub name: &'static str,
    /// What one unit is, for the printed table: chunk, item, record.
    pub unit: &'static str,
    /// Bytes per unit, or `None` for counted units (elements).
    pub bytes: Option<u64>,
    /// Units per run: fixed, or `None` to calibrate a run of about [`ROUND_RUN_TIME`] on
    /// picoring.
    pub units: Option<u64>,
    pub peers: Vec<RoundPeer>,
}

/// Length of one implementation's run in a round, when calibrated.
pub const ROUND_RUN_TIME: Duration = Duration::from_millis(40);

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// How many units make one run of about `ROUND_RUN_TIME` through `run`, after a warm-up: grows
/// the run until it takes a quarter of that, then measures once more at the size that estimate
/// gives (short runs overstate the time per unit where threads start and wake per run).
fn calibrate(run: &dyn Fn(u64) -> Duration) -> u64 {
    let for_run_time = |n: u64, took: Duration| {
        let per_unit = took.as_secs_f64() / n as f64;
        ((ROUND_RUN_TIME.as_secs_f64() / per_unit) as u64).max(1_000)
    };
    let mut n = 1_000u64;
    loop {
        let took = run(n);
        if took >= ROUND_RUN_TIME / 4 || n >= 1 << 32 {
            let n = for_run_time(n, took);
            return for_run_time(n, run(n));
        }
        n *= 4;
    }
}

/// The rounds every interleaved bench runs under `cargo bench`.
pub const ROUNDS: usize = 15;

/// A bench binary's `main` over [`run_rounds`]: `--bench` (as `cargo bench` passes) for the full
/// [`ROUNDS`] rounds, otherwise one smoke round of `smoke_units` units; other arguments that do
/// not start with `-` filter groups by name.
pub fn run_rounds_main(groups: Vec<RoundGroup>, smoke_units: u64) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench");
    let filters: Vec<String> = args.into_iter().filter(|a| !a.starts_with('-')).collect();
    run_rounds(groups, full, ROUNDS, smoke_units, &filters);
}

/// Runs each group in `rounds` rounds, every implementation once per round in an order that
/// rotates from round to round; prints each one's median time per unit and the median (and
/// range) of the per-round ratios `peer / picoring`, and writes them where criterion writes its
/// results (see [`write_paired_result`]). With `full` false (`cargo test --benches`) it runs
/// one round of `smoke_units` units each and writes nothing. `filters` keep groups whose name
/// contains one of them.
pub fn run_rounds(
    groups: Vec<RoundGroup>,
    full: bool,
    rounds: usize,
    smoke_units: u64,
    filters: &[String],
) {
    let dir = if full { criterion_dir() } else { None };
    for group in groups {
        if !filters.is_empty() && !filters.iter().any(|f| group.name.contains(f.as_str())) {
            continue;
        }
        let (rounds, n) = if full {
            let n = group
                .units
                .unwrap_or_else(|| calibrate(&*group.peers[0].run));
            (rounds, n)
        } else {
            (1, smoke_units)
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
                None if med >= 1e6 => format!("{:8.1} ms/{unit}", med / 1e6),
                None => format!("{:6.1} M/s", 1e3 / med),
            };
            let mut ratios: Vec<f64> = times.iter().map(|row| row[p] / row[0]).collect();
            let ratio = median(&mut ratios);
            let time = if med >= 1e6 {
                format!("{:9.2} ms/{unit}", med / 1e6)
            } else {
                format!("{med:9.2} ns/{unit}")
            };
            if p == 0 {
                println!("  {:18} {time}  {speed}", peer.name);
            } else {
                let (lo, hi) = (ratios[0], ratios[rounds - 1]);
                println!(
                    "  {:18} {time}  {speed}   picoring is {ratio:.2}x as fast (rounds {lo:.2}..{hi:.2})",
                    peer.name
                );
            }
            if let Some(dir) = &dir {
                let throughput = match group.bytes {
                    Some(bytes) => format!(r#"{{"Bytes":{bytes}}}"#),
                    None => r#"{"Elements":1}"#.to_string(),
                };
                let written = write_paired_result(
                    dir,
                    group.name,
                    peer.name,
                    &throughput,
                    med,
                    ratio,
                    rounds,
                );
                if let Err(e) = written {
                    eprintln!("could not write {}/{}: {e}", group.name, peer.name);
                }
            }
        }
    }
}
