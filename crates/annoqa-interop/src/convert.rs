//! One entry point per direction, so `annoqa convert`, the server's import and the report read
//! and write every format through the same code.

use annoqa_core::model::TaskSpec;

use crate::diag::InputError;
use crate::format::{Format, OutputFormat};
use crate::record::{self, Converted, ReadOptions, Record, Written};
use crate::tree::FileTree;
use crate::{coco, crowdkit, cvat, ls, yolo};

/// What a reader takes: one file's bytes, or a folder (YOLO datasets).
pub enum Input<'a> {
    Bytes(&'a [u8]),
    Folder(&'a dyn FileTree),
}

/// Reads `input` as `format`. A folder is accepted only for YOLO, bytes for every other format.
pub fn read(format: Format, input: Input<'_>, opts: &ReadOptions<'_>) -> Result<Converted, InputError> {
    match (format, input) {
        (Format::Yolo, Input::Folder(tree)) => yolo::read(tree, opts),
        (Format::Yolo, Input::Bytes(_)) => {
            Err(InputError::new(opts.file_name, "", "a YOLO dataset is a folder (with labels and class names)"))
        }
        (_, Input::Folder(_)) => Err(InputError::new(opts.file_name, "", "is a folder; this format is one file")),
        (Format::Annoqa, Input::Bytes(bytes)) => record::read_jsonl(bytes, opts),
        (Format::LabelStudio, Input::Bytes(bytes)) => ls::read(bytes, opts),
        (Format::Coco, Input::Bytes(bytes)) => coco::read(bytes, opts),
        (Format::Cvat, Input::Bytes(bytes)) => cvat::read(bytes, opts),
    }
}

/// Writes `records` as `format`, labels from `spec` (or derived from the records).
pub fn write(format: OutputFormat, records: &[Record], spec: Option<&TaskSpec>) -> Result<Written, InputError> {
    match format {
        OutputFormat::Annoqa => record::write_jsonl(records),
        OutputFormat::LabelStudio => ls::write(records, spec),
        OutputFormat::Coco => coco::write(records, spec),
        OutputFormat::Yolo => yolo::write(records, spec),
        OutputFormat::Cvat => cvat::write(records, spec),
        OutputFormat::CrowdKit => crowdkit::write(records, spec),
    }
}
