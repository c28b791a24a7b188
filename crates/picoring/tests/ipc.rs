//! Shared rings between processes: data moved between two processes and checked byte for byte,
//! producers killed at random points, a killed consumer, role claims, corrupt and truncated
//! headers, `fork()`, and leaks over many create/attach/close cycles.
//!
//! The second process is this test binary run again with `PICORING_IPC_CHILD` naming its part
//! (the ignored test `child`); it talks back through lines starting with `@` on its stdout.
//! The ring reaches it through an inherited descriptor or by name.
#![cfg(target_os = "linux")]

mod common;

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use common::Rng;
use picoring::ipc::{Consumer, Role, SharedRing};
use picoring::Error as PicoError;

/// The tests count descriptors and mappings, and spawn processes: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

const CHILD_ENV: &str = "PICORING_IPC_CHILD";
/// The descriptor number a child finds the ring at, when it gets one.
const CHILD_FD: i32 = 100;
/// A wait that should never come close to ending: a hang shows up as a failure, not forever.
const LONG: Option<Duration> = Some(Duration::from_secs(120));

/// A unique `/dev/shm` name for this process.
fn unique_name(tag: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("picoring-test-{}-{tag}-{n}", std::process::id())
}

/// Waits for something to read: `false` at the end of the stream (the producer is gone and
/// everything was read); panics on any other error, with `at()` saying where.
fn more<T: picoring::Pod>(rx: &mut Consumer<T>, at: impl FnOnce() -> String) -> bool {
    match rx.wait_readable(1, LONG) {
        Ok(_) => true,
        Err(err) if err.kind() == ErrorKind::UnexpectedEof => false,
        Err(err) => panic!("consumer failed {}: {err}", at()),
    }
}

/// A deterministic byte stream: both processes generate the same one from the same seed.
struct Stream {
    rng: Rng,
    word: [u8; 8],
    used: usize,
}

impl Stream {
    fn new(seed: u64) -> Stream {
        Stream {
            rng: Rng::new(seed),
            word: [0; 8],
            used: 8,
        }
    }

    fn fill(&mut self, mut out: &mut [u8]) {
        while self.used < 8 && !out.is_empty() {
            out[0] = self.word[self.used];
            self.used += 1;
            out = &mut out[1..];
        }
        let mut words = out.chunks_exact_mut(8);
        for w in &mut words {
            w.copy_from_slice(&self.rng.next().to_le_bytes());
        }
        let rest = words.into_remainder();
        if !rest.is_empty() {
            self.word = self.rng.next().to_le_bytes();
            self.used = rest.len();
            rest.copy_from_slice(&self.word[..rest.len()]);
        }
    }
}

/// FNV-1a over a chunk's payload.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn seed() -> u64 {
    let seed = match std::env::var("PICORING_IPC_SEED") {
        Ok(s) => s.parse().expect("PICORING_IPC_SEED is a number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    };
    eprintln!("seed {seed} (set PICORING_IPC_SEED to repeat)");
    seed
}

fn env_u64(key: &str) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{key} is set by the parent"))
}

/// Runs this test binary's `child` test as a separate process doing `part`, with `fd` (if any)
/// at descriptor [`CHILD_FD`] and stdout piped back.
fn spawn_child(part: &str, fd: Option<&OwnedFd>, envs: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "child",
        "--nocapture",
        "--test-threads=1",
        "-q",
    ])
    .env(CHILD_ENV, part)
    .stdout(Stdio::piped());
    for (key, value) in envs {
        cmd.env(key, value);
    }
    if let Some(fd) = fd {
        let raw = fd.as_raw_fd();
        // SAFETY: dup2 is async-signal-safe; it runs in the child between fork and exec and
        // leaves CHILD_FD open across exec (dup2 clears close-on-exec on the copy).
        unsafe {
            cmd.pre_exec(move || {
                if libc::dup2(raw, CHILD_FD) < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd.spawn().expect("spawn the test binary")
}

/// The child's `@` lines, forwarded as they come (the test harness's own lines are skipped).
fn child_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (send, recv) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(msg) = line.strip_prefix('@') {
                if send.send(msg.to_owned()).is_err() {
                    break;
                }
            }
        }
    });
    recv
}

