//! Fault injection: the system refuses what the library asks for, and every case ends in an
//! error value or a working fallback, never a crash or a hang.
//!
//! - seccomp denies `memfd_create` (the mremap backend takes over), then `mremap` too (the
//!   shared-memory backend);
//! - `RLIMIT_NOFILE` leaves no descriptor free (the descriptor-less backend, or `EMFILE`);
//! - `RLIMIT_AS` leaves little address space (`ENOMEM` for a ring that does not fit, nothing
//!   left reserved after it, small rings and `PicoList` still fine or cleanly refused);
//! - a tiny `/dev/shm` (a private mount namespace with a 64 KiB tmpfs): `ENOSPC` at creation,
//!   not a `SIGBUS` later.
//!
//! `membarrier` refused is in `membarrier_denied.rs`; running out of mappings
//! (`vm.max_map_count`) in `ring_exhaustion.rs`. Each case here runs in a child process of its
//! own, so no filter, limit or mount reaches another test.
#![cfg(all(
    any(target_arch = "x86_64", target_arch = "aarch64"),
    target_os = "linux",
    not(miri)
))]

use std::time::Duration;

use picoring::mirror::{Backend, MirrorBuffer, MirrorOptions};
use picoring::{spsc, Error, PicoList, PicoRing};

mod fault;

/// Each case takes well under a second; this only catches a hang.
const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn fault_child() {
    fault::child_entry(|case| match case {
        "memfd_denied" => memfd_denied(),
        "memfd_and_mremap_denied" => memfd_and_mremap_denied(),
        "no_free_descriptor" => no_free_descriptor(),
        "small_address_space" => small_address_space(),
        "tiny_dev_shm" => tiny_dev_shm(),
        other => panic!("unknown case {other}"),
    });
}

/// One test per case, each run in a child process of its own.
macro_rules! child_cases {
    ($($test:ident => $case:literal;)*) => { $(
        #[test]
        fn $test() {
            fault::in_child($case, LIMIT);
        }
    )* };
}

child_cases! {
    memfd_create_denied_falls_back_to_mremap => "memfd_denied";
    memfd_and_mremap_denied_fall_back_to_shm => "memfd_and_mremap_denied";
    no_free_descriptor_uses_the_descriptor_less_backend_or_fails_cleanly => "no_free_descriptor";
    small_address_space_is_a_clean_enomem_without_leaks => "small_address_space";
}

#[test]
fn tiny_dev_shm_is_enospc_at_creation() {
    let out = fault::in_child("tiny_dev_shm", LIMIT);
    // Here (root, `CI=true`) the case must really run, not skip.
    if std::env::var("CI").as_deref() == Ok("true") {
        assert!(!out.contains("skipped:"), "{out}");
    }
}

/// The errno of an `Error::Os`, or a failure naming what was expected.
fn errno(err: &Error) -> i32 {
    match err {
        Error::Os { source, .. } => source.raw_os_error().expect("an OS error number"),
        other => panic!("expected Error::Os, got {other:?}"),
    }
}

/// A ring on `options` that is written across its physical end and read back.
fn ring_round_trip(options: &MirrorOptions) -> Result<Backend, Error> {
    let mut ring = PicoRing::<u32>::with_options(1, options)?;
    let cap = ring.capacity();
    assert_eq!(ring.push_slice(&vec![1; cap - 2]), cap - 2);
    assert_eq!(ring.consume(cap - 2), cap - 2);
    assert_eq!(ring.push_slice(&[1, 2, 3, 4, 5]), 5);
    assert_eq!(ring.readable(), [1, 2, 3, 4, 5]);
    Ok(ring.backend())
}

fn only(backend: Backend) -> MirrorOptions {
    MirrorOptions::new().backend(backend)
}

fn memfd_denied() {
    fault::deny_syscalls(&[libc::SYS_memfd_create]).unwrap();
    let refused = MirrorBuffer::with_options(1, &only(Backend::Memfd)).unwrap_err();
    assert_eq!(errno(&refused), libc::EPERM, "{refused}");
    assert_eq!(
        ring_round_trip(&MirrorOptions::new()).unwrap(),
        Backend::Mremap
    );
    // The split rings take the same path.
    let (mut tx, mut rx) = spsc::channel::<u8>(64).unwrap();
    assert_eq!(tx.backend(), Backend::Mremap);
    assert_eq!(tx.push_slice(b"fallback"), 8);
    assert_eq!(rx.readable(), b"fallback");
}

fn memfd_and_mremap_denied() {
    fault::deny_syscalls(&[libc::SYS_memfd_create, libc::SYS_mremap]).unwrap();
    let refused = MirrorBuffer::with_options(1, &only(Backend::Mremap)).unwrap_err();
    assert_eq!(errno(&refused), libc::EPERM, "{refused}");
    assert_eq!(
        ring_round_trip(&MirrorOptions::new()).unwrap(),
        Backend::Shm
    );
}

fn no_free_descriptor() {
    // The lowest free descriptor number becomes the limit: every number below it is taken,
    // so no new descriptor can be opened.
    // SAFETY: dup and close on descriptors of our own.
    let lowest_free = unsafe { libc::dup(2) };
    assert!(lowest_free > 2);
    // SAFETY: as above.
    unsafe { libc::close(lowest_free) };
    let limits = fault::set_rlimit(libc::RLIMIT_NOFILE, lowest_free as libc::rlim_t).unwrap();
    // SAFETY: as above.
    assert_eq!(
        unsafe { libc::dup(2) },
        -1,
        "the limit leaves no descriptor"
    );

    for backend in [Backend::Memfd, Backend::Shm] {
        let refused = MirrorBuffer::with_options(1, &only(backend)).unwrap_err();
        assert_eq!(errno(&refused), libc::EMFILE, "{backend:?}: {refused}");
    }
    match ring_round_trip(&MirrorOptions::new()) {
        Ok(backend) => assert_eq!(backend, Backend::Mremap),
        Err(err) => assert_eq!(errno(&err), libc::EMFILE, "{err}"),
    }
    println!("no descriptor free: the default ring is on the mremap backend or EMFILE");
    // Descriptors again for whatever runs at exit (LeakSanitizer reads /proc under `make
    // sanitize`).
    fault::restore_rlimit(libc::RLIMIT_NOFILE, limits).unwrap();
}

