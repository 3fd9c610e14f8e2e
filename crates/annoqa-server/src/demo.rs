//! Loading project folders (`static/demo/*`) into the store.
//!
//! A project folder holds `project.json` (`{"id", "title", "spec", "assignment"?}`),
//! `guidelines.md` and `items.jsonl` (one [`ItemSource`] per line, with optional `predictions`,
//! as an import reads it). A folder is checked completely before anything is stored, so a bad
//! folder never leaves half a project behind.

use std::path::Path;

use annoqa_api::AssignmentPolicy;
use annoqa_core::{ItemSource, Media, Project, TaskSpec};
use anyhow::{bail, Context};
use serde::Deserialize;

use crate::import::{check_against, check_items, check_project_id, read_predictions, MediaRoot};
use crate::{NewItem, Store};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    id: String,
    title: String,
    spec: TaskSpec,
    #[serde(default)]
    assignment: AssignmentPolicy,
}

/// Loads every project folder under `dir`, in name order. Returns how many were loaded. Media
/// named by a relative path stay in their folder (see [`load_demo_projects_into`]).
pub async fn load_demo_projects(store: &Store, dir: &Path, now_ms: i64) -> anyhow::Result<usize> {
    load_demo_projects_into(store, dir, None, now_ms).await
}

/// As [`load_demo_projects`]; an item whose media `src` is a relative path names a file in the
/// folder's `media/`, which is copied into the project's media root under `media_dir` (so it is
/// served as project media, with tile pyramids for large images). Copies are not counted
/// against the media quota.
pub async fn load_demo_projects_into(
    store: &Store,
    dir: &Path,
    media_dir: Option<&Path>,
    now_ms: i64,
) -> anyhow::Result<usize> {
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.join("project.json").is_file() {
            folders.push(path);
        }
    }
    folders.sort();
    // Demo media are served at `/static/…` from the folder above `dir`.
    let static_root = MediaRoot { root: dir.parent().unwrap_or(dir).to_path_buf() };
    for folder in &folders {
        let (project, assignment, items) = read_project_folder(folder)?;
        let own_media = MediaRoot { root: folder.join("media") };
        let mut copies = Vec::new();
        let items = items
            .into_iter()
            .map(|item| {
                let at = || format!("{}: item `{}`", folder.join("items.jsonl").display(), item.source.item.id);
                let media_info = match relative_src(&item.source) {
                    Some(src) => {
                        copies.push(src.to_string());
                        probe_media(&item.source, &own_media, src).with_context(at)?
                    }
                    None => probe_static_media(&item.source, &static_root).with_context(at)?,
                };
                Ok(NewItem { media_info, ..item })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if let Some(media_dir) = media_dir {
            let root = media_dir.join(&project.id);
            for src in copies {
                let to = root.join(&src);
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
                }
                std::fs::copy(own_media.root.join(&src), &to)
                    .with_context(|| format!("cannot copy demo media `{src}` to {}", to.display()))?;
            }
        }
        store.insert_project(&project, &assignment, &items, now_ms).await?;
    }
    Ok(folders.len())
}

/// The item's media path when it is relative: a file of the project folder's `media/`.
fn relative_src(item: &ItemSource) -> Option<&str> {
    let src = match &item.item.media {
        Media::Text { .. } => return None,
        Media::Image { src, .. } | Media::Audio { src, .. } | Media::Video { src, .. } => src,
    };
    let absolute = src.starts_with('/') || src.contains("://");
    (!absolute).then_some(src.as_str())
}

/// Probes a media file of the folder's own `media/`, as an import probes the media root.
fn probe_media(item: &ItemSource, root: &MediaRoot, src: &str) -> anyhow::Result<Option<String>> {
    let Some(probed) = root.probe(src) else {
        bail!("media `{src}` is not a file under {}", root.root.display());
    };
    let info = probed.map_err(anyhow::Error::msg)?;
    check_against(&item.item.media, &info.to_core_media(src.to_string())).map_err(anyhow::Error::msg)?;
    Ok(Some(serde_json::to_string(&info)?))
}

/// Probes a demo item's media file (served at `/static/…`) as an import probes the media root:
/// the metadata is stored, and an item whose sizes, duration or frame count disagree with its
/// file is refused. Text items and media elsewhere (URLs) have nothing to probe; a `/static/`
/// file that is not there is an error, since the demo would show a broken item.
fn probe_static_media(item: &ItemSource, static_root: &MediaRoot) -> anyhow::Result<Option<String>> {
    let src = match &item.item.media {
        Media::Text { .. } => return Ok(None),
        Media::Image { src, .. } | Media::Audio { src, .. } | Media::Video { src, .. } => src,
    };
    let Some(relative) = src.strip_prefix("/static/") else { return Ok(None) };
    let Some(probed) = static_root.probe(relative) else {
        bail!("media `{src}` is not a file under {}", static_root.root.display());
    };
    let info = probed.map_err(anyhow::Error::msg)?;
    check_against(&item.item.media, &info.to_core_media(src.clone())).map_err(anyhow::Error::msg)?;
    Ok(Some(serde_json::to_string(&info)?))
}

/// Reads and checks one project folder. Its items' media are not probed yet (`media_info` is
/// `None`).
pub fn read_project_folder(folder: &Path) -> anyhow::Result<(Project, AssignmentPolicy, Vec<NewItem>)> {
    let read = |name: &str| {
        let path = folder.join(name);
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    let file: ProjectFile = serde_json::from_str(&read("project.json")?)
        .with_context(|| format!("{}: not a valid project", folder.join("project.json").display()))?;
    check_project_id(&file.id).map_err(|e| anyhow::anyhow!("{}: {e}", folder.join("project.json").display()))?;
    let project = Project { id: file.id, title: file.title, guidelines: read("guidelines.md")?, spec: file.spec };
    if let Err(problems) = crate::import::check_project_spec(&project.spec, &project.guidelines) {
        bail!("{}: {problems}", folder.display());
    }
    let items_path = folder.join("items.jsonl");
    let mut items = Vec::new();
    for (index, line) in read("items.jsonl")?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", items_path.display(), index + 1);
        let source: ItemSource = serde_json::from_str(line).with_context(|| format!("{at}: not a valid item"))?;
        let predictions = read_predictions(&at, &source.item.id, line).map_err(anyhow::Error::msg)?;
        items.push((at, NewItem { source, predictions, media_info: None }));
    }
    check_items(&project, &[], &items).map_err(anyhow::Error::msg)?;
    Ok((project, file.assignment, items.into_iter().map(|(_, item)| item).collect()))
}
