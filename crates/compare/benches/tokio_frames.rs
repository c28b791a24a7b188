//! `FrameReader` against tokio's `BufReader::read_until`/`read_line` and tokio-util's
//! `LinesCodec`/`LengthDelimitedCodec`, over loopback TCP: 100-byte lines, 64 KiB and 1 MiB
//! length-prefixed frames. A writer task sends the whole stream; the time is the reader's,
//! from the first byte to the last frame. Each frame is looked at (its last byte is summed),
//! as a parser would. Interleaved rounds (every reader once per round); the best round and
//! the ratio of each reader's best time to `FrameReader`'s (above 1: slower than picoring).
//! `cargo bench -p picoring-compare --bench tokio_frames` (`-- --quick`: tiny sizes).

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures::StreamExt;
use picoring::{FrameReader, LengthPrefix};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{FramedRead, LengthDelimitedCodec, LinesCodec};

type Reader = fn(TcpStream, usize) -> Pin<Box<dyn Future<Output = usize>>>;

/// A kind of message: its title, the whole stream, the message size, the readers to compare.
type Group = (
    &'static str,
    &'static [u8],
    usize,
    Vec<(&'static str, Reader)>,
);

const LINE: &[u8; 100] = b"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890abcdefgh\n";

fn lines_frame_reader(s: TcpStream, _: usize) -> Pin<Box<dyn Future<Output = usize>>> {
    Box::pin(async move {
        let mut frames = FrameReader::new(s, 256 * 1024).unwrap();
        let mut sum = 0usize;
        while let Some(line) = frames.next_line().await.unwrap() {
            sum += usize::from(line[line.len() - 2]);
        }
        sum
    })
}

fn lines_read_until(s: TcpStream, _: usize) -> Pin<Box<dyn Future<Output = usize>>> {
    Box::pin(async move {
        let mut reader = BufReader::with_capacity(256 * 1024, s);
        let mut line = Vec::with_capacity(256);
        let mut sum = 0usize;
        while reader.read_until(b'\n', &mut line).await.unwrap() > 0 {
            sum += usize::from(line[line.len() - 2]);
            line.clear();
        }
        sum
    })
}

fn lines_read_line(s: TcpStream, _: usize) -> Pin<Box<dyn Future<Output = usize>>> {
    Box::pin(async move {
        let mut reader = BufReader::with_capacity(256 * 1024, s);
        let mut line = String::with_capacity(256);
        let mut sum = 0usize;
        while reader.read_line(&mut line).await.unwrap() > 0 {
            sum += usize::from(line.as_bytes()[line.len() - 2]);
            line.clear();
        }
        sum
    })
}

fn lines_codec(s: TcpStream, _: usize) -> Pin<Box<dyn Future<Output = usize>>> {
    Box::pin(async move {
        let mut lines = FramedRead::with_capacity(s, LinesCodec::new(), 256 * 1024);
        let mut sum = 0usize;
        while let Some(line) = lines.next().await {
            let line = line.unwrap();
            sum += usize::from(line.as_bytes()[line.len() - 1]);
        }
        sum
    })
}

fn frames_frame_reader(s: TcpStream, size: usize) -> Pin<Box<dyn Future<Output = usize>>> {
    Box::pin(async move {
        let mut frames = FrameReader::new(s, 2 * size).unwrap();
        let mut sum = 0usize;
        while let Some(frame) = frames.next_frame(LengthPrefix::U32_BE).await.unwrap() {
            sum += usize::from(frame[frame.len() - 1]);
        }
        sum
    })
}

fn frames_codec(s: TcpStream, size: usize) -> Pin<Box<dyn Future<Output = usize>>> {
    Box::pin(async move {
        let codec = LengthDelimitedCodec::builder()
            .max_frame_length(2 * size)
            .new_codec();
        let mut frames = FramedRead::with_capacity(s, codec, 4 * size);
        let mut sum = 0usize;
        while let Some(frame) = frames.next().await {
            let frame = frame.unwrap();
            sum += usize::from(frame[frame.len() - 1]);
        }
        sum
    })
}

/// Seconds for `read` to take in `data` over a fresh loopback connection.
async fn one_round(read: Reader, data: &'static [u8], size: usize) -> Duration {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let writer = tokio::spawn(async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(data).await.unwrap();
        s.shutdown().await.unwrap();
    });
    let (socket, _) = listener.accept().await.unwrap();
    let start = Instant::now();
    black_box(read(socket, size).await);
    let took = start.elapsed();
    writer.await.unwrap();
    took
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick" || a == "--test");
    let rounds = if quick { 1 } else { 9 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .build()
        .unwrap();
    let lines: &'static [u8] = LINE.repeat(if quick { 1000 } else { 300_000 }).leak();
    let frames = |size: usize, count: usize| -> &'static [u8] {
        let mut data = Vec::with_capacity(count * (size + 4));
        for i in 0..count {
            data.extend_from_slice(&(size as u32).to_be_bytes());
            data.extend(std::iter::repeat_n(i as u8, size));
        }
        data.leak()
    };
    let groups: Vec<Group> = vec![
        (
            "100 B lines",
            lines,
            100,
            vec![
                ("FrameReader::next_line", lines_frame_reader as Reader),
                ("BufReader::read_until", lines_read_until),
                ("BufReader::read_line", lines_read_line),
                ("FramedRead<LinesCodec>", lines_codec),
            ],
        ),
        (
            "64 KiB frames",
            frames(64 * 1024, if quick { 8 } else { 2000 }),
            64 * 1024,
            vec![
                ("FrameReader::next_frame", frames_frame_reader as Reader),
                ("FramedRead<LengthDelimitedCodec>", frames_codec),
            ],
        ),
        (
            "1 MiB frames",
            frames(1 << 20, if quick { 2 } else { 150 }),
            1 << 20,
            vec![
                ("FrameReader::next_frame", frames_frame_reader as Reader),
                ("FramedRead<LengthDelimitedCodec>", frames_codec),
            ],
        ),
    ];
    println!("| messages | reader | best round | MB/s | time / FrameReader |");
    println!("|---|---|---:|---:|---:|");
    for (title, data, size, readers) in groups {
        let mut best = vec![Duration::MAX; readers.len()];
        for _ in 0..rounds {
            for (i, (_, read)) in readers.iter().enumerate() {
                let took = runtime.block_on(one_round(*read, data, size));
                best[i] = best[i].min(took);
            }
        }
        for (i, (name, _)) in readers.iter().enumerate() {
            println!(
                "| {title} | {name} | {:.2?} | {:.0} | {:.2}x |",
                best[i],
                data.len() as f64 / best[i].as_secs_f64() / 1e6,
                best[i].as_secs_f64() / best[0].as_secs_f64()
            );
        }
    }
}