fn next_line(lines: &mpsc::Receiver<String>) -> String {
    lines
        .recv_timeout(Duration::from_secs(120))
        .expect("the child reports")
}

fn sigkill(child: &Child) {
    // SAFETY: a signal to our own child, which we have not reaped yet (its pid is still ours).
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) },
        0
    );
}

fn say(msg: &str) {
    let mut out = io::stdout().lock();
    writeln!(out, "@{msg}").unwrap();
    out.flush().unwrap();
}

/// The ring a child was given at [`CHILD_FD`].
fn inherited_ring() -> SharedRing<u8> {
    // SAFETY: the parent put the ring's descriptor at CHILD_FD for us, and nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(CHILD_FD) };
    SharedRing::from_fd(fd).expect("attach to the inherited ring")
}

/// The other half of the tests, run in a child process; does nothing unless spawned by them.
#[test]
#[ignore = "the second process of the other tests; they run it"]
fn child() {
    let Ok(part) = std::env::var(CHILD_ENV) else {
        return;
    };
    match part.as_str() {
        "stream-producer" => stream_producer(),
        "frame-producer" => frame_producer(),
        "leak-cycles" => leak_cycles(),
        "hold-consumer" => {
            let ring = inherited_ring();
            let mut rx = ring.consumer().unwrap();
            say("ready");
            let mut buf = [0u8; 16];
            rx.read_exact(&mut buf).unwrap();
            loop {
                thread::sleep(Duration::from_secs(1));
            }
        }
        "hold-producer" => {
            let ring = inherited_ring();
            let _tx = ring.producer().unwrap();
            say("ready");
            loop {
                thread::sleep(Duration::from_secs(1));
            }
        }
        "claim-producer" => {
            let ring = inherited_ring();
            match ring.producer() {
                Ok(_) => say("claimed"),
                Err(err) => {
                    let taken = err.get_ref().and_then(|e| e.downcast_ref::<PicoError>());
                    match (err.kind(), taken) {
                        (
                            ErrorKind::AlreadyExists,
                            Some(PicoError::RoleTaken {
                                role: Role::Producer,
                                pid,
                            }),
                        ) => say(&format!("refused {pid}")),
                        _ => say(&format!("error {err}")),
                    }
                }
            }
        }
        other => panic!("unknown child part {other}"),
    }
}

/// Writes `PICORING_IPC_BYTES` bytes of the seed's stream in random chunk sizes, alternating
/// the zero-copy and the copying API, then drops the producer.
fn stream_producer() {
    let ring = inherited_ring();
    let mut tx = ring.producer().unwrap();
    let seed = env_u64("PICORING_IPC_SEED");
    let mut data = Stream::new(seed);
    let mut rng = Rng::new(seed ^ 0xa5a5);
    let mut buf = vec![0u8; 1 << 16];
    let mut left = env_u64("PICORING_IPC_BYTES");
    while left > 0 {
        let want = (rng.below(1 << 16) as u64 + 1).min(left) as usize;
        if rng.below(2) == 0 {
            tx.wait_writable(1, None).unwrap();
            let free = tx.writable();
            let n = free.len().min(want);
            data.fill(&mut free[..n]);
            assert_eq!(tx.commit(n), n);
            left -= n as u64;
        } else {
            data.fill(&mut buf[..want]);
            tx.write_all(&buf[..want]).unwrap();
            left -= want as u64;
        }
    }
}

/// Frames: `[len: u32][seq: u32][fnv(payload): u64][payload]`, each published with one
/// `commit`; reports each committed sequence number, until killed.
fn frame_producer() {
    let ring = SharedRing::<u8>::open_named(&std::env::var("PICORING_IPC_NAME").unwrap()).unwrap();
    let mut tx = ring.producer().unwrap();
    let mut seq = env_u64("PICORING_IPC_START") as u32;
    let mut rng = Rng::new(env_u64("PICORING_IPC_SEED") ^ u64::from(seq));
    say("ready");
    loop {
        let len = rng.below(8192);
        let total = 16 + len;
        tx.wait_writable(total, None).unwrap();
        let frame = &mut tx.writable()[..total];
        Stream::new(u64::from(seq) + 1).fill(&mut frame[16..]);
        let check = fnv(&frame[16..]);
        frame[..4].copy_from_slice(&(len as u32).to_le_bytes());
        frame[4..8].copy_from_slice(&seq.to_le_bytes());
        frame[8..16].copy_from_slice(&check.to_le_bytes());
        assert_eq!(tx.commit(total), total);
        say(&seq.to_string());
        seq += 1;
    }
}

