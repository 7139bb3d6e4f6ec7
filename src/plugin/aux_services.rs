//! go-plugin's auxiliary services Terraform calls: GRPCController (Shutdown), GRPCStdio and
//! GRPCBroker (both carry nothing for us).

use tonic::{Request, Response, Status, Streaming};

use super::proto::plugin as pb;

/// Answers Shutdown and wakes the serve loop, which ends the process.
pub(crate) struct Controller {
    pub shutdown: tokio_util::sync::CancellationToken,
}

#[tonic::async_trait]
impl pb::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _req: Request<pb::Empty>) -> Result<Response<pb::Empty>, Status> {
        log::debug!("Terraform asked the provider to shut down");
        self.shutdown.cancel();
        Ok(Response::new(pb::Empty {}))
    }
}

/// Our logs go to stderr directly, so the stdio stream has nothing to carry and ends cleanly.
pub(crate) struct Stdio;

#[tonic::async_trait]
impl pb::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream = tokio_stream::Empty<Result<pb::StdioData, Status>>;

    async fn stream_stdio(
        &self,
        _req: Request<pb::Empty>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(tokio_stream::empty()))
    }
}

/// The provider never brokers extra connections: the broker stream ends at once.
pub(crate) struct Broker;

#[tonic::async_trait]
impl pb::grpc_broker_server::GrpcBroker for Broker {
    type StartStreamStream = tokio_stream::Empty<Result<pb::ConnInfo, Status>>;

    async fn start_stream(
        &self,
        _req: Request<Streaming<pb::ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        Ok(Response::new(tokio_stream::empty()))
    }
}
