//! `fork()` on Linux, Android, FreeBSD and macOS: a child gets a private copy of every live
//! mirror, never the parent's pages.
//!
//! The backends there map the ring as shared memory (`MAP_SHARED`; on macOS, Mach mappings
//! inherited `VM_INHERIT_SHARE`): that is how both halves see the same pages, and in a child
//! too. A shared mapping stays shared across `fork()`: left alone, a child and its parent would
//! write into each other's rings. So every live mirror is listed in a registry, and a
//! `pthread_atfork` child handler gives the child its own copy of each one before `fork()`
//! returns there:
//!
//! ```text
//! prepare (parent, before fork):  lock the registry, so the child sees a complete list
//! parent  (parent, after fork):   unlock
//! child   (child, after fork):    for each live mirror (base, N):
//!                                   fd = a new shared object (memfd_create on Linux and
//!                                        Android, shm_open(SHM_ANON) on FreeBSD)
//!                                   ftruncate(fd, N); write(fd, base, N)
//!                                   mmap(base,     N, MAP_SHARED|MAP_FIXED, fd)
//!                                   mmap(base + N, N, MAP_SHARED|MAP_FIXED, fd); close(fd)
//!                                 (Linux and Android, no such object: a MAP_SHARED|MAP_ANONYMOUS
//!                                  copy, duplicated over the second half with
//!                                  mremap(old_size = 0), then moved over the first;
//!                                  macOS: `copy_private` in the Mach backend, a fresh range
//!                                  remapped over both halves); unlock
//! ```
//!
//! The descriptor-backed mirrors enter the registry through `map_twice` or `finish` and leave
//! it through `unmap`; the one step that differs between their systems, making the new shared
//! object, is `new_object`. The Mach backend calls [`register`] and [`unregister`] itself.
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
//! A mirror that another thread is creating or dropping at the moment of the fork (mapped but
//! not yet registered, or unregistered but not yet unmapped) is not copied: the child keeps a
//! shared mapping there that nothing in the child refers to (the thread that would have
//! returned or freed it does not exist in the child), until the child exits or execs.
//!
//! If the child cannot get the memory for its copy (`ENOMEM`, a memory cgroup limit, the
//! mapping count limit), sharing the parent's pages is never the answer: the mirror is replaced
//! by an inaccessible mapping at the same addresses, a one-line message goes to standard error,
//! and the child carries on. A child that does not touch that ring (the usual case for one that
//! is about to `exec`) never notices; one that does is stopped by `SIGSEGV` before it reads
//! anything wrong. Should even that replacement fail, the child leaves with `_exit(127)`.
//!
//! The lock is a spin lock (held for a map insertion or removal, or across a fork by
//! `prepare`); the child handler runs in the forking thread, which took it in `prepare`, so it
//! releases it there. The handlers are installed before the first mirror is registered, outside
//! the lock, so the lock is never held across a fork without `prepare` waiting for it. A child
//! forked while another thread was installing the handlers (a fork racing the very first
//! mirror) sees the installation unfinished by a thread it does not have, and installs them
//! itself; a child forked once they were in place has them, and its handler says so.
//!
//! Only the Linux build runs here; the Android, FreeBSD and macOS builds are compile-checked.

use std::cell::UnsafeCell;
use std::collections::BTreeMap;
#[cfg(not(target_vendor = "apple"))]
use std::os::fd::OwnedFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[cfg(any(target_os = "linux", target_os = "android"))]
use crate::sys::linux::remap_fixed;
use crate::sys::unix::{at_fork, exit_now, map_inaccessible, process_id, write_stderr};
#[cfg(not(target_vendor = "apple"))]
use crate::sys::unix::{map_fixed, set_len, unmap as unmap_mirror, write_all, Reservation};
use crate::Error;

// `new_object`: a new, empty shared-memory object (close-on-exec) for a child's copy, made by
// the call the backend itself starts from. It must allocate nothing, errors included (it runs
// in the child handler).
#[cfg(target_os = "freebsd")]
use crate::sys::freebsd::shm_anon as new_object;
#[cfg(any(target_os = "linux", target_os = "android"))]
use crate::sys::linux::memfd as new_object;

