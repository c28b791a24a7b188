//! Mirrored memory: the same physical pages mapped twice, back to back.
//!
//! A [`MirrorBuffer`] of physical size N occupies 2N bytes of address space; the byte at offset
//! `i` and the byte at offset `i + N` are the same memory. Any run of at most N bytes that starts
//! in the first half is therefore one contiguous slice, even when it runs past the physical end.
//!
//! Mirrors serve every ring-like type: [`PicoRing`](crate::PicoRing),
//! [`PicoQueue`](crate::PicoQueue), [`PicoByteStream`](crate::PicoByteStream) and the
//! [`spsc`](crate::spsc) and [`mpsc`](crate::mpsc) rings. ([`PicoList`](crate::PicoList) is not a
//! mirror: its reserve-then-commit memory lives in `list/reserve`.)
//!
//! Each backend lives in one file of this folder behind the same private interface (`map` and
//! `unmap`), chosen by `cfg` here; the files hold the backends' logic, and every system call
//! they make is in the crate's `sys` module, one file per OS family:
//!
//! | backend | file | system calls in | where | status | a forked child's copy made with |
//! |---|---|---|---|---|---|
//! | [`Backend::Memfd`] | `memfd.rs` | `sys/linux.rs`, `sys/unix.rs` | Linux, when `mremap` is refused | tested here | a new memfd (or the `mremap` way) |
//! | [`Backend::Memfd`] | `memfd.rs` | `sys/linux.rs`, `sys/unix.rs` | Android (the system call, for any API level) | compile-checked only | a new memfd (or the `mremap` way) |
//! | [`Backend::Mremap`] | `mremap.rs` | `sys/linux.rs`, `sys/unix.rs` | Linux (first: the fewest system calls) | tested here | as Memfd |
//! | [`Backend::Shm`] | `shm.rs` | `sys/linux.rs`, `sys/unix.rs` | Linux, when both of the above are refused | tested here | as Memfd |
//! | [`Backend::Shm`] | `freebsd.rs` | `sys/freebsd.rs`, `sys/unix.rs` | FreeBSD: `shm_open(SHM_ANON)` | compile-checked only | a new `SHM_ANON` object |
//! | [`Backend::MachVm`] | `macos.rs` | `sys/macos.rs` | macOS / iOS | compile-checked only | a new `mach_vm_allocate` range |
//! | [`Backend::Placeholder`] | `windows.rs` | `sys/windows.rs` | Windows 10 1803+, checked at run time | compile-checked only; under Wine 8 (no placeholders) the software mirror serves | (no `fork()`) |
//! | [`Backend::Software`] | `software.rs` | `sys/mod.rs` (page-aligned zeroed memory) | everywhere, and always under Miri | tested here, also under Miri and Wine | `fork()` itself (heap memory) |
//!
//! `fork.rs` holds what the shared-memory backends of Linux, Android, FreeBSD and macOS have in
//! common: mapping an object twice, and the registry and `pthread_atfork` handlers that give a
//! forked child its own copy (see below).
//!
//! "Compile-checked only" means `make test` builds and lints the backend for that target
//! (`make check-targets`) but nothing here runs it.
//!
//! **A new OS** gets its system calls in a new `sys/<os>.rs`, a backend file here with `map` and
//! `unmap`, a [`Backend`] variant (or an existing one, as FreeBSD's [`Backend::Shm`]), its
//! arms in `MirrorBuffer::create` and `Drop for MirrorBuffer`, and its place in
//! [`Backend::default_order`]; if its mappings are shared memory that `fork()` would keep shared,
//! it registers them with `fork.rs`.
//!
//! # The software mirror
//!
//! The software backend keeps 2N ordinary heap bytes and copies every committed write to its twin
//! half; it behaves identically but costs a second copy of each write.
//!
//! The two halves are separate memory there, so the rings keep one rule: between two `&mut`
//! operations, each queued element is handed out at one address only, the same one its
//! next reader will use. [`PicoRing`](crate::PicoRing) addresses element `i` at virtual slot
//! `head + i`, never reduced modulo the capacity, so every view of it (`readable`, `get`, `iter`,
//! `readable_mut`...) shows the same copy until the head wraps. A view may reach into the twin
//! half, and through a `&T` there an element with interior mutability (`Cell`, `RefCell`,
//! `Mutex`, atomics) can change that copy only. The ring notes such views (a relaxed flag, on
//! this backend only), and before the head wraps, which moves those elements' addresses down to
//! the first half, it copies them there. The SPSC consumer does the same for its views, when its
//! head crosses the physical end. The cost falls on the software backend alone: one copy of the
//! elements still queued, at most once per lap of the ring, and only after such a view.
//! The MPSC record ring hands out bytes only, which cannot change behind a shared view.
//!
//! # The pool of released mirrors
//!
//! `pool.rs` keeps a few small dropped mirrors per thread (zeroed, checked to be still
//! mirrored) for the next ring of the same size on that thread: see
//! [Pooling](MirrorBuffer#pooling) for what it keeps, its bounds and its behaviour across
//! `fork()`. It serves the backends that register with `fork.rs`; the software mirror, Windows
//! and Miri have no pool.
//!
//! # `fork()`
//!
//! A forked child gets a private copy of every mirror it inherits, holding the parent's bytes at
//! the moment of the fork, at the same addresses and still mirrored: what it does to ordinary
//! memory. Neither process sees the other's later writes, and the child never finds a ring
//! unmapped. Where the two halves are shared memory (`MAP_SHARED` on Linux, Android and
//! FreeBSD; `VM_INHERIT_SHARE` Mach mappings on macOS), which a plain `fork()` would leave
//! shared with the parent, every live mirror is registered and a `pthread_atfork` child handler
//! makes the copy before `fork()` returns in the child:
//!
//! - Linux and Android: a new memfd filled from the inherited mapping and mapped over both
//!   halves; when memfd is refused, a shared anonymous mapping duplicated over the second half
//!   with the `mremap` system call.
//! - FreeBSD: the same with a new `shm_open(SHM_ANON)` object (no descriptor-less fallback).
//! - macOS / iOS: a fresh `mach_vm_allocate` range, filled and then `mach_vm_remap`ped over both
//!   halves.
//!
//! Only the Linux handler runs in the tests here (both of its ways); the Android, FreeBSD and
//! macOS handlers are compile-checked only, like those backends. Then:
//!
//! - `fork()` costs about as much as allocating and copying the live mirrors' physical bytes
//!   (the README has the figures, measured on Linux; `cargo run --release -p picoring --example
//!   fork_cost` measures them). It reads every page of each mirror, so pages the parent never
//!   touched become resident (in the parent's memory, too, since they are shared with it) from
//!   the first fork on.
//! - `posix_spawn` and `vfork` (`std::process::Command`, Python's `subprocess`) run no fork
//!   handlers and pay nothing.
//! - The copy is made when the child handler runs, just after the fork: bytes that other
//!   threads of the parent write meanwhile may or may not be in it, as with any memory written
//!   during a fork; the child has only the forking thread, so a ring end whose partner lived on
//!   another thread has no partner in the child.
//! - If the child cannot get memory for a copy, it never shares the parent's: the mirror is
//!   made inaccessible in the child (a child that touches it gets `SIGSEGV`; one that does not,
//!   such as one about to `exec`, is unaffected) and a one-line message goes to standard
//!   error; should even that fail, the child exits with status 127.
//!
//! The software backend is heap memory, copied by `fork()` like any other. Windows has no
//! `fork()`.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{sys, Error};

