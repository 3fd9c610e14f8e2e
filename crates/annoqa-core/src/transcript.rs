//! Transcript comparison: configurable text normalisation, then word and character error rates
//! by Levenshtein alignment, as jiwer (4.x) defines them.
//!
//! - WER = (S + D + I) / (S + D + H) over words, CER the same over characters, where S, D, I
//!   and H count substitutions, deletions, insertions and hits of a minimum-edit alignment of
//!   the hypothesis (annotation) to the reference (gold).
//! - Empty reference: as jiwer 4, the rate is the number of insertions (0 when the hypothesis
//!   is empty too, so not a ratio and not capped at 1). [`EditCounts::accuracy`] maps any rate
//!   to a 0–1 score.
//! - Words are split on Unicode white space (jiwer splits on `" "` after collapsing runs of
//!   white space; the two agree once [`Normalization::collapse_whitespace`] has run).
//!   Characters are Unicode scalar values (Python `str` items) of the text with leading and
//!   trailing white space removed; inner spaces count.
//! - The rates are unique; the split of the errors into S, D and I is not when several
//!   alignments have the minimum cost. Ties are broken towards deletions, then
//!   substitutions, then insertions, after taking common prefixes and suffixes as hits; that
//!   reproduces rapidfuzz (which jiwer calls) on about 99% of random inputs, and the
//!   cross-check (`xtask/crosscheck`) reports the other splits apart from real disagreements.

use serde::{Deserialize, Serialize};

/// How transcripts are normalised before comparison. Steps run in this order: lower-case,
/// strip punctuation, drop filler tokens, collapse white space.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Normalization {
    /// Unicode lower-casing (`str::to_lowercase`, like Python's `str.lower`).
    pub lowercase: bool,
    /// Remove every character of Unicode general category P (punctuation), as jiwer's
    /// `RemovePunctuation`: removed, not replaced by a space, so "don't" becomes "dont" and
    /// "well-known" "wellknown". Symbols (`$`, `+`, emoji) stay.
    pub strip_punctuation: bool,
    /// Trim, and replace every run of white space by one space.
    pub collapse_whitespace: bool,
    /// Whole words to drop, e.g. "uh", "um". They go through the same lower-casing and
    /// punctuation steps as the text, so "Uh," in the list matches "uh" in the text. Dropping
    /// fillers joins the remaining words with single spaces.
    pub fillers: Vec<String>,
}

impl Default for Normalization {
    fn default() -> Normalization {
        Normalization { lowercase: true, strip_punctuation: true, collapse_whitespace: true, fillers: Vec::new() }
    }
}

impl Normalization {
    /// Everything off: texts are compared as typed.
    pub fn none() -> Normalization {
        Normalization { lowercase: false, strip_punctuation: false, collapse_whitespace: false, fillers: Vec::new() }
    }

    /// `text` normalised.
    pub fn apply(&self, text: &str) -> String {
        let mut out = self.characters(text);
        if !self.fillers.is_empty() {
            let fillers: Vec<String> = self.fillers.iter().map(|f| self.characters(f).trim().to_string()).collect();
            out = out.split_whitespace().filter(|w| !fillers.iter().any(|f| f == w)).collect::<Vec<_>>().join(" ");
        }
        if self.collapse_whitespace {
            out = out.split_whitespace().collect::<Vec<_>>().join(" ");
        }
        out
    }

    fn characters(&self, text: &str) -> String {
        let lowered = if self.lowercase { text.to_lowercase() } else { text.to_string() };
        if self.strip_punctuation {
            lowered.chars().filter(|&c| !is_punctuation(c)).collect()
        } else {
            lowered
        }
    }
}

/// Whether `c` is in Unicode general category P (Pc, Pd, Ps, Pe, Pi, Pf, Po).
pub fn is_punctuation(c: char) -> bool {
    let c = u32::from(c);
    PUNCTUATION
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// The operations of a minimum-edit alignment of a hypothesis to a reference.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct EditCounts {
    pub hits: usize,
    pub substitutions: usize,
    pub deletions: usize,
    pub insertions: usize,
}

