//! `MirrorBuffer` on every backend that runs here: mirroring against a byte-array model,
//! backend selection, resource leaks, `/dev/shm` hygiene, prefaulting and the fallbacks.
//!
//! Tests that count process-wide resources (descriptors, mappings, the descriptor limit) take
//! [`exclusive`]; every other test takes [`shared`], so the counts are not disturbed by
//! buffers other tests create at the same moment.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use picoring::mirror::{granularity, Backend, MirrorBuffer, MirrorOptions};
use picoring::Error;

mod common;
use common::Rng;

static PROCESS_RESOURCES: RwLock<()> = RwLock::new(());

fn shared() -> RwLockReadGuard<'static, ()> {
    PROCESS_RESOURCES
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg_attr(not(all(target_os = "linux", not(miri))), allow(dead_code))]
fn exclusive() -> RwLockWriteGuard<'static, ()> {
    PROCESS_RESOURCES
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Every backend there is, available here or not.
const ALL_BACKENDS: [Backend; 6] = [
    Backend::Memfd,
    Backend::Mremap,
    Backend::Shm,
    Backend::MachVm,
    Backend::Placeholder,
    Backend::Software,
];

/// The backends that run on this target.
fn running_backends() -> Vec<Backend> {
    let backends: Vec<Backend> = Backend::default_order().to_vec();
    if cfg!(all(target_os = "linux", not(miri))) {
        // Guard against a backend silently dropping out of the Linux build.
        for expected in [
            Backend::Memfd,
            Backend::Mremap,
            Backend::Shm,
            Backend::Software,
        ] {
            assert!(backends.contains(&expected), "{expected:?} missing");
        }
    }
    backends
}

fn create(backend: Backend, bytes: usize) -> MirrorBuffer {
    let options = MirrorOptions::new().backend(backend);
    MirrorBuffer::with_options(bytes, &options)
        .unwrap_or_else(|err| panic!("{backend:?}, {bytes} bytes: {err}"))
}

/// Writes one byte at `at` (anywhere in the 2N region) and mirrors it on the software backend.
/// Volatile, so the compiler cannot assume the two halves are different memory.
fn write_byte(buf: &mut MirrorBuffer, at: usize, value: u8) {
    assert!(at < 2 * buf.len());
    let p = buf.as_mut_ptr();
    // SAFETY: `at` is inside the 2N mapping and no reference into the buffer is alive.
    unsafe {
        p.add(at).write_volatile(value);
        buf.mirror_range(at, 1);
    }
}

fn read_byte(buf: &MirrorBuffer, at: usize) -> u8 {
    assert!(at < 2 * buf.len());
    // SAFETY: `at` is inside the 2N mapping, whose bytes are all initialized.
    unsafe { buf.as_ptr().add(at).read_volatile() }
}

/// Copies `data` to `at` (anywhere in the 2N region, `at + len <= 2N`, `len <= N`) and mirrors
/// it on the software backend.
fn write_run(buf: &mut MirrorBuffer, at: usize, data: &[u8]) {
    assert!(data.len() <= buf.len() && at + data.len() <= 2 * buf.len());
    let p = buf.as_mut_ptr();
    // SAFETY: the destination is inside the mapping, `data` is a separate allocation, and no
    // reference into the buffer is alive.
    unsafe {
        std::ptr::copy_nonoverlapping(data.as_ptr(), p.add(at), data.len());
        buf.mirror_range(at, data.len());
    }
}

/// Checks both halves of `buf` byte for byte against `model` (N bytes).
fn assert_matches_model(buf: &MirrorBuffer, model: &[u8], context: &str) {
    let n = buf.len();
    assert_eq!(buf.slice(0, n), Some(model), "{context}: first half");
    // The second half, seen as bytes N - 1 .. 2N - 1 plus the last byte on its own (a safe
    // slice must start in the first half).
    let mut shifted = Vec::with_capacity(n);
    shifted.push(model[n - 1]);
    shifted.extend_from_slice(&model[..n - 1]);
    assert_eq!(
        buf.slice(n - 1, n),
        Some(&shifted[..]),
        "{context}: second half"
    );
    assert_eq!(
        read_byte(buf, 2 * n - 1),
        model[n - 1],
        "{context}: last byte"
    );
}