// `copy_private`: the copy on macOS, where a mirror is two Mach mappings of anonymous memory.
#[cfg(target_vendor = "apple")]
use super::macos::copy_private;

/// Every live mirror of the shared-memory backends in this process.
struct Registry {
    lock: AtomicBool,
    /// Whether our `pthread_atfork` handlers are installed: [`NOT_INSTALLED`], [`INSTALLED`],
    /// or being installed by a thread of the process whose id is the value minus
    /// [`INSTALLING`].
    hooks: AtomicU64,
    /// The live mirrors: the start of each 2N region, and N. Only touched under the lock;
    /// the child handler iterates over it, which allocates nothing.
    entries: UnsafeCell<BTreeMap<usize, usize>>,
}

// SAFETY: `entries` is only accessed while `lock` is held (or in the single-threaded child,
// where the forking thread holds it).
unsafe impl Sync for Registry {}

static REGISTRY: Registry = Registry {
    lock: AtomicBool::new(false),
    hooks: AtomicU64::new(NOT_INSTALLED),
    entries: UnsafeCell::new(BTreeMap::new()),
};

/// How many `fork()`s separate this process from the one that loaded the library: the child
/// handler adds one. The pool of released mirrors compares it with the value it was filled at.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// This process's fork generation (see [`GENERATION`]).
pub(super) fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

const NOT_INSTALLED: u64 = 0;
const INSTALLED: u64 = 1;
const INSTALLING: u64 = 2;

/// A held registry lock; unlocks on drop.
struct Locked;

impl Locked {
    fn acquire() -> Locked {
        lock();
        Locked
    }

    /// The registry's list.
    fn entries(&mut self) -> &mut BTreeMap<usize, usize> {
        // SAFETY: we hold the lock, and `&mut self` makes this the only reference through it.
        unsafe { &mut *REGISTRY.entries.get() }
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        unlock();
    }
}

/// [`INSTALLING`] plus this process's id: the `hooks` value while one of our threads installs.
fn installing_here() -> u64 {
    INSTALLING + u64::from(process_id())
}

/// Spins a little, then yields: what every wait here does.
fn backoff(spins: &mut u32) {
    *spins += 1;
    if *spins < 64 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// Takes the registry lock. It is only ever held briefly, or across a `fork()` by the prepare
/// handler.
fn lock() {
    let mut spins = 0;
    while REGISTRY
        .lock
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        backoff(&mut spins);
    }
}

fn unlock() {
    REGISTRY.lock.store(false, Ordering::Release);
}

/// Installs the fork handlers once per process, before the first mirror is registered.
fn install_hooks() -> Result<(), Error> {
    let mut spins = 0;
    let me = installing_here();
    loop {
        match REGISTRY.hooks.compare_exchange(
            NOT_INSTALLED,
            me,
            Ordering::Acquire,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                let result = at_fork(prepare, parent, child);
                let state = if result.is_ok() {
                    INSTALLED
                } else {
                    NOT_INSTALLED
                };
                REGISTRY.hooks.store(state, Ordering::Release);
                return result;
            }
            Err(INSTALLED) => return Ok(()),
            Err(other) if other != me => {
                // A thread of the process we were forked from was installing them (before
                // they existed, or this child's handler would have said INSTALLED): nobody
                // here ever will finish, so start over.
                let _ = REGISTRY.hooks.compare_exchange(
                    other,
                    NOT_INSTALLED,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
            }
            Err(_) => backoff(&mut spins), // another thread here is installing them
        }
    }
}

/// Adds the mirror at `base` (2 * `len` bytes of shared memory) to the registry, installing
/// the fork handlers first if this is the first one.
///
/// # Errors
///
/// [`Error::Os`] when `pthread_atfork` fails; the caller must then unmap the mirror rather
/// than hand it out.
pub(super) fn register(base: NonNull<u8>, len: usize) -> Result<(), Error> {
    if REGISTRY.hooks.load(Ordering::Acquire) != INSTALLED {
        install_hooks()?;
    }
    Locked::acquire()
        .entries()
        .insert(base.as_ptr() as usize, len);
    Ok(())
}