/// Virtual memory size of this process, from /proc/self/status, in bytes.
fn vm_size() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmSize:"))
        .expect("a VmSize line");
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn small_address_space() {
    const HEADROOM: usize = 64 << 20;
    // Allocated before the measurements and freed after them: under AddressSanitizer freed heap
    // stays mapped (its quarantine), which would look like a leak of the list.
    let chunk = vec![7u64; 1 << 19]; // 4 MiB
    fault::set_rlimit(libc::RLIMIT_AS, (vm_size() + HEADROOM) as libc::rlim_t).unwrap();
    let before = vm_size();

    // A ring whose mirror (2 x 256 MiB) cannot fit: ENOMEM, and nothing left mapped.
    for options in [MirrorOptions::new(), only(Backend::Software)] {
        match PicoRing::<u8>::with_options(256 << 20, &options) {
            Ok(ring) => panic!(
                "a 256 MiB ring in 64 MiB of address space: {:?}",
                ring.backend()
            ),
            Err(err) => assert_eq!(errno(&err), libc::ENOMEM, "{err}"),
        }
    }
    match spsc::channel::<u64>(64 << 20) {
        Ok(_) => panic!("a 512 MiB spsc ring in 64 MiB of address space"),
        Err(err) => assert_eq!(errno(&err), libc::ENOMEM, "{err}"),
    }
    assert!(
        vm_size() <= before + (1 << 20),
        "refused rings left {} bytes mapped",
        vm_size().saturating_sub(before)
    );
    // Small rings still work.
    ring_round_trip(&MirrorOptions::new()).unwrap();

    // PicoList reserves address space up front: refused cleanly or usable; growing it until
    // the limit bites is an error, never a panic or an abort.
    match PicoList::<u64>::new() {
        Err(err) => println!("PicoList::new refused: {err}"),
        Ok(mut list) => {
            let mut grown = 0;
            let refusal = loop {
                assert!(grown < 64, "grew {grown} x 4 MiB within 64 MiB of headroom");
                match list.extend_from_slice(&chunk) {
                    Ok(()) => grown += 1,
                    Err(err) => break err,
                }
            };
            println!("PicoList grew to {} MiB, then: {refusal}", grown * 4);
            assert_eq!(
                list.len(),
                grown * chunk.len(),
                "a refused extend changed the list"
            );
            assert!(list.iter().all(|&x| x == 7));
            assert!(list.reserve(usize::MAX / 16).is_err());
            list.clear();
            list.push(1).unwrap();
            assert_eq!(list.as_slice(), [1]);
        }
    }
    assert!(
        vm_size() <= before + (1 << 20),
        "a dropped PicoList left {} bytes mapped",
        vm_size().saturating_sub(before)
    );
    drop(chunk);
}

fn tiny_dev_shm() {
    // A mount namespace of this thread's own, with its mounts private (nothing propagates to
    // the host), and a 64 KiB tmpfs on /dev/shm.
    // SAFETY: unshare and mount with valid NUL-terminated strings; they affect this thread.
    let setup = unsafe {
        if libc::unshare(libc::CLONE_NEWNS) != 0 {
            Err("unshare(CLONE_NEWNS)")
        } else if libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ) != 0
        {
            Err("making / private")
        } else if libc::mount(
            c"tmpfs".as_ptr(),
            c"/dev/shm".as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV,
            c"size=64k".as_ptr().cast(),
        ) != 0
        {
            Err("mounting a 64 KiB tmpfs on /dev/shm")
        } else {
            Ok(())
        }
    };
    if let Err(what) = setup {
        let err = std::io::Error::last_os_error();
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{what} failed under CI=true: {err}");
        }
        println!("skipped: {what} failed ({err}); needs root or CAP_SYS_ADMIN");
        return;
    }
    // The whole /dev/shm is 64 KiB: a 1 MiB object cannot be reserved.
    let refused = MirrorBuffer::with_options(1 << 20, &only(Backend::Shm)).unwrap_err();
    assert_eq!(errno(&refused), libc::ENOSPC, "{refused}");
    // One that fits works, and the failed one left no space taken.
    assert_eq!(ring_round_trip(&only(Backend::Shm)).unwrap(), Backend::Shm);
    let fits = MirrorBuffer::with_options(32 << 10, &only(Backend::Shm)).unwrap();
    drop(fits);
    // With the other OS backends denied too, the default choice ends in an error or the
    // software mirror, never a ring that faults later.
    fault::deny_syscalls(&[libc::SYS_memfd_create, libc::SYS_mremap]).unwrap();
    match PicoRing::<u8>::with_options(1 << 20, &MirrorOptions::new()) {
        Ok(mut ring) => {
            assert_eq!(ring.backend(), Backend::Software);
            println!("memfd and mremap denied, /dev/shm full: the software mirror");
            let cap = ring.capacity();
            assert_eq!(ring.push_slice(&vec![9; cap]), cap);
            assert!(ring.readable().iter().all(|&b| b == 9));
        }
        Err(err) => {
            assert_eq!(errno(&err), libc::ENOSPC, "{err}");
            println!("memfd and mremap denied, /dev/shm full: {err}");
        }
    }
}
