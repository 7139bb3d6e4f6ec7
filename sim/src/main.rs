//! The `msgraph-sim` binary: parses flags, serves the simulator until Ctrl-C or SIGTERM.

use std::path::PathBuf;

use anyhow::{bail, Context};

const USAGE: &str =
    "usage: msgraph-sim [--listen 127.0.0.1:PORT] [--state-file FILE] [--partner GUID]...

  --listen ADDR       address to listen on (default 127.0.0.1:0, a free port)
  --state-file FILE   load partners and policies from FILE and save them there on every change
  --partner GUID      create this partner configuration at start (repeatable)
  --help              show this help";

struct Args {
    listen: String,
    state_file: Option<PathBuf>,
    partners: Vec<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> anyhow::Result<Option<Args>> {
    let mut parsed = Args {
        listen: "127.0.0.1:0".into(),
        state_file: None,
        partners: Vec::new(),
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .with_context(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        match flag.as_str() {
            "--help" | "-h" => return Ok(None),
            "--listen" => parsed.listen = value("--listen")?,
            "--state-file" => parsed.state_file = Some(PathBuf::from(value("--state-file")?)),
            "--partner" => parsed.partners.push(value("--partner")?),
            other => bail!("unknown argument '{other}'\n\n{USAGE}"),
        }
    }
    Ok(Some(parsed))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(args) = parse_args(std::env::args().skip(1))? else {
        println!("{USAGE}");
        return Ok(());
    };
    let sim = msgraph_sim::Sim::new();
    if let Some(path) = &args.state_file {
        sim.use_state_file(path)
            .with_context(|| format!("loading state file {}", path.display()))?;
    }
    for partner in &args.partners {
        sim.add_partner(partner);
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!("msgraph-sim listening on http://{addr}");
    eprintln!(
        "tenant_id     = {}\nclient_id     = {}\nclient_secret = {}",
        msgraph_sim::TENANT_ID,
        msgraph_sim::CLIENT_ID,
        msgraph_sim::CLIENT_SECRET
    );
    sim.serve(listener, shutdown_signal()).await?;
    Ok(())
}
