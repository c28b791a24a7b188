//! Windows: the placeholder backend is used where the system supports placeholders, and where it
//! does not (Wine 8 rejects the placeholder flags), it is reported unavailable and every ring
//! runs on the software mirror instead. `make test-windows` runs this under Wine and sets
//! `PICORING_EXPECT_BACKEND` to the backend that Wine version must end up with.
#![cfg(all(windows, not(miri)))]

use std::io::{Read, Write};

use picoring::mirror::{granularity, Backend, MirrorBuffer, MirrorOptions};
use picoring::{Error, PicoByteStream, PicoQueue, PicoRing};

/// The backend the default choice must be, when the environment says which.
fn expected_backend() -> Option<Backend> {
    let name = std::env::var("PICORING_EXPECT_BACKEND").ok()?;
    let backend = [Backend::Placeholder, Backend::Software]
        .into_iter()
        .find(|b| format!("{b:?}") == name);
    Some(backend.unwrap_or_else(|| panic!("PICORING_EXPECT_BACKEND={name}: not a Windows backend")))
}

#[test]
fn default_backend_is_the_one_the_system_supports() {
    let order = Backend::default_order();
    let supported = Backend::Placeholder.is_available();
    let chosen = MirrorBuffer::new(1).unwrap().backend();
    println!("placeholders supported: {supported}; default backend: {chosen:?}");
    if supported {
        assert_eq!(order, &[Backend::Placeholder, Backend::Software]);
        assert_eq!(chosen, Backend::Placeholder);
    } else {
        assert_eq!(order, &[Backend::Software]);
        assert_eq!(chosen, Backend::Software);
    }
    if let Some(expected) = expected_backend() {
        assert_eq!(chosen, expected, "the default backend on this system");
    }
}

#[test]
fn placeholder_backend_is_refused_where_unsupported() {
    let options = MirrorOptions::new().backend(Backend::Placeholder);
    let result = MirrorBuffer::with_options(1, &options);
    if Backend::Placeholder.is_available() {
        assert_eq!(result.unwrap().backend(), Backend::Placeholder);
    } else {
        // Not the system's refusal of the flags (an `Error::Os`): the backend is unavailable.
        match result {
            Err(Error::BackendUnavailable(Backend::Placeholder)) => {}
            other => panic!("expected BackendUnavailable(Placeholder), got {other:?}"),
        }
    }
    // The answer is settled once: asking again gives the same.
    let again = MirrorBuffer::with_options(1, &options).map(|b| b.backend());
    assert_eq!(
        again.ok(),
        Backend::Placeholder
            .is_available()
            .then_some(Backend::Placeholder)
    );
}

#[test]
fn mirror_wraps_on_the_chosen_backend() {
    let mut buf = MirrorBuffer::new(1).unwrap();
    let n = buf.len();
    assert_eq!(n, granularity());
    assert_eq!(buf.as_ptr() as usize % granularity(), 0);
    buf.write_at(n - 3, b"wrapped").unwrap();
    assert_eq!(buf.slice(n - 3, 7), Some(&b"wrapped"[..]));
    assert_eq!(buf.slice(0, 4), Some(&b"pped"[..]));
}

#[test]
fn rings_run_and_report_their_backend() {
    let mut ring = PicoRing::<u32>::with_capacity(1000).unwrap();
    let backend = ring.backend();
    assert_eq!(Some(&backend), Backend::default_order().first());
    let cap = ring.capacity();
    // Three laps through the physical end, each queued run read back as one slice.
    let mut next = 0u32;
    let mut expected = 0u32;
    for _ in 0..3 * cap / 100 {
        for _ in 0..100 {
            ring.push(next).unwrap();
            next += 1;
        }
        let run = ring.readable();
        assert_eq!(run.len(), 100);
        assert!(run.iter().copied().eq(expected..expected + 100));
        ring.consume(100);
        expected += 100;
    }

    let mut queue = PicoQueue::<u64>::with_capacity(10).unwrap();
    assert_eq!(queue.backend(), backend);
    for round in 0..3 * queue.capacity() as u64 {
        queue.push(round).unwrap();
        assert_eq!(queue.pop(), Some(round));
    }

    let mut stream = PicoByteStream::with_capacity(1).unwrap();
    assert_eq!(stream.backend(), backend);
    let chunk: Vec<u8> = (0..=250).collect();
    let mut back = vec![0; chunk.len()];
    for _ in 0..3 * stream.capacity() / chunk.len() {
        stream.write_all(&chunk).unwrap();
        stream.read_exact(&mut back).unwrap();
        assert_eq!(back, chunk);
    }
}
