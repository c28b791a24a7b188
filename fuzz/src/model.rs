//! The model every FIFO target checks against, and the checks its operations share: what the
//! structure under test must have done, given what the model holds.
//!
//! The targets keep their own input types (the committed corpora decode through them); only
//! the interpretation of an operation is shared here.

use std::collections::VecDeque;
use std::fmt::Debug;
use std::io::BufRead;
use std::ops::{Deref, DerefMut};

use picoring::mirror::MirrorOptions;
use picoring::spsc::Producer;
use picoring::{Error, PicoByteStream, PicoQueue, PicoRing, Pod};

use crate::{small, Mirror, Tracked};

/// What a model keeps of an element: a [`Tracked`]'s `(id, cell value)`, plain data itself.
pub trait Keyed {
    /// The comparable part.
    type Key: Copy + PartialEq + Debug;
    /// This element's key.
    fn key(&self) -> Self::Key;
}

impl Keyed for Tracked {
    type Key = (usize, u64);
    fn key(&self) -> (usize, u64) {
        Tracked::key(self)
    }
}

impl Keyed for u8 {
    type Key = u8;
    fn key(&self) -> u8 {
        *self
    }
}

impl Keyed for u32 {
    type Key = u32;
    fn key(&self) -> u32 {
        *self
    }
}

/// A structure a target creates from its input: a ring, a queue or a stream of `Item`s.
pub trait Subject: Sized {
    /// What it holds.
    type Item: Keyed;
    /// The library's constructor with explicit mirror options.
    fn with_options(capacity: usize, options: &MirrorOptions) -> Result<Self, Error>;
    /// Its capacity, at least what was asked for.
    fn capacity(&self) -> usize;
}

/// The zero-copy write path: all free space as one slice, then `commit(n)` of its first `n`.
pub trait WriteInPlace<T> {
    /// The free slots, all of them.
    fn writable(&mut self) -> &mut [T];
    /// Publishes the first `n` free slots; returns how many it published.
    fn commit(&mut self, n: usize) -> usize;
}

macro_rules! subject {
    ($($ty:ty: $item:ty $(where $t:ident)?),*) => {$(
        impl$(<$t: Keyed>)? Subject for $ty {
            type Item = $item;
            fn with_options(capacity: usize, options: &MirrorOptions) -> Result<Self, Error> {
                <$ty>::with_options(capacity, options)
            }
            fn capacity(&self) -> usize {
                <$ty>::capacity(self)
            }
        }
    )*};
}

subject!(PicoRing<T>: T where T, PicoQueue<T>: T where T, PicoByteStream: u8);

macro_rules! write_in_place {
    ($($ty:ty: $elem:ty $(where $t:ident: Pod)?),*) => {$(
        impl$(<$t: Pod>)? WriteInPlace<$elem> for $ty {
            fn writable(&mut self) -> &mut [$elem] {
                <$ty>::writable(self)
            }
            fn commit(&mut self, n: usize) -> usize {
                <$ty>::commit(self, n)
            }
        }
    )*};
}

write_in_place!(
    PicoRing<T>: T where T: Pod,
    PicoQueue<T>: T where T: Pod,
    Producer<T>: T where T: Pod,
    PicoByteStream: u8
);

/// The keys of the elements a structure of capacity `cap` holds, oldest first. Reads as the
/// `VecDeque` it wraps (`len`, indexing, `iter`, `drain`, ...).
pub struct Model<T: Keyed> {
    queued: VecDeque<T::Key>,
    /// The structure's capacity.
    pub cap: usize,
}

/// A structure of a small capacity from fuzz input (`1..=limit` asked for) on the chosen
/// backend, and its empty model; `None` where the system refuses the memory.
pub fn create<S: Subject>(
    capacity: u16,
    limit: usize,
    mirror: Mirror,
) -> Option<(S, Model<S::Item>)> {
    let requested = small(capacity, limit);
    let subject = S::with_options(requested, &mirror.options()).ok()?;
    let cap = subject.capacity();
    assert!(cap >= requested);
    Some((subject, Model::new(cap)))
}

impl<T: Keyed> Deref for Model<T> {
    type Target = VecDeque<T::Key>;
    fn deref(&self) -> &Self::Target {
        &self.queued
    }
}

impl<T: Keyed> DerefMut for Model<T> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.queued
    }
}

impl<T: Keyed> Model<T> {
    /// An empty model of a structure of capacity `cap`.
    pub fn new(cap: usize) -> Self {
        Model {
            queued: VecDeque::new(),
            cap,
        }
    }

    /// Free slots.
    pub fn free(&self) -> usize {
        self.cap - self.queued.len()
    }

    /// `push(value)` answered `result`: the value went in, or the structure was full and
    /// handed the very value back.
    pub fn push(&mut self, value: T, push: impl FnOnce(T) -> Result<(), T>) {
        let key = value.key();
        match push(value) {
            Ok(()) => self.queued.push_back(key),
            Err(back) => {
                assert_eq!(self.free(), 0);
                assert_eq!(back.key(), key);
            }
        }
    }

