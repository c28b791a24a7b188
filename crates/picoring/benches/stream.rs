//! Line framing of a 64 MiB log stream: `PicoByteStream::next_line` through a 1 MiB stream fed
//! in 64 KiB chunks, against `BufReader::read_line` (and `read_until`) over the same bytes.

use std::hint::black_box;
use std::io::{BufRead, BufReader, Cursor};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use picoring::PicoByteStream;

const TOTAL: usize = 64 << 20;
const STREAM_CAPACITY: usize = 1 << 20;
const CHUNK: usize = 64 << 10;

/// About 64 MiB of log-like lines, 40 to 200 bytes each, from a fixed seed.
fn log_data() -> Vec<u8> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let levels = ["INFO ", "WARN ", "DEBUG", "ERROR"];
    let mut data = Vec::with_capacity(TOTAL + 256);
    while data.len() < TOTAL {
        let r = next();
        let line = format!(
            "2026-11-30T23:{:02}:{:02}.{:03}Z {} worker-{} request id={} took {}ms path=/api/v1/items/",
            r % 60,
            (r >> 8) % 60,
            (r >> 16) % 1000,
            levels[(r >> 26) as usize % 4],
            (r >> 28) % 16,
            (r >> 32) % 1_000_000,
            (r >> 52) % 500,
        );
        data.extend_from_slice(line.as_bytes());
        let pad = (next() % 110) as usize;
        data.extend((0..pad).map(|i| b'a' + (i % 26) as u8));
        data.push(b'\n');
    }
    data
}

/// Feeds `data` in `CHUNK`s and frames every line; returns (lines, bytes) so nothing is elided.
fn picoring_lines(data: &[u8]) -> (usize, usize) {
    let mut stream = PicoByteStream::with_capacity(STREAM_CAPACITY).expect("1 MiB stream");
    let (mut lines, mut bytes) = (0, 0);
    let mut input = data;
    while !input.is_empty() {
        let n = stream.push_slice(&input[..input.len().min(CHUNK)]);
        input = &input[n..];
        while let Some(line) = stream.next_line() {
            lines += 1;
            bytes += black_box(line).len();
        }
    }
    (lines, bytes)
}

fn bufreader_read_line(data: &[u8]) -> (usize, usize) {
    let mut reader = BufReader::with_capacity(STREAM_CAPACITY, Cursor::new(data));
    let (mut lines, mut bytes) = (0, 0);
    let mut line = String::new();
    while reader.read_line(&mut line).expect("in-memory read") > 0 {
        lines += 1;
        bytes += black_box(&line).len();
        line.clear();
    }
    (lines, bytes)
}

fn bufreader_read_until(data: &[u8]) -> (usize, usize) {
    let mut reader = BufReader::with_capacity(STREAM_CAPACITY, Cursor::new(data));
    let (mut lines, mut bytes) = (0, 0);
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line).expect("in-memory read") > 0 {
        lines += 1;
        bytes += black_box(&line).len();
        line.clear();
    }
    (lines, bytes)
}

fn line_framing(c: &mut Criterion) {
    let data = log_data();
    // The three readers must agree before their speed means anything.
    let expected = bufreader_read_line(&data);
    assert_eq!(picoring_lines(&data), expected);
    assert_eq!(bufreader_read_until(&data), expected);

    let mut group = c.benchmark_group("line_framing_64MiB");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("PicoByteStream::next_line (1 MiB, 64 KiB chunks)", |b| {
        b.iter(|| picoring_lines(black_box(&data)))
    });
    group.bench_function("BufReader::read_line (String)", |b| {
        b.iter(|| bufreader_read_line(black_box(&data)))
    });
    group.bench_function("BufReader::read_until (Vec<u8>)", |b| {
        b.iter(|| bufreader_read_until(black_box(&data)))
    });
    group.finish();
}

criterion_group!(benches, line_framing);
criterion_main!(benches);
