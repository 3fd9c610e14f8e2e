//! Tile pyramids of media images: made on the first request for a version of a file, kept
//! under `<media_dir>/.tiles/<project>/<path hash>-<version>/` (`pyramid.json` and
//! `<level>/<column>_<row>.png`), and served with long cache headers, so the image workspace
//! fetches only the tiles its view needs and never decodes a 10,000-pixel image whole.
//!
//! One request at a time makes a given pyramid (a lock per folder in `AppState`): the next
//! finds it made. It is built into a folder of its own and renamed into place, so even two
//! processes sharing the media folder end with one complete pyramid; the older versions of a
//! file are removed when a newer one is built.

use std::fs;
use std::path::{Path as FsPath, PathBuf};

use annoqa_api::{ApiErrorCode, PyramidLevel, PyramidView};
use annoqa_media::imaging::{encode_png, tile_pyramid, PyramidOptions, Tile};
use annoqa_media::{Limits, MediaError};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sha2::{Digest, Sha256};

use super::media::resolve_media;
use super::ranges::Version;
use super::Path;
use crate::auth::{random_token, Caller};
use crate::{AppState, ServerError};

/// Tile edge in pixels.
const TILE_SIZE: u32 = 256;

/// The made pyramid's description, written last: its presence means the folder is complete.
const PYRAMID_FILE: &str = "pyramid.json";

pub(super) async fn pyramid(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, file)): Path<(String, String)>,
) -> Result<Json<PyramidView>, ServerError> {
    let place = place(&state, &caller, &project, &file).await?;
    Ok(Json(made(&state, &place, &file).await?))
}

pub(super) async fn tile(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, version, level, column, row, file)): Path<(String, String, u32, u32, u32, String)>,
) -> Result<Response, ServerError> {
    let place = place(&state, &caller, &project, &file).await?;
    if place.version != version {
        return Err(ServerError::not_found(format!(
            "`{file}` has changed since version `{version}`: ask for its pyramid again"
        )));
    }
    let path = place.dir.join(level.to_string()).join(format!("{column}_{row}.png"));
    // A made pyramid is read straight from its folder: only a missing one is made (a tile
    // asked for before the pyramid, or after the folder was removed).
    let mut bytes = tokio::fs::read(&path).await;
    if bytes.is_err() && !tokio::fs::try_exists(place.dir.join(PYRAMID_FILE)).await.unwrap_or(false) {
        made(&state, &place, &file).await?;
        bytes = tokio::fs::read(&path).await;
    }
    let bytes = bytes
        .map_err(|_| ServerError::not_found(format!("no tile {level}/{column}/{row} in the pyramid of `{file}`")))?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
        // The path names the file's version: what it names never changes.
        (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable")),
    ];
    Ok((headers, bytes).into_response())
}

/// Where the pyramid of the current version of a media file the caller may read lives.
struct Place {
    source: PathBuf,
    /// `<media_dir>/.tiles/<project>`.
    parent: PathBuf,
    /// Names the file (a hash of its path) among the parent's folders.
    key: String,
    version: String,
    /// `<parent>/<key>-<version>`.
    dir: PathBuf,
}

async fn place(state: &AppState, caller: &Caller, project: &str, file: &str) -> Result<Place, ServerError> {
    let media = resolve_media(state, caller, project, file).await?;
    let version = Version::new(media.metadata.len(), media.metadata.modified().ok()).etag.trim_matches('"').to_owned();
    let key = hex_prefix(&Sha256::digest(media.path.to_string_lossy().as_bytes()));
    let parent = state.settings().media_dir.join(".tiles").join(&media.project_id);
    let dir = parent.join(format!("{key}-{version}"));
    Ok(Place { source: media.path, parent, key, version, dir })
}

/// The pyramid at `place`, made if this version has none yet; one request at a time per
/// folder, so a second first request waits and reads what the first made.
async fn made(state: &AppState, place: &Place, file: &str) -> Result<PyramidView, ServerError> {
    let lock = state.pyramid_lock(&place.dir);
    let guard = lock.lock().await;
    let (source, parent, key, version, file) =
        (place.source.clone(), place.parent.clone(), place.key.clone(), place.version.clone(), file.to_owned());
    let view = tokio::task::spawn_blocking(move || load_or_build(&source, &parent, &key, &version, &file)).await;
    drop(guard);
    state.release_pyramid_lock(&place.dir, lock);
    view.map_err(|e| ServerError::Internal(e.into()))?
}

fn hex_prefix(digest: &[u8]) -> String {
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// The kept pyramid of `source` at `version`, or a new one (older versions removed).
fn load_or_build(
    source: &FsPath,
    parent: &FsPath,
    key: &str,
    version: &str,
    file: &str,
) -> Result<PyramidView, ServerError> {
    let dir = parent.join(format!("{key}-{version}"));
    if let Some(view) = fs::read(dir.join(PYRAMID_FILE)).ok().and_then(|b| serde_json::from_slice(&b).ok()) {
        return Ok(view);
    }
    let building = parent.join(format!(".{key}-{}", random_token()));
    let built = build(source, &building, version, file);
    let view = match built {
        Ok(view) => view,
        Err(error) => {
            let _ = fs::remove_dir_all(&building);
            return Err(error);
        }
    };
    // Another request may have finished the same pyramid first: then keep that one.
    if fs::rename(&building, &dir).is_err() {
        let _ = fs::remove_dir_all(&building);
    }
    remove_older_versions(parent, key, &dir);
    Ok(view)
}

/// Tiles and `pyramid.json` written into `dir`.
fn build(source: &FsPath, dir: &FsPath, version: &str, file: &str) -> Result<PyramidView, ServerError> {
    let internal = |e: std::io::Error| ServerError::Internal(e.into());
    fs::create_dir_all(dir).map_err(internal)?;
    let bytes = fs::read(source).map_err(internal)?;
    let mut written: Result<(), std::io::Error> = Ok(());
    let mut sink = |tile: Tile| -> Result<(), MediaError> {
        let png = encode_png(&tile)?;
        let level = dir.join(tile.level.to_string());
        let saved = fs::create_dir_all(&level)
            .and_then(|()| fs::write(level.join(format!("{}_{}.png", tile.column, tile.row)), png));
        saved.map_err(|e| {
            let message = e.to_string();
            written = Err(e);
            MediaError::BadRequest(message)
        })
    };
    let options = PyramidOptions { tile_size: TILE_SIZE, first_level: 0 };
    let info = tile_pyramid(&bytes, options, &Limits::default(), &mut sink);
    written.map_err(internal)?;
    let info = info.map_err(|e| {
        ServerError::new(ApiErrorCode::InvalidMedia, format!("`{file}` has no tile pyramid: {}", e.innermost()))
    })?;
    let levels = info
        .levels
        .iter()
        .map(|&(width, height)| PyramidLevel {
            width,
            height,
            columns: width.div_ceil(TILE_SIZE),
            rows: height.div_ceil(TILE_SIZE),
        })
        .collect();
    let view = PyramidView {
        width: info.width,
        height: info.height,
        tile_size: TILE_SIZE,
        levels,
        version: version.to_owned(),
    };
    let json = serde_json::to_vec(&view).map_err(|e| ServerError::Internal(e.into()))?;
    fs::write(dir.join(PYRAMID_FILE), json).map_err(internal)?;
    Ok(view)
}

/// Pyramids of earlier versions of the same file: nothing names them any more.
fn remove_older_versions(parent: &FsPath, key: &str, current: &FsPath) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path != current && name.to_string_lossy().starts_with(&format!("{key}-")) {
            let _ = fs::remove_dir_all(&path);
        }
    }
}
