//! `fork`: a child gets a private copy of every ring it inherits, as it does of ordinary memory.
//!
//! The copy holds the parent's contents at the moment of the fork; the child can read, write
//! and drop every ring type, wrapped runs still read as one slice there, and neither process
//! sees the other's later writes. Launching a program with `posix_spawn` (what
//! `std::process::Command` does) copies nothing.
//!
//! The test harness runs tests on several threads, so between `fork` and `_exit` a child must
//! not take a lock another thread might have held at the fork: children here never print or
//! panic (a failed check becomes a non-zero exit code, reported by the parent); they allocate
//! (glibc's `fork` leaves the allocator usable in the child) and use the rings.
#![cfg(all(target_os = "linux", not(miri)))]

use std::io::Write;

use picoring::mirror::{granularity, Backend, MirrorOptions};
use picoring::{mpsc, PicoByteStream, PicoList, PicoQueue, PicoRing};

/// How a child ended.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    Exited(i32),
    Signaled(i32),
}

/// Waits for our child `pid`.
fn wait(pid: libc::pid_t) -> Ended {
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

/// Tests here run one at a time: a fork copies every ring of the process, which would disturb
/// `launching_a_program_copies_nothing` and slow the others down.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// `fork()`: the child's pid in the parent, 0 in the child.
fn fork() -> libc::pid_t {
    // SAFETY: fork has no memory-safety preconditions; children here take no lock another
    // thread may hold (no printing, no panics) and leave with `exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: no core file should a check crash the child; prctl is a plain system call.
        unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    }
    pid
}

/// Ends a child with `code` (0: all checks passed; otherwise the number of the first failed
/// check), without running the parent's destructors or atexit handlers.
fn exit(code: i32) -> ! {
    // SAFETY: _exit has no preconditions.
    unsafe { libc::_exit(code) }
}

/// Forks, runs `child` there, leaves with its code, and waits for it.
fn in_child(child: impl FnOnce() -> i32) -> Ended {
    let pid = fork();
    if pid == 0 {
        exit(child());
    }
    wait(pid)
}

/// Returns the number of the first false condition, or 0: `first_failure(&[a, b, c])`.
fn first_failure(checks: &[bool]) -> i32 {
    checks.iter().position(|ok| !ok).map_or(0, |i| i as i32 + 1)
}

/// A pipe, for the parent to tell a child "I have written".
struct Pipe {
    read: libc::c_int,
    write: libc::c_int,
}

impl Pipe {
    fn new() -> Pipe {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        Pipe {
            read: fds[0],
            write: fds[1],
        }
    }

    fn signal(&self) {
        // SAFETY: one byte from a valid buffer to our pipe.
        assert_eq!(
            unsafe { libc::write(self.write, b"!".as_ptr().cast(), 1) },
            1
        );
    }

