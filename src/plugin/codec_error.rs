//! The error every value codec returns: what went wrong and at which attribute path.

use super::AttributePath;

/// What a codec found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecErrorKind {
    /// The bytes are not valid msgpack / JSON (truncated, bad marker, bad UTF-8 ...).
    Malformed { detail: String },
    /// The wire value does not fit the schema type at this path.
    TypeMismatch { expected: String, found: String },
    /// An object carries attributes its type does not declare.
    UnsupportedAttributes { names: Vec<String> },
    /// A number that is not a finite decimal.
    InvalidNumber { text: String },
    /// A type description (dynamic values) that is not a cty type.
    InvalidType { detail: String },
    /// JSON has no way to write an unknown value.
    UnknownInJson,
    /// Bytes left over after the value.
    TrailingBytes { count: usize },
    /// Nesting deeper than the codec accepts.
    TooDeep,
}

/// A codec failure, with the attribute path it happened at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError {
    pub path: AttributePath,
    pub kind: CodecErrorKind,
}

impl CodecError {
    pub(crate) fn new(path: &AttributePath, kind: CodecErrorKind) -> CodecError {
        CodecError {
            path: path.clone(),
            kind,
        }
    }
    /// Fails naming every key in `keys` that the object type `attr_types` doesn't declare.
    pub(crate) fn check_attributes<'a>(
        path: &AttributePath,
        keys: impl IntoIterator<Item = &'a String>,
        attr_types: &std::collections::BTreeMap<String, super::Type>,
    ) -> Result<(), CodecError> {
        let extra: Vec<String> = keys
            .into_iter()
            .filter(|k| !attr_types.contains_key(*k))
            .cloned()
            .collect();
        if extra.is_empty() {
            Ok(())
        } else {
            Err(CodecError::new(
                path,
                CodecErrorKind::UnsupportedAttributes { names: extra },
            ))
        }
    }
    pub(crate) fn malformed(path: &AttributePath, detail: impl Into<String>) -> CodecError {
        CodecError::new(
            path,
            CodecErrorKind::Malformed {
                detail: detail.into(),
            },
        )
    }
    pub(crate) fn mismatch(
        path: &AttributePath,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> CodecError {
        CodecError::new(
            path,
            CodecErrorKind::TypeMismatch {
                expected: expected.into(),
                found: found.into(),
            },
        )
    }
    /// The message without the path, for diagnostics that carry the path separately.
    pub fn message(&self) -> String {
        match &self.kind {
            CodecErrorKind::Malformed { detail } => format!("malformed value: {detail}"),
            CodecErrorKind::TypeMismatch { expected, found } => {
                format!("expected {expected}, found {found}")
            }
            CodecErrorKind::UnsupportedAttributes { names } => {
                format!("unsupported attribute(s): {}", names.join(", "))
            }
            CodecErrorKind::InvalidNumber { text } => format!("invalid number {text:?}"),
            CodecErrorKind::InvalidType { detail } => format!("invalid type: {detail}"),
            CodecErrorKind::UnknownInJson => "an unknown value cannot be written as JSON".into(),
            CodecErrorKind::TrailingBytes { count } => {
                format!("{count} unexpected byte(s) after the value")
            }
            CodecErrorKind::TooDeep => "value nested too deeply".into(),
        }
    }
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.0.is_empty() {
            write!(f, "{}", self.message())
        } else {
            write!(f, "{}: {}", self.path, self.message())
        }
    }
}

impl std::error::Error for CodecError {}
