//! Box consensus for one image: cluster the annotators' boxes by IoU, then average each
//! cluster's coordinates.
//!
//! Clustering is agglomerative with complete linkage: candidate pairs (IoU ≥ threshold, found
//! with `annoqa-core`'s grid/sweep overlap search, never all pairs) are taken best first, and
//! two clusters merge only when every box of one overlaps every box of the other by at least the
//! threshold and no annotator would appear twice. Complete linkage keeps a chain of
//! barely-overlapping boxes from collapsing into one object; the annotator rule keeps two
//! adjacent objects drawn by the same person apart. Ties are broken by input order, so the
//! result depends on nothing but the input. IoU is core's `box_iou`, so rotated boxes overlap
//! by their corner polygons.

use annoqa_core::geometry::{box_corners, box_iou, box_is_rotated};
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
    /// The mean of the members' `x`, `y`, `width` and `height`; when a member is rotated, the
    /// box with the members' mean centre, width and height and their circular mean rotation.
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// Degrees clockwise about `(x, y)`, as core's boxes; 0 unless a member is rotated.
    #[serde(skip_serializing_if = "is_zero")]
    pub rotation: f64,
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
        BoxGeometry { x: self.x, y: self.y, width: self.width, height: self.height, rotation: self.rotation }
    }
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

/// The members' mean box: coordinates averaged as they are for axis-aligned boxes; with a
/// rotated member, centres averaged instead (a rotation moves the top-left corner) and the
/// rotation as the direction of the mean unit vector, so 350° and 10° average to 0°.
fn mean_geometry(group: &[usize], boxes: &[AnnotatedBox]) -> BoxGeometry {
    let n = group.len() as f64;
    let mean = |f: &dyn Fn(&BoxGeometry) -> f64| group.iter().map(|&i| f(&boxes[i].geometry)).sum::<f64>() / n;
    let (width, height) = (mean(&|b| b.width), mean(&|b| b.height));
    if !group.iter().any(|&i| box_is_rotated(&boxes[i].geometry)) {
        return BoxGeometry::new(mean(&|b| b.x), mean(&|b| b.y), width, height);
    }
    let centre = |b: &BoxGeometry| {
        let [top_left, _, bottom_right, _] = box_corners(b);
        [(top_left[0] + bottom_right[0]) / 2.0, (top_left[1] + bottom_right[1]) / 2.0]
    };
    let (cx, cy) = (mean(&|b| centre(b)[0]), mean(&|b| centre(b)[1]));
    let (sin, cos) = (mean(&|b| b.rotation.to_radians().sin()), mean(&|b| b.rotation.to_radians().cos()));
    let rotation = sin.atan2(cos).to_degrees();
    let (s, c) = rotation.to_radians().sin_cos();
    let (dx, dy) = (width / 2.0, height / 2.0);
    BoxGeometry { x: cx - (dx * c - dy * s), y: cy - (dx * s + dy * c), width, height, rotation }
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
        let geometry = mean_geometry(&group, boxes);
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
            rotation: geometry.rotation,
            label,
            support: group.len(),
            mean_iou,
            members: group,
        });
    }
    result.sort_by_key(|c| c.members[0]);
    Ok(result)
}