    /// Blocks until the other side signals; false on error.
    fn wait(&self) -> bool {
        let mut byte = 0u8;
        loop {
            // SAFETY: one byte into a valid buffer from our pipe.
            let n = unsafe { libc::read(self.read, (&mut byte as *mut u8).cast(), 1) };
            if n == 1 {
                return true;
            }
            // SAFETY: reading errno of this thread.
            if n == 0 || unsafe { *libc::__errno_location() } != libc::EINTR {
                return false;
            }
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        // SAFETY: our descriptors, closed once.
        unsafe {
            libc::close(self.read);
            libc::close(self.write);
        }
    }
}

fn options(backend: Backend) -> MirrorOptions {
    MirrorOptions::new().backend(backend)
}

/// The backends that work here (a sandbox may refuse some).
fn backends() -> Vec<Backend> {
    Backend::default_order()
        .iter()
        .copied()
        .filter(|&b| match PicoRing::<u8>::with_options(1, &options(b)) {
            Ok(_) => true,
            Err(e) => {
                println!("{b:?}: not tested here ({e})");
                false
            }
        })
        .collect()
}

/// A ring of `T` holding `data`, wrapped across the physical end.
fn wrapped_ring<T: Copy + Default>(backend: Backend, data: &[T]) -> PicoRing<T> {
    let mut ring = PicoRing::<T>::with_options(1, &options(backend)).unwrap();
    let cap = ring.capacity();
    let skip = cap - data.len() / 2;
    assert_eq!(ring.push_slice(&vec![T::default(); skip]), skip);
    assert_eq!(ring.consume(skip), skip);
    assert_eq!(ring.push_slice(data), data.len());
    ring
}

const DATA: &[u8] = b"parent data, wrapped across the physical end";

#[test]
fn child_writes_never_reach_the_parent() {
    let _serial = serial();
    for backend in backends() {
        let mut ring = wrapped_ring(backend, DATA);
        let len = ring.len();
        let cap = ring.capacity();
        // Taken before the fork and used only in the child: the queued bytes, and the whole
        // physical buffer through the first mapping.
        let queued = ring.readable_mut().as_mut_ptr();
        let base = ring.as_ptr_range().start as *mut u8;
        let ended = in_child(|| {
            for i in 0..len {
                // SAFETY: the child's copy of the ring's queued bytes.
                unsafe { queued.add(i).write_volatile(b'X') };
            }
            for i in 0..cap {
                // SAFETY: the child's copy of the physical buffer, through the first mapping.
                unsafe { base.add(i).write_volatile(b'Y') };
            }
            0
        });
        assert_eq!(ended, Ended::Exited(0), "{backend:?}");
        assert_eq!(
            ring.readable(),
            DATA,
            "{backend:?}: the parent's data changed"
        );
        assert_eq!(ring.pop(), Some(DATA[0]));
        assert_eq!(ring.push_slice(b"!"), 1);
        assert_eq!(ring.readable().last(), Some(&b'!'));
    }
}

#[test]
fn child_that_leaves_the_ring_alone_exits_cleanly() {
    let _serial = serial();
    for backend in backends() {
        let mut ring = wrapped_ring(backend, DATA);
        assert_eq!(in_child(|| 0), Ended::Exited(0), "{backend:?}");
        assert_eq!(ring.readable(), DATA, "{backend:?}");
        // The parent's ring still works after a fork.
        let mut out = vec![0; DATA.len()];
        assert_eq!(ring.pop_slice(&mut out), DATA.len());
        assert_eq!(out, DATA);
        assert_eq!(ring.push_slice(DATA), DATA.len());
        assert_eq!(ring.readable(), DATA);
    }
}

/// Every ring type, inherited: the child reads the parent's contents at the fork, writes,
/// reads across the wrap, drops everything and exits 0; each process keeps its own data.
#[test]
fn every_ring_type_is_a_private_copy_in_the_child() {
    let _serial = serial();
    for backend in backends() {
        let opts = options(backend);
        let words: Vec<u64> = (0..300).collect();

        let mut ring = wrapped_ring(backend, DATA);
        let mut queue = PicoQueue::<u64>::with_options(1, &opts).unwrap();
        let qcap = queue.capacity();
        queue.push_all(&vec![0; qcap - 100]).unwrap();
        assert_eq!(queue.consume(qcap - 100), qcap - 100);
        queue.push_all(&words).unwrap(); // wraps: 200 of them past the physical end
        let mut stream = PicoByteStream::with_options(1, &opts).unwrap();
        let scap = stream.capacity();
        assert_eq!(stream.push_slice(&vec![0; scap - 10]), scap - 10);
        assert_eq!(stream.consume(scap - 10), scap - 10);
        assert_eq!(stream.push_slice(DATA), DATA.len());
        let (mut tx, mut rx) = wrapped_ring::<u32>(backend, &[1, 2, 3, 4, 5, 6]).split();
        let (mtx, mut mrx) = mpsc::channel_with_options(4096, &opts).unwrap();
        mtx.send(b"first record").unwrap();
        mtx.send(b"second record").unwrap();
        let mut list = PicoList::<u64>::new().unwrap();
        list.extend_from_slice(&words).unwrap();

        let parent_wrote = Pipe::new();
        let pid = fork();
        if pid == 0 {
            exit(child_uses_everything(
                &parent_wrote,
                ring,
                queue,
                stream,
                (tx, rx),
                (mtx, mrx),
                list,
            ));
        }
        // The parent writes after the fork (the child checks it sees none of it) ...
        ring.push_slice(b"P");
        queue.pop().unwrap();
        stream.consume(1);
        tx.push(99).unwrap();
        mtx.send(b"parent record").unwrap();
        list[0] = 77;
        parent_wrote.signal();
        // ... and sees none of the child's writes.
        let ended = wait(pid);
        assert_eq!(ended, Ended::Exited(0), "{backend:?}");
        let mut expected = DATA.to_vec();
        expected.push(b'P');
        assert_eq!(ring.readable(), expected, "{backend:?}");
        assert_eq!(queue.readable(), &words[1..], "{backend:?}");
        assert_eq!(stream.readable(), &DATA[1..], "{backend:?}");
        assert_eq!(rx.readable(), [1, 2, 3, 4, 5, 6, 99], "{backend:?}");
        for expected in [&b"first record"[..], b"second record", b"parent record"] {
            assert_eq!(&*mrx.try_recv().unwrap(), expected, "{backend:?}");
        }
        assert!(mrx.try_recv().is_none(), "{backend:?}");
        assert_eq!(list.len(), words.len(), "{backend:?}");
        assert_eq!(list[0], 77, "{backend:?}");
        assert_eq!(list[1..], words[1..], "{backend:?}");
    }
}

/// The child's half of `every_ring_type_is_a_private_copy_in_the_child`; returns its exit code.
#[allow(clippy::too_many_arguments)]
fn child_uses_everything(
    parent_wrote: &Pipe,
    mut ring: PicoRing<u8>,
    mut queue: PicoQueue<u64>,
    mut stream: PicoByteStream,
    (mut tx, mut rx): (picoring::spsc::Producer<u32>, picoring::spsc::Consumer<u32>),
    (mtx, mut mrx): (mpsc::Sender, mpsc::Receiver),
    mut list: PicoList<u64>,
) -> i32 {
    let words: Vec<u64> = (0..300).collect();
    let qcap = queue.capacity();
    let scap = stream.capacity();
    // What the parent held at the fork.
    let mut as_at_fork = || {
        vec![
            ring.readable() == DATA,
            queue.readable() == &words[..],
            stream.readable() == DATA,
            rx.readable() == [1, 2, 3, 4, 5, 6],
            list.as_slice() == &words[..],
        ]
    };
    let inherited = first_failure(&as_at_fork());
    if inherited != 0 {
        return inherited;
    }
    // Let the parent write to its rings, then check none of it shows here.
    if !parent_wrote.wait() {
        return 10;
    }
    let mut unchanged = as_at_fork();
    unchanged.push(mrx.try_recv().is_some_and(|r| *r == *b"first record"));
    let unchanged = first_failure(&unchanged);
    if unchanged != 0 {
        return 10 + unchanged;
    }
    // Write in the child: through every ring, and across the physical end.
    let child_data = vec![b'c'; ring.free_len()];
    ring.push_slice(&child_data);
    let wrapped_ok = ring.readable().len() == ring.capacity()
        && ring.readable()[..DATA.len()] == *DATA
        && ring.readable()[DATA.len()..] == child_data[..];
    queue.consume(300);
    let refill: Vec<u64> = (1000..1000 + qcap as u64).collect();
    let queue_ok = queue.push_all(&refill).is_ok() && queue.readable() == &refill[..];
    let mut out = vec![0; DATA.len()];
    let stream_ok = stream.pop_slice(&mut out) == DATA.len()
        && out == DATA
        && stream.push_slice(&vec![b's'; scap]) == scap
        && stream.readable() == vec![b's'; scap];
    let spsc_ok = tx.push(7).is_ok()
        && rx.pop_slice(&mut [0; 6]) == 6
        && rx.pop() == Some(7)
        && rx.pop().is_none();
    let mpsc_ok = mtx.send(b"child record").is_ok()
        && mrx.try_recv().is_some_and(|r| *r == *b"second record")
        && mrx.try_recv().is_some_and(|r| *r == *b"child record");
    list.truncate(10);
    let list_ok = list.push(42).is_ok() && list.len() == 11 && list[10] == 42;
    let written = first_failure(&[wrapped_ok, queue_ok, stream_ok, spsc_ok, mpsc_ok, list_ok]);
    if written != 0 {
        return 20 + written;
    }
    // Everything drops here: the child unmaps its own copies.
    drop((ring, queue, stream, tx, rx, mtx, mrx, list));
    0
}

/// Every byte of a large, full ring arrives in the child, and the copy mirrors.
#[test]
fn large_rings_are_copied_exactly() {
    let _serial = serial();
    for backend in backends() {
        let mut ring = PicoRing::<u8>::with_options(8 << 20, &options(backend)).unwrap();
        let cap = ring.capacity();
        let pattern: Vec<u8> = (0..cap).map(|i| (i * 7 % 251) as u8).collect();
        ring.push_slice(&pattern[..cap / 3]);
        ring.consume(cap / 3);
        assert_eq!(ring.push_slice(&pattern), cap); // full, wrapped at a third
        let ended = in_child(|| {
            let same = ring.readable() == &pattern[..];
            ring.consume(cap / 2);
            ring.push_slice(&pattern[..cap / 2]);
            let wrapped = ring.readable()[..cap / 2] == pattern[cap / 2..]
                && ring.readable()[cap / 2..] == pattern[..cap / 2];
            first_failure(&[same, wrapped])
        });
        assert_eq!(ended, Ended::Exited(0), "{backend:?}");
        assert_eq!(ring.readable(), &pattern[..], "{backend:?}");
    }
}

/// A raw look at the mirror in the child: a byte written at the physical end through the
/// first half reads back through the second, and vice versa.
#[test]
fn halves_still_mirror_in_the_child_and_grandchild() {
    let _serial = serial();
    for backend in backends() {
        let ring = wrapped_ring(backend, DATA);
        let cap = ring.capacity();
        let base = ring.as_ptr_range().start as *mut u8;
        let check = move || {
            // SAFETY: `base` is the child's copy of the 2N mirror; offsets < 2 * cap.
            unsafe {
                base.add(cap - 1).write_volatile(b'e');
                base.add(cap).write_volatile(b'f');
                let through_twin = base.add(2 * cap - 1).read_volatile() == b'e';
                let through_first = base.read_volatile() == b'f';
                // Software mirrors copy only on commit; raw writes do not mirror there.
                i32::from(backend.is_hardware() && !(through_twin && through_first))
            }
        };
        let ended = in_child(|| {
            let code = check();
            if code != 0 {
                return code;
            }
            // A fork of the child copies the child's copy.
            match in_child(check) {
                Ended::Exited(code) if code != 0 => 10 + code,
                Ended::Exited(_) => 0,
                Ended::Signaled(_) => 20,
            }
        });
        assert_eq!(ended, Ended::Exited(0), "{backend:?}");
        assert_eq!(ring.readable(), DATA, "{backend:?}");
    }
}

/// Which pages of `[ptr, ptr + len)` are in memory (for a shared mapping: in the page cache,
/// whoever faulted them in).
fn resident_pages(ptr: *const u8, len: usize) -> usize {
    let page = granularity();
    let mut vec = vec![0u8; len.div_ceil(page)];
    // SAFETY: a range of our own live mapping; `vec` has one byte per page.
    let rc = unsafe { libc::mincore(ptr as *mut libc::c_void, len, vec.as_mut_ptr()) };
    assert_eq!(rc, 0, "mincore: {}", std::io::Error::last_os_error());
    vec.iter().filter(|&&b| b & 1 != 0).count()
}

/// `posix_spawn` (here through `std::process::Command`) runs no fork handlers, so it copies
/// nothing. The evidence: the copy reads every page of the parent's ring, which brings never
/// touched pages of the shared file into memory; after a launch they are still absent, after
/// a `fork` (the control) they are there.
#[test]
fn launching_a_program_copies_nothing() {
    let _serial = serial();
    for backend in [Backend::Memfd, Backend::Mremap] {
        let Ok(ring) = PicoRing::<u8>::with_options(16 << 20, &options(backend)) else {
            continue;
        };
        let cap = ring.capacity();
        let base = ring.as_ptr_range().start;
        assert_eq!(resident_pages(base, cap), 0, "{backend:?}: fresh pages");
        let status = std::process::Command::new("true").status().unwrap();
        assert!(status.success());
        assert_eq!(resident_pages(base, cap), 0, "{backend:?}: after a launch");
        std::io::stdout().flush().unwrap();
        assert_eq!(in_child(|| 0), Ended::Exited(0));
        // Nearly all: the kernel occasionally leaves a few pages of a big copy out of the
        // page cache (seen: 3 of 4096); a launch leaves every one of them out.
        let pages = cap / granularity();
        let after_fork = resident_pages(base, cap);
        assert!(
            after_fork >= pages * 9 / 10,
            "{backend:?}: after a fork (the control): {after_fork} of {pages} pages"
        );
    }
}

/// The bytes of address space this process maps now (`VmSize`).
fn address_space_now() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmSize:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// When the child cannot get memory for its copy, it never shares the parent's pages: the
/// ring is inaccessible there (touching it is a `SIGSEGV`), a child that leaves it alone exits
/// normally, and a message on standard error says why. Here the copy is refused by a file
/// size limit of 0 (the memfd copy) and an address-space limit at the current size (the
/// anonymous copy), set in an intermediate child so the test process keeps its limits.
#[test]
fn child_without_memory_for_the_copy_never_shares_the_ring() {
    let _serial = serial();
    let mut ring = wrapped_ring(Backend::Memfd, DATA);
    let queued = ring.readable_mut().as_mut_ptr();
    let ended = in_child(|| {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for two descriptors.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return 1;
        }
        let Some(size) = address_space_now() else {
            return 2;
        };
        // SAFETY: plain system calls on our own process: stderr into the pipe, SIGXFSZ
        // ignored (a refused file size is then EFBIG, not a kill), then the two limits.
        unsafe {
            libc::dup2(fds[1], libc::STDERR_FILENO);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let no_file = libc::rlimit {
                rlim_cur: 0,
                rlim_max: libc::RLIM_INFINITY,
            };
            let no_growth = libc::rlimit {
                rlim_cur: size,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &no_file) != 0
                || libc::setrlimit(libc::RLIMIT_AS, &no_growth) != 0
            {
                return 3;
            }
        }
        // A grandchild that leaves the ring alone, and one that touches it.
        let untouched = in_child(|| 0);
        let touched = in_child(|| {
            // SAFETY: the grandchild's inaccessible mapping: this read faults.
            i32::from(unsafe { queued.read_volatile() })
        });
        let mut message = [0u8; 256];
        // SAFETY: reads into our buffer from our pipe (the grandchildren wrote and exited).
        let n = unsafe { libc::read(fds[0], message.as_mut_ptr().cast(), message.len()) };
        let said = n > 0 && message[..n as usize].starts_with(b"picoring: ");
        // SAFETY: this child's own copy, still fine: the limits came after its fork.
        let own_copy = unsafe { queued.read_volatile() } == DATA[0];
        first_failure(&[
            untouched == Ended::Exited(0),
            touched == Ended::Signaled(libc::SIGSEGV)
                // `make sanitize`: AddressSanitizer catches the SIGSEGV, reports it and exits 1.
                || (std::env::var_os("PICORING_SANITIZER").is_some()
                    && touched == Ended::Exited(1)),
            said,
            own_copy,
        ]) * 10
    });
    assert_eq!(ended, Ended::Exited(0));
    assert_eq!(ring.readable(), DATA);
}

