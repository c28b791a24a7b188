//! `fork`: a child writing to its copy of a ring never changes the parent's data.
//!
//! The OS backends map the ring `MAP_SHARED` and mark it `MADV_DONTFORK`, so a child has no
//! mapping there at all: its write faults (SIGSEGV) instead of landing in the parent's memory,
//! which a plain `MAP_SHARED` mapping would let it do. The software backend is ordinary heap
//! memory, copied on write: the child's write succeeds and only changes the child's copy.
//!
//! Between `fork` and `_exit` the child only does async-signal-safe things: `prctl`, volatile
//! stores through a raw pointer taken before the fork, `_exit`.
#![cfg(all(target_os = "linux", not(miri)))]

use picoring::mirror::{Backend, MirrorOptions};
use picoring::PicoRing;

/// How a child ended.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    Exited(i32),
    Signaled(i32),
}

/// Forks; the child runs `child` (which must only do async-signal-safe things) then `_exit(0)`.
fn in_child(child: impl FnOnce()) -> Ended {
    // SAFETY: fork has no memory-safety preconditions; the child below only makes
    // async-signal-safe calls and leaves with _exit, so no lock or allocator state is touched.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: no core file for the expected crash; prctl is a plain system call.
        unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
        child();
        // SAFETY: ends the child without running the parent's destructors or atexit handlers.
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child; `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        assert_eq!(err.raw_os_error(), Some(libc::EINTR), "waitpid: {err}");
    }
    if libc::WIFEXITED(status) {
        Ended::Exited(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        Ended::Signaled(libc::WTERMSIG(status))
    } else {
        panic!("child neither exited nor was killed: status {status:#x}")
    }
}

/// A ring holding `data`, wrapped across the physical end, or `None` when this backend cannot
/// be created here.
fn wrapped_ring(backend: Backend, data: &[u8]) -> Option<PicoRing<u8>> {
    let options = MirrorOptions::new().backend(backend);
    let mut ring = match PicoRing::<u8>::with_options(1, &options) {
        Ok(ring) => ring,
        Err(e) => {
            println!("{backend:?}: not tested here ({e})");
            return None;
        }
    };
    let cap = ring.capacity();
    ring.push_slice(&vec![0; cap - 3]);
    ring.consume(cap - 3);
    assert_eq!(ring.push_slice(data), data.len());
    Some(ring)
}

const DATA: &[u8] = b"parent data, wrapped across the physical end";

#[test]
fn child_writes_never_reach_the_parent() {
    // `make sanitize` sets PICORING_SANITIZER: AddressSanitizer catches the child's expected
    // SIGSEGV itself, reports it and exits with status 1, so the child's end cannot be told.
    if std::env::var_os("PICORING_SANITIZER").is_some() {
        println!("skipped: running under a sanitizer");
        return;
    }
    for &backend in Backend::default_order() {
        let Some(mut ring) = wrapped_ring(backend, DATA) else {
            continue;
        };
        let len = ring.len();
        let cap = ring.capacity();
        // Taken before the fork and used only in the child: the queued bytes, and the whole
        // physical buffer through the first mapping.
        let queued = ring.readable_mut().as_mut_ptr();
        // SAFETY: pointer arithmetic within the ring: `queued` is virtual slot head = cap - 3.
        let base = unsafe { queued.sub(cap - 3) };
        let ended = in_child(|| {
            for i in 0..len {
                // SAFETY: in the parent these are the ring's queued bytes; in the child they
                // are either its copy-on-write copy or unmapped (the fault is what we test).
                unsafe { queued.add(i).write_volatile(b'X') };
            }
            for i in 0..cap {
                // SAFETY: as above, for the physical buffer through the first mapping.
                unsafe { base.add(i).write_volatile(b'Y') };
            }
        });
        assert_eq!(
            ring.readable(),
            DATA,
            "{backend:?}: the parent's data changed"
        );
        if backend.is_hardware() {
            assert_eq!(
                ended,
                Ended::Signaled(libc::SIGSEGV),
                "{backend:?}: the child must not have the mapping (MADV_DONTFORK)"
            );
        } else {
            assert_eq!(
                ended,
                Ended::Exited(0),
                "{backend:?}: heap memory is copied"
            );
        }
        assert_eq!(ring.pop(), Some(DATA[0]));
        assert_eq!(ring.push_slice(b"!"), 1);
        assert_eq!(ring.readable().last(), Some(&b'!'));
    }
}

#[test]
fn child_that_leaves_the_ring_alone_exits_cleanly() {
    for &backend in Backend::default_order() {
        let Some(mut ring) = wrapped_ring(backend, DATA) else {
            continue;
        };
        assert_eq!(in_child(|| {}), Ended::Exited(0), "{backend:?}");
        assert_eq!(ring.readable(), DATA, "{backend:?}");
        // The parent's ring still works after a fork.
        let mut out = vec![0; DATA.len()];
        assert_eq!(ring.pop_slice(&mut out), DATA.len());
        assert_eq!(out, DATA);
        assert_eq!(ring.push_slice(DATA), DATA.len());
        assert_eq!(ring.readable(), DATA);
    }
}
