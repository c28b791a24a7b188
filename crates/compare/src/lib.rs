//! Benchmarks of picoring against peer crates live in `benches/`; this library is empty.
//!
//! Run them with `cargo bench -p picoring-compare`.
