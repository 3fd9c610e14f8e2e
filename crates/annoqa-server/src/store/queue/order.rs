//! The seeded orders of the review queue, pure: which id ranges a walk visits in turn, where a
//! stratified annotator's submissions start, how annotators take turns, and gold means as
//! exact fractions.

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

/// A gold score in millionths, as an annotator's gold sum counts it.
pub(crate) fn gold_micros(score: f64) -> i64 {
    (score.clamp(0.0, 1.0) * 1_000_000.0).round() as i64
}

/// An annotator's gold mean as an exact fraction: the sum of their gold scores in millionths
/// over the number of scores. Integer sums come out the same in any order, so equal means
/// stay equal from one page to the next.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GoldMean {
    pub micros: i64,
    pub scored: i64,
}

impl GoldMean {
    /// An annotator without gold: a middling risk, as `review-queue`'s `risk` weighs them.
    pub(crate) const UNKNOWN: GoldMean = GoldMean { micros: 500_000, scored: 1 };

    pub(super) fn of(micros: i64, scored: i64) -> GoldMean {
        if scored > 0 {
            GoldMean { micros, scored }
        } else {
            GoldMean::UNKNOWN
        }
    }

    fn key(self) -> (i128, i128) {
        (i128::from(self.micros), i128::from(self.scored.max(1)))
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
    fn gold_means_compare_as_fractions() {
        assert_eq!(GoldMean { micros: 1_000_000, scored: 2 }, GoldMean::UNKNOWN);
        assert!(GoldMean { micros: 999_999, scored: 2 } < GoldMean::UNKNOWN);
        assert_eq!(GoldMean::of(0, 0), GoldMean::UNKNOWN);
        assert_eq!(gold_micros(2.0 / 3.0), 666_667);
        assert_eq!(gold_micros(f64::NAN), 0);
    }
}
