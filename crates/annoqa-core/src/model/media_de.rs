//! `Media`'s `Deserialize`, written by hand (`crate::de` says why): it reads the JSON the
//! internally tagged derive read, with its messages.
//!
//! - an object: `type` is read where it stands (an unknown kind is an error at its value, a
//!   second `type` at its key); the other keys wait for the end of the object, when the kind's
//!   fields are read and every other key is ignored;
//! - an array, as serde reads an internally tagged enum from one: the kind, then the kind's
//!   fields in their declared order.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::Media;
use crate::de::{keys, Key, KeyIn, Slot, VariantIn};

keys! {
    /// The keys of a media object: its tag, then every kind's fields.
    K {
        Type = "type",
        Text = "text",
        Src = "src",
        Width = "width",
        Height = "height",
        Duration = "duration",
        SampleRate = "sample_rate",
        Channels = "channels",
        FrameRate = "frame_rate",
        FrameCount = "frame_count",
    }
}

keys! {
    /// The kinds, in `Media`'s order.
    Kind {
        Text = "text",
        Image = "image",
        Audio = "audio",
        Video = "video",
    }
}

impl Kind {
    /// The kind's fields in `Media`'s order, which is the order of an array's elements.
    fn fields(self) -> &'static [K] {
        match self {
            Kind::Text => &[K::Text],
            Kind::Image => &[K::Src, K::Width, K::Height],
            Kind::Audio => &[K::Src, K::Duration, K::SampleRate, K::Channels],
            Kind::Video => &[K::Src, K::Width, K::Height, K::FrameRate, K::FrameCount],
        }
    }

    /// What an array too short for the kind was expected to be, in the derive's words.
    fn expecting(self) -> &'static str {
        match self {
            Kind::Text => "struct variant Media::Text with 1 element",
            Kind::Image => "struct variant Media::Image with 3 elements",
            Kind::Audio => "struct variant Media::Audio with 4 elements",
            Kind::Video => "struct variant Media::Video with 5 elements",
        }
    }
}

impl<'de> Deserialize<'de> for Media {
    /// The kind's fields are read after the object or array is, outside the visitor, as the
    /// derive read them: so a parser that places errors (serde_json) places an error in a field
    /// after the object, where it placed the derive's, and not at its end.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Media, D::Error> {
        let (kind, fields) = deserializer.deserialize_any(MediaVisitor)?;
        fields.media(kind)
    }
}

/// The values of the kinds' fields, by [`K`].
#[derive(Default)]
struct Fields {
    slots: [Slot; K::NAMES.len()],
    /// From an array: how many elements followed the tag.
    elements: Option<usize>,
}

impl Fields {
    fn slot(&mut self, key: K) -> &mut Slot {
        &mut self.slots[key as usize]
    }

    /// A field without a default. An array too short to hold it fails as the derive's
    /// sequence form failed.
    fn required<T: de::DeserializeOwned, E: de::Error>(&mut self, key: K, kind: Kind) -> Result<T, E> {
        match (self.slot(key).take(key.name())?, self.elements) {
            (Some(value), _) => Ok(value),
            (None, None) => Err(E::missing_field(key.name())),
            (None, Some(len)) => Err(E::invalid_length(len, &kind.expecting())),
        }
    }

    fn media<E: de::Error>(mut self, kind: Kind) -> Result<Media, E> {
        let media = match kind {
            Kind::Text => Media::Text { text: self.required(K::Text, kind)? },
            Kind::Image => Media::Image {
                src: self.required(K::Src, kind)?,
                width: self.required(K::Width, kind)?,
                height: self.required(K::Height, kind)?,
            },
            Kind::Audio => Media::Audio {
                src: self.required(K::Src, kind)?,
                duration: self.required(K::Duration, kind)?,
                sample_rate: self.slot(K::SampleRate).or_default("sample_rate")?,
                channels: self.slot(K::Channels).or_default("channels")?,
            },
            Kind::Video => Media::Video {
                src: self.required(K::Src, kind)?,
                width: self.required(K::Width, kind)?,
                height: self.required(K::Height, kind)?,
                frame_rate: self.required(K::FrameRate, kind)?,
                frame_count: self.required(K::FrameCount, kind)?,
            },
        };
        // An array longer than the kind's fields, as serde's sequence reader refuses it.
        let expected = kind.fields().len();
        match self.elements {
            Some(len) if len > expected => Err(E::invalid_length(len, &ElementsInSequence(expected))),
            _ => Ok(media),
        }
    }
}

/// serde's words for the length an array was expected to have.
struct ElementsInSequence(usize);

impl de::Expected for ElementsInSequence {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => formatter.write_str("1 element in sequence"),
            n => write!(formatter, "{n} elements in sequence"),
        }
    }
}

struct MediaVisitor;

impl<'de> Visitor<'de> for MediaVisitor {
    type Value = (Kind, Fields);

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("internally tagged enum Media")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(Kind, Fields), A::Error> {
        let mut kind = None;
        let mut fields = Fields::default();
        while let Some(key) = map.next_key_seed(KeyIn(K::find))? {
            match key {
                Key::Known(i) => match K::ALL[i] {
                    K::Type => {
                        if kind.is_some() {
                            return Err(de::Error::duplicate_field("type"));
                        }
                        kind = Some(map.next_value_seed(VariantIn(Kind::NAMES))?);
                    }
                    field => fields.slot(field).fill(map.next_value()?),
                },
                // Read rather than skipped, as the derive buffered it.
                Key::Other(_) => drop(map.next_value::<Value>()?),
            }
        }
        let kind = kind.ok_or_else(|| de::Error::missing_field("type"))?;
        Ok((Kind::ALL[kind], fields))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(Kind, Fields), A::Error> {
        let kind = seq.next_element_seed(VariantIn(Kind::NAMES))?.ok_or_else(|| de::Error::missing_field("type"))?;
        let kind = Kind::ALL[kind];
        let mut fields = Fields::default();
        let mut len = 0;
        while let Some(value) = seq.next_element::<Value>()? {
            if let Some(key) = kind.fields().get(len) {
                fields.slot(*key).fill(value);
            }
            len += 1;
        }
        fields.elements = Some(len);
        Ok((kind, fields))
    }
}
