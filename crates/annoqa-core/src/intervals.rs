//! Overlap detection without comparing all pairs: a 1-D sweep for time ranges and frame
//! ranges, and a 2-D sort-and-sweep for boxes.
//!
//! Validation runs on every edit in the browser, with thousands of regions; all-pairs checks
//! (n²/2 = 12.5 million pairs for 5,000 boxes) would not keep up.

use crate::geometry::box_iou;
use crate::BoxGeometry;

/// An interval that overlaps an earlier one. `first` is the interval (of the same group) that
/// reaches furthest among those starting before `second`; indices are positions in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntervalOverlap {
    pub first: usize,
    pub second: usize,
}

/// Overlapping half-open intervals `[start, end)` within each group.
///
/// Same sweep as the text-span check in [`crate::validate`]: sorted by (group, start, end), an
/// interval overlaps an earlier one of its group exactly when it starts before the furthest end
/// seen so far, so one pass after the sort (O(n log n)) reports every offending interval once,
/// beside the interval that reaches furthest. Touching intervals (`end == start`) do not
/// overlap. Empty, reversed or non-finite intervals are skipped: they are reported by their own
/// rules. Use `()` as the group to compare all intervals with each other; for inclusive frame
/// ranges pass `[start, end + 1)`.
pub fn interval_overlaps<G: Ord>(intervals: &[(G, f64, f64)]) -> Vec<IntervalOverlap> {
    let mut order: Vec<usize> = (0..intervals.len())
        .filter(|&i| {
            let (_, start, end) = &intervals[i];
            start.is_finite() && end.is_finite() && start < end
        })
        .collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&intervals[i], &intervals[j]);
        a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2)).then(i.cmp(&j))
    });
    let mut overlaps = Vec::new();
    let mut furthest: Option<usize> = None;
    for &i in &order {
        let current = &intervals[i];
        match furthest {
            Some(f) if intervals[f].0 == current.0 => {
                if current.1 < intervals[f].2 {
                    overlaps.push(IntervalOverlap { first: f, second: i });
                }
                if current.2 > intervals[f].2 {
                    furthest = Some(i);
                }
            }
            _ => furthest = Some(i),
        }
    }
    overlaps
}

/// Two boxes of the same group whose IoU is at least `min_iou` (and above 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoxOverlap {
    pub first: usize,
    pub second: usize,
    pub iou: f64,
}

