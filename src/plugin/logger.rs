//! A `log::Log` writing hclog JSON lines to stderr (what Terraform's plugin log reader parses),
//! with the RPC context (tf_rpc, tf_req_id, tf_resource_type) of the task logging.

use std::future::Future;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use log::{Level, LevelFilter, Log, Metadata, Record};
use serde_json::{Map, Value as Json};

/// The log fields of the RPC a task is serving, set by each gRPC shim around the provider call.
#[derive(Debug, Clone)]
pub(crate) struct RpcLogFields {
    pub rpc: &'static str,
    pub req_id: String,
    pub resource_type: Option<String>,
}

tokio::task_local! {
    pub(crate) static RPC_LOG_FIELDS: RpcLogFields;
}

/// Runs one RPC body with its log fields, logging start and end with the duration.
pub(crate) async fn in_rpc<T>(
    rpc: &'static str,
    resource_type: Option<String>,
    body: impl Future<Output = T>,
) -> T {
    let fields = RpcLogFields {
        rpc,
        req_id: uuid::Uuid::new_v4().to_string(),
        resource_type: resource_type.filter(|t| !t.is_empty()),
    };
    RPC_LOG_FIELDS
        .scope(fields, async move {
            let started = Instant::now();
            log_with_fields(Level::Trace, "Received request", &[]);
            let out = body.await;
            let ms = started.elapsed().as_millis() as u64;
            log_with_fields(
                Level::Debug,
                "Served request",
                &[("tf_req_duration_ms", ms.into())],
            );
            out
        })
        .await
}

/// The level Terraform asked for: TF_LOG_PROVIDER, else TF_LOG; unset or unknown = off.
pub fn level_from_env() -> LevelFilter {
    let var = std::env::var("TF_LOG_PROVIDER")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| std::env::var("TF_LOG").ok());
    parse_level(var.as_deref().unwrap_or(""))
}

fn parse_level(text: &str) -> LevelFilter {
    match text.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => LevelFilter::Trace,
        "DEBUG" => LevelFilter::Debug,
        "INFO" => LevelFilter::Info,
        "WARN" => LevelFilter::Warn,
        "ERROR" => LevelFilter::Error,
        _ => LevelFilter::Off,
    }
}

/// Installs the hclog logger as the `log` facade's logger (once; later calls do nothing).
pub fn init_logging() {
    let level = level_from_env();
    if level == LevelFilter::Off {
        return;
    }
    if log::set_boxed_logger(Box::new(HclogLogger)).is_ok() {
        log::set_max_level(level);
    }
}

struct HclogLogger;

const OUR_CRATE: &str = env!("CARGO_CRATE_NAME");

impl Log for HclogLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Libraries (rustls, h2, hyper) are chatty and may dump handshake details: warn+ only.
        let ours = metadata.target().starts_with(OUR_CRATE);
        metadata.level() <= log::max_level() && (ours || metadata.level() <= Level::Warn)
    }
    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        write_line(record.level(), &record.args().to_string(), &[]);
    }
    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

/// Writes one line with extra fields, if `level` is enabled.
pub(crate) fn log_with_fields(level: Level, message: &str, fields: &[(&str, Json)]) {
    if level <= log::max_level() {
        write_line(level, message, fields);
    }
}

fn write_line(level: Level, message: &str, fields: &[(&str, Json)]) {
    let context = RPC_LOG_FIELDS.try_with(Clone::clone).ok();
    let line = format_line(level, message, SystemTime::now(), context.as_ref(), fields);
    // One write per line so lines from concurrent tasks never interleave.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

pub(crate) fn format_line(
    level: Level,
    message: &str,
    at: SystemTime,
    context: Option<&RpcLogFields>,
    fields: &[(&str, Json)],
) -> String {
    let mut m = Map::new();
    let level_name = match level {
        Level::Error => "error",
        Level::Warn => "warn",
        Level::Info => "info",
        Level::Debug => "debug",
        Level::Trace => "trace",
    };
    m.insert("@level".into(), level_name.into());
    m.insert("@message".into(), message.into());
    m.insert("@module".into(), "provider".into());
    m.insert("@timestamp".into(), timestamp(at).into());
    if let Some(ctx) = context {
        m.insert("tf_rpc".into(), ctx.rpc.into());
        m.insert("tf_req_id".into(), ctx.req_id.clone().into());
        if let Some(t) = &ctx.resource_type {
            m.insert("tf_resource_type".into(), t.clone().into());
        }
    }
    for (k, v) in fields {
        m.insert((*k).to_string(), v.clone());
    }
    let mut line = Json::Object(m).to_string();
    line.push('\n');
    line
}

/// `2026-01-02T03:04:05.123456Z`: UTC, exactly six fractional digits (hclog's format).
pub(crate) fn timestamp(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_micros()
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_six_fraction_digits() {
        let at = UNIX_EPOCH + Duration::new(1_767_323_045, 123_456_789);
        assert_eq!(timestamp(at), "2026-01-02T03:04:05.123456Z");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn line_has_hclog_fields_and_rpc_context() {
        let ctx = RpcLogFields {
            rpc: "ReadResource",
            req_id: "abc".into(),
            resource_type: Some("x_thing".into()),
        };
        let at = UNIX_EPOCH + Duration::new(1_767_323_045, 5_000);
        let line = format_line(
            Level::Debug,
            "said \"hi\"",
            at,
            Some(&ctx),
            &[("tf_req_duration_ms", 7.into())],
        );
        assert!(line.ends_with('\n'));
        let v: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "@level": "debug",
                "@message": "said \"hi\"",
                "@module": "provider",
                "@timestamp": "2026-01-02T03:04:05.000005Z",
                "tf_rpc": "ReadResource",
                "tf_req_id": "abc",
                "tf_resource_type": "x_thing",
                "tf_req_duration_ms": 7
            })
        );
    }

    #[test]
    fn library_chatter_is_filtered() {
        log::set_max_level(LevelFilter::Trace);
        let meta =
            |target: &'static str, level| Metadata::builder().target(target).level(level).build();
        assert!(HclogLogger.enabled(&meta("terraform_provider_msgraph::plugin", Level::Trace)));
        assert!(!HclogLogger.enabled(&meta("rustls::server::hs", Level::Debug)));
        assert!(HclogLogger.enabled(&meta("h2::proto", Level::Warn)));
    }

    #[test]
    fn levels_parse_like_terraform() {
        assert_eq!(parse_level("trace"), LevelFilter::Trace);
        assert_eq!(parse_level("JSON"), LevelFilter::Trace);
        assert_eq!(parse_level("DEBUG"), LevelFilter::Debug);
        assert_eq!(parse_level("INFO"), LevelFilter::Info);
        assert_eq!(parse_level("WARN"), LevelFilter::Warn);
        assert_eq!(parse_level("ERROR"), LevelFilter::Error);
        assert_eq!(parse_level(""), LevelFilter::Off);
        assert_eq!(parse_level("verbose"), LevelFilter::Off);
    }
}