/// Items under one `cfg` predicate and the others under its negation (the predicate written
/// once), in the manner of `cfg-if`.
macro_rules! cfg_split {
    (#[cfg($pred:meta)] { $($yes:item)* } else { $($no:item)* }) => {
        $( #[cfg($pred)] $yes )*
        $( #[cfg(not($pred))] $no )*
    };
}

cfg_split! {
    #[cfg(all(
        any(
            target_os = "linux",
            target_os = "android",
            target_os = "freebsd",
            target_vendor = "apple"
        ),
        not(miri)
    ))]
    {
        mod fork;
        // The pool of released mirrors, where `fork.rs` gives a forked child its own copies.
        mod pool;
    } else {
        /// No pool elsewhere (the software mirror only, Windows, Miri): these stand in for its
        /// calls.
        mod pool {
            use super::Backend;
            use std::ptr::NonNull;

            pub(super) fn take(
                _len: usize,
                _backend: Option<Backend>,
            ) -> Option<(NonNull<u8>, Backend)> {
                None
            }

            /// # Safety
            /// None needed: nothing is done.
            pub(super) unsafe fn give(
                _ptr: NonNull<u8>,
                _len: usize,
                _backend: Backend,
            ) -> bool {
                false
            }

            pub(super) fn trim() -> usize {
                0
            }
        }
    }
}

#[cfg(all(target_os = "freebsd", not(miri)))]
mod freebsd;
#[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
mod memfd;
#[cfg(all(target_os = "linux", not(miri)))]
mod mremap;
#[cfg(all(target_os = "linux", not(miri)))]
mod shm;

