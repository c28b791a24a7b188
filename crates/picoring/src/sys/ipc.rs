//! Linux and Android: the system calls of the shared rings of [`crate::ipc`]: their file (a
//! sealed memfd, or a file under `/dev/shm`), its mirrored mapping, and the process identities
//! the role claims record (`kill(pid, 0)` and `/proc/<pid>/stat`). Unlike the mirror's calls,
//! these allocate (error messages, `/proc` reads): none runs in a fork handler.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::ptr::NonNull;

use super::unix::{map_fixed, set_len, Reservation};

/// What holds a ring's pages: a file descriptor.
pub(crate) type File = OwnedFd;

/// The page size: header and data are whole pages.
pub(crate) fn page_size() -> usize {
    super::page_size()
}

fn os_error(op: &'static str) -> io::Error {
    let err = io::Error::last_os_error();
    io::Error::new(err.kind(), format!("{op} failed: {err}"))
}

/// A new anonymous memfd (close-on-exec, sealable) of `len` bytes.
pub(crate) fn anonymous_file(len: usize) -> io::Result<File> {
    let name = c"picoring-ipc";
    // MFD_NOEXEC_SEAL (Linux 6.3; required where the vm.memfd_noexec sysctl is 2) first;
    // older kernels answer EINVAL and get the flags without it.
    const MFD_NOEXEC_SEAL: libc::c_uint = 0x0008;
    let flags = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
    // SAFETY: memfd_create takes a NUL-terminated name and a flags word. The system call is
    // used directly on Linux too, as bionic names it only from API level 30.
    let mut fd = unsafe {
        libc::syscall(
            libc::SYS_memfd_create,
            name.as_ptr(),
            flags | MFD_NOEXEC_SEAL,
        )
    };
    if fd < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
        // SAFETY: as above.
        fd = unsafe { libc::syscall(libc::SYS_memfd_create, name.as_ptr(), flags) };
    }
    if fd < 0 {
        return Err(os_error("memfd_create"));
    }
    // SAFETY: a new descriptor that nothing else owns (it always fits a c_int).
    let file = unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) };
    set_len(&file, len)?;
    Ok(file)
}

/// Seals an anonymous ring's size (and the seals themselves), so that no process holding the
/// descriptor can shrink the file under another's mapping.
pub(crate) fn seal(file: &File) -> io::Result<()> {
    let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
    // SAFETY: fcntl on a descriptor we own, with an integer argument.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
        return Err(os_error("fcntl(F_ADD_SEALS)"));
    }
    Ok(())
}

/// The path of a named ring: `/dev/shm/<name>`, as `shm_open` would use. The name is one path
/// component (an optional leading `/` is dropped): no other `/`, no NUL, not `.` or `..`.
fn shm_path(name: &str) -> io::Result<String> {
    let bare = name.strip_prefix('/').unwrap_or(name);
    if bare.is_empty()
        || bare.len() > 255
        || bare.contains('/')
        || bare.contains('\0')
        || bare == "."
        || bare == ".."
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid shared ring name {name:?}: one path component is expected"),
        ));
    }
    Ok(format!("/dev/shm/{bare}"))
}

/// Creates `/dev/shm/<name>` (owner read/write only; fails if it exists) of `len` bytes.
pub(crate) fn create_named_file(name: &str, len: usize) -> io::Result<File> {
    let path = shm_path(name)?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(&path)?;
    let fd = OwnedFd::from(file);
    if let Err(err) = set_len(&fd, len) {
        let _ = std::fs::remove_file(&path);
        return Err(err.into());
    }
    Ok(fd)
}

/// Opens the existing `/dev/shm/<name>` for reading and writing.
pub(crate) fn open_named_file(name: &str) -> io::Result<File> {
    let path = shm_path(name)?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
        .open(path)?;
    Ok(file.into())
}

/// Removes `/dev/shm/<name>`; mappings and descriptors already open stay valid.
pub(crate) fn unlink_named(name: &str) -> io::Result<()> {
    std::fs::remove_file(shm_path(name)?)
}

/// The file's size in bytes.
pub(crate) fn file_len(file: &File) -> io::Result<u64> {
    // SAFETY: `stat` is plain data; all-zero is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and out-pointer.
    if unsafe { libc::fstat(file.as_raw_fd(), &mut st) } != 0 {
        return Err(os_error("fstat"));
    }
    Ok(u64::try_from(st.st_size).unwrap_or(0))
}

