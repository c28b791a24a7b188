//! Instruction counts of the single-threaded per-operation benchmarks, picoring and each peer,
//! from valgrind's callgrind: counts do not move with the machine's load, so a regression
//! shows even when the timings are noisy.
//!
//! Usage:
//! - `opcount table [--json OUT.json]`: runs every (operation, implementation) under
//!   `valgrind --tool=callgrind`, counting only inside `opcount_measured` (one call per
//!   operation; the setup between calls, such as re-wrapping a ring, is not counted), prints
//!   the instructions per operation with the empty call's count subtracted, and writes them as
//!   JSON. About a minute.
//! - `opcount check`: runs every operation once natively (no valgrind), so the code
//!   cannot rot; a fraction of a second.
//! - `opcount one OPERATION IMPLEMENTATION CALLS`: what `table` runs under valgrind.
//!
//! Callgrind counts user-space instructions only: the system calls of create + drop (memfd,
//! mmap, munmap) and page faults are not in the counts, which is said in the table.

use std::collections::VecDeque;
use std::error::Error;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;

use picoring_compare::fifo::{ByteFifo, Bytes, Deque, Pico, RingBuf, Rtrb, SliceRing, Upstream};
use picoring_compare::records::{one_thread_loop, Ends, PicoEnds, Records, RingbufEnds, RtrbEnds};
use picoring_compare::RING_BYTES;
use ringbuf::traits::{Consumer as _, Producer as _};

/// Where the counting starts and stops: every instruction executed inside it (and the
/// functions it calls) is counted, once per operation.
#[inline(never)]
fn opcount_measured<R>(op: impl FnOnce() -> R) -> R {
    op()
}

/// One operation: its name, what one call does, and how many calls make a count.
struct Operation {
    name: &'static str,
    what: &'static str,
    calls: u64,
    implementations: &'static [&'static str],
}

const FIFOS: &[&str] = &[
    "picoring",
    "picoring 0.6",
    "VecDeque",
    "slice-ring-buffer",
    "ringbuf",
    "rtrb",
    "bytes::BytesMut",
];

const OPERATIONS: &[Operation] = &[
    Operation {
        name: "empty",
        what: "nothing (the count of one call of the measured function, subtracted from the others)",
        calls: 1000,
        implementations: &["none"],
    },
    Operation {
        name: "push_pop_one_u64",
        what: "push one u64 and pop one, half of 1024 slots queued",
        calls: 10_000,
        implementations: &[
            "picoring",
            "picoring 0.6",
            "VecDeque",
            "slice-ring-buffer",
            "ringbuf",
            "rtrb",
            "crossbeam-channel",
        ],
    },
    Operation {
        name: "stream_1500B_through_64KiB",
        what: "push a 1500-byte chunk and pop one, half the 64 KiB ring queued (two memcpys)",
        calls: 2_000,
        implementations: FIFOS,
    },
    Operation {
        name: "contiguous_view_32KiB_wrapped",
        what: "one contiguous slice of 32 KiB queued across the wrap (a copy where the ring has none)",
        calls: 200,
        implementations: FIFOS,
    },
    Operation {
        name: "create_drop_64KiB",
        what: "create and drop a 64 KiB ring (user-space instructions only: system calls are not counted)",
        calls: 200,
        implementations: FIFOS,
    },
    Operation {
        name: "records_straddle",
        what: "one record (1 to 1500 bytes, length-prefixed) written and parsed in place through a 64 KiB SPSC ring from one thread, averaged over 20 000",
        calls: 1,
        implementations: &["picoring", "ringbuf", "rtrb"],
    },
    Operation {
        name: "list_push_u8",
        what: "one push of a u8, averaged over growing a list to 1 M",
        calls: 1,
        implementations: &["picoring", "Vec", "picoring 0.6"],
    },
    Operation {
        name: "list_extend_u8",
        what: "one extend_from_slice of 4 KiB, averaged over growing a byte list to 1 M",
        calls: 1,
        implementations: &["picoring", "Vec", "picoring 0.6"],
    },
    Operation {
        name: "list_push_u64",
        what: "one push of a u64, averaged over growing a list to 1 M",
        calls: 1,
        implementations: &["picoring", "Vec", "picoring 0.6"],
    },
];

/// Elements per list in the list operations (one measured call grows a list to this length).
const LIST_LEN: u64 = 1_000_000;

/// Records per measured call of `records_straddle`.
const RECORDS: u64 = 20_000;

