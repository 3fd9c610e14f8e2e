//! Label Studio: labeling configs (XML) to and from specs, JSON exports to and from records.
//!
//! Reading follows docs/interop.md's "Label Studio" section: percentages become pixels with
//! each result's `original_width/height` (else `--media-size`, else the image's own header),
//! 1-based video frames become 0-based, a disabled keyframe becomes an `outside` keyframe on the
//! next frame, and per-region controls become region attributes. Whatever has no annoqa
//! counterpart (ellipses, masks, relations, HTML spans, …) is reported, never guessed.

mod config;
mod json;
#[cfg(not(target_arch = "wasm32"))]
mod pool;
mod read;
mod results;
mod spec_xml;
mod split;
mod task;
mod text;
mod value;
mod write;
mod xml;

pub use config::{spec_from_config, ControlRole, ControlTag, LsConfig, LsControl, LsObject, DEFAULT_FRAME_RATE};
pub use read::{for_each_part, for_each_record, read};
pub use spec_xml::config_from_spec;
pub use write::{write, write_with_config};
