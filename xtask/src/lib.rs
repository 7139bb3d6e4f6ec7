//! Repository automation behind `cargo xtask`.

pub mod bench;
