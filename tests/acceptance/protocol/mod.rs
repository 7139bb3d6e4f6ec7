//! The plugin protocol as Terraform speaks it: the handshake, AutoMTLS with a P-521 client cert
//! (and refusal of anyone else), plaintext mode, Shutdown, and a real `terraform` using the
//! provider through dev_overrides and `--debug` reattach.

mod client;
mod flood;
mod mtls;
mod terraform;