impl EditCounts {
    /// Length of the reference: H + S + D.
    pub fn reference_len(&self) -> usize {
        self.hits + self.substitutions + self.deletions
    }

    /// Length of the hypothesis: H + S + I.
    pub fn hypothesis_len(&self) -> usize {
        self.hits + self.substitutions + self.insertions
    }

    /// Levenshtein distance: S + D + I.
    pub fn errors(&self) -> usize {
        self.substitutions + self.deletions + self.insertions
    }

    /// (S + D + I) / (S + D + H); with an empty reference, the number of insertions (jiwer 4).
    pub fn error_rate(&self) -> f64 {
        match self.reference_len() {
            0 => self.insertions as f64,
            n => self.errors() as f64 / n as f64,
        }
    }

    /// 1 − error rate, floored at 0: a 0–1 score for gold reports.
    pub fn accuracy(&self) -> f64 {
        (1.0 - self.error_rate()).max(0.0)
    }
}

/// Word errors of `hypothesis` against `reference` after normalising both.
pub fn word_errors(reference: &str, hypothesis: &str, normalization: &Normalization) -> EditCounts {
    let (r, h) = (normalization.apply(reference), normalization.apply(hypothesis));
    let r: Vec<&str> = r.split_whitespace().collect();
    let h: Vec<&str> = h.split_whitespace().collect();
    align(&r, &h)
}

/// Character errors of `hypothesis` against `reference` after normalising both.
pub fn char_errors(reference: &str, hypothesis: &str, normalization: &Normalization) -> EditCounts {
    let (r, h) = (normalization.apply(reference), normalization.apply(hypothesis));
    let r: Vec<char> = r.trim().chars().collect();
    let h: Vec<char> = h.trim().chars().collect();
    align(&r, &h)
}

/// Minimum-edit alignment counts of two sequences (see the module documentation for ties).
///
/// Common prefix and suffix are hits; the middle takes O(n·m) time and O(m) memory: each cell
/// of the dynamic programme carries its alignment's counts instead of a back-pointer, which is
/// the same as backtracking with a fixed preference.
pub fn align<T: PartialEq>(reference: &[T], hypothesis: &[T]) -> EditCounts {
    let prefix = reference.iter().zip(hypothesis).take_while(|(a, b)| a == b).count();
    let (r, h) = (&reference[prefix..], &hypothesis[prefix..]);
    let suffix = r.iter().rev().zip(h.iter().rev()).take_while(|(a, b)| a == b).count();
    let (r, h) = (&r[..r.len() - suffix], &h[..h.len() - suffix]);

    // `row[j]`: the best alignment of r[..i] with h[..j] as (cost, counts).
    let mut row: Vec<(usize, EditCounts)> =
        (0..=h.len()).map(|j| (j, EditCounts { insertions: j, ..EditCounts::default() })).collect();
    for (i, a) in r.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = (i + 1, EditCounts { deletions: i + 1, ..EditCounts::default() });
        for (j, b) in h.iter().enumerate() {
            let above = row[j + 1];
            let left = row[j];
            let same = a == b;
            let diag_cost = diagonal.0 + usize::from(!same);
            // Preference on equal cost: deletion, then substitution or hit, then insertion.
            let best = if above.0 < diag_cost && above.0 <= left.0 {
                (above.0 + 1, EditCounts { deletions: above.1.deletions + 1, ..above.1 })
            } else if diag_cost <= left.0 + 1 {
                let c = diagonal.1;
                let counts = if same {
                    EditCounts { hits: c.hits + 1, ..c }
                } else {
                    EditCounts { substitutions: c.substitutions + 1, ..c }
                };
                (diag_cost, counts)
            } else {
                (left.0 + 1, EditCounts { insertions: left.1.insertions + 1, ..left.1 })
            };
            diagonal = above;
            row[j + 1] = best;
        }
    }
    let mut counts = row[h.len()].1;
    counts.hits += prefix + suffix;
    counts
}

