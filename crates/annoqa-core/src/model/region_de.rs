//! `Region`'s `Deserialize`, written by hand.
//!
//! Why by hand: serde's derive for a struct with a flattened, internally tagged enum buffers
//! the whole object into serde's private `Content` tree, copies it into a second one to find the
//! tag, and instantiates a visitor per variant over it; in the browser app that was the biggest
//! single function of the download. This reads the object once, keeps the values of the
//! variants' fields as `serde_json::Value`s until `type` has said which of them count, and then
//! reads each field the variant has.
//!
//! It accepts and rejects what the derive did (`tests/region_serde.rs` compares the two on
//! random objects), with the derive's error messages and positions (of several mistakes in one
//! object, it may name another one first):
//! - keys that are not `id`, `control`, `type`, `attributes` or a field of the region's type
//!   are ignored, whatever their value and however often they repeat; a repeated key that does
//!   count is a "duplicate field" error;
//! - `type` is a type's name or, as serde reads any variant identifier, its index (`3` is
//!   `polygon`);
//! - a field with a default may be absent, but it is `null` only where it is an `Option`.
//!
//! One difference: an object nested in a field's value (a keyframe) that repeats a key keeps
//! the last value, as `serde_json::Value` does, where the derive said "duplicate field".

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::{Region, RegionValue};
use crate::de::next_once;

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Region, D::Error> {
        deserializer.deserialize_map(RegionVisitor)
    }
}

/// The region types in `RegionValue`'s order: a type's index here is the number serde accepts
/// for it, and the list is the "expected one of" of an unknown type.
const TYPE_NAMES: &[&str] = &[
    "choice",
    "text_span",
    "b_box",
    "polygon",
    "keypoint",
    "audio_segment",
    "video_box",
    "video_track",
    "video_segment",
    "pairwise",
    "text_area",
    "ranking",
];

/// A region type named by `type`, before its fields are read.
#[derive(Clone, Copy)]
enum Kind {
    Choice,
    TextSpan,
    BBox,
    Polygon,
    Keypoint,
    AudioSegment,
    VideoBox,
    VideoTrack,
    VideoSegment,
    Pairwise,
    TextArea,
    Ranking,
}

impl Kind {
    /// In the order of [`TYPE_NAMES`].
    const ALL: [Kind; 12] = [
        Kind::Choice,
        Kind::TextSpan,
        Kind::BBox,
        Kind::Polygon,
        Kind::Keypoint,
        Kind::AudioSegment,
        Kind::VideoBox,
        Kind::VideoTrack,
        Kind::VideoSegment,
        Kind::Pairwise,
        Kind::TextArea,
        Kind::Ranking,
    ];
}

/// Reads a `type` value as serde reads a variant identifier: a name, or an index.
struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("variant identifier")
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<Kind, E> {
        let kind = usize::try_from(index).ok().and_then(|i| Kind::ALL.get(i));
        kind.copied().ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(index), &"variant index 0 <= i < 12"))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Kind, E> {
        let index = TYPE_NAMES.iter().position(|n| *n == name);
        index.and_then(|i| Kind::ALL.get(i)).copied().ok_or_else(|| E::unknown_variant(name, TYPE_NAMES))
    }
}

/// Every field of every region type, each once (`start` is a text offset in one type and
/// seconds in another: its value is read when the type is known).
#[derive(Clone, Copy)]
enum Field {
    Labels,
    Start,
    End,
    Label,
    X,
    Y,
    Width,
    Height,
    Rotation,
    Points,
    Transcript,
    Frame,
    Keyframes,
    StartFrame,
    EndFrame,
    Choice,
    Rationale,
    Text,
    Order,
    Buckets,
}

impl Field {
    const ALL: [Field; 20] = [
        Field::Labels,
        Field::Start,
        Field::End,
        Field::Label,
        Field::X,
        Field::Y,
        Field::Width,
        Field::Height,
        Field::Rotation,
        Field::Points,
        Field::Transcript,
        Field::Frame,
        Field::Keyframes,
        Field::StartFrame,
        Field::EndFrame,
        Field::Choice,
        Field::Rationale,
        Field::Text,
        Field::Order,
        Field::Buckets,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::Labels => "labels",
            Field::Start => "start",
            Field::End => "end",
            Field::Label => "label",
            Field::X => "x",
            Field::Y => "y",
            Field::Width => "width",
            Field::Height => "height",
            Field::Rotation => "rotation",
            Field::Points => "points",
            Field::Transcript => "transcript",
            Field::Frame => "frame",
            Field::Keyframes => "keyframes",
            Field::StartFrame => "start_frame",
            Field::EndFrame => "end_frame",
            Field::Choice => "choice",
            Field::Rationale => "rationale",
            Field::Text => "text",
            Field::Order => "order",
            Field::Buckets => "buckets",
        }
    }
}

/// A key of a region object.
enum Key {
    Id,
    Control,
    Type,
    Attributes,
    Field(Field),
    /// Not a key of any region type: its value is read and dropped.
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("field identifier")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
        Ok(match name {
            "id" => Key::Id,
            "control" => Key::Control,
            "type" => Key::Type,
            "attributes" => Key::Attributes,
            _ => Field::ALL.into_iter().find(|f| f.name() == name).map_or(Key::Other, Key::Field),
        })
    }

    fn visit_bytes<E: de::Error>(self, name: &[u8]) -> Result<Key, E> {
        std::str::from_utf8(name).map_or(Ok(Key::Other), |name| self.visit_str(name))
    }
}

/// A value waiting for `type`.
#[derive(Default)]
enum Slot {
    #[default]
    Absent,
    Once(Value),
    /// Given more than once: an error if the region's type reads this key, nothing otherwise,
    /// as with the derive.
    Repeated,
}

