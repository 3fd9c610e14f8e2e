//! Where a written dataset's label files go: one per image, at the path Ultralytics reads for
//! the image's `src`, in order of the images' first records; and `data.yaml`, which names the
//! images' folders. Nothing here depends on the dataset's task, so a stream can place its
//! records' files while it reads them and decide the task at the end.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use annoqa_core::model::Media;

use super::layout::{label_path, without_extension};
use crate::coco::media_name;
use crate::diag::Diagnostics;
use crate::hash::{FastMap, FastSet};
use crate::record::Record;

/// The label files so far, in first-seen order.
#[derive(Default)]
pub(super) struct LabelFiles {
    /// Each file's path in the dataset.
    pub(super) paths: Vec<String>,
    /// Each file's image folder, for `data.yaml`.
    folders: Vec<String>,
    file_of: FastMap<String, usize>,
    taken: FastSet<String>,
    /// Per label file stem, the suffix to try next when an image's name is taken again (so
    /// many images of one name take linear time).
    next_suffix: HashMap<String, usize>,
}

impl LabelFiles {
    pub(super) fn len(&self) -> usize {
        self.paths.len()
    }

    /// The label file of `record`'s image and the image's size in pixels; `None` (reported)
    /// for a record that is not an image's, or of an image of unknown size.
    pub(super) fn of_record(&mut self, record: &Record, diagnostics: &mut Diagnostics) -> Option<(usize, (f64, f64))> {
        let item = record.item.id.as_str();
        let Media::Image { src, width, height } = &record.item.media else {
            diagnostics.skip(&format!("{} item", media_name(&record.item.media)), "YOLO holds images only", item);
            return None;
        };
        if *width == 0 || *height == 0 {
            diagnostics.skip("image size", "no image size: normalised coordinates cannot be written", item);
            return None;
        }
        if record.score.is_some() {
            diagnostics.skip("record score", "YOLO label files have no scores: dropped", item);
        }
        let at = self.of_image(item, src, diagnostics);
        Some((at, (f64::from(*width), f64::from(*height))))
    }

    /// The label file of image `item`: a new one, or the one an earlier record of the image
    /// has (reported: its regions are merged into it).
    pub(super) fn of_image(&mut self, item: &str, src: &str, diagnostics: &mut Diagnostics) -> usize {
        if let Some(&at) = self.file_of.get(item) {
            let reason = "YOLO has one label file per image: several records' regions merged into one file";
            diagnostics.skip("annotator", reason, item);
            return at;
        }
        let (path, folder) = self.label_file(src, item, diagnostics);
        self.paths.push(path);
        self.folders.push(folder);
        self.file_of.insert(item.to_owned(), self.paths.len() - 1);
        self.paths.len() - 1
    }

    /// The label file Ultralytics reads for the image at `src` (relative to the dataset), and
    /// the image's folder for `data.yaml`. A URL or absolute path keeps its file name only; a
    /// second image of one name gets `-2`, `-3`, … (reported: it no longer matches its image).
    fn label_file(&mut self, src: &str, item: &str, diagnostics: &mut Diagnostics) -> (String, String) {
        let relative = relative_src(src).unwrap_or_else(|| format!("images/{}.jpg", file_stem(item)));
        let mut path = label_path(&relative);
        if !self.taken.insert(path.clone()) {
            let stem = without_extension(&path).to_owned();
            let n = self.next_suffix.entry(stem.clone()).or_insert(2);
            while !self.taken.insert(format!("{stem}-{n}.txt")) {
                *n += 1;
            }
            path = format!("{stem}-{n}.txt");
            *n += 1;
            diagnostics.skip("file name", "two images share a label file name: numbered, match it by hand", item);
        }
        let folder = relative.rsplit_once('/').map_or(String::new(), |(dir, _)| dir.to_owned());
        (path, folder)
    }

    /// `data.yaml` for these files: the image folders as splits, the task's name, `kpt_shape`
    /// (keypoints, numbers each) for a pose dataset, the class names.
    pub(super) fn data_yaml(&self, task: &str, kpt_shape: Option<(usize, usize)>, names: &[String]) -> String {
        let mut splits: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for folder in &self.folders {
            let last = folder.rsplit('/').next().unwrap_or_default();
            let split = match last {
                "val" | "valid" | "validation" => "val",
                "test" => "test",
                _ => "train",
            };
            splits.entry(split).or_default().insert(folder.as_str());
        }
        let mut yaml =
            String::from("# written by annoqa: put the images at the paths below, relative to this folder\npath: .\n");
        for split in ["train", "val", "test"] {
            let Some(folders) = splits.get(split) else { continue };
            let folders: Vec<String> =
                folders.iter().map(|f| if f.is_empty() { ".".to_owned() } else { quoted(f) }).collect();
            match &folders[..] {
                [one] => yaml.push_str(&format!("{split}: {one}\n")),
                many => {
                    yaml.push_str(&format!("{split}:\n"));
                    for folder in many {
                        yaml.push_str(&format!("  - {folder}\n"));
                    }
                }
            }
        }
        yaml.push_str(&format!("task: {task}\n"));
        if let Some((slots, dims)) = kpt_shape {
            yaml.push_str(&format!("kpt_shape: [{slots}, {dims}]\n"));
        }
        yaml.push_str("names:\n");
        for (index, name) in names.iter().enumerate() {
            yaml.push_str(&format!("  {index}: {}\n", quoted(name)));
        }
        yaml
    }
}

/// `classes.txt`: the class names, one per line.
pub(super) fn classes_txt(names: &[String]) -> String {
    names.iter().map(|n| format!("{n}\n")).collect()
}

/// A name as a YAML scalar: plain when that reads back the same, double-quoted otherwise.
fn quoted(name: &str) -> String {
    let plain = !name.is_empty()
        && !name
            .starts_with([' ', '-', '[', '{', '\'', '"', '#', '&', '*', '!', '|', '>', '%', '@', '`', '?', ':', ','])
        && !name.ends_with(' ')
        && !name.contains(": ")
        && !name.contains(" #")
        && !name.ends_with(':')
        && !name.contains(['\n', '\t', ',', '[', ']', '{', '}'])
        && !matches!(name, "~" | "null");
    if plain {
        return name.to_owned();
    }
    let escaped = name.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n").replace('\t', "\\t");
    format!("\"{escaped}\"")
}

/// `src` as a path inside the dataset: a URL's path, no leading `/`; `None` when it leaves the
/// folder (`..`) or is empty. Such a source keeps its file name only.
fn relative_src(src: &str) -> Option<String> {
    let path = match src.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        None => src,
    };
    let path = path.split(['?', '#']).next().unwrap_or_default().trim_start_matches('/');
    if path.is_empty() {
        return None;
    }
    if path.split('/').any(|part| part.is_empty() || part == "." || part == "..")
        || src.contains("://")
        || src.starts_with('/')
    {
        let name = path.rsplit('/').next().filter(|n| !n.is_empty() && *n != "." && *n != "..")?;
        return Some(format!("images/{name}"));
    }
    Some(path.to_owned())
}

fn file_stem(item: &str) -> String {
    let name = item.rsplit('/').next().unwrap_or(item);
    let safe: String = name.chars().map(|c| if c.is_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    if safe.is_empty() || safe.chars().all(|c| c == '.') {
        "item".to_owned()
    } else {
        safe
    }
}
