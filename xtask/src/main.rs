//! `cargo xtask`: release, mirror, docs, demo and bench tasks for this repository.

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    xtask::cli::run(&args)
}