/// Moves `total` bytes from a child producer to this process, checking every byte against the
/// stream the producer generates, then expects end-of-stream and a clean exit.
fn stream_between_processes(total: u64) {
    let _serial = serial();
    let seed = seed();
    let ring = SharedRing::<u8>::create(256 * 1024).unwrap();
    let fd = ring.as_fd().try_clone_to_owned().unwrap();
    let mut child = spawn_child(
        "stream-producer",
        Some(&fd),
        &[
            ("PICORING_IPC_SEED", seed.to_string()),
            ("PICORING_IPC_BYTES", total.to_string()),
        ],
    );
    drop(fd);
    let mut rx = ring.consumer().unwrap();
    let mut expected = Stream::new(seed);
    let mut rng = Rng::new(seed ^ 0x5a5a);
    let mut want = vec![0u8; 1 << 16];
    let mut got = 0u64;
    while more(&mut rx, || format!("after {got} bytes")) {
        let take = rng.below(1 << 16) + 1;
        if rng.below(2) == 0 {
            let queued = rx.readable();
            let n = queued.len().min(take);
            expected.fill(&mut want[..n]);
            assert!(
                queued[..n] == want[..n],
                "wrong bytes at {got}..{}",
                got + n as u64
            );
            assert_eq!(rx.consume(n), n);
            got += n as u64;
        } else {
            let mut out = vec![0u8; take];
            let n = rx.read(&mut out).unwrap();
            expected.fill(&mut want[..n]);
            assert!(
                out[..n] == want[..n],
                "wrong bytes at {got}..{}",
                got + n as u64
            );
            got += n as u64;
        }
    }
    assert_eq!(got, total);
    assert!(rx.is_abandoned());
    assert!(child.wait().unwrap().success());
}

/// 256 MiB through a 256 KiB ring between two processes (about a thousand laps).
#[test]
fn moves_256_mib_between_processes_intact() {
    stream_between_processes(256 << 20);
}

/// The same with 1 GiB: `cargo test --release -p picoring --test ipc -- --ignored gib`.
#[test]
#[ignore = "1 GiB: run on demand (release build)"]
fn moves_1_gib_between_processes_intact() {
    stream_between_processes(1 << 30);
}

