//! Creating and dropping a 64 KiB mirrored ring, in interleaved rounds: picoring (each Linux
//! backend, and through its pool of released mirrors), slice-ring-buffer, and the bare system
//! calls each backend needs (the floor no library can beat), plus a zeroed `Vec` for scale.
//!
//! `cargo bench -p picoring-compare --bench create` prints, per row, the median time of one
//! create + drop over the rounds with its quartiles, and its ratios against slice-ring-buffer
//! and against the floor of the backend used: the median and quartiles of the ratios taken
//! within each round. Rounds interleave the rows, so load on the machine falls on all of them
//! alike. Without `--bench`
//! (as `cargo test --benches` runs it) it makes a few rounds only, to check that it works.

use std::hint::black_box;
use std::time::Instant;

/// The ring size measured.
const BYTES: usize = 64 * 1024;

type Row = (&'static str, fn());

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (rounds, per_round) = if full { (41, 2000) } else { (3, 10) };
    let rows: Vec<Row> = rows();
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); rows.len()];
    for round in 0..=rounds {
        for (i, (_, f)) in rows.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..per_round {
                f();
            }
            let ns = start.elapsed().as_nanos() as f64 / per_round as f64;
            if round > 0 {
                // Round 0 warms up (first-touch faults, the pool's first fill).
                samples[i].push(ns);
            }
        }
    }
    let index = |name: &str| rows.iter().position(|(n, _)| *n == name);
    let srb = index("slice-ring-buffer");
    let srb_filled = index("filled: slice-ring-buffer");
    println!(
        "create + drop, {} KiB, {rounds} interleaved rounds of {per_round}",
        BYTES / 1024
    );
    println!(
        "| row | median | quartiles | / slice-ring-buffer (quartiles) | / floor (quartiles) |"
    );
    println!("|---|---|---|---|---|");
    for (i, (name, _)) in rows.iter().enumerate() {
        let base = if name.starts_with("filled") {
            srb_filled
        } else {
            srb
        };
        let floor = floor_of(name).and_then(index);
        // Ratios are taken within each round, then summarized: load that changes between
        // rounds cancels out.
        let ratio = |base: Option<usize>| {
            base.map_or(String::new(), |b| {
                let per_round: Vec<f64> = samples[i]
                    .iter()
                    .zip(&samples[b])
                    .map(|(x, y)| x / y)
                    .collect();
                let (lo, mid, hi) = quartiles(per_round);
                format!("{mid:.2}x ({lo:.2}-{hi:.2})")
            })
        };
        let (lo, mid, hi) = quartiles(samples[i].clone());
        println!(
            "| {name} | {mid:.0} ns | {lo:.0}-{hi:.0} ns | {} | {} |",
            ratio(base),
            ratio(floor),
        );
    }
}

/// The first quartile, median and third quartile of `s`.
fn quartiles(mut s: Vec<f64>) -> (f64, f64, f64) {
    s.sort_by(|a, b| a.total_cmp(b));
    let at = |q: usize| s[(s.len() - 1) * q / 4];
    (at(1), at(2), at(3))
}

/// The floor row a picoring row is compared with: that of the backend it used.
fn floor_of(name: &str) -> Option<&'static str> {
    if name.starts_with("floor") || !name.starts_with("picoring") {
        None
    } else if name.contains("memfd") {
        Some("floor: memfd")
    } else {
        Some("floor: mremap")
    }
}

