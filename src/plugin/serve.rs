//! Process entry for the plugin server: handshake, listener, TLS and the gRPC services.

use std::io;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;
use tonic::transport::Server;

use super::aux_services::{Broker, Controller, Stdio};
use super::handshake::{self, Listener};
use super::proto::plugin::{
    grpc_broker_server::GrpcBrokerServer, grpc_controller_server::GrpcControllerServer,
    grpc_stdio_server::GrpcStdioServer,
};
use super::proto::tfplugin6::provider_server::ProviderServer;
use super::provider_service::ProviderService;
use super::rpc_context::{SchemaCache, Shared, StopSignal};
use super::tls::{install_crypto_provider, server_tls, ServerTls};
use super::Provider;

/// The address debug mode prints in TF_REATTACH_PROVIDERS.
/// Terraform's own limit on plugin messages.
const MAX_MESSAGE_SIZE: usize = i32::MAX as usize;
/// How long Shutdown waits for the reply to drain before the process exits regardless.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(50);
/// A client that does not finish its TLS handshake in this time is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often we check that Terraform, our parent, is still alive.
const PARENT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// How the binary was started.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// `--debug`: serve without Terraform starting us and print TF_REATTACH_PROVIDERS.
    pub debug: bool,
    /// `--tcp`: listen on 127.0.0.1 (PLUGIN_MIN_PORT..PLUGIN_MAX_PORT) instead of a unix socket.
    pub tcp: bool,
    /// The provider's source address (`registry.terraform.io/NS/TYPE`), for `--debug`'s
    /// TF_REATTACH_PROVIDERS line.
    pub provider_address: String,
}

/// Serves `provider` until Terraform shuts it down.
pub fn serve<P: Provider>(provider: P, options: ServeOptions) -> ExitCode {
    install_crypto_provider();
    super::logger::init_logging();
    let env = |k: &str| std::env::var(k).ok();
    let launch = if options.debug {
        handshake::Launch {
            client_cert_pem: None,
        }
    } else {
        match handshake::launch_from(env) {
            Ok(launch) => launch,
            Err(err) => {
                eprintln!("{err}");
                return ExitCode::FAILURE;
            }
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

async fn run<P: Provider>(
    provider: P,
    options: ServeOptions,
    launch: handshake::Launch,
) -> ExitCode {
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
        handshake::bind_tcp(|k| std::env::var(k).ok()).await
    } else {
        handshake::bind_unix()
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
    log::debug!(
        "Serving plugin protocol {} on {network} {address}",
        handshake::PROTOCOL_VERSION
    );

    let shutdown = CancellationToken::new();
    if options.debug {
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.cancel();
        });
    } else {
        ignore_interrupts();
        exit_on_terminate(shutdown.clone());
        exit_when_orphaned(shutdown.clone());
    }

    let shared = Shared {
        schema: Arc::new(SchemaCache::new(provider.schema())),
        provider: Arc::new(provider),
        stop: Arc::new(StopSignal::default()),
    };
    let controller_token = if options.debug {
        CancellationToken::new() // a reattached provider outlives each Terraform run
    } else {
        shutdown.clone()
    };
    let router = Server::builder()
        .add_service(
            ProviderServer::new(ProviderService(shared))
                .max_decoding_message_size(MAX_MESSAGE_SIZE)
                .max_encoding_message_size(MAX_MESSAGE_SIZE),
        )
        .add_service(GrpcControllerServer::new(Controller {
            shutdown: controller_token,
        }))
        .add_service(GrpcStdioServer::new(Stdio))
        .add_service(GrpcBrokerServer::new(Broker));

    let incoming = accept_loop(listener, tls);
    let signal = shutdown.clone();
    let served =
        router.serve_with_incoming_shutdown(incoming, async move { signal.cancelled().await });
    let backstop = async {
        shutdown.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = served => {
            if let Err(err) = result {
                log::error!("gRPC server failed: {err}");
            }
        }
        () = backstop => {}
    }
    remove_dir(cleanup.as_deref());
    log::logger().flush();
    // Exit at once: open connections and tasks have nothing left worth waiting for.
    std::process::exit(0)
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

/// Accepts connections (TLS-handshaken when `tls` is set) and yields them to tonic.
fn accept_loop(
    listener: Listener,
    tls: Option<ServerTls>,
) -> impl futures_util::Stream<Item = io::Result<Conn>> {
    let (tx, rx) = mpsc::channel::<Conn>(16);
    let acceptor = tls.map(|t| TlsAcceptor::from(t.config));
    match listener {
        Listener::Unix { listener, .. } => {
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    hand_over(stream, acceptor.clone(), tx.clone());
                }
            });
        }
        Listener::Tcp { listener, .. } => {
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    // Nagle plus delayed ACKs costs ~40 ms per small gRPC message.
                    let _ = stream.set_nodelay(true);
                    hand_over(stream, acceptor.clone(), tx.clone());
                }
            });
        }
    }
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|c| (Ok(c), rx)) },
    )
}

fn remove_dir(dir: Option<&std::path::Path>) {
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// TLS handshakes run in their own task: a slow or refused client never blocks the others.
fn hand_over<S>(stream: S, acceptor: Option<TlsAcceptor>, tx: mpsc::Sender<Conn>)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    tokio::spawn(async move {
        let conn = match acceptor {
            None => Conn(Box::new(stream)),
            Some(acceptor) => {
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => Conn(Box::new(tls)),
                    Ok(Err(err)) => {
                        log::warn!("Refused a connection: TLS handshake failed: {err}");
                        return;
                    }
                    Err(_) => {
                        log::warn!("Refused a connection: TLS handshake timed out");
                        return;
                    }
                }
            }
        };
        let _ = tx.send(conn).await;
    });
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// One accepted connection (unix or tcp, plain or TLS) as tonic serves it.
struct Conn(Box<dyn Io>);

impl Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
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
