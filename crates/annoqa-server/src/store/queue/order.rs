//! The seeded orders of the review queue, pure: which id ranges a walk visits in turn, where a
//! stratified annotator's submissions start, how annotators take turns, and the `risk` key:
//! pessimistic gold and agreement means as exact fractions.

use std::cmp::Ordering;

/// A strategy of the paged queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueStrategy {
    Random,
    Stratified,
    Risk,
}

/// The order of one walk: a strategy and a seed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QueueOrder {
    pub strategy: QueueStrategy,
    pub seed: u64,
}

/// Ids fall into `1 << BLOCK_BITS` blocks by their top bits (ids are positive, 63 bits).
const BLOCK_BITS: u32 = 4;
const BLOCKS: usize = 1 << BLOCK_BITS;
pub(super) const BLOCK_SIZE: i64 = 1 << (63 - BLOCK_BITS);

/// Ids `after < id <= upto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct IdRange {
    pub after: i64,
    pub upto: i64,
}

impl IdRange {
    pub(super) fn is_empty(self) -> bool {
        self.after >= self.upto
    }
}

impl QueueOrder {
    /// The order of annotators in a stratified round.
    pub(super) fn annotator_key(self, user_id: i64) -> (u64, i64) {
        (mix(mix(self.seed) ^ user_id as u64), user_id)
    }

    /// Where a stratified annotator's `count` submissions start in id order: their first
    /// round lists the submission at this place, the next rounds those after it, going round
    /// to the first.
    pub(super) fn first_place(self, user_id: i64, count: u64) -> u64 {
        mix(mix(self.seed.rotate_left(17)) ^ user_id as u64) % count.max(1)
    }

    /// The whole walk of `random` and `risk` as id ranges in order: the blocks in a seeded
    /// order (Fisher–Yates), each from a seeded offset up, then below it.
    pub(super) fn sequence(self) -> Vec<IdRange> {
        let mut state = self.seed;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            mix(state)
        };
        let mut blocks: Vec<i64> = (0..BLOCKS as i64).collect();
        for i in (1..BLOCKS).rev() {
            let j = usize::try_from(next() % (i as u64 + 1)).unwrap_or(0);
            blocks.swap(i, j);
        }
        let offset = i64::try_from(next() % BLOCK_SIZE as u64).unwrap_or(0);
        blocks
            .into_iter()
            .flat_map(|block| {
                let low = block * BLOCK_SIZE;
                let turn = low + offset;
                [IdRange { after: turn - 1, upto: low + (BLOCK_SIZE - 1) }, IdRange { after: low - 1, upto: turn - 1 }]
            })
            .filter(|range| !range.is_empty())
            .collect()
    }

    /// The ranges of the walk after `after` (from its start without), in walk order.
    pub(super) fn ranges(self, after: Option<i64>) -> Vec<IdRange> {
        let sequence = self.sequence();
        let Some(id) = after else { return sequence };
        match sequence.iter().position(|r| r.after < id && id <= r.upto) {
            Some(at) => {
                let mut rest = vec![IdRange { after: id, upto: sequence[at].upto }];
                rest.extend_from_slice(&sequence[at + 1..]);
                rest
            }
            // Not an id (a cursor names only listed ones): nothing follows it.
            None => Vec::new(),
        }
    }
}

/// SplitMix64's finaliser: a seed or an id spread over all 64 bits.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Part of a stratified annotator's round: `take` of their submissions from place `skip` in id
/// order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stretch {
    pub skip: u64,
    pub take: u64,
}

/// Where the ranks `first..first + rounds` of an annotator's `count` submissions are, their
/// first round at place `start`: one stretch, or two when they go round past the last.
pub(super) fn stretches(start: u64, count: u64, first: u64, rounds: u64) -> Vec<Stretch> {
    let take = rounds.min(count.saturating_sub(first));
    if take == 0 {
        return Vec::new();
    }
    let skip = (start + first) % count;
    if skip + take <= count {
        vec![Stretch { skip, take }]
    } else {
        vec![Stretch { skip, take: count - skip }, Stretch { skip: 0, take: take - (count - skip) }]
    }
}

