//! Tenant IDs: GUID validation and case-insensitive comparison.

use crate::plugin::{AttributePath, Diagnostics};

/// An example GUID for error messages (the one from Graph's API reference).
pub const EXAMPLE_GUID: &str = "90e29127-71ad-49c7-9ce8-db3f41ea06f1";

/// True when `text` is a GUID in the form Graph uses: 8-4-4-4-12 hex digits, any case.
pub fn is_guid(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return false;
    }
    bytes.iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    })
}

/// GUIDs are case-insensitive: Graph answers in lower case whatever the user wrote.
pub fn guid_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Why `text` is not a tenant ID, as a diagnostic detail; `None` when it is one.
pub fn guid_problem(text: &str) -> Option<String> {
    if is_guid(text) {
        return None;
    }
    let shown = shorten(text);
    let why = if text.trim().is_empty() {
        "The value is empty.".to_string()
    } else if text.trim() != text {
        format!("{shown:?} has leading or trailing whitespace.")
    } else {
        format!("{shown:?} is not a GUID.")
    };
    Some(format!(
        "{why} A tenant ID is the partner tenant's GUID, for example {EXAMPLE_GUID} \
         (shown as \"Tenant ID\" on the partner's Microsoft Entra admin center overview page). \
         Domain names such as contoso.onmicrosoft.com are not accepted here."
    ))
}

/// Adds an "Invalid tenant ID" error at `path` when `text` is not a GUID; true when it is one.
pub fn validate_tenant_id(text: &str, path: AttributePath, diags: &mut Diagnostics) -> bool {
    match guid_problem(text) {
        None => true,
        Some(detail) => {
            diags.attribute_error(path, "Invalid tenant ID", detail);
            false
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

    #[test]
    fn accepts_guids_in_any_case() {
        assert!(is_guid("90e29127-71ad-49c7-9ce8-db3f41ea06f1"));
        assert!(is_guid("90E29127-71AD-49C7-9CE8-DB3F41EA06F1"));
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
            assert!(!is_guid(bad), "{bad:?} accepted");
            assert!(guid_problem(bad).is_some());
        }
    }

    #[test]
    fn compares_case_insensitively() {
        assert!(guid_eq(
            "90E29127-71AD-49C7-9CE8-DB3F41EA06F1",
            "90e29127-71ad-49c7-9ce8-db3f41ea06f1"
        ));
        assert!(!guid_eq(
            "90e29127-71ad-49c7-9ce8-db3f41ea06f1",
            "90e29127-71ad-49c7-9ce8-db3f41ea06f2"
        ));
    }

    #[test]
    fn validation_error_carries_the_path_and_an_example() {
        let mut diags = Diagnostics::new();
        validate_tenant_id("nope", AttributePath::attrs(["tenant_id"]), &mut diags);
        let d = &diags.0[0];
        assert_eq!(d.summary, "Invalid tenant ID");
        assert_eq!(d.attribute, Some(AttributePath::attrs(["tenant_id"])));
        assert!(d.detail.contains("\"nope\" is not a GUID"), "{}", d.detail);
        assert!(d.detail.contains(EXAMPLE_GUID));
    }

    #[test]
    fn empty_and_whitespace_get_their_own_reason() {
        assert!(guid_problem("").unwrap().starts_with("The value is empty."));
        assert!(guid_problem(" 90e29127-71ad-49c7-9ce8-db3f41ea06f1")
            .unwrap()
            .contains("whitespace"));
    }

    #[test]
    fn huge_input_is_shortened() {
        let long = "x".repeat(10_000);
        assert!(guid_problem(&long).unwrap().len() < 600);
    }
}
