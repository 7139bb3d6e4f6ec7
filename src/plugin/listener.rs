//! The plugin listener: binding a unix socket or loopback TCP port, and the accept loop that
//! survives accept errors and bounds the TLS handshakes in flight.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::TlsAcceptor;
use tonic::transport::server::Connected;

use super::reply_watch::{OnReplyWritten, ReplyWatch};

/// A client that does not finish its TLS handshake in this time is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// At most this many TLS handshakes run at once; further clients wait in the kernel's backlog,
/// so a flood of idle connections cannot take every file descriptor the provider needs.
const MAX_HANDSHAKES_IN_FLIGHT: usize = 16;
/// After a failed accept (EMFILE under a flood, ECONNABORTED) wait this long before the next:
/// a descriptor may free up, and a persistent error does not spin the CPU.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// A bound listener. A unix socket lives in a fresh private directory removed on exit.
pub enum Listener {
    Unix {
        listener: UnixListener,
        dir: PathBuf,
        path: PathBuf,
    },
    Tcp {
        listener: TcpListener,
        addr: std::net::SocketAddr,
    },
}

impl Listener {
    /// Binds a unix socket in a fresh 0700 directory under `base` (PLUGIN_UNIX_SOCKET_DIR or the
    /// temp dir, as the process wrapper decides).
    pub fn bind_unix(base: &std::path::Path) -> io::Result<Listener> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = base.join(format!("plugin{}", uuid::Uuid::new_v4().simple()));
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        let path = dir.join("plugin.sock");
        match UnixListener::bind(&path) {
            Ok(listener) => Ok(Listener::Unix {
                listener,
                dir,
                path,
            }),
            Err(err) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(err)
            }
        }
    }

    /// Binds 127.0.0.1 on the first free port in `ports` (`None`: any port).
    pub async fn bind_tcp(ports: Option<(u16, u16)>) -> io::Result<Listener> {
        let ports: Vec<u16> = match ports {
            Some((min, max)) if min <= max => (min..=max).collect(),
            _ => vec![0],
        };
        let mut last_err = None;
        for p in ports {
            match TcpListener::bind(("127.0.0.1", p)).await {
                Ok(listener) => {
                    let addr = listener.local_addr()?;
                    return Ok(Listener::Tcp { listener, addr });
                }
                Err(err) => last_err = Some(err),
            }
        }
        Err(last_err.unwrap_or_else(|| io::Error::other("no port to bind")))
    }

    /// `("unix", path)` or `("tcp", "127.0.0.1:PORT")`.
    pub fn network_and_address(&self) -> (&'static str, String) {
        match self {
            Listener::Unix { path, .. } => ("unix", path.display().to_string()),
            Listener::Tcp { addr, .. } => ("tcp", addr.to_string()),
        }
    }

    /// The socket directory to remove when the process exits.
    pub fn cleanup_dir(&self) -> Option<PathBuf> {
        match self {
            Listener::Unix { dir, .. } => Some(dir.clone()),
            Listener::Tcp { .. } => None,
        }
    }
}

/// Something connections come from: the real listener, or a scripted one in tests.
pub(crate) trait Accept: Send + 'static {
    fn accept(&mut self) -> impl std::future::Future<Output = io::Result<Box<dyn Io>>> + Send;
}

impl Accept for Listener {
    async fn accept(&mut self) -> io::Result<Box<dyn Io>> {
        match self {
            Listener::Unix { listener, .. } => Ok(Box::new(listener.accept().await?.0)),
            Listener::Tcp { listener, .. } => {
                let (stream, _) = listener.accept().await?;
                // Nagle plus delayed ACKs costs ~40 ms per small gRPC message.
                let _ = stream.set_nodelay(true);
                Ok(Box::new(stream))
            }
        }
    }
}

/// Exit as soon as the reply to Shutdown is written: the token the Controller cancels, and what
/// to call then.
pub(crate) type ExitOnReply = (tokio_util::sync::CancellationToken, OnReplyWritten);