#[cfg(all(target_vendor = "apple", not(miri)))]
mod macos;

#[cfg(all(windows, not(miri)))]
mod windows;

mod software;

/// The operating-system mechanism that provides a buffer's mirrored mapping.
///
/// # Examples
///
/// ```
/// use picoring::mirror::{Backend, MirrorBuffer};
///
/// let buf = MirrorBuffer::new(1).unwrap();
/// // On Linux the first choice is a shared mapping duplicated with mremap, on Android a memfd,
/// // on FreeBSD an anonymous shm object; under Miri and on other targets, the software mirror.
/// assert!(Backend::default_order().contains(&buf.backend()));
/// assert!(Backend::Software.is_available());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Linux and Android: an anonymous `memfd_create` file mapped twice into a `PROT_NONE`
    /// reservation (compile-checked only on Android).
    Memfd,
    /// Linux: a shared anonymous mapping duplicated with `mremap(old_size = 0)`; no file descriptor.
    Mremap,
    /// Linux: a POSIX shared-memory object with a random name, unlinked at once. FreeBSD: an
    /// anonymous one, `shm_open(SHM_ANON)`, mapped twice (compile-checked only).
    Shm,
    /// macOS / iOS: `mach_vm_allocate` + `mach_vm_remap` (compile-checked only).
    MachVm,
    /// Windows 10 1803+: `VirtualAlloc2` placeholders + `MapViewOfFile3` (compile-checked only;
    /// where the system lacks placeholders, as Wine 8 does, it is unavailable and the software
    /// mirror serves).
    Placeholder,
    /// Portable: 2N heap bytes, each committed write copied to its twin half.
    Software,
}

impl Backend {
    /// The backends tried, in order, when none is requested.
    ///
    /// On Windows the list is settled at run time: [`Backend::Placeholder`] is in it only where
    /// the system builds placeholder mirrors (Windows 10 1803 and later; not Wine 8, which
    /// rejects the placeholder flags), checked once per process by mapping one small mirror.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::Backend;
    ///
    /// assert_eq!(Backend::default_order().last(), Some(&Backend::Software));
    /// ```
    pub fn default_order() -> &'static [Backend] {
        if cfg!(miri) {
            &[Backend::Software]
        } else if cfg!(target_os = "linux") {
            // Mremap first: three system calls for a create and drop against Memfd's seven
            // (`cargo bench -p picoring-compare --bench create`).
            &[
                Backend::Mremap,
                Backend::Memfd,
                Backend::Shm,
                Backend::Software,
            ]
        } else if cfg!(target_os = "android") {
            &[Backend::Memfd, Backend::Software]
        } else if cfg!(target_os = "freebsd") {
            &[Backend::Shm, Backend::Software]
        } else if cfg!(target_vendor = "apple") {
            &[Backend::MachVm, Backend::Software]
        } else if cfg!(windows) {
            windows_order()
        } else {
            &[Backend::Software]
        }
    }

    /// Whether this backend is compiled in for the current target and, where that is decided
    /// at run time (Windows), supported by the running system: it is in
    /// [`Backend::default_order`].
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::Backend;
    ///
    /// let linux_like = cfg!(any(target_os = "linux", target_os = "android"));
    /// assert_eq!(Backend::Memfd.is_available(), linux_like && !cfg!(miri));
    /// ```
    pub fn is_available(self) -> bool {
        Backend::default_order().contains(&self)
    }

    /// Whether the operating system does the mirroring (every backend but [`Backend::Software`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::Backend;
    ///
    /// assert!(Backend::Memfd.is_hardware());
    /// assert!(!Backend::Software.is_hardware());
    /// ```
    pub fn is_hardware(self) -> bool {
        self != Backend::Software
    }
}

/// Windows' share of [`Backend::default_order`]: the placeholder backend where the system
/// supports it.
fn windows_order() -> &'static [Backend] {
    #[cfg(all(windows, not(miri)))]
    if windows::is_supported() {
        return &[Backend::Placeholder, Backend::Software];
    }
    &[Backend::Software]
}

/// How to create a [`MirrorBuffer`]: which backend, and whether to prefault the pages.
///
/// # Examples
///
/// ```
/// use picoring::mirror::{Backend, MirrorBuffer, MirrorOptions};
///
/// let opts = MirrorOptions::new().backend(Backend::Software);
/// let buf = MirrorBuffer::with_options(100, &opts).unwrap();
/// assert_eq!(buf.backend(), Backend::Software);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MirrorOptions {
    backend: Option<Backend>,
    prefault: bool,
    /// Inverted so that the derived default (`false`) means pooled.
    unpooled: bool,
}

