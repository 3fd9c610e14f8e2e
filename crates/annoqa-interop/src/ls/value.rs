//! A JSON value that borrows its strings from the bytes it was parsed from.
//!
//! A Label Studio export is hundreds of megabytes of small objects. `serde_json::Value` gives
//! every key and string its own allocation and every object a `BTreeMap`; this value keeps
//! strings as slices of the input (an allocation only for a string with escapes) and an
//! object's fields as a list in input order. Natively a task is parsed by [`parse`](super::parse),
//! which builds the same value as serde_json and leaves serde_json whatever it is unsure of;
//! otherwise (and in the WebAssembly module, which keeps one parser) serde_json parses, so error
//! messages and positions are serde_json's.
//!
//! Reading it answers as `serde_json::Value` would: of a key given twice the last counts, and
//! [`Json::to_serde`] turns it into one for the rare places that print JSON back.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One parsed JSON value; strings borrow from the input where they can.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Object<'a>),
}

/// A JSON number as serde_json tells it apart: a non-negative integer, a negative integer or
/// a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Number {
    PosInt(u64),
    NegInt(i64),
    Float(f64),
}

/// An object's fields in input order (duplicates kept; [`Object::get`] finds the last).
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Object<'a> {
    fields: Vec<(Cow<'a, str>, Json<'a>)>,
}

impl<'a> Json<'a> {
    pub(super) fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Json::Object(object) => Some(object),
            _ => None,
        }
    }

    pub(super) fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Array(list) => Some(list),
            _ => None,
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Any number as a float (integers beyond 2^53 rounded, as serde_json does).
    pub(super) fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(Number::PosInt(n)) => Some(*n as f64),
            Json::Number(Number::NegInt(n)) => Some(*n as f64),
            Json::Number(Number::Float(n)) => Some(*n),
            _ => None,
        }
    }

    /// A non-negative integer written without a fraction or exponent.
    pub(super) fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(Number::PosInt(n)) => Some(*n),
            _ => None,
        }
    }

    pub(super) fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub(super) fn is_number(&self) -> bool {
        matches!(self, Json::Number(_))
    }

    pub(super) fn is_string(&self) -> bool {
        matches!(self, Json::String(_))
    }

    pub(super) fn is_array(&self) -> bool {
        matches!(self, Json::Array(_))
    }

    /// An object's field; `None` for anything but an object.
    pub(super) fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.as_object()?.get(key)
    }

    /// The same value as a `serde_json::Value` (keys sorted, the last of a repeated key kept),
    /// for printing it back as JSON exactly as serde_json prints.
    pub(super) fn to_serde(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.to_serde()),
            Json::String(s) => Value::String(s.clone().into_owned()),
            Json::Array(list) => Value::Array(list.iter().map(Json::to_serde).collect()),
            Json::Object(object) => Value::Object(object.to_serde()),
        }
    }
}

/// Compact JSON, as `serde_json::Value`'s `Display` writes it.
impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_serde(), f)
    }
}

impl Number {
    fn to_serde(self) -> serde_json::Number {
        match self {
            Number::PosInt(n) => n.into(),
            Number::NegInt(n) => n.into(),
            // The parser gives finite floats only.
            Number::Float(n) => serde_json::Number::from_f64(n).unwrap_or_else(|| 0.into()),
        }
    }
}

/// Numbers print as serde_json prints them (`7`, `-3`, `0.5`, `1e300`).
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_serde(), f)
    }
}

impl<'a> Object<'a> {
    /// An object of these fields, in input order.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn from_fields(fields: Vec<(Cow<'a, str>, Json<'a>)>) -> Self {
        Object { fields }
    }

    /// The last field named `key` (serde_json keeps the last of a repeated key).
    pub(super) fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.fields.iter().rev().find(|(name, _)| name == key).map(|(_, value)| value)
    }

    pub(super) fn contains_key(&self, key: &str) -> bool {
        self.fields.iter().any(|(name, _)| name == key)
    }

    /// How many distinct keys.
    pub(super) fn len(&self) -> usize {
        self.distinct().len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Each distinct key with its last value, in key order (as a `serde_json::Map` iterates).
    pub(super) fn distinct(&self) -> Vec<(&str, &Json<'a>)> {
        // Each key put in its sorted place as it comes (no sort of its own: in the WebAssembly
        // module every sort is another copy of the sorting code).
        let mut fields: Vec<(&str, &Json<'a>)> = Vec::with_capacity(self.fields.len());
        for (name, value) in &self.fields {
            match fields.binary_search_by(|(seen, _)| (*seen).cmp(name)) {
                Ok(at) => fields[at].1 = value,
                Err(at) => fields.insert(at, (name, value)),
            }
        }
        fields
    }

    pub(super) fn to_serde(&self) -> serde_json::Map<String, serde_json::Value> {
        // Inserted one by one, the last of a repeated key kept (`collect` would sort first).
        let mut map = serde_json::Map::new();
        for (name, value) in &self.fields {
            map.insert(name.clone().into_owned(), value.to_serde());
        }
        map
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json<'de>, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

pub(super) struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json<'de>, D::Error> {
        Json::deserialize(deserializer)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(Number::PosInt(n)))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        // serde_json calls this for negative integers only, as its own value tells them apart.
        Ok(Json::Number(if n < 0 { Number::NegInt(n) } else { Number::PosInt(n.unsigned_abs()) }))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json<'de>, E> {
        Ok(Json::Number(Number::Float(n)))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(value) = seq.next_element()? {
            list.push(value);
        }
        Ok(Json::Array(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        // serde_json gives no size hint; a Label Studio result has eight fields and its value
        // six, so eight saves their regrowth.
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(Key(key)) = map.next_key()? {
            fields.push((key, map.next_value()?));
        }
        Ok(Json::Object(Object { fields }))
    }
}

/// A map key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(s)))
    }
}
