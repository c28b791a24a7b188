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
//! Each point is the best of a few short timings (noise on a shared machine only adds time),
//! the three implementations timed in interleaved rounds (one of each per round, the order
//! rotating); a view's timing has the clock's own cost taken off, so views below the
//! clock's resolution show as 0. Ring sizes that would not fit five times in the available
//! memory are skipped with a note. The results go to the JSON file given with
//! `--json PATH` (read by `bench/run.py` for the README table and the chart), and are printed.
//! Without `--bench` (as under `cargo test --benches`) it runs tiny sizes and writes nothing.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::hint::black_box;
use std::rc::Rc;
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
    /// Bytes moved per streaming timing (after one untimed lap of the ring).
    stream_bytes: usize,
    /// Timings per point (the best is kept); views take up to `view_repeats`.
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

/// One timing of one implementation at one point, in ns per byte moved or per view.
type Timing = Box<dyn FnMut() -> f64>;

/// The median of back-to-back clock reads: subtracted from every single-view timing.
fn clock_cost() -> f64 {
    median(
        (0..101)
            .map(|_| {
                let start = Instant::now();
                black_box(());
                start.elapsed().as_nanos() as f64
            })
            .collect(),
    )
}

/// Runs each implementation's timing `repeats` times, one of each per round in an order that
/// rotates from round to round; returns each one's best (fastest) timing: on a shared machine
/// a timing of a few milliseconds is often cut by another process's time slice, and that
/// noise only ever adds time.
fn interleaved(
    mut timings: Vec<(&'static str, Timing)>,
    repeats: usize,
) -> Vec<(&'static str, f64)> {
    let count = timings.len();
    let mut times = vec![Vec::with_capacity(repeats); count];
    for round in 0..repeats {
        for k in 0..count {
            let i = (round + k) % count;
            times[i].push((timings[i].1)());
        }
    }
    timings
        .iter()
        .zip(times)
        .map(|((name, _), t)| (*name, t.into_iter().fold(f64::INFINITY, f64::min)))
        .collect()
}

/// Streaming `chunk`-byte pieces through a `ring`-byte FIFO with half of it queued, after one
/// untimed lap (every page resident); each timing moves `bytes` bytes.
fn streamer<F: ByteFifo + 'static>(ring: usize, chunk: usize, bytes: usize) -> Timing {
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
    let mut steps = move |n: usize| {
        for _ in 0..n {
            let pushed = fifo.push(black_box(&input));
            let popped = fifo.pop(black_box(&mut output));
            assert_eq!((pushed, popped), (chunk, chunk), "{} lost bytes", F::NAME);
        }
    };
    steps(ring.div_ceil(chunk));
    let n = bytes.div_ceil(chunk);
    Box::new(move || {
        let start = Instant::now();
        steps(n);
        start.elapsed().as_nanos() as f64 / (n * chunk) as f64
    })
}

/// [`streamer`] for picoring, VecDeque and ringbuf.
fn streamers(ring: usize, chunk: usize, bytes: usize) -> Vec<(&'static str, Timing)> {
    vec![
        (Pico::NAME, streamer::<Pico>(ring, chunk, bytes)),
        (Deque::NAME, streamer::<Deque>(ring, chunk, bytes)),
        (RingBuf::NAME, streamer::<RingBuf>(ring, chunk, bytes)),
    ]
}

/// One contiguous view of `ring / 2` bytes queued across the wrap, the ring wrapped again
/// (untimed) before each; `filler` and `scratch` hold `ring / 2` bytes, shared by the peers.
fn whole_viewer<F: ByteFifo + 'static>(
    ring: usize,
    filler: Rc<Vec<u8>>,
    scratch: Rc<RefCell<Vec<u8>>>,
    clock: f64,
) -> Timing {
    let queued = ring / 2;
    let mut fifo = F::with_capacity(ring);
    let mut timing: Timing = Box::new(move || {
        wrap_at(&mut fifo, ring, queued, &filler, &mut scratch.borrow_mut());
        let start = Instant::now();
        let view = fifo.contiguous();
        black_box((view.len(), view.last().copied()));
        (start.elapsed().as_nanos() as f64 - clock).max(0.0)
    });
    // One untimed view first: a peer's first copy also faults in its buffer's pages.
    timing();
    timing
}

/// One contiguous view of the first `chunk` queued bytes, which straddle the wrap of a
/// `ring`-byte ring (the view leaves the ring as it was).
fn prefix_viewer<F: ByteFifo + 'static>(ring: usize, chunk: usize, clock: f64) -> Timing {
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
    let mut joined = Vec::with_capacity(chunk);
    Box::new(move || {
        let start = Instant::now();
        let view = fifo.prefix(chunk, &mut joined);
        black_box((view.len(), view.last().copied()));
        (start.elapsed().as_nanos() as f64 - clock).max(0.0)
    })
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
    let clock = clock_cost();
    let mut record = |sweep, op, results: Vec<(&'static str, f64)>, size| {
        for (implementation, ns) in results {
            points.push(Point {
                sweep,
                op,
                implementation,
                size,
                ns,
            });
        }
    };
    for &ring in &settings.ring_sizes {
        // Three rings alive at once, the shared filler and scratch, a peer's joined copy.
        if ring.saturating_mul(5) > memory {
            notes.push(format!(
                "ring size {} MiB skipped: less than five times that is available",
                ring / MIB
            ));
            continue;
        }
        eprintln!("curves: ring {} KiB", ring / KIB);
        let streams = streamers(ring, RING_SWEEP_CHUNK, settings.stream_bytes);
        record(
            "ring",
            "push_consume",
            interleaved(streams, settings.repeats),
            ring,
        );
        // Re-wrapping a large ring before every view moves most of it: fewer views there.
        let repeats = (64 * MIB / ring).clamp(1, settings.view_repeats);
        let filler = Rc::new((0..ring / 2).map(|i| i as u8).collect::<Vec<u8>>());
        let scratch = Rc::new(RefCell::new(vec![0u8; ring / 2]));
        let views: Vec<(&'static str, Timing)> = vec![
            (
                Pico::NAME,
                whole_viewer::<Pico>(ring, filler.clone(), scratch.clone(), clock),
            ),
            (
                Deque::NAME,
                whole_viewer::<Deque>(ring, filler.clone(), scratch.clone(), clock),
            ),
            (
                RingBuf::NAME,
                whole_viewer::<RingBuf>(ring, filler, scratch, clock),
            ),
        ];
        record("ring", "view", interleaved(views, repeats), ring);
    }
    for &chunk in &settings.chunk_sizes {
        eprintln!("curves: chunk {chunk} B");
        let ring = settings.chunk_ring;
        let streams = streamers(ring, chunk, settings.stream_bytes);
        record(
            "chunk",
            "push_consume",
            interleaved(streams, settings.repeats),
            chunk,
        );
        let views: Vec<(&'static str, Timing)> = vec![
            (Pico::NAME, prefix_viewer::<Pico>(ring, chunk, clock)),
            (Deque::NAME, prefix_viewer::<Deque>(ring, chunk, clock)),
            (RingBuf::NAME, prefix_viewer::<RingBuf>(ring, chunk, clock)),
        ];
        record(
            "chunk",
            "view",
            interleaved(views, settings.view_repeats),
            chunk,
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
            stream_bytes: 4 * MIB,
            repeats: 9,
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
            "clock_ns": clock_cost(),
            "points": rows,
            "notes": notes,
        });
        std::fs::write(path, serde_json::to_string_pretty(&out).expect("json"))
            .unwrap_or_else(|e| eprintln!("could not write {path}: {e}"));
    }
}
