//! Rankings: how far an annotated order (and sorting into buckets) is from gold's.
//!
//! Definitions (each a 0–1 agreement, 1 for gold's own answer):
//! - Order: 1 − the normalised Kendall tau distance, i.e. 1 − D / P, where P = k(k − 1)/2 for
//!   the k ids that both orders contain and D counts the discordant pairs among them (ranked
//!   one way by gold, the other way by the annotation). Ids that only one side ranks do not
//!   enter; an id listed twice counts at its first place. With k < 2 there is no pair to get
//!   wrong: 1. D is counted as the inversions of a merge sort, O(k log k).
//! - Buckets: the mean over gold's buckets of the Jaccard index |G ∩ A| / |G ∪ A| of the ids
//!   gold puts in the bucket (G) and those the annotation puts in the bucket of the same name
//!   (A); two empty sets agree (1). Order within a bucket does not count.
//! - The control's score is the mean of the parts gold answers (order when gold has one,
//!   buckets when gold has some). A gold ranking with neither agrees only with an empty one.
//!
//! The score is 1 → `matched`; below 1 → `ranking_off` with the agreement. No ranking where
//! gold has one is `missed` (0).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::outcome::ControlOutcome;
use super::report::{Feedback, RegionVerdict, Verdict};
use crate::{Control, Region, RegionValue};

/// Ids in bucket order, by bucket name.
type Buckets = BTreeMap<String, Vec<String>>;

/// The order and buckets of the first ranking among `regions`.
fn ranking<'a>(regions: &[&'a Region]) -> Option<(&'a [String], &'a Buckets)> {
    regions.iter().find_map(|r| match &r.value {
        RegionValue::Ranking { order, buckets } => Some((order.as_slice(), buckets)),
        _ => None,
    })
}

/// Discordant pairs and all pairs among the ids both orders rank.
pub(crate) fn kendall_counts(gold: &[String], mine: &[String]) -> (u64, u64) {
    let mut place: HashMap<&str, usize> = HashMap::with_capacity(mine.len());
    for (i, id) in mine.iter().enumerate() {
        place.entry(id.as_str()).or_insert(i);
    }
    let mut seen: HashSet<&str> = HashSet::with_capacity(gold.len());
    // Annotated places of the shared ids, in gold's order: an inversion is a discordant pair.
    let mut places: Vec<usize> =
        gold.iter().filter(|id| seen.insert(id.as_str())).filter_map(|id| place.get(id.as_str()).copied()).collect();
    let k = places.len() as u64;
    let discordant = count_inversions(&mut places);
    (discordant, k * k.saturating_sub(1) / 2)
}

/// Pairs `i < j` with `values[i] > values[j]`, by merge sort (sorts `values`).
fn count_inversions(values: &mut [usize]) -> u64 {
    let mut buffer = values.to_vec();
    let mut inversions = 0u64;
    let mut width = 1;
    while width < values.len() {
        for start in (0..values.len()).step_by(2 * width) {
            let middle = (start + width).min(values.len());
            let end = (start + 2 * width).min(values.len());
            let (mut i, mut j) = (start, middle);
            for slot in &mut buffer[start..end] {
                if j >= end || (i < middle && values[i] <= values[j]) {
                    *slot = values[i];
                    i += 1;
                } else {
                    // Every value still waiting on the left is larger than this one.
                    inversions += (middle - i) as u64;
                    *slot = values[j];
                    j += 1;
                }
            }
        }
        values.copy_from_slice(&buffer);
        width *= 2;
    }
    inversions
}

/// 1 − D / P, and 1 without pairs.
pub(crate) fn order_agreement(gold: &[String], mine: &[String]) -> f64 {
    match kendall_counts(gold, mine) {
        (_, 0) => 1.0,
        (discordant, pairs) => 1.0 - discordant as f64 / pairs as f64,
    }
}

/// The mean Jaccard index per gold bucket; 1 when gold has no buckets.
pub(crate) fn bucket_agreement(gold: &Buckets, mine: &Buckets) -> f64 {
    if gold.is_empty() {
        return 1.0;
    }
    let total: f64 = gold
        .iter()
        .map(|(name, expected)| {
            let expected: HashSet<&str> = expected.iter().map(String::as_str).collect();
            let got: HashSet<&str> = mine.get(name).into_iter().flatten().map(String::as_str).collect();
            let union = expected.union(&got).count();
            if union == 0 {
                1.0
            } else {
                expected.intersection(&got).count() as f64 / union as f64
            }
        })
        .sum();
    total / gold.len() as f64
}

