//! Tenant IDs: a GUID parsed once into [`TenantId`], compared case-insensitively, keeping the
//! user's spelling.

use crate::plugin::{AttributePath, Diagnostics};

/// An example GUID for error messages (the one from Graph's API reference).
pub const EXAMPLE_GUID: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";

/// A partner tenant ID: a GUID as the user spelled it. Equality ignores letter case, because
/// Graph answers in lower case whatever the user wrote.
#[derive(Debug, Clone)]
pub struct TenantId(String);

impl TenantId {
    /// Parses a GUID in the form Graph uses (8-4-4-4-12 hex digits, any case); the error is a
    /// diagnostic detail saying why `text` is not one.
    pub fn parse(text: &str) -> Result<TenantId, InvalidTenantId> {
        let bytes = text.as_bytes();
        let ok = bytes.len() == 36
            && bytes.iter().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => *b == b'-',
                _ => b.is_ascii_hexdigit(),
            });
        if ok {
            Ok(TenantId(text.to_string()))
        } else {
            Err(InvalidTenantId {
                detail: problem(text),
            })
        }
    }

    /// The user's spelling.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` (from Graph or state) names this tenant.
    pub fn matches(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

/// Why a text is not a tenant ID: `detail` is a diagnostic detail telling the user what to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTenantId {
    pub detail: String,
}

impl std::fmt::Display for InvalidTenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for InvalidTenantId {}

impl PartialEq for TenantId {
    fn eq(&self, other: &TenantId) -> bool {
        self.matches(&other.0)
    }
}

impl Eq for TenantId {}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn problem(text: &str) -> String {
    let shown = shorten(text);
    let why = if text.trim().is_empty() {
        "The value is empty.".to_string()
    } else if text.trim() != text {
        format!("{shown:?} has leading or trailing whitespace.")
    } else {
        format!("{shown:?} is not a GUID.")
    };
    format!(
        "{why} A tenant ID is the partner tenant's GUID, for example {EXAMPLE_GUID} \
         (shown as \"Tenant ID\" on the partner's Microsoft Entra admin center overview page). \
         Domain names such as contoso.onmicrosoft.com are not accepted here."
    )
}

/// Parses `text`, or adds an "Invalid tenant ID" error at `path`.
pub fn validate_tenant_id(
    text: &str,
    path: AttributePath,
    diags: &mut Diagnostics,
) -> Option<TenantId> {
    match TenantId::parse(text) {
        Ok(t) => Some(t),
        Err(e) => {
            diags.attribute_error(path, "Invalid tenant ID", e.detail);
            None
        }
    }
}

/// Keeps error messages readable when someone pastes something huge.
fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOWER: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";
    const UPPER: &str = "90E29127-71AD-49C7-9CE8-DB3F41EA06F1";

    #[test]
    fn accepts_guids_in_any_case_and_keeps_the_spelling() {
        assert_eq!(TenantId::parse(LOWER).unwrap().as_str(), LOWER);
        assert_eq!(TenantId::parse(UPPER).unwrap().as_str(), UPPER);
    }

    #[test]
    fn rejects_non_guids() {
        for bad in [
            "",
            "not-a-guid",
            "90e29127-71ad-49c7-9ce8-db3f41ea06f",
            "90e29127-71ad-49c7-9ce8-db3f41ea06f1 ",
            "{90e29127-71ad-49c7-9ce8-db3f41ea06f1}",
            "90e29127x71ad-49c7-9ce8-db3f41ea06f1",
            "g0e29127-71ad-49c7-9ce8-db3f41ea06f1",
            "contoso.onmicrosoft.com",
            "90e2912771ad49c79ce8db3f41ea06f1",
        ] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn compares_case_insensitively() {
        let upper = TenantId::parse(UPPER).unwrap();
        assert_eq!(upper, TenantId::parse(LOWER).unwrap());
        assert!(upper.matches(LOWER));
        assert_ne!(
            upper,
            TenantId::parse("90e29127-71ad-49c7-9ce8-db3f41ea06f2").unwrap()
        );
    }

    #[test]
    fn validation_error_carries_the_path_and_an_example() {
        let mut diags = Diagnostics::new();
        let parsed = validate_tenant_id("nope", AttributePath::attrs(["tenant_id"]), &mut diags);
        assert!(parsed.is_none());
        let d = &diags.0[0];
        assert_eq!(d.summary, "Invalid tenant ID");
        assert_eq!(d.attribute, Some(AttributePath::attrs(["tenant_id"])));
        assert!(d.detail.contains("\"nope\" is not a GUID"), "{}", d.detail);
        assert!(d.detail.contains(EXAMPLE_GUID));
    }

    #[test]
    fn empty_and_whitespace_get_their_own_reason() {
        assert!(TenantId::parse("")
            .unwrap_err()
            .detail
            .starts_with("The value is empty."));
        assert!(TenantId::parse(" 90e29127-71ad-49c7-9ce8-db3f41ea06f1")
            .unwrap_err()
            .detail
            .contains("whitespace"));
    }

    #[test]
    fn huge_input_is_shortened() {
        let long = "x".repeat(10_000);
        assert!(TenantId::parse(&long).unwrap_err().detail.len() < 600);
    }
}
