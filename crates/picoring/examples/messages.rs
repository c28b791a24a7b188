//! Message passing between threads: variable-length records through a many-producer ring.
//!
//! Four worker threads each reserve room for a record, write it in place and commit it; the
//! receiver reads every record as one contiguous `&[u8]` (even across the ring's end) and
//! checks that each worker's records arrive in order.
//!
//! `cargo run --release --example messages [-- --quick]`

use std::error::Error;
use std::io::Write;
use std::thread;
use std::time::Instant;

use picoring::mpsc;

const WORKERS: usize = 4;

/// `worker=W seq=S` then some padding, so records have different lengths.
fn parse(record: &[u8]) -> Option<(usize, u64)> {
    let text = std::str::from_utf8(record).ok()?;
    let mut fields = text.split(' ');
    let worker = fields.next()?.strip_prefix("worker=")?.parse().ok()?;
    let seq = fields.next()?.strip_prefix("seq=")?.parse().ok()?;
    Some((worker, seq))
}

fn main() -> Result<(), Box<dyn Error>> {
    let per_worker: u64 = if std::env::args().any(|a| a == "--quick") {
        10_000
    } else {
        1_000_000
    };
    let (tx, mut rx) = mpsc::channel(1 << 16)?;
    let start = Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let tx = tx.clone();
            thread::spawn(move || -> Result<(), Box<dyn Error + Send + Sync>> {
                let mut record = Vec::with_capacity(128);
                for seq in 0..per_worker {
                    record.clear();
                    write!(record, "worker={worker} seq={seq} ")?;
                    record.resize(record.len() + (seq % 64) as usize, b'.');
                    let mut grant = tx.reserve_blocking(record.len())?;
                    grant.copy_from_slice(&record);
                    grant.commit();
                }
                Ok(())
            })
        })
        .collect();
    drop(tx); // the receiver ends when every worker's sender is gone

    let mut next = [0u64; WORKERS];
    let (mut received, mut bytes) = (0u64, 0usize);
    while let Ok(record) = rx.recv() {
        let (worker, seq) = parse(&record).ok_or("malformed record")?;
        if worker >= WORKERS || seq != next[worker] {
            return Err(format!("worker {worker}: record {seq} out of order").into());
        }
        next[worker] += 1;
        received += 1;
        bytes += record.len();
    }
    for worker in workers {
        worker
            .join()
            .map_err(|_| "worker panicked")?
            .map_err(|e| e.to_string())?;
    }
    if received != per_worker * WORKERS as u64 {
        return Err(format!("received {received} records").into());
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "messages: {received} records ({:.1} MB) from {WORKERS} threads through a 64 KiB ring in \
         {secs:.3} s: {:.2} M records/s, each worker's records in order",
        bytes as f64 / 1e6,
        received as f64 / secs / 1e6,
    );
    Ok(())
}
