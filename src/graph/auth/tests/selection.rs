//! Which credential is chosen, and what is reported when none can be.

use super::*;
use crate::graph::error::{CredentialKind, Setting, Skipped, Tried};

fn kind(auth: &AuthConfig) -> &'static str {
    match select(auth) {
        Ok(c) => c.describe(),
        Err(e) => panic!("expected a credential, got {e}"),
    }
}

fn no_credential(auth: &AuthConfig) -> Vec<Tried> {
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
    let kinds: Vec<(CredentialKind, Skipped)> = tried
        .iter()
        .map(|t| (t.credential, t.skipped.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (CredentialKind::Certificate, Skipped::NotConfigured),
            (CredentialKind::Secret, Skipped::NotConfigured),
            (CredentialKind::Oidc, Skipped::NotConfigured),
            (CredentialKind::ManagedIdentity, Skipped::NotConfigured),
            (CredentialKind::AzureCli, Skipped::Disabled),
        ]
    );
    let text = GraphError::NoCredential { tried }.to_string();
    assert!(text.starts_with("no usable credential"), "{text}");
    assert!(text.contains("client secret: not configured"), "{text}");
}

#[test]
fn half_configured_credentials_stop_with_what_is_missing() {
    let tried = no_credential(&AuthConfig {
        client_id: Some("c".into()),
        client_secret: Some(Secret::new("s")),
        use_cli: true,
        ..AuthConfig::default()
    });
    assert_eq!(
        tried.last().unwrap().skipped,
        Skipped::Missing(vec![Setting::TenantId])
    );

    let tried = no_credential(&app(AuthConfig {
        use_oidc: true,
        ..AuthConfig::default()
    }));
    assert_eq!(
        tried.last().unwrap(),
        &Tried {
            credential: CredentialKind::Oidc,
            skipped: Skipped::Missing(vec![Setting::OidcRequestUrl, Setting::OidcRequestToken]),
        }
    );

    let tried = no_credential(&app(AuthConfig {
        use_oidc: true,
        ado_service_connection_id: Some("sc".into()),
        ..AuthConfig::default()
    }));
    assert_eq!(
        tried.last().unwrap().credential,
        CredentialKind::AzureDevOpsOidc
    );

    let tried = no_credential(&AuthConfig {
        use_msi: true,
        msi_identity_header: Some(Secret::new("h")),
        ..AuthConfig::default()
    });
    assert_eq!(
        tried.last().unwrap(),
        &Tried {
            credential: CredentialKind::AppServiceManagedIdentity,
            skipped: Skipped::Missing(vec![Setting::MsiEndpoint]),
        }
    );
}

#[test]
fn credential_endpoints_follow_the_https_rule() {
    let err = select(&AuthConfig {
        use_msi: true,
        msi_endpoint: Some("http://metadata.example.com/token".into()),
        ..AuthConfig::default()
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            GraphError::InvalidSetting {
                setting: Setting::MsiEndpoint,
                ..
            }
        ),
        "{err}"
    );
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
    assert!(
        matches!(
            err,
            GraphError::InvalidSetting {
                setting: Setting::OidcRequestUrl,
                ..
            }
        ),
        "{err}"
    );
}

/// Every type holding a secret: the configurations, the chosen credential (each kind), a token.
#[test]
fn debug_output_hides_every_secret() {
    let id = rsa_identity();
    let pem = write_temp(
        "c.pem",
        format!("{}{}", id.cert_pem, id.key_pem_pkcs8).as_bytes(),
    );
    let auth = AuthConfig {
        client_secret: Some(Secret::new("secret-AAA")),
        client_certificate: Some(Secret::new("cert-BBB")),
        client_certificate_password: Some(Secret::new("password-CCC")),
        oidc_token: Some(Secret::new("oidc-DDD")),
        oidc_request_token: Some(Secret::new("request-EEE")),
        msi_identity_header: Some(Secret::new("header-FFF")),
        ..AuthConfig::default()
    };
    let config = ClientConfig {
        proxy: crate::graph::ProxyConfig {
            https: Some(Secret::new("http://user:proxy-GGG@proxy:3128")),
            http: Some(Secret::new("http://user:proxy-GGG@proxy:3128")),
            no_proxy: None,
        },
        ..ClientConfig::new(crate::graph::Cloud::default(), auth.clone(), "ua")
    };
    let credentials = [
        select(&app(AuthConfig {
            client_certificate_path: Some(pem.path().to_path_buf()),
            ..AuthConfig::default()
        })),
        select(&app(AuthConfig {
            client_secret: Some(Secret::new("secret-AAA")),
            ..AuthConfig::default()
        })),
        select(&app(AuthConfig {
            oidc_token: Some(Secret::new("oidc-DDD")),
            ..AuthConfig::default()
        })),
        select(&app(AuthConfig {
            use_oidc: true,
            oidc_request_url: Some("https://token.example.com/x".into()),
            oidc_request_token: Some(Secret::new("request-EEE")),
            ..AuthConfig::default()
        })),
        select(&AuthConfig {
            use_msi: true,
            msi_endpoint: Some("http://127.0.0.1:1/msi".into()),
            msi_identity_header: Some(Secret::new("header-FFF")),
            ..AuthConfig::default()
        }),
    ];
    let token = crate::graph::auth::AccessToken::new(
        Secret::new("token-HHH"),
        std::time::Duration::from_secs(60),
    );
    let mut shown = vec![
        format!("{auth:?}"),
        format!("{config:#?}"),
        format!("{token:?}"),
    ];
    for credential in &credentials {
        shown.push(format!("{:?}", credential.as_ref().expect("a credential")));
    }
    let key_pem = &id.key_pem_pkcs8;
    let key_body: String = key_pem.lines().nth(1).unwrap_or_default().to_string();
    for text in &shown {
        for secret in ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(!text.contains(&key_body), "the private key leaked: {text}");
    }
    assert!(shown[0].contains("redacted") && shown[1].contains("redacted"));
}