/// A score in [0, 1] (a gold score, an agreement F1) in millionths, as an annotator's sums
/// count it.
pub(crate) fn score_micros(score: f64) -> i64 {
    (score.clamp(0.0, 1.0) * 1_000_000.0).round() as i64
}

/// How many items scoring 0 a pessimistic mean adds to an annotator's own: with little
/// evidence their mean stays low (no evidence at all is 0, the highest risk), and with much it
/// approaches their own mean.
pub(crate) const PRIOR_ITEMS: i64 = 5;

/// A mean as an exact fraction: a sum of scores in millionths over a number of items. The
/// `risk` strategy's group key, which the cursor carries: integer sums come out the same in
/// any order, so equal keys stay equal from one page to the next.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GoldMean {
    pub micros: i64,
    pub scored: i64,
}

impl GoldMean {
    /// `micros` over `count` items and [`PRIOR_ITEMS`] more scoring 0.
    pub(super) fn pessimistic(micros: i64, count: i64) -> GoldMean {
        GoldMean { micros: micros.max(0), scored: count.max(0).saturating_add(PRIOR_ITEMS) }
    }

    fn key(self) -> (i128, i128) {
        (i128::from(self.micros), i128::from(self.scored.max(1)))
    }
}

/// An annotator's kept sums, as of a walk's first page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct RiskSums {
    pub gold_micros: i64,
    pub gold_scored: i64,
    /// Their agreement F1 with peers on shared items, in millionths, over `agree_pairs` pairs.
    pub agree_micros: i64,
    pub agree_pairs: i64,
}

impl RiskSums {
    /// The `risk` strategy's key, lowest first: the smaller of the pessimistic gold mean and
    /// the pessimistic agreement mean, so that either failing gold or disagreeing with peers
    /// makes an annotator risky, and a new annotator (little of either) is riskiest. Agreement
    /// counts once the annotator has a peer on some item: in a project without overlap nobody
    /// has one, and gold alone must still tell annotators apart.
    pub(super) fn risk_key(self) -> GoldMean {
        let gold = GoldMean::pessimistic(self.gold_micros, self.gold_scored);
        if self.agree_pairs == 0 {
            return gold;
        }
        gold.min(GoldMean::pessimistic(self.agree_micros, self.agree_pairs))
    }
}

impl Ord for GoldMean {
    fn cmp(&self, other: &GoldMean) -> Ordering {
        let ((a, b), (c, d)) = (self.key(), other.key());
        (a * d).cmp(&(c * b))
    }
}