impl MirrorOptions {
    /// Default options: the first backend of [`Backend::default_order`] that works, no prefaulting.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::MirrorOptions;
    ///
    /// assert_eq!(MirrorOptions::new(), MirrorOptions::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Use exactly this backend; creation fails instead of falling back to another.
    ///
    /// Useful under seccomp filters that refuse `memfd_create`, and for tests.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::{Backend, MirrorOptions};
    ///
    /// let opts = MirrorOptions::new().backend(Backend::Software);
    /// assert_eq!(opts.requested_backend(), Some(Backend::Software));
    /// ```
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Touch every page at creation (`MADV_POPULATE_WRITE` on Linux where the kernel has it), so
    /// the first writes do not pay for page faults. Off by default.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::{MirrorBuffer, MirrorOptions};
    ///
    /// let buf = MirrorBuffer::with_options(1 << 16, &MirrorOptions::new().prefault(true)).unwrap();
    /// assert!(buf.len() >= 1 << 16);
    /// ```
    pub fn prefault(mut self, prefault: bool) -> Self {
        self.prefault = prefault;
        self
    }

    /// Whether the buffer may come from, and goes back to, the calling thread's pool of
    /// released mirrors (see [Pooling](MirrorBuffer#pooling)). On by default; off, the buffer
    /// is always mapped anew and unmapped on drop.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::{MirrorBuffer, MirrorOptions};
    ///
    /// let opts = MirrorOptions::new().pooled(false);
    /// assert!(!opts.is_pooled());
    /// let buf = MirrorBuffer::with_options(1 << 16, &opts).unwrap();
    /// assert!(buf.slice(0, buf.len()).unwrap().iter().all(|&b| b == 0));
    /// ```
    pub fn pooled(mut self, pooled: bool) -> Self {
        self.unpooled = !pooled;
        self
    }

    /// Whether pooling is on (the default).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::MirrorOptions;
    ///
    /// assert!(MirrorOptions::new().is_pooled());
    /// ```
    pub fn is_pooled(&self) -> bool {
        !self.unpooled
    }

    /// The backend asked for with [`MirrorOptions::backend`], if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::MirrorOptions;
    ///
    /// assert_eq!(MirrorOptions::new().requested_backend(), None);
    /// ```
    pub fn requested_backend(&self) -> Option<Backend> {
        self.backend
    }

    /// Whether prefaulting was asked for.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::MirrorOptions;
    ///
    /// assert!(!MirrorOptions::new().is_prefault());
    /// ```
    pub fn is_prefault(&self) -> bool {
        self.prefault
    }
}

/// The granularity a mirror's physical size is a multiple of: the page size on Unix, the
/// allocation granularity (usually 64 KiB) on Windows. Read from the system at run time.
///
/// # Examples
///
/// ```
/// let g = picoring::mirror::granularity();
/// assert!(g.is_power_of_two());
/// ```
pub fn granularity() -> usize {
    sys::allocation_granularity()
}

/// Refuses a physical size of `len` bytes that physical memory plus swap cannot hold.
///
/// Sizes up to half of the last reading pass without asking the system again (a `sysinfo`
/// call per ring cost a tenth of a small ring's creation); larger ones read it afresh. Only
/// swap removed since the last reading, by more than half of memory plus swap, could make that
/// accept a size a fresh reading refuses.
fn check_backable(len: usize) -> Result<(), Error> {
    static SURELY_BACKABLE: AtomicU64 = AtomicU64::new(0);
    let len = len as u64;
    if len <= SURELY_BACKABLE.load(Ordering::Relaxed) {
        return Ok(());
    }
    match sys::memory_and_swap() {
        Some(available) => {
            SURELY_BACKABLE.store(available / 2, Ordering::Relaxed);
            if len > available {
                return Err(Error::ExceedsMemory {
                    requested: len as usize,
                    available,
                });
            }
            Ok(())
        }
        None => Ok(()),
    }
}

