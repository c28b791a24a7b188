//! `fork()` on Linux: a child gets a private copy of every live mirror, never the parent's pages.
//!
//! The Linux backends map the ring `MAP_SHARED` (that is how both halves see the same pages), and
//! a shared mapping stays shared across `fork()`: left alone, a child and its parent would write
//! into each other's rings. So every live mirror is listed in a registry, and a
//! `pthread_atfork` child handler gives the child its own copy of each one before `fork()`
//! returns there:
//!
//! ```text
//! prepare (parent, before fork):  lock the registry, so the child sees a complete list
//! parent  (parent, after fork):   unlock
//! child   (child, after fork):    for each live mirror (base, N):
//!                                   fd = memfd_create; ftruncate(fd, N); write(fd, base, N)
//!                                   mmap(base,     N, MAP_SHARED|MAP_FIXED, fd)
//!                                   mmap(base + N, N, MAP_SHARED|MAP_FIXED, fd); close(fd)
//!                                 (memfd refused: a MAP_SHARED|MAP_ANONYMOUS copy, duplicated
//!                                  over the second half with mremap(old_size = 0), then moved
//!                                  over the first); unlock
//! ```
//!
//! The copy keeps the addresses, so every pointer, slice and Python view the child inherited
//! still points at the same bytes, now its own, and the two halves still mirror each other.
//! The child handler only makes system calls and copies memory (async-signal-safe: it may run
//! in a child of a multithreaded parent where another thread held the allocator lock), and
//! walks the registry without allocating.
//!
//! `vfork` and `posix_spawn` (what `std::process::Command` and Python's `subprocess` use) run no
//! `pthread_atfork` handlers, so launching a program pays nothing.
//!
//! If the child cannot get the memory for its copy (`ENOMEM`, a memory cgroup limit, the
//! mapping count limit), sharing the parent's pages is never the answer: the mirror is replaced
//! by an inaccessible mapping at the same addresses, a one-line message goes to standard error,
//! and the child carries on. A child that does not touch that ring (the usual case for one that
//! is about to `exec`) never notices; one that does is stopped by `SIGSEGV` before it reads
//! anything wrong. Should even that replacement fail, the child leaves with `_exit(127)`.
//!
//! The lock is a spin lock whose word is the holder's process id: the child handler runs in the
//! forking thread, which holds it through `prepare`, so it can release it; and a child forked
//! before the handlers were installed (a fork racing the very first mirror) recognises a word
//! written by its parent and takes the lock over instead of waiting for a thread it does not
//! have.

use std::cell::UnsafeCell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use crate::Error;

/// One live mirror: the start of its 2N region and N.
#[derive(Clone, Copy)]
struct Entry {
    base: usize,
    len: usize,
}

/// Every live Linux mirror in this process.
struct Registry {
    /// 0 when free, else the process id of the holder.
    lock: AtomicI32,
    /// Whether our `pthread_atfork` handlers are installed (written under the lock).
    installed: AtomicBool,
    /// The live mirrors, in no particular order. Only touched under the lock; the child
    /// handler reads it through its raw parts, without allocating.
    entries: UnsafeCell<Vec<Entry>>,
}

// SAFETY: `entries` is only accessed while `lock` is held (or in the single-threaded child,
// where the forking thread holds it).
unsafe impl Sync for Registry {}

static REGISTRY: Registry = Registry {
    lock: AtomicI32::new(0),
    installed: AtomicBool::new(false),
    entries: UnsafeCell::new(Vec::new()),
};

/// A held registry lock; unlocks on drop.
struct Locked;

impl Locked {
    fn acquire() -> Locked {
        lock();
        Locked
    }

    /// The registry's list.
    fn entries(&mut self) -> &mut Vec<Entry> {
        // SAFETY: we hold the lock, and `&mut self` makes this the only reference through it.
        unsafe { &mut *REGISTRY.entries.get() }
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        unlock();
    }
}

fn current_pid() -> i32 {
    // SAFETY: getpid has no preconditions and cannot fail.
    unsafe { libc::getpid() }
}

