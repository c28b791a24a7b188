//! Audio frames between two threads: stereo `[f32; 2]` frames through a lock-free SPSC ring.
//!
//! A producer thread synthesises 48 kHz stereo audio in 256-frame blocks, written in place
//! into the ring's free space; the consumer takes 10 ms blocks (480 frames) as one slice each,
//! even when a block straddles the ring's physical end, and measures each block's RMS level.
//! Block sizes differ on purpose, as between an audio device and a DSP stage.
//!
//! `cargo run --release --example audio_frames [-- --quick]`

use std::error::Error;
use std::f32::consts::TAU;
use std::thread;
use std::time::Instant;

use picoring::spsc::{self, WaitError};

const RATE: usize = 48_000;
const PRODUCE: usize = 256;
const CONSUME: usize = 480;

type Frame = [f32; 2];

fn produce(mut tx: spsc::Producer<Frame>, frames: usize) -> Result<(), WaitError> {
    let mut done = 0;
    while done < frames {
        let n = PRODUCE.min(frames - done);
        tx.wait_writable(n, None)?;
        for (i, frame) in tx.writable()[..n].iter_mut().enumerate() {
            let left = 0.5 * (TAU * 440.0 * (done + i) as f32 / RATE as f32).sin();
            *frame = [left, 0.25 * left];
        }
        tx.commit(n);
        done += n;
    }
    Ok(())
}

fn rms(block: &[Frame]) -> [f32; 2] {
    let sum = block.iter().fold([0.0f64; 2], |acc, f| {
        [
            acc[0] + f64::from(f[0] * f[0]),
            acc[1] + f64::from(f[1] * f[1]),
        ]
    });
    let n = block.len().max(1) as f64;
    [(sum[0] / n).sqrt() as f32, (sum[1] / n).sqrt() as f32]
}

fn main() -> Result<(), Box<dyn Error>> {
    let seconds = if std::env::args().any(|a| a == "--quick") {
        2
    } else {
        600
    };
    let frames = RATE * seconds;
    let (tx, mut rx) = spsc::channel::<Frame>(8192)?;
    let capacity = rx.capacity();
    let start = Instant::now();
    let producer = thread::spawn(move || produce(tx, frames));

    let (mut done, mut blocks, mut straddling, mut read_from) = (0, 0u64, 0u64, 0);
    let mut loudest = [0.0f32; 2];
    while done < frames {
        let want = CONSUME.min(frames - done);
        rx.wait_readable(want, None)?;
        let level = rms(&rx.readable()[..want]);
        loudest = [loudest[0].max(level[0]), loudest[1].max(level[1])];
        if read_from + want > capacity {
            straddling += 1;
        }
        read_from = (read_from + want) % capacity;
        rx.consume(want);
        done += want;
        blocks += 1;
    }
    producer.join().map_err(|_| "producer panicked")??;
    let secs = start.elapsed().as_secs_f64();
    let expected = [0.5 / 2f32.sqrt(), 0.125 / 2f32.sqrt()];
    if (loudest[0] - expected[0]).abs() > 0.01 || (loudest[1] - expected[1]).abs() > 0.01 {
        return Err(format!("unexpected levels {loudest:?}, expected {expected:?}").into());
    }
    println!(
        "audio_frames: {seconds} s of 48 kHz stereo ({blocks} blocks of 10 ms) between two threads \
         in {secs:.3} s ({:.0}x real time); {straddling} blocks straddled the {capacity}-frame \
         ring's end and were still one slice; RMS L {:.3}, R {:.3}",
        seconds as f64 / secs,
        loudest[0],
        loudest[1],
    );
    Ok(())
}
