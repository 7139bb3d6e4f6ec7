//! The provider process around [`serve`]: the launch environment, the handshake line, signals,
//! the orphan watch and the exit.

use std::process::ExitCode;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::handshake::{self, Launch};
use super::listener::Listener;
use super::serve::{serve, Shutdown};
use super::tls::{install_crypto_provider, server_tls};
use super::{LaunchError, Provider};

/// How often we check that Terraform, our parent, is still alive.
const PARENT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// How the binary was started.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// `--debug`: serve without Terraform starting us and print TF_REATTACH_PROVIDERS.
    pub debug: bool,
    /// `--tcp`: listen on 127.0.0.1 (PLUGIN_MIN_PORT..PLUGIN_MAX_PORT) instead of a unix socket.
    pub tcp: bool,
    /// `--allow-plaintext-tcp`: accept `--tcp` without TLS (anyone on the machine can connect).
    pub allow_plaintext_tcp: bool,
    /// The provider's source address (`registry.terraform.io/NS/TYPE`), for `--debug`'s
    /// TF_REATTACH_PROVIDERS line.
    pub provider_address: String,
}

/// Runs the process as Terraform's plugin: serves `provider` until Terraform shuts it down.
pub fn serve_process<P: Provider>(provider: P, options: ServeOptions) -> ExitCode {
    install_crypto_provider();
    super::logger::init_logging();
    let launch = if options.debug {
        Ok(Launch {
            client_cert_pem: None,
            tls_disabled: false,
        })
    } else {
        handshake::launch_from(|k| std::env::var(k).ok())
    };
    let launch = launch.and_then(|launch| check_plaintext(launch, &options));
    let launch = match launch {
        Ok(launch) => launch,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    // A single-threaded runtime: the provider's work is I/O-bound and start-up stays cheap.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("{}: cannot start the async runtime: {err}", program_name());
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(provider, options, launch))
}

/// Plaintext is never silent, and never on a TCP port unless asked for explicitly.
fn check_plaintext(launch: Launch, options: &ServeOptions) -> Result<Launch, LaunchError> {
    let Some(reason) = launch.plaintext_reason() else {
        return Ok(launch);
    };
    let tcp = options.tcp && !options.debug;
    if tcp && !options.allow_plaintext_tcp {
        return Err(LaunchError::PlaintextTcp);
    }
    log::warn!(
        "Serving plaintext gRPC ({reason}): the channel is unauthenticated, so any local process \
         that can reach the {} can call the provider",
        if tcp { "TCP port" } else { "socket" }
    );
    Ok(launch)
}

async fn run<P: Provider>(provider: P, options: ServeOptions, launch: Launch) -> ExitCode {
    let tls = match launch
        .client_cert_pem
        .as_deref()
        .map(server_tls)
        .transpose()
    {
        Ok(tls) => tls,
        Err(err) => {
            eprintln!("{}: {err}", program_name());
            return ExitCode::FAILURE;
        }
    };
    let listener = if options.tcp && !options.debug {
        let port = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u16>().ok())
        };
        let range = port("PLUGIN_MIN_PORT").zip(port("PLUGIN_MAX_PORT"));
        Listener::bind_tcp(range).await
    } else {
        let base = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        Listener::bind_unix(&base)
    };
    let listener = match listener {
        Ok(l) => l,
        Err(err) => {
            eprintln!("{}: cannot listen for Terraform: {err}", program_name());
            return ExitCode::FAILURE;
        }
    };
    let (network, address) = listener.network_and_address();
    let cleanup = listener.cleanup_dir();
    let announced = if options.debug {
        let value = handshake::reattach_json(&options.provider_address, network, &address);
        println!(
            "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{value}'\n\nStop the provider with Ctrl-C."
        );
        Ok(())
    } else {
        let cert = tls.as_ref().map(|t| t.cert_der.as_slice());
        handshake::print_line(&handshake::handshake_line(network, &address, cert))
    };
    if let Err(err) = announced {
        eprintln!("{}: cannot write the handshake: {err}", program_name());
        remove_dir(cleanup.as_deref());
        return ExitCode::FAILURE;
    }
    if !options.debug {
        end_stdout();
    }
    log::debug!(
        "Serving plugin protocol {} on {network} {address}",
        handshake::PROTOCOL_VERSION
    );

    let token = CancellationToken::new();
    let shutdown = if options.debug {
        let stop = token.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.cancel();
        });
        Shutdown::on_token_only(token)
    } else {
        ignore_interrupts();
        exit_on_terminate(token.clone());
        exit_when_orphaned(token.clone());
        let dir = cleanup.clone();
        Shutdown::on_terraform_request(token).exit_once_replied(move || exit_now(dir.as_deref()))
    };
    if let Err(err) = serve(provider, listener, tls, shutdown).await {
        log::error!("{err}");
    }
    exit_now(cleanup.as_deref())
}

