//! The MPSC record ring driven from one thread in a fuzzed interleaving, against a model of
//! its records in reservation order: several senders reserve records of any length, hold many
//! grants at once and commit or discard them in any order; the receiver takes what is
//! committed in order, skipping discarded records; full rings, oversized records, timeouts
//! and a dropped receiver give the documented errors. Either on the default (native) backend
//! or the software mirror.
#![no_main]

use std::collections::VecDeque;
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use picoring::mpsc::{self, ReserveError, WaitError};
use picoring_fuzz::{small, Mirror};

/// Bytes a record of `len` takes in the ring: an 8-byte header and the payload rounded up to 8.
fn record_size(len: usize) -> usize {
    8 + len.next_multiple_of(8)
}

#[derive(Arbitrary, Debug)]
enum How {
    Reserve,
    /// Zero timeout: `TimedOut` instead of `Full`.
    Timeout,
    /// Only when it fits (otherwise it would wait forever).
    Blocking,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Reserve {
        sender: u8,
        len: u16,
        how: How,
    },
    /// Fill a held grant with a pattern and commit it.
    Commit(u8),
    /// Drop a held grant: the record is discarded.
    Discard(u8),
    /// `send` (a blocking reserve, copy, commit) when the record fits.
    Send {
        sender: u8,
        data: Vec<u8>,
    },
    TryRecv,
    RecvTimeout,
    DropReceiver,
}

#[derive(Debug, PartialEq)]
enum State {
    Writing,
    Committed(Vec<u8>),
    Discarded,
}

#[derive(Arbitrary, Debug)]
struct Input {
    mirror: Mirror,
    /// Ring size in pages.
    pages: u8,
    senders: u8,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    let requested = small(u16::from(input.pages), 4) * 4096;
    let Ok((tx, rx)) = mpsc::channel_with_options(requested, &input.mirror.options()) else {
        return;
    };
    let size = rx.capacity();
    assert!(size >= requested);
    assert_eq!(tx.capacity(), size);
    let max_len = tx.max_record_len();
    assert_eq!(max_len, size - 8);
    let mut senders = vec![tx];
    for _ in 0..input.senders % 4 {
        senders.push(senders[0].clone());
    }
    let senders = senders;
    let mut rx = Some(rx);
    // Records not yet released, in reservation order: (id, length, state).
    let mut records: VecDeque<(usize, usize, State)> = VecDeque::new();
    let mut grants = Vec::new();
    let mut next_id = 0usize;
    let used = |records: &VecDeque<(usize, usize, State)>| -> usize {
        records.iter().map(|r| record_size(r.1)).sum()
    };
    for op in &input.ops {
        match op {
            Op::Reserve { sender, len, how } => {
                let tx = &senders[usize::from(*sender) % senders.len()];
                let len = usize::from(*len) % (size + 16);
                let fits = used(&records) + record_size(len) <= size;
                let expected = if len > max_len {
                    Err(ReserveError::TooLarge)
                } else if rx.is_none() {
                    Err(ReserveError::Disconnected)
                } else if fits {
                    Ok(())
                } else {
                    match how {
                        How::Reserve => Err(ReserveError::Full),
                        How::Timeout => Err(ReserveError::TimedOut),
                        How::Blocking => continue,
                    }
                };
                let got = match how {
                    How::Reserve => tx.reserve(len),
                    How::Timeout => tx.reserve_timeout(len, Duration::ZERO),
                    How::Blocking => tx.reserve_blocking(len),
                };
                match got {
                    Ok(grant) => {
                        assert_eq!(expected, Ok(()));
                        assert_eq!(grant.len(), len);
                        records.push_back((next_id, len, State::Writing));
                        grants.push((grant, next_id));
                        next_id += 1;
                    }
                    Err(err) => assert_eq!(Err(err), expected),
                }
            }
            Op::Commit(i) | Op::Discard(i) => {
                if grants.is_empty() {
                    continue;
                }
                let (mut grant, id) = grants.swap_remove(usize::from(*i) % grants.len());
                let record = records
                    .iter_mut()
                    .find(|r| r.0 == id)
                    .expect("a held grant's record is not released");
                if let Op::Commit(_) = op {
                    for (k, b) in grant.iter_mut().enumerate() {
                        *b = (id as u8).wrapping_mul(31).wrapping_add(k as u8);
                    }
                    record.2 = State::Committed(grant.to_vec());
                    grant.commit();
                } else {
                    record.2 = State::Discarded;
                    drop(grant);
                }
            }
            Op::Send { sender, data } => {
                let tx = &senders[usize::from(*sender) % senders.len()];
                let fits = used(&records) + record_size(data.len()) <= size;
                if data.len() <= max_len && rx.is_some() && !fits {
                    continue;
                }
                match tx.send(data) {
                    Ok(()) => {
                        assert!(data.len() <= max_len && rx.is_some());
                        records.push_back((next_id, data.len(), State::Committed(data.clone())));
                        next_id += 1;
                    }
                    Err(ReserveError::TooLarge) => assert!(data.len() > max_len),
                    Err(ReserveError::Disconnected) => {
                        assert!(data.len() <= max_len && rx.is_none())
                    }
                    Err(err) => panic!("send: {err:?}"),
                }
            }
            Op::TryRecv | Op::RecvTimeout => {
                let Some(rx) = rx.as_mut() else { continue };
                while matches!(records.front(), Some((_, _, State::Discarded))) {
                    records.pop_front();
                }
                let expected = match records.front() {
                    Some((_, _, State::Committed(data))) => Some(data.clone()),
                    _ => None,
                };
                let got = if let Op::TryRecv = op {
                    rx.try_recv().map(|r| r.to_vec())
                } else {
                    match rx.recv_timeout(Duration::ZERO) {
                        Ok(r) => Some(r.to_vec()),
                        Err(err) => {
                            assert_eq!(err, WaitError::TimedOut);
                            None
                        }
                    }
                };
                assert_eq!(got, expected);
                if got.is_some() {
                    records.pop_front();
                }
            }
            Op::DropReceiver => {
                if rx.take().is_some() {
                    assert!(senders.iter().all(|tx| tx.is_abandoned()));
                }
            }
        }
    }
    // Every grant ends (committed ones first, then the rest discarded), every sender is
    // dropped, and the receiver drains what is left, then sees the disconnection.
    for (mut grant, id) in grants {
        if id % 2 == 0 {
            grant.fill(0xA5);
            let record = records.iter_mut().find(|r| r.0 == id).expect("held");
            record.2 = State::Committed(grant.to_vec());
            grant.commit();
        } else {
            records.iter_mut().find(|r| r.0 == id).expect("held").2 = State::Discarded;
        }
    }
    drop(senders);
    if let Some(mut rx) = rx {
        assert!(rx.is_abandoned());
        for (_, _, state) in records {
            if let State::Committed(data) = state {
                assert_eq!(rx.try_recv().map(|r| r.to_vec()), Some(data));
            }
        }
        assert!(rx.try_recv().is_none());
        assert_eq!(rx.recv().err(), Some(WaitError::Disconnected));
    }
});