impl PartialOrd for GoldMean {
    fn partial_cmp(&self, other: &GoldMean) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GoldMean {
    fn eq(&self, other: &GoldMean) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GoldMean {}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(seed: u64) -> QueueOrder {
        QueueOrder { strategy: QueueStrategy::Random, seed }
    }

    #[test]
    fn a_walk_covers_every_positive_id_once() {
        for seed in [0, 1, 7, u64::MAX] {
            let mut ranges = order(seed).sequence();
            ranges.sort_by_key(|r| r.after);
            assert_eq!(ranges.first().map(|r| r.after), Some(-1), "seed {seed}: from the smallest id");
            assert_eq!(ranges.last().map(|r| r.upto), Some(i64::MAX), "seed {seed}: to the largest");
            assert!(ranges.windows(2).all(|w| w[0].upto == w[1].after), "seed {seed}: no gap, no overlap");
        }
    }

    #[test]
    fn a_walk_resumes_right_after_an_id() {
        let walk = order(3);
        let sequence = walk.sequence();
        let inside = sequence[5].after + 10;
        let rest = walk.ranges(Some(inside));
        assert_eq!(rest[0], IdRange { after: inside, upto: sequence[5].upto });
        assert_eq!(&rest[1..], &sequence[6..]);
        assert_eq!(walk.ranges(None), sequence);
        assert!(walk.ranges(Some(-5)).is_empty(), "no id is negative: nothing follows");
    }

    #[test]
    fn seeds_order_the_blocks_differently() {
        let firsts: std::collections::HashSet<i64> =
            (0..64).map(|seed| order(seed).sequence()[0].upto / BLOCK_SIZE).collect();
        assert!(firsts.len() > 8, "first blocks {firsts:?}");
    }

    #[test]
    fn stratified_ranks_go_round_an_annotators_submissions() {
        // 5 submissions, the first round at place 3: ranks 0, 1, 2, 3, 4 are places 3, 4, 0, 1, 2.
        assert_eq!(stretches(3, 5, 0, 1), [Stretch { skip: 3, take: 1 }]);
        assert_eq!(stretches(3, 5, 1, 3), [Stretch { skip: 4, take: 1 }, Stretch { skip: 0, take: 2 }]);
        assert_eq!(stretches(3, 5, 3, 10), [Stretch { skip: 1, take: 2 }]);
        assert_eq!(stretches(3, 5, 5, 2), []);
        assert_eq!(stretches(0, 1, 0, 4), [Stretch { skip: 0, take: 1 }]);
    }

    #[test]
    fn means_compare_as_fractions() {
        assert_eq!(GoldMean { micros: 1_000_000, scored: 2 }, GoldMean { micros: 500_000, scored: 1 });
        assert!(GoldMean { micros: 999_999, scored: 2 } < GoldMean { micros: 500_000, scored: 1 });
        assert_eq!(GoldMean::pessimistic(3_000_000, 5), GoldMean { micros: 300_000, scored: 1 });
        assert_eq!(GoldMean::pessimistic(-7, -2), GoldMean { micros: 0, scored: PRIOR_ITEMS });
        assert_eq!(score_micros(2.0 / 3.0), 666_667);
        assert_eq!(score_micros(f64::NAN), 0);
    }

    fn sums(gold: (f64, i64), agreement: (f64, i64)) -> RiskSums {
        RiskSums {
            gold_micros: score_micros(gold.0) * gold.1,
            gold_scored: gold.1,
            agree_micros: score_micros(agreement.0) * agreement.1,
            agree_pairs: agreement.1,
        }
    }

    #[test]
    fn new_and_disagreeing_annotators_are_riskiest() {
        let new = RiskSums::default();
        let disagreeing = sums((1.0, 20), (0.1, 20));
        let little_evidence = sums((1.0, 1), (1.0, 1));
        let failing_gold = sums((0.3, 20), (0.95, 20));
        let reliable = sums((0.9, 20), (0.95, 20));
        let long_reliable = sums((0.9, 200), (0.95, 200));
        let keys: Vec<GoldMean> =
            [new, disagreeing, little_evidence, failing_gold, reliable, long_reliable].map(RiskSums::risk_key).into();
        assert_eq!(keys[0], GoldMean { micros: 0, scored: 1 }, "no evidence: the highest risk");
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        // The smaller mean decides: 2 of 25 agreement against 20 of 25 gold.
        assert_eq!(keys[1], GoldMean { micros: 2_000_000, scored: 25 });
        // No peers yet (a project without overlap): gold alone decides.
        assert_eq!(sums((1.0, 50), (0.0, 0)).risk_key(), GoldMean { micros: 50_000_000, scored: 55 });
        assert!(sums((0.5, 50), (0.0, 0)).risk_key() < sums((1.0, 50), (0.0, 0)).risk_key());
    }

    #[test]
    fn equal_keys_are_one_group_whatever_their_sums() {
        // 3 of 5 + 5 agreement and 4.5 of 10 + 5 gold: both 0.3, as the cursor's reduced form.
        let a = sums((1.0, 20), (0.6, 5)).risk_key();
        let b = sums((0.45, 10), (1.0, 20)).risk_key();
        assert_eq!(a, b);
        assert_eq!(a, GoldMean { micros: 300_000, scored: 1 });
        assert_eq!(a.cmp(&b), Ordering::Equal);
    }
}
