//! The pool of released mirrors (see `MirrorBuffer`'s "Pooling" docs): a dropped small mirror
//! is reused by the same thread's next one of its size, zeroed and still mirrored; the bounds
//! (8 mirrors, 1 MiB, 256 KiB each) hold; pooling can be turned off; and a forked child never
//! shares a pooled mirror with its parent.
//!
//! Each test runs on its own thread, so its pool starts empty (pools are per thread) and it
//! empties it again with `trim_pool` at the start, in case the harness reuses threads.
#![cfg(all(target_os = "linux", not(miri)))]

use picoring::mirror::{self, Backend, MirrorBuffer, MirrorOptions};
use picoring::{mpsc, PicoRing};

const KIB: usize = 1024;

/// Creates a mirror of `len` bytes with `options`, fills it with `fill` and drops it.
fn fill_and_drop(len: usize, options: &MirrorOptions, fill: u8) -> usize {
    let mut buf = MirrorBuffer::with_options(len, options).unwrap();
    let n = buf.len();
    buf.write_at(0, &vec![fill; n]).unwrap();
    let addr = buf.as_ptr() as usize;
    drop(buf);
    addr
}

fn all_zero(buf: &MirrorBuffer) -> bool {
    buf.slice(0, buf.len()).unwrap().iter().all(|&b| b == 0)
        && buf
            .slice(buf.len() - 1, buf.len())
            .unwrap()
            .iter()
            .all(|&b| b == 0)
}

#[test]
fn a_dropped_mirror_comes_back_zeroed_and_mirrored() {
    mirror::trim_pool();
    let addr = fill_and_drop(64 * KIB, &MirrorOptions::new(), 0xAB);
    let mut buf = MirrorBuffer::new(64 * KIB).unwrap();
    assert_eq!(
        buf.as_ptr() as usize,
        addr,
        "the pooled mirror was not reused"
    );
    assert!(
        all_zero(&buf),
        "a reused mirror shows the previous contents"
    );
    let n = buf.len();
    buf.write_at(n - 3, b"wrap").unwrap();
    assert_eq!(buf.slice(n - 3, 4), Some(&b"wrap"[..]));
    assert_eq!(buf.slice(0, 1), Some(&b"p"[..]));
    drop(buf);
    assert_eq!(mirror::trim_pool(), 1);
    assert_eq!(mirror::trim_pool(), 0);
}

#[test]
fn every_ring_type_gets_a_clean_pooled_mirror() {
    mirror::trim_pool();
    let mut ring = PicoRing::<u8>::with_capacity(4096).unwrap();
    let cap = ring.capacity();
    assert_eq!(ring.push_slice(&vec![0xFF; cap]), cap);
    drop(ring);
    // The record ring reads free space as zero headers: stale bytes would be records.
    let (tx, mut rx) = mpsc::channel(cap).unwrap();
    assert_eq!(
        mirror::trim_pool(),
        0,
        "the channel did not take the pooled mirror"
    );
    assert!(rx.try_recv().is_none(), "stale bytes read as a record");
    tx.send(b"after").unwrap();
    assert_eq!(rx.try_recv().as_deref(), Some(&b"after"[..]));
    drop((tx, rx));
    let mut ring = PicoRing::<u64>::with_capacity(4096 / 8).unwrap();
    assert_eq!(
        mirror::trim_pool(),
        0,
        "the ring did not take the pooled mirror"
    );
    assert!(ring.writable().iter().all(|&v| v == 0));
}

#[test]
fn unpooled_and_software_mirrors_are_unmapped_on_drop() {
    mirror::trim_pool();
    fill_and_drop(4096, &MirrorOptions::new().pooled(false), 1);
    fill_and_drop(4096, &MirrorOptions::new().backend(Backend::Software), 1);
    assert_eq!(mirror::trim_pool(), 0);
    // An unpooled request does not take a pooled mirror either.
    fill_and_drop(4096, &MirrorOptions::new(), 1);
    let buf = MirrorBuffer::with_options(4096, &MirrorOptions::new().pooled(false)).unwrap();
    assert_eq!(mirror::trim_pool(), 1);
    drop(buf);
}

#[test]
fn a_requested_backend_gets_only_its_own_mirrors() {
    mirror::trim_pool();
    fill_and_drop(8192, &MirrorOptions::new().backend(Backend::Memfd), 3);
    let other =
        MirrorBuffer::with_options(8192, &MirrorOptions::new().backend(Backend::Mremap)).unwrap();
    assert_eq!(other.backend(), Backend::Mremap);
    let any = MirrorBuffer::new(8192).unwrap();
    assert_eq!(
        any.backend(),
        Backend::Memfd,
        "no request takes any pooled mirror"
    );
    assert!(all_zero(&any));
    assert_eq!(mirror::trim_pool(), 0);
}

