//! Linux-only `MirrorBuffer` tests: descriptor and mapping leaks, `/dev/shm` hygiene,
//! prefaulting seen through `mincore`, `fork`, the descriptor-limit fallback and a small
//! `/dev/shm`. Part of the `mirror` test crate (see `../mirror.rs`).

use super::*;

use std::collections::BTreeSet;
use std::ffi::CString;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn mapping_lines() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .count()
}

/// Whether `/proc/self/maps` lists a mapping holding `addr`. (Counting lines cannot tell: a
/// new mapping may merge with a neighbour's line, or another thread unmap something meanwhile.)
fn is_mapped(addr: *const u8) -> bool {
    let addr = addr as usize;
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter_map(|line| {
            let (start, end) = line.split_whitespace().next()?.split_once('-')?;
            Some((
                usize::from_str_radix(start, 16).ok()?,
                usize::from_str_radix(end, 16).ok()?,
            ))
        })
        .any(|(start, end)| (start..end).contains(&addr))
}

fn shm_entries() -> BTreeSet<String> {
    std::fs::read_dir("/dev/shm")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with("picoring"))
                .collect()
        })
        .unwrap_or_default()
}

/// How many of the pages of `[base + offset, base + offset + len)` are resident.
fn resident_pages(buf: &MirrorBuffer, offset: usize, len: usize) -> usize {
    let page = granularity();
    let mut vec = vec![0u8; len.div_ceil(page)];
    // SAFETY: the range lies inside the buffer's mapping and starts page-aligned; `vec` has
    // one byte per page.
    let rc = unsafe {
        libc::mincore(
            buf.as_ptr().add(offset) as *mut libc::c_void,
            len,
            vec.as_mut_ptr(),
        )
    };
    assert_eq!(rc, 0, "mincore: {}", std::io::Error::last_os_error());
    vec.iter().filter(|&&v| v & 1 != 0).count()
}

#[test]
fn create_and_drop_leaks_no_descriptors_or_mappings() {
    let _guard = exclusive();
    for backend in running_backends() {
        let (fds, maps) = (open_fds(), mapping_lines());
        {
            // The measurement itself must see a live buffer, or it proves nothing.
            let live = create(backend, 1);
            if backend.is_hardware() {
                assert!(is_mapped(live.as_ptr()), "{backend:?}: mapping not visible");
            }
            drop(live);
        }
        for i in 0..20_000 {
            let mut buf = create(backend, 1);
            let at = i % buf.len();
            write_byte(&mut buf, at, i as u8);
        }
        assert_eq!(open_fds(), fds, "{backend:?} leaked descriptors");
        // A few lines of slack for allocator arenas or a test thread starting meanwhile; a
        // leak would show as tens of thousands.
        let after = mapping_lines();
        assert!(
            after <= maps + 16,
            "{backend:?}: {maps} -> {after} mappings"
        );
    }
}

#[test]
fn shm_leaves_nothing_in_dev_shm() {
    let _guard = shared();
    let before = shm_entries();
    let live: Vec<MirrorBuffer> = (0..200).map(|_| create(Backend::Shm, 1)).collect();
    let during = shm_entries();
    assert!(
        during.is_subset(&before),
        "names left while live: {during:?}"
    );
    drop(live);
    let after = shm_entries();
    assert!(after.is_subset(&before), "names left after drop: {after:?}");
}

#[test]
fn concurrent_shm_creations_all_succeed() {
    let _guard = shared();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for i in 0..200 {
                    let mut buf = create(Backend::Shm, 1 + i);
                    let n = buf.len();
                    let value = (t * 200 + i) as u8;
                    write_byte(&mut buf, i % n, value);
                    assert_eq!(read_byte(&buf, i % n + n), value);
                    held.push((buf, i % n, value));
                }
                // Everything created is still intact while all threads ran.
                for (buf, at, value) in &held {
                    assert_eq!(read_byte(buf, *at), *value);
                }
                held.len()
            })
        })
        .collect();
    let created: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(created, 8 * 200);
}

#[test]
fn prefault_makes_every_page_resident() {
    let _guard = shared();
    let bytes = 16 * granularity();
    for backend in [Backend::Memfd, Backend::Mremap, Backend::Shm] {
        let options = MirrorOptions::new().backend(backend).prefault(true);
        let buf = MirrorBuffer::with_options(bytes, &options).unwrap();
        let pages = buf.len() / granularity();
        assert_eq!(resident_pages(&buf, 0, buf.len()), pages, "{backend:?}");
        assert_eq!(
            resident_pages(&buf, buf.len(), buf.len()),
            pages,
            "{backend:?}"
        );
    }
    // The control: without prefaulting, fresh memfd and mremap pages are not there yet
    // (shm reserves its pages at creation with posix_fallocate, so it is resident anyway).
    // Unpooled: the mirrors above went to this thread's pool, resident.
    for backend in [Backend::Memfd, Backend::Mremap] {
        let options = MirrorOptions::new().backend(backend).pooled(false);
        let buf = MirrorBuffer::with_options(bytes, &options).unwrap();
        assert_eq!(resident_pages(&buf, 0, buf.len()), 0, "{backend:?}");
    }
}