    /// `pop()` answered `got`: the oldest element, if any.
    pub fn pop(&mut self, got: Option<T>) {
        assert_eq!(got.map(|t| t.key()), self.queued.pop_front());
    }

    /// Pops half of what is queued through `pop`, leaving the rest to the structure's drop.
    pub fn pop_half(&mut self, mut pop: impl FnMut() -> Option<T>) {
        for _ in 0..self.queued.len() / 2 {
            self.pop(pop());
        }
    }

    /// Clears the structure with `clear`, and the model.
    pub fn clear_with(&mut self, clear: impl FnOnce()) {
        clear();
        self.queued.clear();
    }

    /// `consume(asked)` drops what is queued, up to `asked`, and says how much.
    pub fn consume(&mut self, asked: u16, consume: impl FnOnce(usize) -> usize) {
        let asked = usize::from(asked);
        let n = asked.min(self.queued.len());
        assert_eq!(consume(asked), n);
        self.queued.drain(..n);
    }

    /// `readable_at_least(min)` answered `got`: the oldest elements, at least `min` of them, or
    /// `None` when fewer are queued.
    pub fn check_at_least(&self, min: usize, got: Option<&[T]>) {
        match got {
            Some(slice) => {
                assert!(slice.len() >= min);
                assert!(slice
                    .iter()
                    .map(T::key)
                    .eq(self.queued.iter().take(slice.len()).copied()));
            }
            None => assert!(self.queued.len() < min),
        }
    }

    /// The structure's length (`len`) and its queued elements, oldest first, are the model's.
    pub fn check_len<'a>(&self, len: usize, queued: impl IntoIterator<Item = &'a T>)
    where
        T: 'a,
    {
        assert_eq!(len, self.queued.len());
        self.check(queued);
    }

    /// The structure's queued elements, oldest first, are the model's.
    pub fn check<'a>(&self, queued: impl IntoIterator<Item = &'a T>)
    where
        T: 'a,
    {
        assert!(queued
            .into_iter()
            .map(T::key)
            .eq(self.queued.iter().copied()));
    }
}

impl Model<Tracked> {
    /// Pushes up to `n` new elements (cells `0..n`) through `push` (whether it took one),
    /// stopping at the first refused: the structure is full then.
    pub fn push_many(&mut self, n: u64, mut push: impl FnMut(Tracked) -> bool) {
        for i in 0..n {
            let t = Tracked::new(i);
            let key = t.key();
            if !push(t) {
                assert_eq!(self.free(), 0);
                break;
            }
            self.queued.push_back(key);
        }
    }

    /// Sets the cell of element `i` to `v` through `target`, the structure's reference to it
    /// (`None`: `i` is past the end).
    pub fn set_cell(&mut self, i: usize, v: u64, target: Option<&Tracked>) {
        match target {
            Some(t) => {
                t.cell.set(v);
                self.queued[i].1 = v;
            }
            None => assert!(i >= self.queued.len()),
        }
    }

    /// An index from fuzz input among the queued elements, `None` when there are none.
    pub fn index(&self, i: u16) -> Option<usize> {
        (!self.queued.is_empty()).then(|| usize::from(i) % self.queued.len())
    }
}

impl<T: Keyed<Key = T> + Copy + PartialEq + Debug> Model<T> {
    /// A slice push of `data` answered `n`: as much as fit went in.
    pub fn pushed(&mut self, data: &[T], n: usize) {
        assert_eq!(n, data.len().min(self.free()));
        self.queued.extend(&data[..n]);
    }

    /// A slice pop into `out` answered `got`: as much as was queued came out, oldest first.
    pub fn popped(&mut self, out: &[T], got: usize) {
        assert_eq!(got, out.len().min(self.queued.len()));
        assert!(self.queued.drain(..got).eq(out[..got].iter().copied()));
    }

    /// Fills all free space in place with `pattern(i)`, then commits the first `n` slots (at
    /// most all of them).
    pub fn write_in_place(
        &mut self,
        to: &mut impl WriteInPlace<T>,
        n: u16,
        pattern: impl Fn(usize) -> T,
    ) {
        let free = to.writable();
        assert_eq!(free.len(), self.free());
        for (i, slot) in free.iter_mut().enumerate() {
            *slot = pattern(i);
        }
        let n = usize::from(n).min(free.len());
        assert_eq!(to.commit(n), n);
        self.queued.extend((0..n).map(pattern));
    }
}

impl Model<u8> {
    /// `BufRead::fill_buf` shows everything queued; `BufRead::consume` then drops up to `n`.
    pub fn buf_consume(&mut self, reader: &mut impl BufRead, n: u16) {
        assert!(reader
            .fill_buf()
            .expect("never fails")
            .iter()
            .eq(self.queued.iter()));
        let n = usize::from(n).min(self.queued.len());
        reader.consume(n);
        self.queued.drain(..n);
    }
}
