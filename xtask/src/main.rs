//! `cargo xtask`: release, mirror, docs and bench tasks for this repository.

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    anyhow::bail!("unknown task {task:?}; tasks: release, mirror, docs, bench")
}