pub(crate) fn score_ranking(control: &Control, mine: &[&Region], theirs: &[&Region]) -> ControlOutcome {
    let what = if control.prompt.is_empty() { control.name.as_str() } else { control.prompt.as_str() };
    let mut out = ControlOutcome::scored(0.0);
    let verdict = |verdict| RegionVerdict {
        control: control.name.clone(),
        region: mine.first().map(|r| r.id.clone()),
        gold_region: theirs.first().map(|r| r.id.clone()),
        verdict,
    };
    let (Some((gold_order, gold_buckets)), Some((order, buckets))) = (ranking(theirs), ranking(mine)) else {
        out.feedback.push(Feedback {
            message: format!("{what}: no ranking"),
            hint: None,
            guideline: control.guideline.clone(),
        });
        out.verdicts.push(verdict(Verdict::Missed));
        return out;
    };
    let mut parts = Vec::new();
    if !gold_order.is_empty() {
        let agreement = order_agreement(gold_order, order);
        out.metrics.insert("kendall_distance".into(), 1.0 - agreement);
        parts.push(agreement);
    }
    if !gold_buckets.is_empty() {
        let agreement = bucket_agreement(gold_buckets, buckets);
        out.metrics.insert("bucket_jaccard".into(), agreement);
        parts.push(agreement);
    }
    out.score = if parts.is_empty() {
        f64::from(u8::from(order.is_empty() && buckets.is_empty()))
    } else {
        parts.iter().sum::<f64>() / parts.len() as f64
    };
    if out.score >= 1.0 {
        out.verdicts.push(verdict(Verdict::Matched { offsets: None }));
    } else {
        out.verdicts.push(verdict(Verdict::RankingOff { agreement: Some(out.score) }));
        out.feedback.push(Feedback {
            message: format!("{what}: your ranking agrees {:.0}% with gold's", out.score * 100.0),
            hint: Some(format!("{what}: your ranking differs from gold's")),
            guideline: control.guideline.clone(),
        });
    }
    out
}

// Unit tests are native only: proptest needs an OS random source that wasm32 lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ids(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    /// Discordant pairs by the definition, over all pairs of shared ids.
    fn brute_force(gold: &[String], mine: &[String]) -> (u64, u64) {
        let first = |list: &[String], id: &str| list.iter().position(|x| x == id);
        let mut shared: Vec<&str> = Vec::new();
        for id in gold {
            if first(mine, id).is_some() && !shared.contains(&id.as_str()) {
                shared.push(id);
            }
        }
        let (mut discordant, mut pairs) = (0, 0);
        for i in 0..shared.len() {
            for j in i + 1..shared.len() {
                pairs += 1;
                if first(mine, shared[i]) > first(mine, shared[j]) {
                    discordant += 1;
                }
            }
        }
        (discordant, pairs)
    }

    #[test]
    fn kendall_distance_worked_examples() {
        // One swapped neighbour pair of 4 ids: 1 of 6 pairs discordant.
        assert_eq!(kendall_counts(&ids("a b c d"), &ids("b a c d")), (1, 6));
        // Reversed: every pair discordant.
        assert_eq!(order_agreement(&ids("a b c d"), &ids("d c b a")), 0.0);
        // Ids only one side ranks do not enter; fewer than two shared ids: nothing to get wrong.
        assert_eq!(kendall_counts(&ids("a b c"), &ids("x c y a")), (1, 1));
        assert_eq!(order_agreement(&ids("a b"), &ids("b")), 1.0);
        // Repeats count at their first place.
        assert_eq!(kendall_counts(&ids("a b a"), &ids("b a b")), (1, 1));
    }

    #[test]
    fn bucket_agreement_is_the_mean_jaccard_index_per_gold_bucket() {
        let buckets = |pairs: &[(&str, &str)]| -> BTreeMap<String, Vec<String>> {
            pairs.iter().map(|(name, list)| (name.to_string(), ids(list))).collect()
        };
        let gold = buckets(&[("good", "a b"), ("bad", "c")]);
        // good: {a} vs {a, b} = 1/2; bad: {b, c} vs {c} = 1/2.
        assert_eq!(bucket_agreement(&gold, &buckets(&[("good", "a"), ("bad", "b c")])), 0.5);
        // Order within a bucket does not count; buckets gold lacks only matter through the ids.
        assert_eq!(bucket_agreement(&gold, &buckets(&[("good", "b a"), ("bad", "c"), ("meh", "")])), 1.0);
        // An empty gold bucket agrees with an empty or absent one.
        assert_eq!(bucket_agreement(&buckets(&[("good", "")]), &buckets(&[])), 1.0);
        assert_eq!(bucket_agreement(&buckets(&[("good", "")]), &buckets(&[("good", "a")])), 0.0);
    }

    proptest! {
        #[test]
        fn merge_sort_counts_what_all_pairs_count(
            gold in proptest::collection::vec(0u8..12, 0..14),
            mine in proptest::collection::vec(0u8..12, 0..14),
        ) {
            let gold: Vec<String> = gold.iter().map(u8::to_string).collect();
            let mine: Vec<String> = mine.iter().map(u8::to_string).collect();
            prop_assert_eq!(kendall_counts(&gold, &mine), brute_force(&gold, &mine));
            let agreement = order_agreement(&gold, &mine);
            prop_assert!((0.0..=1.0).contains(&agreement));
        }
    }
}
