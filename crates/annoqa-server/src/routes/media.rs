//! Media files: served only from the project's media root, typed by their bytes.
//!
//! The media root of project `p` is `<media_dir>/p/`. A request path is refused unless every
//! segment is a plain name (no `..`, `.`, empty segment, backslash, NUL or drive prefix; the
//! router has already percent-decoded it, so encoded traversal arrives here as `..`), and the
//! resolved file (symlinks followed) must still lie inside the root.
//!
//! Uploads are written to `<media_dir>/.incoming/` as they arrive, typed by their bytes, probed,
//! counted against the project's quota, and only then moved into the root; a refused upload is
//! deleted. `/static` and the app's files refuse odd paths before any file is looked up.

use std::io::{Read, Write};
use std::path::{Path as FsPath, PathBuf};

use annoqa_api::{ApiErrorCode, Endpoint, UploadedMedia};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::ranges::{self, Answer, Version};
use super::{project_access, Path};
use crate::auth::{random_token, Caller};
use crate::import::contained_path;
use crate::json::{content_length, stream_body};
use crate::{AppState, ServerError};

/// Content types recognised by their first bytes, with the file extension uploads get.
pub(crate) fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if starts(b"\xff\xd8\xff") {
        Some(("image/jpeg", "jpg"))
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some(("image/gif", "gif"))
    } else if starts(b"RIFF") && at(8, b"WEBP") {
        Some(("image/webp", "webp"))
    } else if starts(b"RIFF") && at(8, b"WAVE") {
        Some(("audio/wav", "wav"))
    } else if starts(b"fLaC") {
        Some(("audio/flac", "flac"))
    } else if starts(b"OggS") {
        Some(("audio/ogg", "ogg"))
    } else if starts(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xff && bytes[1] & 0xe0 == 0xe0) {
        Some(("audio/mpeg", "mp3"))
    } else if at(4, b"ftyp") {
        Some(("video/mp4", "mp4"))
    } else if starts(b"\x1a\x45\xdf\xa3") {
        Some(("video/webm", "webm"))
    } else {
        None
    }
}

pub(super) fn media_root(state: &AppState, project: &str) -> PathBuf {
    state.settings().media_dir.join(project)
}

pub(super) async fn serve_file(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let media = resolve_media(&state, &caller, &project, &file).await?;
    send_file(&media.path, &headers).await.map_err(|e| ServerError::Internal(e.into()))
}

/// A file of a project's media root that the caller may read.
pub(super) struct MediaFile {
    pub(super) project_id: String,
    /// Resolved (symlinks followed), inside the root.
    pub(super) path: PathBuf,
    pub(super) metadata: std::fs::Metadata,
}

/// Checks the caller's access and the path: `not_found` unless `file` names a regular file
/// inside the project's media root.
pub(super) async fn resolve_media(
    state: &AppState,
    caller: &Caller,
    project: &str,
    file: &str,
) -> Result<MediaFile, ServerError> {
    let access = project_access(state, caller, project).await?;
    let not_found = || ServerError::not_found(format!("no media `{file}` in project `{project}`"));
    let root = media_root(state, access.id());
    let path = contained_path(&root, file).ok_or_else(not_found)?;
    // Resolve symlinks on both sides: a link inside the root that points out of it is refused.
    let (Ok(root), Ok(resolved)) = (tokio::fs::canonicalize(&root).await, tokio::fs::canonicalize(&path).await) else {
        return Err(not_found());
    };
    let metadata = match tokio::fs::metadata(&resolved).await {
        Ok(metadata) if resolved.starts_with(&root) && metadata.is_file() => metadata,
        _ => return Err(not_found()),
    };
    Ok(MediaFile { project_id: access.id().to_owned(), path: resolved, metadata })
}

