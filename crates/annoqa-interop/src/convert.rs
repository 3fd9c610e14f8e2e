//! One entry point per direction, so `annoqa convert`, the server's import and the report read
//! and write every format through the same code.

use annoqa_core::model::TaskSpec;

use std::io;
use std::sync::Arc;

use crate::coco::{CocoFile, CocoPart, CocoWriter};
use crate::diag::Diagnostics;
use crate::diag::InputError;
use crate::format::{Format, OutputFormat};
use crate::record::{self, Converted, FilePiece, OutputFile, ReadOptions, Record, RecordFold, Written};
use crate::tree::FileTree;
use crate::yolo::{YoloClasses, YoloOutput, YoloPart, YoloWriter};
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

/// A writer fed one record at a time, for inputs too large to hold as records: COCO keeps only
/// compact rows per annotation, YOLO (with a spec) the lines of records of plain boxes; the
/// other formats collect the records and write them at the end. Either way the output equals
/// [`write`]'s for the same records.
pub struct StreamWriter {
    inner: Streaming,
    records: usize,
}

enum Streaming {
    Coco(Box<CocoWriter>),
    Yolo(Box<YoloWriter>),
    Collect { format: OutputFormat, records: Vec<Record>, spec: Option<TaskSpec> },
}

impl StreamWriter {
    /// Labels come from `spec`, or are derived from the records, as in [`write`].
    pub fn new(format: OutputFormat, spec: Option<TaskSpec>) -> StreamWriter {
        let inner = match (format, spec) {
            (OutputFormat::Coco, spec) => Streaming::Coco(Box::new(CocoWriter::new(spec))),
            (OutputFormat::Yolo, Some(spec)) => Streaming::Yolo(Box::new(YoloWriter::new(spec))),
            (format, spec) => Streaming::Collect { format, records: Vec::new(), spec },
        };
        StreamWriter { inner, records: 0 }
    }

    pub fn add(&mut self, record: Record) {
        self.records += 1;
        match &mut self.inner {
            Streaming::Coco(writer) => writer.add(&record),
            Streaming::Yolo(writer) => writer.add(record),
            Streaming::Collect { records, .. } => records.push(record),
        }
    }

    /// Records added so far.
    pub fn records(&self) -> usize {
        self.records
    }

    /// How this writer wants records gathered where they are read ([`StreamWriter::append`]).
    pub fn parts(&self) -> Parts {
        let kind = match &self.inner {
            Streaming::Coco(writer) if writer.takes_parts() => PartKind::Coco,
            Streaming::Yolo(writer) => PartKind::Yolo(writer.classes()),
            _ => PartKind::Records,
        };
        Parts { kind }
    }

    /// A part's records, after those added before: the same as adding each.
    pub fn append(&mut self, part: Part) {
        self.records += part.records;
        match (&mut self.inner, part.gathered) {
            (Streaming::Coco(writer), Gathered::Coco(part)) => writer.append(*part),
            (Streaming::Coco(writer), Gathered::Records(records)) => records.iter().for_each(|r| writer.add(r)),
            (Streaming::Yolo(writer), Gathered::Yolo(part)) => writer.append(part),
            (Streaming::Yolo(writer), Gathered::Records(records)) => records.into_iter().for_each(|r| writer.add(r)),
            (Streaming::Collect { records, .. }, Gathered::Records(more)) => records.extend(more),
            // A COCO or YOLO part comes only from that writer's `parts`.
            (Streaming::Collect { .. } | Streaming::Coco(_), Gathered::Yolo(_))
            | (Streaming::Collect { .. } | Streaming::Yolo(_), Gathered::Coco(_)) => {}
        }
    }

    pub fn finish(self) -> Result<Written, InputError> {
        match self.inner {
            Streaming::Coco(writer) => writer.finish(),
            Streaming::Yolo(writer) => Ok(writer.finish().into_written()),
            Streaming::Collect { format, records, spec } => write(format, &records, spec.as_ref()),
        }
    }

    /// The output's start as far as it is final already, after the bytes given before:
    /// COCO's annotations appended so far when their ids can be guessed (with a spec);
    /// nothing for other formats. Written while the rest is read, it overlaps reading;
    /// [`Finished::restarts`] says whether it stood.
    pub fn write_early(&mut self, out: &mut Vec<u8>) {
        if let Streaming::Coco(writer) = &mut self.inner {
            writer.write_early(out);
        }
    }

    /// A folder's files as far as they are final already, after those given before: YOLO
    /// label files of records read so far (with a spec, while the dataset stays a detect
    /// one); nothing for other formats. [`Finished::restarts`] says whether they stood.
    pub fn write_early_files(&mut self, out: &mut Vec<FilePiece>) {
        if let Streaming::Yolo(writer) = &mut self.inner {
            writer.write_early(out);
        }
    }