/// Operations counted per measured call (the list operations do LIST_LEN pushes per call).
fn ops_per_call(op: &str) -> u64 {
    match op {
        "records_straddle" => RECORDS,
        "list_extend_u8" => LIST_LEN / EXTEND_CHUNK as u64,
        _ if op.starts_with("list_") => LIST_LEN,
        _ => 1,
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("one") if args.len() == 4 => run_one(&args[1], &args[2], args[3].parse()?),
        Some("check") => {
            for op in OPERATIONS {
                for implementation in op.implementations {
                    run_one(op.name, implementation, 1)?;
                }
            }
            println!("opcount check: every operation ran");
            Ok(())
        }
        Some("table") => {
            let json = match args.get(1).map(String::as_str) {
                Some("--json") => Some(args.get(2).ok_or("--json needs a path")?.clone()),
                _ => None,
            };
            table(json.as_deref())
        }
        _ => Err(
            "usage: opcount table [--json OUT] | check | one OPERATION IMPLEMENTATION CALLS".into(),
        ),
    }
}

/// Runs `calls` measured calls of one operation on one implementation.
fn run_one(op: &str, implementation: &str, calls: u64) -> Result<(), Box<dyn Error>> {
    match op {
        "empty" => {
            for _ in 0..calls {
                opcount_measured(|| ());
            }
        }
        "push_pop_one_u64" => push_pop(implementation, calls)?,
        "stream_1500B_through_64KiB" => fifo_op(implementation, FifoOp::Stream(calls))?,
        "contiguous_view_32KiB_wrapped" => fifo_op(implementation, FifoOp::View(calls))?,
        "create_drop_64KiB" => fifo_op(implementation, FifoOp::CreateDrop(calls))?,
        "records_straddle" => match implementation {
            "picoring" => records::<PicoEnds>(calls),
            "ringbuf" => records::<RingbufEnds>(calls),
            "rtrb" => records::<RtrbEnds>(calls),
            _ => return Err(format!("unknown implementation {implementation}").into()),
        },
        "list_push_u8" => list_push::<u8>(implementation, calls)?,
        "list_push_u64" => list_push::<u64>(implementation, calls)?,
        "list_extend_u8" => list_extend(implementation, calls)?,
        _ => return Err(format!("unknown operation {op}").into()),
    }
    Ok(())
}

/// A byte-FIFO operation and its number of calls.
enum FifoOp {
    Stream(u64),
    View(u64),
    CreateDrop(u64),
}

impl FifoOp {
    fn run<F: ByteFifo>(self) {
        match self {
            FifoOp::Stream(calls) => stream_fifo::<F>(calls),
            FifoOp::View(calls) => view_fifo::<F>(calls),
            FifoOp::CreateDrop(calls) => create_drop_fifo::<F>(calls),
        }
    }
}

/// Runs `op` on the byte-FIFO peer named `implementation`.
fn fifo_op(implementation: &str, op: FifoOp) -> Result<(), Box<dyn Error>> {
    match implementation {
        "picoring" => op.run::<Pico>(),
        "picoring 0.6" => op.run::<Upstream>(),
        "VecDeque" => op.run::<Deque>(),
        "slice-ring-buffer" => op.run::<SliceRing>(),
        "ringbuf" => op.run::<RingBuf>(),
        "rtrb" => op.run::<Rtrb>(),
        "bytes::BytesMut" => op.run::<Bytes>(),
        _ => return Err(format!("unknown implementation {implementation}").into()),
    }
    Ok(())
}

const CHUNK: usize = 1500;

fn stream_fifo<F: ByteFifo>(calls: u64) {
    let mut fifo = F::with_capacity(RING_BYTES);
    let input: Vec<u8> = (0..CHUNK).map(|i| i as u8).collect();
    let mut output = vec![0u8; CHUNK];
    let backlog = vec![0u8; RING_BYTES / 2 + 123];
    assert_eq!(fifo.push(&backlog), backlog.len());
    for _ in 0..calls {
        let moved = opcount_measured(|| {
            (
                fifo.push(black_box(&input)),
                fifo.pop(black_box(&mut output)),
            )
        });
        assert_eq!(moved, (CHUNK, CHUNK), "{} lost bytes", F::NAME);
    }
}

/// Leaves RING_BYTES / 2 bytes queued in `fifo`, starting 3/4 into the ring so they wrap.
fn wrap<F: ByteFifo>(fifo: &mut F, filler: &[u8], scratch: &mut [u8]) {
    picoring_compare::fifo::wrap_at(fifo, RING_BYTES, RING_BYTES / 2, filler, scratch);
}