/// Accepts connections (TLS-handshaken when `tls` is set) and yields them to tonic. A failed
/// accept is logged and retried after a pause; it never ends the loop.
pub(crate) fn accept_loop(
    mut listener: impl Accept,
    tls: Option<TlsAcceptor>,
    exit_on_reply: Option<ExitOnReply>,
) -> impl futures_util::Stream<Item = io::Result<Conn>> {
    let (tx, rx) = mpsc::channel::<Conn>(16);
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES_IN_FLIGHT));
    tokio::spawn(async move {
        loop {
            // Take a handshake slot before accepting: when all are busy, clients queue in the
            // kernel's backlog instead of holding our descriptors.
            let Ok(slot) = handshakes.clone().acquire_owned().await else {
                return;
            };
            match listener.accept().await {
                Ok(stream) => {
                    if tx.is_closed() {
                        return; // the server is gone
                    }
                    let watch = exit_on_reply
                        .as_ref()
                        .map(|(requested, hook)| ReplyWatch::new(requested.clone(), hook.clone()));
                    hand_over(stream, watch, tls.clone(), tx.clone(), slot);
                }
                Err(err) => {
                    log::warn!("Accepting a connection failed (will keep accepting): {err}");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                }
            }
        }
    });
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|c| (Ok(c), rx)) },
    )
}

