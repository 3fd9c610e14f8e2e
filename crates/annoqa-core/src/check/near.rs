//! Near pairs for the overlap and duplicate rules: every pair of regions of one control that
//! overlap or coincide, found by sweeps over sorted coordinates, never all pairs.

use std::collections::HashMap;

use super::region_box;
use crate::geometry::polygon_iou;
use crate::intervals::box_overlap_search_within;
use crate::order::sort_indices;
use crate::rule::OverlapScope;
use crate::{BoxGeometry, Region, RegionValue};

/// Two regions of one control that overlap or coincide.
pub(super) struct NearPair<'a> {
    pub a: &'a Region,
    pub b: &'a Region,
    /// IoU of boxes or polygons, or of time/character ranges; 0 for keypoints.
    pub iou: f64,
    /// Same range, or same keypoint position.
    pub identical: bool,
    ranged: bool,
}

impl NearPair<'_> {
    pub(super) fn describe(&self) -> String {
        match (self.ranged, self.iou > 0.0) {
            (_, false) => "same point".to_string(),
            (false, true) => format!("IoU {:.2}", self.iou),
            (true, true) => format!("overlap {:.2}", self.iou),
        }
    }
}

/// The near pairs of one control, and whether the search saw every pair.
pub(super) struct NearPairs<'a> {
    pub pairs: Vec<NearPair<'a>>,
    /// False when the search stopped at [`near_pair_budget`]: then `pairs` is a part.
    pub complete: bool,
}

/// How many candidate pairs the searches of one control may examine: generous for real
/// annotations (a few overlaps per region), linear in the input for hostile ones (thousands of
/// regions piled on one spot overlap pairwise).
pub(super) fn near_pair_budget(regions: usize) -> usize {
    20 * regions + 10_000
}

/// The near pairs of `control` within `scope`, searched once per validation and shared by its
/// rules. `min_iou` is the least IoU any of those rules asks for: box pairs below it are not
/// kept (the search still examines them, so whether it completes does not depend on it).
pub(super) fn cached_near_pairs<'c, 'a>(
    cache: &'c mut Vec<(String, OverlapScope, NearPairs<'a>)>,
    control: &str,
    scope: OverlapScope,
    min_iou: f64,
    regions: &[&'a Region],
) -> &'c NearPairs<'a> {
    let at = match cache.iter().position(|(c, s, _)| c == control && *s == scope) {
        Some(at) => at,
        None => {
            let (pairs, _, complete) = near_pairs(regions, scope, near_pair_budget(regions.len()), min_iou);
            cache.push((control.to_string(), scope, NearPairs { pairs, complete }));
            cache.len() - 1
        }
    };
    &cache[at].2
}

