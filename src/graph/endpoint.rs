//! Endpoint URLs: validating configured roots (https, or http for loopback only) and building
//! the request URLs from them.

use std::net::IpAddr;

use reqwest::Url;

use super::error::Setting;
use super::GraphError;

/// Which hosts may be reached over plain http.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpAllowed {
    /// 127.0.0.0/8, ::1, localhost.
    LoopbackOnly,
    /// Loopback plus link-local 169.254.0.0/16: the Azure instance metadata service.
    LoopbackOrLinkLocal,
}

fn invalid(setting: Setting, problem: String) -> GraphError {
    GraphError::InvalidSetting { setting, problem }
}

/// Parses a configured URL, refusing http:// except where `allowed` says so.
pub(crate) fn parse_endpoint(
    setting: Setting,
    value: &str,
    allowed: HttpAllowed,
) -> Result<Url, GraphError> {
    let url = Url::parse(value.trim())
        .map_err(|e| invalid(setting, format!("not a valid URL ({e}): {value:?}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            setting,
            "must not contain a user name or password".into(),
        ));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if http_allowed(&url, allowed) => Ok(url),
        "http" => Err(invalid(
            setting,
            format!(
                "must use https:// ({value}): plain http:// is only accepted for loopback \
                 addresses (127.0.0.1, ::1, localhost), so credentials and tokens never cross \
                 the network unencrypted"
            ),
        )),
        other => Err(invalid(
            setting,
            format!("must be an https:// URL, not {other}:// ({value})"),
        )),
    }
}

/// Checks a configured root URL (Graph or login authority) by the rules the client applies when
/// it is built: see [`parse_root`].
pub fn check_root(setting: Setting, value: &str) -> Result<(), GraphError> {
    parse_root(setting, value).map(|_| ())
}

/// A root URL (Graph or login authority): no query, no fragment, no API version, trailing slash
/// removed.
pub(crate) fn parse_root(setting: Setting, value: &str) -> Result<Url, GraphError> {
    let url = parse_endpoint(setting, value, HttpAllowed::LoopbackOnly)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            setting,
            format!(
                "must be a root URL without query or fragment, such as \
                 https://graph.microsoft.com ({value})"
            ),
        ));
    }
    let trimmed = url.as_str().trim_end_matches('/').to_string();
    let lower = trimmed.to_ascii_lowercase();
    if let Some(version) = ["/v1.0", "/beta"].iter().find(|v| lower.ends_with(*v)) {
        return Err(invalid(
            setting,
            format!(
                "must be a root without an API version (the client adds /v1.0 itself): remove \
                 {version} from {value}"
            ),
        ));
    }
    Url::parse(&trimmed).map_err(|e| invalid(setting, format!("not a valid URL ({e})")))
}

/// The host of a URL as text (lower case, IPv6 without brackets), if it parses.
pub fn url_host(value: &str) -> Option<String> {
    let url = Url::parse(value.trim()).ok()?;
    let host = url.host_str()?;
    Some(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase(),
    )
}

