//! A ring the machine cannot back is refused at creation, on every backend and through every
//! kind of ring, instead of being accepted and killing the process when it fills.
#![cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]

use std::io;

use picoring::mirror::{granularity, Backend, MirrorBuffer, MirrorOptions};
use picoring::{mpsc, spsc, Error, PicoByteStream, PicoQueue, PicoRing};

/// Physical memory plus swap, as `sysinfo(2)` reports them.
fn memory_and_swap() -> u64 {
    // SAFETY: `sysinfo` is plain data; all-zero is a valid value.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out-pointer.
    assert_eq!(unsafe { libc::sysinfo(&mut info) }, 0);
    #[allow(clippy::useless_conversion)]
    let total = u64::from(info.totalram) + u64::from(info.totalswap);
    total * u64::from(info.mem_unit.max(1))
}

/// The smallest whole number of pages beyond physical memory plus swap.
fn just_too_big() -> usize {
    let page = granularity();
    (memory_and_swap() as usize / page + 1) * page
}

/// `result` is the refusal, naming the machine's memory.
fn assert_refused<T>(result: Result<T, Error>, what: &str) {
    match result {
        Err(Error::ExceedsMemory {
            requested,
            available,
        }) => {
            assert_eq!(available, memory_and_swap(), "{what}");
            assert!(requested as u64 > available, "{what}");
            let err = Error::ExceedsMemory {
                requested,
                available,
            };
            assert!(
                err.to_string()
                    .contains("exceeds physical memory plus swap"),
                "{err}"
            );
            assert_eq!(io::Error::from(err).kind(), io::ErrorKind::OutOfMemory);
        }
        Err(other) => panic!("{what}: expected ExceedsMemory, got {other:?}"),
        Ok(_) => panic!("{what}: a ring larger than memory plus swap was accepted"),
    }
}

#[test]
fn a_mirror_larger_than_memory_and_swap_is_refused_on_every_backend() {
    let too_big = just_too_big();
    let mut all = vec![MirrorOptions::new()];
    #[cfg(target_os = "linux")]
    for backend in [Backend::Memfd, Backend::Mremap, Backend::Shm] {
        all.push(MirrorOptions::new().backend(backend));
    }
    all.push(MirrorOptions::new().backend(Backend::Software));
    for options in all {
        assert_refused(
            MirrorBuffer::with_options(too_big, &options),
            &format!("{too_big} bytes, {options:?}"),
        );
    }
}

#[test]
fn every_kind_of_ring_refuses_what_the_machine_cannot_back() {
    let too_big = just_too_big();
    assert_refused(PicoRing::<u8>::with_capacity(too_big), "PicoRing<u8>");
    assert_refused(
        PicoRing::<u64>::with_capacity(too_big / 8 + 1),
        "PicoRing<u64>",
    );
    assert_refused(PicoQueue::<u8>::with_capacity(too_big), "PicoQueue<u8>");
    assert_refused(PicoByteStream::with_capacity(too_big), "PicoByteStream");
    assert_refused(spsc::channel::<u32>(too_big / 4 + 1), "spsc::channel");
    assert_refused(mpsc::channel(too_big), "mpsc::channel");
    // The size that used to be accepted and then filled until the OOM killer came.
    if memory_and_swap() < 1 << 40 {
        assert_refused(PicoRing::<u8>::with_capacity(1 << 40), "a 1 TiB ring");
    }
}

#[test]
fn a_ring_the_machine_can_back_is_not_refused() {
    // As large as the check allows: never touched, so it costs address space only.
    let page = granularity();
    let limit = memory_and_swap() as usize / page * page;
    match MirrorBuffer::new(limit) {
        Err(err @ Error::ExceedsMemory { .. }) => panic!("{limit} bytes refused: {err}"),
        // The backend may still refuse on its own (a small /dev/shm, a ulimit): not our check.
        other => println!("{limit} bytes: {:?}", other.map(|b| b.len())),
    }
    let mut ring = PicoRing::<u8>::with_capacity(1 << 20).unwrap();
    assert_eq!(ring.push_slice(b"still fine"), 10);
}