/// Removes the mirror at `base` from the registry (before it is unmapped). Unknown addresses
/// are ignored.
pub(super) fn unregister(base: NonNull<u8>) {
    Locked::acquire()
        .entries()
        .remove(&(base.as_ptr() as usize));
}

/// Sizes the new, empty shared object `fd` to `len` bytes, maps it twice and registers the
/// mirror. `fd` is closed on return, on success and on every error path; the mappings keep the
/// object alive.
#[cfg(not(target_vendor = "apple"))]
pub(super) fn map_object(fd: OwnedFd, len: usize) -> Result<NonNull<u8>, Error> {
    set_len(&fd, len)?;
    map_twice(&fd, len)
}

/// Maps `fd` twice into a fresh 2 * `len` reservation and registers the mirror.
#[cfg(not(target_vendor = "apple"))]
pub(super) fn map_twice(fd: &OwnedFd, len: usize) -> Result<NonNull<u8>, Error> {
    let reservation = Reservation::new(len.checked_mul(2).ok_or(Error::CapacityOverflow)?)?;
    let base = reservation.ptr();
    // SAFETY: both halves lie inside the reservation we just made, which nothing references.
    unsafe {
        map_fixed(fd, base, len, 0)?;
        map_fixed(fd, base.add(len), len, 0)?;
    }
    finish(reservation, len)
}

/// Registers a complete 2 * `len` mirror (a forked child then gets its own copy instead of
/// sharing these pages) and hands it over; unmaps it if that fails.
#[cfg(not(target_vendor = "apple"))]
pub(super) fn finish(mirror: Reservation, len: usize) -> Result<NonNull<u8>, Error> {
    register(mirror.as_non_null(), len)?;
    Ok(mirror.release())
}

/// Unmaps the whole 2N mirror, after taking it out of the registry.
///
/// # Safety
/// `ptr` is the base of a 2 * `len` mirror that [`map_twice`] or [`finish`] handed out,
/// unmapped once.
#[cfg(not(target_vendor = "apple"))]
pub(super) unsafe fn unmap(ptr: NonNull<u8>, len: usize) {
    unregister(ptr);
    // SAFETY: per the caller's contract.
    unsafe { unmap_mirror(ptr.as_ptr(), 2 * len) };
}

extern "C" fn prepare() {
    lock();
}

extern "C" fn parent() {
    unlock();
}

extern "C" fn child() {
    // The forking thread took the lock in `prepare`, and it is the only thread here.
    // SAFETY: we hold the lock, so nothing changes the map; iterating allocates nothing.
    let entries = unsafe { &*REGISTRY.entries.get() };
    for (&base, &len) in entries {
        // SAFETY: a live mirror of this process (registered after mapping, removed before
        // unmapping, both under the lock), inherited at the same address.
        unsafe { make_private(base as *mut u8, len) };
    }
    GENERATION.fetch_add(1, Ordering::Relaxed);
    // This handler running proves the handlers are installed here, whatever the parent's
    // installing thread had written down when the fork caught it.
    REGISTRY.hooks.store(INSTALLED, Ordering::Relaxed);
    unlock();
}

