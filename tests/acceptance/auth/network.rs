//! The provider's network routing from a real Terraform: with `HTTPS_PROXY` set, the managed
//! identity request goes direct while Graph requests go to the proxy.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use crate::harness::config::hcl_string;
use crate::harness::{for_each_terraform, Step};

use super::terraform::{config, T1};

/// A loopback "proxy" recording each request's head, refusing every one with 502.
struct RecordingProxy {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl RecordingProxy {
    fn start() -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = heads.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 16_384 {
                    match stream.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => break,
                    }
                }
                recorded
                    .lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            }
        });
        RecordingProxy { url, heads }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

#[test]
fn managed_identity_goes_direct_and_graph_through_the_proxy() {
    for_each_terraform(|s| {
        let proxy = RecordingProxy::start();
        s.dir.set_env("HTTPS_PROXY", &proxy.url);
        s.dir.set_env("HTTP_PROXY", &proxy.url);
        // The harness lists the loopback hosts in NO_PROXY; here none may be, so only the
        // provider's own routing keeps the identity request away from the proxy.
        s.dir.set_env("NO_PROXY", "unrelated.example");
        s.dir.set_env("no_proxy", "unrelated.example");
        s.dir
            .set_env("IDENTITY_ENDPOINT", &format!("{}/msi/token", s.url));
        s.dir.set_env("IDENTITY_HEADER", &s.sim.identity_header());
        s.sim.add_partner(T1);
        // Graph over https on a loopback name: the proxy must be asked to CONNECT to it (a
        // direct attempt would reach this closed-by-default port and fail differently).
        let graph = "https://localhost:9";
        let mut hcl = config(
            s,
            &[("use_msi", "true".into()), ("use_cli", "false".into())],
            "proxied",
        );
        hcl = hcl.replacen(
            &format!("graph_endpoint = {}", hcl_string(&s.url)),
            &format!("graph_endpoint = {}", hcl_string(graph)),
            1,
        );
        s.step(Step::new(hcl).expect_error(&["Microsoft Graph could not be reached"]));

        let heads = proxy.heads();
        s.expect(
            heads.iter().any(|h| h.starts_with("CONNECT localhost:9 ")),
            &format!("Graph requests went to the proxy: {heads:?}"),
        );
        s.expect(
            !heads.iter().any(|h| {
                h.to_ascii_lowercase().contains("x-identity-header") || h.contains("/msi/")
            }),
            &format!("the managed identity request never reached the proxy: {heads:?}"),
        );
        s.expect(
            s.sim
                .requests()
                .iter()
                .any(|r| r.path == "/msi/token" && r.status == 200),
            "the managed identity token came straight from the endpoint",
        );
        s.expect(
            s.graph_requests().is_empty(),
            "no Graph request reached the simulator",
        );
    });
}
