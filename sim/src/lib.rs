//! A Microsoft Graph simulator for cross-tenant identity synchronization.

/// Serves the simulator on `listener` until `shutdown` completes.
pub async fn run(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let _ = listener;
    shutdown.await;
    Ok(())
}
