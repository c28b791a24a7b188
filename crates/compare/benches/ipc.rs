//! Between two processes: 4 KiB chunks from a forked producer to this process, through a
//! picoring shared ring, a Unix socket pair and ipc-channel's byte channel, measured in
//! interleaved rounds as in `paired` (each round runs each implementation once, for about
//! 100 ms, in an order that rotates; the figures are medians over the rounds).
//!
//! - `picoring`: a 256 KiB [`picoring::ipc::SharedRing`]; the producer copies each chunk in
//!   with `push_slice`, the consumer copies it out with `pop_slice` (the same two copies a
//!   socket makes; `readable` would let the consumer skip its copy).
//! - `socketpair`: `UnixStream::pair()`, `write_all` and `read_exact` (the kernel's default
//!   buffer, about 208 KiB).
//! - `ipc-channel`: `ipc_channel::ipc::bytes_channel`, `send` and `recv` of each chunk.
//!
//! Each run forks the producer, so its time includes one `fork()` (tens of microseconds against
//! runs of about 100 ms). `cargo bench` writes each median where criterion writes its results
//! (`<target>/criterion/ipc_4k_chunks/<implementation>/new/`), for the `ratios` tool; without
//! `--bench` (as under `cargo test --benches`) it runs one tiny round and writes nothing.

mod common;

#[cfg(target_os = "linux")]
mod linux {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    use std::path::Path;
    use std::time::{Duration, Instant};

    use picoring::ipc::SharedRing;

    const CHUNK: usize = 4096;
    const RING: usize = 256 * 1024;
    const ROUNDS: usize = 15;
    const RUN_TIME: Duration = Duration::from_millis(100);
    const GROUP: &str = "ipc_4k_chunks";

    /// What one run cost: wall-clock time, and the processor time of both processes.
    #[derive(Clone, Copy)]
    struct Cost {
        wall: Duration,
        cpu: Duration,
    }

    /// User + system time of this process and of its reaped children so far.
    fn cpu_time() -> Duration {
        let of = |who| {
            // SAFETY: `rusage` is plain data; getrusage fills it in.
            let mut r: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: a valid out-pointer.
            unsafe { libc::getrusage(who, &mut r) };
            let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
            Duration::from_micros(us(r.ru_utime) + us(r.ru_stime))
        };
        of(libc::RUSAGE_SELF) + of(libc::RUSAGE_CHILDREN)
    }

