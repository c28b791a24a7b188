//! Rings shared between processes: the queued bytes (or elements) are one contiguous slice in
//! every process that maps the ring.
//!
//! A [`SharedRing`] is a file (an anonymous memfd, or a named file under `/dev/shm`) holding a
//! header page and the data, mapped with the data mirrored as in [`crate::mirror`]. Any process
//! that has the file can attach: by inheriting or receiving the descriptor
//! ([`SharedRing::from_fd`], the descriptor from [`SharedRing::as_fd`] passed by inheritance or
//! `SCM_RIGHTS`) or by name ([`SharedRing::create_named`] / [`SharedRing::open_named`]). One
//! process at a time holds the [`Producer`] role and one the [`Consumer`] role; the ends have the
//! words of the [`spsc`](crate::spsc) ends: [`writable`](Producer::writable) +
//! [`commit`](Producer::commit), [`readable`](Consumer::readable) +
//! [`consume`](Consumer::consume), [`push_slice`](Producer::push_slice) /
//! [`pop_slice`](Consumer::pop_slice), [`wait_writable`](Producer::wait_writable) /
//! [`wait_readable`](Consumer::wait_readable) with timeouts, and `std::io::Write` / `Read` /
//! `BufRead` on the byte ends.
//!
//! ```
//! # #[cfg(any(target_os = "linux", target_os = "android"))] {
//! use std::io::{Read, Write};
//! use picoring::ipc::SharedRing;
//!
//! let ring = SharedRing::<u8>::create(1 << 16)?;
//! // Another process would call `SharedRing::from_fd` on a copy of `ring.as_fd()`, or
//! // `SharedRing::open_named` for a named ring; one process can play both roles too.
//! let mut tx = ring.producer()?;
//! let mut rx = ring.consumer()?;
//! tx.write_all(b"one contiguous slice")?;
//! drop(tx); // the consumer reads what was committed, then end-of-stream
//! let mut got = String::new();
//! rx.read_to_string(&mut got)?;
//! assert_eq!(got, "one contiguous slice");
//! # }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Roles
//!
//! [`SharedRing::producer`] and [`SharedRing::consumer`] claim a role in the header: each is held
//! by at most one end in one live process. A second claim while the holder lives fails with
//! [`io::ErrorKind::AlreadyExists`] (carrying a [`RoleTaken`](crate::Error::RoleTaken)); a role whose holder dropped its
//! end, exited, crashed or was killed can be claimed again. A new producer continues from the
//! last published position (a chunk the dead one had not committed is gone); a new consumer
//! continues from the last consumed position (data the dead one had read but not consumed is
//! delivered again).
//!
//! # A peer that goes away
//!
//! - The consumer reads everything that was committed, then sees end-of-stream:
//!   [`Consumer::wait_readable`] fails with [`io::ErrorKind::UnexpectedEof`] and `read` returns
//!   `Ok(0)`, as on a pipe.
//! - The producer gets [`io::ErrorKind::BrokenPipe`] from its waits and `write`. Unlike a
//!   pipe's writer, which the kernel tells at once, it learns that a consumer was killed only
//!   when it has to wait (the ring full) or asks [`Producer::is_abandoned`]: until then its
//!   writes succeed and are lost with the ring; from then on every `write` fails.
//! - "Gone" means the holder released the role (dropped its end), or the process that claimed
//!   it no longer runs. A clean release is seen at once; a process that died without releasing
//!   is noticed within one waiting slice ([`LIVENESS_SLICE`]) of a blocked wait.
//! - Before the other role has ever been claimed, nobody is "gone": a consumer waits for a
//!   producer to come, a producer fills the ring and then waits for a consumer.
//!
//! A chunk is published only by [`commit`](Producer::commit) (or `push_slice`/`write`, which
//! commit what they copied), after its bytes are written: a producer that dies half-way
//! through a chunk leaves nothing of it visible.
//!
//! # Blocking
//!
//! A blocked end polls for about a microsecond, then sleeps on a futex word in the shared
//! header (process-shared futexes, not the thread signals of [`spsc`](crate::spsc)). Before
//! sleeping it writes down how many bytes it waits for and raises a flag; the other end, after
//! moving its index, makes the wake-up system call only when the flag is up and the sleeper's
//! count is reached, and lowers the flag: one wake-up per sleep, and none in the fast path. As
//! a socket's writer does, a producer waiting for space asks to be woken once half the ring is
//! free (or what it asked for, if more), so a consumer draining a full ring wakes it once per
//! half ring, not once per chunk. Sleeps last at most [`LIVENESS_SLICE`], after which the
//! sleeper checks that its peer still lives, then sleeps again: an idle end wakes a few times
//! a second and does nothing else. Before an end sleeps, it wakes a peer that sleeps too, so
//! the two never wait on each other's thresholds.
//!
//! Waits are not interrupted by signals: a caller that must react to one (Ctrl-C in Python)
//! waits with short timeouts in a loop.
//!
//! # Liveness
//!
//! A claim records the claiming process's pid and the low 32 bits of its start time (clock
//! ticks after boot, from `/proc/<pid>/stat`). The holder counts as alive while `kill(pid, 0)`
//! finds the process, `/proc` does not call it a zombie, and its start time matches, so a
//! recycled pid is not taken for the dead holder. Both processes must share a pid namespace
//! (true for ordinary processes, not across containers). Without `/proc`, the pid alone is
//! checked.
//!
//! # Trust model
//!
//! The header and the data are memory another process writes; this process never trusts them:
//!
//! - On attach the magic number, the layout version and the geometry (header and data sizes,
//!   whole pages and whole elements, within the address space and within the file's size) are
//!   read with `pread` and checked before anything is mapped; a wrong, foreign or truncated file
//!   is an error ([`io::ErrorKind::InvalidData`]), never a mapping of the wrong size.
//! - Each end keeps its own position and the geometry in private memory. Every index read from
//!   the header (the other end's position) is checked against them before use (`tail - head`
//!   must lie within the capacity); a bad one makes the end fail with
//!   [`io::ErrorKind::InvalidData`] from then on. So a corrupt or hostile header can make the
//!   ring report an error, lose or garble data, or stall, but it can never make this process
//!   read or write outside its mapping.
//! - A misbehaving peer can write anything into the data, including the bytes of a slice that
//!   [`Consumer::readable`] returned while it is in use: validate what you read from a peer you
//!   do not trust after copying it.
//! - It can claim roles with false identities, or hold them forever: a denial of service.
//! - Anonymous rings are sealed (`F_SEAL_SHRINK | F_SEAL_GROW`), so their size cannot change.
//!   A named ring is a plain file: a process allowed to write it could shrink it, and then this
//!   process would get `SIGBUS` on touching the lost pages. Share named rings only between
//!   processes that trust each other with that (by default the file is the creating user's
//!   alone, mode `0600`).
//!
//! # `fork()`
//!
//! Shared rings are the one exception to the copy that [`crate::mirror`] makes of every private
//! ring in a forked child: they stay shared, which is their purpose. A role belongs to the
//! process that claimed it; an end inherited by a child still acts for the parent (the child
//! should drop it or leave it alone, and should claim its own), and dropping it in the child
//! does not release the parent's role.
//!
//! # Typed elements
//!
//! `SharedRing<T>` for any [`Pod`] type moves elements: positions stay in bytes in the header,
//! the data is a whole number of elements and pages, and the ends count in elements. A ring
//! records the element size it was created with ([`SharedRing::frame_len`]); attaching with
//! another element type fails, except that a byte view (`SharedRing<u8>`) may attach to any
//! ring. [`SharedRing::create_framed`] makes a byte ring of whole frames of a size chosen at run
//! time (for bindings whose element type is not a Rust type).
//!
//! # Named rings
//!
//! A named ring is the file `/dev/shm/<name>` (what `shm_open` uses), created with mode `0600`.
//! It outlives every process until [`SharedRing::unlink`] removes it, as with POSIX shared
//! memory; anonymous rings disappear with the last descriptor and mapping.
//!
//! # Platforms
//!
//! Linux is implemented and tested; Android builds the same code (anonymous rings; there is no
//! `/dev/shm` there) and is compile-checked only. Elsewhere every constructor returns
//! [`io::ErrorKind::Unsupported`]. The designs for the other systems:
//!
//! - **macOS**: the file is a POSIX shared-memory object (`shm_open`, named or with a random
//!   name unlinked at once, passed as a descriptor), mapped mirrored with `mmap(MAP_FIXED)` into a
//!   reservation as here (or `mach_vm_remap`, as the private macOS mirror does). Futexes become
//!   `os_sync_wait_on_address` / `os_sync_wake_by_address_any` with the `SHARED` flag (macOS
//!   14.4+; `__ulock_wait` with `UL_COMPARE_AND_WAIT_SHARED` before). Liveness: `kill(pid, 0)`
//!   and the start time from `proc_pidinfo(PROC_PIDTBSDINFO)`.
//! - **Windows**: a named section (`CreateFileMappingW` on the paging file; passed by name or by
//!   a duplicated handle), mapped as header view + two data views into placeholders
//!   (`VirtualAlloc2` + `MapViewOfFile3`, as the private Windows mirror does, at a 64 KiB
//!   header). `WaitOnAddress` does not cross processes, so each side sleeps on a named
//!   auto-reset event instead, with the same "flag yourself asleep first" protocol. Liveness:
//!   the owner word holds the process id and its creation time (`GetProcessTimes`), checked with
//!   `OpenProcess` + `GetExitCodeProcess`.
//!
//! # Many producers
//!
//! The ring has one producer role. Records from many producer processes (the cross-process
//! form of [`mpsc`](crate::mpsc)) are not provided: the in-process design does not carry over
//! as it is. There a producer reserves space with one compare-and-swap on the reserve index,
//! then writes its record's header and body and marks it committed; a producer thread cannot
//! die in between without taking the process with it. Across processes it can, and at the
//! worst moment, just after its reservation and before its header: the consumer then finds
//! stale bytes where the length should be, and cannot skip a record whose length it does not
//! know. It would need, per producer, a claimed slot in the header (owner word as for the roles
//! here) holding an intent record written before the compare-and-swap (position and length),
//! so that the consumer, finding a record neither committed nor headed at position `p`, looks
//! for the live intent at `p`, and skips the length it names once that producer is dead; and
//! per-lap tags on record headers, so a stale header from an earlier lap is never taken for a
//! new one.

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Pod;

