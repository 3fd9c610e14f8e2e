//! Imports in other tools' formats (`?format=ls|coco|cvat|annoqa`): the file is read by
//! annoqa-interop, the same code as `annoqa convert`, and its items go through the same probing
//! and checks as annoqa's own item JSON. An item's first prediction in the file (a Label Studio
//! task's `predictions`, a COCO results list) becomes its predictions, checked as annoqa's own
//! are; annotations and further predictions are not stored (the import creates items): how many
//! there were is reported with everything else the format held that annoqa cannot represent.

use std::collections::HashMap;

use annoqa_core::{ItemSource, Project, Region};
use annoqa_interop::convert::{self, Input};
use annoqa_interop::{Diagnostics, FileTree, Format, InputError, ReadOptions, Source};

use crate::import::{probe_item, ImportError, ItemChecker, MediaRoot, MAX_IMPORT_ITEMS};
use crate::store::NewItem;

/// The import formats the query may name.
pub(crate) fn parse_format(name: &str) -> Result<Format, String> {
    match name.parse::<Format>()? {
        Format::Yolo => Err("a YOLO dataset is a folder: convert it with `annoqa convert` and import the items".into()),
        format => Ok(format),
    }
}

/// The items of a whole import file in `format`, each probed and checked; with what the file
/// held that is not imported.
pub(crate) fn read_formatted_items(
    body: &[u8],
    format: Format,
    project: &Project,
    existing: &[String],
    root: &MediaRoot,
) -> Result<(Vec<NewItem>, Diagnostics), ImportError> {
    let opts = ReadOptions {
        file_name: "the import",
        config: None,
        spec: Some(&project.spec),
        media_size: None,
        media: Some(root as &dyn FileTree),
    };
    let converted =
        convert::read(format, Input::Bytes(body), &opts).map_err(|e| ImportError::Invalid(e.to_string()))?;
    let mut diagnostics = converted.diagnostics;
    // Each distinct item in the order first seen, with its first prediction's regions.
    let mut entries: Vec<(ItemSource, Option<Vec<Region>>)> = Vec::new();
    let mut index_of: HashMap<String, usize> = HashMap::new();
    for record in converted.records {
        let id = record.item.id.clone();
        let index = match index_of.get(&id) {
            Some(&index) => index,
            None => {
                if entries.len() == MAX_IMPORT_ITEMS {
                    return Err(ImportError::TooManyItems);
                }
                index_of.insert(id.clone(), entries.len());
                entries.push((ItemSource { item: record.item, gold: None }, None));
                entries.len() - 1
            }
        };
        let predictions = &mut entries[index].1;
        match record.source {
            Source::Prediction if predictions.is_none() => *predictions = Some(record.regions),
            Source::Prediction => diagnostics.skip(
                "prediction",
                "an item keeps its first prediction as its predictions; the others are not imported",
                &id,
            ),
            Source::Annotation if !record.regions.is_empty() => {
                diagnostics.skip("annotation", "an import stores items; annotations are not imported", &id);
            }
            Source::Annotation => {}
        }
    }
    let mut checker = ItemChecker::new(project, existing);
    let mut items = Vec::with_capacity(entries.len());
    for (source, predictions) in entries {
        let at = format!("item `{}`", crate::checks::short_id(&source.item.id));
        let (source, media_info) = probe_item(&at, source, root)?;
        let predictions = predictions.unwrap_or_default();
        checker.check(&at, &source, &predictions)?;
        items.push(NewItem { source, predictions, media_info });
    }
    Ok((items, diagnostics))
}

/// Image sizes for percent or normalised geometry come from the project's media root, through
/// the same containment checks as every probe; nothing else of the root is listed or read.
impl FileTree for MediaRoot {
    fn list(&self, dir: &str) -> Result<Vec<String>, InputError> {
        Err(InputError::new(dir, "", "the media root cannot be listed by an import"))
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, InputError> {
        Err(InputError::new(path, "", "the media root cannot be read by an import"))
    }

    fn is_file(&self, _path: &str) -> bool {
        false
    }

    fn image_size(&self, path: &str) -> Option<(u32, u32)> {
        match self.probe(path)?.ok()? {
            annoqa_media::MediaInfo::Image(info) => Some((info.width, info.height)),
            _ => None,
        }
    }
}