/// A media file streamed from disk, never read whole: typed by its first bytes, with
/// `ETag`/`Last-Modified` (a matching `If-None-Match` or `If-Modified-Since` gets 304) and one
/// byte range on request (206, or 416 past the end), so video can seek and hour-long audio
/// starts at once.
async fn send_file(path: &FsPath, request: &HeaderMap) -> std::io::Result<Response> {
    let mut file = tokio::fs::File::open(path).await?;
    let metadata = file.metadata().await?;
    let length = metadata.len();
    let version = Version::new(length, metadata.modified().ok());
    let mut head = [0u8; 16];
    let mut seen = 0;
    while seen < head.len() {
        let n = file.read(&mut head[seen..]).await?;
        if n == 0 {
            break;
        }
        seen += n;
    }
    let content_type = sniff(&head[..seen]).map_or("application/octet-stream", |(t, _)| t);
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // Access is checked on every request: caches keep a copy but must ask before using it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    if let Ok(etag) = HeaderValue::from_str(&version.etag) {
        headers.insert(header::ETAG, etag);
    }
    if let Some(date) = version.last_modified().and_then(|d| HeaderValue::from_str(&d).ok()) {
        headers.insert(header::LAST_MODIFIED, date);
    }
    let (status, start, count) = match ranges::answer(request, length, &version) {
        Answer::NotModified => return Ok((StatusCode::NOT_MODIFIED, headers).into_response()),
        Answer::Unsatisfiable => {
            headers.insert(header::CONTENT_RANGE, header_value(&format!("bytes */{length}")));
            return Ok((StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response());
        }
        Answer::Whole => (StatusCode::OK, 0, length),
        Answer::Part { start, end } => {
            headers.insert(header::CONTENT_RANGE, header_value(&format!("bytes {start}-{end}/{length}")));
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
    };
    headers.insert(header::CONTENT_LENGTH, header_value(&count.to_string()));
    file.seek(std::io::SeekFrom::Start(start)).await?;
    let body = Body::from_stream(ReaderStream::with_capacity(file.take(count), 64 * 1024));
    Ok((status, headers, body).into_response())
}

/// A header value from text this module wrote (digits, spaces, `/`, `*`, `-`).
fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Stores an upload under `uploads/` in the project's media root with a random name. Only
/// images, audio and video recognised by their bytes are accepted (415 otherwise), whatever the
/// client claims; a file annoqa-media can read must pass its probe (422 `invalid_media`: a
/// decompression bomb, a WAV claiming more data than it has), and the project's uploads must stay
/// within its quota (413 `media_quota_exceeded`). The body goes to a file as it arrives; a file
/// refused for any reason is deleted.
pub(super) async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<UploadedMedia>), ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::UploadMedia, "uploading media")?;
    let quota = state.settings().media_quota_bytes;
    let room = quota.saturating_sub(state.store().media_bytes(access.id()).await?);
    if content_length(request.headers()).is_some_and(|length| length > room) {
        return Err(over_quota(quota));
    }
    let limit = usize::try_from(room).unwrap_or(usize::MAX).min(super::MAX_UPLOAD_BYTES);
    let (body, feed) = stream_body(request, limit);
    let media_dir = state.settings().media_dir.clone();
    let receive = tokio::task::spawn_blocking(move || Incoming::receive(body, &media_dir));
    let (fed, received) = tokio::join!(feed, receive);
    let received = received.map_err(|e| ServerError::Internal(e.into()))?;
    if let Err(error) = fed {
        let quota_hit = error.code() == ApiErrorCode::PayloadTooLarge && limit < super::MAX_UPLOAD_BYTES;
        return Err(if quota_hit { over_quota(quota) } else { error });
    }
    let incoming = received?;
    if !state.store().add_media_bytes(access.id(), incoming.size, quota).await? {
        return Err(over_quota(quota));
    }
    let name = format!("{}.{}", random_token(), incoming.extension);
    let content_type = incoming.content_type;
    let dir = media_root(&state, access.id()).join("uploads");
    let size = incoming.size;
    let kept = tokio::task::spawn_blocking(move || incoming.keep(&dir, &name).map(|()| name)).await;
    match kept.map_err(|e| ServerError::Internal(e.into())).and_then(|kept| kept) {
        Ok(name) => Ok((
            StatusCode::CREATED,
            Json(UploadedMedia { path: format!("uploads/{name}"), content_type: content_type.into() }),
        )),
        Err(error) => {
            state.store().remove_media_bytes(access.id(), size).await?;
            Err(error)
        }
    }
}

fn over_quota(quota: u64) -> ServerError {
    ServerError::new(
        ApiErrorCode::MediaQuotaExceeded,
        format!("the project's uploads would exceed its quota of {quota} bytes"),
    )
}

/// Uploads are written here first, outside every project's media root (project ids cannot start
/// with a dot, so nothing serves this folder), and move into a root only once checked.
const INCOMING_DIR: &str = ".incoming";

/// An uploaded file being received and checked. Dropped before [`Incoming::keep`], it deletes
/// its file: a refused or abandoned upload leaves nothing behind.
struct Incoming {
    path: Option<PathBuf>,
    size: u64,
    content_type: &'static str,
    extension: &'static str,
}