    /// Forks; the child runs `child` and leaves with `_exit(0)` (or 1 if it returned an error),
    /// the parent runs `parent` and then reaps the child. Measures from before the fork to
    /// after the reaping.
    fn across_fork(
        child: impl FnOnce() -> Result<(), Box<dyn std::error::Error>>,
        parent: impl FnOnce(),
    ) -> Cost {
        let cpu = cpu_time();
        let start = Instant::now();
        // SAFETY: the benchmark is single-threaded, so the child may do anything the parent
        // could; it leaves with `_exit`, running no destructor of the parent's state twice.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = match child() {
                Ok(()) => 0,
                Err(err) => {
                    eprintln!("producer failed: {err}");
                    1
                }
            };
            // SAFETY: ends the child at once.
            unsafe { libc::_exit(code) };
        }
        parent();
        let mut status = 0;
        // SAFETY: waits for our own child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "the producer failed"
        );
        Cost {
            wall: start.elapsed(),
            cpu: cpu_time().saturating_sub(cpu),
        }
    }

    fn picoring(n: u64) -> Cost {
        let ring = SharedRing::<u8>::create(RING).expect("shared ring");
        let mut rx = ring.consumer().expect("consumer role");
        across_fork(
            || {
                let mut tx = ring.producer()?;
                let chunk = [0xa5u8; CHUNK];
                for _ in 0..n {
                    tx.wait_writable(CHUNK, None)?;
                    tx.push_slice(&chunk);
                }
                Ok(())
            },
            || {
                let mut buf = [0u8; CHUNK];
                for _ in 0..n {
                    rx.wait_readable(CHUNK, None).expect("a chunk");
                    rx.pop_slice(&mut buf);
                    std::hint::black_box(&buf);
                }
            },
        )
    }

    fn socketpair(n: u64) -> Cost {
        let (mut tx, mut rx) = UnixStream::pair().expect("socket pair");
        across_fork(
            || {
                let chunk = [0xa5u8; CHUNK];
                for _ in 0..n {
                    tx.write_all(&chunk)?;
                }
                Ok(())
            },
            || {
                let mut buf = [0u8; CHUNK];
                for _ in 0..n {
                    rx.read_exact(&mut buf).expect("a chunk");
                    std::hint::black_box(&buf);
                }
            },
        )
    }

    fn ipc_channel(n: u64) -> Cost {
        let (tx, rx) = ipc_channel::ipc::bytes_channel().expect("ipc-channel");
        across_fork(
            || {
                let chunk = [0xa5u8; CHUNK];
                for _ in 0..n {
                    tx.send(&chunk)?;
                }
                Ok(())
            },
            || {
                for _ in 0..n {
                    let chunk = rx.recv().expect("a chunk");
                    assert_eq!(chunk.len(), CHUNK);
                    std::hint::black_box(&chunk);
                }
            },
        )
    }

    type Run = fn(u64) -> Cost;
    const PEERS: [(&str, Run); 3] = [
        ("picoring", picoring),
        ("socketpair", socketpair),
        ("ipc-channel", ipc_channel),
    ];

    use super::common::median;

    /// Chunks for one run of about `RUN_TIME` through picoring.
    fn calibrate() -> u64 {
        let mut n = 1_000u64;
        loop {
            let took = picoring(n).wall;
            if took >= RUN_TIME / 4 || n >= 1 << 24 {
                let per_unit = took.as_secs_f64() / n as f64;
                return ((RUN_TIME.as_secs_f64() / per_unit) as u64).clamp(1_000, 1 << 16);
            }
            n *= 4;
        }
    }

    /// One median in criterion's layout, with the median per-round ratio as `paired_ratio`.
    fn write_result(dir: &Path, peer: &str, ns: f64, ratio: f64) -> std::io::Result<()> {
        let throughput = format!(r#"{{"Bytes":{CHUNK}}}"#);
        crate::common::write_paired_result(dir, GROUP, peer, &throughput, ns, ratio, ROUNDS)
    }

    pub fn main() {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let full = args.iter().any(|a| a == "--bench");
        let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        if !filters.is_empty() && !filters.iter().any(|f| GROUP.contains(f.as_str())) {
            return;
        }
        let (rounds, n) = if full {
            (ROUNDS, calibrate())
        } else {
            (1, 200)
        };
        // times[r][p], cpu[r][p]: ns per chunk of peer p in round r.
        let mut times = vec![[0.0f64; PEERS.len()]; rounds];
        let mut cpu = vec![[0.0f64; PEERS.len()]; rounds];
        for round in 0..rounds {
            for k in 0..PEERS.len() {
                let p = (round + k) % PEERS.len();
                let cost = (PEERS[p].1)(n);
                times[round][p] = cost.wall.as_nanos() as f64 / n as f64;
                cpu[round][p] = cost.cpu.as_nanos() as f64 / n as f64;
            }
        }
        if !full {
            println!("{GROUP}: {n} chunks through each implementation (smoke run, no figures)");
            return;
        }
        println!(
            "{GROUP} ({rounds} rounds of {n} chunks each, order rotating; cpu: both processes)"
        );
        let dir = crate::common::criterion_dir();
        let cpu0 = median(&mut cpu.iter().map(|row| row[0]).collect::<Vec<_>>());
        for (p, (name, _)) in PEERS.iter().enumerate() {
            let mut own: Vec<f64> = times.iter().map(|row| row[p]).collect();
            let med = median(&mut own);
            let cpu_med = median(&mut cpu.iter().map(|row| row[p]).collect::<Vec<_>>());
            let speed = CHUNK as f64 / med / 1.073_741_824;
            let mut ratios: Vec<f64> = times.iter().map(|row| row[p] / row[0]).collect();
            let ratio = median(&mut ratios);
            if p == 0 {
                println!(
                    "  {name:12} {med:9.1} ns/chunk  {speed:6.2} GiB/s  cpu {cpu_med:7.1} ns/chunk"
                );
            } else {
                let (lo, hi) = (ratios[0], ratios[rounds - 1]);
                println!(
                    "  {name:12} {med:9.1} ns/chunk  {speed:6.2} GiB/s  cpu {cpu_med:7.1} ns/chunk   picoring is {ratio:.2}x as fast (rounds {lo:.2}..{hi:.2}), uses {:.2}x less cpu",
                    cpu_med / cpu0
                );
            }
            if let Some(dir) = &dir {
                if let Err(e) = write_result(dir, name, med, ratio) {
                    eprintln!("could not write {GROUP}/{name}: {e}");
                }
            }
        }
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    linux::main();
}