mod ends;
mod header;
mod io_impl;

// The system calls: `sys::ipc` and `sys::futex` where shared rings exist, a stub elsewhere.
#[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
use crate::sys::{futex, ipc as os};
#[cfg(not(all(any(target_os = "linux", target_os = "android"), not(miri))))]
mod unsupported;
#[cfg(not(all(any(target_os = "linux", target_os = "android"), not(miri))))]
use unsupported::{self as os, futex};

pub use ends::{Consumer, Producer};

use header::{Geometry, Header, RoleSlot, HEADER_SIZE, MAGIC, VERSION};

/// The longest a blocked end sleeps before it checks that its peer still lives: the delay
/// before a peer that died without releasing its role is noticed.
pub const LIVENESS_SLICE: Duration = Duration::from_millis(50);

/// How long a waiting end polls before it sleeps on the futex. Kept short: on a loaded machine
/// the peer is often not running at all, and a longer spin (10 and 50 us were measured) only
/// burnt processor time that the peer needed, for no fewer sleeps.
const SPIN_BEFORE_SLEEP: Duration = Duration::from_micros(1);

/// A ring shared between processes: see the [module docs](self).
///
/// The handle maps the ring; the [`Producer`] and [`Consumer`] it gives out keep the mapping
/// alive on their own, so the handle may be dropped first. Each handle holds one descriptor
/// (see [`as_fd`](Self::as_fd)).
///
/// # Examples
///
/// ```
/// # #[cfg(any(target_os = "linux", target_os = "android"))] {
/// use picoring::ipc::SharedRing;
///
/// let ring = SharedRing::<u32>::create(1000)?;
/// assert!(ring.capacity() >= 1000);
/// let (mut tx, mut rx) = (ring.producer()?, ring.consumer()?);
/// tx.push_slice(&[1, 2, 3]);
/// assert_eq!(rx.readable(), &[1, 2, 3]);
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SharedRing<T: Pod = u8> {
    inner: Arc<Inner>,
    _elem: PhantomData<T>,
}

