//! How the cost grows with the work: picoring against `VecDeque` and ringbuf (the
//! `picoring_compare::fifo` adapters), as throughput against ring size and chunk size.
//!
//! - `ring` sweep, 4 KiB to 1 GiB (factors of 4): `push_consume` streams 1 KiB chunks through
//!   the ring with half of it queued (one untimed lap first, so every page is resident), and
//!   `view` gets one contiguous slice of the half-ring queued across the wrap (picoring's view
//!   is O(1); `VecDeque::make_contiguous` and ringbuf's two slices joined into a buffer copy).
//! - `chunk` sweep, 16 B to 1 MiB in a 4 MiB ring: `push_consume` with chunks of that size,
//!   and `view` of the first chunk's bytes when they straddle the wrap (a peer copies only
//!   that chunk, and only because it straddles).
//!
//! Each point is the median of a few short timings; sizes that would not fit in a third of
//! the available memory are skipped with a note. The results go to the JSON file given with
//! `--json PATH` (read by `bench/run.py` for the README table and the chart), and are printed.
//! Without `--bench` (as under `cargo test --benches`) it runs tiny sizes and writes nothing.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Instant;

use picoring_compare::fifo::{wrap_at, ByteFifo, Deque, Pico, RingBuf};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const GIB: usize = 1024 * MIB;

/// Chunk of the ring-size sweep's streaming.
const RING_SWEEP_CHUNK: usize = KIB;

struct Settings {
    ring_sizes: Vec<usize>,
    chunk_sizes: Vec<usize>,
    /// Bytes moved per streaming timing (at least one lap of the ring).
    stream_bytes: usize,
    /// Timings per point (the median is kept); views take up to `view_repeats`.
    repeats: usize,
    view_repeats: usize,
    /// Ring of the chunk-size sweep.
    chunk_ring: usize,
}

fn geometric(from: usize, to: usize) -> Vec<usize> {
    std::iter::successors(Some(from), |&s| (s < to).then_some(s * 4)).collect()
}

/// One measured point.
struct Point {
    sweep: &'static str,
    op: &'static str,
    implementation: &'static str,
    size: usize,
    /// Median nanoseconds per call (`view`) or per byte moved (`push_consume`).
    ns: f64,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Nanoseconds per byte of streaming `chunk`-byte pieces through a `ring`-byte FIFO with half
/// of it queued: one untimed lap, then `repeats` timings of `bytes` bytes.
fn push_consume<F: ByteFifo>(ring: usize, chunk: usize, bytes: usize, repeats: usize) -> f64 {
    let mut fifo = F::with_capacity(ring);
    let input: Vec<u8> = (0..chunk).map(|i| i as u8).collect();
    let mut output = vec![0u8; chunk];
    let backlog = vec![0u8; ring / 2 + 123.min(ring / 8)];
    assert_eq!(
        fifo.push(&backlog),
        backlog.len(),
        "{} refused the backlog",
        F::NAME
    );
    drop(backlog);
    let steps = |n: usize, fifo: &mut F, output: &mut [u8]| {
        for _ in 0..n {
            let pushed = fifo.push(black_box(&input));
            let popped = fifo.pop(black_box(&mut *output));
            assert_eq!((pushed, popped), (chunk, chunk), "{} lost bytes", F::NAME);
        }
    };
    steps(ring.div_ceil(chunk), &mut fifo, &mut output);
    let n = bytes.div_ceil(chunk);
    let times = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            steps(n, &mut fifo, &mut output);
            start.elapsed().as_nanos() as f64 / (n * chunk) as f64
        })
        .collect();
    median(times)
}

/// The median of `repeats` timings of `view` (after an untimed `prepare` each), less the
/// clock's own cost.
fn timed_views<S>(
    state: &mut S,
    repeats: usize,
    mut prepare: impl FnMut(&mut S),
    mut view: impl FnMut(&mut S) -> (usize, Option<u8>),
) -> f64 {
    let clock = median(
        (0..101)
            .map(|_| {
                let start = Instant::now();
                black_box(());
                start.elapsed().as_nanos() as f64
            })
            .collect(),
    );
    let times = (0..repeats)
        .map(|_| {
            prepare(state);
            let start = Instant::now();
            black_box(view(state));
            let took = start.elapsed().as_nanos() as f64;
            (took - clock).max(0.0)
        })
        .collect();
    median(times)
}

