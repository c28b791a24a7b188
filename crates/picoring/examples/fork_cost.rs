//! What `fork()` costs with live rings, and what creating and dropping a ring costs.
//!
//! A forked child gets a private copy of every live ring (on Linux, made by a fork handler), so
//! `fork()` + `_exit` + `waitpid` grows with the rings' physical size. Prints the median of
//! several forks with 0, 64 and 256 MiB of rings alive (written, so resident), the cost per
//! MiB, and the median create + drop time of a one-page ring made unpooled (so through the
//! fork registry), with 0 and 1000 others alive.
//!
//! `cargo run --release -p picoring --example fork_cost`

use std::time::{Duration, Instant};

use picoring::PicoRing;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[cfg(unix)]
fn fork_and_wait() -> Duration {
    let start = Instant::now();
    // SAFETY: the child only calls _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: _exit has no preconditions.
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    start.elapsed()
}

#[cfg(unix)]
fn main() {
    const MIB: usize = 1 << 20;
    let mut base = None;
    for total_mib in [0usize, 64, 256] {
        // 4 MiB rings, filled so every page is resident.
        let rings: Vec<PicoRing<u8>> = (0..total_mib / 4)
            .map(|_| {
                let mut ring = PicoRing::<u8>::with_capacity(4 * MIB).unwrap();
                ring.push_slice(&vec![0xa5; ring.capacity()]);
                ring
            })
            .collect();
        let time = median((0..9).map(|_| fork_and_wait()).collect());
        let base_time = *base.get_or_insert(time);
        if total_mib == 0 {
            println!(
                "fork+wait, no rings:        {:8.1} µs",
                time.as_secs_f64() * 1e6
            );
        } else {
            let per_mib = (time.saturating_sub(base_time)).as_secs_f64() * 1e6 / total_mib as f64;
            println!(
                "fork+wait, {total_mib:3} MiB of rings: {:8.1} µs  ({per_mib:.1} µs per MiB)",
                time.as_secs_f64() * 1e6
            );
        }
        drop(rings);
    }
    // For scale, under the same load: copying 64 MiB into freshly allocated memory, which is
    // what the child's copy amounts to (plus a page fault per page read).
    let src = vec![0xa5u8; 64 * MIB];
    let copy = median(
        (0..5)
            .map(|_| {
                let start = Instant::now();
                let dst = std::hint::black_box(src.clone());
                let t = start.elapsed();
                drop(dst);
                t
            })
            .collect(),
    );
    println!(
        "for scale, Vec::clone of 64 MiB:    {:8.1} µs  ({:.1} µs per MiB)",
        copy.as_secs_f64() * 1e6,
        copy.as_secs_f64() * 1e6 / 64.0
    );
    let unpooled = picoring::mirror::MirrorOptions::new().pooled(false);
    for live in [0usize, 1000] {
        let _others: Vec<PicoRing<u8>> = (0..live)
            .map(|_| PicoRing::<u8>::with_capacity(1).unwrap())
            .collect();
        let samples = (0..21)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..1000 {
                    // Unpooled: a pooled one-page ring skips the registry this measures.
                    drop(std::hint::black_box(
                        PicoRing::<u8>::with_options(1, &unpooled).unwrap(),
                    ));
                }
                start.elapsed() / 1000
            })
            .collect();
        println!(
            "create+drop of a one-page ring (unpooled), {live:4} others alive: {:6.0} ns",
            median(samples).as_nanos()
        );
    }
}

#[cfg(not(unix))]
fn main() {
    println!("fork() is a Unix call; nothing to measure here");
}