/// Empties the calling thread's pool of released mirrors (see
/// [Pooling](MirrorBuffer#pooling)), unmapping them; returns how many there were. Always 0
/// where there is no pool (the software mirror, Windows, Miri).
///
/// Worth calling before a `fork()` from a thread that dropped small rings (the child copies
/// pooled mirrors as it copies live ones), or to give their memory back.
///
/// # Examples
///
/// ```
/// use picoring::{mirror, PicoRing};
///
/// drop(PicoRing::<u8>::with_capacity(4096)?);
/// let pooled = mirror::trim_pool();
/// assert!(pooled <= 1);
/// assert_eq!(mirror::trim_pool(), 0);
/// # Ok::<(), picoring::Error>(())
/// ```
pub fn trim_pool() -> usize {
    pool::trim()
}

/// Rounds `bytes` up to a multiple of `unit`; `None` on overflow or when the doubled size
/// (the address space a mirror needs) would not fit in `isize`.
pub(crate) fn round_up_mirror_size(bytes: usize, unit: usize) -> Option<usize> {
    debug_assert!(unit > 0);
    let rounded = bytes.checked_add(unit - 1)? / unit * unit;
    let doubled = rounded.checked_mul(2)?;
    if doubled > isize::MAX as usize {
        return None;
    }
    Some(rounded)
}

/// Physical memory of N bytes mapped twice into 2N bytes of address space.
///
/// `MirrorBuffer` is the low-level building block under [`PicoRing`](crate::PicoRing). It hands
/// out raw pointers to the whole 2N region; its safe accessors never return a slice longer than
/// N, because two overlapping live slices of the same physical bytes would break Rust's aliasing
/// rules.
///
/// # Examples
///
/// ```
/// use picoring::mirror::MirrorBuffer;
///
/// let mut buf = MirrorBuffer::new(10).unwrap();
/// let n = buf.len();
/// assert!(n >= 10 && n % picoring::mirror::granularity() == 0);
///
/// // Write across the physical end: the bytes come back as one slice.
/// buf.write_at(n - 2, b"wrap").unwrap();
/// assert_eq!(buf.slice(n - 2, 4), Some(&b"wrap"[..]));
/// // And the part past the end landed at the physical start.
/// assert_eq!(buf.slice(0, 2), Some(&b"ap"[..]));
/// ```
///
/// # Pooling
///
/// Creating a mirror takes system calls (three on Linux: `mmap`, `mremap`, and `munmap` on
/// drop), several microseconds, where a heap allocation takes tens of nanoseconds. So on Linux,
/// Android, FreeBSD and macOS a dropped mirror of at most 256 KiB is kept in a small pool of
/// the dropping thread (at most 8 mirrors and 1 MiB per thread) and handed to that thread's
/// next mirror of the same size, by any ring type. This is automatic, because it is invisible
/// to the rings:
///
/// - A pooled mirror is zeroed when it enters the pool and checked to be still mirrored, so a
///   ring made from it starts exactly as a fresh one: all bytes zero, both halves one memory.
/// - A request for a particular [`Backend`] gets only a mirror of that backend.
/// - Pools are per thread: no lock, no contention. A thread's pool is unmapped when it exits;
///   [`trim_pool`] unmaps the calling thread's at once.
/// - After `fork()`, the child gets its own copy of every pooled mirror (as of every live one:
///   see [`fork()`](self#fork)), never the parent's pages, and it unmaps that copy on its
///   first use of the pool rather than reuse it.
///
/// What it costs: drop zeroes the mirror (a `memset` of N bytes, instead of an `munmap`), up
/// to 1 MiB per thread stays resident, and a `fork()` copies the pooled mirrors too. A buffer
/// created with [`MirrorOptions::pooled`]`(false)` is always mapped anew and unmapped on drop.
///
/// ```
/// use picoring::mirror::{self, MirrorBuffer, MirrorOptions};
///
/// let mut first = MirrorBuffer::new(1 << 16)?;
/// first.write_at(0, b"secret").unwrap();
/// let addr = first.as_ptr();
/// drop(first);
/// let again = MirrorBuffer::new(1 << 16)?;
/// if cfg!(all(target_os = "linux", not(miri))) {
///     assert_eq!(again.as_ptr(), addr); // the same mirror, from this thread's pool...
/// }
/// assert_eq!(again.slice(0, 6), Some(&[0u8; 6][..])); // ...zeroed
/// drop(again);
///
/// let unpooled = MirrorBuffer::with_options(1 << 16, &MirrorOptions::new().pooled(false))?;
/// drop(unpooled); // unmapped at once
/// assert!(mirror::trim_pool() <= 1);
/// # Ok::<(), picoring::Error>(())
/// ```
pub struct MirrorBuffer {
    /// Start of the 2N-byte mirrored region; aligned to [`granularity`].
    ptr: NonNull<u8>,
    /// N, the physical size: a non-zero multiple of the granularity, with `2 * len <= isize::MAX`.
    len: usize,
    /// Which backend mapped `ptr`, and so how to unmap it.
    backend: Backend,
    /// Whether drop offers the mirror to the thread's pool instead of unmapping it.
    pooled: bool,
}