/// What every handle and end of one attached ring shares.
struct Inner {
    /// `[header | data | data again]`.
    map: os::Mapping,
    /// The file; kept open for `as_fd`.
    #[cfg_attr(not(unix), allow(dead_code))]
    file: os::File,
    /// The geometry, checked on attach and never read from shared memory again.
    geometry: Geometry,
    /// The name, for a named ring.
    name: Option<String>,
}

impl Inner {
    /// Creates the file, maps it and writes a fresh header.
    fn create(name: Option<&str>, bytes: usize, frame_len: usize) -> io::Result<Inner> {
        if bytes == 0 {
            return Err(crate::Error::ZeroCapacity.into());
        }
        let geometry = Geometry::for_new(bytes, frame_len, os::page_size())
            .ok_or(crate::Error::CapacityOverflow)?;
        if let Some(available) = crate::sys::memory_and_swap() {
            if geometry.data_len as u64 > available {
                return Err(crate::Error::ExceedsMemory {
                    requested: geometry.data_len,
                    available,
                }
                .into());
            }
        }
        let file = match name {
            None => os::anonymous_file(geometry.file_len())?,
            Some(name) => os::create_named_file(name, geometry.file_len())?,
        };
        let inner = match Inner::map(file, geometry, name) {
            Ok(inner) => inner,
            Err(err) => {
                if let Some(name) = name {
                    let _ = os::unlink_named(name);
                }
                return Err(err);
            }
        };
        let h = inner.header();
        // The file is new and zero-filled: only the non-zero fields need writing, and the
        // magic goes last, so a process that sees it sees a complete header.
        h.version.store(VERSION, Ordering::Relaxed);
        h.header_len
            .store(geometry.header_len as u32, Ordering::Relaxed);
        h.data_len
            .store(geometry.data_len as u64, Ordering::Relaxed);
        h.frame_len
            .store(geometry.frame_len as u32, Ordering::Relaxed);
        h.magic.store(MAGIC, Ordering::Release);
        if name.is_none() {
            os::seal(&inner.file)?;
        }
        Ok(inner)
    }

