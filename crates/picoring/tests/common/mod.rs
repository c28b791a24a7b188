//! Helpers shared by the integration tests: the backends to run on and a seeded generator.
#![allow(dead_code)] // each test file uses its own part of this module

use picoring::mirror::{Backend, MirrorOptions};

/// The backends every ring test runs on: the default choice and the software mirror (one and
/// the same under Miri).
pub fn backends() -> Vec<MirrorOptions> {
    let software = MirrorOptions::new().backend(Backend::Software);
    if cfg!(miri) {
        vec![software]
    } else {
        vec![MirrorOptions::new(), software]
    }
}

/// xorshift64*: small, seeded, good enough to pick operations and make data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-ish in `0..n`; `n > 0`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The largest bulk operation in a model run over a ring of `cap` elements: smaller under
/// Miri, which runs the same checks a thousand times slower.
pub fn bulk_span(cap: usize) -> usize {
    if cfg!(miri) {
        cap.min(256)
    } else {
        cap
    }
}

/// One `pop_slice` step of a model run: pops into a buffer of `len` elements (filled with
/// `fill` first) and checks that what came out is what leaves the front of `model`.
pub fn check_pop_slice<T: Copy + PartialEq + std::fmt::Debug>(
    pop_slice: impl FnOnce(&mut [T]) -> usize,
    model: &mut std::collections::VecDeque<T>,
    len: usize,
    fill: T,
) {
    let mut out = vec![fill; len];
    let n = pop_slice(&mut out);
    let expected: Vec<T> = model.drain(..len.min(model.len())).collect();
    assert_eq!(&out[..n], &expected[..]);
}

/// One `consume` step of a model run: `consume(n)` drops `min(n, len)` from the front, as
/// from `model`.
pub fn check_consume<T>(
    consume: impl FnOnce(usize) -> usize,
    model: &mut std::collections::VecDeque<T>,
    n: usize,
) {
    assert_eq!(consume(n), n.min(model.len()));
    model.drain(..n.min(model.len()));
}

/// `debug` in debug builds (what `make test` runs, kept quick), `release` in release builds.
pub fn debug_or_release<T>(debug: T, release: T) -> T {
    if cfg!(debug_assertions) {
        debug
    } else {
        release
    }
}

/// Resident bytes of the mappings inside `[base, base + len)`, from `/proc/self/smaps`: exact
/// for one list or ring, and unaffected by other tests running in the same process.
#[cfg(target_os = "linux")]
pub fn resident_bytes(base: *const u8, len: usize) -> usize {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let (lo, hi) = (base as usize, base as usize + len);
    let mut inside = false;
    let mut total = 0;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((start, _)) = first.split_once('-') {
            if let Ok(start) = usize::from_str_radix(start, 16) {
                if !line.starts_with(|c: char| c.is_ascii_uppercase()) {
                    inside = (lo..hi).contains(&start);
                    continue;
                }
            }
        }
        if inside {
            if let Some(kb) = line.strip_prefix("Rss:") {
                let kb: usize = kb.trim().trim_end_matches("kB").trim().parse().unwrap();
                total += kb * 1024;
            }
        }
    }
    total
}

/// Explores `f` under loom with at most `preemptions` preemptions per execution, unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise.
#[cfg(loom)]
pub fn loom_model(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(preemptions);
    }
    builder.check(f);
}

/// A waker that only records that it was woken (the async loom models).
#[cfg(loom)]
pub struct Flag(pub loom::sync::atomic::AtomicBool);

#[cfg(loom)]
impl std::task::Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, loom::sync::atomic::Ordering::Release);
    }
}

/// A [`Flag`] and a waker that sets it.
#[cfg(loom)]
pub fn flag_waker() -> (std::sync::Arc<Flag>, std::task::Waker) {
    let flag = std::sync::Arc::new(Flag(loom::sync::atomic::AtomicBool::new(false)));
    (flag.clone(), std::task::Waker::from(flag))
}
