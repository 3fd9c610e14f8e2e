//! Which YOLO layout a folder is, its class names, and its images paired with their label
//! files.
//!
//! - Ultralytics: `data.yaml` (`names` as a map or a list, `kpt_shape`, `task`, `train`/`val`/
//!   `test` as folders or `.txt` lists of images); a label is its image's path with the last
//!   `images/` replaced by `labels/` and the extension by `.txt` (beside the image when the path
//!   has no `images/`), as Ultralytics' `img2label_paths`.
//! - Darknet (CVAT's "YOLO 1.1"): `obj.names`, `obj.data` naming `train.txt`/`valid.txt` lists,
//!   labels beside their images; paths in the lists start with `data/`, the folder's own name
//!   in darknet's tree.
//! - label-studio-converter: `classes.txt`, `labels/*.txt`, `images/*`.

use std::collections::BTreeMap;

use super::yaml::{self, Yaml};
use crate::diag::{Diagnostics, InputError};
use crate::tree::FileTree;

/// What each line of a dataset is, as far as the dataset says (SOURCES.md ambiguity 19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Task {
    Detect,
    Segment,
    Obb,
    Pose,
    /// Nothing says: a 9-number line is read as a 4-point polygon, and reported.
    Unknown,
}

pub(super) struct Dataset {
    pub(super) names: Vec<String>,
    pub(super) task: Task,
    /// Keypoints per object and numbers per keypoint (2: x y, 3: x y v).
    pub(super) kpt_shape: Option<(usize, usize)>,
    pub(super) entries: Vec<Entry>,
}

/// One image and its label file, either of which may be missing.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    /// The image's path without its extension.
    pub(super) item: String,
    /// The image's path in the dataset, when it is there.
    pub(super) image: Option<String>,
    pub(super) label: Option<String>,
}

/// Image extensions Ultralytics reads (`IMG_FORMATS`).
const IMAGE_EXTENSIONS: [&str; 11] = ["bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm", "heic"];

pub(super) fn is_image(path: &str) -> bool {
    extension(path).is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn extension(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').map(|(_, e)| e)
}

pub(super) fn without_extension(path: &str) -> &str {
    match path.rfind('.') {
        Some(dot) if !path[dot..].contains('/') => &path[..dot],
        _ => path,
    }
}

/// Ultralytics' `img2label_paths`: the last `images/` folder becomes `labels/`, the extension
/// `.txt`.
pub(super) fn label_path(image: &str) -> String {
    let rooted = format!("/{image}");
    let swapped = match rooted.rfind("/images/") {
        Some(at) => format!("{}/labels/{}", &rooted[..at], &rooted[at + "/images/".len()..]),
        None => rooted,
    };
    format!("{}.txt", without_extension(&swapped[1..]))
}

pub(super) struct Reader<'a> {
    pub(super) tree: &'a dyn FileTree,
    /// The dataset as the user named it, for messages and for its folder name.
    pub(super) name: &'a str,
}

