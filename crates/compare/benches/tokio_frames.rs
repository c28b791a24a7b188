//! `FrameReader` against tokio's `BufReader::read_until`/`read_line` and tokio-util's
//! `LinesCodec`/`LengthDelimitedCodec`, over loopback TCP: 100-byte lines, 64 KiB and 1 MiB
//! length-prefixed frames. A writer task sends the whole stream; the time is the reader's,
//! from the first byte to the last frame. Each frame is looked at (its last byte is summed),
//! as a parser would. Every reader gets the same buffer: 256 KiB for lines, four frames for
//! frames (`FrameReader`'s ring, `FramedRead`'s initial capacity); the kernel hands a read at
//! most the free space, so a smaller buffer means more reads per frame. Interleaved rounds
//! (every reader once per round); the best round, and the median and range over the rounds of
//! each reader's time divided by `FrameReader`'s in the same round (above 1: slower than
//! picoring).
//! `cargo bench -p picoring-compare --bench tokio_frames` (`-- --quick`: tiny sizes; any other
//! argument not starting with `-` runs only the readers whose "group reader" title holds it,
//! e.g. `-- "1 MiB frames FrameReader"`).

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

/// The line buffer of `BufReader`'s two line calls: `Vec<u8>` for `read_until`, `String` for
/// `read_line`.
trait LineBuf: AsRef<[u8]> + 'static {
    fn with_capacity(n: usize) -> Self;
    /// Appends the next line (with its newline); `Ok(0)` at the end of the stream.
    fn read_line<'a>(
        reader: &'a mut BufReader<TcpStream>,
        buf: &'a mut Self,
    ) -> impl Future<Output = std::io::Result<usize>> + 'a;
    fn clear(&mut self);
}

/// `LineBuf` for a buffer type and the `BufReader` call that fills it.
macro_rules! line_buf {
    ($ty:ty, $call:ident($($delim:expr)?)) => {
        impl LineBuf for $ty {
            fn with_capacity(n: usize) -> Self {
                <$ty>::with_capacity(n)
            }
            fn read_line<'a>(
                reader: &'a mut BufReader<TcpStream>,
                buf: &'a mut Self,
            ) -> impl Future<Output = std::io::Result<usize>> + 'a {
                reader.$call($($delim,)? buf)
            }
            fn clear(&mut self) {
                <$ty>::clear(self);
            }
        }
    };
}

line_buf!(Vec<u8>, read_until(b'\n'));
line_buf!(String, read_line());

/// `BufReader::read_until` (`B = Vec<u8>`) or `read_line` (`B = String`), one line at a time.
fn lines_buf_reader<B: LineBuf>(s: TcpStream, _: usize) -> Pin<Box<dyn Future<Output = usize>>> {
    Box::pin(async move {
        let mut reader = BufReader::with_capacity(256 * 1024, s);
        let mut line = B::with_capacity(256);
        let mut sum = 0usize;
        while B::read_line(&mut reader, &mut line).await.unwrap() > 0 {
            let bytes = line.as_ref();
            sum += usize::from(bytes[bytes.len() - 2]);
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
        let mut frames = FrameReader::new(s, 4 * size).unwrap();
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
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
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
                ("BufReader::read_until", lines_buf_reader::<Vec<u8>>),
                ("BufReader::read_line", lines_buf_reader::<String>),
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
    println!(
        "| messages | reader | best round | MB/s | time / FrameReader (median round) | range |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for (title, data, size, mut readers) in groups {
        if let Some(filter) = &filter {
            readers.retain(|(name, _)| format!("{title} {name}").contains(filter.as_str()));
            if readers.is_empty() {
                continue;
            }
        }
        // took[r][i]: reader i's time in round r.
        let mut took = vec![vec![Duration::ZERO; readers.len()]; rounds];
        for row in took.iter_mut() {
            for (i, (_, read)) in readers.iter().enumerate() {
                row[i] = runtime.block_on(one_round(*read, data, size));
            }
        }
        for (i, (name, _)) in readers.iter().enumerate() {
            let best = took.iter().map(|row| row[i]).min().unwrap_or_default();
            let mut ratios: Vec<f64> = took
                .iter()
                .map(|row| row[i].as_secs_f64() / row[0].as_secs_f64())
                .collect();
            ratios.sort_by(f64::total_cmp);
            println!(
                "| {title} | {name} | {best:.2?} | {:.0} | {:.2}x | {:.2}..{:.2} |",
                data.len() as f64 / best.as_secs_f64() / 1e6,
                ratios[ratios.len() / 2],
                ratios[0],
                ratios[ratios.len() - 1],
            );
        }
    }
}
