//! Rings shared between processes: `SharedRingByte` (bytes) and `SharedRing` (typed frames),
//! translating `picoring::ipc`.
//!
//! An object holds the ring (`ipc::SharedRing`) and, once claimed, one or both of its ends.
//! Each end sits behind its own lock ([`Slot`]), apart from the object's: a thread blocked
//! reading (GIL released, the consumer's lock held for one bounded wait at a time) never holds
//! up a thread writing through the same object. Lock order: the object's lock, then an end's
//! (the queries `len`, `role`, `is_abandoned`); an end's lock is never held while the
//! object's is taken.
//!
//! Blocking calls wait in the library's own waits (futexes in the shared header, peer
//! liveness checks), cut into slices of [`SLICE`] with the GIL released; between slices they
//! run Python's signal handlers (Ctrl-C) and notice `close()`.
//!
//! After `fork()` the ring stays shared (its memory is the file's), but the ends an object
//! held belong to the parent: the child's copy of the object forgets them and claims its own.

mod byte;
mod typed;

pub(crate) use byte::SharedRingByte;
pub(crate) use typed::SharedRing;

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use picoring::ipc::{Consumer, Producer, Role, SharedRing as Ring};
use pyo3::exceptions::{PyPermissionError, PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;

use crate::guard::{Exports, Guarded};

/// The longest a blocking call sleeps before it checks for signals and `close()`. The library
/// checks the peer's liveness every `LIVENESS_SLICE` (50 ms) of a wait, so a slice of twice
/// that sees a dead peer within one slice.
const SLICE: Duration = Duration::from_millis(100);

/// One end of the ring as an object holds it: claimed on first use.
pub(crate) struct End<E> {
    ring: Ring<u8>,
    end: Option<E>,
}

/// An end behind its own lock; the slot's `granted` is the producer's writable-view grant.
pub(crate) type Slot<E> = Arc<Guarded<End<E>>>;

/// The two ends' claim calls, and what each waits for: free bytes (the producer) or queued
/// ones (the consumer).
pub(crate) trait Claim: Sized + Send + 'static {
    fn claim(ring: &Ring<u8>) -> io::Result<Self>;
    fn is_abandoned(&self) -> bool;
    /// The bytes this end can move now.
    fn ready(&mut self) -> usize;
    /// The library's wait for `n` bytes to move, for at most `slice`.
    fn wait_ready(&mut self, n: usize, slice: Duration) -> io::Result<usize>;
}

/// Implements [`Claim`] for the library's two ends, whose calls differ only in name.
macro_rules! impl_claim {
    ($($end:ident: $claim:ident, $ready:ident, $wait:ident;)*) => {$(
        impl Claim for $end<u8> {
            fn claim(ring: &Ring<u8>) -> io::Result<Self> {
                ring.$claim()
            }
            fn is_abandoned(&self) -> bool {
                $end::is_abandoned(self)
            }
            fn ready(&mut self) -> usize {
                self.$ready()
            }
            fn wait_ready(&mut self, n: usize, slice: Duration) -> io::Result<usize> {
                self.$wait(n, Some(slice))
            }
        }
    )*};
}

impl_claim! {
    Producer: producer, free_len, wait_writable;
    Consumer: consumer, len, wait_readable;
}

impl<E: Claim> End<E> {
    /// The end, claimed now if this object does not hold it yet.
    pub(crate) fn claimed(&mut self) -> PyResult<&mut E> {
        if self.end.is_none() {
            self.end = Some(E::claim(&self.ring).map_err(io_error)?);
        }
        self.end
            .as_mut()
            .ok_or_else(|| PyRuntimeError::new_err("shared ring end missing after its claim"))
    }

    pub(crate) fn held(&mut self) -> Option<&mut E> {
        self.end.as_mut()
    }
}