/// Nanoseconds for one contiguous view of `ring / 2` bytes queued across the wrap.
fn view_all<F: ByteFifo>(ring: usize, repeats: usize) -> f64 {
    let queued = ring / 2;
    let filler: Vec<u8> = (0..queued).map(|i| i as u8).collect();
    let mut scratch = vec![0u8; queued];
    let mut fifo = F::with_capacity(ring);
    timed_views(
        &mut fifo,
        repeats,
        |fifo| wrap_at(fifo, ring, queued, &filler, &mut scratch),
        |fifo| {
            let view = fifo.contiguous();
            (view.len(), view.last().copied())
        },
    )
}

/// Nanoseconds for one contiguous view of the first `chunk` queued bytes, which straddle the
/// wrap of a `ring`-byte ring.
fn view_prefix<F: ByteFifo>(ring: usize, chunk: usize, repeats: usize) -> f64 {
    let queued = ring / 2;
    let filler: Vec<u8> = (0..queued).map(|i| i as u8).collect();
    let mut scratch = vec![0u8; queued];
    let mut fifo = F::with_capacity(ring);
    // The queued bytes start 3/4 into the ring: move the start to `chunk / 2` before the end,
    // so the first `chunk` bytes straddle it.
    wrap_at(&mut fifo, ring, queued, &filler, &mut scratch);
    let to_end = ring / 4 - chunk / 2;
    let mut moved = 0;
    while moved < to_end {
        let step = (to_end - moved).min(queued);
        assert_eq!(fifo.pop(&mut scratch[..step]), step);
        assert_eq!(fifo.push(&filler[..step]), step);
        moved += step;
    }
    // The view does not change the ring: no preparing between calls.
    timed_views(
        &mut (fifo, Vec::with_capacity(chunk)),
        repeats,
        |_| {},
        |(fifo, joined)| {
            let view = fifo.prefix(chunk, joined);
            (view.len(), view.last().copied())
        },
    )
}

fn available_memory() -> usize {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        })
        .map_or(usize::MAX, |kb| kb * 1024)
}

fn measure(settings: &Settings, notes: &mut Vec<String>) -> Vec<Point> {
    let mut points = Vec::new();
    let memory = available_memory();
    let mut record = |sweep, op, implementation, size, ns: f64| {
        points.push(Point {
            sweep,
            op,
            implementation,
            size,
            ns,
        });
    };
    for &ring in &settings.ring_sizes {
        // The ring, its half-ring filler and scratch, and a peer's joined copy.
        if ring.saturating_mul(3) > memory {
            notes.push(format!(
                "ring size {} MiB skipped: less than three times that is available",
                ring / MIB
            ));
            continue;
        }
        let bytes = settings.stream_bytes.max(ring);
        let repeats = if ring >= 64 * MIB {
            1
        } else {
            settings.repeats
        };
        let view_repeats = (64 * MIB / ring).clamp(3, settings.view_repeats);
        eprintln!("curves: ring {} KiB", ring / KIB);
        record(
            "ring",
            "push_consume",
            Pico::NAME,
            ring,
            push_consume::<Pico>(ring, RING_SWEEP_CHUNK, bytes, repeats),
        );
        record(
            "ring",
            "push_consume",
            Deque::NAME,
            ring,
            push_consume::<Deque>(ring, RING_SWEEP_CHUNK, bytes, repeats),
        );
        record(
            "ring",
            "push_consume",
            RingBuf::NAME,
            ring,
            push_consume::<RingBuf>(ring, RING_SWEEP_CHUNK, bytes, repeats),
        );
        record(
            "ring",
            "view",
            Pico::NAME,
            ring,
            view_all::<Pico>(ring, view_repeats),
        );
        record(
            "ring",
            "view",
            Deque::NAME,
            ring,
            view_all::<Deque>(ring, view_repeats),
        );
        record(
            "ring",
            "view",
            RingBuf::NAME,
            ring,
            view_all::<RingBuf>(ring, view_repeats),
        );
    }
    for &chunk in &settings.chunk_sizes {
        eprintln!("curves: chunk {chunk} B");
        let ring = settings.chunk_ring;
        let bytes = settings.stream_bytes;
        let (r, v) = (settings.repeats, settings.view_repeats);
        record(
            "chunk",
            "push_consume",
            Pico::NAME,
            chunk,
            push_consume::<Pico>(ring, chunk, bytes, r),
        );
        record(
            "chunk",
            "push_consume",
            Deque::NAME,
            chunk,
            push_consume::<Deque>(ring, chunk, bytes, r),
        );
        record(
            "chunk",
            "push_consume",
            RingBuf::NAME,
            chunk,
            push_consume::<RingBuf>(ring, chunk, bytes, r),
        );
        record(
            "chunk",
            "view",
            Pico::NAME,
            chunk,
            view_prefix::<Pico>(ring, chunk, v),
        );
        record(
            "chunk",
            "view",
            Deque::NAME,
            chunk,
            view_prefix::<Deque>(ring, chunk, v),
        );
        record(
            "chunk",
            "view",
            RingBuf::NAME,
            chunk,
            view_prefix::<RingBuf>(ring, chunk, v),
        );
    }
    points
}