impl Slot {
    fn fill(&mut self, value: Value) {
        *self = match self {
            Slot::Absent => Slot::Once(value),
            Slot::Once(_) | Slot::Repeated => Slot::Repeated,
        };
    }

    /// The value as a `T`; `None` if it was not given.
    fn read<T: DeserializeOwned, E: de::Error>(self, name: &'static str) -> Result<Option<T>, E> {
        match self {
            Slot::Absent => Ok(None),
            Slot::Once(value) => T::deserialize(value).map(Some).map_err(E::custom),
            Slot::Repeated => Err(E::duplicate_field(name)),
        }
    }
}

/// The values of every [`Field`] given, by the field's position in [`Field::ALL`].
#[derive(Default)]
struct Fields([Slot; Field::ALL.len()]);

impl Fields {
    fn take<T: DeserializeOwned, E: de::Error>(&mut self, field: Field) -> Result<Option<T>, E> {
        std::mem::take(&mut self.0[field as usize]).read(field.name())
    }

    fn required<T: DeserializeOwned, E: de::Error>(&mut self, field: Field) -> Result<T, E> {
        self.take(field)?.ok_or_else(|| E::missing_field(field.name()))
    }

    /// For the fields declared `#[serde(default)]` in `RegionValue`.
    fn or_default<T: DeserializeOwned + Default, E: de::Error>(&mut self, field: Field) -> Result<T, E> {
        Ok(self.take(field)?.unwrap_or_default())
    }

    /// The fields of `kind` read in the order `RegionValue` declares them, so the first field
    /// missing is the one the derive named.
    fn region_value<E: de::Error>(mut self, kind: Kind) -> Result<RegionValue, E> {
        use Field as F;
        Ok(match kind {
            Kind::Choice => RegionValue::Choice { labels: self.required(F::Labels)? },
            Kind::TextSpan => RegionValue::TextSpan {
                start: self.required(F::Start)?,
                end: self.required(F::End)?,
                label: self.required(F::Label)?,
            },
            Kind::BBox => RegionValue::BBox {
                x: self.required(F::X)?,
                y: self.required(F::Y)?,
                width: self.required(F::Width)?,
                height: self.required(F::Height)?,
                rotation: self.or_default(F::Rotation)?,
                label: self.required(F::Label)?,
            },
            Kind::Polygon => {
                RegionValue::Polygon { points: self.required(F::Points)?, label: self.required(F::Label)? }
            }
            Kind::Keypoint => RegionValue::Keypoint {
                x: self.required(F::X)?,
                y: self.required(F::Y)?,
                label: self.required(F::Label)?,
            },
            Kind::AudioSegment => RegionValue::AudioSegment {
                start: self.required(F::Start)?,
                end: self.required(F::End)?,
                label: self.required(F::Label)?,
                transcript: self.or_default(F::Transcript)?,
            },
            Kind::VideoBox => RegionValue::VideoBox {
                frame: self.required(F::Frame)?,
                x: self.required(F::X)?,
                y: self.required(F::Y)?,
                width: self.required(F::Width)?,
                height: self.required(F::Height)?,
                rotation: self.or_default(F::Rotation)?,
                label: self.required(F::Label)?,
            },
            Kind::VideoTrack => {
                RegionValue::VideoTrack { label: self.required(F::Label)?, keyframes: self.required(F::Keyframes)? }
            }
            Kind::VideoSegment => RegionValue::VideoSegment {
                start_frame: self.required(F::StartFrame)?,
                end_frame: self.required(F::EndFrame)?,
                label: self.required(F::Label)?,
            },
            Kind::Pairwise => {
                RegionValue::Pairwise { choice: self.required(F::Choice)?, rationale: self.or_default(F::Rationale)? }
            }
            Kind::TextArea => RegionValue::TextArea { text: self.required(F::Text)? },
            Kind::Ranking => {
                RegionValue::Ranking { order: self.or_default(F::Order)?, buckets: self.or_default(F::Buckets)? }
            }
        })
    }
}

struct RegionVisitor;

impl<'de> Visitor<'de> for RegionVisitor {
    type Value = Region;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("struct Region")
    }

    /// `id`, `control` and `attributes` are read as they come; `type` and the fields wait
    /// for the end of the object, which is also when the derive read them, so errors come in
    /// the derive's order: a missing `id` or `control` before anything about `type`.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Region, A::Error> {
        let mut id: Option<String> = None;
        let mut control: Option<String> = None;
        let mut attributes: Option<BTreeMap<String, String>> = None;
        let mut kind = Slot::Absent;
        let mut fields = Fields::default();
        while let Some(key) = map.next_key()? {
            match key {
                Key::Id => next_once(&mut map, &mut id, "id")?,
                Key::Control => next_once(&mut map, &mut control, "control")?,
                Key::Attributes => next_once(&mut map, &mut attributes, "attributes")?,
                Key::Type => kind.fill(map.next_value()?),
                Key::Field(field) => fields.0[field as usize].fill(map.next_value()?),
                // Read rather than skipped: the derive buffered it, which fails on the same
                // input (nesting beyond serde_json's recursion limit).
                Key::Other => drop(map.next_value::<Value>()?),
            }
        }
        let id = id.ok_or_else(|| de::Error::missing_field("id"))?;
        let control = control.ok_or_else(|| de::Error::missing_field("control"))?;
        let kind = match kind {
            Slot::Absent => return Err(de::Error::missing_field("type")),
            Slot::Once(value) => value.deserialize_any(KindVisitor).map_err(de::Error::custom)?,
            Slot::Repeated => return Err(de::Error::duplicate_field("type")),
        };
        let value = fields.region_value(kind)?;
        Ok(Region { id, control, value, attributes: attributes.unwrap_or_default() })
    }
}
