//! Strict JSON request bodies: `Content-Type: application/json` (415 otherwise), the router's
//! size limit (413), nesting at most [`MAX_DEPTH`] deep and no string or array beyond sane sizes
//! (400), then serde (400 for broken JSON, 422 for JSON of the wrong shape, naming the field).
//! Large bodies (imports, uploads) are not read whole: [`stream_body`] hands them to a blocking
//! reader chunk by chunk as they arrive, within a byte limit.

use annoqa_api::ApiErrorCode;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::ServerError;

pub(crate) const MAX_DEPTH: usize = 64;
/// Longest string value, in bytes; guidelines and text items are far shorter.
pub(crate) const MAX_STRING_BYTES: usize = 1 << 20;
/// Most elements in one array.
pub(crate) const MAX_ARRAY_LEN: usize = 100_000;

/// A request body meant to be JSON, read but not yet parsed: handlers check who may do what
/// first (401/403/404), then [`JsonBody::parse`] answers 415/400/422.
pub(crate) struct JsonBody {
    is_json: bool,
    bytes: Bytes,
}

impl JsonBody {
    pub(crate) fn parse<T: DeserializeOwned>(&self) -> Result<T, ServerError> {
        if !self.is_json {
            return Err(unsupported(&["application/json"]));
        }
        parse(&self.bytes)
    }

    /// The raw bytes (the idempotency check hashes them).
    pub(crate) fn bytes(&self) -> &Bytes {
        &self.bytes
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ServerError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ServerError> {
        let is_json = require_content_type(request.headers(), &["application/json"]).is_ok();
        let bytes = body_bytes(request, state).await?;
        Ok(JsonBody { is_json, bytes })
    }
}

fn unsupported(accepted: &[&str]) -> ServerError {
    ServerError::new(
        ApiErrorCode::UnsupportedMediaType,
        format!("expected request with `Content-Type: {}`", accepted.join("` or `")),
    )
}

/// The request body, with the size limit's 413 as a [`ServerError`].
pub(crate) async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ServerError> {
    Bytes::from_request(request, state).await.map_err(|rejection| {
        let code = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiErrorCode::PayloadTooLarge
        } else {
            ApiErrorCode::BadRequest
        };
        ServerError::new(code, rejection.body_text())
    })
}

/// 415 unless the media type (parameters aside) is one of `accepted`.
pub(crate) fn require_content_type(headers: &HeaderMap, accepted: &[&str]) -> Result<String, ServerError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    match media_type {
        Some(t) if accepted.contains(&t.as_str()) => Ok(t),
        _ => Err(unsupported(accepted)),
    }
}

pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ServerError> {
    check_shape(bytes).map_err(ServerError::bad_request)?;
    serde_json::from_slice(bytes).map_err(|e| {
        let code = match e.classify() {
            serde_json::error::Category::Data => ApiErrorCode::InvalidRequest,
            _ => ApiErrorCode::BadRequest,
        };
        ServerError::new(code, format!("invalid JSON body: {e}"))
    })
}

/// Rejects JSON nested deeper than [`MAX_DEPTH`], strings longer than [`MAX_STRING_BYTES`] and
/// arrays longer than [`MAX_ARRAY_LEN`], in one pass over the bytes before serde builds
/// anything. It does not validate JSON; serde does that next.
pub(crate) fn check_shape(bytes: &[u8]) -> Result<(), String> {
    // For each open container: whether it is an array, and its element count so far.
    let mut stack: Vec<(bool, usize)> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut string_start = 0;
    for (at, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
                if at - string_start > MAX_STRING_BYTES {
                    return Err(format!("a string at byte {string_start} is longer than {MAX_STRING_BYTES} bytes"));
                }
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                string_start = at;
                count_element(&mut stack, at)?;
            }
            b'[' | b'{' => {
                count_element(&mut stack, at)?;
                stack.push((b == b'[', 0));
                if stack.len() > MAX_DEPTH {
                    return Err(format!("JSON is nested deeper than {MAX_DEPTH} levels (byte {at})"));
                }
            }
            b']' | b'}' => {
                stack.pop();
            }
            b' ' | b'\n' | b'\r' | b'\t' | b',' | b':' => {}
            _ => {
                // Scalars (numbers, literals) count once, at their first byte.
                if at == 0 || matches!(bytes[at - 1], b' ' | b'\n' | b'\r' | b'\t' | b',' | b':' | b'[' | b'{') {
                    count_element(&mut stack, at)?;
                }
            }
        }
    }
    Ok(())
}

fn count_element(stack: &mut [(bool, usize)], at: usize) -> Result<(), String> {
    if let Some((true, count)) = stack.last_mut() {
        *count += 1;
        if *count > MAX_ARRAY_LEN {
            return Err(format!("an array is longer than {MAX_ARRAY_LEN} elements (byte {at})"));
        }
    }
    Ok(())
}

/// A request body as a blocking [`std::io::Read`], for a parser on a blocking thread that reads
/// it as it arrives (an import), fed by [`stream_body`].
pub(crate) struct BodyReader {
    chunks: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl std::io::Read for BodyReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(error)) => return Err(error),
                None => return Ok(0),
            }
        }
        let n = buffer.len().min(self.current.len());
        buffer[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// The body of `request` as a [`BodyReader`], and the future that feeds it chunk by chunk: at
/// most `limit` bytes (`payload_too_large` beyond, also at once when `Content-Length` says so),
/// a few chunks ahead of the reader. Await the future on the request's task while the reader is
/// read on a blocking thread; when the reader is dropped early (the parser found a problem), the
/// future stops reading the body.
pub(crate) fn stream_body(
    request: Request,
    limit: usize,
) -> (BodyReader, impl std::future::Future<Output = Result<(), ServerError>>) {
    let (sender, chunks) = tokio::sync::mpsc::channel(4);
    let reader = BodyReader { chunks, current: Bytes::new() };
    let feed = async move {
        if content_length(request.headers()).is_some_and(|length| length > limit as u64) {
            return Err(too_large(limit));
        }
        let mut body = request.into_body();
        let mut received = 0usize;
        while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
            let frame = frame.map_err(|e| ServerError::bad_request(format!("the body could not be read: {e}")));
            let chunk = match frame {
                Ok(frame) => match frame.into_data() {
                    Ok(chunk) => chunk,
                    Err(_trailers) => continue,
                },
                Err(error) => {
                    let _ = sender.send(Err(std::io::Error::other("the body could not be read"))).await;
                    return Err(error);
                }
            };
            received = received.saturating_add(chunk.len());
            if received > limit {
                let _ = sender.send(Err(std::io::Error::other("the body is too large"))).await;
                return Err(too_large(limit));
            }
            if sender.send(Ok(chunk)).await.is_err() {
                // The reader stopped early: the rest of the body is not needed.
                return Ok(());
            }
        }
        Ok(())
    };
    (reader, feed)
}

/// The request's `Content-Length`, if it sent a valid one.
pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

fn too_large(limit: usize) -> ServerError {
    ServerError::new(ApiErrorCode::PayloadTooLarge, format!("the body is larger than {limit} bytes"))
}