fn rows() -> Vec<Row> {
    use picoring::mirror::{Backend, MirrorOptions};
    fn unpooled(backend: Backend) {
        let opts = MirrorOptions::new().backend(backend).pooled(false);
        black_box(picoring::PicoRing::<u8>::with_options(black_box(BYTES), &opts).expect("ring"));
    }
    fn filled<R>(ring: &mut R, push: impl Fn(&mut R, &[u8]) -> usize) {
        static DATA: [u8; BYTES] = [7; BYTES];
        assert_eq!(push(ring, &DATA), BYTES);
    }
    vec![
        ("picoring (pooled, the default)", || {
            black_box(picoring::PicoRing::<u8>::with_capacity(black_box(BYTES)).expect("ring"));
        }),
        ("picoring unpooled (mremap, the first backend)", || {
            unpooled(Backend::Mremap)
        }),
        ("picoring unpooled (memfd)", || unpooled(Backend::Memfd)),
        ("slice-ring-buffer", || {
            black_box(slice_ring_buffer::SliceRingBuffer::<u8>::with_capacity(
                black_box(BYTES),
            ));
        }),
        ("floor: memfd", floor::memfd),
        ("floor: memfd, fd mapped 2N", floor::memfd_2n),
        ("floor: mremap", floor::mremap),
        ("vec![0u8; 64 KiB]", || {
            black_box(vec![0u8; black_box(BYTES)]);
        }),
        ("filled: picoring (pooled)", || {
            let mut ring = picoring::PicoRing::<u8>::with_capacity(BYTES).expect("ring");
            filled(&mut ring, |r, d| r.push_slice(d));
        }),
        ("filled: picoring unpooled (mremap)", || {
            let opts = MirrorOptions::new().pooled(false);
            let mut ring = picoring::PicoRing::<u8>::with_options(BYTES, &opts).expect("ring");
            filled(&mut ring, |r, d| r.push_slice(d));
        }),
        ("filled: slice-ring-buffer", || {
            let mut ring = slice_ring_buffer::SliceRingBuffer::<u8>::with_capacity(BYTES);
            filled(&mut ring, |r, d| {
                r.extend_from_slice(d);
                d.len()
            });
        }),
    ]
}

/// The system calls alone, without error handling beyond an assertion.
mod floor {
    use super::BYTES;
    use std::ptr::null_mut;

    fn ok(p: *mut libc::c_void) -> *mut u8 {
        assert_ne!(p, libc::MAP_FAILED);
        p.cast()
    }

    /// memfd_create, ftruncate, a PROT_NONE reservation, two fixed maps, close; munmap.
    pub fn memfd() {
        // SAFETY: fresh descriptor and mappings of our own, unmapped before returning.
        unsafe {
            let fd = libc::memfd_create(c"floor".as_ptr(), libc::MFD_CLOEXEC);
            assert!(fd >= 0);
            assert_eq!(libc::ftruncate(fd, BYTES as libc::off_t), 0);
            let base = ok(libc::mmap(
                null_mut(),
                2 * BYTES,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            ));
            for half in [base, base.add(BYTES)] {
                ok(libc::mmap(
                    half.cast(),
                    BYTES,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED | libc::MAP_FIXED,
                    fd,
                    0,
                ));
            }
            libc::close(fd);
            std::hint::black_box(base);
            libc::munmap(base.cast(), 2 * BYTES);
        }
    }

    /// As `memfd`, but the file mapped 2N long at once (the part past its end replaced at once):
    /// one mmap fewer.
    pub fn memfd_2n() {
        // SAFETY: as above; the upper half, past the file's end, is replaced before any access.
        unsafe {
            let fd = libc::memfd_create(c"floor".as_ptr(), libc::MFD_CLOEXEC);
            assert!(fd >= 0);
            assert_eq!(libc::ftruncate(fd, BYTES as libc::off_t), 0);
            let rw = libc::PROT_READ | libc::PROT_WRITE;
            let base = ok(libc::mmap(
                null_mut(),
                2 * BYTES,
                rw,
                libc::MAP_SHARED,
                fd,
                0,
            ));
            ok(libc::mmap(
                base.add(BYTES).cast(),
                BYTES,
                rw,
                libc::MAP_SHARED | libc::MAP_FIXED,
                fd,
                0,
            ));
            libc::close(fd);
            std::hint::black_box(base);
            libc::munmap(base.cast(), 2 * BYTES);
        }
    }

    /// A shared anonymous 2N mapping, its first half duplicated over its second with
    /// mremap(old_size = 0); munmap.
    pub fn mremap() {
        // SAFETY: a mapping of our own; the remap replaces its own second half.
        unsafe {
            let base = ok(libc::mmap(
                null_mut(),
                2 * BYTES,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            ));
            let at = base.add(BYTES);
            let q = libc::syscall(
                libc::SYS_mremap,
                base,
                0usize,
                BYTES,
                (libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED) as libc::c_ulong,
                at,
            );
            assert_eq!(q as usize, at as usize);
            libc::munmap(base.cast(), 2 * BYTES);
        }
    }
}