/// What `/proc/self/maps` names the mapping that contains `addr` (empty for an unnamed one).
fn mapping_name(addr: usize) -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let (start, end) = fields.next()?.split_once('-')?;
        let start = usize::from_str_radix(start, 16).ok()?;
        let end = usize::from_str_radix(end, 16).ok()?;
        (start..end)
            .contains(&addr)
            .then(|| fields.nth(4).unwrap_or("").to_owned())
    })
}

/// A child that cannot make a file for its copy (here a file size limit of 0 refuses the memfd)
/// gets the descriptor-less copy (a shared anonymous mapping, duplicated with the raw `mremap`
/// system call, the Android build's path too): the parent's bytes, both halves still mirrored,
/// and its writes never reach the parent. The limit is set in an intermediate child so the
/// test process keeps its own.
#[test]
fn child_refused_a_file_gets_the_descriptorless_copy() {
    let _serial = serial();
    let mut ring = wrapped_ring(Backend::Memfd, DATA);
    let len = ring.len();
    let cap = ring.capacity();
    let queued = ring.readable_mut().as_mut_ptr();
    let base = ring.as_ptr_range().start as *mut u8;
    let ended = in_child(|| {
        // SAFETY: plain system calls on our own process: SIGXFSZ ignored (a refused file size
        // is then EFBIG, not a kill), then the limit.
        unsafe {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let no_file = libc::rlimit {
                rlim_cur: 0,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &no_file) != 0 {
                return 1;
            }
        }
        let grandchild = in_child(|| {
            let name = mapping_name(base as usize).unwrap_or_default();
            // SAFETY: the grandchild's copy of the ring: `len` queued bytes at `queued`, the
            // 2N mirror at `base`.
            unsafe {
                let copied = (0..len).all(|i| queued.add(i).read_volatile() == DATA[i]);
                base.add(cap - 1).write_volatile(b'e');
                base.add(cap).write_volatile(b'f');
                let mirrored =
                    base.add(2 * cap - 1).read_volatile() == b'e' && base.read_volatile() == b'f';
                for i in 0..len {
                    queued.add(i).write_volatile(b'X');
                }
                first_failure(&[
                    !name.contains("memfd"),
                    name.starts_with("/dev/zero"),
                    copied,
                    mirrored,
                ])
            }
        });
        // SAFETY: this child's own copy (made before the limit), which the grandchild's
        // writes must not have reached.
        let untouched = (0..len).all(|i| unsafe { queued.add(i).read_volatile() } == DATA[i]);
        match grandchild {
            Ended::Exited(0) => 10 * i32::from(!untouched),
            Ended::Exited(code) => 100 + code,
            Ended::Signaled(_) => 200,
        }
    });
    assert_eq!(ended, Ended::Exited(0));
    assert_eq!(ring.readable(), DATA);
}