// SAFETY: a MirrorBuffer owns its mapping exclusively (no other handle to the pages survives
// creation, and a forked child gets its own copy), so moving it to another thread is sound.
unsafe impl Send for MirrorBuffer {}
// SAFETY: shared references only read through `slice`; every write needs `&mut self` or goes
// through raw pointers whose users uphold the aliasing rules.
unsafe impl Sync for MirrorBuffer {}

impl MirrorBuffer {
    /// Maps at least `min_bytes` bytes twice, trying the backends of [`Backend::default_order`].
    ///
    /// The physical size [`len`](Self::len) is `min_bytes` rounded up to [`granularity`].
    ///
    /// # Errors
    ///
    /// [`Error::ZeroCapacity`] for `min_bytes == 0`, [`Error::CapacityOverflow`] when the size does
    /// not fit the address space, [`Error::ExceedsMemory`] when the physical size exceeds
    /// physical memory plus swap (see below), [`Error::Os`] when the system refuses (for
    /// instance `ENOMEM` once the process reaches its limit of memory mappings).
    ///
    /// **A buffer the machine cannot back is refused.** Shared-memory backends map a sparse
    /// file, which the kernel accepts at any size; filling a buffer larger than the machine
    /// would then end with the process killed for lack of memory. So on Linux and Android,
    /// where `sysinfo(2)` reports physical memory plus swap, a physical size beyond that sum is
    /// refused with [`Error::ExceedsMemory`] for every backend, as Linux's default overcommit
    /// policy refuses an ordinary allocation of that size. The check is per buffer: it does
    /// not count memory already in use. Elsewhere there is no such check: Windows charges the
    /// whole buffer against its commit limit at creation, and macOS (whose swap grows on
    /// demand) and the BSDs leave it to the system.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::MirrorBuffer;
    ///
    /// assert!(MirrorBuffer::new(0).is_err());
    /// assert!(MirrorBuffer::new(usize::MAX).is_err());
    /// let buf = MirrorBuffer::new(4096).unwrap();
    /// assert!(buf.len() >= 4096);
    /// ```
    pub fn new(min_bytes: usize) -> Result<Self, Error> {
        Self::with_options(min_bytes, &MirrorOptions::default())
    }

    /// Maps at least `min_bytes` bytes twice, as [`MirrorOptions`] says.
    ///
    /// # Errors
    ///
    /// As for [`MirrorBuffer::new`]; also [`Error::BackendUnavailable`] when the requested backend
    /// is not compiled in for this target.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::{Backend, MirrorBuffer, MirrorOptions};
    ///
    /// let opts = MirrorOptions::new().backend(Backend::Software);
    /// let buf = MirrorBuffer::with_options(1, &opts).unwrap();
    /// assert_eq!(buf.backend(), Backend::Software);
    /// ```
    pub fn with_options(min_bytes: usize, options: &MirrorOptions) -> Result<Self, Error> {
        if min_bytes == 0 {
            return Err(Error::ZeroCapacity);
        }
        let unit = granularity();
        let len = round_up_mirror_size(min_bytes, unit).ok_or(Error::CapacityOverflow)?;
        check_backable(len)?;
        let pooled = options.is_pooled();
        if pooled {
            if let Some((ptr, backend)) = pool::take(len, options.backend) {
                // Zeroed and checked mirrored when it entered the pool; prefaulting would find
                // its pages resident already.
                return Ok(MirrorBuffer {
                    ptr,
                    len,
                    backend,
                    pooled,
                });
            }
        }
        match options.backend {
            Some(backend) => Self::create(backend, len, options.prefault, pooled),
            None => {
                let mut first_error = None;
                for &backend in Backend::default_order() {
                    match Self::create(backend, len, options.prefault, pooled) {
                        Ok(buf) => return Ok(buf),
                        // Running out of mappings or memory is not something another backend
                        // fixes; report it rather than hide it behind a slower fallback.
                        Err(err @ Error::Os { .. }) if is_resource_exhaustion(&err) => {
                            return Err(err)
                        }
                        Err(err) => {
                            first_error.get_or_insert(err);
                        }
                    }
                }
                Err(first_error.unwrap_or(Error::BackendUnavailable(Backend::Software)))
            }
        }
    }

