//! A tokio echo server that parses lines where they land, with `FrameReader`.
//!
//! The server reads each connection into a `PicoByteStream` (the socket writes straight into
//! its free space) and gets every line back as one `&[u8]` borrowed from it, even when a line
//! straddles the physical end of the ring; it answers each line reversed. A client sends lines
//! of random lengths in writes cut at random places and checks every answer, reading them
//! with a `FrameReader` too.
//!
//! `cargo run --release --features tokio --example tokio_echo [-- --quick]`

use std::error::Error;
use std::time::Instant;

use picoring::FrameReader;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

async fn serve(socket: TcpStream) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = FrameReader::new(read, 64 * 1024).map_err(std::io::Error::other)?;
    let mut reply = Vec::with_capacity(64 * 1024);
    while let Some(line) = lines.next_line().await? {
        let body = &line[..line.len() - 1]; // a slice of the ring: no copy so far
        reply.extend(body.iter().rev());
        reply.push(b'\n');
        if reply.len() >= 32 * 1024 {
            write.write_all(&reply).await?;
            reply.clear();
        }
    }
    write.write_all(&reply).await?;
    write.shutdown().await
}

fn main() -> Result<(), Box<dyn Error>> {
    let count = if std::env::args().any(|a| a == "--quick") {
        2_000
    } else {
        500_000
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await?;
            serve(socket).await
        });

        // Lines of 0 to 199 letters from a fixed xorshift sequence.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let lines: Vec<Vec<u8>> = (0..count)
            .map(|_| {
                (0..next() % 200)
                    .map(|_| b'a' + (next() % 26) as u8)
                    .collect()
            })
            .collect();
        let mut data = Vec::new();
        for line in &lines {
            data.extend_from_slice(line);
            data.push(b'\n');
        }
        let cuts: Vec<usize> = (0..data.len() / 1000)
            .map(|_| 1 + (next() % 9000) as usize)
            .collect();

        let start = Instant::now();
        let (read, mut write) = TcpStream::connect(addr).await?.into_split();
        let sender = tokio::spawn(async move {
            let mut at = 0;
            for cut in cuts.into_iter().cycle() {
                if at >= data.len() {
                    break;
                }
                let end = (at + cut).min(data.len());
                write.write_all(&data[at..end]).await?;
                at = end;
            }
            write.shutdown().await
        });
        let mut answers = FrameReader::new(read, 64 * 1024)?;
        for (i, line) in lines.iter().enumerate() {
            let answer = answers
                .next_line()
                .await?
                .ok_or("the server stopped early")?;
            let reversed: Vec<u8> = line.iter().rev().copied().collect();
            if answer[..answer.len() - 1] != reversed[..] {
                return Err(format!("line {i} came back wrong").into());
            }
        }
        if answers.next_line().await?.is_some() {
            return Err("the server sent more lines than it got".into());
        }
        sender.await??;
        server.await??;
        let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
        println!(
            "tokio_echo: {count} lines ({:.1} MB) echoed and checked in {:.2?}",
            bytes as f64 / 1e6,
            start.elapsed()
        );
        Ok::<(), Box<dyn Error>>(())
    })
}
