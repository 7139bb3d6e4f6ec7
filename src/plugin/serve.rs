//! The plugin server as a function: serve a provider on a bound listener until told to stop.
//! No environment, no stdout, no signals, no exit: [`super::process`] does those.

use std::time::Duration;

use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;

use super::aux_services::{Broker, Controller, Stdio};
use super::listener::{accept_loop, Listener};
use super::proto::plugin::{
    grpc_broker_server::GrpcBrokerServer, grpc_controller_server::GrpcControllerServer,
    grpc_stdio_server::GrpcStdioServer,
};
use super::proto::tfplugin6::provider_server::ProviderServer;
use super::provider_service::ProviderService;
use super::reply_watch::OnReplyWritten;
use super::tls::ServerTls;
use super::Provider;

/// Terraform's own limit on plugin messages.
const MAX_MESSAGE_SIZE: usize = i32::MAX as usize;
/// How long serving waits, once told to stop, for the last reply (Shutdown's) to drain.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(50);

/// When serving ends.
#[derive(Clone)]
pub struct Shutdown {
    token: CancellationToken,
    on_controller_shutdown: bool,
    exit_on_reply: Option<OnReplyWritten>,
}

impl std::fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shutdown")
            .field("token", &self.token)
            .field("on_controller_shutdown", &self.on_controller_shutdown)
            .field("exit_on_reply", &self.exit_on_reply.is_some())
            .finish()
    }
}

impl Shutdown {
    /// Serving ends when `token` is cancelled or Terraform calls GRPCController.Shutdown.
    pub fn on_terraform_request(token: CancellationToken) -> Shutdown {
        Shutdown {
            token,
            on_controller_shutdown: true,
            exit_on_reply: None,
        }
    }

    /// Calls `exit` as soon as the reply to Terraform's Shutdown is written and flushed, instead
    /// of draining the connection first (GOAWAY, PING, close_notify): Terraform only waits for
    /// the process to be gone. For the process wrapper only; `exit` must not return to serving.
    pub fn exit_once_replied(mut self, exit: impl Fn() + Send + Sync + 'static) -> Shutdown {
        self.exit_on_reply = Some(std::sync::Arc::new(exit));
        self
    }

    /// Serving ends only when `token` is cancelled: a `--debug` provider outlives each
    /// Terraform run attached to it.
    pub fn on_token_only(token: CancellationToken) -> Shutdown {
        Shutdown {
            token,
            on_controller_shutdown: false,
            exit_on_reply: None,
        }
    }
}

/// Why serving failed.
#[derive(Debug)]
pub enum ServeError {
    /// The gRPC server stopped with an error.
    Transport { detail: String },
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Transport { detail } => write!(f, "the gRPC server failed: {detail}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// Serves `provider` on `listener` (mutually authenticated when `tls` is set) until `shutdown`
/// says so. Open connections are not waited for beyond a short grace.
pub async fn serve<P: Provider>(
    provider: P,
    listener: Listener,
    tls: Option<ServerTls>,
    shutdown: Shutdown,
) -> Result<(), ServeError> {
    // Cancelled by the Controller alone, so the reply watch knows Shutdown from a signal.
    let requested = CancellationToken::new();
    let controller_token = if shutdown.on_controller_shutdown {
        requested.clone()
    } else {
        CancellationToken::new()
    };
    let router = Server::builder()
        .add_service(
            ProviderServer::new(ProviderService::new(provider))
                .max_decoding_message_size(MAX_MESSAGE_SIZE)
                .max_encoding_message_size(MAX_MESSAGE_SIZE),
        )
        .add_service(GrpcControllerServer::new(Controller {
            shutdown: controller_token,
        }))
        .add_service(GrpcStdioServer::new(Stdio))
        .add_service(GrpcBrokerServer::new(Broker));

    let exit_on_reply = match (&shutdown.exit_on_reply, shutdown.on_controller_shutdown) {
        (Some(exit), true) => Some((requested.clone(), exit.clone())),
        _ => None,
    };
    let incoming = accept_loop(
        listener,
        tls.map(|t| TlsAcceptor::from(t.config)),
        exit_on_reply,
    );
    let stop = shutdown.token.clone();
    let signal = async move {
        tokio::select! {
            () = stop.cancelled() => {}
            () = requested.cancelled() => stop.cancel(),
        }
    };
    let served = router.serve_with_incoming_shutdown(incoming, signal);
    let backstop = async {
        shutdown.token.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = served => result.map_err(|err| ServeError::Transport { detail: err.to_string() }),
        () = backstop => Ok(()),
    }
}
