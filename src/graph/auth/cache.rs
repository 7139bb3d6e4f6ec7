//! The process-wide access token cache: reused until shortly before expiry, one refresh shared
//! by all concurrent callers.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::graph::config::Secret;
use crate::graph::GraphError;

/// Refresh this long before expiry, or at half-life for short-lived tokens.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Longest lifetime believed: Entra tokens live hours, and an absurd `expires_in` from an
/// endpoint must not overflow the clock.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A token and when to stop using it.
#[derive(Clone)]
pub(crate) struct AccessToken {
    pub token: Secret,
    /// Past this, the token is refreshed before use.
    pub refresh_at: Instant,
    /// Past this, the token is never used.
    pub expires_at: Instant,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.token)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl AccessToken {
    /// A token valid for `lifetime` from now.
    pub fn new(token: Secret, lifetime: Duration) -> AccessToken {
        let now = Instant::now();
        let lifetime = lifetime.min(MAX_LIFETIME);
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        AccessToken {
            token,
            refresh_at: now + (lifetime - margin),
            expires_at: now + lifetime,
        }
    }
}

/// One cached token, one refresh at a time.
#[derive(Default)]
pub(crate) struct TokenCache {
    current: std::sync::Mutex<Option<AccessToken>>,
    refresh: tokio::sync::Mutex<()>,
}

impl TokenCache {
    fn fresh(&self) -> Option<Secret> {
        let current = self.current.lock().ok()?;
        current
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .map(|t| t.token.clone())
    }

    fn still_valid(&self) -> Option<Secret> {
        let current = self.current.lock().ok()?;
        current
            .as_ref()
            .filter(|t| Instant::now() < t.expires_at)
            .map(|t| t.token.clone())
    }

    /// The cached token, or a new one from `fetch`. Concurrent callers wait for the one refresh
    /// in flight instead of starting their own. If a refresh fails while the old token has not
    /// yet expired, the old token is used.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<Secret, GraphError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, GraphError>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _refreshing = self.refresh.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        match fetch().await {
            Ok(token) => {
                let secret = token.token.clone();
                if let Ok(mut current) = self.current.lock() {
                    *current = Some(token);
                }
                Ok(secret)
            }
            Err(e) => match self.still_valid() {
                Some(old) => {
                    log::warn!(
                        "token refresh failed, using the current token until it expires: {e}"
                    );
                    Ok(old)
                }
                None => Err(e),
            },
        }
    }

    /// Forgets `token` (Graph rejected it); a newer token stays.
    pub fn invalidate(&self, token: &Secret) {
        if let Ok(mut current) = self.current.lock() {
            if current.as_ref().is_some_and(|t| &t.token == token) {
                *current = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn refresh_margin_is_five_minutes_or_half_life() {
        let long = AccessToken::new(Secret::new("a"), Duration::from_secs(3600));
        let left = long.refresh_at - Instant::now();
        assert!(left > Duration::from_secs(3290) && left <= Duration::from_secs(3300));
        let short = AccessToken::new(Secret::new("b"), Duration::from_secs(120));
        let left = short.refresh_at - Instant::now();
        assert!(left > Duration::from_secs(55) && left <= Duration::from_secs(60));
    }

    #[test]
    fn an_absurd_lifetime_is_capped_instead_of_overflowing() {
        let token = AccessToken::new(Secret::new("a"), Duration::from_secs(u64::MAX));
        assert!(token.expires_at <= Instant::now() + MAX_LIFETIME);
        assert!(token.refresh_at < token.expires_at);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_refresh() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let cache = cache.clone();
            let fetches = fetches.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async move {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(AccessToken::new(
                            Secret::new("tok"),
                            Duration::from_secs(3600),
                        ))
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().expose(), "tok");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn stale_tokens_are_refreshed_and_failures_fall_back_to_unexpired() {
        let cache = TokenCache::default();
        // Lifetime zero: due for refresh at once, and already expired.
        let first = cache
            .get(|| async { Ok(AccessToken::new(Secret::new("one"), Duration::ZERO)) })
            .await
            .unwrap();
        assert_eq!(first.expose(), "one");
        let second = cache
            .get(|| async {
                Ok(AccessToken::new(
                    Secret::new("two"),
                    Duration::from_secs(3600),
                ))
            })
            .await
            .unwrap();
        assert_eq!(second.expose(), "two");

        // Due for refresh but unexpired: a failed refresh keeps the old token.
        if let Ok(mut current) = cache.current.lock() {
            if let Some(t) = current.as_mut() {
                t.refresh_at = Instant::now();
            }
        }
        let kept = cache
            .get(|| async {
                Err(GraphError::Transport {
                    message: "down".into(),
                })
            })
            .await
            .unwrap();
        assert_eq!(kept.expose(), "two");

        cache.invalidate(&Secret::new("other"));
        assert!(
            cache.still_valid().is_some(),
            "only the named token is dropped"
        );
        cache.invalidate(&Secret::new("two"));
        let err = cache
            .get(|| async {
                Err(GraphError::Transport {
                    message: "down".into(),
                })
            })
            .await
            .unwrap_err();
        assert!(matches!(err, GraphError::Transport { .. }));
    }
}
