//! Which credential is chosen, and what is reported when none can be.

use super::*;

fn kind(auth: &AuthConfig) -> &'static str {
    match select(auth) {
        Ok(c) => c.describe(),
        Err(e) => panic!("expected a credential, got {e}"),
    }
}

fn no_credential(auth: &AuthConfig) -> Vec<String> {
    match select(auth) {
        Err(GraphError::NoCredential { tried }) => tried,
        Err(other) => panic!("expected NoCredential, got {other}"),
        Ok(c) => panic!("expected NoCredential, got {}", c.describe()),
    }
}

#[test]
fn the_first_configured_credential_wins() {
    let id = rsa_identity();
    let pem = write_temp(
        "c.pem",
        format!("{}{}", id.cert_pem, id.key_pem_pkcs8).as_bytes(),
    );
    let everything = app(AuthConfig {
        client_certificate_path: Some(pem.path().to_path_buf()),
        client_secret: Some(Secret::new("s")),
        oidc_token: Some(Secret::new("o")),
        use_oidc: true,
        use_msi: true,
        use_cli: true,
        ..AuthConfig::default()
    });
    assert_eq!(kind(&everything), "client certificate");
    let no_cert = AuthConfig {
        client_certificate_path: None,
        ..everything.clone()
    };
    assert_eq!(kind(&no_cert), "client secret");
    let no_secret = AuthConfig {
        client_secret: None,
        ..no_cert.clone()
    };
    assert_eq!(kind(&no_secret), "OIDC token");
    let no_oidc = AuthConfig {
        oidc_token: None,
        use_oidc: false,
        ..no_secret.clone()
    };
    assert_eq!(kind(&no_oidc), "managed identity");
    let no_msi = AuthConfig {
        use_msi: false,
        ..no_oidc.clone()
    };
    assert_eq!(kind(&no_msi), "Azure CLI");
    // Empty strings count as unset.
    let empty = AuthConfig {
        client_secret: Some(Secret::new("")),
        oidc_token: Some(Secret::new("  ")),
        client_certificate_path: Some(PathBuf::new()),
        ..no_msi
    };
    assert_eq!(kind(&empty), "Azure CLI");
    // AKS workload identity: a token file alone is enough.
    let aks = app(AuthConfig {
        oidc_token_file_path: Some("/var/run/secrets/azure/tokens/azure-identity-token".into()),
        ..AuthConfig::default()
    });
    assert_eq!(kind(&aks), "OIDC token file");
}

#[test]
fn nothing_usable_lists_what_each_credential_needs() {
    let tried = no_credential(&AuthConfig::default());
    assert_eq!(tried.len(), 5, "{tried:?}");
    for (line, needs) in tried.iter().zip([
        "client_certificate_path",
        "client_secret",
        "oidc_token",
        "use_msi",
        "use_cli",
    ]) {
        assert!(line.contains(needs), "{line}");
    }
    let text = GraphError::NoCredential { tried }.to_string();
    assert!(text.starts_with("no usable credential"), "{text}");
}

#[test]
fn half_configured_credentials_stop_with_what_is_missing() {
    let tried = no_credential(&AuthConfig {
        client_id: Some("c".into()),
        client_secret: Some(Secret::new("s")),
        use_cli: true,
        ..AuthConfig::default()
    });
    assert!(tried.last().unwrap().contains("tenant_id"), "{tried:?}");

    let tried = no_credential(&app(AuthConfig {
        use_oidc: true,
        ..AuthConfig::default()
    }));
    assert!(
        tried.last().unwrap().contains("oidc_request_url"),
        "{tried:?}"
    );

    let tried = no_credential(&app(AuthConfig {
        use_oidc: true,
        ado_service_connection_id: Some("sc".into()),
        ..AuthConfig::default()
    }));
    assert!(
        tried.last().unwrap().contains("SYSTEM_OIDCREQUESTURI"),
        "{tried:?}"
    );

    let tried = no_credential(&AuthConfig {
        use_msi: true,
        msi_identity_header: Some(Secret::new("h")),
        ..AuthConfig::default()
    });
    assert!(tried.last().unwrap().contains("msi_endpoint"), "{tried:?}");
}

#[test]
fn credential_endpoints_follow_the_https_rule() {
    let err = select(&AuthConfig {
        use_msi: true,
        msi_endpoint: Some("http://metadata.example.com/token".into()),
        ..AuthConfig::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("msi_endpoint"), "{err}");
    // The IMDS default is link-local http, allowed for managed identity only.
    assert_eq!(
        kind(&AuthConfig {
            use_msi: true,
            ..AuthConfig::default()
        }),
        "managed identity"
    );
    let err = select(&app(AuthConfig {
        use_oidc: true,
        oidc_request_url: Some("http://token.actions.example.com/x?y=1".into()),
        oidc_request_token: Some(Secret::new("t")),
        ..AuthConfig::default()
    }))
    .unwrap_err();
    assert!(err.to_string().contains("oidc_request_url"), "{err}");
}

#[test]
fn debug_output_hides_every_secret() {
    let auth = AuthConfig {
        client_secret: Some(Secret::new("secret-AAA")),
        client_certificate: Some(Secret::new("cert-BBB")),
        client_certificate_password: Some(Secret::new("password-CCC")),
        oidc_token: Some(Secret::new("oidc-DDD")),
        oidc_request_token: Some(Secret::new("request-EEE")),
        msi_identity_header: Some(Secret::new("header-FFF")),
        ..AuthConfig::default()
    };
    let shown = format!("{auth:?}");
    for secret in ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    assert!(shown.contains("redacted"));
}
