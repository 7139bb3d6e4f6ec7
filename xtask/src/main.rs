//! `cargo xtask`: release, mirror, docs and bench tasks for this repository.

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().cloned().unwrap_or_default();
    match task.as_str() {
        "bench" => xtask::bench::run(&args[1..]),
        _ => anyhow::bail!("unknown task {task:?}; tasks: release, mirror, docs, bench"),
    }
}