/// Every pair of regions (within a label, or across labels for `OverlapScope::Any`) that
/// overlaps at all — boxes and polygons by IoU, segments and spans by range IoU — or that are
/// the same keypoint; pairs of boxes only from `min_box_iou` up. Candidates come from sweeps
/// over sorted coordinates, so sparse input never costs all pairs. Also returns how many
/// candidate pairs the searches examined and whether they finished within `budget` examined
/// pairs.
fn near_pairs<'a>(
    regions: &[&'a Region],
    scope: OverlapScope,
    budget: usize,
    min_box_iou: f64,
) -> (Vec<NearPair<'a>>, usize, bool) {
    // Labels become small integers so the sweeps compare groups without touching strings. A
    // spec has a handful of labels, so a linear search beats hashing (in Wasm especially).
    let mut names: Vec<&str> = Vec::new();
    let mut group = |r: &'a Region| -> u32 {
        let name = match scope {
            OverlapScope::SameLabel => r.value.first_label().unwrap_or(""),
            OverlapScope::Any => "",
        };
        let at = names.iter().position(|n| *n == name).unwrap_or_else(|| {
            names.push(name);
            names.len() - 1
        });
        at as u32
    };
    let mut out = Vec::new();
    // Boxes and polygons: sweep over bounding boxes, then the exact IoU.
    let mut shaped_regions: Vec<&Region> = Vec::new();
    let mut keyed: Vec<(u32, BoxGeometry)> = Vec::new();
    for r in regions {
        if let Some(b) = region_box(&r.value) {
            shaped_regions.push(r);
            keyed.push((group(r), b));
        }
    }
    // The search's IoU is the boxes' own, exact for boxes but only of the bounds for polygons:
    // with a polygon among them every overlapping pair is kept, for the polygons' own IoU.
    let polygons = shaped_regions.iter().any(|r| matches!(r.value, RegionValue::Polygon { .. }));
    let search_iou = if polygons { f64::MIN_POSITIVE } else { min_box_iou.max(f64::MIN_POSITIVE) };
    let search = box_overlap_search_within(&keyed, search_iou, budget);
    let mut examined = search.pairs_examined;
    let mut complete = search.complete;
    for pair in search.overlaps {
        let (a, b) = (shaped_regions[pair.first], shaped_regions[pair.second]);
        let iou = match (&a.value, &b.value) {
            (RegionValue::Polygon { points: p, .. }, RegionValue::Polygon { points: q, .. }) => polygon_iou(p, q),
            (RegionValue::VideoBox { frame: f, .. }, RegionValue::VideoBox { frame: g, .. }) if f != g => 0.0,
            _ => pair.iou,
        };
        if iou > 0.0 {
            out.push(NearPair { a, b, iou, identical: false, ranged: false });
        }
    }
    // Time ranges and text spans: a 1-D sweep finds overlapping candidates.
    let mut ranged: Vec<(u32, f64, f64, &Region)> = Vec::new();
    for r in regions {
        let (s, e) = match &r.value {
            RegionValue::AudioSegment { start, end, .. } => (*start, *end),
            RegionValue::VideoSegment { start_frame, end_frame, .. } => {
                (f64::from(*start_frame), f64::from(*end_frame) + 1.0)
            }
            RegionValue::TextSpan { start, end, .. } => (*start as f64, *end as f64),
            _ => continue,
        };
        ranged.push((group(r), s, e, r));
    }
    if !ranged.is_empty() {
        let keyed: Vec<(u32, f64, f64)> = ranged.iter().map(|(g, s, e, _)| (*g, *s, *e)).collect();
        let (pairs, finished) = all_interval_pairs(&keyed, budget.saturating_sub(examined));
        // Every step of the sweep yields a pair, so the pairs are what it examined.
        examined += pairs.len();
        complete &= finished;
        for (i, j) in pairs {
            let (a, b) = (&ranged[i], &ranged[j]);
            let inter = a.2.min(b.2) - a.1.max(b.1);
            let union = a.2.max(b.2) - a.1.min(b.1);
            let iou = if union > 0.0 { inter / union } else { 0.0 };
            let identical = a.1 == b.1 && a.2 == b.2;
            out.push(NearPair { a: a.3, b: b.3, iou, identical, ranged: true });
        }
    }
    // Keypoints: the same label at the same pixel.
    let mut seen: HashMap<(u32, u64, u64), &Region> = HashMap::new();
    for r in regions {
        if let RegionValue::Keypoint { x, y, .. } = &r.value {
            if let Some(first) = seen.insert((group(r), x.to_bits(), y.to_bits()), r) {
                out.push(NearPair { a: first, b: r, iou: 0.0, identical: true, ranged: false });
            }
        }
    }
    (out, examined, complete)
}

/// How many candidate pairs the overlap search examines for `regions`: tests hold it to about
/// the overlapping pairs.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) fn near_pairs_examined(regions: &[&Region], scope: OverlapScope) -> usize {
    near_pairs(regions, scope, usize::MAX, f64::MIN_POSITIVE).1
}

/// Every overlapping pair among half-open ranges within a group: sort by start, then walk
/// forward from each range only while the next ones start before it ends (O(n log n + pairs)),
/// stopping after `budget` pairs; the flag says whether it finished.
fn all_interval_pairs(ranges: &[(u32, f64, f64)], budget: usize) -> (Vec<(usize, usize)>, bool) {
    let mut order: Vec<usize> = (0..ranges.len()).filter(|&i| ranges[i].1 < ranges[i].2).collect();
    sort_indices(&mut order, |a, b| ranges[a].0.cmp(&ranges[b].0).then(ranges[a].1.total_cmp(&ranges[b].1)));
    let mut pairs = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        for &j in &order[k + 1..] {
            if ranges[j].0 != ranges[i].0 || ranges[j].1 >= ranges[i].2 {
                break;
            }
            if pairs.len() == budget {
                return (pairs, false);
            }
            pairs.push((i.min(j), i.max(j)));
        }
    }
    (pairs, true)
}
