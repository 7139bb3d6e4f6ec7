//! Repository automation behind `cargo xtask` (release zips, provider mirror and registry, docs,
//! demo, bench), also
//! used as a library by the acceptance tests.

pub mod bench;
pub mod cli;
pub mod demo;
pub mod docs;
pub mod gpg;
pub mod hashes;
pub mod mirror;
pub mod package;
pub mod platform;
pub mod registry;
pub mod release;
pub mod workspace;

pub use docs::{render_docs, schema_from_binary, stale_docs, FIX_COMMAND};
pub use hashes::{h1_hash, zh_hash};
pub use mirror::write_mirror;
pub use package::package_zip;