/// Pairs of boxes in the same group overlapping with IoU ≥ `min_iou` (and > 0), `first < second`,
/// sorted.
///
/// Sort-and-sweep (sweep and prune): boxes sorted by left edge; each box is compared with the
/// boxes after it until one starts right of its right edge (those are its active set), and of
/// those only the ones whose y-ranges overlap get an IoU. Cost O(n log n + a) where a counts box pairs whose x-ranges
/// overlap — about n²·(mean width / media width) for scattered boxes, never all pairs unless
/// the boxes really are stacked in one column. Degenerate boxes are skipped (IoU 0 with
/// everything). Use `()` as the group for "any label".
pub fn box_overlaps<G: Eq>(boxes: &[(G, BoxGeometry)], min_iou: f64) -> Vec<BoxOverlap> {
    let mut order: Vec<usize> = (0..boxes.len()).filter(|&i| crate::geometry::box_area(&boxes[i].1) > 0.0).collect();
    order.sort_by(|&i, &j| boxes[i].1.x.total_cmp(&boxes[j].1.x).then(i.cmp(&j)));
    // Edges in sweep order, one array each: the inner loop reads two or three of them
    // sequentially, which is what keeps 5,000 boxes within the per-edit budget.
    let edge = |f: fn(&BoxGeometry) -> f64| -> Vec<f64> { order.iter().map(|&i| f(&boxes[i].1)).collect() };
    let left = edge(|b| b.x);
    let right = edge(|b| b.x + b.width);
    let top = edge(|b| b.y);
    let bottom = edge(|b| b.y + b.height);
    let mut overlaps = Vec::new();
    for a in 0..order.len() {
        let (i, a_right, a_top, a_bottom) = (order[a], right[a], top[a], bottom[a]);
        let later = left[a + 1..].iter().zip(&top[a + 1..]).zip(&bottom[a + 1..]).zip(&order[a + 1..]);
        for (((&b_left, &b_top), &b_bottom), &j) in later {
            // Sorted by left edge: once a box starts at or past `a`'s right edge, all later do.
            if b_left >= a_right {
                break;
            }
            if b_top >= a_bottom || a_top >= b_bottom || boxes[i].0 != boxes[j].0 {
                continue;
            }
            let iou = box_iou(&boxes[i].1, &boxes[j].1);
            if iou > 0.0 && iou >= min_iou {
                overlaps.push(BoxOverlap { first: i.min(j), second: i.max(j), iou });
            }
        }
    }
    overlaps.sort_by_key(|o| (o.first, o.second));
    overlaps
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn pairs(overlaps: &[IntervalOverlap]) -> Vec<(usize, usize)> {
        overlaps.iter().map(|o| (o.first, o.second)).collect()
    }

    #[test]
    fn interval_sweep_reports_each_offender_once_beside_the_furthest() {
        // 0: [0, 10) reaches furthest; 1: [2, 3) and 2: [5, 12) overlap it; 3: [11, 13)
        // overlaps 2 (which by then reaches furthest, to 12); 4: [13, 14) only touches 3.
        let intervals = [((), 0.0, 10.0), ((), 2.0, 3.0), ((), 5.0, 12.0), ((), 11.0, 13.0), ((), 13.0, 14.0)];
        assert_eq!(pairs(&interval_overlaps(&intervals)), [(0, 1), (0, 2), (2, 3)]);
    }

    #[test]
    fn interval_groups_and_bad_intervals() {
        // Same times, different labels: only the two "speech" segments collide.
        let intervals = [("speech", 0.0, 2.0), ("music", 1.0, 3.0), ("speech", 1.5, 4.0)];
        assert_eq!(pairs(&interval_overlaps(&intervals)), [(0, 2)]);
        // Empty, reversed and NaN intervals are skipped.
        let intervals = [((), 0.0, 5.0), ((), 1.0, 1.0), ((), 3.0, 2.0), ((), f64::NAN, 4.0), ((), 4.0, 6.0)];
        assert_eq!(pairs(&interval_overlaps(&intervals)), [(0, 4)]);
    }

    fn bx(x: f64, y: f64, width: f64, height: f64) -> BoxGeometry {
        BoxGeometry { x, y, width, height }
    }

    #[test]
    fn box_sweep_worked_example() {
        // 0 and 1 overlap with IoU 25/175 ≈ 0.143; 0 and 2 overlap with IoU 81/100 = 0.81
        // (2 lies inside 0); 3 is far away; 4 overlaps 1 but is another label.
        let boxes = [
            ("car", bx(0.0, 0.0, 10.0, 10.0)),
            ("car", bx(5.0, 5.0, 10.0, 10.0)),
            ("car", bx(0.5, 0.5, 9.0, 9.0)),
            ("car", bx(100.0, 0.0, 10.0, 10.0)),
            ("bus", bx(6.0, 6.0, 10.0, 10.0)),
        ];
        let all: Vec<(usize, usize)> = box_overlaps(&boxes, 0.0).iter().map(|o| (o.first, o.second)).collect();
        assert_eq!(all, [(0, 1), (0, 2), (1, 2)]);
        let strong = box_overlaps(&boxes, 0.5);
        assert_eq!(strong, [BoxOverlap { first: 0, second: 2, iou: 0.81 }]);
    }

    fn brute_force<G: Eq>(boxes: &[(G, BoxGeometry)], min_iou: f64) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for i in 0..boxes.len() {
            for j in i + 1..boxes.len() {
                let iou = box_iou(&boxes[i].1, &boxes[j].1);
                if boxes[i].0 == boxes[j].0 && iou > 0.0 && iou >= min_iou {
                    out.push((i, j));
                }
            }
        }
        out
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![8 => (-5i32..30).prop_map(f64::from), 1 => Just(f64::NAN), 1 => Just(f64::INFINITY)]
    }

    proptest! {
        #[test]
        fn box_sweep_finds_what_all_pairs_finds(
            boxes in proptest::collection::vec((0u8..2, value(), value(), value(), value()), 0..30),
            min_iou in 0.0..1.0f64,
        ) {
            let boxes: Vec<(u8, BoxGeometry)> = boxes.into_iter().map(|(g, x, y, w, h)| (g, bx(x, y, w, h))).collect();
            let got: Vec<(usize, usize)> = box_overlaps(&boxes, min_iou).iter().map(|o| (o.first, o.second)).collect();
            prop_assert_eq!(got, brute_force(&boxes, min_iou));
        }

        #[test]
        fn interval_sweep_flags_exactly_the_intervals_that_overlap_an_earlier_one(
            intervals in proptest::collection::vec((0u8..2, value(), value()), 0..30),
        ) {
            let got = interval_overlaps(&intervals);
            let valid = |i: usize| intervals[i].1.is_finite() && intervals[i].2.is_finite() && intervals[i].1 < intervals[i].2;
            // Every reported pair overlaps, and the flagged set is the set of intervals that
            // overlap some interval sorting before them.
            let key = |i: usize| (intervals[i].0, intervals[i].1, intervals[i].2, i);
            let before = |j: usize, i: usize| key(j).partial_cmp(&key(i)) == Some(std::cmp::Ordering::Less);
            for o in &got {
                let (a, b) = (&intervals[o.first], &intervals[o.second]);
                prop_assert!(a.0 == b.0 && a.1 < b.2 && b.1 < a.2);
            }
            let mut flagged: Vec<usize> = got.iter().map(|o| o.second).collect();
            flagged.sort_unstable();
            let expected: Vec<usize> = (0..intervals.len())
                .filter(|&i| valid(i))
                .filter(|&i| (0..intervals.len()).any(|j| {
                    valid(j) && before(j, i) && intervals[j].0 == intervals[i].0 && intervals[i].1 < intervals[j].2
                }))
                .collect();
            prop_assert_eq!(flagged, expected);
        }
    }
}