/// Inclusive code point ranges of Unicode 14.0.0 General_Category P* (Pc, Pd, Ps,
/// Pe, Pi, Pf, Po), sorted. Generated with Python's `unicodedata`, the table jiwer uses:
/// `[c for c in range(0x110000) if unicodedata.category(chr(c)).startswith("P")]`.
const PUNCTUATION: [(u32, u32); 189] = [
    (0x0021, 0x0023),
    (0x0025, 0x002A),
    (0x002C, 0x002F),
    (0x003A, 0x003B),
    (0x003F, 0x0040),
    (0x005B, 0x005D),
    (0x005F, 0x005F),
    (0x007B, 0x007B),
    (0x007D, 0x007D),
    (0x00A1, 0x00A1),
    (0x00A7, 0x00A7),
    (0x00AB, 0x00AB),
    (0x00B6, 0x00B7),
    (0x00BB, 0x00BB),
    (0x00BF, 0x00BF),
    (0x037E, 0x037E),
    (0x0387, 0x0387),
    (0x055A, 0x055F),
    (0x0589, 0x058A),
    (0x05BE, 0x05BE),
    (0x05C0, 0x05C0),
    (0x05C3, 0x05C3),
    (0x05C6, 0x05C6),
    (0x05F3, 0x05F4),
    (0x0609, 0x060A),
    (0x060C, 0x060D),
    (0x061B, 0x061B),
    (0x061D, 0x061F),
    (0x066A, 0x066D),
    (0x06D4, 0x06D4),
    (0x0700, 0x070D),
    (0x07F7, 0x07F9),
    (0x0830, 0x083E),
    (0x085E, 0x085E),
    (0x0964, 0x0965),
    (0x0970, 0x0970),
    (0x09FD, 0x09FD),
    (0x0A76, 0x0A76),
    (0x0AF0, 0x0AF0),
    (0x0C77, 0x0C77),
    (0x0C84, 0x0C84),
    (0x0DF4, 0x0DF4),
    (0x0E4F, 0x0E4F),
    (0x0E5A, 0x0E5B),
    (0x0F04, 0x0F12),
    (0x0F14, 0x0F14),
    (0x0F3A, 0x0F3D),
    (0x0F85, 0x0F85),
    (0x0FD0, 0x0FD4),
    (0x0FD9, 0x0FDA),
    (0x104A, 0x104F),
    (0x10FB, 0x10FB),
    (0x1360, 0x1368),
    (0x1400, 0x1400),
    (0x166E, 0x166E),
    (0x169B, 0x169C),
    (0x16EB, 0x16ED),
    (0x1735, 0x1736),
    (0x17D4, 0x17D6),
    (0x17D8, 0x17DA),
    (0x1800, 0x180A),
    (0x1944, 0x1945),
    (0x1A1E, 0x1A1F),
    (0x1AA0, 0x1AA6),
    (0x1AA8, 0x1AAD),
    (0x1B5A, 0x1B60),
    (0x1B7D, 0x1B7E),
    (0x1BFC, 0x1BFF),
    (0x1C3B, 0x1C3F),
    (0x1C7E, 0x1C7F),
    (0x1CC0, 0x1CC7),
    (0x1CD3, 0x1CD3),
    (0x2010, 0x2027),
    (0x2030, 0x2043),
    (0x2045, 0x2051),
    (0x2053, 0x205E),
    (0x207D, 0x207E),
    (0x208D, 0x208E),
    (0x2308, 0x230B),
    (0x2329, 0x232A),
    (0x2768, 0x2775),
    (0x27C5, 0x27C6),
    (0x27E6, 0x27EF),
    (0x2983, 0x2998),
    (0x29D8, 0x29DB),
    (0x29FC, 0x29FD),
    (0x2CF9, 0x2CFC),
    (0x2CFE, 0x2CFF),
    (0x2D70, 0x2D70),
    (0x2E00, 0x2E2E),
    (0x2E30, 0x2E4F),
    (0x2E52, 0x2E5D),
    (0x3001, 0x3003),
    (0x3008, 0x3011),
    (0x3014, 0x301F),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x30A0, 0x30A0),
    (0x30FB, 0x30FB),
    (0xA4FE, 0xA4FF),
    (0xA60D, 0xA60F),
    (0xA673, 0xA673),
    (0xA67E, 0xA67E),
    (0xA6F2, 0xA6F7),
    (0xA874, 0xA877),
    (0xA8CE, 0xA8CF),
    (0xA8F8, 0xA8FA),
    (0xA8FC, 0xA8FC),
    (0xA92E, 0xA92F),
    (0xA95F, 0xA95F),
    (0xA9C1, 0xA9CD),
    (0xA9DE, 0xA9DF),
    (0xAA5C, 0xAA5F),
    (0xAADE, 0xAADF),
    (0xAAF0, 0xAAF1),
    (0xABEB, 0xABEB),
    (0xFD3E, 0xFD3F),
    (0xFE10, 0xFE19),
    (0xFE30, 0xFE52),
    (0xFE54, 0xFE61),
    (0xFE63, 0xFE63),
    (0xFE68, 0xFE68),
    (0xFE6A, 0xFE6B),
    (0xFF01, 0xFF03),
    (0xFF05, 0xFF0A),
    (0xFF0C, 0xFF0F),
    (0xFF1A, 0xFF1B),
    (0xFF1F, 0xFF20),
    (0xFF3B, 0xFF3D),
    (0xFF3F, 0xFF3F),
    (0xFF5B, 0xFF5B),
    (0xFF5D, 0xFF5D),
    (0xFF5F, 0xFF65),
    (0x10100, 0x10102),
    (0x1039F, 0x1039F),
    (0x103D0, 0x103D0),
    (0x1056F, 0x1056F),
    (0x10857, 0x10857),
    (0x1091F, 0x1091F),
    (0x1093F, 0x1093F),
    (0x10A50, 0x10A58),
    (0x10A7F, 0x10A7F),
    (0x10AF0, 0x10AF6),
    (0x10B39, 0x10B3F),
    (0x10B99, 0x10B9C),
    (0x10EAD, 0x10EAD),
    (0x10F55, 0x10F59),
    (0x10F86, 0x10F89),
    (0x11047, 0x1104D),
    (0x110BB, 0x110BC),
    (0x110BE, 0x110C1),
    (0x11140, 0x11143),
    (0x11174, 0x11175),
    (0x111C5, 0x111C8),
    (0x111CD, 0x111CD),
    (0x111DB, 0x111DB),
    (0x111DD, 0x111DF),
    (0x11238, 0x1123D),
    (0x112A9, 0x112A9),
    (0x1144B, 0x1144F),
    (0x1145A, 0x1145B),
    (0x1145D, 0x1145D),
    (0x114C6, 0x114C6),
    (0x115C1, 0x115D7),
    (0x11641, 0x11643),
    (0x11660, 0x1166C),
    (0x116B9, 0x116B9),
    (0x1173C, 0x1173E),
    (0x1183B, 0x1183B),
    (0x11944, 0x11946),
    (0x119E2, 0x119E2),
    (0x11A3F, 0x11A46),
    (0x11A9A, 0x11A9C),
    (0x11A9E, 0x11AA2),
    (0x11C41, 0x11C45),
    (0x11C70, 0x11C71),
    (0x11EF7, 0x11EF8),
    (0x11FFF, 0x11FFF),
    (0x12470, 0x12474),
    (0x12FF1, 0x12FF2),
    (0x16A6E, 0x16A6F),
    (0x16AF5, 0x16AF5),
    (0x16B37, 0x16B3B),
    (0x16B44, 0x16B44),
    (0x16E97, 0x16E9A),
    (0x16FE2, 0x16FE2),
    (0x1BC9F, 0x1BC9F),
    (0x1DA87, 0x1DA8B),
    (0x1E95E, 0x1E95F),
];

