//! Errors of the Graph client, with named fields.

/// Why a Graph operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphError {
    /// Graph answered with an error body.
    Api {
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// The token endpoint refused (AADSTS code in `description`).
    Token { error: String, description: String },
    /// No credential could be used; `tried` says what each needs.
    NoCredential { tried: Vec<String> },
    /// Bad configuration (endpoint, certificate, ...).
    Config { message: String },
    /// Transport failure after retries (connection reset, timeout, TLS).
    Transport { message: String },
    /// The response could not be understood.
    Decode { message: String },
    /// The deadline passed (including a Retry-After that would end past it).
    DeadlineExceeded { operation: String },
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GraphError::Api {
                status,
                code,
                message,
                request_id,
            } => {
                write!(f, "Graph returned HTTP {status}: {code}: {message}")?;
                if let Some(id) = request_id {
                    write!(f, " (request-id: {id})")?;
                }
                Ok(())
            }
            GraphError::Token { error, description } => {
                write!(f, "token request failed: {error}: {description}")
            }
            GraphError::NoCredential { tried } => {
                write!(f, "no usable credential; tried: {}", tried.join("; "))
            }
            GraphError::Config { message } => write!(f, "{message}"),
            GraphError::Transport { message } => write!(f, "{message}"),
            GraphError::Decode { message } => {
                write!(f, "could not read Graph's response: {message}")
            }
            GraphError::DeadlineExceeded { operation } => {
                write!(f, "{operation} did not finish before its timeout")
            }
        }
    }
}

impl std::error::Error for GraphError {}
