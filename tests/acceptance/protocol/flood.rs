//! The listener under a flood: idle connections against the provider's TCP port while a real
//! Terraform plans through it. The provider runs with a small descriptor limit, so without a
//! bound on pending handshakes it would run out of descriptors and stop accepting.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::{config, Scenario, RESOURCE};

use super::client::*;

/// The provider's descriptor limit: far fewer than the flood's connections.
const PROVIDER_FD_LIMIT: u32 = 40;
/// Idle connections the flood keeps open at once.
const FLOOD_OPEN: usize = 150;
/// How long each flood connection stays open (sending nothing) before it is replaced.
const FLOOD_HOLD: Duration = Duration::from_millis(300);
/// Idle connections opened at once against one provider: more than its descriptors, fewer
/// than the kernel's listen backlog (so none waits for a SYN retransmit).
const IDLE_AT_ONCE: usize = 100;
/// Ports Terraform's provider processes may bind (one at a time, usually the first).
const PORTS: u16 = 5;
const TENANT: &str = "5a1b2c3d-0000-4000-8000-00000000f100";

#[test]
fn a_flood_of_idle_connections_does_not_stop_terraform_plan() {
    let tf = &crate::harness::terraform::terraforms()[0];
    let mut s = Scenario::start(tf, "flood");
    let first_port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe port");
        probe
            .local_addr()
            .expect("probe addr")
            .port()
            .min(u16::MAX - PORTS)
    };
    // Terraform starts the provider through a wrapper: --tcp on known ports, few descriptors.
    let wrapper = tempfile::tempdir().expect("wrapper dir");
    write_wrapper(wrapper.path(), first_port);
    let cli = wrapper.path().join("cli.tfrc");
    std::fs::write(
        &cli,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/entra/msgraph\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            wrapper.path().display()
        ),
    )
    .expect("write CLI config");
    s.dir
        .set_env("TF_CLI_CONFIG_FILE", &cli.display().to_string());
    s.dir
        .write_config(&s.file(&[config::resource("x", TENANT, Some("A"), true)]));

    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let stop = stop.clone();
        std::thread::spawn(move || flood(first_port, &stop))
    };
    let plan = s.tf(&["plan", "-input=false"]);
    stop.store(true, Ordering::SeqCst);
    let (connections, most_open) = flood.join().expect("flood thread");

    assert!(
        plan.success(),
        "terraform plan failed under the flood:\n{plan}"
    );
    assert!(
        plan.stdout
            .contains(&format!("{RESOURCE}.x will be created")),
        "{plan}"
    );
    assert!(
        most_open > PROVIDER_FD_LIMIT as usize,
        "the flood never got going: {connections} connections, at most {most_open} open at once"
    );
}

#[tokio::test]
async fn the_provider_keeps_serving_after_a_flood_exhausts_its_descriptors() {
    let cert = client_cert();
    // The provider with few descriptors, serving mutual TLS on a TCP port.
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c").arg(format!(
        "ulimit -n {PROVIDER_FD_LIMIT} && exec '{BINARY}' --tcp"
    ));
    let mut plugin = start_command(scrubbed(sh), Some(&cert.pem));
    let addr: SocketAddr = plugin.address.parse().expect("tcp address");
    // Far more idle connections than the provider has descriptors, all at once, kept open.
    let idle: Vec<TcpStream> = (0..IDLE_AT_ONCE)
        .filter_map(|_| TcpStream::connect_timeout(&addr, PATIENCE).ok())
        .collect();
    assert!(
        idle.len() > PROVIDER_FD_LIMIT as usize,
        "only {} flood connections got through",
        idle.len()
    );
    // Give the provider time to accept what it will (and, without a bound, to run out).
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(idle);
    // Still serving: Terraform's client connects, is answered, and Shutdown ends the process.
    serves_schema_then_shuts_down(&mut plugin, Some(&cert)).await;
}

fn write_wrapper(dir: &Path, first_port: u16) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("terraform-provider-msgraph");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nulimit -n {PROVIDER_FD_LIMIT}\nexport PLUGIN_MIN_PORT={first_port} PLUGIN_MAX_PORT={last}\nexec '{BINARY}' --tcp \"$@\"\n",
            last = first_port + PORTS - 1
        ),
    )
    .expect("write wrapper");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Keeps up to FLOOD_OPEN idle connections open against the port range until `stop`; returns
/// how many connections were made and the most open at once.
fn flood(first_port: u16, stop: &AtomicBool) -> (usize, usize) {
    let mut open: std::collections::VecDeque<(Instant, TcpStream)> = Default::default();
    let (mut connections, mut most_open) = (0, 0);
    let mut port = 0;
    while !stop.load(Ordering::SeqCst) {
        while open
            .front()
            .is_some_and(|(at, _)| at.elapsed() > FLOOD_HOLD)
        {
            open.pop_front();
        }
        if open.len() >= FLOOD_OPEN {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        port = (port + 1) % PORTS;
        let addr = SocketAddr::from(([127, 0, 0, 1], first_port + port));
        // A refused connection means nobody listens on this port (yet): try the next.
        if let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            connections += 1;
            open.push_back((Instant::now(), stream));
            most_open = most_open.max(open.len());
        }
    }
    (connections, most_open)
}