    /// Checks the header of `file` and maps it. `retry_unready`: a named file that another
    /// process is still initializing (empty, or no magic yet) is looked at again for a while.
    fn attach(file: os::File, name: Option<&str>, retry_unready: bool) -> io::Result<Inner> {
        let page = os::page_size();
        let deadline = Instant::now() + Duration::from_millis(200);
        let geometry = loop {
            let mut bytes = [0u8; HEADER_SIZE];
            let file_len = os::file_len(&file)?;
            let read = os::read_start(&file, &mut bytes)?;
            match Geometry::parse(&bytes[..read], file_len, page) {
                Ok(geometry) => break geometry,
                Err(err) => {
                    let unready = file_len == 0 || bytes[..8] == [0; 8];
                    if retry_unready && unready && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(2));
                        continue;
                    }
                    return Err(io::Error::new(io::ErrorKind::InvalidData, err.to_string()));
                }
            }
        };
        let inner = Inner::map(file, geometry, name)?;
        // The header could have changed between the read and the mapping: what is mapped now
        // must declare the geometry we mapped, or we refuse it.
        let h = inner.header();
        let same = h.magic.load(Ordering::Acquire) == MAGIC
            && h.version.load(Ordering::Relaxed) == VERSION
            && h.header_len.load(Ordering::Relaxed) as usize == geometry.header_len
            && h.data_len.load(Ordering::Relaxed) == geometry.data_len as u64
            && h.frame_len.load(Ordering::Relaxed) as usize == geometry.frame_len;
        if !same {
            return Err(corrupt("shared ring header changed while attaching"));
        }
        Ok(inner)
    }

    /// Maps `file` as `geometry` says.
    fn map(file: os::File, geometry: Geometry, name: Option<&str>) -> io::Result<Inner> {
        Ok(Inner {
            map: os::Mapping::new(&file, geometry.header_len, geometry.data_len)?,
            file,
            geometry,
            name: name.map(str::to_owned),
        })
    }

    fn header(&self) -> &Header {
        // SAFETY: the mapping starts with at least `header_len >= HEADER_SIZE` bytes of
        // page-aligned shared memory, alive as long as `self`; every field of `Header` is an
        // atomic (or atomic padding), so another process writing them is no data race.
        unsafe { &*self.map.base().cast::<Header>() }
    }

    /// Start of the data; `2 * data_len` bytes from here are mapped, the second half mirroring
    /// the first.
    fn data(&self) -> *mut u8 {
        // SAFETY: `header_len` is inside the mapping, which spans header + 2 * data.
        unsafe { self.map.base().add(self.geometry.header_len) }
    }

    fn data_len(&self) -> usize {
        self.geometry.data_len
    }
}

