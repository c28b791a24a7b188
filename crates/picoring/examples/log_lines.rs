//! Line-by-line log analysis through a fixed 64 KiB ring, every line parsed in place.
//!
//! The input is read in 4 KiB `read` calls straight into the ring's free space; each complete
//! line is one slice of `readable()`, even when it straddles the physical end of the buffer.
//! Without arguments it analyses generated access-log lines; give a file path to analyse a
//! real file (lines like `... level=ERROR ... latency_ms=12 ...` are counted by level).
//!
//! `cargo run --release --example log_lines [-- --quick | PATH]`

use std::collections::BTreeMap;
use std::error::Error;
use std::fs::File;
use std::io::Read;
use std::time::Instant;

use picoring::PicoRing;

/// Deterministic synthetic log: `lines` access-log lines of varying length.
fn synthetic_log(lines: u64) -> Vec<u8> {
    const LEVELS: [&str; 4] = ["INFO", "INFO", "WARN", "ERROR"];
    const PATHS: [&str; 3] = [
        "/",
        "/api/v1/items",
        "/static/app.js?cache=0123456789abcdef",
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64; // xorshift: same log every run
    let mut out = Vec::new();
    for i in 0..lines {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let level = LEVELS[(state % 4) as usize];
        let path = PATHS[(state >> 8) as usize % 3];
        let latency = (state >> 16) % 500;
        out.extend_from_slice(
            format!("2026-01-01T00:00:{:02}Z level={level} svc=api path={path} latency_ms={latency} seq={i}\n", i % 60)
                .as_bytes(),
        );
    }
    out
}

/// The value of `key=` in `line`, as bytes.
fn field<'a>(line: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let at = line.windows(key.len()).position(|w| w == key)? + key.len();
    let rest = &line[at..];
    let end = rest
        .iter()
        .position(|&b| b == b' ' || b == b'\n')
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

#[derive(Default)]
struct Stats {
    lines: u64,
    bytes: u64,
    straddling: u64,
    by_level: BTreeMap<String, u64>,
    latency_sum: u64,
    latency_max: u64,
}

impl Stats {
    fn add(&mut self, line: &[u8]) {
        self.lines += 1;
        self.bytes += line.len() as u64;
        let level = field(line, b"level=").unwrap_or(b"-");
        *self
            .by_level
            .entry(String::from_utf8_lossy(level).into_owned())
            .or_default() += 1;
        if let Some(ms) =
            field(line, b"latency_ms=").and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
        {
            self.latency_sum += ms;
            self.latency_max = self.latency_max.max(ms);
        }
    }
}

fn analyse(mut input: impl Read) -> Result<Stats, Box<dyn Error>> {
    let mut ring = PicoRing::<u8>::with_capacity(64 * 1024)?;
    let capacity = ring.capacity();
    let mut stats = Stats::default();
    let mut read_from = 0usize; // physical offset of readable()[0]
    loop {
        let free = ring.writable();
        let want = free.len().min(4096);
        if want == 0 {
            return Err(format!("a line is longer than the {capacity}-byte ring").into());
        }
        let n = input.read(&mut free[..want])?;
        ring.commit(n);
        while let Some(end) = ring.readable().iter().position(|&b| b == b'\n') {
            let len = end + 1;
            stats.add(&ring.readable()[..len]);
            if read_from + len > capacity {
                stats.straddling += 1;
            }
            read_from = (read_from + len) % capacity;
            ring.consume(len);
        }
        if n == 0 {
            if !ring.is_empty() {
                let tail = ring.readable().to_vec(); // last line without a newline
                stats.add(&tail);
            }
            return Ok(stats);
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let path = args.iter().find(|a| !a.starts_with("--"));
    let (input, source, expected): (Box<dyn Read>, String, Option<u64>) = match path {
        Some(path) => (Box::new(File::open(path)?), path.clone(), None),
        None => {
            let lines = if quick { 20_000 } else { 2_000_000 };
            (
                Box::new(std::io::Cursor::new(synthetic_log(lines))),
                format!("{lines} generated lines"),
                Some(lines),
            )
        }
    };
    let start = Instant::now();
    let stats = analyse(input)?;
    if expected.is_some_and(|lines| lines != stats.lines) {
        return Err(format!("counted {} lines, expected {expected:?}", stats.lines).into());
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "log_lines: {} lines ({:.1} MB) from {source} in {secs:.3} s: {:.2} M lines/s; \
         {} straddled the 64 KiB ring's end and were still one slice",
        stats.lines,
        stats.bytes as f64 / 1e6,
        stats.lines as f64 / secs / 1e6,
        stats.straddling,
    );
    let mean = stats.latency_sum as f64 / stats.lines.max(1) as f64;
    println!(
        "  by level: {:?}; latency mean {mean:.1} ms, max {} ms",
        stats.by_level, stats.latency_max
    );
    Ok(())
}
