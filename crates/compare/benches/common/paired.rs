//! Timing implementations against each other in interleaved rounds (see `paired.rs`, whose
//! method this is): every round runs each implementation once, in an order that rotates, and
//! the figures are medians over the rounds.

use std::path::Path;
use std::time::Duration;

/// One implementation: its name and how to move `n` units through it.
pub struct Peer {
    pub name: &'static str,
    pub run: Box<dyn Fn(u64) -> Duration>,
}

/// One comparison: picoring first, then its peers.
pub struct Group {
    pub name: &'static str,
    /// What one unit is, for the printed table: chunk, item, record.
    pub unit: &'static str,
    /// Bytes per unit, or `None` for single items (elements).
    pub bytes: Option<u64>,
    pub peers: Vec<Peer>,
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

/// How many units make one run of about `RUN_TIME` through picoring, after a warm-up: grows
/// the run until it takes a quarter of that, then measures once more at the size that estimate
/// gives (short runs overstate the time per unit where threads start and wake per run).
fn calibrate(run: &dyn Fn(u64) -> Duration) -> u64 {
    let for_run_time = |n: u64, took: Duration| {
        let per_unit = took.as_secs_f64() / n as f64;
        ((RUN_TIME.as_secs_f64() / per_unit) as u64).max(1_000)
    };
    let mut n = 1_000u64;
    loop {
        let took = run(n);
        if took >= RUN_TIME / 4 || n >= 1 << 32 {
            let n = for_run_time(n, took);
            return for_run_time(n, run(n));
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
    super::write_paired_result(
        dir,
        group.name,
        peer,
        &throughput,
        ns_per_unit,
        paired_ratio,
        ROUNDS,
    )
}

/// Runs `groups` as the bench's `main`: `--bench` for the full rounds (results written where
/// criterion writes its own), otherwise one tiny smoke round; other arguments filter groups.
pub fn run(groups: Vec<Group>) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let dir = if full { super::criterion_dir() } else { None };
    for group in groups {
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