/// A corrupt-header error.
fn corrupt(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

impl<T: Pod> SharedRing<T> {
    /// Creates an anonymous ring (a sealed memfd on Linux) holding at least `capacity`
    /// elements, and maps it. Share it by passing [`as_fd`](Self::as_fd) to another process.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] wrapping [`crate::Error::ZeroCapacity`] /
    /// [`crate::Error::CapacityOverflow`] for a capacity of 0 or one too large for the address
    /// space, [`io::ErrorKind::OutOfMemory`] wrapping [`crate::Error::ExceedsMemory`] for one
    /// larger than memory plus swap, [`io::ErrorKind::InvalidInput`] for a zero-sized `T`, the
    /// system's error when it refuses, and [`io::ErrorKind::Unsupported`] on targets without a
    /// backend.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<f32>::create(4096)?;
    /// assert!(ring.capacity() >= 4096);
    /// assert!(picoring::ipc::SharedRing::<u8>::create(0).is_err());
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn create(capacity: usize) -> io::Result<Self> {
        let (bytes, frame) = Self::bytes_for(capacity)?;
        Self::wrap(Inner::create(None, bytes, frame)?)
    }

    /// Creates the named ring `/dev/shm/<name>` holding at least `capacity` elements (readable
    /// and writable by this user only), and maps it. Other processes open it with
    /// [`open_named`](Self::open_named); it stays until [`unlink`](Self::unlink) removes it.
    ///
    /// `name` is one path component (letters, digits, `-`, `_`, `.` are safe; an optional
    /// leading `/` is ignored).
    ///
    /// # Errors
    ///
    /// As for [`create`](Self::create); [`io::ErrorKind::AlreadyExists`] when the name is taken,
    /// [`io::ErrorKind::InvalidInput`] for a name that is not one path component.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(target_os = "linux")] {
    /// use picoring::ipc::SharedRing;
    ///
    /// let name = format!("picoring-doc-{}", std::process::id());
    /// let ring = SharedRing::<u8>::create_named(&name, 4096)?;
    /// let same = SharedRing::<u8>::open_named(&name)?;
    /// assert_eq!(same.capacity(), ring.capacity());
    /// SharedRing::<u8>::unlink(&name)?;
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn create_named(name: &str, capacity: usize) -> io::Result<Self> {
        let (bytes, frame) = Self::bytes_for(capacity)?;
        Self::wrap(Inner::create(Some(name), bytes, frame)?)
    }

    /// Opens and maps the named ring `/dev/shm/<name>` made by
    /// [`create_named`](Self::create_named).
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotFound`] when there is no such ring; [`io::ErrorKind::InvalidData`]
    /// when the file is not a valid ring (see the trust model in the [module docs](self)) or
    /// holds elements of another size than `T` (a byte view, `SharedRing<u8>`, accepts any).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(target_os = "linux")] {
    /// use picoring::ipc::SharedRing;
    ///
    /// let err = SharedRing::<u8>::open_named("picoring-doc-no-such-ring").unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # }
    /// ```
    pub fn open_named(name: &str) -> io::Result<Self> {
        let file = os::open_named_file(name)?;
        Self::wrap(Inner::attach(file, Some(name), true)?)
    }

    /// Removes the named ring `/dev/shm/<name>`. Processes that have it mapped keep using it;
    /// the memory is freed when the last of them lets go.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotFound`] when there is no such ring; the system's error otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(target_os = "linux")] {
    /// use picoring::ipc::SharedRing;
    ///
    /// let name = format!("picoring-doc-unlink-{}", std::process::id());
    /// let ring = SharedRing::<u8>::create_named(&name, 1)?;
    /// SharedRing::<u8>::unlink(&name)?;
    /// assert!(SharedRing::<u8>::open_named(&name).is_err());
    /// let mut tx = ring.producer()?; // still mapped here
    /// assert_eq!(tx.push_slice(b"x"), 1);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn unlink(name: &str) -> io::Result<()> {
        os::unlink_named(name)
    }

    /// Attaches to the ring whose file `fd` is (a descriptor another process got from
    /// [`as_fd`](Self::as_fd) and passed on, by inheritance or `SCM_RIGHTS`). Takes ownership of
    /// the descriptor.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidData`] when the file is not a valid ring or holds elements of
    /// another size than `T` (see [`open_named`](Self::open_named)).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// use picoring::ipc::SharedRing;
    ///
    /// let ring = SharedRing::<u8>::create(4096)?;
    /// let fd = ring.as_fd().try_clone_to_owned()?; // what another process would receive
    /// let other = SharedRing::<u8>::from_fd(fd)?;
    /// ring.producer()?.push_slice(b"hi");
    /// assert_eq!(other.consumer()?.readable(), b"hi");
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(unix)]
    pub fn from_fd(fd: std::os::fd::OwnedFd) -> io::Result<Self> {
        Self::wrap(Inner::attach(fd, None, false)?)
    }

    /// The ring's file descriptor, to pass to another process (which attaches with
    /// [`from_fd`](Self::from_fd)). It is close-on-exec: dup it for a child that `exec`s.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// use std::os::fd::AsRawFd;
    ///
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// assert!(ring.as_fd().as_raw_fd() >= 0);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(unix)]
    pub fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.inner.file.as_fd()
    }

    /// Capacity in elements: the data size over the element size.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u64>::create(10)?;
    /// assert_eq!(ring.capacity(), picoring::mirror::granularity() / 8);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.inner.data_len() / std::mem::size_of::<T>()
    }

    /// The element size in bytes the ring was created with (for a ring from
    /// [`create_framed`](SharedRing::create_framed), the frame size).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<[f32; 2]>::create(10)?;
    /// assert_eq!(ring.frame_len(), 8);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn frame_len(&self) -> usize {
        self.inner.geometry.frame_len
    }

    /// The name of a named ring (without a leading `/`), `None` for an anonymous one.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// assert_eq!(ring.name(), None);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.inner
            .name
            .as_deref()
            .map(|n| n.strip_prefix('/').unwrap_or(n))
    }

    /// Claims the producer role and returns the writing end.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::AlreadyExists`] (carrying a [`RoleTaken`](crate::Error::RoleTaken)) while another live end
    /// holds the role, in this process or another; [`io::ErrorKind::InvalidData`] when the
    /// header's positions are invalid.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// let tx = ring.producer()?;
    /// assert_eq!(ring.producer().unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    /// drop(tx);
    /// assert!(ring.producer().is_ok());
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn producer(&self) -> io::Result<Producer<T>> {
        Producer::claim(Arc::clone(&self.inner))
    }

    /// Claims the consumer role and returns the reading end.
    ///
    /// # Errors
    ///
    /// As for [`producer`](Self::producer).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::<u8>::create(1)?;
    /// let rx = ring.consumer()?;
    /// let err = ring.consumer().unwrap_err();
    /// let taken = err.get_ref().and_then(|e| e.downcast_ref::<picoring::Error>());
    /// let me = std::process::id();
    /// assert!(matches!(taken, Some(picoring::Error::RoleTaken { pid, .. }) if *pid == me));
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn consumer(&self) -> io::Result<Consumer<T>> {
        Consumer::claim(Arc::clone(&self.inner))
    }

    /// The data size and element size for `capacity` elements of `T`.
    fn bytes_for(capacity: usize) -> io::Result<(usize, usize)> {
        let size = std::mem::size_of::<T>();
        if size == 0 {
            return Err(crate::Error::ZeroSizedType.into());
        }
        let bytes = capacity
            .checked_mul(size)
            .ok_or(crate::Error::CapacityOverflow)?;
        Ok((bytes, size))
    }

    /// The handle for an attached ring, once its element size fits `T`.
    fn wrap(inner: Inner) -> io::Result<Self> {
        let size = std::mem::size_of::<T>();
        if size == 0 {
            return Err(crate::Error::ZeroSizedType.into());
        }
        if size != 1 && inner.geometry.frame_len != size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "shared ring holds {}-byte elements, not {size}-byte ones",
                    inner.geometry.frame_len
                ),
            ));
        }
        Ok(SharedRing {
            inner: Arc::new(inner),
            _elem: PhantomData,
        })
    }
}