/// Reads up to `buf.len()` bytes from offset 0 (fewer only at the end of the file).
pub(crate) fn read_start(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: the destination is the unfilled rest of `buf`, which we borrow mutably.
        let n = unsafe {
            libc::pread(
                file.as_raw_fd(),
                buf[done..].as_mut_ptr().cast(),
                buf.len() - done,
                done as libc::off_t,
            )
        };
        if n > 0 {
            done += n as usize;
        } else if n == 0 {
            break;
        } else if io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return Err(os_error("pread"));
        }
    }
    Ok(done)
}

/// Header and data mapped with the data mirrored: `[header | data | data again]`, `MAP_SHARED`,
/// unmapped on drop. Not registered with the fork handler of [`crate::mirror`]: a forked child
/// keeps sharing these pages, which is what a shared ring is for.
pub(crate) struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain shared memory; the ring code decides who touches which bytes.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `header_len + data_len` bytes of `file`, then its `data_len` data bytes again
    /// right after them. Both lengths are whole pages, and the file is at least that long.
    pub(crate) fn new(file: &File, header_len: usize, data_len: usize) -> io::Result<Mapping> {
        let front = header_len + data_len;
        let len = front + data_len;
        let data_offset = libc::off_t::try_from(header_len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "shared ring too large"))?;
        let reservation = Reservation::new(len).map_err(io::Error::from)?;
        let base = reservation.ptr();
        // SAFETY: both ranges lie inside the reservation we just made, which nothing else
        // references; MAP_FIXED replaces its pages.
        unsafe {
            map_fixed(file, base, front, 0)?;
            map_fixed(file, base.add(front), data_len, data_offset)?;
        }
        Ok(Mapping {
            base: reservation.release(),
            len,
        })
    }

    /// Start of the header; the data starts `header_len` bytes later.
    pub(crate) fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: our own mapping, unmapped once; nothing references it any more (every end
        // and ring handle holding it is gone).
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

/// This process's id.
pub(crate) fn current_pid() -> u32 {
    super::unix::process_id()
}

/// This process's identity in a role claim: its pid in the low 32 bits, the low 32 bits of its
/// start time (clock ticks after boot, from `/proc`) in the high ones, so a later process that
/// gets the same pid is not taken for it. Never 0.
pub(crate) fn self_owner() -> u64 {
    let pid = current_pid();
    let start = start_time(pid).map_or(0, |s| s as u32);
    u64::from(pid) | (u64::from(start) << 32)
}

/// Whether the process an owner word names still runs: it exists (`kill(pid, 0)`), is not a
/// zombie, and started when the claim says (when `/proc` can tell).
pub(crate) fn is_alive(owner: u64) -> bool {
    let pid = owner as u32;
    let Ok(pid_t) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid_t <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    if unsafe { libc::kill(pid_t, 0) } != 0
        && io::Error::last_os_error().raw_os_error() != Some(libc::EPERM)
    {
        return false;
    }
    match proc_stat(pid) {
        Some((state, start)) => {
            let zombie = matches!(state, 'Z' | 'X' | 'x');
            !zombie && (start as u32 == (owner >> 32) as u32 || owner >> 32 == 0)
        }
        // No /proc (or no permission to read it): trust kill().
        None => true,
    }
}

fn start_time(pid: u32) -> Option<u64> {
    proc_stat(pid).map(|(_, start)| start)
}

/// The state letter and start time of a process, from `/proc/<pid>/stat`.
fn proc_stat(pid: u32) -> Option<(char, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces or ')': fields after
    // the last ')' are the state (field 3) ... and the start time (field 22).
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_stale_start_time_is_not() {
        let me = self_owner();
        assert_eq!(me as u32, current_pid());
        assert!(is_alive(me));
        if me >> 32 != 0 {
            let other_start = me ^ (1 << 40);
            assert!(!is_alive(other_start));
        }
        assert!(!is_alive(0));
    }

    #[test]
    fn names_are_one_component() {
        assert_eq!(shm_path("/ring").unwrap(), "/dev/shm/ring");
        assert_eq!(shm_path("ring").unwrap(), "/dev/shm/ring");
        for bad in ["", "/", "a/b", "..", "x\0y"] {
            assert_eq!(
                shm_path(bad).unwrap_err().kind(),
                io::ErrorKind::InvalidInput
            );
        }
    }
}
