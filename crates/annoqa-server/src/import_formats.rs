//! Imports in other tools' formats (`?format=ls|coco|cvat|annoqa`): the file is read by
//! annoqa-interop, the same code as `annoqa convert`, and its items go through the same probing
//! and checks as annoqa's own item JSON. Annotations and predictions in the file are not stored
//! (the import creates items); how many there were is reported with everything else the format
//! held that annoqa cannot represent.

use std::collections::HashSet;

use annoqa_core::{ItemSource, Project};
use annoqa_interop::convert::{self, Input};
use annoqa_interop::{Diagnostics, FileTree, Format, InputError, ReadOptions};

use crate::import::{probe_item, ImportError, ItemChecker, MediaRoot, MAX_IMPORT_ITEMS};

/// The import formats the query may name.
pub(crate) fn parse_format(name: &str) -> Result<Format, String> {
    match name.parse::<Format>()? {
        Format::Yolo => Err("a YOLO dataset is a folder: convert it with `annoqa convert` and import the items".into()),
        format => Ok(format),
    }
}

/// Items ready to store: each with its probe's description (as `read_items` returns them).
type CheckedItems = Vec<(ItemSource, Option<String>)>;

/// The items of a whole import file in `format`, each probed and checked; with what the file
/// held that is not imported.
pub(crate) fn read_formatted_items(
    body: &[u8],
    format: Format,
    project: &Project,
    existing: &[String],
    root: &MediaRoot,
) -> Result<(CheckedItems, Diagnostics), ImportError> {
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
    let mut checker = ItemChecker::new(project, existing);
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    for record in converted.records {
        if !record.regions.is_empty() {
            diagnostics.skip("annotation", "an import stores items; annotations are not imported", &record.item.id);
        }
        if !seen.insert(record.item.id.clone()) {
            continue;
        }
        if items.len() == MAX_IMPORT_ITEMS {
            return Err(ImportError::TooManyItems);
        }
        let at = format!("item `{}`", record.item.id);
        let (source, info) = probe_item(&at, ItemSource { item: record.item, gold: None }, root)?;
        checker.check(&at, &source)?;
        items.push((source, info));
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