/// A forked child has its own copy of the mirror at the same address: both halves still
/// mirror each other there, and its writes never reach the parent.
#[test]
fn forked_child_gets_a_private_mirror() {
    // Exclusive: the child's copy reads every page of every live mirror, which would upset the
    // residency checks of tests running alongside.
    let _guard = exclusive();
    for backend in [Backend::Memfd, Backend::Mremap, Backend::Shm] {
        let mut buf = create(backend, 1);
        buf.write_at(0, b"parent").unwrap();
        let len = buf.len();
        let base = buf.as_mut_ptr();
        // SAFETY: the child only makes raw system calls and volatile accesses, and `_exit`s.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
        if pid == 0 {
            // SAFETY: `base` is the child's copy of the 2N mirror; offsets < 2N.
            let code = unsafe {
                let inherited =
                    base.read_volatile() == b'p' && base.add(len).read_volatile() == b'p';
                base.write_volatile(b'C');
                let mirrored = base.add(len).read_volatile() == b'C';
                base.add(2 * len - 1).write_volatile(b'D');
                let wrapped = base.add(len - 1).read_volatile() == b'D';
                i32::from(!(inherited && mirrored && wrapped))
            };
            // SAFETY: ends the child without running the parent's destructors.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waiting for the child we just forked.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status),
            "{backend:?}: child status {status}"
        );
        assert_eq!(libc::WEXITSTATUS(status), 0, "{backend:?}: in the child");
        assert_eq!(buf.slice(0, 6), Some(&b"parent"[..]), "{backend:?}");
        assert_eq!(buf.slice(len - 1, 1), Some(&[0u8][..]), "{backend:?}");
    }
}

/// Lowers the descriptor limit until no descriptor is left, runs `f`, then restores it.
fn without_free_descriptors(f: impl FnOnce()) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid out-pointer.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    let highest = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<libc::rlim_t>().ok())
        .max()
        .unwrap_or(2);
    let lowered = libc::rlimit {
        rlim_cur: highest + 1,
        rlim_max: limit.rlim_max,
    };
    // SAFETY: a valid limit no higher than the hard limit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) }, 0);
    // Fill the holes below the limit.
    let mut fillers = Vec::new();
    loop {
        // SAFETY: duplicating stdin's descriptor number has no other effect.
        let fd = unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 0) };
        if fd < 0 {
            break;
        }
        fillers.push(fd);
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    for fd in fillers {
        // SAFETY: descriptors we duplicated above, closed once.
        unsafe { libc::close(fd) };
    }
    // SAFETY: restoring the limit read above.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

fn is_emfile(err: &Error) -> bool {
    matches!(err, Error::Os { source, .. } if source.raw_os_error() == Some(libc::EMFILE))
}

#[test]
fn without_descriptors_the_default_falls_back_to_mremap() {
    let _guard = exclusive();
    without_free_descriptors(|| {
        let memfd = MirrorBuffer::with_options(1, &MirrorOptions::new().backend(Backend::Memfd));
        assert!(is_emfile(&memfd.unwrap_err()));
        let shm = MirrorBuffer::with_options(1, &MirrorOptions::new().backend(Backend::Shm));
        assert!(is_emfile(&shm.unwrap_err()));
        let mut buf = MirrorBuffer::new(1).unwrap();
        assert_eq!(buf.backend(), Backend::Mremap);
        let n = buf.len();
        write_byte(&mut buf, 1, 9);
        assert_eq!(read_byte(&buf, n + 1), 9);
    });
}

/// `f_bavail * f_frsize` of `/dev/shm`, or `None` when it cannot be read.
fn dev_shm_free_bytes() -> Option<u64> {
    let path = CString::new("/dev/shm").ok()?;
    // SAFETY: statvfs is plain data; all-zero is a valid value.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid path and out-pointer.
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    Some(stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// Upstream 0.6 dies of SIGBUS on the first write when `/dev/shm` is too small; we must
/// return an error at creation instead.
#[test]
fn shm_larger_than_dev_shm_is_an_error() {
    let _guard = shared();
    const CHEAP_LIMIT: u64 = 4 << 30;
    let free = match dev_shm_free_bytes() {
        Some(free) if free <= CHEAP_LIMIT => free,
        Some(free) => {
            println!("skipped: /dev/shm has {free} bytes free, too many to fill cheaply");
            return;
        }
        None => {
            println!("skipped: cannot statvfs /dev/shm");
            return;
        }
    };
    let before = shm_entries();
    let too_big = free as usize + 64 * granularity();
    let options = MirrorOptions::new().backend(Backend::Shm);
    match MirrorBuffer::with_options(too_big, &options) {
        Err(Error::Os { op, source }) => {
            println!("{too_big} bytes with {free} free: {op}: {source}");
        }
        other => panic!("expected an OS error, got {other:?}"),
    }
    assert!(shm_entries().is_subset(&before));
    // The failure cost nothing: a small buffer still works.
    check_mirroring(Backend::Shm, 1, 7);
}
