//! What the criterion benchmarks share: the short criterion settings, the benchmark-group type,
//! and the list of byte-FIFO peers. Each includes it with `mod common;` and uses a part of it
//! (criterion is a dev-dependency, so this cannot live in the library part of the crate).
#![allow(dead_code, unused_macros, unused_imports)]

pub mod paired;

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