/// TLS handshakes run in their own task: a slow or refused client never blocks the others. The
/// slot is released when the handshake ends, however it ends.
fn hand_over(
    stream: Box<dyn Io>,
    watch: Option<ReplyWatch>,
    acceptor: Option<TlsAcceptor>,
    tx: mpsc::Sender<Conn>,
    slot: tokio::sync::OwnedSemaphorePermit,
) {
    tokio::spawn(async move {
        let io: Box<dyn Io> = match acceptor {
            None => stream,
            Some(acceptor) => {
                let started = std::time::Instant::now();
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => {
                        log_handshake(tls.get_ref().1, started.elapsed());
                        Box::new(tls)
                    }
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
        drop(slot);
        let _ = tx.send(Conn { io, watch }).await;
    });
}

/// Separates the TLS handshake from the RPCs in a trace, with what was negotiated.
fn log_handshake(conn: &rustls::ServerConnection, took: Duration) {
    log::debug!(
        "TLS handshake done in {:.3} ms ({:?}, {:?}, {:?})",
        took.as_secs_f64() * 1000.0,
        conn.protocol_version(),
        conn.negotiated_cipher_suite().map(|s| s.suite()),
        conn.negotiated_key_exchange_group().map(|g| g.name()),
    );
}

/// A byte stream tonic can serve.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// One accepted connection (unix or tcp, plain or TLS) as tonic serves it; its plaintext goes
/// past the Shutdown reply watch when the process wrapper armed one.
pub(crate) struct Conn {
    io: Box<dyn Io>,
    watch: Option<ReplyWatch>,
}

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
        let before = buf.filled().len();
        let this = &mut *self;
        let polled = Pin::new(&mut *this.io).poll_read(cx, buf);
        if let (Some(watch), Poll::Ready(Ok(()))) = (this.watch.as_mut(), &polled) {
            watch.read(&buf.filled()[before..]);
        }
        polled
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let polled = Pin::new(&mut *this.io).poll_write(cx, buf);
        if let (Some(watch), Poll::Ready(Ok(n))) = (this.watch.as_mut(), &polled) {
            watch.wrote(&buf[..*n]);
        }
        polled
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let polled = Pin::new(&mut *this.io).poll_flush(cx);
        if let (Some(watch), Poll::Ready(Ok(()))) = (this.watch.as_mut(), &polled) {
            watch.flushed();
        }
        polled
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.io).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let polled = Pin::new(&mut *this.io).poll_write_vectored(cx, bufs);
        if let (Some(watch), Poll::Ready(Ok(n))) = (this.watch.as_mut(), &polled) {
            let mut left = *n;
            for b in bufs {
                let take = left.min(b.len());
                watch.wrote(&b[..take]);
                left -= take;
                if left == 0 {
                    break;
                }
            }
        }
        polled
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Hands out whatever the test scripts (errors and in-memory connections), counting accepts.
    struct Scripted {
        script: mpsc::UnboundedReceiver<io::Result<Box<dyn Io>>>,
        accepted: Arc<AtomicUsize>,
    }

    impl Accept for Scripted {
        async fn accept(&mut self) -> io::Result<Box<dyn Io>> {
            match self.script.recv().await {
                Some(next) => {
                    self.accepted.fetch_add(1, Ordering::SeqCst);
                    next
                }
                None => std::future::pending().await,
            }
        }
    }

    type Script = mpsc::UnboundedSender<io::Result<Box<dyn Io>>>;

    fn scripted() -> (Script, Scripted, Arc<AtomicUsize>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let accepted = Arc::new(AtomicUsize::new(0));
        let listener = Scripted {
            script: rx,
            accepted: accepted.clone(),
        };
        (tx, listener, accepted)
    }

    /// Lets the spawned accept and handshake tasks run until they are all waiting.
    async fn settle() {
        for _ in 0..500 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn tcp_honours_port_range() {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let l = Listener::bind_tcp(Some((port, port))).await.unwrap();
        assert_eq!(
            l.network_and_address(),
            ("tcp", format!("127.0.0.1:{port}"))
        );
    }

    #[tokio::test]
    async fn unix_socket_lives_in_a_directory_only_we_can_enter() {
        use std::os::unix::fs::PermissionsExt;
        let listener = Listener::bind_unix(&std::env::temp_dir()).unwrap();
        let dir = listener.cleanup_dir().unwrap();
        let (network, address) = listener.network_and_address();
        assert_eq!(network, "unix");
        assert!(
            std::path::Path::new(&address).starts_with(&dir),
            "{address}"
        );
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "socket directory mode {mode:o}");
        drop(listener);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn accept_errors_do_not_end_the_loop() {
        let (script, listener, _) = scripted();
        let mut conns = Box::pin(accept_loop(listener, None, None));
        for errno in [
            24,  /* EMFILE */
            103, /* ECONNABORTED */
            23,  /* ENFILE */
        ] {
            script
                .send(Err(io::Error::from_raw_os_error(errno)))
                .unwrap();
        }
        let (ours, _theirs) = tokio::io::duplex(64);
        script.send(Ok(Box::new(ours))).unwrap();
        let next = tokio::time::timeout(Duration::from_secs(20), conns.next()).await;
        assert!(
            matches!(next, Ok(Some(Ok(_)))),
            "the connection after three failed accepts was not served"
        );
    }

    #[tokio::test]
    async fn tls_handshakes_in_flight_are_bounded() {
        crate::plugin::tls::install_crypto_provider();
        let client = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&client)
            .unwrap();
        let tls = crate::plugin::tls::server_tls(&cert.pem()).unwrap();
        let (script, listener, accepted) = scripted();
        let _conns = Box::pin(accept_loop(
            listener,
            Some(TlsAcceptor::from(tls.config)),
            None,
        ));
        // Idle clients that never send a ClientHello: each holds a slot until it goes away.
        let mut idle = Vec::new();
        for _ in 0..MAX_HANDSHAKES_IN_FLIGHT + 5 {
            let (ours, theirs) = tokio::io::duplex(64);
            idle.push(theirs);
            script.send(Ok(Box::new(ours))).unwrap();
        }
        settle().await;
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            MAX_HANDSHAKES_IN_FLIGHT,
            "accepted beyond the bound of TLS handshakes in flight"
        );
        // A client that goes away frees its slot: the next queued one is taken.
        drop(idle.remove(0));
        settle().await;
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            MAX_HANDSHAKES_IN_FLIGHT + 1
        );
    }
}
