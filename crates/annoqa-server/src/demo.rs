//! Loading project folders (`static/demo/*`) into the store.
//!
//! A project folder holds `project.json` (`{"id", "title", "spec", "assignment"?}`),
//! `guidelines.md` and `items.jsonl` (one [`ItemSource`] per line). A folder is checked
//! completely before anything is stored, so a bad folder never leaves half a project behind.

use std::path::Path;

use annoqa_core::api::AssignmentPolicy;
use annoqa_core::guidelines::check_spec;
use annoqa_core::{ItemSource, Project, TaskSpec};
use anyhow::{bail, Context};
use serde::Deserialize;

use crate::import::{check_items, check_project_id};
use crate::Store;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    id: String,
    title: String,
    spec: TaskSpec,
    #[serde(default)]
    assignment: AssignmentPolicy,
}

/// Loads every project folder under `dir`, in name order. Returns how many were loaded.
pub async fn load_demo_projects(store: &Store, dir: &Path, now_ms: i64) -> anyhow::Result<usize> {
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.join("project.json").is_file() {
            folders.push(path);
        }
    }
    folders.sort();
    for folder in &folders {
        let (project, assignment, items) = read_project_folder(folder)?;
        let items: Vec<(ItemSource, Option<String>)> = items.into_iter().map(|i| (i, None)).collect();
        store.insert_project(&project, &assignment, &items, now_ms).await?;
    }
    Ok(folders.len())
}

/// Reads and checks one project folder.
pub fn read_project_folder(folder: &Path) -> anyhow::Result<(Project, AssignmentPolicy, Vec<ItemSource>)> {
    let read = |name: &str| {
        let path = folder.join(name);
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    let file: ProjectFile = serde_json::from_str(&read("project.json")?)
        .with_context(|| format!("{}: not a valid project", folder.join("project.json").display()))?;
    check_project_id(&file.id).map_err(|e| anyhow::anyhow!("{}: {e}", folder.join("project.json").display()))?;
    let project = Project { id: file.id, title: file.title, guidelines: read("guidelines.md")?, spec: file.spec };
    let problems = check_spec(&project.spec, &project.guidelines);
    if !problems.is_empty() {
        bail!("{}: {}", folder.display(), problems.join("; "));
    }
    let items_path = folder.join("items.jsonl");
    let mut items = Vec::new();
    for (index, line) in read("items.jsonl")?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", items_path.display(), index + 1);
        let source: ItemSource = serde_json::from_str(line).with_context(|| format!("{at}: not a valid item"))?;
        items.push((at, source));
    }
    let items = check_items(&project, &[], items).map_err(anyhow::Error::msg)?;
    Ok((project, file.assignment, items))
}
