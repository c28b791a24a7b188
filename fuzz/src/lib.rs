//! Shared pieces of the fuzz targets: an element type that counts its drops and carries a
//! `Cell`, the choice of mirror backend, and the model the FIFO targets check against.
//!
//! Every target checks a picoring type against a std model (`VecDeque`/`Vec`) after each
//! operation, and that every element created was dropped exactly once by the end of the run.

use std::cell::{Cell, RefCell};

pub mod frames;
pub mod model;

use arbitrary::Arbitrary;
use picoring::mirror::{Backend, MirrorOptions};

thread_local! {
    /// Drop count of every [`Tracked`] made in this run, indexed by its id.
    static DROPS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// An element with a destructor and interior mutability: `id` names it, `cell` can be changed
/// through a shared reference. Dropping it twice panics at once; [`finish_run`] reports the
/// ones never dropped.
#[derive(Debug)]
pub struct Tracked {
    id: usize,
    /// Changed through `&Tracked` by the targets' "poke" operations.
    pub cell: Cell<u64>,
}

impl Tracked {
    /// A new element with a fresh id and the given cell value.
    pub fn new(value: u64) -> Self {
        let id = DROPS.with(|d| {
            let mut d = d.borrow_mut();
            d.push(0);
            d.len() - 1
        });
        Tracked {
            id,
            cell: Cell::new(value),
        }
    }

    /// The id the next element made will get.
    pub fn next_id() -> usize {
        DROPS.with(|d| d.borrow().len())
    }

    /// Its id (unique within a run).
    pub fn id(&self) -> usize {
        self.id
    }

    /// `(id, cell value)`, what the models store.
    pub fn key(&self) -> (usize, u64) {
        (self.id, self.cell.get())
    }
}

/// A clone is a new element (a fresh id) with the same cell value.
impl Clone for Tracked {
    fn clone(&self) -> Self {
        Tracked::new(self.cell.get())
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        DROPS.with(|d| {
            let mut d = d.borrow_mut();
            let count = &mut d[self.id];
            assert_eq!(*count, 0, "element {} dropped twice", self.id);
            *count += 1;
        });
    }
}

/// Starts a run: forgets the elements of the previous one.
pub fn start_run() {
    DROPS.with(|d| d.borrow_mut().clear());
}

/// Runs `run` (which makes elements, and drops the structure under test and its model) as
/// one run: [`start_run`] before, [`finish_run`] after.
pub fn counting_drops<R>(run: impl FnOnce() -> R) {
    start_run();
    run();
    finish_run();
}

/// Ends a run, after the structure under test and the model are gone: every element made in
/// it must have been dropped exactly once.
pub fn finish_run() {
    DROPS.with(|d| {
        let d = d.borrow();
        if let Some(id) = d.iter().position(|&c| c != 1) {
            panic!("element {id} dropped {} times (expected once)", d[id]);
        }
    });
}

/// Which mirror backend a run uses.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mirror {
    /// The platform's first choice (a native backend on Linux).
    Default,
    /// The portable software mirror: two heap copies kept in sync by the library.
    Software,
}

impl Mirror {
    /// The options that select this backend.
    pub fn options(self) -> MirrorOptions {
        match self {
            Mirror::Default => MirrorOptions::new(),
            Mirror::Software => MirrorOptions::new().backend(Backend::Software),
        }
    }
}

/// The input of a target that drives drop-counted elements, then plain data, through the same
/// type: the backend, each run's requested capacity and operations. The field order is the
/// byte format of the committed corpora.
#[derive(Arbitrary, Debug)]
pub struct TwoRuns<Op, DataOp> {
    /// The backend of both runs.
    pub mirror: Mirror,
    /// The drop-counted run's requested capacity (see [`small`]).
    pub capacity: u16,
    /// The drop-counted run's operations.
    pub ops: Vec<Op>,
    /// The plain-data run's requested capacity.
    pub data_capacity: u16,
    /// The plain-data run's operations.
    pub data_ops: Vec<DataOp>,
}

/// A small requested capacity from fuzz input: 1..=limit.
pub fn small(n: u16, limit: usize) -> usize {
    usize::from(n) % limit + 1
}