    fn create(backend: Backend, len: usize, prefault: bool, pooled: bool) -> Result<Self, Error> {
        let ptr = match backend {
            #[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
            Backend::Memfd => memfd::map(len)?,
            #[cfg(all(target_os = "linux", not(miri)))]
            Backend::Mremap => mremap::map(len)?,
            #[cfg(all(target_os = "linux", not(miri)))]
            Backend::Shm => shm::map(len)?,
            #[cfg(all(target_os = "freebsd", not(miri)))]
            Backend::Shm => freebsd::map(len)?,
            #[cfg(all(target_vendor = "apple", not(miri)))]
            Backend::MachVm => macos::map(len)?,
            #[cfg(all(windows, not(miri)))]
            Backend::Placeholder if windows::is_supported() => windows::map(len)?,
            Backend::Software => software::map(len)?,
            #[allow(unreachable_patterns)]
            other => return Err(Error::BackendUnavailable(other)),
        };
        let buf = MirrorBuffer {
            ptr,
            len,
            backend,
            pooled,
        };
        if prefault {
            buf.prefault();
        }
        Ok(buf)
    }

    /// Best effort: asks the kernel to populate every page for writing. Failure is harmless (the
    /// pages then fault in on first touch), so it is not reported.
    fn prefault(&self) {
        #[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
        if self.backend.is_hardware() {
            // SAFETY: both halves are read-write memory of ours; populating them changes no
            // contents. A refusal (a kernel before 5.14) is ignored.
            unsafe {
                sys::linux::populate_write(self.ptr.as_ptr(), self.len);
                sys::linux::populate_write(self.ptr.as_ptr().add(self.len), self.len);
            }
            return;
        }
        if !self.backend.is_hardware() {
            // SAFETY: the first half is N bytes we own and nobody else references yet.
            unsafe { std::ptr::write_bytes(self.ptr.as_ptr(), 0, self.len) };
            // SAFETY: as above, for the twin half.
            unsafe { std::ptr::write_bytes(self.ptr.as_ptr().add(self.len), 0, self.len) };
        }
    }

    /// N, the physical size in bytes; the mapping spans `2 * len()` bytes of address space.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = picoring::mirror::MirrorBuffer::new(1).unwrap();
    /// assert_eq!(buf.len(), picoring::mirror::granularity());
    /// ```
    #[allow(clippy::len_without_is_empty)] // never empty: construction rejects size 0
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Which backend serves this buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::{Backend, MirrorBuffer, MirrorOptions};
    ///
    /// let buf = MirrorBuffer::new(1).unwrap();
    /// assert!(buf.backend().is_available());
    /// let opts = MirrorOptions::new().backend(Backend::Software);
    /// assert_eq!(MirrorBuffer::with_options(1, &opts).unwrap().backend(), Backend::Software);
    /// ```
    #[inline]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Start of the 2N-byte region. Reading through it is sound while no `&mut` slice obtained
    /// from this buffer is alive.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = picoring::mirror::MirrorBuffer::new(1).unwrap();
    /// assert_eq!(buf.as_ptr() as usize % picoring::mirror::granularity(), 0);
    /// ```
    #[inline]
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    /// Start of the 2N-byte region, for writing. The caller must not create overlapping live
    /// references, and on the software backend must call [`mirror_range`](Self::mirror_range)
    /// after writing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = picoring::mirror::MirrorBuffer::new(1).unwrap();
    /// let p = buf.as_mut_ptr();
    /// // SAFETY: offset 0 is inside the mapping and nothing else references it.
    /// unsafe {
    ///     p.write(7);
    ///     buf.mirror_range(0, 1);
    /// }
    /// assert_eq!(buf.slice(buf.len(), 1), None); // slices must start in the first half
    /// assert_eq!(buf.slice(0, 1), Some(&[7u8][..]));
    /// ```
    #[inline]
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// A shared view of `len` bytes starting at `offset`, where `offset < N` and `len <= N`:
    /// the run may cross the physical end and still be one slice. `None` outside those bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = picoring::mirror::MirrorBuffer::new(1).unwrap();
    /// let n = buf.len();
    /// assert!(buf.slice(n - 1, n).is_some());
    /// assert!(buf.slice(0, n + 1).is_none());
    /// ```
    pub fn slice(&self, offset: usize, len: usize) -> Option<&[u8]> {
        if offset >= self.len || len > self.len {
            return None;
        }
        // SAFETY: offset + len < 2N lies inside the mapping; the bytes are initialized (mapped
        // pages read as zero, software buffers are zeroed); writes need `&mut self`, so none
        // happen while this shared slice lives; its length is at most N.
        Some(unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(offset), len) })
    }

    /// Copies `data` to the bytes starting at `offset` (`offset < N`, `data.len() <= N`),
    /// wrapping through the mirror. `None` outside those bounds, and nothing is written.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = picoring::mirror::MirrorBuffer::new(1).unwrap();
    /// let n = buf.len();
    /// buf.write_at(n - 1, b"ab").unwrap();
    /// assert_eq!(buf.slice(0, 1), Some(&b"b"[..]));
    /// assert!(buf.write_at(n, b"x").is_none());
    /// ```
    pub fn write_at(&mut self, offset: usize, data: &[u8]) -> Option<()> {
        if offset >= self.len || data.len() > self.len {
            return None;
        }
        // SAFETY: the destination lies inside the 2N mapping (offset + len < 2N), `&mut self`
        // rules out live references into it, and `data` cannot point into it for the same reason.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr.as_ptr().add(offset), data.len());
            self.mirror_range(offset, data.len());
        }
        Some(())
    }

    /// On the software backend, copies the `len` bytes at `offset` (in the 2N region) to their
    /// twins in the other half; on every other backend the hardware already did, and this does
    /// nothing.
    ///
    /// # Safety
    ///
    /// `offset + len <= 2 * N`, `len <= N`, and no live reference may cover the twin bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::mirror::{Backend, MirrorBuffer, MirrorOptions};
    ///
    /// let mut buf = MirrorBuffer::with_options(1, &MirrorOptions::new().backend(Backend::Software)).unwrap();
    /// let n = buf.len();
    /// // SAFETY: offset n is the first byte of the twin half; nothing references the buffer.
    /// unsafe {
    ///     buf.as_mut_ptr().add(n).write(9);
    ///     buf.mirror_range(n, 1);
    /// }
    /// assert_eq!(buf.slice(0, 1), Some(&[9u8][..]));
    /// ```
    #[inline]
    pub unsafe fn mirror_range(&self, offset: usize, len: usize) {
        if self.backend.is_hardware() || len == 0 {
            return;
        }
        debug_assert!(len <= self.len && offset + len <= 2 * self.len);
        // SAFETY: forwarded from the caller.
        unsafe { software::mirror_range(self.ptr, self.len, offset, len) }
    }
}