fn view_fifo<F: ByteFifo>(calls: u64) {
    let mut fifo = F::with_capacity(RING_BYTES);
    let filler: Vec<u8> = (0..RING_BYTES).map(|i| i as u8).collect();
    let mut scratch = vec![0u8; RING_BYTES];
    for _ in 0..calls {
        wrap(&mut fifo, &filler, &mut scratch);
        let (len, last) = opcount_measured(|| {
            let view = fifo.contiguous();
            (view.len(), view.last().copied())
        });
        assert_eq!((len, last), (RING_BYTES / 2, Some(filler[len - 1])));
    }
}

fn create_drop_fifo<F: ByteFifo>(calls: u64) {
    // One untimed first ring: lazy one-time setup (a backend probe, say) is not a per-call cost.
    drop(F::with_capacity(RING_BYTES));
    for _ in 0..calls {
        opcount_measured(|| drop(black_box(F::with_capacity(black_box(RING_BYTES)))));
    }
}

/// The queue operations of `push_pop_one_u64`, one closure pair per peer.
fn push_pop(implementation: &str, calls: u64) -> Result<(), Box<dyn Error>> {
    const SLOTS: usize = 1024;
    fn drive(calls: u64, mut push: impl FnMut(u64), mut pop: impl FnMut() -> u64) {
        for v in 0..(SLOTS / 2) as u64 {
            push(v);
        }
        for v in 0..calls {
            black_box(opcount_measured(|| {
                push(black_box(v));
                pop()
            }));
        }
    }
    match implementation {
        "picoring" => {
            let ring = std::cell::RefCell::new(picoring::PicoRing::<u64>::with_capacity(SLOTS)?);
            drive(
                calls,
                |v| ring.borrow_mut().push(v).expect("room"),
                || ring.borrow_mut().pop().expect("value"),
            );
        }
        "picoring 0.6" => {
            let ring =
                std::cell::RefCell::new(picoring_upstream::PicoRing::<u64>::with_capacity(SLOTS)?);
            drive(
                calls,
                |v| assert!(ring.borrow_mut().push(v)),
                || ring.borrow_mut().pop().expect("value"),
            );
        }
        "VecDeque" => {
            let ring = std::cell::RefCell::new(VecDeque::with_capacity(SLOTS));
            drive(
                calls,
                |v| ring.borrow_mut().push_back(v),
                || ring.borrow_mut().pop_front().expect("value"),
            );
        }
        "slice-ring-buffer" => {
            let ring =
                std::cell::RefCell::new(slice_ring_buffer::SliceRingBuffer::with_capacity(SLOTS));
            drive(
                calls,
                |v| ring.borrow_mut().push_back(v),
                || ring.borrow_mut().pop_front().expect("value"),
            );
        }
        "ringbuf" => {
            let ring = std::cell::RefCell::new(
                ringbuf::LocalRb::<ringbuf::storage::Heap<u64>>::new(SLOTS),
            );
            drive(
                calls,
                |v| ring.borrow_mut().try_push(v).expect("room"),
                || ring.borrow_mut().try_pop().expect("value"),
            );
        }
        "rtrb" => {
            let (mut tx, mut rx) = rtrb::RingBuffer::new(SLOTS);
            drive(
                calls,
                |v| tx.push(v).expect("room"),
                || rx.pop().expect("value"),
            );
        }
        "crossbeam-channel" => {
            let (tx, rx) = crossbeam_channel::bounded(SLOTS);
            drive(
                calls,
                |v| tx.send(v).expect("open"),
                || rx.recv().expect("value"),
            );
        }
        _ => return Err(format!("unknown implementation {implementation}").into()),
    }
    Ok(())
}

/// Moves RECORDS records per call through one thread's two ends of a fresh ring.
fn records<E: Ends>(calls: u64) {
    let records = Records::new();
    let expected = records.expected(RECORDS);
    for _ in 0..calls {
        let (mut put, mut take) = E::ends();
        let sum = opcount_measured(|| one_thread_loop(RECORDS, &records, &mut put, &mut take));
        assert_eq!(sum, expected);
    }
}

