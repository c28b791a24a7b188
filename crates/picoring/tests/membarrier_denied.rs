//! The wakeup handshake when `membarrier` is refused: a seccomp filter denying it is installed
//! after the first ring (rings already rely on it: the sandbox-after-init pattern) or before
//! any ring. Either way, blocking round trips through SPSC and MPSC rings between two threads
//! must never lose a wakeup, panic, or leave a waiter registered.
//!
//! Each case runs in a process of its own (the fence protocol is chosen once per process, and
//! a filter must not reach other tests); every wait is bounded, so a lost wakeup fails the
//! test instead of hanging it.
#![cfg(all(
    any(target_arch = "x86_64", target_arch = "aarch64"),
    target_os = "linux",
    not(miri)
))]

use std::thread;
use std::time::Duration;

use picoring::{mpsc, spsc};

mod fault;

/// Far above any real wakeup: only a lost one takes this long.
const PATIENCE: Duration = Duration::from_secs(10);
const SPSC_ROUND_TRIPS: u64 = 3000;
const MPSC_BURSTS: u32 = 500;

#[test]
fn fault_child() {
    fault::child_entry(|case| match case {
        "after_first_ring" => {
            // The first ring registers the process for expedited membarriers.
            let first = spsc::channel::<u64>(16).unwrap();
            deny_membarrier();
            round_trips();
            drop(first);
        }
        "before_first_ring" => {
            deny_membarrier();
            round_trips();
        }
        #[cfg(feature = "async")]
        "async_after_first_ring" => {
            let first = spsc::channel::<u64>(16).unwrap();
            deny_membarrier();
            // First, so that an async waiter meets the refusal and the settling window.
            async_round_trips();
            drop(first);
        }
        other => panic!("unknown case {other}"),
    });
}

#[cfg(feature = "async")]
#[test]
fn membarrier_denied_after_the_first_ring_loses_no_async_wakeup() {
    fault::in_child("async_after_first_ring", Duration::from_secs(300));
}

/// Ping-pong where the echo side is a task reading the SPSC byte ring asynchronously: its
/// waker registration goes through the same handshake. The requester's waits are bounded;
/// a task that is never woken makes them time out.
#[cfg(feature = "async")]
fn async_round_trips() {
    use futures::io::AsyncReadExt;

    let (mut ping_tx, mut ping_rx) = spsc::channel::<u8>(64).unwrap();
    let (mut pong_tx, mut pong_rx) = spsc::channel::<u8>(64).unwrap();
    let echo = thread::spawn(move || {
        futures::executor::block_on(async {
            let mut word = [0u8; 8];
            for i in 0..SPSC_ROUND_TRIPS {
                ping_rx.read_exact(&mut word).await.unwrap();
                assert_eq!(u64::from_le_bytes(word), i);
                dawdle(i + 8);
                assert_eq!(pong_tx.push_slice(&word), 8);
            }
        })
    });
    for i in 0..SPSC_ROUND_TRIPS {
        dawdle(i);
        assert_eq!(ping_tx.push_slice(&i.to_le_bytes()), 8);
        pong_rx
            .wait_readable(8, Some(PATIENCE))
            .unwrap_or_else(|e| panic!("async pong {i} lost ({e})"));
        assert_eq!(pong_rx.readable(), i.to_le_bytes());
        pong_rx.consume(8);
    }
    echo.join().unwrap();
    println!("{SPSC_ROUND_TRIPS} async SPSC round trips: no lost wakeup");
}

#[test]
fn membarrier_denied_after_the_first_ring_loses_no_wakeup() {
    fault::in_child("after_first_ring", Duration::from_secs(300));
}

#[test]
fn membarrier_denied_before_the_first_ring_loses_no_wakeup() {
    fault::in_child("before_first_ring", Duration::from_secs(300));
}

/// Denies membarrier to this thread and those it starts, and checks the filter works.
fn deny_membarrier() {
    fault::deny_syscalls(&[libc::SYS_membarrier]).expect("install the seccomp filter");
    // MEMBARRIER_CMD_QUERY
    // SAFETY: membarrier with integer arguments.
    let rc = unsafe { libc::syscall(libc::SYS_membarrier, 0 as libc::c_long, 0 as libc::c_long) };
    let err = std::io::Error::last_os_error();
    assert_eq!((rc, err.raw_os_error()), (-1, Some(libc::EPERM)));
}

/// Ping-pong through SPSC rings, then through MPSC record rings; both threads wait, and now
/// and then one dawdles so that the other really goes to sleep.
fn round_trips() {
    spsc_round_trips();
    mpsc_round_trips();
    println!("{SPSC_ROUND_TRIPS} SPSC round trips and {MPSC_BURSTS} MPSC bursts: no lost wakeup");
}

fn dawdle(i: u64) {
    if i % 16 == 0 {
        thread::sleep(Duration::from_micros(200));
    }
}

fn spsc_round_trips() {
    let (mut ping_tx, mut ping_rx) = spsc::channel::<u64>(4).unwrap();
    let (mut pong_tx, mut pong_rx) = spsc::channel::<u64>(4).unwrap();
    let echo = thread::spawn(move || {
        for i in 0..SPSC_ROUND_TRIPS {
            ping_rx
                .wait_readable(1, Some(PATIENCE))
                .unwrap_or_else(|e| panic!("echo: ping {i} lost ({e})"));
            let v = ping_rx.pop().unwrap();
            assert_eq!(v, i);
            dawdle(i + 8);
            pong_tx.push(v + 1).unwrap();
        }
    });
    for i in 0..SPSC_ROUND_TRIPS {
        dawdle(i);
        ping_tx.push(i).unwrap();
        pong_rx
            .wait_readable(1, Some(PATIENCE))
            .unwrap_or_else(|e| panic!("pong {i} lost ({e})"));
        assert_eq!(pong_rx.pop(), Some(i + 1));
    }
    echo.join().unwrap();
}

/// Each burst is four 1500-byte requests into a 4096-byte ring that holds two: the third and
/// fourth sender waits for space; the requester then waits for the four replies.
fn mpsc_round_trips() {
    let (req_tx, mut req_rx) = mpsc::channel(4096).unwrap();
    let (rep_tx, mut rep_rx) = mpsc::channel(4096).unwrap();
    assert_eq!(
        req_tx.capacity(),
        4096,
        "the bursts assume a 4096-byte ring"
    );
    let echo = thread::spawn(move || {
        for i in 0..MPSC_BURSTS * 4 {
            let request = req_rx
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|e| panic!("echo: request {i} lost ({e})"));
            assert_eq!(request.len(), 1500);
            assert!(request.iter().all(|&b| b == i as u8));
            drop(request);
            dawdle(u64::from(i) + 3);
            rep_tx.send(&i.to_le_bytes()).unwrap();
        }
    });
    for burst in 0..MPSC_BURSTS {
        for k in 0..4 {
            let i = burst * 4 + k;
            let mut grant = req_tx
                .reserve_timeout(1500, PATIENCE)
                .unwrap_or_else(|e| panic!("space for request {i} never came ({e})"));
            grant.fill(i as u8);
            grant.commit();
        }
        for k in 0..4 {
            let i = burst * 4 + k;
            let reply = rep_rx
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|e| panic!("reply {i} lost ({e})"));
            assert_eq!(&*reply, &i.to_le_bytes()[..]);
        }
    }
    echo.join().unwrap();
}
