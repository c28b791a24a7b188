//! Turns criterion's results (`target/criterion/**/new/{benchmark,estimates}.json`) into one
//! table per benchmark group: each peer's median time and its ratio to picoring's.
//!
//! Usage: `ratios [CRITERION_DIR] [--json OUT.json] [--markdown OUT.md]`.
//! CRITERION_DIR defaults to `$CARGO_TARGET_DIR/criterion` or `target/criterion`.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// The implementation every other one is divided by (`picoring`, or `picoring_<variant>`).
const BASELINE: &str = "picoring";

/// One benchmark's result.
struct Entry {
    /// Criterion's function id: the implementation, maybe with a `_<variant>` suffix.
    implementation: String,
    /// Criterion's parameter (`BenchmarkId` value), if any.
    parameter: Option<String>,
    median_ns: f64,
    bytes_per_iter: Option<f64>,
    /// For results measured in interleaved rounds (the `paired` bench): the median of the
    /// per-round ratios to picoring's time, which a change of load between rounds moves less
    /// than the ratio of the two medians.
    paired_ratio: Option<f64>,
}

impl Entry {
    fn name(&self) -> String {
        match &self.parameter {
            Some(p) => format!("{}/{p}", self.implementation),
            None => self.implementation.clone(),
        }
    }

    fn is_baseline(&self) -> bool {
        self.implementation == BASELINE
            || self
                .implementation
                .strip_prefix(BASELINE)
                .is_some_and(|rest| rest.starts_with('_'))
    }

    /// Entries compare with the baseline of the same variant: same `_suffix`, same parameter
    /// (`crossbeam_4p` with `picoring_4p`, `rtrb/8` with `picoring/8`).
    fn variant(&self) -> (Option<&str>, Option<&str>) {
        let suffix = self.implementation.rsplit_once('_').map(|(_, s)| s);
        (suffix, self.parameter.as_deref())
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut json_out = None;
    let mut markdown_out = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json_out = Some(args.next().ok_or("--json needs a path")?),
            "--markdown" => markdown_out = Some(args.next().ok_or("--markdown needs a path")?),
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let dir = dir.unwrap_or_else(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or("target".into(), PathBuf::from);
        target.join("criterion")
    });
    let mut groups = BTreeMap::<String, Vec<Entry>>::new();
    collect(&dir, &mut groups)?;
    if groups.is_empty() {
        return Err(format!("no criterion results under {}", dir.display()).into());
    }
    let markdown = render(&groups);
    print!("{markdown}");
    if let Some(path) = markdown_out {
        fs::write(path, &markdown)?;
    }
    if let Some(path) = json_out {
        fs::write(path, serde_json::to_string_pretty(&to_json(&groups))?)?;
    }
    Ok(())
}

/// Walks `dir` for `new/benchmark.json` files and reads each one's median estimate.
fn collect(dir: &Path, groups: &mut BTreeMap<String, Vec<Entry>>) -> Result<(), Box<dyn Error>> {
    for item in fs::read_dir(dir)? {
        let path = item?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            let meta: Value =
                serde_json::from_str(&fs::read_to_string(path.join("benchmark.json"))?)?;
            let estimates: Value =
                serde_json::from_str(&fs::read_to_string(path.join("estimates.json"))?)?;
            let group = meta["group_id"].as_str().unwrap_or("?").to_string();
            let implementation = meta["function_id"].as_str().unwrap_or("?").to_string();
            let parameter = meta["value_str"].as_str().map(str::to_string);
            let median_ns = estimates["median"]["point_estimate"]
                .as_f64()
                .ok_or("estimates.json without a median")?;
            let bytes_per_iter = meta["throughput"]["Bytes"].as_f64();
            let paired_ratio = estimates["paired_ratio"].as_f64();
            groups.entry(group).or_default().push(Entry {
                implementation,
                parameter,
                median_ns,
                bytes_per_iter,
                paired_ratio,
            });
        } else if path
            .file_name()
            .is_some_and(|n| n != "report" && n != "base" && n != "change")
        {
            collect(&path, groups)?;
        }
    }
    Ok(())
}

/// `entry`'s time over its baseline's (see [`Entry::variant`]), if the group has one; for
/// paired results, the median per-round ratio.
fn ratio(entries: &[Entry], entry: &Entry) -> Option<f64> {
    if entry.paired_ratio.is_some() {
        return entry.paired_ratio;
    }
    entries
        .iter()
        .find(|b| b.is_baseline() && b.variant() == entry.variant())
        .map(|b| entry.median_ns / b.median_ns)
}

fn human_time(ns: f64) -> String {
    match ns {
        ns if ns < 1e3 => format!("{ns:.1} ns"),
        ns if ns < 1e6 => format!("{:.2} µs", ns / 1e3),
        ns => format!("{:.2} ms", ns / 1e6),
    }
}

/// Three significant digits: 0.000812×, 1.05×, 1260×.
fn ratio_text(ratio: f64) -> String {
    let digits = (2 - ratio.log10().floor() as i32).clamp(0, 8) as usize;
    format!("{ratio:.digits$}×")
}

/// One markdown table per group, picoring first, the others fastest first.
fn render(groups: &BTreeMap<String, Vec<Entry>>) -> String {
    let mut out = String::new();
    for (group, entries) in groups {
        let mut sorted: Vec<&Entry> = entries.iter().collect();
        sorted.sort_by(|a, b| {
            a.variant()
                .cmp(&b.variant())
                .then(b.is_baseline().cmp(&a.is_baseline()))
                .then(a.median_ns.total_cmp(&b.median_ns))
        });
        let _ = writeln!(out, "\n### {group}\n");
        let _ = writeln!(
            out,
            "| implementation | median time | throughput | time / picoring's |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|");
        for e in sorted {
            let rate = e
                .bytes_per_iter
                .map_or("".into(), |b| format!("{:.1} GB/s", b / e.median_ns));
            let ratio = ratio(entries, e).map_or("".into(), ratio_text);
            let _ = writeln!(
                out,
                "| {} | {} | {rate} | {ratio} |",
                e.name(),
                human_time(e.median_ns)
            );
        }
    }
    out
}

fn to_json(groups: &BTreeMap<String, Vec<Entry>>) -> Value {
    let groups: serde_json::Map<String, Value> = groups
        .iter()
        .map(|(group, entries)| {
            let rows: Vec<Value> = entries
                .iter()
                .map(|e| {
                    json!({
                        "implementation": e.name(),
                        "median_ns": e.median_ns,
                        "bytes_per_iter": e.bytes_per_iter,
                        "ratio_to_picoring": ratio(entries, e),
                        "paired": e.paired_ratio.is_some(),
                    })
                })
                .collect();
            (group.clone(), Value::Array(rows))
        })
        .collect();
    Value::Object(groups)
}
