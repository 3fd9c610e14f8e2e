//! The one error type of the crate. Messages are lower-case, name the format and the reason, and
//! never the Rust type that failed.

use std::path::PathBuf;

/// Why media could not be probed or processed.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The first bytes match no supported format.
    #[error("unrecognised media format (starts with {magic}); supported: PNG, JPEG, GIF, WebP, WAV, MP4, WebM")]
    UnknownFormat { magic: String },
    /// The bytes claim to be `format` but break its rules.
    #[error("invalid {format}: {reason}")]
    Invalid { format: &'static str, reason: String },
    /// The file ends before the data its header announces.
    #[error("truncated {format}: {reason}")]
    Truncated { format: &'static str, reason: String },
    /// A valid file that this crate does not handle (e.g. 64-bit float WAV, an MP4 without video).
    #[error("unsupported {format}: {reason}")]
    Unsupported { format: &'static str, reason: String },
    /// A configured [`crate::Limits`] value was exceeded: the decompression-bomb guard.
    #[error("{what} {value} exceeds the limit of {limit}")]
    TooLarge { what: &'static str, value: u64, limit: u64 },
    /// The caller asked for something impossible (zoom below 2, zero tile size, …).
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Any of the above, for a file read by [`crate::probe_path`].
    #[error("{}: {error}", path.display())]
    File { path: PathBuf, error: Box<MediaError> },
}

impl MediaError {
    pub(crate) fn invalid(format: &'static str, reason: impl Into<String>) -> Self {
        MediaError::Invalid { format, reason: reason.into() }
    }

    pub(crate) fn truncated(format: &'static str, reason: impl Into<String>) -> Self {
        MediaError::Truncated { format, reason: reason.into() }
    }

    pub(crate) fn unsupported(format: &'static str, reason: impl Into<String>) -> Self {
        MediaError::Unsupported { format, reason: reason.into() }
    }

    /// The error without the file wrapper of [`MediaError::File`].
    pub fn innermost(&self) -> &MediaError {
        match self {
            MediaError::File { error, .. } => error.innermost(),
            other => other,
        }
    }
}

/// Checks `value <= limit`, else [`MediaError::TooLarge`].
pub(crate) fn check_limit(what: &'static str, value: u64, limit: u64) -> Result<(), MediaError> {
    if value > limit {
        Err(MediaError::TooLarge { what, value, limit })
    } else {
        Ok(())
    }
}
