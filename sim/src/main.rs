//! The `msgraph-sim` binary: parses flags, serves the simulator until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};

const USAGE: &str = "usage: msgraph-sim [--listen 127.0.0.1:PORT] [--state-file FILE] [--partner GUID]...
                   [--auto-partners] [--latency-ms N] [--consistency-delay-ms N]

  --listen ADDR              address to listen on (default 127.0.0.1:0, a free port)
  --state-file FILE          load partners and policies from FILE and save them there on every change
  --partner GUID             create this partner configuration at start (repeatable)
  --auto-partners            treat every well-formed partner GUID as an existing partner configuration
  --latency-ms N             delay every Graph response by N milliseconds
  --consistency-delay-ms N   read lag: for N ms after a PUT/PATCH/DELETE, GETs of that path see the previous answer
  --help                     show this help

Control API (not Graph, no token needed, not in the request log):
  GET  /_sim/stats                  request log, tokens issued, connections accepted
  POST /_sim/reset-log              clear the request log
  POST /_sim/latency?ms=N           set the Graph latency
  POST /_sim/consistency-delay?ms=N set the consistency delay";

struct Args {
    listen: String,
    state_file: Option<PathBuf>,
    partners: Vec<String>,
    auto_partners: bool,
    latency: Duration,
    consistency_delay: Duration,
}

fn millis(flag: &str, value: &str) -> anyhow::Result<Duration> {
    let ms: u64 = value
        .parse()
        .with_context(|| format!("{flag} needs a whole number of milliseconds, got '{value}'"))?;
    Ok(Duration::from_millis(ms))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> anyhow::Result<Option<Args>> {
    let mut parsed = Args {
        listen: "127.0.0.1:0".into(),
        state_file: None,
        partners: Vec::new(),
        auto_partners: false,
        latency: Duration::ZERO,
        consistency_delay: Duration::ZERO,
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
            "--auto-partners" => {
                if inline.is_some() {
                    bail!("--auto-partners takes no value\n\n{USAGE}");
                }
                parsed.auto_partners = true;
            }
            "--latency-ms" => parsed.latency = millis(&flag, &value(&flag)?)?,
            "--consistency-delay-ms" => {
                parsed.consistency_delay = millis(&flag, &value(&flag)?)?;
            }
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
    sim.set_auto_partners(args.auto_partners);
    sim.set_latency(args.latency);
    sim.set_consistency_delay(args.consistency_delay);
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
