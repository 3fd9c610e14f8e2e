//! YOLO dataset folders (detect, segment, oriented box, pose) to and from records.
//!
//! One record per image (item id = the image's path in the dataset without its extension,
//! media = that path with the image's size from its header, `--media-dir` or `--media-size`).
//! Label lines become regions in pixels in the controls COCO uses (`bbox`, `segmentation`,
//! `keypoints`), so the two convert into each other; see docs/interop.md for the layouts, the
//! line kinds and what is reported.

mod label_files;
mod layout;
mod lines;
mod stream;
mod write;
mod yaml;

use annoqa_core::model::{Item, Media};

use crate::coco::image_spec;
use crate::diag::{Diagnostics, InputError};
use crate::record::{Converted, ReadOptions, Record, Source, Written};
use crate::tree::FileTree;
use layout::{is_image, without_extension, Entry};
pub(crate) use stream::{YoloClasses, YoloOutput, YoloPart, YoloWriter};

/// Reads a YOLO dataset folder: Ultralytics (`data.yaml`), darknet (`obj.names`, `obj.data`)
/// or label-studio-converter's (`classes.txt`, `labels/`, `images/`).
pub fn read(tree: &dyn FileTree, opts: &ReadOptions<'_>) -> Result<Converted, InputError> {
    let reader = layout::Reader { tree, name: opts.file_name };
    let mut diagnostics = Diagnostics::default();
    let dataset = reader.dataset(&mut diagnostics)?;
    let mut records = Vec::with_capacity(dataset.entries.len());
    for entry in &dataset.entries {
        let Some((src, width, height)) = media(tree, entry, opts, &mut diagnostics) else { continue };
        let regions = match &entry.label {
            None => Vec::new(),
            Some(label) => {
                let text = reader.text(label)?;
                let context = lines::LabelContext {
                    names: &dataset.names,
                    task: dataset.task,
                    kpt_shape: dataset.kpt_shape,
                    width: f64::from(width),
                    height: f64::from(height),
                    item: &entry.item,
                };
                let error = |line: usize, message: String| reader.error(label, format!("line {line}"), message);
                lines::regions(&text, &context, &mut diagnostics, &error)?
            }
        };
        records.push(Record {
            item: Item { id: entry.item.clone(), media: Media::Image { src, width, height }, candidates: Vec::new() },
            annotator: "yolo".to_owned(),
            source: Source::Annotation,
            regions,
            score: None,
        });
    }
    let keypoint_names: Option<Vec<String>> = dataset.kpt_shape.map(|(k, _)| (1..=k).map(|n| n.to_string()).collect());
    let spec = image_spec(&dataset.names, keypoint_names.as_deref());
    Ok(Converted { records, spec: Some(spec), diagnostics })
}

/// Writes an Ultralytics dataset without its images: `data.yaml`, `classes.txt` and one label
/// file per image, at the path Ultralytics looks for beside the image's `src`.
pub fn write(records: &[Record], spec: Option<&annoqa_core::model::TaskSpec>) -> Result<Written, InputError> {
    write::write(records, spec)
}

/// An entry's image: its path and size. The size comes from the image's header in the dataset,
/// else in `--media-dir`, else `--media-size`; `None` (reported) when none knows it, since the
/// label file's numbers are fractions of it.
fn media(
    tree: &dyn FileTree,
    entry: &Entry,
    opts: &ReadOptions<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<(String, u32, u32)> {
    let (src, probed) = match &entry.image {
        Some(image) => (image.clone(), tree.image_size(image).or_else(|| opts.media.and_then(|m| m.image_size(image)))),
        None => {
            match find_image(tree, &entry.item).or_else(|| opts.media.and_then(|m| find_in_media(m, &entry.item))) {
                Some((src, size)) => (src, size),
                None => {
                    diagnostics.skip(
                        "image",
                        "a label file without its image (not in the dataset or --media-dir): src is the image's path \
                     without an extension",
                        &entry.item,
                    );
                    (entry.item.clone(), None)
                }
            }
        }
    };
    match probed.or(opts.media_size) {
        Some((width, height)) => Some((src, width, height)),
        None => {
            diagnostics.skip(
                "image size",
                "no image size (no readable image, no --media-size): its label file cannot be turned into pixels, \
                 not read",
                &entry.item,
            );
            None
        }
    }
}

/// An image at `item` plus any image extension in `tree`, with its size.
fn find_image(tree: &dyn FileTree, item: &str) -> Option<(String, Option<(u32, u32)>)> {
    let (dir, stem) = match item.rfind('/') {
        Some(at) => (&item[..=at], &item[at + 1..]),
        None => ("", item),
    };
    let names = tree.list(dir).ok()?;
    let name = names.iter().find(|n| is_image(n) && without_extension(n) == stem)?;
    let path = format!("{dir}{name}");
    let size = tree.image_size(&path);
    Some((path, size))
}

/// The image of a label file in `--media-dir`: at the same path (`images/x.jpg`), or at its
/// path inside `images/` (`x.jpg`), as media folders hold the images themselves.
fn find_in_media(media: &dyn FileTree, item: &str) -> Option<(String, Option<(u32, u32)>)> {
    if let Some(found) = find_image(media, item) {
        return Some(found);
    }
    let inner = item.strip_prefix("images/")?;
    let (path, size) = find_image(media, inner)?;
    Some((format!("images/{path}"), size))
}

/// The YAML subset's reading of `text`, rendered compactly, or its error as `line N: message`.
#[cfg(test)]
pub(crate) fn yaml_for_tests(text: &str) -> Result<String, String> {
    yaml::parse(text).map(|doc| yaml::render(&doc)).map_err(|(line, message)| format!("line {line}: {message}"))
}

/// A label line's text for `value`, as the writer writes it.
#[cfg(test)]
pub(crate) fn number_for_tests(value: f64) -> String {
    let mut text = String::new();
    write::push_numbers(&mut text, 0, &[value]);
    text.split_off(2)
}