    /// [`StreamWriter::finish`] with what is reported final but a COCO file not made yet:
    /// [`Finished::write_pieces`] makes it a piece at a time, so it is never held whole.
    pub fn finish_unwritten(self) -> Result<Finished, InputError> {
        match self.inner {
            Streaming::Coco(writer) => {
                let (file, diagnostics) = writer.finish_numbered();
                Ok(Finished { diagnostics, output: Unwritten::Coco(Box::new(file)) })
            }
            Streaming::Yolo(writer) => {
                let YoloOutput { pieces, restarts, diagnostics } = writer.finish();
                Ok(Finished { diagnostics, output: Unwritten::Folder { pieces, restarts } })
            }
            Streaming::Collect { format, records, spec } => {
                let written = write(format, &records, spec.as_ref())?;
                Ok(Finished { diagnostics: written.diagnostics, output: Unwritten::Files(written.files) })
            }
        }
    }
}

/// A writer's output and what it reported ([`StreamWriter::finish_unwritten`]).
pub struct Finished {
    pub diagnostics: Diagnostics,
    output: Unwritten,
}

enum Unwritten {
    Files(Vec<OutputFile>),
    Coco(Box<CocoFile>),
    /// A folder's files, some perhaps only the rest of what [`StreamWriter::write_early_files`]
    /// gave; `restarts`: what it gave is to be dropped, the pieces being the whole folder.
    Folder {
        pieces: Vec<FilePiece>,
        restarts: bool,
    },
}

impl Finished {
    /// The files made whole: one with an empty path for the single-file formats, a folder's
    /// otherwise (as [`Written::files`]).
    pub fn into_files(self) -> Vec<OutputFile> {
        match self.output {
            Unwritten::Files(files) => files,
            Unwritten::Folder { pieces, .. } => pieces.into_iter().map(|piece| piece.file).collect(),
            Unwritten::Coco(file) => {
                let mut bytes = Vec::new();
                // One piece, into memory: nothing can fail.
                let _ = file.write_pieces(usize::MAX, &mut |piece| {
                    bytes = piece;
                    Ok(Vec::new())
                });
                vec![OutputFile { path: String::new(), bytes }]
            }
        }
    }

    /// Whether the bytes of [`StreamWriter::write_early`] (or the files of
    /// [`StreamWriter::write_early_files`]) are to be dropped: the output is then made from its
    /// start. Otherwise [`Finished::write_pieces`] makes what follows them (or
    /// [`Finished::into_pieces`] holds it).
    pub fn restarts(&self) -> bool {
        match &self.output {
            Unwritten::Coco(file) => file.restarts(),
            Unwritten::Folder { restarts, .. } => *restarts,
            Unwritten::Files(_) => false,
        }
    }

    /// A folder's files, or the rest of those [`StreamWriter::write_early_files`] gave (see
    /// [`Finished::restarts`]).
    pub fn into_pieces(self) -> Vec<FilePiece> {
        match self.output {
            Unwritten::Folder { pieces, .. } => pieces,
            _ => self.into_files().into_iter().map(|file| FilePiece { file, append: false }).collect(),
        }
    }

    /// Whether the output is one file, for [`Finished::write_pieces`].
    pub fn is_one_file(&self) -> bool {
        match &self.output {
            Unwritten::Files(files) => matches!(files.as_slice(), [one] if one.path.is_empty()),
            Unwritten::Coco(_) => true,
            Unwritten::Folder { .. } => false,
        }
    }

    /// The one file's bytes in pieces of at least `piece` bytes (the last may be shorter), each
    /// handed to `sink`, which gives back an empty buffer for the next; nothing for a folder.
    pub fn write_pieces(self, piece: usize, sink: &mut dyn FnMut(Vec<u8>) -> io::Result<Vec<u8>>) -> io::Result<()> {
        match self.output {
            Unwritten::Coco(file) => file.write_pieces(piece, sink),
            Unwritten::Files(mut files) => match files.pop() {
                Some(one) if files.is_empty() && one.path.is_empty() => sink(one.bytes).map(drop),
                _ => Ok(()),
            },
            Unwritten::Folder { .. } => Ok(()),
        }
    }
}

/// Gathers records for a [`StreamWriter`] where they are read: COCO's rows and YOLO's lines are
/// made there (with a spec); other formats keep the records.
#[derive(Clone)]
pub struct Parts {
    kind: PartKind,
}

#[derive(Clone)]
enum PartKind {
    Records,
    Coco,
    Yolo(Arc<YoloClasses>),
}

/// Records gathered for a [`StreamWriter`] by [`Parts`].
pub struct Part {
    records: usize,
    gathered: Gathered,
}

enum Gathered {
    Coco(Box<CocoPart>),
    Yolo(YoloPart),
    Records(Vec<Record>),
}

impl RecordFold for Parts {
    type Part = Part;

    fn part(&self) -> Part {
        let gathered = match &self.kind {
            PartKind::Records => Gathered::Records(Vec::new()),
            PartKind::Coco => Gathered::Coco(Box::default()),
            PartKind::Yolo(classes) => Gathered::Yolo(YoloClasses::part(classes)),
        };
        Part { records: 0, gathered }
    }

    fn add(&self, part: &mut Part, record: Record) {
        part.records += 1;
        match &mut part.gathered {
            Gathered::Coco(coco) => coco.add(&record),
            Gathered::Yolo(yolo) => yolo.add(record),
            Gathered::Records(records) => records.push(record),
        }
    }
}