/// Producers killed with SIGKILL at random points, one after another, each reclaiming the
/// role of the one before: the consumer sees only whole frames, every frame that was
/// reported committed, then end-of-stream, every time.
#[test]
fn killed_producers_leave_whole_frames_then_end_of_stream() {
    let _serial = serial();
    let seed = seed();
    let mut rng = Rng::new(seed);
    let name = unique_name("kill");
    let ring = SharedRing::<u8>::create_named(&name, 64 * 1024).unwrap();
    let mut rx = ring.consumer().unwrap();
    let mut next_seq = 0u32;
    for cycle in 0..25 {
        let mut child = spawn_child(
            "frame-producer",
            None,
            &[
                ("PICORING_IPC_NAME", name.clone()),
                ("PICORING_IPC_START", next_seq.to_string()),
                ("PICORING_IPC_SEED", seed.to_string()),
            ],
        );
        let lines = child_lines(&mut child);
        assert_eq!(next_line(&lines), "ready", "cycle {cycle}");
        let delay = Duration::from_micros(rng.below(40_000) as u64);
        let pid = child.id() as libc::pid_t;
        let killer = thread::spawn(move || {
            thread::sleep(delay);
            // SAFETY: a signal to our child; the main thread reaps it only after this joins.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        });
        loop {
            match rx.wait_readable(16, LONG) {
                Ok(_) => {}
                Err(err) if err.kind() == ErrorKind::UnexpectedEof => {
                    assert!(
                        rx.is_empty(),
                        "cycle {cycle}: a torn frame header is visible"
                    );
                    break;
                }
                Err(err) => panic!("cycle {cycle}: {err}"),
            }
            let head = rx.readable();
            let len = u32::from_le_bytes(head[..4].try_into().unwrap()) as usize;
            let seq = u32::from_le_bytes(head[4..8].try_into().unwrap());
            let check = u64::from_le_bytes(head[8..16].try_into().unwrap());
            assert!(len < 8192, "cycle {cycle}: frame length {len}");
            assert_eq!(seq, next_seq, "cycle {cycle}: frames out of order");
            match rx.wait_readable(16 + len, LONG) {
                Ok(_) => {}
                Err(err) => panic!("cycle {cycle}: frame {seq} torn ({err})"),
            }
            let frame = &rx.readable()[..16 + len];
            assert_eq!(
                fnv(&frame[16..]),
                check,
                "cycle {cycle}: frame {seq} corrupt"
            );
            let mut want = vec![0u8; len];
            Stream::new(u64::from(seq) + 1).fill(&mut want);
            assert!(frame[16..] == want[..], "cycle {cycle}: frame {seq} wrong");
            rx.consume(16 + len);
            next_seq += 1;
        }
        killer.join().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "cycle {cycle}: the producer was killed");
        // Every frame the producer reported committed arrived; at most one more (committed,
        // not yet reported) did.
        let reported: Vec<u32> = lines.iter().map(|l| l.parse().unwrap()).collect();
        if let Some(&last) = reported.last() {
            assert!(next_seq > last, "cycle {cycle}: frame {last} was lost");
            assert!(
                next_seq <= last + 2,
                "cycle {cycle}: frames nobody committed"
            );
        }
    }
    assert!(next_seq > 0, "no frame moved at all");
    SharedRing::<u8>::unlink(&name).unwrap();
}

/// A consumer killed with SIGKILL (and not yet reaped: a zombie): the producer's writes fail
/// with BrokenPipe once the ring is full.
#[test]
fn killed_consumer_gives_the_producer_broken_pipe() {
    let _serial = serial();
    let ring = SharedRing::<u8>::create(64 * 1024).unwrap();
    let fd = ring.as_fd().try_clone_to_owned().unwrap();
    let mut tx = ring.producer().unwrap();
    let mut child = spawn_child("hold-consumer", Some(&fd), &[]);
    drop(fd);
    let lines = child_lines(&mut child);
    assert_eq!(next_line(&lines), "ready");
    tx.write_all(&[7; 16]).unwrap();
    assert!(!tx.is_abandoned());
    sigkill(&child);
    let chunk = vec![1u8; 4096];
    let err = loop {
        match tx.wait_writable(chunk.len(), LONG) {
            Ok(_) => assert_eq!(tx.push_slice(&chunk), chunk.len()),
            Err(err) => break err,
        }
    };
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    assert_eq!(tx.write(&chunk).unwrap_err().kind(), ErrorKind::BrokenPipe);
    assert!(tx.is_abandoned());
    child.wait().unwrap();
}

/// A role held by a live process is refused to every other claimer, in this process and in
/// another; once its holder drops it, or dies, it can be claimed again.
#[test]
fn roles_are_claimed_once_and_reclaimed_after_death() {
    let _serial = serial();
    let ring = SharedRing::<u8>::create(4096).unwrap();
    let fd = ring.as_fd().try_clone_to_owned().unwrap();

    let tx = ring.producer().unwrap();
    let err = ring.producer().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    let mut child = spawn_child("claim-producer", Some(&fd), &[]);
    let lines = child_lines(&mut child);
    assert_eq!(next_line(&lines), format!("refused {}", std::process::id()));
    assert!(child.wait().unwrap().success());

    drop(tx);
    let mut child = spawn_child("claim-producer", Some(&fd), &[]);
    let lines = child_lines(&mut child);
    assert_eq!(next_line(&lines), "claimed");
    assert!(child.wait().unwrap().success());

    let mut holder = spawn_child("hold-producer", Some(&fd), &[]);
    let lines = child_lines(&mut holder);
    assert_eq!(next_line(&lines), "ready");
    let err = ring.producer().unwrap_err();
    let taken = err.get_ref().unwrap().downcast_ref::<PicoError>();
    assert!(
        matches!(taken, Some(PicoError::RoleTaken { pid, .. }) if *pid == holder.id()),
        "{err:?}"
    );
    sigkill(&holder);
    holder.wait().unwrap();
    let tx = ring.producer().expect("the dead holder's role is free");
    drop(tx);
    // And the consumer role, held and dropped in this process.
    let rx = ring.consumer().unwrap();
    assert_eq!(
        ring.consumer().unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    drop(rx);
    ring.consumer().unwrap();
}

/// Writes `bytes` at `offset` of the ring's file.
fn poke(ring: &SharedRing<u8>, offset: usize, bytes: &[u8]) {
    // SAFETY: pwrite from a live buffer to a descriptor we hold.
    let n = unsafe {
        libc::pwrite(
            ring.as_fd().as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            offset as libc::off_t,
        )
    };
    assert_eq!(n, bytes.len() as isize);
}

fn attach_copy(ring: &SharedRing<u8>) -> io::Result<SharedRing<u8>> {
    SharedRing::from_fd(ring.as_fd().try_clone_to_owned().unwrap())
}

const MAGIC: &[u8; 8] = b"picoRIPC";

/// Every way the header's identity and geometry can be wrong is refused on attach.
#[test]
fn corrupt_header_fields_are_refused() {
    let _serial = serial();
    let page = picoring::mirror::granularity();
    let cases: Vec<(&str, usize, Vec<u8>)> = vec![
        ("magic", 0, b"notaring".to_vec()),
        ("version", 8, 2u32.to_ne_bytes().to_vec()),
        ("header_len 0", 12, 0u32.to_ne_bytes().to_vec()),
        ("header_len odd", 12, 4097u32.to_ne_bytes().to_vec()),
        ("header_len huge", 12, u32::MAX.to_ne_bytes().to_vec()),
        ("data_len 0", 16, 0u64.to_ne_bytes().to_vec()),
        ("data_len odd", 16, 4095u64.to_ne_bytes().to_vec()),
        (
            "data_len past the file",
            16,
            (1u64 << 40).to_ne_bytes().to_vec(),
        ),
        ("data_len overflow", 16, u64::MAX.to_ne_bytes().to_vec()),
        ("frame_len 0", 24, 0u32.to_ne_bytes().to_vec()),
        ("frame_len 3", 24, 3u32.to_ne_bytes().to_vec()),
    ];
    for (what, offset, bytes) in cases {
        let ring = SharedRing::<u8>::create(page).unwrap();
        poke(&ring, offset, &bytes);
        let err = attach_copy(&ring).expect_err(what);
        assert_eq!(err.kind(), ErrorKind::InvalidData, "{what}: {err}");
    }
    // Another element size is refused for a typed view; a byte view accepts it.
    let ring = SharedRing::<u64>::create(16).unwrap();
    let fd = ring.as_fd().try_clone_to_owned().unwrap();
    let err = SharedRing::<u32>::from_fd(fd).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    let fd = ring.as_fd().try_clone_to_owned().unwrap();
    assert_eq!(SharedRing::<u8>::from_fd(fd).unwrap().frame_len(), 8);
    // A file that is no ring at all.
    let file = std::fs::File::open("/proc/self/exe").unwrap();
    let err = SharedRing::<u8>::from_fd(file.into()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
}

/// Random bytes over the whole header page, with and without a valid magic and version: an
/// error or a ring that works within its bounds, every time; never a crash.
#[test]
fn random_header_bytes_give_errors_not_crashes() {
    let _serial = serial();
    let seed = seed();
    let mut rng = Rng::new(seed);
    let page = picoring::mirror::granularity();
    let mut refused = 0;
    for round in 0..300 {
        let ring = SharedRing::<u8>::create(page).unwrap();
        let mut garbage = vec![0u8; page];
        Stream::new(rng.next()).fill(&mut garbage);
        match round % 3 {
            // Everything random.
            0 => {}
            // A valid identity, random geometry and state.
            1 => {
                garbage[..8].copy_from_slice(MAGIC);
                garbage[8..12].copy_from_slice(&1u32.to_ne_bytes());
            }
            // A valid identity and geometry, random state (positions, claims, futex words).
            _ => {
                let mut real = vec![0u8; 32];
                // SAFETY: pread into a live buffer from a descriptor we hold.
                let n = unsafe {
                    libc::pread(ring.as_fd().as_raw_fd(), real.as_mut_ptr().cast(), 32, 0)
                };
                assert_eq!(n, 32);
                garbage[..32].copy_from_slice(&real);
                if round % 2 == 0 {
                    // Valid positions too, anywhere in the 64-bit space.
                    let head = rng.next();
                    let tail = head.wrapping_add(rng.below(page + 1) as u64);
                    garbage[128..136].copy_from_slice(&tail.to_ne_bytes());
                    garbage[256..264].copy_from_slice(&head.to_ne_bytes());
                }
            }
        }
        poke(&ring, 0, &garbage);
        let attached = match attach_copy(&ring) {
            Ok(attached) => attached,
            Err(err) => {
                assert_eq!(err.kind(), ErrorKind::InvalidData, "round {round}: {err}");
                assert_ne!(round % 3, 2, "round {round}: a valid geometry was refused");
                refused += 1;
                continue;
            }
        };
        // Attached: whatever the state says, the ends stay within the ring.
        let cap = attached.capacity();
        if let Ok(mut tx) = attached.producer() {
            let free = tx.writable().len();
            assert!(free <= cap);
            tx.writable().fill(1);
            let _ = tx.push_slice(&[1; 100]);
            let _ = tx.wait_writable(1, Some(Duration::ZERO));
        }
        if let Ok(mut rx) = attached.consumer() {
            let queued = rx.readable();
            assert!(queued.len() <= cap);
            let _ = queued.iter().map(|&b| u64::from(b)).sum::<u64>();
            let _ = rx.pop_slice(&mut [0; 100]);
            let _ = rx.wait_readable(1, Some(Duration::ZERO));
        }
    }
    assert!(
        refused >= 200,
        "only {refused} of 300 random headers refused"
    );
}

/// Positions made invalid after attaching: the ends report InvalidData instead of touching
/// memory outside the ring.
#[test]
fn corrupt_positions_are_errors() {
    let _serial = serial();
    let ring = SharedRing::<u8>::create(4096).unwrap();
    let cap = ring.capacity() as u64;
    let (mut tx, mut rx) = (ring.producer().unwrap(), ring.consumer().unwrap());
    tx.push_slice(b"abc");
    // tail far ahead of head: more queued than the ring holds.
    poke(&ring, 128, &(cap + 1000).to_ne_bytes());
    assert!(rx.readable().is_empty());
    assert_eq!(rx.pop_slice(&mut [0; 8]), 0);
    let err = rx.wait_readable(1, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert_eq!(
        rx.read(&mut [0; 8]).unwrap_err().kind(),
        ErrorKind::InvalidData
    );

    let ring = SharedRing::<u8>::create(4096).unwrap();
    let (mut tx, _rx) = (ring.producer().unwrap(), ring.consumer().unwrap());
    tx.push_slice(&vec![0; ring.capacity()]);
    // head ahead of tail.
    poke(&ring, 256, &(cap + 5).to_ne_bytes());
    assert!(tx.writable().is_empty());
    let err = tx.wait_writable(1, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert_eq!(tx.write(b"x").unwrap_err().kind(), ErrorKind::InvalidData);

    // Invalid positions found when claiming.
    let ring = SharedRing::<u8>::create(4096).unwrap();
    poke(&ring, 128, &u64::MAX.to_ne_bytes());
    assert_eq!(ring.producer().unwrap_err().kind(), ErrorKind::InvalidData);
    assert_eq!(ring.consumer().unwrap_err().kind(), ErrorKind::InvalidData);
    // ... and the failed claims left the roles free.
    poke(&ring, 128, &0u64.to_ne_bytes());
    ring.producer().unwrap();
    ring.consumer().unwrap();
}

/// Positions are free-running 64-bit counters, and a header may start them anywhere: close to
/// 2^64 they wrap without a panic (this runs in debug builds, where overflow would panic).
#[test]
fn positions_wrap_at_two_to_the_64() {
    let _serial = serial();
    let ring = SharedRing::<u8>::create(4096).unwrap();
    let start = u64::MAX - 99;
    poke(&ring, 128, &start.to_ne_bytes());
    poke(&ring, 256, &start.to_ne_bytes());
    let (mut tx, mut rx) = (ring.producer().unwrap(), ring.consumer().unwrap());
    let data: Vec<u8> = (0..=255).collect();
    assert_eq!(tx.push_slice(&data), 256);
    assert_eq!(tx.len(), 256);
    assert_eq!(rx.readable(), &data[..]);
    assert_eq!(rx.consume(256), 256);
    assert!(rx.is_empty());
    assert_eq!(tx.free_len(), tx.capacity());
}

/// Named ring files cut short are refused on open; anonymous rings are sealed, so nobody
/// holding their descriptor can cut them short under a mapping.
#[test]
fn truncated_files_are_refused() {
    let _serial = serial();
    let sealed = SharedRing::<u8>::create(4096).unwrap();
    // SAFETY: ftruncate on a descriptor we hold.
    let rc = unsafe { libc::ftruncate(sealed.as_fd().as_raw_fd(), 100) };
    assert_eq!(rc, -1, "an anonymous ring can be shrunk");
    assert_eq!(io::Error::last_os_error().raw_os_error(), Some(libc::EPERM));

    let page = picoring::mirror::granularity() as u64;
    let name = unique_name("trunc");
    let full = {
        let ring = SharedRing::<u8>::create_named(&name, 4096).unwrap();
        page + ring.capacity() as u64
    };
    let path = format!("/dev/shm/{name}");
    for len in [0, 8, 100, page - 1, page, full - 1] {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(len)
            .unwrap();
        let err = SharedRing::<u8>::open_named(&name).expect_err("truncated");
        assert_eq!(err.kind(), ErrorKind::InvalidData, "length {len}: {err}");
    }
    SharedRing::<u8>::unlink(&name).unwrap();
    assert_eq!(
        SharedRing::<u8>::open_named(&name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

/// Inherited across `fork()`, a shared ring stays shared (unlike private rings, which the
/// child gets a copy of); an end the child inherited and drops does not release the role.
#[test]
fn shared_rings_stay_shared_across_fork() {
    let _serial = serial();
    let ring = SharedRing::<u8>::create(4096).unwrap();
    let (mut tx, mut rx) = (ring.producer().unwrap(), ring.consumer().unwrap());
    // SAFETY: the child only pushes into the ring, drops an end (no allocation: the mapping
    // stays referenced by `ring` and `rx`) and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let n = tx.push_slice(b"from the child");
        drop(tx);
        // SAFETY: leaves the child at once, without running the parent's destructors.
        unsafe { libc::_exit(if n == 14 { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    assert_eq!(rx.readable(), b"from the child");
    // The child's drop did not release the parent's producer role.
    assert_eq!(
        ring.producer().unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    assert!(!rx.is_abandoned());
    drop(tx);
    assert!(rx.is_abandoned());
}

/// Typed rings wrap in whole elements; a framed byte ring holds whole frames.
#[test]
fn typed_and_framed_rings_wrap_in_whole_elements() {
    let _serial = serial();
    let ring = SharedRing::<[f32; 3]>::create(1000).unwrap();
    assert_eq!(ring.frame_len(), 12);
    let (mut tx, mut rx) = (ring.producer().unwrap(), ring.consumer().unwrap());
    let cap = tx.capacity();
    let mut next = 0f32;
    let mut expect = 0f32;
    for round in 0..50 {
        let n = (round * 37 + 11) % cap + 1;
        let free = tx.writable();
        let n = n.min(free.len());
        for slot in &mut free[..n] {
            *slot = [next, -next, 0.5];
            next += 1.0;
        }
        tx.commit(n);
        let queued = rx.readable();
        assert_eq!(queued.len(), n);
        for frame in queued {
            assert_eq!(*frame, [expect, -expect, 0.5]);
            expect += 1.0;
        }
        rx.consume(n);
    }
    let framed = SharedRing::create_framed(None, 1000, 12).unwrap();
    assert_eq!(framed.capacity() % 12, 0);
    let view = SharedRing::<u8>::from_fd(framed.as_fd().try_clone_to_owned().unwrap()).unwrap();
    assert_eq!(view.frame_len(), 12);
}

fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Lines of /proc/self/maps: all of them, or (under a sanitizer, whose runtime maps memory of
/// its own as it goes; `make sanitize` sets PICORING_SANITIZER) those of ring files only.
fn map_count() -> usize {
    let sanitizer = std::env::var_os("PICORING_SANITIZER").is_some();
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| !sanitizer || l.contains("memfd:picoring-ipc") || l.contains("/dev/shm/"))
        .count()
}

fn shm_entries() -> usize {
    let prefix = format!("picoring-test-{}-", std::process::id());
    std::fs::read_dir("/dev/shm")
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        })
        .count()
}

fn cycle(named: bool) {
    let (ring, other, name) = if named {
        let name = unique_name("leak");
        let ring = SharedRing::<u8>::create_named(&name, 4096).unwrap();
        let other = SharedRing::<u8>::open_named(&name).unwrap();
        (ring, other, Some(name))
    } else {
        let ring = SharedRing::<u8>::create(4096).unwrap();
        let other = attach_copy(&ring).unwrap();
        (ring, other, None)
    };
    let (mut tx, mut rx) = (ring.producer().unwrap(), other.consumer().unwrap());
    tx.push_slice(b"x");
    assert_eq!(rx.pop(), Some(b'x'));
    drop((tx, rx, ring, other));
    if let Some(name) = name {
        SharedRing::<u8>::unlink(&name).unwrap();
    }
}

/// 1,000 create/attach/close cycles, anonymous and named, leave no descriptor, mapping or
/// `/dev/shm` file behind. Counted in a child process of its own, where no other test's
/// threads come and go (their stacks and allocator arenas are mappings too).
#[test]
fn create_attach_close_cycles_leak_nothing() {
    let _serial = serial();
    let mut child = spawn_child("leak-cycles", None, &[]);
    let lines = child_lines(&mut child);
    assert_eq!(next_line(&lines), "no leaks");
    assert!(child.wait().unwrap().success());
}

fn leak_cycles() {
    for named in [false, true] {
        cycle(named);
    }
    let (fds, maps, files) = (fd_count(), map_count(), shm_entries());
    for i in 0..1000 {
        cycle(i % 2 == 1);
    }
    let after = (fd_count(), map_count(), shm_entries());
    if after == (fds, maps, files) && files == 0 {
        say("no leaks");
    } else {
        say(&format!(
            "(descriptors, mappings, /dev/shm files) went from {:?} to {after:?}",
            (fds, maps, files)
        ));
    }
}

/// Before a producer has ever claimed the ring, a consumer waits for one (a timeout, not the
/// end of the stream); the ends are `Send + 'static` and work from other threads.
#[test]
fn a_consumer_waits_for_a_first_producer_and_ends_move_to_threads() {
    fn send_static<T: Send + 'static>(_: &T) {}
    let _serial = serial();
    let ring = SharedRing::<u64>::create(1024).unwrap();
    let mut rx = ring.consumer().unwrap();
    assert!(!rx.is_abandoned());
    let err = rx
        .wait_readable(1, Some(Duration::from_millis(20)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    let mut tx = ring.producer().unwrap();
    send_static(&tx);
    send_static(&rx);
    drop(ring); // the ends keep the mapping
    let writer = thread::spawn(move || {
        for i in 0..100_000u64 {
            tx.wait_writable(1, LONG).unwrap();
            tx.push(i).unwrap();
        }
    });
    let mut expected = 0u64;
    while more(&mut rx, || format!("after {expected} values")) {
        while let Some(v) = rx.pop() {
            assert_eq!(v, expected);
            expected += 1;
        }
    }
    writer.join().unwrap();
    assert_eq!(expected, 100_000);
}