/// Exit at once: open connections and tasks have nothing left worth waiting for.
fn exit_now(socket_dir: Option<&std::path::Path>) -> ! {
    remove_dir(socket_dir);
    log::logger().flush();
    std::process::exit(0)
}

/// Nothing follows the handshake line on stdout, so Terraform's reader gets its end now.
/// go-plugin 1.6.0 (Terraform 1.11) closes that pipe when the process exits, racing the reader,
/// which then logs "error encountered while scanning stdout" (hashicorp/go-plugin#298, fixed in
/// 1.6.1); exiting right after the Shutdown reply made that race visible. fd 1 stays valid, on
/// /dev/null, so nothing else can be opened as fd 1.
fn end_stdout() {
    use std::os::fd::AsRawFd;
    let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") else {
        return; // stdout stays open until exit, as before
    };
    // SAFETY: dup2 on two descriptors this process owns; fd 1 is replaced atomically and the
    // handshake line was flushed before.
    unsafe { libc::dup2(null.as_raw_fd(), 1) };
}

/// Terraform's Ctrl-C reaches our process group too; like go-plugin servers, we keep serving
/// and let Terraform drive the stop through StopProvider and Shutdown.
fn ignore_interrupts() {
    use tokio::signal::unix::{signal, SignalKind};
    if let Ok(mut interrupts) = signal(SignalKind::interrupt()) {
        tokio::spawn(async move {
            while interrupts.recv().await.is_some() {
                log::debug!("Ignoring SIGINT: Terraform will stop the provider");
            }
        });
    }
}

/// SIGTERM (e.g. a test harness timing out) ends the process like Shutdown, removing the socket.
fn exit_on_terminate(shutdown: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    if let Ok(mut terminate) = signal(SignalKind::terminate()) {
        tokio::spawn(async move {
            if terminate.recv().await.is_some() {
                shutdown.cancel();
            }
        });
    }
}

/// A killed Terraform (SIGKILL, OOM) can no longer send Shutdown: once we are re-parented,
/// shut down like SIGTERM so neither the process nor its socket directory outlives it.
fn exit_when_orphaned(shutdown: CancellationToken) {
    let parent = std::os::unix::process::parent_id();
    if parent == 1 {
        return; // already orphaned at start: nothing to watch
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PARENT_CHECK_INTERVAL);
        loop {
            ticks.tick().await;
            if std::os::unix::process::parent_id() != parent {
                log::warn!(
                    "Terraform (pid {parent}) exited without stopping the provider: shutting down"
                );
                shutdown.cancel();
                return;
            }
        }
    });
}

fn remove_dir(dir: Option<&std::path::Path>) {
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// This executable's file name, for the few messages printed before logging is possible.
fn program_name() -> String {
    std::env::args_os()
        .next()
        .and_then(|arg0| {
            std::path::Path::new(&arg0)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "provider".to_string())
}
