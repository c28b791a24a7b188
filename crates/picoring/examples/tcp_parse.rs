//! Parse HTTP-style requests from a TCP stream in place, with no copy to "make contiguous".
//!
//! A client thread sends requests over a local socket (127.0.0.1, an OS-chosen port) in
//! writes of arbitrary size. The server `read(2)`s straight into the ring's free space and
//! parses complete requests straight out of `readable()`: one slice even when a request
//! straddles the physical end of the buffer, which a plain ring would have to copy.
//!
//! `cargo run --release --example tcp_parse [-- --quick]`

use std::error::Error;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Instant;

use picoring::PicoRing;

/// Finds the end of the request head (`\r\n\r\n`) in `bytes`; returns its length including it.
fn head_len(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// Checks one request head and returns its sequence number (the path is `/item/<n>`).
fn parse_request(head: &[u8]) -> Result<u64, Box<dyn Error>> {
    let line_end = head
        .iter()
        .position(|&b| b == b'\r')
        .ok_or("no request line")?;
    let line = std::str::from_utf8(&head[..line_end])?;
    let mut parts = line.split(' ');
    let (method, path, version) = (parts.next(), parts.next(), parts.next());
    if method != Some("GET") || version != Some("HTTP/1.1") {
        return Err(format!("bad request line {line:?}").into());
    }
    let seq = path
        .and_then(|p| p.strip_prefix("/item/"))
        .ok_or("bad path")?;
    Ok(seq.parse()?)
}

fn client(port: u16, requests: u64) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    let mut batch = Vec::with_capacity(64 * 1024);
    for i in 0..requests {
        write!(
            batch,
            "GET /item/{i} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: picoring-example\r\n\r\n"
        )?;
        // Odd-sized writes, so requests arrive split across reads.
        if batch.len() > 7_777 {
            stream.write_all(&batch)?;
            batch.clear();
        }
    }
    stream.write_all(&batch)
}

fn main() -> Result<(), Box<dyn Error>> {
    let quick = std::env::args().any(|a| a == "--quick");
    let requests: u64 = if quick { 20_000 } else { 1_000_000 };

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let sender = thread::spawn(move || client(port, requests));
    let (mut stream, _) = listener.accept()?;

    let mut ring = PicoRing::<u8>::with_capacity(64 * 1024)?;
    let capacity = ring.capacity();
    let start = Instant::now();
    let (mut parsed, mut bytes, mut straddling) = (0u64, 0u64, 0u64);
    let mut read_from = 0usize; // physical offset of readable()[0], to count wrapped requests
    loop {
        let n = stream.read(ring.writable())?;
        if n == 0 {
            break;
        }
        ring.commit(n);
        while let Some(len) = head_len(ring.readable()) {
            let seq = parse_request(&ring.readable()[..len])?;
            if seq != parsed {
                return Err(format!("request {seq} arrived in place of {parsed}").into());
            }
            if read_from + len > capacity {
                straddling += 1;
            }
            read_from = (read_from + len) % capacity;
            ring.consume(len);
            parsed += 1;
            bytes += len as u64;
        }
    }
    sender.join().map_err(|_| "client thread panicked")??;
    if parsed != requests || !ring.is_empty() {
        return Err(format!("parsed {parsed} of {requests} requests").into());
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "tcp_parse: {parsed} requests ({:.1} MB) parsed in place from a {} KiB ring in {:.3} s: \
         {:.2} M requests/s, {:.0} MB/s; {straddling} straddled the ring's end and were still one slice",
        bytes as f64 / 1e6,
        capacity / 1024,
        secs,
        parsed as f64 / secs / 1e6,
        bytes as f64 / secs / 1e6,
    );
    Ok(())
}
