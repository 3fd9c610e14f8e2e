//! What the hand-written `Deserialize` impls of the tagged and flattened types share: `Media`
//! (`model/media_de.rs`), `Control` (`model/control_de.rs`) and `Rule` (`rule/rule_de.rs`); and
//! [`unit_variant`], the one reader of every unit-only enum. (`Region`'s, `model/region_de.rs`,
//! shares only [`next_once`] and keeps its own key and slot handling: built on the rest it read
//! 2 % more slowly natively, and the server reads regions by the hundred thousand.)
//!
//! Why by hand: serde's derive for an internally tagged enum, or for a struct with a flattened
//! field, buffers the object into serde's private `Content` tree, copies it again to find the
//! tag, and instantiates a visitor per variant over it (with its own field visitor and a
//! sequence form): replacing the derives of `Media`, `Control` and `Rule` took 18.7 KB (gzip)
//! off the npm module's 365 KB. The impls here read an object once: keys are looked up by one
//! `match` per type, values whose meaning waits for the tag are kept as `serde_json::Value`s,
//! and when the object ends each field of the tag's variant is read from its value. Every type
//! is held to its old derive by a test (`tests/region_serde.rs`, `tests/tagged_serde.rs`).
//!
//! They accept and refuse what the derive did, with its messages; of several mistakes in one
//! object they may name another one first (the derive named the first in the object's order).
//! A value kept as a `serde_json::Value` that holds an object with a repeated key keeps the last
//! value, where the derive read both (and refused a repeated field of a nested struct).

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// Declares an enum of the keys a hand-written `Deserialize` knows, with `NAMES` (their names in
/// JSON, by discriminant), `ALL` (the keys, by discriminant) and `find` (a name's discriminant).
macro_rules! keys {
    ($(#[$meta:meta])* $name:ident { $($key:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        enum $name {
            $($key,)*
        }

        // Not every type uses every item.
        #[allow(dead_code)]
        impl $name {
            const NAMES: &'static [&'static str] = &[$($text,)*];
            const ALL: &'static [$name] = &[$($name::$key,)*];

            fn name(self) -> &'static str {
                Self::NAMES[self as usize]
            }

            /// The index of the key named `name` (a `match`, which the compiler turns into a
            /// few integer comparisons: keys are looked up for every field of every object, and
            /// a search of `NAMES` read items 2 % more slowly natively).
            fn find(name: &str) -> Option<usize> {
                match name {
                    $($text => Some($name::$key as usize),)*
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use keys;

/// A key of an object: the index of one of the names looked for, or another key.
pub(crate) enum Key {
    Known(usize),
    Other(String),
}

/// Reads a key as serde reads a field identifier, looking it up with a `keys!` enum's `find`.
#[derive(Clone, Copy)]
pub(crate) struct KeyIn(pub(crate) fn(&str) -> Option<usize>);

impl<'de> DeserializeSeed<'de> for KeyIn {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for KeyIn {
    type Value = Key;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("field identifier")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
        Ok(self.0(name).map_or_else(|| Key::Other(name.to_owned()), Key::Known))
    }

    fn visit_bytes<E: de::Error>(self, name: &[u8]) -> Result<Key, E> {
        self.visit_str(&String::from_utf8_lossy(name))
    }
}

/// Reads a tag as serde reads a variant identifier: one of the variants' names, or its index in
/// the list.
#[derive(Clone, Copy)]
pub(crate) struct VariantIn(pub(crate) &'static [&'static str]);

impl VariantIn {
    /// The variant a kept tag names.
    pub(crate) fn of_value<E: de::Error>(self, value: Value) -> Result<usize, E> {
        // `deserialize_any`, not `deserialize_identifier`: serde read a buffered tag's number as
        // an index, which `Value`'s `deserialize_identifier` refuses.
        value.deserialize_any(self).map_err(E::custom)
    }
}

impl<'de> DeserializeSeed<'de> for VariantIn {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for VariantIn {
    type Value = usize;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("variant identifier")
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<usize, E> {
        match usize::try_from(index) {
            Ok(i) if i < self.0.len() => Ok(i),
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(index), &IndexBelow(self.0.len()))),
        }
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<usize, E> {
        self.0.iter().position(|n| *n == name).ok_or_else(|| E::unknown_variant(name, self.0))
    }

    fn visit_bytes<E: de::Error>(self, name: &[u8]) -> Result<usize, E> {
        self.visit_str(&String::from_utf8_lossy(name))
    }
}

/// What serde expects of a variant index, for the number of variants: `variant index 0 <= i <
/// 12`.
struct IndexBelow(usize);

impl de::Expected for IndexBelow {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "variant index 0 <= i < {}", self.0)
    }
}