/// 127.0.0.0/8, ::1 or localhost.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// Loopback or link-local (169.254.0.0/16, fe80::/10): hosts no proxy should see.
pub(crate) fn is_local_host(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback() || ip.is_link_local(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback() || (ip.segments()[0] & 0xffc0) == 0xfe80,
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

fn http_allowed(url: &Url, allowed: HttpAllowed) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => {
            ip.is_loopback() || (allowed == HttpAllowed::LoopbackOrLinkLocal && ip.is_link_local())
        }
        Ok(IpAddr::V6(ip)) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// `{root}/{segments...}`, each segment percent-encoded (a `/` in an id cannot add a segment).
pub(crate) fn join_segments(root: &Url, segments: &[&str]) -> Url {
    let mut url = root.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// `{graph}/v1.0/policies/crossTenantAccessPolicy/partners/{id}/identitySynchronization`.
pub(crate) fn identity_sync_url(graph_root: &Url, partner_tenant_id: &str) -> Url {
    join_segments(
        graph_root,
        &[
            "v1.0",
            "policies",
            "crossTenantAccessPolicy",
            "partners",
            partner_tenant_id,
            "identitySynchronization",
        ],
    )
}

/// `{authority}/{tenant}/oauth2/v2.0/token`.
pub(crate) fn token_url(authority_root: &Url, tenant_id: &str) -> Url {
    join_segments(authority_root, &[tenant_id, "oauth2", "v2.0", "token"])
}

/// `{graph}/.default`, the client-credentials scope of the configured cloud.
pub(crate) fn graph_scope(graph_root: &Url) -> String {
    format!("{}/.default", graph_root.as_str().trim_end_matches('/'))
}

/// The Graph root as a resource identifier for managed identity (`https://graph.microsoft.com`).
pub(crate) fn graph_resource(graph_root: &Url) -> String {
    graph_root.as_str().trim_end_matches('/').to_string()
}

/// Appends `extra` (already encoded `k=v&k=v`) to a URL that may or may not have a query.
pub(crate) fn append_query(url: &str, extra: &str) -> String {
    let sep = if !url.contains('?') {
        "?"
    } else if url.ends_with('?') || url.ends_with('&') {
        ""
    } else {
        "&"
    };
    format!("{url}{sep}{extra}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(s: &str) -> Result<Url, GraphError> {
        parse_root(Setting::GraphEndpoint, s)
    }

    #[test]
    fn https_roots_are_accepted_and_trimmed() {
        let url = root("https://graph.microsoft.com/").unwrap();
        assert_eq!(url.as_str(), "https://graph.microsoft.com/");
        assert_eq!(
            identity_sync_url(&url, "90e29127-71ad-49c7-9ce8-db3f41ea06f1").as_str(),
            "https://graph.microsoft.com/v1.0/policies/crossTenantAccessPolicy/partners/\
             90e29127-71ad-49c7-9ce8-db3f41ea06f1/identitySynchronization"
        );
        assert_eq!(graph_scope(&url), "https://graph.microsoft.com/.default");
        assert_eq!(graph_resource(&url), "https://graph.microsoft.com");
    }

    #[test]
    fn roots_with_a_path_prefix_keep_it() {
        let url = root("https://proxy.example.com/graph/").unwrap();
        assert_eq!(
            identity_sync_url(&url, "x").as_str(),
            "https://proxy.example.com/graph/v1.0/policies/crossTenantAccessPolicy/partners/x/identitySynchronization"
        );
        let login = parse_root(Setting::AuthorityHost, "https://login.microsoftonline.us").unwrap();
        assert_eq!(
            token_url(&login, "contoso.onmicrosoft.com").as_str(),
            "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
    }

    #[test]
    fn http_is_accepted_for_loopback_only() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:9",
            "http://localhost:1",
            "http://LOCALHOST",
        ] {
            assert!(root(ok).is_ok(), "{ok} should be accepted");
        }
        for bad in [
            "http://graph.microsoft.com",
            "http://10.0.0.1",
            "http://169.254.169.254",
            "http://[fe80::1]",
            "http://localhost.evil.com",
        ] {
            match root(bad) {
                Err(GraphError::InvalidSetting { setting, problem }) => {
                    assert_eq!(setting, Setting::GraphEndpoint);
                    assert!(problem.contains("https://"), "{problem}");
                }
                other => panic!("{bad} should be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn link_local_http_only_where_allowed() {
        let imds = "http://169.254.169.254/metadata/identity/oauth2/token";
        assert!(
            parse_endpoint(Setting::MsiEndpoint, imds, HttpAllowed::LoopbackOrLinkLocal).is_ok()
        );
        assert!(parse_endpoint(Setting::MsiEndpoint, imds, HttpAllowed::LoopbackOnly).is_err());
    }

    #[test]
    fn other_schemes_queries_and_credentials_are_refused() {
        assert!(root("ftp://graph.microsoft.com").is_err());
        assert!(root("graph.microsoft.com").is_err());
        assert!(root("https://graph.microsoft.com/?x=1").is_err());
        assert!(root("https://user:pw@graph.microsoft.com").is_err());
        match root("https://graph.microsoft.com/v1.0/") {
            Err(GraphError::InvalidSetting { problem, .. }) => {
                assert!(problem.contains("remove /v1.0"), "{problem}")
            }
            other => panic!("{other:?}"),
        }
        assert!(root("https://graph.microsoft.com/BETA").is_err());
    }

    #[test]
    fn ids_are_percent_encoded_as_one_segment() {
        let url = root("https://graph.microsoft.com").unwrap();
        let built = identity_sync_url(&url, "../a b/?#");
        assert_eq!(
            built.path(),
            "/v1.0/policies/crossTenantAccessPolicy/partners/..%2Fa%20b%2F%3F%23/identitySynchronization"
        );
        assert!(built.query().is_none());
    }

    #[test]
    fn local_hosts_are_loopback_and_link_local() {
        for local in [
            "http://127.0.0.1:1/",
            "http://[::1]/",
            "http://localhost:4141/msi/token",
            "http://169.254.169.254/metadata",
            "http://[fe80::1]/",
        ] {
            assert!(is_local_host(&Url::parse(local).unwrap()), "{local}");
        }
        for remote in [
            "https://graph.microsoft.com",
            "http://10.0.0.1",
            "http://[fec0::1]",
        ] {
            assert!(!is_local_host(&Url::parse(remote).unwrap()), "{remote}");
        }
        assert_eq!(url_host("https://[::1]:8/x").as_deref(), Some("::1"));
        assert!(is_loopback_host("LOCALHOST") && !is_loopback_host("169.254.169.254"));
    }

    #[test]
    fn query_appending() {
        assert_eq!(append_query("https://x/a", "b=1"), "https://x/a?b=1");
        assert_eq!(
            append_query("https://x/a?x=1", "b=1"),
            "https://x/a?x=1&b=1"
        );
        assert_eq!(append_query("https://x/a?", "b=1"), "https://x/a?b=1");
    }
}