impl SharedRing<u8> {
    /// Creates a byte ring holding at least `frames` frames of `frame_len` bytes: its size is a
    /// whole number of frames (and pages), so a producer and a consumer that move whole frames
    /// always find one frame contiguous. For bindings whose element type is chosen at run time;
    /// Rust code uses `SharedRing<T>` with a [`Pod`] frame type. `name` makes it a named ring,
    /// as [`create_named`](Self::create_named).
    ///
    /// # Errors
    ///
    /// As for [`create`](Self::create) and [`create_named`](Self::create_named); a zero
    /// `frame_len`, or one above `u32::MAX`, is [`io::ErrorKind::InvalidInput`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))] {
    /// let ring = picoring::ipc::SharedRing::create_framed(None, 1000, 12)?;
    /// assert_eq!(ring.frame_len(), 12);
    /// assert_eq!(ring.capacity() % 12, 0);
    /// assert!(ring.capacity() >= 12_000);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn create_framed(name: Option<&str>, frames: usize, frame_len: usize) -> io::Result<Self> {
        if frame_len == 0 || u32::try_from(frame_len).is_err() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "frame length must be between 1 and u32::MAX bytes",
            ));
        }
        let bytes = frames
            .checked_mul(frame_len)
            .ok_or(crate::Error::CapacityOverflow)?;
        Self::wrap(Inner::create(name, bytes, frame_len)?)
    }
}