/// Grows one list to LIST_LEN elements per call, one push at a time.
fn list_push<T: Copy + From<u8>>(implementation: &str, calls: u64) -> Result<(), Box<dyn Error>> {
    for _ in 0..calls {
        match implementation {
            "picoring" => {
                let mut list = picoring::PicoList::<T>::new()?;
                opcount_measured(|| {
                    for i in 0..LIST_LEN {
                        list.push(T::from(i as u8)).expect("push");
                    }
                });
                black_box(list.len());
            }
            "Vec" => {
                let mut list = Vec::<T>::new();
                opcount_measured(|| {
                    for i in 0..LIST_LEN {
                        list.push(T::from(i as u8));
                    }
                });
                black_box(list.len());
            }
            "picoring 0.6" => {
                let mut list = picoring_upstream::PicoList::<T>::new();
                opcount_measured(|| {
                    for i in 0..LIST_LEN {
                        list.push(T::from(i as u8));
                    }
                });
                black_box(list.len());
            }
            _ => return Err(format!("unknown implementation {implementation}").into()),
        }
    }
    Ok(())
}

/// Bytes per `extend_from_slice` in `list_extend_u8`.
const EXTEND_CHUNK: usize = 4096;

/// Grows one byte list to about LIST_LEN elements per call, by `extend_from_slice` of
/// EXTEND_CHUNK bytes.
fn list_extend(implementation: &str, calls: u64) -> Result<(), Box<dyn Error>> {
    let chunk: Vec<u8> = (0..EXTEND_CHUNK).map(|i| i as u8).collect();
    let chunks = LIST_LEN as usize / chunk.len();
    for _ in 0..calls {
        match implementation {
            "picoring" => {
                let mut list = picoring::PicoList::<u8>::new()?;
                opcount_measured(|| {
                    for _ in 0..chunks {
                        list.extend_from_slice(black_box(&chunk)).expect("extend");
                    }
                });
                black_box(list.len());
            }
            "Vec" => {
                let mut list = Vec::<u8>::new();
                opcount_measured(|| {
                    for _ in 0..chunks {
                        list.extend_from_slice(black_box(&chunk));
                    }
                });
                black_box(list.len());
            }
            "picoring 0.6" => {
                let mut list = picoring_upstream::PicoList::<u8>::new();
                opcount_measured(|| {
                    for _ in 0..chunks {
                        list.extend_from_slice(black_box(&chunk));
                    }
                });
                black_box(list.len());
            }
            _ => return Err(format!("unknown implementation {implementation}").into()),
        }
    }
    Ok(())
}

/// Runs one (operation, implementation) under callgrind; returns the instructions counted.
fn callgrind(op: &Operation, implementation: &str, out: &Path) -> Result<u64, Box<dyn Error>> {
    let exe = std::env::current_exe()?;
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("--toggle-collect=*opcount_measured*")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&exe)
        .args(["one", op.name, implementation, &op.calls.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("valgrind {} {implementation}: {status}", op.name).into());
    }
    let text = std::fs::read_to_string(out)?;
    let total = text
        .lines()
        .find_map(|line| {
            line.strip_prefix("totals:")
                .or(line.strip_prefix("summary:"))
        })
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
        .ok_or("no totals line in the callgrind output")?;
    Ok(total)
}

fn table(json: Option<&str>) -> Result<(), Box<dyn Error>> {
    if Command::new("valgrind").arg("--version").output().is_err() {
        println!("valgrind is not installed: no instruction counts");
        return Ok(());
    }
    let out = std::env::temp_dir().join(format!("opcount-{}.callgrind", std::process::id()));
    let mut rows = Vec::new();
    let mut empty = 0.0;
    let mut text = String::new();
    writeln!(
        text,
        "instructions per operation (callgrind; the measured call's own overhead subtracted)"
    )?;
    for op in OPERATIONS {
        if op.name != "empty" {
            writeln!(text, "  {}: {}", op.name, op.what)?;
        }
        for implementation in op.implementations {
            let total = callgrind(op, implementation, &out)?;
            let per_call = total as f64 / op.calls as f64;
            if op.name == "empty" {
                empty = per_call;
                continue;
            }
            let per_op = (per_call - empty) / ops_per_call(op.name) as f64;
            writeln!(text, "    {implementation:20} {per_op:12.1}")?;
            rows.push(serde_json::json!({
                "operation": op.name,
                "what": op.what,
                "implementation": implementation,
                "instructions": per_op,
            }));
        }
    }
    let _ = std::fs::remove_file(&out);
    print!("{text}");
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_string_pretty(&rows)?)?;
    }
    Ok(())
}