impl Drop for MirrorBuffer {
    fn drop(&mut self) {
        // SAFETY: our whole mirror, which nothing references any more (we are being dropped);
        // once the pool keeps it, it is the pool's, and we do not unmap it.
        if self.pooled && unsafe { pool::give(self.ptr, self.len, self.backend) } {
            return;
        }
        // SAFETY: `ptr`/`len` came from this backend's `map` and are unmapped exactly once.
        unsafe { unmap(self.backend, self.ptr, self.len) }
    }
}

/// Unmaps the mirror at `ptr` the way `backend` mapped it.
///
/// # Safety
/// `ptr`/`len` came from `backend`'s `map`, nothing references the mirror, and it is unmapped
/// once.
unsafe fn unmap(backend: Backend, ptr: NonNull<u8>, len: usize) {
    // SAFETY: per the caller's contract.
    unsafe {
        match backend {
            #[cfg(all(target_os = "linux", not(miri)))]
            Backend::Memfd | Backend::Mremap | Backend::Shm => fork::unmap(ptr, len),
            #[cfg(all(target_os = "android", not(miri)))]
            Backend::Memfd => fork::unmap(ptr, len),
            #[cfg(all(target_os = "freebsd", not(miri)))]
            Backend::Shm => fork::unmap(ptr, len),
            #[cfg(all(target_vendor = "apple", not(miri)))]
            Backend::MachVm => macos::unmap(ptr, len),
            #[cfg(all(windows, not(miri)))]
            Backend::Placeholder => windows::unmap(ptr, len),
            Backend::Software => software::unmap(ptr, len),
            #[allow(unreachable_patterns)]
            _ => unreachable!("a buffer only exists for a backend that mapped it"),
        }
    }
}

impl std::fmt::Debug for MirrorBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MirrorBuffer")
            .field("ptr", &self.ptr)
            .field("len", &self.len)
            .field("backend", &self.backend)
            .finish()
    }
}

/// `ENOMEM` and friends: no other backend will succeed where these fail.
fn is_resource_exhaustion(err: &Error) -> bool {
    match err {
        // EMFILE is not here: the fd-less mremap backend still works without descriptors.
        Error::Os { source, .. } => sys::is_out_of_memory(source),
        _ => false,
    }
}
