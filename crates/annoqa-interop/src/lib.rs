//! Other tools' annotation files to and from annoqa's model: Label Studio JSON and labeling
//! configs, COCO, YOLO folders, CVAT XML 1.1 and crowd-kit's long CSV.
//!
//! Every reader returns [`Converted`]: the records it could represent, the spec it could derive
//! and a [`Diagnostics`] list of what it could not represent (by kind, with counts and task ids).
//! Malformed input is an [`InputError`] naming the file and the JSON path or line. Nothing is
//! guessed silently. Readers take bytes (or a [`FileTree`] for folder formats) and do no other
//! I/O; the `annoqa convert` command and the server's import are the edges.

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
#![warn(unreachable_pub)]

pub mod coco;
pub mod convert;
pub mod crowdkit;
pub mod cvat;
pub mod diag;
pub mod format;
mod hash;
pub mod ls;
pub mod record;
pub mod tree;
pub mod yolo;

pub use diag::{Diagnostics, InputError, Unsupported};
pub use format::{Format, OutputFormat};
pub use record::{Converted, FilePiece, OutputFile, ReadOptions, Record, Source, Written};
#[cfg(feature = "fs")]
pub use tree::DirTree;
pub use tree::FileTree;
#[cfg(test)]
mod tests;
