//! Targets without a shared-ring backend yet (macOS, Windows, the BSDs, Miri): every way to get a
//! ring returns [`io::ErrorKind::Unsupported`]. The module docs describe the designs for macOS
//! and Windows.

use std::io;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

/// What would hold a ring's pages: a descriptor on Unix, nothing to name elsewhere.
#[cfg(unix)]
pub(super) type File = std::os::fd::OwnedFd;
#[cfg(not(unix))]
pub(super) type File = Unreachable;

/// A value that cannot exist: no file or mapping is ever made here.
pub(super) enum Unreachable {}

fn unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "shared rings are implemented for Linux and Android only",
    )
}

pub(super) fn page_size() -> usize {
    crate::mirror::granularity()
}

pub(super) fn anonymous_file(_len: usize) -> io::Result<File> {
    Err(unsupported())
}

pub(super) fn seal(_file: &File) -> io::Result<()> {
    Err(unsupported())
}

pub(super) fn create_named_file(_name: &str, _len: usize) -> io::Result<File> {
    Err(unsupported())
}

pub(super) fn open_named_file(_name: &str) -> io::Result<File> {
    Err(unsupported())
}

pub(super) fn unlink_named(_name: &str) -> io::Result<()> {
    Err(unsupported())
}

pub(super) fn file_len(_file: &File) -> io::Result<u64> {
    Err(unsupported())
}

pub(super) fn read_start(_file: &File, _buf: &mut [u8]) -> io::Result<usize> {
    Err(unsupported())
}

/// Never constructed here.
pub(super) struct Mapping(Unreachable);

impl Mapping {
    pub(super) fn new(_file: &File, _header_len: usize, _data_len: usize) -> io::Result<Mapping> {
        Err(unsupported())
    }

    pub(super) fn base(&self) -> *mut u8 {
        match self.0 {}
    }
}

pub(super) fn current_pid() -> u32 {
    std::process::id()
}

pub(super) fn self_owner() -> u64 {
    u64::from(current_pid())
}

pub(super) fn is_alive(_owner: u64) -> bool {
    false
}

/// The futex calls: unreachable without a mapping to wait on.
pub(super) mod futex {
    use super::*;

    pub(crate) fn wait(_word: &AtomicU32, _expected: u32, timeout: Duration) {
        std::thread::sleep(timeout);
    }

    pub(crate) fn wake_all(_word: &AtomicU32) {}
}
