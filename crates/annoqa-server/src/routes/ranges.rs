//! HTTP byte ranges and validators for media files (RFC 9110 §13–14): what a request's
//! `Range`, `If-Range`, `If-None-Match` and `If-Modified-Since` ask of a file of a known length
//! and modification time. Pure: the route opens the file and streams the answer.
//!
//! Video seeking and long audio need ranges; one range per request is served (a browser asks
//! for one), a request for several gets the whole file, which RFC 9110 allows.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap};

/// What to send of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// 304: the client's copy is current.
    NotModified,
    /// 200: the whole file.
    Whole,
    /// 206: bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// 416: the range starts past the end.
    Unsatisfiable,
}

/// The validators of one version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    /// Strong entity tag from length and modification time (nanoseconds), quoted.
    pub(crate) etag: String,
    /// Modification time, whole seconds, as `Last-Modified` states it.
    pub(crate) modified: Option<SystemTime>,
}

impl Version {
    pub(crate) fn new(length: u64, modified: Option<SystemTime>) -> Version {
        let since_epoch = modified.and_then(|m| m.duration_since(UNIX_EPOCH).ok()).unwrap_or_default();
        let etag = format!("\"{length:x}-{:x}\"", since_epoch.as_nanos());
        // HTTP dates have whole seconds: comparisons use the time as the client saw it.
        let modified = modified.map(|_| UNIX_EPOCH + Duration::from_secs(since_epoch.as_secs()));
        Version { etag, modified }
    }

    /// `Last-Modified`'s value.
    pub(crate) fn last_modified(&self) -> Option<String> {
        self.modified.map(httpdate::fmt_http_date)
    }
}

/// What the request asks of a file of `length` bytes at `version`.
pub(crate) fn answer(headers: &HeaderMap, length: u64, version: &Version) -> Answer {
    if not_modified(headers, version) {
        return Answer::NotModified;
    }
    let Some(range) = text(headers, header::RANGE) else { return Answer::Whole };
    if !if_range_holds(headers, version) {
        return Answer::Whole;
    }
    match parse_range(range, length) {
        Range::Bytes(start, end) => Answer::Part { start, end },
        Range::PastEnd => Answer::Unsatisfiable,
        // A range that cannot be read, or several: the whole file.
        Range::Unreadable => Answer::Whole,
    }
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// `If-None-Match` (when present, it alone decides) or `If-Modified-Since`.
fn not_modified(headers: &HeaderMap, version: &Version) -> bool {
    if let Some(tags) = text(headers, header::IF_NONE_MATCH) {
        // Weak comparison: `W/"x"` matches `"x"`.
        return tags.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == version.etag);
    }
    match (text(headers, header::IF_MODIFIED_SINCE).and_then(|d| httpdate::parse_http_date(d).ok()), version.modified) {
        (Some(since), Some(modified)) => modified <= since,
        _ => false,
    }
}

/// `If-Range`: the range holds only for the version the client names (strong tag or date).
fn if_range_holds(headers: &HeaderMap, version: &Version) -> bool {
    let Some(condition) = text(headers, header::IF_RANGE) else { return true };
    if condition.starts_with('"') {
        return condition == version.etag;
    }
    match (httpdate::parse_http_date(condition).ok(), version.modified) {
        (Some(date), Some(modified)) => modified == date,
        _ => false,
    }
}

/// A `Range` header read against a file's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Range {
    /// Bytes `start..=end`, within the file.
    Bytes(u64, u64),
    /// It starts past the end (or the file is empty).
    PastEnd,
    /// Not one byte range this reads: the whole file is sent.
    Unreadable,
}

/// One `bytes=` range of a file of `length` bytes.
pub(crate) fn parse_range(value: &str, length: u64) -> Range {
    read_range(value, length).unwrap_or(Range::Unreadable)
}

fn read_range(value: &str, length: u64) -> Option<Range> {
    let spec = value.strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if first.is_empty() {
        // `-n`: the last n bytes.
        let suffix: u64 = last.parse().ok().filter(|_| digits(last))?;
        if suffix == 0 || length == 0 {
            return Some(Range::PastEnd);
        }
        return Some(Range::Bytes(length.saturating_sub(suffix), length - 1));
    }
    let start: u64 = first.parse().ok().filter(|_| digits(first))?;
    let end = if last.is_empty() { None } else { Some(last.parse::<u64>().ok().filter(|_| digits(last))?) };
    if end.is_some_and(|end| end < start) {
        return None;
    }
    if start >= length {
        return Some(Range::PastEnd);
    }
    Some(Range::Bytes(start, end.map_or(length - 1, |end| end.min(length - 1))))
}