/// What the object's own lock guards: the ring, the two end slots, the explicit role.
pub(crate) struct Shared {
    pub(crate) ring: Ring<u8>,
    producer: Slot<Producer<u8>>,
    consumer: Slot<Consumer<u8>>,
    /// Set by `as_producer()`/`as_consumer()`: this object then refuses the other end.
    pub(crate) explicit: Option<Role>,
    /// The object's export counters, shared by the slots (they check and count them).
    exports: Arc<Exports>,
    /// The fork generation the slots were made in.
    generation: u64,
}

fn slot<E>(ring: &Ring<u8>, exports: &Arc<Exports>) -> Slot<E> {
    let mut guarded = Guarded::new(
        "SharedRingByte",
        End {
            ring: ring.clone(),
            end: None,
        },
    );
    guarded.exports = Arc::clone(exports).into();
    Arc::new(guarded)
}

impl Shared {
    pub(crate) fn new(ring: Ring<u8>, exports: &Arc<Exports>) -> Self {
        Shared {
            producer: slot(&ring, exports),
            consumer: slot(&ring, exports),
            ring,
            explicit: None,
            exports: Arc::clone(exports),
            generation: crate::guard::fork_generation(),
        }
    }

    /// In a forked child, drops the parent's ends from this object (leaking them: their
    /// locks may be held by threads that did not survive the fork, and the roles are the
    /// parent's) and starts with none.
    fn refresh(&mut self) {
        let now = crate::guard::fork_generation();
        if self.generation == now {
            return;
        }
        let fresh_producer = slot(&self.ring, &self.exports);
        let fresh_consumer = slot(&self.ring, &self.exports);
        std::mem::forget(std::mem::replace(&mut self.producer, fresh_producer));
        std::mem::forget(std::mem::replace(&mut self.consumer, fresh_consumer));
        self.explicit = None;
        self.generation = now;
    }

    /// The producer's slot, unless this object was made the consumer.
    pub(crate) fn producer(&mut self) -> PyResult<Slot<Producer<u8>>> {
        self.refresh();
        if self.explicit == Some(Role::Consumer) {
            return Err(wrong_end("the consumer end", "write"));
        }
        Ok(Arc::clone(&self.producer))
    }

    /// The consumer's slot, unless this object was made the producer.
    pub(crate) fn consumer(&mut self) -> PyResult<Slot<Consumer<u8>>> {
        self.refresh();
        if self.explicit == Some(Role::Producer) {
            return Err(wrong_end("the producer end", "read"));
        }
        Ok(Arc::clone(&self.consumer))
    }

    /// Queued bytes as the end this object holds sees them (0 while it holds none). Called
    /// under the object's lock: takes the ends' locks inside it (see the lock order above).
    pub(crate) fn queued(&mut self) -> PyResult<usize> {
        let (producer, consumer) = self.slots();
        Python::attach(|py| {
            if let Some(n) = consumer.with(py, |end, _| Ok(end.held().map(|c| c.len())))? {
                return Ok(n);
            }
            Ok(producer
                .with(py, |end, _| Ok(end.held().map(|p| p.len())))?
                .unwrap_or(0))
        })
    }

    /// Which ends this object holds: `None`, `"producer"`, `"consumer"` or `"both"`. Called
    /// under the object's lock, as [`Shared::queued`].
    pub(crate) fn role(&mut self) -> PyResult<Option<&'static str>> {
        let (producer, consumer) = self.slots();
        Python::attach(|py| {
            let p = producer.with(py, |end, _| Ok(end.held().is_some()))?;
            let c = consumer.with(py, |end, _| Ok(end.held().is_some()))?;
            Ok(match (p, c) {
                (false, false) => None,
                (true, false) => Some("producer"),
                (false, true) => Some("consumer"),
                (true, true) => Some("both"),
            })
        })
    }

    /// Whether the end this object holds has lost its peer (false when it holds both or
    /// neither). Called under the object's lock, as [`Shared::queued`].
    pub(crate) fn is_abandoned(&mut self) -> PyResult<bool> {
        let (producer, consumer) = self.slots();
        Python::attach(|py| {
            let p = producer.with(py, |end, _| Ok(end.held().map(|p| p.is_abandoned())))?;
            let c = consumer.with(py, |end, _| Ok(end.held().map(|c| c.is_abandoned())))?;
            Ok(match (p, c) {
                (Some(gone), None) | (None, Some(gone)) => gone,
                _ => false,
            })
        })
    }

    /// Both slots, whatever the explicit role (for queries).
    pub(crate) fn slots(&mut self) -> (Slot<Producer<u8>>, Slot<Consumer<u8>>) {
        self.refresh();
        (Arc::clone(&self.producer), Arc::clone(&self.consumer))
    }
}

