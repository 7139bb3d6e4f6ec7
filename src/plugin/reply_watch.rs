//! Knowing when the Shutdown reply has left the process: HTTP/2 frame boundaries read off one
//! connection's plaintext, so the process can exit then instead of draining the connection.
//!
//! Terraform sends GRPCController.Shutdown as its last call and waits for the process to exit;
//! the graceful HTTP/2 close after the reply (GOAWAY, PING and its answer, close_notify) only
//! delays that. The watch finds the reply's end without looking into HPACK: the Shutdown call
//! is the client's highest stream when the Controller asks to stop, and its reply ends with a
//! HEADERS frame (the trailers) carrying END_STREAM.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

/// HTTP/2 frame types and flags (RFC 9113, section 6).
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const CONTINUATION: u8 = 0x9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
/// The client's connection preface (RFC 9113, section 3.4) comes before its first frame.
const CLIENT_PREFACE_LEN: usize = 24;

/// Called once the reply to Shutdown is written and flushed; in the process wrapper it exits.
pub(crate) type OnReplyWritten = Arc<dyn Fn() + Send + Sync>;

/// The frame header fields the watch needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Frame {
    kind: u8,
    flags: u8,
    stream: u32,
}

/// Splits a byte stream into HTTP/2 frames, reporting each one once all its bytes went by.
#[derive(Debug, Default)]
struct FrameScanner {
    skip: usize,
    header: [u8; 9],
    have: usize,
    payload_left: usize,
}

impl FrameScanner {
    fn after_preface(skip: usize) -> FrameScanner {
        FrameScanner {
            skip,
            ..FrameScanner::default()
        }
    }

    fn feed(&mut self, mut bytes: &[u8], mut on_frame: impl FnMut(Frame)) {
        while !bytes.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(bytes.len());
                self.skip -= n;
                bytes = &bytes[n..];
                continue;
            }
            if self.have < self.header.len() {
                let n = (self.header.len() - self.have).min(bytes.len());
                self.header[self.have..self.have + n].copy_from_slice(&bytes[..n]);
                self.have += n;
                bytes = &bytes[n..];
                if self.have < self.header.len() {
                    return;
                }
                let h = self.header;
                self.payload_left =
                    usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]);
            }
            let n = self.payload_left.min(bytes.len());
            self.payload_left -= n;
            bytes = &bytes[n..];
            if self.payload_left == 0 {
                let h = self.header;
                self.have = 0;
                on_frame(Frame {
                    kind: h[3],
                    flags: h[4],
                    stream: u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff,
                });
            }
        }
    }
}

/// Where the reply to Shutdown is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    /// Shutdown not asked for yet, or its stream not known yet.
    Pending,
    /// Shutdown came on this stream; its trailers are not written yet.
    On(u32),
    /// The trailers' HEADERS frame is written, its CONTINUATION not yet.
    Continuing(u32),
    /// Every byte of the reply is handed to the connection: exit after the next flush.
    Written,
    /// The stream was reset, or the hook already ran: leave the rest to serving.
    GivenUp,
}

/// One connection's watch for the end of the Shutdown reply.
pub(crate) struct ReplyWatch {
    requested: CancellationToken,
    on_written: OnReplyWritten,
    incoming: FrameScanner,
    outgoing: FrameScanner,
    highest_client_stream: u32,
    reply: Reply,
}

impl ReplyWatch {
    /// `requested` is cancelled by the Controller when Terraform asks to shut down.
    pub(crate) fn new(requested: CancellationToken, on_written: OnReplyWritten) -> ReplyWatch {
        ReplyWatch {
            requested,
            on_written,
            incoming: FrameScanner::after_preface(CLIENT_PREFACE_LEN),
            outgoing: FrameScanner::default(),
            highest_client_stream: 0,
            reply: Reply::Pending,
        }
    }

    /// Bytes read from the client.
    pub(crate) fn read(&mut self, bytes: &[u8]) {
        let highest = &mut self.highest_client_stream;
        self.incoming.feed(bytes, |frame| {
            if frame.kind == HEADERS && frame.stream > *highest {
                *highest = frame.stream;
            }
        });
    }

    /// Bytes the connection accepted for writing.
    pub(crate) fn wrote(&mut self, bytes: &[u8]) {
        let requested = &self.requested;
        let highest = self.highest_client_stream;
        let reply = &mut self.reply;
        self.outgoing.feed(bytes, |frame| {
            if *reply == Reply::Pending && requested.is_cancelled() {
                // The Controller runs once the Shutdown request is read: no later stream
                // can be it, and Terraform opens none after it.
                *reply = Reply::On(highest);
            }
            *reply = next(*reply, frame);
        });
    }

