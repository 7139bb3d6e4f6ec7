//! The `timeouts` block: Go duration strings ("90s", "10m", "1h30m") and per-operation defaults.

use std::time::Duration;

use crate::plugin::{AttributePath, Diagnostics, Value};

/// The operations a `timeouts` block can bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    pub const ALL: [Operation; 4] = [
        Operation::Create,
        Operation::Read,
        Operation::Update,
        Operation::Delete,
    ];

    /// The attribute name inside `timeouts`.
    pub fn attribute(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }

    pub fn default_timeout(self) -> Duration {
        match self {
            Operation::Read => Duration::from_secs(5 * 60),
            _ => Duration::from_secs(10 * 60),
        }
    }

    /// Default as users write it, for schema descriptions.
    pub fn default_text(self) -> &'static str {
        match self {
            Operation::Read => "5m",
            _ => "10m",
        }
    }
}

/// The timeout for `op` from a resource value holding a `timeouts` block (null, unknown or
/// unparsable values fall back to the default; validation reports bad ones before apply).
pub fn timeout_for(resource: &Value, op: Operation) -> Duration {
    resource
        .attr("timeouts")
        .attr(op.attribute())
        .as_str()
        .and_then(|text| parse_go_duration(text).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or_else(|| op.default_timeout())
}

/// Reports each unparsable or non-positive value of the `timeouts` block at its path.
pub fn validate_timeouts(resource: &Value, diags: &mut Diagnostics) {
    let block = resource.attr("timeouts");
    for op in Operation::ALL {
        let Some(text) = block.attr(op.attribute()).as_str() else {
            continue;
        };
        let problem = match parse_go_duration(text) {
            Ok(d) if d.is_zero() => Some("A timeout must be longer than zero.".to_string()),
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        };
        if let Some(problem) = problem {
            diags.attribute_error(
                AttributePath::attrs(["timeouts", op.attribute()]),
                "Invalid timeout",
                format!(
                    "{problem} Write a duration such as \"90s\", \"10m\" or \"1h30m\" \
                     (units: ns, us, ms, s, m, h), or remove it to use the default of {}.",
                    op.default_text()
                ),
            );
        }
    }
}

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    Empty,
    Negative { text: String },
    Invalid { text: String },
    MissingUnit { text: String },
    UnknownUnit { text: String, unit: String },
    TooLarge { text: String },
}

impl std::fmt::Display for DurationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DurationError::Empty => write!(f, "The duration is empty."),
            DurationError::Negative { text } => write!(f, "{text:?} is negative."),
            DurationError::Invalid { text } => write!(f, "{text:?} is not a duration."),
            DurationError::MissingUnit { text } => {
                write!(f, "{text:?} has a number without a unit.")
            }
            DurationError::UnknownUnit { text, unit } => {
                write!(f, "{text:?} uses the unknown unit {unit:?}.")
            }
            DurationError::TooLarge { text } => write!(f, "{text:?} is too large."),
        }
    }
}

impl std::error::Error for DurationError {}

/// Parses a Go `time.ParseDuration` string: a sequence of decimal numbers (optionally with a
/// fraction) each followed by a unit, e.g. "300ms", "1.5h", "2h45m". Negative values are refused.
pub fn parse_go_duration(text: &str) -> Result<Duration, DurationError> {
    let invalid = || DurationError::Invalid {
        text: text.to_string(),
    };
    let mut rest = text;
    if rest.is_empty() {
        return Err(DurationError::Empty);
    }
    if let Some(r) = rest.strip_prefix('-') {
        if r.is_empty() {
            return Err(invalid());
        }
        return Err(DurationError::Negative {
            text: text.to_string(),
        });
    }
    rest = rest.strip_prefix('+').unwrap_or(rest);
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let nanos_per_unit = match unit {
            "" => {
                return Err(DurationError::MissingUnit {
                    text: text.to_string(),
                })
            }
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => {
                return Err(DurationError::UnknownUnit {
                    text: text.to_string(),
                    unit: other.to_string(),
                })
            }
        };
        total_nanos += value * nanos_per_unit;
    }
    // Go's limit: about 290 years.
    if !total_nanos.is_finite() || total_nanos > i64::MAX as f64 {
        return Err(DurationError::TooLarge {
            text: text.to_string(),
        });
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        let cases = [
            ("90s", Duration::from_secs(90)),
            ("10m", Duration::from_secs(600)),
            ("1h30m", Duration::from_secs(5400)),
            ("1.5h", Duration::from_secs(5400)),
            ("2h45m10s", Duration::from_secs(2 * 3600 + 45 * 60 + 10)),
            ("300ms", Duration::from_millis(300)),
            ("1500us", Duration::from_micros(1500)),
            ("1µs", Duration::from_micros(1)),
            ("7ns", Duration::from_nanos(7)),
            ("0", Duration::ZERO),
            ("+5s", Duration::from_secs(5)),
            (".5s", Duration::from_millis(500)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_go_duration(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn refuses_bad_durations() {
        assert_eq!(parse_go_duration(""), Err(DurationError::Empty));
        assert!(matches!(
            parse_go_duration("-5m"),
            Err(DurationError::Negative { .. })
        ));
        assert!(matches!(
            parse_go_duration("10"),
            Err(DurationError::MissingUnit { .. })
        ));
        assert!(matches!(
            parse_go_duration("10 minutes"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_go_duration("5d"),
            Err(DurationError::UnknownUnit { .. })
        ));
        for bad in ["m", "1..5s", ".s", "-", "abc", "1h 30m"] {
            assert!(parse_go_duration(bad).is_err(), "{bad:?} accepted");
        }
        assert!(matches!(
            parse_go_duration("999999999h"),
            Err(DurationError::TooLarge { .. })
        ));
    }

    #[test]
    fn defaults_apply_when_unset_or_unknown() {
        let none = Value::object([("timeouts", Value::Null)]);
        assert_eq!(
            timeout_for(&none, Operation::Create),
            Duration::from_secs(600)
        );
        assert_eq!(
            timeout_for(&none, Operation::Update),
            Duration::from_secs(600)
        );
        assert_eq!(
            timeout_for(&none, Operation::Delete),
            Duration::from_secs(600)
        );
        assert_eq!(
            timeout_for(&none, Operation::Read),
            Duration::from_secs(300)
        );
        let block = Value::object([
            ("create", Value::string("90s")),
            ("read", Value::Unknown),
            ("update", Value::Null),
            ("delete", Value::string("1h30m")),
        ]);
        let set = Value::object([("timeouts", block)]);
        assert_eq!(
            timeout_for(&set, Operation::Create),
            Duration::from_secs(90)
        );
        assert_eq!(timeout_for(&set, Operation::Read), Duration::from_secs(300));
        assert_eq!(
            timeout_for(&set, Operation::Update),
            Duration::from_secs(600)
        );
        assert_eq!(
            timeout_for(&set, Operation::Delete),
            Duration::from_secs(5400)
        );
    }

    #[test]
    fn validation_points_at_the_bad_timeout() {
        let block = Value::object([
            ("create", Value::string("10 minutes")),
            ("read", Value::string("5m")),
            ("update", Value::string("0s")),
            ("delete", Value::Unknown),
        ]);
        let mut diags = Diagnostics::new();
        validate_timeouts(&Value::object([("timeouts", block)]), &mut diags);
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.attribute.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["timeouts.create", "timeouts.update"]);
        assert!(diags.0[0].detail.contains("unknown unit"));
        assert!(diags.0[1].detail.contains("longer than zero"));
    }
}
