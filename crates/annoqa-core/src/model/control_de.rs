//! `Control`'s `Deserialize`, written by hand (`crate::de` says why): it reads the JSON the
//! derive over `#[serde(flatten)] kind: ControlKind` read, with its messages.
//!
//! - the control's own fields are read where they stand;
//! - `type` names the kind, by name or by serde's variant index, and is judged when the object
//!   ends, as are the kind's fields, after a missing `name`;
//! - other keys are read and ignored, however often they repeat, as are the fields of other
//!   kinds.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::{Control, ControlKind};
use crate::de::{keys, next_once, tag_of, Key, KeyIn, Slot, VariantIn};

keys! {
    /// The keys of a control: its own, its tag, then every kind's fields.
    K {
        Name = "name",
        Prompt = "prompt",
        Labels = "labels",
        Required = "required",
        Guideline = "guideline",
        Tolerance = "tolerance",
        Normalization = "normalization",
        Costs = "costs",
        Type = "type",
        Multiple = "multiple",
        Overlap = "overlap",
        Transcript = "transcript",
        AllowTie = "allow_tie",
        RationaleRequired = "rationale_required",
        Buckets = "buckets",
    }
}

keys! {
    /// The kinds, in `ControlKind`'s order (a kind's index is the number serde accepts for it).
    Kind {
        Choice = "choice",
        TextSpans = "text_spans",
        BBox = "b_box",
        Polygon = "polygon",
        Keypoint = "keypoint",
        AudioSegments = "audio_segments",
        VideoBoxes = "video_boxes",
        VideoTracks = "video_tracks",
        VideoSegments = "video_segments",
        Pairwise = "pairwise",
        TextArea = "text_area",
        Ranker = "ranker",
    }
}

impl<'de> Deserialize<'de> for Control {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Control, D::Error> {
        deserializer.deserialize_map(ControlVisitor)
    }
}

/// The values of the kinds' fields, by [`K`].
#[derive(Default)]
struct Fields([Slot; K::NAMES.len()]);

impl Fields {
    /// For the kinds' fields, all declared `#[serde(default)]`.
    fn or_default<T: de::DeserializeOwned + Default, E: de::Error>(&mut self, key: K) -> Result<T, E> {
        self.0[key as usize].or_default(key.name())
    }

    fn kind<E: de::Error>(mut self, kind: Kind) -> Result<ControlKind, E> {
        Ok(match kind {
            Kind::Choice => ControlKind::Choice { multiple: self.or_default(K::Multiple)? },
            Kind::TextSpans => ControlKind::TextSpans { overlap: self.or_default(K::Overlap)? },
            Kind::BBox => ControlKind::BBox,
            Kind::Polygon => ControlKind::Polygon,
            Kind::Keypoint => ControlKind::Keypoint,
            Kind::AudioSegments => ControlKind::AudioSegments { transcript: self.or_default(K::Transcript)? },
            Kind::VideoBoxes => ControlKind::VideoBoxes,
            Kind::VideoTracks => ControlKind::VideoTracks,
            Kind::VideoSegments => ControlKind::VideoSegments,
            Kind::Pairwise => ControlKind::Pairwise {
                allow_tie: self.or_default(K::AllowTie)?,
                rationale_required: self.or_default(K::RationaleRequired)?,
            },
            Kind::TextArea => ControlKind::TextArea,
            Kind::Ranker => ControlKind::Ranker { buckets: self.or_default(K::Buckets)? },
        })
    }
}

struct ControlVisitor;

impl<'de> Visitor<'de> for ControlVisitor {
    type Value = Control;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("struct Control")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Control, A::Error> {
        let (mut name, mut prompt, mut labels, mut required) = (None, None, None, None);
        let (mut guideline, mut tolerance, mut normalization, mut costs) = (None, None, None, None);
        let mut tag = Slot::Absent;
        let mut fields = Fields::default();
        while let Some(key) = map.next_key_seed(KeyIn(K::find))? {
            match key {
                Key::Known(i) => match K::ALL[i] {
                    K::Name => next_once(&mut map, &mut name, "name")?,
                    K::Prompt => next_once(&mut map, &mut prompt, "prompt")?,
                    K::Labels => next_once(&mut map, &mut labels, "labels")?,
                    K::Required => next_once(&mut map, &mut required, "required")?,
                    K::Guideline => next_once(&mut map, &mut guideline, "guideline")?,
                    K::Tolerance => next_once(&mut map, &mut tolerance, "tolerance")?,
                    K::Normalization => next_once(&mut map, &mut normalization, "normalization")?,
                    K::Costs => next_once(&mut map, &mut costs, "costs")?,
                    K::Type => tag.fill(map.next_value()?),
                    field => fields.0[field as usize].fill(map.next_value()?),
                },
                // Read rather than skipped, as the derive buffered it.
                Key::Other(_) => drop(map.next_value::<Value>()?),
            }
        }
        // The derive checked the control's own fields, then read the kind.
        let name = name.ok_or_else(|| de::Error::missing_field("name"))?;
        let kind = fields.kind(Kind::ALL[tag_of(tag, "type", VariantIn(Kind::NAMES))?])?;
        Ok(Control {
            name,
            prompt: prompt.unwrap_or_default(),
            kind,
            labels: labels.unwrap_or_default(),
            required: required.unwrap_or_default(),
            guideline: guideline.flatten(),
            tolerance: tolerance.unwrap_or_default(),
            normalization: normalization.flatten(),
            costs: costs.unwrap_or_default(),
        })
    }
}