/// Takes the registry lock (spinning, then yielding: it is only ever held briefly, or across
/// a `fork()` by the prepare handler).
fn lock() {
    let me = current_pid();
    let mut spins = 0u32;
    loop {
        match REGISTRY
            .lock
            .compare_exchange_weak(0, me, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => return,
            Err(holder) if holder != 0 && holder != me => {
                // Written by another process: our parent forked while one of its threads held
                // the lock, before the handlers that would have released it were installed.
                // The entries are consistent (the only thing done under the lock before
                // installation is the installation), so take it over.
                if REGISTRY
                    .lock
                    .compare_exchange(holder, me, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return;
                }
            }
            Err(_) => {}
        }
        spins += 1;
        if spins < 64 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

fn unlock() {
    REGISTRY.lock.store(0, Ordering::Release);
}

/// Adds the mirror at `base` (2 * `len` bytes, mapped `MAP_SHARED`) to the registry, installing
/// the fork handlers first if this is the first one.
///
/// # Errors
///
/// [`Error::Os`] when `pthread_atfork` or the registry's allocation fails; the caller must then
/// unmap the mirror rather than hand it out.
pub(super) fn register(base: NonNull<u8>, len: usize) -> Result<(), Error> {
    let mut locked = Locked::acquire();
    if !REGISTRY.installed.load(Ordering::Relaxed) {
        // Installed under the lock: from the moment it is registered, a concurrent fork runs
        // `prepare`, which waits for us to finish.
        // SAFETY: three `extern "C"` functions that live as long as the process.
        let rc = unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
        if rc != 0 {
            return Err(Error::Os {
                op: "pthread_atfork",
                source: std::io::Error::from_raw_os_error(rc),
            });
        }
        REGISTRY.installed.store(true, Ordering::Relaxed);
    }
    let entries = locked.entries();
    entries.try_reserve(1).map_err(|_| Error::Os {
        op: "pthread_atfork",
        source: std::io::ErrorKind::OutOfMemory.into(),
    })?;
    entries.push(Entry {
        base: base.as_ptr() as usize,
        len,
    });
    Ok(())
}

/// Removes the mirror at `base` from the registry (before it is unmapped). Unknown addresses
/// are ignored.
pub(super) fn unregister(base: NonNull<u8>) {
    let mut locked = Locked::acquire();
    let entries = locked.entries();
    let base = base.as_ptr() as usize;
    // Newest first: short-lived rings are usually the most recently created.
    if let Some(i) = entries.iter().rposition(|e| e.base == base) {
        entries.swap_remove(i);
    }
}

extern "C" fn prepare() {
    lock();
}

extern "C" fn parent() {
    unlock();
}

extern "C" fn child() {
    // The forking thread took the lock in `prepare`, and it is the only thread here.
    // SAFETY: we hold the lock; reading the vector's raw parts allocates nothing.
    let (ptr, count) = unsafe {
        let entries = &*REGISTRY.entries.get();
        (entries.as_ptr(), entries.len())
    };
    for i in 0..count {
        // SAFETY: `i < count`, the vector's length, and nobody else can change it.
        let entry = unsafe { *ptr.add(i) };
        // SAFETY: a live mirror of this process (registered after mapping, removed before
        // unmapping, both under the lock), inherited at the same address.
        unsafe { make_private(entry.base as *mut u8, entry.len) };
    }
    unlock();
}

/// Replaces the inherited mirror at `base` with a private copy of its contents; on failure,
/// with an inaccessible mapping (see the module docs).
///
/// # Safety
///
/// `[base, base + 2 * len)` is a mirror created by a Linux backend, in a freshly forked child.
unsafe fn make_private(base: *mut u8, len: usize) {
    // SAFETY: forwarded from the caller.
    if unsafe { copy_to_memfd(base, len) || copy_to_anonymous(base, len) } {
        return;
    }
    const MESSAGE: &[u8] = b"picoring: not enough memory to copy a ring into this forked \
        child; the ring is inaccessible in the child\n";
    // SAFETY: a best-effort message; `write` is async-signal-safe.
    unsafe { libc::write(libc::STDERR_FILENO, MESSAGE.as_ptr().cast(), MESSAGE.len()) };
    // SAFETY: replaces both halves (ours, per the caller) with one private inaccessible mapping:
    // nothing in the child may share the parent's pages any more.
    let p = unsafe {
        libc::mmap(
            base.cast(),
            2 * len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        // SAFETY: leaving is the one way left not to share the parent's memory.
        unsafe { libc::_exit(127) };
    }
}

/// The memfd copy. Returns whether both halves are now the private copy.
///
/// # Safety
///
/// As for [`make_private`].
unsafe fn copy_to_memfd(base: *mut u8, len: usize) -> bool {
    // SAFETY: a NUL-terminated name and flags; memfd_create is a plain system call.
    let fd = unsafe { libc::memfd_create(c"picoring".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return false;
    }
    // SAFETY: `fd` is ours; `base..base + len` is readable (the inherited first half).
    let done = unsafe { fill(fd, base, len) && map_both(fd, base, len) };
    // SAFETY: closing the descriptor we opened; the mappings keep the file alive.
    unsafe { libc::close(fd) };
    done
}

/// Sizes the file to `len` and writes the `len` bytes at `src` into it.
///
/// # Safety
///
/// `fd` is an open, empty, writable file; `src..src + len` is readable.
unsafe fn fill(fd: libc::c_int, src: *const u8, len: usize) -> bool {
    let Ok(size) = libc::off_t::try_from(len) else {
        return false;
    };
    // SAFETY: a descriptor we own.
    while unsafe { libc::ftruncate(fd, size) } != 0 {
        if errno() != libc::EINTR {
            return false;
        }
    }
    let mut done = 0;
    while done < len {
        // SAFETY: `src + done .. src + len` is readable, per the caller.
        let n = unsafe { libc::write(fd, src.add(done).cast(), len - done) };
        if n > 0 {
            done += n as usize;
        } else if n == 0 || errno() != libc::EINTR {
            return false;
        }
    }
    true
}

/// Maps `fd` over both halves of the mirror at `base`.
///
/// # Safety
///
/// As for [`make_private`]; `fd` is at least `len` bytes long.
unsafe fn map_both(fd: libc::c_int, base: *mut u8, len: usize) -> bool {
    for half in [base, base.wrapping_add(len)] {
        // SAFETY: MAP_FIXED over a half of our own mirror, replacing the inherited shared
        // mapping with one of the child's own file (the contents were copied already).
        let p = unsafe {
            libc::mmap(
                half.cast(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_FIXED,
                fd,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return false;
        }
    }
    true
}

/// The copy without a descriptor, for when `memfd_create` is refused. Returns whether both
/// halves are now the private copy.
///
/// # Safety
///
/// As for [`make_private`].
unsafe fn copy_to_anonymous(base: *mut u8, len: usize) -> bool {
    // SAFETY: a new shared anonymous mapping wherever the kernel likes.
    let tmp = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if tmp == libc::MAP_FAILED {
        return false;
    }
    // SAFETY: `tmp` is `len` fresh bytes of ours; `base` is the readable inherited first half;
    // they do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(base, tmp.cast::<u8>(), len) };
    let twin = base.wrapping_add(len);
    // SAFETY: with old_size 0, a second mapping of `tmp`'s pages, replacing our second half.
    let q = unsafe {
        libc::mremap(
            tmp,
            0,
            len,
            libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
            twin.cast::<libc::c_void>(),
        )
    };
    if q == libc::MAP_FAILED {
        // SAFETY: our temporary mapping.
        unsafe { libc::munmap(tmp, len) };
        return false;
    }
    // SAFETY: moves `tmp` over our first half; `tmp` is gone afterwards.
    let p = unsafe {
        libc::mremap(
            tmp,
            len,
            len,
            libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
            base.cast::<libc::c_void>(),
        )
    };
    if p == libc::MAP_FAILED {
        // SAFETY: our temporary mapping (the second half now also maps its pages, which is
        // fine: the caller replaces the whole mirror next).
        unsafe { libc::munmap(tmp, len) };
        return false;
    }
    true
}

fn errno() -> libc::c_int {
    // SAFETY: the calling thread's errno.
    unsafe { *libc::__errno_location() }
}