/// A list reservation pooled before the fork: the child reuses its own private copy, and what
/// it writes there never reaches the parent, which reuses the original afterwards.
#[test]
fn a_child_reuses_its_own_copy_of_a_pooled_list_reservation() {
    let _serial = serial();
    // On a new thread, whose pool holds only what this test puts there.
    std::thread::spawn(|| {
        let mut kept = PicoList::<u64>::new().unwrap();
        kept.extend_from_slice(&[1, 2, 3]).unwrap();
        let mut dropped = PicoList::<u64>::new().unwrap();
        dropped.extend_from_slice(&[0xAA; 512]).unwrap();
        let addr = dropped.as_ptr() as usize;
        drop(dropped); // pooled

        let ended = in_child(|| {
            let mut list = PicoList::<u64>::new().unwrap();
            list.push(9).unwrap();
            if list.as_ptr() as usize != addr {
                return 1;
            }
            if list.as_slice() != [9] {
                return 2;
            }
            if list.try_extend(0..20_000).is_err() || list[20_000] != 19_999 {
                return 3;
            }
            if kept.as_slice() != [1, 2, 3] {
                return 4;
            }
            0
        });
        assert_eq!(ended, Ended::Exited(0));

        let mut list = PicoList::<u64>::new().unwrap();
        list.push(5).unwrap();
        assert_eq!(
            list.as_ptr() as usize,
            addr,
            "the parent's pool still holds it"
        );
        assert_eq!(list.as_slice(), &[5]);
        assert_eq!(kept.as_slice(), &[1, 2, 3]);
    })
    .join()
    .unwrap();
}