impl Incoming {
    /// Writes `body` to a new file under `<media_dir>/.incoming/`, then types it by its bytes
    /// and probes it.
    fn receive(mut body: impl Read, media_dir: &FsPath) -> Result<Incoming, ServerError> {
        let dir = media_dir.join(INCOMING_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| ServerError::Internal(e.into()))?;
        let path = dir.join(random_token());
        let mut file = std::fs::File::create_new(&path).map_err(|e| ServerError::Internal(e.into()))?;
        let mut incoming = Incoming { path: Some(path.clone()), size: 0, content_type: "", extension: "" };
        let mut head = Vec::with_capacity(16);
        let mut chunk = vec![0; 64 * 1024];
        loop {
            // A read error is the body's (too large, broken): the caller answers it from the feed.
            let n = body
                .read(&mut chunk)
                .map_err(|e| ServerError::bad_request(format!("the body could not be read: {e}")))?;
            if n == 0 {
                break;
            }
            if head.len() < 16 {
                head.extend_from_slice(&chunk[..n.min(16 - head.len())]);
            }
            file.write_all(&chunk[..n]).map_err(|e| ServerError::Internal(e.into()))?;
            incoming.size += n as u64;
        }
        drop(file);
        let Some((content_type, extension)) = sniff(&head) else {
            return Err(ServerError::new(
                ApiErrorCode::UnsupportedMediaType,
                "the upload is not a recognised image, audio or video file (PNG, JPEG, GIF, WebP, WAV, FLAC, Ogg, MP3, MP4, WebM)",
            ));
        };
        // FLAC, Ogg and MP3 have no prober here; everything else must pass annoqa-media's.
        if !matches!(extension, "flac" | "ogg" | "mp3") {
            annoqa_media::probe_path(&path, &annoqa_media::Limits::default()).map_err(|e| {
                ServerError::new(
                    ApiErrorCode::InvalidMedia,
                    format!("the upload is not a usable {content_type} file: {}", e.innermost()),
                )
            })?;
        }
        incoming.content_type = content_type;
        incoming.extension = extension;
        Ok(incoming)
    }

    /// Moves the file to `dir/name`.
    fn keep(mut self, dir: &FsPath, name: &str) -> Result<(), ServerError> {
        let Some(path) = self.path.take() else { return Err(ServerError::Internal(anyhow::anyhow!("no upload"))) };
        let moved = std::fs::create_dir_all(dir).and_then(|()| std::fs::rename(&path, dir.join(name)));
        if let Err(error) = moved {
            let _ = std::fs::remove_file(&path);
            return Err(ServerError::Internal(error.into()));
        }
        Ok(())
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            // Best effort: a file that cannot be deleted now is in no project's media root.
            if let Err(error) = std::fs::remove_file(&path) {
                tracing::warn!("cannot delete a refused upload: {error}");
            }
        }
    }
}

/// Extensions `/static` serves: media and guideline Markdown. Everything else there (notably
/// the demo projects' `items.jsonl`, which holds gold answers) is not for browsers.
const STATIC_EXTENSIONS: &[&str] =
    &["md", "png", "jpg", "jpeg", "gif", "webp", "wav", "flac", "ogg", "mp3", "mp4", "webm", "css", "ico"];

pub(super) async fn static_allowlist(request: Request, next: Next) -> Response {
    let allowed = is_plain_file_path(request.uri().path())
        && FsPath::new(request.uri().path())
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| STATIC_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    if !allowed {
        return ServerError::not_found("no such static file").into_response();
    }
    let mut response = next.run(request).await;
    // Markdown is shown as text, never rendered by the browser.
    if response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/markdown"))
    {
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    }
    no_file_errors(response, "no such static file")
}

/// The built app's files: an odd path (see [`is_plain_file_path`]) is `not_found` before any file
/// is looked up, and so is one the file service fails on, where it would answer 500 (a `HEAD`
/// of a name the file system refuses, a path through a file).
pub(super) async fn app_files(request: Request, next: Next) -> Response {
    if !is_plain_file_path(request.uri().path()) {
        return ServerError::not_found("no such file").into_response();
    }
    no_file_errors(next.run(request).await, "no such file")
}

/// `not_found` instead of a file service's 5xx: its only failures are paths the file system
/// cannot open, which are the client's doing. The status goes to the log.
fn no_file_errors(response: Response, message: &str) -> Response {
    if response.status().is_server_error() {
        tracing::warn!(status = %response.status(), "the file service failed; answering not_found");
        return ServerError::not_found(message).into_response();
    }
    response
}

/// Longest request path the file services look up; no file of the app or of `static/` has one
/// nearly as long, and the file system refuses much longer ones.
const MAX_FILE_PATH_BYTES: usize = 1024;

/// Whether a request path (still percent-encoded) is one a file service may look up: shorter
/// than [`MAX_FILE_PATH_BYTES`], its escapes decoding to UTF-8, with no control character (NUL)
/// or backslash, and no `.` or `..` segment.
pub(crate) fn is_plain_file_path(path: &str) -> bool {
    if path.len() > MAX_FILE_PATH_BYTES {
        return false;
    }
    let Some(decoded) = percent_decode(path) else { return false };
    !decoded.chars().any(|c| c.is_control() || c == '\\') && decoded.split('/').all(|s| s != "." && s != "..")
}

/// `%XX` escapes decoded; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = bytes.get(at + 1..at + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit))?;
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}