pyo3::import_exception!(io, UnsupportedOperation);

/// `io.UnsupportedOperation`, as a file opened for writing raises on `read()`. Made lazily (no
/// Python object is created here: callers hold the object's lock).
pub(crate) fn wrong_end(this: &str, what: &str) -> PyErr {
    UnsupportedOperation::new_err(format!(
        "this shared ring object was claimed as {this} (as_producer()/as_consumer()): it cannot {what}"
    ))
}

/// Translates a library error into the exception Python's own types raise for the cause.
pub(crate) fn io_error(err: io::Error) -> PyErr {
    if let Some(taken @ picoring::Error::RoleTaken { .. }) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<picoring::Error>())
    {
        // A role another live process holds: refused, as an open of a file held exclusively.
        return PyPermissionError::new_err(taken.to_string());
    }
    match err.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
            PyValueError::new_err(err.to_string())
        }
        _ if err.get_ref().is_some_and(|e| e.is::<picoring::Error>()) => {
            match err.into_inner().map(|e| e.downcast::<picoring::Error>()) {
                Some(Ok(lib)) => crate::guard::to_py_err(*lib),
                _ => PyRuntimeError::new_err("unexpected error value"),
            }
        }
        // A name that is not one path component, and the like: bad input.
        io::ErrorKind::InvalidInput => PyValueError::new_err(err.to_string()),
        _ => PyErr::from(err),
    }
}

/// `BrokenPipeError`, as a pipe's writer gets when its reader is gone.
/// Removes a shared ring's `name` from the file system (`class` names the Python class in
/// the error for an anonymous ring); attached objects keep working.
pub(crate) fn unlink(name: Option<String>, class: &str) -> PyResult<()> {
    let name = name.ok_or_else(|| {
        PyValueError::new_err(format!("this {class} has no name (it is anonymous)"))
    })?;
    Ring::<u8>::unlink(&name).map_err(io_error)
}

pub(crate) fn broken_pipe() -> PyErr {
    pyo3::exceptions::PyBrokenPipeError::new_err("the consumer of this shared ring is gone")
}

/// Claims `role` for the object `owner` alone (`shared` finds its [`Shared`]): refused with
/// `io.UnsupportedOperation` when the object holds, or was made, the other end.
pub(crate) fn claim_only<O>(
    owner: &Guarded<O>,
    py: Python<'_>,
    role: Role,
    shared: impl Fn(&mut O) -> &mut Shared,
) -> PyResult<()> {
    let (this, other) = match role {
        Role::Producer => ("the consumer end", "become the producer"),
        Role::Consumer => ("the producer end", "become the consumer"),
    };
    let (producer, consumer) = owner.with(py, |o, _| {
        let s = shared(o);
        let slots = s.slots(); // first: forgets a parent's claims after a fork
        if s.explicit.is_some_and(|r| r != role) {
            return Err(wrong_end(this, other));
        }
        Ok(slots)
    })?;
    let holds_other = match role {
        Role::Producer => consumer.with(py, |end, _| Ok(end.held().is_some()))?,
        Role::Consumer => producer.with(py, |end, _| Ok(end.held().is_some()))?,
    };
    if holds_other {
        return Err(wrong_end(this, &format!("{other} only")));
    }
    match role {
        Role::Producer => producer.with(py, |end, _| end.claimed().map(|_| ()))?,
        Role::Consumer => consumer.with(py, |end, _| end.claimed().map(|_| ()))?,
    }
    owner.with(py, |o, _| {
        shared(o).explicit = Some(role);
        Ok(())
    })
}

