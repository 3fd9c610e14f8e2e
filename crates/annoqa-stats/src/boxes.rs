//! Box consensus for one image: cluster the annotators' boxes by IoU, then average each
//! cluster's coordinates.
//!
//! Clustering is agglomerative with complete linkage: candidate pairs (IoU ≥ threshold, found
//! with `annoqa-core`'s grid/sweep overlap search, never all pairs) are taken best first, and
//! two clusters merge only when every box of one overlaps every box of the other by at least the
//! threshold and no annotator would appear twice. Complete linkage keeps a chain of
//! barely-overlapping boxes from collapsing into one object; the annotator rule keeps two
//! adjacent objects drawn by the same person apart. Ties are broken by input order, so the
//! result depends on nothing but the input.

use annoqa_core::geometry::box_iou;
use annoqa_core::intervals::box_overlaps;
use annoqa_core::BoxGeometry;
use serde::Serialize;

use crate::StatsError;

/// One annotator's box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnnotatedBox {
    pub annotator: u32,
    pub geometry: BoxGeometry,
    pub label: u32,
}

/// A consensus object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsensusBox {
    /// The mean of the members' `x`, `y`, `width` and `height`.
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// The label most members gave (the smallest label index among tied labels).
    pub label: u32,
    /// How many annotators drew this object (one box each).
    pub support: usize,
    /// Mean IoU of the consensus box with each member box.
    pub mean_iou: f64,
    /// Indices of the member boxes in the input, ascending.
    pub members: Vec<usize>,
}

impl ConsensusBox {
    pub fn geometry(&self) -> BoxGeometry {
        BoxGeometry { x: self.x, y: self.y, width: self.width, height: self.height }
    }
}

/// Consensus boxes of one image, ordered by their first member's position in the input.
/// `threshold` is the smallest IoU at which two boxes may be the same object (in (0, 1]).
/// Degenerate boxes (no area, not finite) overlap nothing and form clusters of their own;
/// callers usually keep only clusters with enough `support`.
pub fn box_consensus(boxes: &[AnnotatedBox], threshold: f64) -> Result<Vec<ConsensusBox>, StatsError> {
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(StatsError::InvalidArgument(format!("IoU threshold {threshold} is not in (0, 1]")));
    }
    let keyed: Vec<((), BoxGeometry)> = boxes.iter().map(|b| ((), b.geometry)).collect();
    let mut pairs: Vec<(f64, usize, usize)> = box_overlaps(&keyed, threshold)
        .into_iter()
        .filter(|o| boxes[o.first].annotator != boxes[o.second].annotator)
        .map(|o| (o.iou, o.first, o.second))
        .collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));

    // `cluster[i]` is the cluster holding box i; `members[c]` the boxes of cluster c.
    let mut cluster: Vec<usize> = (0..boxes.len()).collect();
    let mut members: Vec<Vec<usize>> = (0..boxes.len()).map(|i| vec![i]).collect();
    for (_, i, j) in pairs {
        let (ci, cj) = (cluster[i], cluster[j]);
        if ci == cj {
            continue;
        }
        let compatible = members[ci].iter().all(|&a| {
            members[cj].iter().all(|&b| {
                boxes[a].annotator != boxes[b].annotator && box_iou(&boxes[a].geometry, &boxes[b].geometry) >= threshold
            })
        });
        if !compatible {
            continue;
        }
        let (keep, gone) = (ci.min(cj), ci.max(cj));
        let moved = std::mem::take(&mut members[gone]);
        for &m in &moved {
            cluster[m] = keep;
        }
        members[keep].extend(moved);
    }

    let mut result = Vec::new();
    for mut group in members.into_iter().filter(|m| !m.is_empty()) {
        group.sort_unstable();
        let n = group.len() as f64;
        let mean = |f: fn(&BoxGeometry) -> f64| group.iter().map(|&i| f(&boxes[i].geometry)).sum::<f64>() / n;
        let geometry =
            BoxGeometry { x: mean(|b| b.x), y: mean(|b| b.y), width: mean(|b| b.width), height: mean(|b| b.height) };
        let mut votes: Vec<(u32, usize)> = Vec::new();
        for &i in &group {
            match votes.iter_mut().find(|v| v.0 == boxes[i].label) {
                Some(v) => v.1 += 1,
                None => votes.push((boxes[i].label, 1)),
            }
        }
        votes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let label = votes.first().map_or(0, |v| v.0);
        let mean_iou = group.iter().map(|&i| box_iou(&geometry, &boxes[i].geometry)).sum::<f64>() / n;
        result.push(ConsensusBox {
            x: geometry.x,
            y: geometry.y,
            width: geometry.width,
            height: geometry.height,
            label,
            support: group.len(),
            mean_iou,
            members: group,
        });
    }
    result.sort_by_key(|c| c.members[0]);
    Ok(result)
}
