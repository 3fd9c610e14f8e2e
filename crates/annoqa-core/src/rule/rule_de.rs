//! `Rule`'s `Deserialize`, written by hand (`crate::de` says why): it reads the JSON the derive
//! over `#[serde(flatten)] check: Check` read, with its messages.
//!
//! - `severity`, `message` and `guideline` are read where they stand;
//! - `rule` names the check, by name or by serde's variant index, and is judged when the object
//!   ends, as are the check's fields;
//! - every other key is an error (`Check` denies unknown fields), naming the fields of the
//!   check `rule` names.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::{default_duplicate_iou, error_severity, Check, Rule};
use crate::de::{keys, next_once, tag_of, Key, KeyIn, Slot, VariantIn};

keys! {
    /// The keys of a rule: its own, its tag, then every check's fields (`min` and `max` are
    /// counts in one check and lengths in another: their values are read when the check is
    /// known).
    K {
        Severity = "severity",
        Message = "message",
        Guideline = "guideline",
        Rule = "rule",
        Control = "control",
        Label = "label",
        Min = "min",
        Max = "max",
        Attribute = "attribute",
        Allowed = "allowed",
        WhenControl = "when_control",
        WhenLabel = "when_label",
        ThenControl = "then_control",
        Then = "then",
        MinWidth = "min_width",
        MinHeight = "min_height",
        MinArea = "min_area",
        MinIou = "min_iou",
        Scope = "scope",
        MaxIou = "max_iou",
        Required = "required",
        Charset = "charset",
        Pattern = "pattern",
        MaxLength = "max_length",
        MaxGapFrames = "max_gap_frames",
    }
}

keys! {
    /// The checks, in `Check`'s order (a check's index is the number serde accepts for it).
    Kind {
        Count = "count",
        RequiredAttribute = "required_attribute",
        Conditional = "conditional",
        MinSize = "min_size",
        NoDuplicates = "no_duplicates",
        NoOverlap = "no_overlap",
        TokenBoundaries = "token_boundaries",
        SegmentLength = "segment_length",
        Transcript = "transcript",
        TrackContinuity = "track_continuity",
    }
}

impl Kind {
    /// The fields of the check, in `Check`'s order: the "expected" of an unknown field.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Count => &["control", "label", "min", "max"],
            Kind::RequiredAttribute => &["control", "label", "attribute", "allowed"],
            Kind::Conditional => &["when_control", "when_label", "then_control", "then"],
            Kind::MinSize => &["control", "label", "min_width", "min_height", "min_area"],
            Kind::NoDuplicates => &["control", "min_iou"],
            Kind::NoOverlap => &["control", "scope", "max_iou"],
            Kind::TokenBoundaries => &["control"],
            Kind::SegmentLength => &["control", "label", "min", "max"],
            Kind::Transcript => &["control", "required", "charset", "pattern", "max_length"],
            Kind::TrackContinuity => &["control", "max_gap_frames"],
        }
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Rule, D::Error> {
        deserializer.deserialize_map(RuleVisitor)
    }
}

/// The values of the checks' fields, by [`K`].
#[derive(Default)]
struct Fields([Slot; K::NAMES.len()]);

impl Fields {
    fn slot(&mut self, key: K) -> &mut Slot {
        &mut self.0[key as usize]
    }

    fn required<T: de::DeserializeOwned, E: de::Error>(&mut self, key: K) -> Result<T, E> {
        self.slot(key).required(key.name())
    }

    fn or_default<T: de::DeserializeOwned + Default, E: de::Error>(&mut self, key: K) -> Result<T, E> {
        self.slot(key).or_default(key.name())
    }

