//! Runs a scenario once per Terraform version, each in its own thread with its own simulator.

use super::scenario::Scenario;
use super::terraform::{terraforms, Terraform};

/// Runs `scenario` on every Terraform version (1.11.4 and 1.0.3), in parallel threads unless
/// TF_ACC_SERIAL is set. Each run gets its own simulator and working dir. Panics naming every
/// version that failed, after each failed run printed its Terraform output and request log.
pub fn for_each_terraform<F>(scenario: F)
where
    F: Fn(&mut Scenario) + Sync,
{
    let label = test_label();
    let all = terraforms();
    let run_one = |tf: &'static Terraform| {
        let mut s = Scenario::start(tf, &label);
        scenario(&mut s);
    };
    let failed: Vec<&str> = if std::env::var_os("TF_ACC_SERIAL").is_some() {
        all.iter()
            .filter(|tf| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_one(tf))).is_err()
            })
            .map(|tf| tf.version.as_str())
            .collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = all
                .iter()
                .map(|tf| {
                    let handle = std::thread::Builder::new()
                        .name(format!("{label}@{}", tf.version))
                        .spawn_scoped(scope, || run_one(tf))
                        .unwrap_or_else(|e| panic!("cannot spawn a scenario thread: {e}"));
                    (tf, handle)
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|(tf, handle)| handle.join().is_err().then_some(tf.version.as_str()))
                .collect()
        })
    };
    if !failed.is_empty() {
        panic!(
            "scenario `{label}` failed on Terraform {}",
            failed.join(", ")
        );
    }
}

/// The test's name (libtest names the test thread after it), for dir names and messages.
fn test_label() -> String {
    let name = std::thread::current()
        .name()
        .map(str::to_string)
        .unwrap_or_else(|| "scenario".to_string());
    name.rsplit("::")
        .next()
        .unwrap_or("scenario")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