/// Publishes all of `src` at once (a reader sees all of it or none), first waiting as
/// [`wait_end`] does until it fits; `BrokenPipeError` when the consumer is gone.
pub(crate) fn push_whole<O>(
    owner: &Guarded<O>,
    slot: &Guarded<End<Producer<u8>>>,
    py: Python<'_>,
    until: Option<Instant>,
    src: &[u8],
    what: &str,
) -> PyResult<()> {
    loop {
        let pushed = slot.with(py, |end, granted| {
            slot.exports.check_no_writers()?;
            let p = end.claimed()?;
            if p.free_len() < src.len() {
                return Ok(false);
            }
            if src.len() >= crate::guard::DETACH_BYTES {
                py.detach(|| p.push_slice(src));
            } else {
                p.push_slice(src);
            }
            *granted = 0;
            Ok(true)
        })?;
        if pushed {
            return Ok(());
        }
        match wait_end(owner, slot, py, until, what, src.len())? {
            Waited::Ready(_) => {}
            Waited::Gone => return Err(broken_pipe()),
        }
    }
}

/// How a blocking wait ended.
pub(crate) enum Waited {
    /// The library's wait returned this count.
    Ready(usize),
    /// The peer is gone (end of stream for a reader, broken pipe for a writer).
    Gone,
}

/// Waits until the end in `slot` can move `want` bytes ([`Claim::ready`]): at once when it
/// already can, otherwise in the library's wait ([`Claim::wait_ready`], slices of at most
/// [`SLICE`]) with the GIL released until it succeeds or reports the peer gone; in between,
/// runs signal handlers and checks that `owner` is still open. `TimeoutError` (`what`) once
/// `until` passes, after a last look at whether the peer is gone.
pub(crate) fn wait_end<O, E: Claim>(
    owner: &Guarded<O>,
    slot: &Guarded<End<E>>,
    py: Python<'_>,
    until: Option<Instant>,
    what: &str,
    want: usize,
) -> PyResult<Waited> {
    let now = slot.with(py, |end, _| Ok(end.claimed()?.ready()))?;
    if now >= want {
        return Ok(Waited::Ready(now));
    }
    loop {
        let now = Instant::now();
        let slice = match until {
            Some(until) if now >= until => {
                let gone = slot.with(py, |end, _| Ok(end.claimed()?.is_abandoned()))?;
                if gone {
                    return Ok(Waited::Gone);
                }
                return Err(PyTimeoutError::new_err(what.to_owned()));
            }
            Some(until) => (until - now).min(SLICE),
            None => SLICE,
        };
        let result = slot.with(py, |end, _| {
            let end = end.claimed()?;
            Ok(py.detach(move || end.wait_ready(want, slice)))
        })?;
        match result {
            Ok(n) => return Ok(Waited::Ready(n)),
            Err(err) if err.kind() == io::ErrorKind::TimedOut => {}
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe
                ) =>
            {
                return Ok(Waited::Gone)
            }
            Err(err) => return Err(io_error(err)),
        }
        py.check_signals()?;
        if owner.is_closed(py) {
            return Err(PyValueError::new_err(format!(
                "operation on a closed {}",
                owner.name()
            )));
        }
    }
}

/// Registers a class with multiprocessing's pickler, once per process (`done` is the class's
/// own flag).
pub(crate) fn register_pickling(
    py: Python<'_>,
    class: &Bound<'_, pyo3::types::PyType>,
    done: &std::sync::atomic::AtomicBool,
) -> PyResult<()> {
    use std::sync::atomic::Ordering;
    if done.load(Ordering::Acquire) {
        return Ok(());
    }
    py.import("picoring._shared")?
        .getattr("register")?
        .call1((class,))?;
    done.store(true, Ordering::Release);
    Ok(())
}
