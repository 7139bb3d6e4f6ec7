//! The accept loop: one hyper HTTP/1.1 connection task per client, each abortable so a `Reset`
//! fault can drop the socket with an RST and shutdown never waits on a hung request.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::simulator::Sim;

/// What a connection carried so far (see [`ConnControl::note_request`]).
const CARRIED_NOTHING: u8 = 0;
const CARRIED_CONTROL_ONLY: u8 = 1;
const CARRIED_OTHER: u8 = 2;

/// Lets a request handler kill its own connection; tracks whether it carried only `/_sim/`
/// control requests so those connections can be left out of the connection count.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    reset: AtomicBool,
    garbage: std::sync::Mutex<Option<Vec<u8>>>,
    notify: Notify,
    carried: AtomicU8,
}

/// How a request changes the number of control-only connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ControlOnlyChange {
    Became,
    Stopped,
    Unchanged,
}

impl ConnControl {
    /// Records a request on this connection.
    pub(crate) fn note_request(&self, is_control: bool) -> ControlOnlyChange {
        if is_control {
            match self.carried.compare_exchange(
                CARRIED_NOTHING,
                CARRIED_CONTROL_ONLY,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => ControlOnlyChange::Became,
                Err(_) => ControlOnlyChange::Unchanged,
            }
        } else if self.carried.swap(CARRIED_OTHER, Ordering::SeqCst) == CARRIED_CONTROL_ONLY {
            ControlOnlyChange::Stopped
        } else {
            ControlOnlyChange::Unchanged
        }
    }

    /// Writes `bytes` instead of an HTTP response, then closes the connection.
    pub(crate) fn send_garbage(&self, bytes: Vec<u8>) {
        *self.garbage.lock().unwrap_or_else(|e| e.into_inner()) = Some(bytes);
        self.notify.notify_one();
    }

    /// Closes the connection with a TCP reset and no response.
    pub(crate) fn reset(&self) {
        self.reset.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }
}

/// A TcpStream that, when its connection was reset on purpose, closes with SO_LINGER 0 (RST).
struct ResettableStream {
    inner: TcpStream,
    control: Arc<ConnControl>,
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.control.reset.load(Ordering::SeqCst) {
            // Linger 0 makes close() send RST at once; it does not block.
            #[allow(deprecated)]
            let _ = self.inner.set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Serves `sim` until `shutdown` completes, then drops every open connection.
pub(crate) async fn serve(
    sim: Sim,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    sim.lock().base_url = Some(format!("http://{addr}"));
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    sim.lock().connections_accepted += 1;
                    connections.spawn(serve_connection(sim.clone(), stream));
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    sim.persist();
    Ok(())
}

/// The stream plus a duplicate handle, so a Garbage fault can write past hyper.
fn with_raw_handle(stream: TcpStream) -> std::io::Result<(TcpStream, std::net::TcpStream)> {
    let std_stream = stream.into_std()?;
    let raw = std_stream.try_clone()?;
    Ok((TcpStream::from_std(std_stream)?, raw))
}

async fn serve_connection(sim: Sim, stream: TcpStream) {
    let Ok((stream, raw)) = with_raw_handle(stream) else {
        return;
    };
    let control = Arc::new(ConnControl::default());
    let io = ResettableStream {
        inner: stream,
        control: control.clone(),
    };
    let handler_control = control.clone();
    let service = service_fn(move |req| {
        let sim = sim.clone();
        let control = handler_control.clone();
        async move { Ok::<_, Infallible>(crate::dispatch::handle(sim, control, req).await) }
    });
    let connection = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    tokio::select! {
        _ = connection => {}
        () = control.notify.notified() => {
            let garbage = control.garbage.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(bytes) = garbage {
                if let Ok(mut raw) = TcpStream::from_std(raw) {
                    use tokio::io::AsyncWriteExt;
                    let _ = raw.write_all(&bytes).await;
                    let _ = raw.shutdown().await;
                }
            }
        }
    }
}
