//! Loading project folders (`static/demo/*`) into the store.
//!
//! A project folder holds `project.json` (`{"id", "title", "spec"}`), `guidelines.md` and
//! `items.jsonl` (one [`ItemSource`] per line). A folder is checked completely before anything
//! is stored, so a bad folder never leaves half a project behind.

use std::collections::HashSet;
use std::path::Path;

use annoqa_core::guidelines::{check_spec, sections};
use annoqa_core::validate::has_errors;
use annoqa_core::{validate, ItemSource, Project, TaskSpec};
use anyhow::{bail, Context};
use serde::Deserialize;

use crate::Store;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    id: String,
    title: String,
    spec: TaskSpec,
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
        let (project, items) = read_project_folder(folder)?;
        store.insert_project(&project, &items, now_ms).await?;
    }
    Ok(folders.len())
}

/// Reads and checks one project folder.
pub fn read_project_folder(folder: &Path) -> anyhow::Result<(Project, Vec<ItemSource>)> {
    let read = |name: &str| {
        let path = folder.join(name);
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    let file: ProjectFile = serde_json::from_str(&read("project.json")?)
        .with_context(|| format!("{}: not a valid project", folder.join("project.json").display()))?;
    let project = Project { id: file.id, title: file.title, guidelines: read("guidelines.md")?, spec: file.spec };
    let problems = check_spec(&project.spec, &project.guidelines);
    if !problems.is_empty() {
        bail!("{}: {}", folder.display(), problems.join("; "));
    }
    let anchors: HashSet<String> = sections(&project.guidelines).into_iter().map(|s| s.anchor).collect();
    let items_path = folder.join("items.jsonl");
    let mut items = Vec::new();
    let mut ids = HashSet::new();
    for (index, line) in read("items.jsonl")?.lines().enumerate() {
        let at = format!("{}:{}", items_path.display(), index + 1);
        if line.trim().is_empty() {
            continue;
        }
        let source: ItemSource = serde_json::from_str(line).with_context(|| format!("{at}: not a valid item"))?;
        if !ids.insert(source.item.id.clone()) {
            bail!("{at}: item id `{}` is used twice", source.item.id);
        }
        if source.item.media.kind() != project.spec.media {
            bail!("{at}: item media is not {:?}", project.spec.media);
        }
        if let Some(gold) = &source.gold {
            let findings = validate(&project.spec, &source.item, &gold.answer);
            if has_errors(&findings) {
                let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
                bail!("{at}: the gold answer itself is invalid: {}", messages.join("; "));
            }
            if let Some(anchor) = gold.guideline.as_ref().filter(|a| !anchors.contains(*a)) {
                bail!("{at}: gold links to guideline section `{anchor}`, which does not exist");
            }
        }
        items.push(source);
    }
    Ok((project, items))
}