/// Random single-byte writes and runs at any offset of either half, checked against a model of
/// the N physical bytes.
fn check_mirroring(backend: Backend, bytes: usize, seed: u64) {
    let mut buf = create(backend, bytes);
    let n = buf.len();
    let context = format!("{backend:?}, {bytes} bytes");
    assert_eq!(buf.backend(), backend, "{context}");
    assert!(n >= bytes && n % granularity() == 0, "{context}: len {n}");

    let mut model = vec![0u8; n];
    assert_matches_model(&buf, &model, &context);

    // The ends of both halves, explicitly: first byte, last byte, both directions.
    for (at, value) in [(0, 1), (n - 1, 2), (n, 3), (2 * n - 1, 4)] {
        write_byte(&mut buf, at, value);
        model[at % n] = value;
        assert_eq!(
            read_byte(&buf, (at + n) % (2 * n)),
            value,
            "{context}: twin of {at}"
        );
    }

    let mut rng = Rng::new(seed);
    // Runs are random windows of one random block, which is cheap to make in debug builds.
    const MAX_RUN: usize = 3 * 4096;
    let noise: Vec<u8> = (0..2 * MAX_RUN).map(|_| rng.next() as u8).collect();
    let steps = if cfg!(miri) { 200 } else { 4_000 };
    for step in 0..steps {
        if rng.below(4) == 0 {
            let len = 1 + rng.below(n.min(MAX_RUN));
            let at = rng.below(2 * n - len + 1);
            let from = rng.below(noise.len() - len + 1);
            let data = &noise[from..from + len];
            write_run(&mut buf, at, data);
            // The model is the N physical bytes: the run lands at `at % n` and wraps.
            let start = at % n;
            let head = len.min(n - start);
            model[start..start + head].copy_from_slice(&data[..head]);
            model[..len - head].copy_from_slice(&data[head..]);
        } else {
            let at = rng.below(2 * n);
            let value = rng.next() as u8;
            write_byte(&mut buf, at, value);
            model[at % n] = value;
        }
        let probe = rng.below(n);
        assert_eq!(
            read_byte(&buf, probe),
            model[probe],
            "{context}: step {step}"
        );
        assert_eq!(
            read_byte(&buf, probe + n),
            model[probe],
            "{context}: step {step}"
        );
    }
    assert_matches_model(&buf, &model, &context);
    // A run across the physical end comes back as one slice.
    let start = n - n.min(7);
    let wrapped = [&model[start..], &model[..start]].concat();
    assert_eq!(buf.slice(start, n), Some(&wrapped[..]), "{context}");
}

#[test]
fn every_running_backend_mirrors_both_ways() {
    let _guard = shared();
    let page = granularity();
    let sizes: Vec<usize> = if cfg!(miri) {
        vec![1, page]
    } else {
        vec![1, page, 5 * page + 1, 3 * 1024 * 1024 + 123]
    };
    for (b, backend) in running_backends().into_iter().enumerate() {
        for (s, &bytes) in sizes.iter().enumerate() {
            check_mirroring(backend, bytes, 0x9e37_79b9 + (b * 16 + s) as u64);
        }
    }
}

#[test]
fn default_choice_is_the_first_working_backend() {
    let _guard = shared();
    let buf = MirrorBuffer::new(1).unwrap();
    assert_eq!(Some(&buf.backend()), running_backends().first());
}

#[test]
fn unavailable_backends_are_refused() {
    let _guard = shared();
    let mut refused = Vec::new();
    for backend in ALL_BACKENDS {
        let options = MirrorOptions::new().backend(backend);
        let result = MirrorBuffer::with_options(1, &options);
        if backend.is_available() {
            assert_eq!(result.unwrap().backend(), backend);
        } else {
            match result {
                Err(Error::BackendUnavailable(b)) => assert_eq!(b, backend),
                other => panic!("{backend:?}: expected BackendUnavailable, got {other:?}"),
            }
            refused.push(backend);
        }
    }
    if cfg!(target_os = "linux") {
        assert!(refused.contains(&Backend::MachVm));
        assert!(refused.contains(&Backend::Placeholder));
    }
}

#[test]
fn prefault_keeps_contents_zero_and_mirroring() {
    let _guard = shared();
    for backend in running_backends() {
        let options = MirrorOptions::new().backend(backend).prefault(true);
        let mut buf = MirrorBuffer::with_options(3 * granularity(), &options).unwrap();
        let n = buf.len();
        assert_matches_model(&buf, &vec![0; n], &format!("{backend:?} prefaulted"));
        write_byte(&mut buf, n + 5, 42);
        assert_eq!(read_byte(&buf, 5), 42, "{backend:?}");
    }
}

#[cfg(all(target_os = "linux", not(miri)))]
#[path = "mirror/linux.rs"]
mod linux;