#[test]
fn the_pool_keeps_at_most_8_mirrors_1_mib_and_256_kib_each() {
    mirror::trim_pool();
    let live: Vec<MirrorBuffer> = (0..10).map(|_| MirrorBuffer::new(4096).unwrap()).collect();
    drop(live);
    assert_eq!(mirror::trim_pool(), 8, "count bound");

    let live: Vec<MirrorBuffer> = (0..5)
        .map(|_| MirrorBuffer::new(256 * KIB).unwrap())
        .collect();
    drop(live);
    assert_eq!(mirror::trim_pool(), 4, "byte bound");

    fill_and_drop(256 * KIB + 4096, &MirrorOptions::new(), 1);
    assert_eq!(mirror::trim_pool(), 0, "size bound");
}

#[test]
fn pools_are_per_thread() {
    mirror::trim_pool();
    let buf = MirrorBuffer::new(4096).unwrap();
    std::thread::spawn(move || {
        drop(buf);
        assert_eq!(
            mirror::trim_pool(),
            1,
            "the dropping thread's pool keeps it"
        );
    })
    .join()
    .unwrap();
    assert_eq!(mirror::trim_pool(), 0);
    // A thread's pool is unmapped when it exits (nothing to observe but no leak or crash).
    std::thread::spawn(|| fill_and_drop(4096, &MirrorOptions::new(), 9))
        .join()
        .unwrap();
}

/// One byte through a pipe, for the fork test's handshakes.
struct Pipe([libc::c_int; 2]);

impl Pipe {
    fn new() -> Pipe {
        let mut fds = [0; 2];
        // SAFETY: a valid out-array of two descriptors.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        Pipe(fds)
    }

    fn signal(&self) {
        // SAFETY: writes one byte from a valid buffer to our pipe.
        assert_eq!(
            unsafe { libc::write(self.0[1], [1u8].as_ptr().cast(), 1) },
            1
        );
    }

    fn wait(&self) -> bool {
        let mut byte = [0u8];
        // SAFETY: reads one byte into a valid buffer from our pipe.
        unsafe { libc::read(self.0[0], byte.as_mut_ptr().cast(), 1) == 1 }
    }
}

/// Parent and child each take a mirror after the fork, from the pool the parent filled before
/// it, and write all of it: neither sees the other's bytes, though both pools held the same
/// addresses. (The child neither prints nor panics: a failed check is its exit code.)
#[test]
fn a_forked_child_never_shares_a_pooled_mirror() {
    mirror::trim_pool();
    let len = 16 * KIB;
    let pooled = fill_and_drop(len, &MirrorOptions::new(), 0x11);
    let (to_parent, to_child) = (Pipe::new(), Pipe::new());
    // SAFETY: fork has no memory-safety preconditions; the child takes no lock another thread
    // may hold (no printing, no panics) and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let code = (|| {
            let Ok(mut buf) = MirrorBuffer::new(len) else {
                return 1;
            };
            if !all_zero(&buf) {
                return 2;
            }
            if buf.write_at(0, &vec![0xCC; len]).is_none() {
                return 3;
            }
            to_parent.signal();
            if !to_child.wait() {
                return 4;
            }
            // The parent has written 0x55 over its own mirror meanwhile.
            if buf
                .slice(0, len)
                .is_some_and(|s| s.iter().all(|&b| b == 0xCC))
            {
                0
            } else {
                5
            }
        })();
        // SAFETY: _exit has no preconditions.
        unsafe { libc::_exit(code) };
    }
    assert!(to_parent.wait(), "the child failed before writing");
    let mut buf = MirrorBuffer::new(len).unwrap();
    assert_eq!(
        buf.as_ptr() as usize,
        pooled,
        "the parent reuses its pooled mirror"
    );
    assert!(
        all_zero(&buf),
        "the child's writes reached the parent's pooled mirror"
    );
    buf.write_at(0, &vec![0x55; len]).unwrap();
    to_child.signal();
    let mut status = 0;
    // SAFETY: waits for our own child; `status` is a valid out-pointer.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "child status {status:#x}");
    assert_eq!(libc::WEXITSTATUS(status), 0, "failed check in the child");
    assert!(buf.slice(0, len).unwrap().iter().all(|&b| b == 0x55));
}