    /// The connection flushed everything written so far.
    pub(crate) fn flushed(&mut self) {
        if self.reply == Reply::Written {
            self.reply = Reply::GivenUp;
            (self.on_written)();
        }
    }
}

fn next(reply: Reply, frame: Frame) -> Reply {
    match reply {
        Reply::On(stream) | Reply::Continuing(stream) if frame.stream == stream => {
            let ends_headers = frame.flags & END_HEADERS != 0;
            match (reply, frame.kind) {
                (_, RST_STREAM) => Reply::GivenUp,
                (Reply::On(_), HEADERS) if frame.flags & END_STREAM != 0 => {
                    if ends_headers {
                        Reply::Written
                    } else {
                        Reply::Continuing(stream)
                    }
                }
                (Reply::Continuing(_), CONTINUATION) if ends_headers => Reply::Written,
                _ => reply,
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const DATA: u8 = 0x0;
    const SETTINGS: u8 = 0x4;

    fn frame(kind: u8, flags: u8, stream: u32, payload: usize) -> Vec<u8> {
        let len = (payload as u32).to_be_bytes();
        let mut bytes = vec![len[1], len[2], len[3], kind, flags];
        bytes.extend_from_slice(&stream.to_be_bytes());
        bytes.extend(std::iter::repeat_n(0xAB, payload));
        bytes
    }

    fn watch() -> (ReplyWatch, CancellationToken, Arc<AtomicUsize>) {
        let token = CancellationToken::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let watch = ReplyWatch::new(
            token.clone(),
            Arc::new(move || {
                counted.fetch_add(1, Ordering::SeqCst);
            }),
        );
        (watch, token, calls)
    }

    /// A watch that saw the Shutdown request, the client's only one, on stream 1.
    fn shutdown_asked_on_stream_1() -> (ReplyWatch, Arc<AtomicUsize>) {
        let (mut w, token, calls) = watch();
        w.read(&client_requests(&[1]));
        token.cancel();
        (w, calls)
    }

    /// The client's preface, its SETTINGS, then a request on each of `streams`.
    fn client_requests(streams: &[u32]) -> Vec<u8> {
        let mut bytes = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        bytes.extend(frame(SETTINGS, 0, 0, 12));
        for &s in streams {
            bytes.extend(frame(HEADERS, END_HEADERS, s, 40));
            bytes.extend(frame(DATA, END_STREAM, s, 5));
        }
        bytes
    }

    /// A gRPC reply: headers, the message, then trailers ending the stream.
    fn reply(stream: u32) -> Vec<u8> {
        let mut bytes = frame(HEADERS, END_HEADERS, stream, 20);
        bytes.extend(frame(DATA, 0, stream, 5));
        bytes.extend(frame(HEADERS, END_HEADERS | END_STREAM, stream, 15));
        bytes
    }

    #[test]
    fn fires_after_the_flush_that_follows_the_shutdown_trailers() {
        let (mut w, token, calls) = watch();
        w.wrote(&frame(SETTINGS, 0, 0, 18));
        w.read(&client_requests(&[1, 3, 5]));
        w.wrote(&reply(1));
        token.cancel();
        // A reply on another stream, still going out after the request, is not the one.
        w.wrote(&reply(3));
        w.flushed();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        // Byte by byte: frame boundaries inside writes don't matter.
        let last = reply(5);
        let (head, tail) = last.split_at(last.len() - 1);
        for b in head {
            w.wrote(std::slice::from_ref(b));
        }
        w.flushed();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "fired before the last byte"
        );
        w.wrote(tail);
        assert_eq!(calls.load(Ordering::SeqCst), 0, "fired before the flush");
        w.flushed();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        w.flushed();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "fired twice");
    }

    #[test]
    fn never_fires_without_a_shutdown_request() {
        let (mut w, _token, calls) = watch();
        w.read(&client_requests(&[1, 3]));
        w.wrote(&reply(1));
        w.wrote(&reply(3));
        w.flushed();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn trailers_split_into_continuation_fire_only_at_its_end() {
        let (mut w, calls) = shutdown_asked_on_stream_1();
        w.wrote(&frame(HEADERS, END_HEADERS, 1, 20));
        w.wrote(&frame(HEADERS, END_STREAM, 1, 10));
        w.flushed();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        w.wrote(&frame(CONTINUATION, END_HEADERS, 1, 10));
        w.flushed();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_reset_shutdown_stream_leaves_the_exit_to_serving() {
        let (mut w, calls) = shutdown_asked_on_stream_1();
        w.wrote(&frame(RST_STREAM, 0, 1, 4));
        w.wrote(&reply(1));
        w.flushed();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}