#[cfg(unix)]
impl<T: Pod> std::os::fd::AsFd for SharedRing<T> {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        SharedRing::as_fd(self)
    }
}

impl<T: Pod> Clone for SharedRing<T> {
    /// Another handle to the same mapping (no new descriptor or mapping).
    fn clone(&self) -> Self {
        SharedRing {
            inner: Arc::clone(&self.inner),
            _elem: PhantomData,
        }
    }
}

impl<T: Pod> fmt::Debug for SharedRing<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedRing")
            .field("capacity", &self.capacity())
            .field("frame_len", &self.frame_len())
            .field("name", &self.name())
            .finish()
    }
}

/// The two roles of a shared ring.
///
/// # Examples
///
/// ```
/// use picoring::ipc::Role;
///
/// assert_eq!(Role::Producer.to_string(), "producer");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The writing end.
    Producer,
    /// The reading end.
    Consumer,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Producer => "producer",
            Role::Consumer => "consumer",
        })
    }
}

impl RoleSlot {
    /// Claims the role for `me` (this process's owner word): takes it when free or when its
    /// holder no longer runs.
    fn claim(&self, role: Role, me: u64) -> io::Result<()> {
        // A slot that changes under every attempt is being fought over (or scribbled on):
        // give up rather than spin.
        for _ in 0..1000 {
            let current = self.owner.load(Ordering::Acquire);
            if current != 0 && os::is_alive(current) {
                return Err(io::Error::from(crate::Error::RoleTaken {
                    role,
                    pid: current as u32,
                }));
            }
            if self
                .owner
                .compare_exchange(current, me, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                self.claims.fetch_add(1, Ordering::AcqRel);
                return Ok(());
            }
        }
        Err(corrupt("shared ring role slot keeps changing"))
    }

    /// Gives the role up if `me` still holds it.
    fn release(&self, me: u64) {
        let _ = self
            .owner
            .compare_exchange(me, 0, Ordering::AcqRel, Ordering::Relaxed);
    }

    /// Cheap: the role was claimed once and is now released (no system call).
    fn released(&self) -> bool {
        self.claims.load(Ordering::Acquire) != 0 && self.owner.load(Ordering::Acquire) == 0
    }

    /// The role was claimed once and its holder released it or no longer runs (system calls).
    /// A dead holder's claim is cleared, so that from then on [`released`](Self::released)
    /// tells without a system call.
    fn gone(&self) -> bool {
        if self.claims.load(Ordering::Acquire) == 0 {
            return false;
        }
        let owner = self.owner.load(Ordering::Acquire);
        if owner == 0 {
            return true;
        }
        if os::is_alive(owner) {
            return false;
        }
        // Fails when the claim changed meanwhile: gone only if it was released.
        match self
            .owner
            .compare_exchange(owner, 0, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(now) => now == 0,
        }
    }
}

/// How a blocked wait ended without its condition.
enum Stop {
    /// The peer's role is released or its holder dead.
    PeerGone,
}