/// Stores the next value in `slot`, or fails if the key came before (checked before the value
/// is read, as the derive does).
pub(crate) fn next_once<'de, A: MapAccess<'de>, T: de::Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// A value waiting for the tag.
#[derive(Default)]
pub(crate) enum Slot {
    #[default]
    Absent,
    Once(Value),
    /// Given more than once: an error if the tag's variant reads this key, nothing otherwise,
    /// as with the derive.
    Repeated,
}

impl Slot {
    pub(crate) fn fill(&mut self, value: Value) {
        *self = match self {
            Slot::Absent => Slot::Once(value),
            Slot::Once(_) | Slot::Repeated => Slot::Repeated,
        };
    }

    pub(crate) fn is_absent(&self) -> bool {
        matches!(self, Slot::Absent)
    }

    /// The value as a `T`; `None` if it was not given.
    pub(crate) fn take<T: DeserializeOwned, E: de::Error>(&mut self, name: &'static str) -> Result<Option<T>, E> {
        match std::mem::take(self) {
            Slot::Absent => Ok(None),
            Slot::Once(value) => T::deserialize(value).map(Some).map_err(E::custom),
            Slot::Repeated => Err(E::duplicate_field(name)),
        }
    }

    pub(crate) fn required<T: DeserializeOwned, E: de::Error>(&mut self, name: &'static str) -> Result<T, E> {
        self.take(name)?.ok_or_else(|| E::missing_field(name))
    }

    /// For the fields declared `#[serde(default)]`.
    pub(crate) fn or_default<T: DeserializeOwned + Default, E: de::Error>(
        &mut self,
        name: &'static str,
    ) -> Result<T, E> {
        Ok(self.take(name)?.unwrap_or_default())
    }
}

/// The tag kept in `slot`, as the index of the variant it names in `variants`; `name` is the
/// tag's key.
pub(crate) fn tag_of<E: de::Error>(slot: Slot, name: &'static str, variants: VariantIn) -> Result<usize, E> {
    match slot {
        Slot::Absent => Err(E::missing_field(name)),
        Slot::Once(value) => variants.of_value(value),
        Slot::Repeated => Err(E::duplicate_field(name)),
    }
}

/// Reads a unit-only enum as serde's derive reads one (`"warning"`, or `{"warning": null}`)
/// and returns the index in `variants` (the variants' names in JSON, in declaration order) of
/// the variant read; `name` is the enum's, for messages (`expected enum Severity`).
///
/// One copy of the reading for every such enum, where the derive made one per enum (each with
/// its own instance of the parser's enum reader): core's enums and annoqa-wasm's options use it.
pub fn unit_variant<'de, D: Deserializer<'de>>(
    deserializer: D,
    name: &'static str,
    variants: &'static [&'static str],
) -> Result<usize, D::Error> {
    deserializer.deserialize_enum(name, variants, UnitEnum { name, variants: VariantIn(variants) })
}

struct UnitEnum {
    name: &'static str,
    variants: VariantIn,
}

impl<'de> Visitor<'de> for UnitEnum {
    type Value = usize;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "enum {}", self.name)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<usize, A::Error> {
        let (index, variant) = data.variant_seed(self.variants)?;
        de::VariantAccess::unit_variant(variant)?;
        Ok(index)
    }
}

/// `Deserialize` for a unit-only enum through [`unit_variant`]: `unit_enum!(Severity { Error =
/// "error", Warning = "warning" })`, the variants in declaration order with their names in
/// JSON (`Serialize` stays derived).
#[macro_export]
macro_rules! unit_enum {
    ($name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                const ALL: &[$name] = &[$($name::$variant),*];
                let index = $crate::de::unit_variant(deserializer, stringify!($name), &[$($text),*])?;
                Ok(ALL[index])
            }
        }
    };
}
