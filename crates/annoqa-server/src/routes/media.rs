//! Media files: served only from the project's media root, typed by their bytes.
//!
//! The media root of project `p` is `<media_dir>/p/`. A request path is refused unless every
//! segment is a plain name (no `..`, `.`, empty segment, backslash, NUL or drive prefix; the
//! router has already percent-decoded it, so encoded traversal arrives here as `..`), and the
//! resolved file (symlinks followed) must still lie inside the root.

use std::path::{Path as FsPath, PathBuf};

use annoqa_api::{ApiErrorCode, Endpoint, UploadedMedia};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{project_access, Path};
use crate::auth::{random_token, Caller};
use crate::import::contained_path;
use crate::json::body_bytes;
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
) -> Result<Response, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    let not_found = || ServerError::not_found(format!("no media `{file}` in project `{project}`"));
    let root = media_root(&state, access.id());
    let path = contained_path(&root, &file).ok_or_else(not_found)?;
    // Resolve symlinks on both sides: a link inside the root that points out of it is refused.
    let (Ok(root), Ok(resolved)) = (tokio::fs::canonicalize(&root).await, tokio::fs::canonicalize(&path).await) else {
        return Err(not_found());
    };
    if !resolved.starts_with(&root) || !tokio::fs::metadata(&resolved).await.is_ok_and(|m| m.is_file()) {
        return Err(not_found());
    }
    let bytes = tokio::fs::read(&resolved).await.map_err(|e| ServerError::Internal(e.into()))?;
    let content_type = sniff(&bytes).map_or("application/octet-stream", |(t, _)| t);
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("inline")),
        ],
        bytes,
    )
        .into_response())
}

/// Stores an upload under `uploads/` in the project's media root with a random name. Only
/// images, audio and video recognised by their bytes are accepted (415 otherwise), whatever the
/// client claims.
pub(super) async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<UploadedMedia>), ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::UploadMedia, "uploading media")?;
    let bytes = body_bytes(request, &state).await?;
    let Some((content_type, extension)) = sniff(&bytes) else {
        return Err(ServerError::new(
            ApiErrorCode::UnsupportedMediaType,
            "the upload is not a recognised image, audio or video file (PNG, JPEG, GIF, WebP, WAV, FLAC, Ogg, MP3, MP4, WebM)",
        ));
    };
    let dir = media_root(&state, access.id()).join("uploads");
    tokio::fs::create_dir_all(&dir).await.map_err(|e| ServerError::Internal(e.into()))?;
    let name = format!("{}.{extension}", random_token());
    tokio::fs::write(dir.join(&name), &bytes).await.map_err(|e| ServerError::Internal(e.into()))?;
    Ok((
        StatusCode::CREATED,
        Json(UploadedMedia { path: format!("uploads/{name}"), content_type: content_type.into() }),
    ))
}

/// Extensions `/static` serves: media and guideline Markdown. Everything else there (notably
/// the demo projects' `items.jsonl`, which holds gold answers) is not for browsers.
const STATIC_EXTENSIONS: &[&str] =
    &["md", "png", "jpg", "jpeg", "gif", "webp", "wav", "flac", "ogg", "mp3", "mp4", "webm", "css", "ico"];

pub(super) async fn static_allowlist(request: Request, next: Next) -> Response {
    let allowed = FsPath::new(request.uri().path())
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| STATIC_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    if !allowed {
        return ServerError::not_found(format!("no static file {}", request.uri().path())).into_response();
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
    response
}
