//! The `tokio` feature: `FrameReader` over real loopback TCP and Unix sockets (100,000 lines
//! and thousands of frames of random lengths, written in pieces cut at random byte
//! boundaries, every one checked), its limits and end-of-stream errors, and tokio's traits
//! on the spsc byte ends.

mod common;

use std::io::ErrorKind;

use common::Rng;
use picoring::{FrameReader, LengthPrefix};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

fn random_lines(rng: &mut Rng, count: usize, max: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|_| {
            let n = rng.below(max);
            let mut line: Vec<u8> = (0..n).map(|_| b'a' + rng.below(26) as u8).collect();
            line.push(b'\n');
            line
        })
        .collect()
}

/// Writes `data` in pieces cut at random places, then shuts the write side down.
async fn send_split<W: AsyncWrite + Unpin>(mut writer: W, data: Vec<u8>, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut at = 0;
    while at < data.len() {
        let n = (1 + rng.below(9000)).min(data.len() - at);
        writer.write_all(&data[at..at + n]).await.unwrap();
        at += n;
    }
    writer.shutdown().await.unwrap();
}

async fn tcp_pair() -> (tokio::net::TcpStream, tokio::net::TcpStream) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_over_tcp_and_unix() {
    let mut rng = Rng::new(0x1234_5678);
    let lines = random_lines(&mut rng, 100_000, 300);
    let data: Vec<u8> = lines.concat();

    let (client, server) = tcp_pair().await;
    let sender = tokio::spawn(send_split(client, data.clone(), 1));
    let mut frames = FrameReader::new(server, 4096).unwrap();
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(
            frames.next_line().await.unwrap(),
            Some(&line[..]),
            "line {i}"
        );
    }
    assert_eq!(frames.next_line().await.unwrap(), None);
    sender.await.unwrap();

    let (client, server) = tokio::net::UnixStream::pair().unwrap();
    let sender = tokio::spawn(send_split(client, data, 2));
    let mut frames = FrameReader::new(server, 4096).unwrap();
    let mut i = 0;
    while let Some(line) = frames.next_until(b'\n').await.unwrap() {
        assert_eq!(line, &lines[i][..], "line {i}");
        i += 1;
    }
    assert_eq!(i, lines.len());
    sender.await.unwrap();
}

#[tokio::test]
async fn length_prefixed_frames_over_unix() {
    let mut rng = Rng::new(99);
    let payloads: Vec<Vec<u8>> = (0..20_000)
        .map(|_| (0..rng.below(3000)).map(|_| rng.next() as u8).collect())
        .collect();
    for prefix in [LengthPrefix::U16_BE, LengthPrefix::U32_LE] {
        let mut data = Vec::new();
        for p in &payloads {
            let len = p.len() as u32;
            if prefix == LengthPrefix::U16_BE {
                data.extend_from_slice(&(len as u16).to_be_bytes());
            } else {
                data.extend_from_slice(&len.to_le_bytes());
            }
            data.extend_from_slice(p);
        }
        let (client, server) = tokio::net::UnixStream::pair().unwrap();
        let sender = tokio::spawn(send_split(client, data, 3));
        let mut frames = FrameReader::new(server, 4096).unwrap();
        for (i, p) in payloads.iter().enumerate() {
            assert_eq!(
                frames.next_frame(prefix).await.unwrap(),
                Some(&p[..]),
                "frame {i}"
            );
        }
        assert_eq!(frames.next_frame(prefix).await.unwrap(), None);
        sender.await.unwrap();
    }
}

#[tokio::test]
async fn oversized_and_truncated_frames_are_errors_that_keep_the_bytes() {
    // A line longer than the limit, even longer than the ring (3x).
    let mut long = vec![b'x'; 3 * 4096];
    long.push(b'\n');
    let (client, server) = tokio::net::UnixStream::pair().unwrap();
    let sender = tokio::spawn(send_split(client, [b"ok\n".to_vec(), long].concat(), 4));
    let mut frames = FrameReader::new(server, 4096).unwrap().with_max_len(1000);
    assert_eq!(frames.next_line().await.unwrap(), Some(&b"ok\n"[..]));
    let err = frames.next_line().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(frames.buffered().len() >= 1000 && frames.buffered().iter().all(|&b| b == b'x'));
    drop(frames);
    sender.await.unwrap();

    // A frame announcing more than the maximum.
    let input: &[u8] = &[0, 0, 0x10, 0, 1, 2, 3];
    let mut frames = FrameReader::new(input, 4096).unwrap();
    let err = frames.next_frame(LengthPrefix::U32_BE).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert_eq!(frames.buffered(), input);

    // The stream ends inside a frame, a prefix, a line.
    for (input, which) in [
        (&[0u8, 5, 1, 2][..], 0),
        (&[0u8][..], 0),
        (&b"no newline"[..], 1),
    ] {
        let mut frames = FrameReader::new(input, 4096).unwrap();
        let err = if which == 0 {
            frames.next_frame(LengthPrefix::U16_BE).await.unwrap_err()
        } else {
            frames.next_line().await.unwrap_err()
        };
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        assert_eq!(frames.buffered(), input);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spsc_byte_ends_are_tokio_readers_and_writers() {
    let (tx, mut rx) = picoring::spsc::channel::<u8>(4096).unwrap();
    let mut rng = Rng::new(5);
    let lines = random_lines(&mut rng, 20_000, 200);
    let data = lines.concat();
    let sender = tokio::spawn(send_split(tx, data.clone(), 6));
    // AsyncBufRead: lines straight from the ring.
    let mut first = String::new();
    rx.read_line(&mut first).await.unwrap();
    assert_eq!(first.as_bytes(), &lines[0][..]);
    // AsyncRead: the rest.
    let mut rest = Vec::new();
    rx.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, &data[lines[0].len()..]);
    sender.await.unwrap();

    // A FrameReader over the consumer end: rings all the way down.
    let (tx, rx) = picoring::spsc::channel::<u8>(4096).unwrap();
    let sender = tokio::spawn(send_split(tx, data, 7));
    let mut frames = FrameReader::new(rx, 4096).unwrap();
    for line in &lines {
        assert_eq!(frames.next_line().await.unwrap(), Some(&line[..]));
    }
    assert_eq!(frames.next_line().await.unwrap(), None);
    sender.await.unwrap();
}

#[tokio::test]
async fn a_write_after_the_reader_is_gone_is_a_broken_pipe() {
    let (mut tx, rx) = picoring::spsc::channel::<u8>(64).unwrap();
    tx.write_all(b"x").await.unwrap();
    drop(rx);
    let err = tx.write_all(b"y").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    let (mut tx, _rx) = picoring::spsc::channel::<u8>(64).unwrap();
    tx.shutdown().await.unwrap();
    assert_eq!(
        tx.write(b"z").await.unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
}
