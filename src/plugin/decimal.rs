//! Exact decimal arithmetic on number text: canonical form and the msgpack number choice
//! (int when it fits i64, float64 when exactly representable, else decimal text).
//!
//! Hand-written on purpose: cty numbers are arbitrary-precision decimals, and the crates that
//! would fit (bigdecimal, rust_decimal) either cap precision or bring a big-integer stack for
//! the few operations needed here.

use super::Number;

/// A finite decimal `(-1)^negative * digits * 10^exponent`, digits without leading or
/// trailing zeros (empty = zero).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decimal {
    negative: bool,
    digits: String,
    exponent: i64,
}

/// How a number goes onto the msgpack wire.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WireNumber {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Decimal {
    /// Parses `[-+]digits[.digits][e[-+]digits]`; `None` for anything else.
    pub(crate) fn parse(text: &str) -> Option<Decimal> {
        let t = text.trim();
        let (negative, rest) = match t.as_bytes().first()? {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        let (mantissa, exp_text) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        if !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut exponent: i64 = match exp_text {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                // Absurd exponents are not numbers Terraform can hold.
                if digits.len() > 9 {
                    return None;
                }
                e.parse().ok()?
            }
        };
        let frac_len = i64::try_from(frac_part.len()).ok()?;
        exponent -= frac_len;
        let mut digits: String = format!("{int_part}{frac_part}");
        let leading = digits.bytes().take_while(|b| *b == b'0').count();
        digits.drain(..leading);
        let trailing = digits.bytes().rev().take_while(|b| *b == b'0').count();
        digits.truncate(digits.len() - trailing);
        exponent += i64::try_from(trailing).ok()?;
        if digits.is_empty() {
            return Some(Decimal {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        Some(Decimal {
            negative,
            digits,
            exponent,
        })
    }

    fn is_integer(&self) -> bool {
        self.exponent >= 0
    }

    /// Canonical text: plain notation for reasonable magnitudes, else `d.ddde±N`.
    pub(crate) fn to_text(&self) -> String {
        if self.digits.is_empty() {
            return "0".to_string();
        }
        let sign = if self.negative { "-" } else { "" };
        let len = self.digits.len() as i64;
        if self.exponent >= 0 && len + self.exponent <= 40 {
            let zeros = "0".repeat(self.exponent as usize);
            return format!("{sign}{}{zeros}", self.digits);
        }
        if self.exponent < 0 && -self.exponent <= len + 20 {
            let point = len + self.exponent;
            return if point > 0 {
                let (a, b) = self.digits.split_at(point as usize);
                format!("{sign}{a}.{b}")
            } else {
                format!("{sign}0.{}{}", "0".repeat((-point) as usize), self.digits)
            };
        }
        let (first, rest) = self.digits.split_at(1);
        let exp = self.exponent + len - 1;
        if rest.is_empty() {
            format!("{sign}{first}e{exp}")
        } else {
            format!("{sign}{first}.{rest}e{exp}")
        }
    }

    fn as_i64(&self) -> Option<i64> {
        if !self.is_integer() || self.digits.len() as i64 + self.exponent > 19 {
            return None;
        }
        self.to_text().parse().ok()
    }

    fn exact_f64(&self) -> Option<f64> {
        let f: f64 = self.to_text().parse().ok()?;
        if !f.is_finite() {
            return None;
        }
        // An f64's exact decimal expansion has at most 767 significant digits.
        let exact = Decimal::parse(&format!("{f:.800e}"))?;
        (exact == *self).then_some(f)
    }

    pub(crate) fn wire(&self) -> WireNumber {
        if let Some(i) = self.as_i64() {
            return WireNumber::Int(i);
        }
        if let Some(f) = self.exact_f64() {
            return WireNumber::Float(f);
        }
        WireNumber::Text(self.to_text())
    }
}

/// The canonical text of a number (valid JSON number syntax).
pub(crate) fn canonical_text(n: &Number) -> Option<String> {
    Decimal::parse(n.as_str()).map(|d| d.to_text())
}

/// Parses number text from the wire into a canonical [`Number`].
pub(crate) fn number_from_text(text: &str) -> Option<Number> {
    Number::parse(text)
}

/// A float from the wire as a canonical [`Number`]; `None` for NaN and infinities.
pub(crate) fn number_from_f64(f: f64) -> Option<Number> {
    if !f.is_finite() {
        return None;
    }
    number_from_text(&format!("{f:e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(t: &str) -> WireNumber {
        Decimal::parse(t).unwrap().wire()
    }

    #[test]
    fn canonical_forms() {
        for (input, want) in [
            ("0", "0"),
            ("-0.0", "0"),
            ("+12", "12"),
            ("1.50", "1.5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("1e3", "1000"),
            ("1e400", "1e400"),
            ("-1.25e-400", "-1.25e-400"),
            ("0.001", "0.001"),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
        ] {
            assert_eq!(Decimal::parse(input).unwrap().to_text(), want, "{input}");
        }
        for bad in [
            "",
            "-",
            ".",
            "e5",
            "1e",
            "1x",
            "nan",
            "inf",
            "1e99999999999",
            "--1",
        ] {
            assert_eq!(Decimal::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn wire_choice() {
        assert_eq!(wire("42"), WireNumber::Int(42));
        assert_eq!(wire("-9223372036854775808"), WireNumber::Int(i64::MIN));
        assert_eq!(wire("0.5"), WireNumber::Float(0.5));
        assert_eq!(
            wire("9223372036854775808"),
            WireNumber::Float(9223372036854775808.0)
        );
        assert_eq!(wire("0.1"), WireNumber::Text("0.1".into()));
        assert_eq!(
            wire("9223372036854775809"),
            WireNumber::Text("9223372036854775809".into())
        );
        assert_eq!(wire("1e400"), WireNumber::Text("1e400".into()));
    }
}