    /// The check of kind `kind`, its fields read in `Check`'s order. `unknown` is the first key
    /// that is no check's field.
    fn check<E: de::Error>(mut self, kind: Kind, unknown: Option<String>) -> Result<Check, E> {
        let expected = kind.fields();
        let foreign = K::ALL.iter().find(|k| !self.0[**k as usize].is_absent() && !expected.contains(&k.name()));
        if let Some(key) = unknown.as_deref().or(foreign.map(|k| k.name())) {
            return Err(E::unknown_field(key, expected));
        }
        use K as F;
        Ok(match kind {
            Kind::Count => Check::Count {
                control: self.required(F::Control)?,
                label: self.or_default(F::Label)?,
                min: self.or_default(F::Min)?,
                max: self.or_default(F::Max)?,
            },
            Kind::RequiredAttribute => Check::RequiredAttribute {
                control: self.required(F::Control)?,
                label: self.or_default(F::Label)?,
                attribute: self.required(F::Attribute)?,
                allowed: self.or_default(F::Allowed)?,
            },
            Kind::Conditional => Check::Conditional {
                when_control: self.required(F::WhenControl)?,
                when_label: self.required(F::WhenLabel)?,
                then_control: self.required(F::ThenControl)?,
                then: self.required(F::Then)?,
            },
            Kind::MinSize => Check::MinSize {
                control: self.required(F::Control)?,
                label: self.or_default(F::Label)?,
                min_width: self.or_default(F::MinWidth)?,
                min_height: self.or_default(F::MinHeight)?,
                min_area: self.or_default(F::MinArea)?,
            },
            Kind::NoDuplicates => Check::NoDuplicates {
                control: self.required(F::Control)?,
                min_iou: self.slot(F::MinIou).take("min_iou")?.unwrap_or_else(default_duplicate_iou),
            },
            Kind::NoOverlap => Check::NoOverlap {
                control: self.required(F::Control)?,
                scope: self.or_default(F::Scope)?,
                max_iou: self.or_default(F::MaxIou)?,
            },
            Kind::TokenBoundaries => Check::TokenBoundaries { control: self.required(F::Control)? },
            Kind::SegmentLength => Check::SegmentLength {
                control: self.required(F::Control)?,
                label: self.or_default(F::Label)?,
                min: self.or_default(F::Min)?,
                max: self.or_default(F::Max)?,
            },
            Kind::Transcript => Check::Transcript {
                control: self.required(F::Control)?,
                required: self.or_default(F::Required)?,
                charset: self.or_default(F::Charset)?,
                pattern: self.or_default(F::Pattern)?,
                max_length: self.or_default(F::MaxLength)?,
            },
            Kind::TrackContinuity => Check::TrackContinuity {
                control: self.required(F::Control)?,
                max_gap_frames: self.required(F::MaxGapFrames)?,
            },
        })
    }
}

struct RuleVisitor;

impl<'de> Visitor<'de> for RuleVisitor {
    type Value = Rule;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("struct Rule")
    }

    /// The rule's own fields are read as they come; the check when the object ends, which is
    /// also when the derive read it.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rule, A::Error> {
        let (mut severity, mut message, mut guideline) = (None, None, None);
        let mut tag = Slot::Absent;
        let mut fields = Fields::default();
        let mut unknown = None;
        while let Some(key) = map.next_key_seed(KeyIn(K::find))? {
            match key {
                Key::Known(i) => match K::ALL[i] {
                    K::Severity => next_once(&mut map, &mut severity, "severity")?,
                    K::Message => next_once(&mut map, &mut message, "message")?,
                    K::Guideline => next_once(&mut map, &mut guideline, "guideline")?,
                    K::Rule => tag.fill(map.next_value()?),
                    field => fields.slot(field).fill(map.next_value()?),
                },
                // Read rather than skipped, as the derive buffered it.
                Key::Other(name) => {
                    map.next_value::<Value>()?;
                    unknown.get_or_insert(name);
                }
            }
        }
        let kind = Kind::ALL[tag_of(tag, "rule", VariantIn(Kind::NAMES))?];
        Ok(Rule {
            check: fields.check(kind, unknown)?,
            severity: severity.unwrap_or_else(error_severity),
            message: message.flatten(),
            guideline: guideline.flatten(),
        })
    }
}