impl Reader<'_> {
    pub(super) fn error(&self, path: &str, location: impl Into<String>, message: impl Into<String>) -> InputError {
        let file = match (self.name.is_empty(), path.is_empty()) {
            (true, _) => path.to_owned(),
            (false, true) => self.name.to_owned(),
            (false, false) => format!("{}/{path}", self.name),
        };
        InputError::new(file, location, message)
    }

    pub(super) fn text(&self, path: &str) -> Result<String, InputError> {
        let bytes = self.tree.read(path)?;
        String::from_utf8(bytes).map_err(|_| self.error(path, "", "not UTF-8 text"))
    }

    pub(super) fn dataset(&self, diagnostics: &mut Diagnostics) -> Result<Dataset, InputError> {
        let root = self.tree.list("")?;
        let has = |name: &str| root.iter().any(|e| e == name);
        let yaml =
            ["data.yaml", "data.yml", "dataset.yaml"].into_iter().find(|n| has(n)).map(str::to_owned).or_else(|| {
                let yamls: Vec<&String> = root.iter().filter(|e| e.ends_with(".yaml") || e.ends_with(".yml")).collect();
                (yamls.len() == 1).then(|| yamls[0].clone())
            });
        if let Some(yaml) = yaml {
            self.ultralytics(&yaml, diagnostics)
        } else if has("obj.data") || has("obj.names") {
            self.darknet(has("obj.data"))
        } else if has("classes.txt") {
            self.converter()
        } else {
            Err(self.error("", "", "not a YOLO dataset: no data.yaml, obj.data, obj.names or classes.txt at its root"))
        }
    }

    fn ultralytics(&self, path: &str, diagnostics: &mut Diagnostics) -> Result<Dataset, InputError> {
        let text = self.text(path)?;
        let doc = yaml::parse(&text).map_err(|(line, message)| self.error(path, format!("line {line}"), message))?;
        let names = self.yaml_names(&doc, path)?;
        let kpt_shape = match doc.get("kpt_shape") {
            None | Some(Yaml::Null) => None,
            Some(shape) => Some(self.kpt_shape(shape, path)?),
        };
        let task = match doc.get("task").and_then(Yaml::as_str) {
            Some("detect") => Task::Detect,
            Some("segment") => Task::Segment,
            Some("obb") => Task::Obb,
            Some("pose") => Task::Pose,
            Some(other) => {
                return Err(self.error(
                    path,
                    "task",
                    format!("unknown task `{other}`: expected detect, segment, obb or pose"),
                ))
            }
            None if kpt_shape.is_some() => Task::Pose,
            None => self.task_from_folder_name(),
        };
        let mut images = Vec::new();
        for split in ["train", "val", "test"] {
            let sources: Vec<&str> = match doc.get(split) {
                Some(Yaml::Scalar(s)) => vec![s.as_str()],
                Some(Yaml::List(list)) => list.iter().filter_map(Yaml::as_str).collect(),
                _ => Vec::new(),
            };
            for source in sources {
                let found = self.split_images(source)?;
                if found.is_none() {
                    let reason = format!("`{split}: {source}` names nothing in the dataset folder: not read");
                    diagnostics.skip("split", &reason, "");
                }
                images.extend(found.unwrap_or_default());
            }
        }
        if images.is_empty() {
            images = self.walk("images/", &is_image)?;
        }
        let entries = self.pair(images, |image| Some(label_path(image)), "labels/")?;
        Ok(Dataset { names, task, kpt_shape, entries })
    }

    /// A 9-number line is an oriented box when the dataset's folder is named for them.
    fn task_from_folder_name(&self) -> Task {
        let folder = self.name.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
        if folder.contains("obb") || folder.contains("oriented") {
            Task::Obb
        } else {
            Task::Unknown
        }
    }

    fn yaml_names(&self, doc: &Yaml, path: &str) -> Result<Vec<String>, InputError> {
        match doc.get("names") {
            Some(Yaml::List(list)) => list
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    n.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.error(path, format!("names[{i}]"), "expected a name"))
                })
                .collect(),
            Some(Yaml::Map(entries)) => {
                let mut by_index = BTreeMap::new();
                for (key, value) in entries {
                    let index: usize =
                        key.parse().map_err(|_| self.error(path, "names", format!("`{key}` is not a class index")))?;
                    let name =
                        value.as_str().ok_or_else(|| self.error(path, format!("names.{key}"), "expected a name"))?;
                    by_index.insert(index, name.to_owned());
                }
                let names: Vec<String> = by_index.values().cloned().collect();
                match by_index.keys().enumerate().find(|(i, k)| i != *k) {
                    Some((missing, _)) => Err(self.error(path, "names", format!("class {missing} has no name"))),
                    None => Ok(names),
                }
            }
            _ => Err(self.error(path, "names", "expected the class names as a list or a map")),
        }
    }

    fn kpt_shape(&self, shape: &Yaml, path: &str) -> Result<(usize, usize), InputError> {
        let numbers: Vec<usize> = match shape {
            Yaml::List(list) => list.iter().filter_map(|v| v.as_str()?.parse().ok()).collect(),
            _ => Vec::new(),
        };
        match numbers[..] {
            [count, dims @ (2 | 3)] if count > 0 => Ok((count, dims)),
            _ => Err(self.error(path, "kpt_shape", "expected [keypoints, 2 or 3]")),
        }
    }

    /// The images of one split: a folder's (recursively) or a list file's; `None` when the
    /// split names nothing in the tree.
    fn split_images(&self, source: &str) -> Result<Option<Vec<String>>, InputError> {
        let source = clean(source);
        if source.ends_with(".txt") && self.tree.is_file(&source) {
            return self.list_file(&source).map(Some);
        }
        let dir = if source.is_empty() { String::new() } else { format!("{}/", source.trim_end_matches('/')) };
        if !dir.is_empty() && self.tree.list(&dir).is_err() {
            return Ok(None);
        }
        self.walk(&dir, &is_image).map(Some)
    }

    /// Image paths listed one per line, relative to the dataset root (darknet lists start with
    /// `data/`, darknet's name for that root).
    fn list_file(&self, path: &str) -> Result<Vec<String>, InputError> {
        let text = self.text(path)?;
        let mut images = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let line = clean(line);
            let resolved = match line.strip_prefix("data/") {
                Some(rest) if !self.tree.is_file(&line) => rest.to_owned(),
                _ => line,
            };
            images.push(resolved);
        }
        Ok(images)
    }

    fn darknet(&self, has_data: bool) -> Result<Dataset, InputError> {
        let mut settings = BTreeMap::new();
        if has_data {
            for line in self.text("obj.data")?.lines() {
                if let Some((key, value)) = line.split_once('=') {
                    settings.insert(key.trim().to_owned(), clean(value.trim()));
                }
            }
        }
        let in_tree = |path: &str| match path.strip_prefix("data/") {
            Some(rest) if !self.tree.is_file(path) => rest.to_owned(),
            _ => path.to_owned(),
        };
        let names_file = settings.get("names").map_or_else(|| "obj.names".to_owned(), |p| in_tree(p));
        let names = self.names_file(&names_file)?;
        let mut images = Vec::new();
        for key in ["train", "valid", "test"] {
            if let Some(list) = settings.get(key).map(|p| in_tree(p)).filter(|p| self.tree.is_file(p)) {
                images.extend(self.list_file(&list)?);
            }
        }
        if images.is_empty() {
            images = self.walk("", &is_image)?;
        }
        let entries = self.pair(images, |image| Some(format!("{}.txt", without_extension(image))), "")?;
        Ok(Dataset { names, task: self.task_from_folder_name(), kpt_shape: None, entries })
    }

    fn converter(&self) -> Result<Dataset, InputError> {
        let names = self.names_file("classes.txt")?;
        let images = match self.tree.list("images/") {
            Ok(_) => self.walk("images/", &is_image)?,
            Err(_) => Vec::new(),
        };
        let entries = self.pair(images, |image| Some(label_path(image)), "labels/")?;
        Ok(Dataset { names, task: self.task_from_folder_name(), kpt_shape: None, entries })
    }

    /// Class names one per line (`classes.txt`, `obj.names`); CRLF and trailing blank lines
    /// allowed, a blank line between names is an error (it would shift every index after it).
    fn names_file(&self, path: &str) -> Result<Vec<String>, InputError> {
        let text = self.text(path)?;
        let mut names: Vec<String> = text.lines().map(|l| l.trim().to_owned()).collect();
        while names.last().is_some_and(String::is_empty) {
            names.pop();
        }
        if let Some(blank) = names.iter().position(String::is_empty) {
            return Err(self.error(path, format!("line {}", blank + 1), "empty class name"));
        }
        Ok(names)
    }

    /// Every file under `dir` (recursively) that `keep` accepts, sorted.
    fn walk(&self, dir: &str, keep: &dyn Fn(&str) -> bool) -> Result<Vec<String>, InputError> {
        let mut found = Vec::new();
        let mut pending = vec![dir.to_owned()];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = self.tree.list(&dir) else { continue };
            for entry in entries {
                let path = format!("{dir}{entry}");
                if entry.ends_with('/') {
                    pending.push(path);
                } else if keep(&path) {
                    found.push(path);
                }
            }
        }
        found.sort();
        Ok(found)
    }

    /// Entries for the images (label files by `label_of`, when present), then for label files
    /// under `labels_dir` that no image claimed: their images are missing (not shipped, or
    /// in `--media-dir`).
    fn pair(
        &self,
        images: Vec<String>,
        label_of: impl Fn(&str) -> Option<String>,
        labels_dir: &str,
    ) -> Result<Vec<Entry>, InputError> {
        let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
        let mut claimed = std::collections::BTreeSet::new();
        for image in images {
            let label = label_of(&image).filter(|l| self.tree.is_file(l));
            if let Some(label) = &label {
                claimed.insert(label.clone());
            }
            let item = without_extension(&image).to_owned();
            entries.entry(item.clone()).or_insert(Entry { item, image: Some(image), label });
        }
        if !labels_dir.is_empty() {
            for label in self.walk(labels_dir, &|p| p.ends_with(".txt"))? {
                if claimed.contains(&label) {
                    continue;
                }
                // labels/<rest>.txt belongs to images/<rest>.<ext>.
                let item = format!("images/{}", without_extension(&label[labels_dir.len()..]));
                entries.entry(item.clone()).or_insert(Entry { item, image: None, label: Some(label) });
            }
        }
        Ok(entries.into_values().collect())
    }
}

/// A path as written in a dataset file, relative to the dataset root: no `./`, no leading `/`.
fn clean(path: &str) -> String {
    let path = path.trim().trim_start_matches("./");
    if path == "." {
        String::new()
    } else {
        path.trim_start_matches('/').to_owned()
    }
}