/// One direction of wakeups: where a waiting end sleeps, and what it waits for.
#[derive(Clone, Copy)]
struct Bell<'a> {
    /// Bumped by the other end when it wakes the waiter; the waiter sleeps on it.
    seq: &'a AtomicU32,
    /// 1 while the waiter sleeps (or is about to).
    waiting: &'a AtomicU32,
    /// The bytes (queued for the consumer, free for the producer) the waiter wants woken for.
    want: &'a AtomicU64,
}

impl Header {
    /// Where the consumer waits for data.
    fn data_bell(&self) -> Bell<'_> {
        Bell {
            seq: &self.data_seq,
            waiting: &self.data_waiting,
            want: &self.data_want,
        }
    }

    /// Where the producer waits for space.
    fn space_bell(&self) -> Bell<'_> {
        Bell {
            seq: &self.space_seq,
            waiting: &self.space_waiting,
            want: &self.space_want,
        }
    }
}

impl Bell<'_> {
    /// Called after moving one's own index (a `Release` store): wakes the waiter if it sleeps
    /// and `have()` (the bytes it waits for, as they are now) reaches what it wants.
    #[inline]
    fn ring_if(&self, have: impl FnOnce() -> u64) {
        // Pairs with the fence the waiter makes between raising its flag and polling: either
        // we see the flag here, or it sees our new index.
        fence(Ordering::SeqCst);
        // Acquire: a flag raised after a new `want` was stored shows that `want`.
        if self.waiting.load(Ordering::Acquire) != 0
            && have() >= self.want.load(Ordering::Relaxed)
            // One wake per sleep: the waiter raises the flag again before it sleeps again.
            && self.waiting.swap(0, Ordering::Relaxed) != 0
        {
            self.ring();
        }
    }

    /// Wakes the waiter, whatever it waits for.
    fn ring(&self) {
        self.seq.fetch_add(1, Ordering::Release);
        futex::wake_all(self.seq);
    }
}

/// The slow half of both ends' waits. `poll` says whether the condition holds now (`Some`
/// with the count to return); it re-reads the peer's index. After a short spin, sleeps on
/// `mine` (asking to be woken once `want` bytes are there) in slices of at most
/// [`LIVENESS_SLICE`], checking the peer's liveness between them. `theirs` is where the peer
/// waits: before sleeping the first time, a waiting peer is woken whatever it asked for, so
/// the two ends never both sleep on thresholds that only the other's progress can meet.
fn block(
    mine: Bell<'_>,
    theirs: Bell<'_>,
    peer: &RoleSlot,
    want: u64,
    timeout: Option<Duration>,
    mut poll: impl FnMut() -> io::Result<Option<usize>>,
) -> io::Result<Result<usize, Stop>> {
    let start = Instant::now();
    let deadline = timeout.and_then(|t| start.checked_add(t));
    let spin_end = start + SPIN_BEFORE_SLEEP;
    loop {
        if let Some(n) = poll()? {
            return Ok(Ok(n));
        }
        if timeout == Some(Duration::ZERO) || Instant::now() >= spin_end {
            break;
        }
        for _ in 0..32 {
            std::hint::spin_loop();
        }
    }
    let mut last_check = Instant::now();
    let mut flushed = false;
    let outcome = loop {
        let seen = mine.seq.load(Ordering::Acquire);
        mine.want.store(want, Ordering::Relaxed);
        mine.waiting.store(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        match poll() {
            Ok(Some(n)) => break Ok(Ok(n)),
            Err(err) => break Err(err),
            Ok(None) => {}
        }
        if peer.released() {
            break Ok(Err(Stop::PeerGone));
        }
        let now = Instant::now();
        if now.duration_since(last_check) >= LIVENESS_SLICE {
            if peer.gone() {
                break Ok(Err(Stop::PeerGone));
            }
            last_check = now;
        }
        let slice = match deadline {
            Some(deadline) if now >= deadline => {
                break Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "timed out waiting on a shared ring",
                ))
            }
            Some(deadline) => (deadline - now).min(LIVENESS_SLICE),
            None => LIVENESS_SLICE,
        };
        if !flushed && theirs.waiting.swap(0, Ordering::Relaxed) != 0 {
            theirs.ring();
        }
        flushed = true;
        futex::wait(mine.seq, seen, slice);
    };
    mine.waiting.store(0, Ordering::Relaxed);
    outcome
}