fn size_label(size: usize) -> String {
    match size {
        s if s >= GIB && s % GIB == 0 => format!("{} GiB", s / GIB),
        s if s >= MIB && s % MIB == 0 => format!("{} MiB", s / MIB),
        s if s >= KIB && s % KIB == 0 => format!("{} KiB", s / KIB),
        s => format!("{s} B"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench");
    let json = args
        .iter()
        .position(|a| a == "--json")
        .and_then(|i| args.get(i + 1));
    let settings = if full {
        Settings {
            ring_sizes: geometric(4 * KIB, GIB),
            chunk_sizes: geometric(16, MIB),
            stream_bytes: 32 * MIB,
            repeats: 5,
            view_repeats: 101,
            chunk_ring: 4 * MIB,
        }
    } else {
        Settings {
            ring_sizes: vec![4 * KIB, 64 * KIB],
            chunk_sizes: vec![16, 4 * KIB],
            stream_bytes: 64 * KIB,
            repeats: 1,
            view_repeats: 3,
            chunk_ring: 64 * KIB,
        }
    };
    let started = Instant::now();
    let mut notes = Vec::new();
    let points = measure(&settings, &mut notes);
    let mut text = String::new();
    for (sweep, op) in [
        ("ring", "push_consume"),
        ("ring", "view"),
        ("chunk", "push_consume"),
        ("chunk", "view"),
    ] {
        let _ = writeln!(text, "{op} against {sweep} size:");
        let mut sizes: Vec<usize> = points
            .iter()
            .filter(|p| p.sweep == sweep && p.op == op)
            .map(|p| p.size)
            .collect();
        sizes.dedup();
        for size in sizes {
            let _ = write!(text, "  {:>8}", size_label(size));
            for p in points
                .iter()
                .filter(|p| p.sweep == sweep && p.op == op && p.size == size)
            {
                let figure = if op == "view" {
                    format!("{:.0} ns", p.ns)
                } else {
                    format!("{:.2} GB/s", 1.0 / p.ns)
                };
                let _ = write!(text, "  {}: {figure:>10}", p.implementation);
            }
            let _ = writeln!(text);
        }
    }
    print!("{text}");
    println!("curves took {:.1} s", started.elapsed().as_secs_f64());
    for note in &notes {
        println!("note: {note}");
    }
    if let (true, Some(path)) = (full, json) {
        let rows: Vec<_> = points
            .iter()
            .map(|p| {
                serde_json::json!({
                    "sweep": p.sweep, "op": p.op, "implementation": p.implementation,
                    "size": p.size, "ns": p.ns,
                })
            })
            .collect();
        let out = serde_json::json!({
            "ring_sweep_chunk": RING_SWEEP_CHUNK,
            "chunk_sweep_ring": settings.chunk_ring,
            "points": rows,
            "notes": notes,
        });
        std::fs::write(path, serde_json::to_string_pretty(&out).expect("json"))
            .unwrap_or_else(|e| eprintln!("could not write {path}: {e}"));
    }
}