/// Replaces the inherited mirror at `base` with a private copy of its contents; on failure,
/// with an inaccessible mapping (see the module docs).
///
/// # Safety
///
/// `[base, base + 2 * len)` is a registered mirror, in a freshly forked child.
unsafe fn make_private(base: *mut u8, len: usize) {
    #[cfg(not(target_vendor = "apple"))]
    // SAFETY: forwarded from the caller.
    if unsafe { copy_to_object(base, len) } {
        return;
    }
    #[cfg(target_vendor = "apple")]
    // SAFETY: forwarded from the caller.
    if unsafe { copy_private(base, len) } {
        return;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: forwarded from the caller.
    if unsafe { copy_to_anonymous(base, len) } {
        return;
    }
    write_stderr(
        b"picoring: not enough memory to copy a ring into this forked \
        child; the ring is inaccessible in the child\n",
    );
    // SAFETY: replaces both halves (ours, per the caller) with one private inaccessible mapping:
    // nothing in the child may share the parent's pages any more.
    if unsafe { map_inaccessible(base, 2 * len) }.is_err() {
        // Leaving is the one way left not to share the parent's memory.
        exit_now(127);
    }
}

/// The copy in a new shared object ([`new_object`]). Returns whether both halves are now the
/// private copy. (The helpers it shares with the backends make plain system calls and allocate
/// nothing, errors included.)
///
/// # Safety
///
/// As for [`make_private`].
#[cfg(not(target_vendor = "apple"))]
unsafe fn copy_to_object(base: *mut u8, len: usize) -> bool {
    let Ok(fd) = new_object() else {
        return false;
    };
    // `fd` is closed when it drops; the mappings keep the file alive.
    // SAFETY: `base..base + len` is the readable inherited first half, and both halves lie
    // inside our own mirror; the mappings replace them only once the file holds the copy.
    set_len(&fd, len).is_ok()
        && unsafe { write_all(&fd, base, len) }
        && unsafe { map_fixed(&fd, base, len, 0) }.is_ok()
        && unsafe { map_fixed(&fd, base.wrapping_add(len), len, 0) }.is_ok()
}

/// Linux and Android: the copy without a descriptor, for when `memfd_create` is refused.
/// Returns whether both halves are now the private copy.
///
/// # Safety
///
/// As for [`make_private`].
#[cfg(any(target_os = "linux", target_os = "android"))]
unsafe fn copy_to_anonymous(base: *mut u8, len: usize) -> bool {
    // Dropping `tmp` unmaps it, on every early return.
    let Ok(tmp) = Reservation::shared(len) else {
        return false;
    };
    // SAFETY: `tmp` is `len` fresh bytes of ours; `base` is the readable inherited first half;
    // they do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(base, tmp.ptr(), len) };
    // SAFETY: with old_size 0, a second mapping of `tmp`'s shared pages, replacing our second
    // half (ours, per the caller). (Should this fail, or the next, the caller replaces the
    // whole mirror next.)
    if unsafe { remap_fixed(tmp.ptr(), 0, len, base.wrapping_add(len)) }.is_err() {
        return false;
    }
    // SAFETY: moves `tmp` over our first half (ours, per the caller).
    if unsafe { remap_fixed(tmp.ptr(), len, len, base) }.is_err() {
        return false;
    }
    // `tmp` is gone: its pages are both halves now, and there is nothing left to unmap.
    tmp.release();
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_tracks_live_mirrors() {
        let fake = NonNull::new(0x7000_0000_0000 as *mut u8).unwrap();
        register(fake, 4096).unwrap();
        assert_eq!(
            Locked::acquire().entries().get(&(fake.as_ptr() as usize)),
            Some(&4096)
        );
        unregister(fake);
        assert_eq!(
            Locked::acquire().entries().get(&(fake.as_ptr() as usize)),
            None
        );
        assert_eq!(REGISTRY.hooks.load(Ordering::Relaxed), INSTALLED);
    }

    /// What registering adds to creating and dropping a mirror (no assertion on time):
    /// `cargo test --release -p picoring --lib registry_cost -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn registry_cost() {
        for live in [0usize, 10_000] {
            let others: Vec<usize> = (1..=live).map(|i| 0x6000_0000_0000 + i * 8192).collect();
            for &o in &others {
                register(NonNull::new(o as *mut u8).unwrap(), 4096).unwrap();
            }
            let fake = NonNull::new(0x7000_0000_0000 as *mut u8).unwrap();
            let rounds = 1_000_000;
            let start = std::time::Instant::now();
            for _ in 0..rounds {
                register(std::hint::black_box(fake), 4096).unwrap();
                unregister(std::hint::black_box(fake));
            }
            let ns = start.elapsed().as_nanos() as f64 / rounds as f64;
            println!("register + unregister with {live} others registered: {ns:.0} ns");
            for &o in &others {
                unregister(NonNull::new(o as *mut u8).unwrap());
            }
        }
    }
}