// Unit tests are native only: proptest needs an OS random source that wasm32 lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn counts(h: usize, s: usize, d: usize, i: usize) -> EditCounts {
        EditCounts { hits: h, substitutions: s, deletions: d, insertions: i }
    }

    #[test]
    fn normalisation_steps() {
        let n = Normalization { fillers: vec!["Uh,".into(), "um".into()], ..Normalization::default() };
        assert_eq!(n.apply("  Uh, the  QUICK brown-fox… um jumps!  "), "the quick brownfox jumps");
        // Unicode punctuation (Spanish marks, CJK full stop, guillemets) goes; symbols stay.
        let d = Normalization::default();
        assert_eq!(d.apply("¿Qué tal? «Bien»。 $5 + 😀"), "qué tal bien $5 + 😀");
        assert_eq!(Normalization::none().apply(" A,  b "), " A,  b ");
        assert!(is_punctuation('\'') && is_punctuation('—') && is_punctuation('_'));
        assert!(!is_punctuation('a') && !is_punctuation('$') && !is_punctuation('\u{301}'));
    }

    #[test]
    fn wer_worked_examples() {
        let none = Normalization::none();
        // "the cat sat on the mat" vs "the cat sit on mat": sat→sit (S), "the" dropped (D),
        // 4 hits: WER = 2 / 6.
        let c = word_errors("the cat sat on the mat", "the cat sit on mat", &none);
        assert_eq!(c, counts(4, 1, 1, 0));
        assert_eq!(c.error_rate(), 2.0 / 6.0);
        // Extra words only: 2 insertions over 2 reference words = 1.0; accuracy floors at 0.
        let c = word_errors("hello world", "oh hello big world", &none);
        assert_eq!(c, counts(2, 0, 0, 2));
        assert_eq!((c.error_rate(), c.accuracy()), (1.0, 0.0));
        // Normalisation makes these identical.
        let c = word_errors("Hello, World!", "hello   world", &Normalization::default());
        assert_eq!(c.error_rate(), 0.0);
        // jiwer's tie-breaking: "a b" → "b c" is two substitutions, not D + I.
        assert_eq!(word_errors("a b", "b c", &none), counts(0, 2, 0, 0));
    }

    #[test]
    fn empty_reference_conventions() {
        let none = Normalization::none();
        assert_eq!(word_errors("", "", &none).error_rate(), 0.0);
        // jiwer 4: the rate is the number of insertions.
        assert_eq!(word_errors("", "a b", &none).error_rate(), 2.0);
        assert_eq!(word_errors("a", "", &none).error_rate(), 1.0);
    }

    #[test]
    fn cer_worked_example() {
        // "ab cd" vs "abd": delete " " and "c": 3 hits, 2 deletions, CER 2/5 (as jiwer).
        let c = char_errors("ab cd", "abd", &Normalization::none());
        assert_eq!(c, counts(3, 0, 2, 0));
        assert_eq!(c.error_rate(), 0.4);
        // Characters are scalar values: "é" precomposed is one, an emoji is one.
        assert_eq!(char_errors("café 😀", "cafe 😀", &Normalization::none()), counts(5, 1, 0, 0));
    }

    /// Plain Levenshtein distance, for reference.
    fn distance(a: &[u8], b: &[u8]) -> usize {
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, x) in a.iter().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, y) in b.iter().enumerate() {
                let cur = (prev + usize::from(x != y)).min(row[j] + 1).min(row[j + 1] + 1);
                prev = row[j + 1];
                row[j + 1] = cur;
            }
        }
        row[b.len()]
    }

    proptest! {
        #[test]
        fn counts_are_a_minimum_alignment(
            r in proptest::collection::vec(0u8..4, 0..12),
            h in proptest::collection::vec(0u8..4, 0..12),
        ) {
            let c = align(&r, &h);
            prop_assert_eq!(c.reference_len(), r.len());
            prop_assert_eq!(c.hypothesis_len(), h.len());
            prop_assert_eq!(c.errors(), distance(&r, &h));
            prop_assert!(c.error_rate().is_finite() && c.accuracy() >= 0.0);
        }

        #[test]
        fn normalisation_never_panics_and_is_idempotent(text in "\\PC{0,40}") {
            let n = Normalization { fillers: vec!["uh".into()], ..Normalization::default() };
            let once = n.apply(&text);
            prop_assert_eq!(n.apply(&once), once.clone());
            let _ = char_errors(&text, &once, &n);
        }
    }
}
