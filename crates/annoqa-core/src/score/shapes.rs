//! Boxes, video frame boxes (per frame) and polygons: IoU matching with a threshold per label;
//! keypoints: matching on object keypoint similarity (COCO OKS for one point).

use super::outcome::{emit, labels, ControlOutcome, Piece, Said, Sides, Wording};
use super::report::{Direction, Verdict};
use super::staged::{box_candidates, dense_candidates, staged_match, Pairing};
use crate::geometry::{box_area, box_is_rotated, keypoint_similarity, polygon_area, polygon_iou};
use crate::matching::Objective;
use crate::{BoxGeometry, Control, ControlKind, Item, Media, Region, RegionValue, Tolerance};

/// A box region's geometry; an empty box for other kinds (which never pair with boxes).
fn boxed(value: &RegionValue) -> BoxGeometry {
    value.box_geometry().unwrap_or(BoxGeometry::new(0.0, 0.0, 0.0, 0.0))
}

fn points(value: &RegionValue) -> &[[f64; 2]] {
    match value {
        RegionValue::Polygon { points, .. } => points,
        _ => &[],
    }
}

fn area(value: &RegionValue) -> f64 {
    match value {
        RegionValue::Polygon { points, .. } => polygon_area(points).abs(),
        other => box_area(&boxed(other)),
    }
}

fn iou_threshold(control: &Control, tolerance: &Tolerance, label: &str) -> f64 {
    control.label(label).and_then(|l| l.min_iou).or(tolerance.min_iou).unwrap_or(0.5)
}

struct ShapeWords<'c> {
    control: &'c Control,
    tolerance: &'c Tolerance,
}

impl Wording for ShapeWords<'_> {
    fn place(&self, sides: &Sides<'_>, gold: usize) -> String {
        match sides.gold[gold].value {
            RegionValue::Polygon { points, .. } => {
                let n = points.len().max(1) as f64;
                let (cx, cy) = points.iter().fold((0.0, 0.0), |(x, y), p| (x + p[0] / n, y + p[1] / n));
                format!("around ({cx:.0}, {cy:.0})")
            }
            value => {
                let b = boxed(value);
                let frame = match value {
                    RegionValue::VideoBox { frame, .. } => format!(" on frame {frame}"),
                    _ => String::new(),
                };
                let turned = if box_is_rotated(&b) { format!(" turned {:.0}°", b.rotation) } else { String::new() };
                format!("at ({:.0}, {:.0}, {:.0}×{:.0}){turned}{frame}", b.x, b.y, b.width, b.height)
            }
        }
    }

    fn low(&self, sides: &Sides<'_>, pair: &Pairing) -> (Verdict, Said) {
        let (g, m, noun) = (&sides.gold[pair.gold], &sides.mine[pair.mine], sides.noun);
        let direction = Direction::of_areas(area(m.value), area(g.value));
        let said = Said {
            message: format!(
                "{} {noun} `{}` overlaps gold with IoU {:.2}; {:.2} is needed",
                m.label,
                m.id,
                pair.similarity,
                iou_threshold(self.control, self.tolerance, g.label)
            ),
            hint: Some(format!("{} {noun} `{}`: {}", m.label, m.id, direction.words())),
        };
        (Verdict::LowOverlap { overlap: Some(pair.similarity), directions: vec![direction] }, said)
    }
}

/// Boxes start from the overlapping pairs the grid finds; polygons are few, so every pair gets
/// an exact polygon IoU.
pub(crate) fn score_shapes(
    control: &Control,
    tolerance: &Tolerance,
    mine: &[&Region],
    theirs: &[&Region],
) -> ControlOutcome {
    let polygons = matches!(control.kind, ControlKind::Polygon);
    let sides = Sides::new(control, mine, theirs, if polygons { "polygon" } else { "box" });
    let candidates = if polygons {
        dense_candidates(sides.gold.len(), sides.mine.len(), |g, m| {
            polygon_iou(points(sides.gold[g].value), points(sides.mine[m].value))
        })
    } else {
        let framed = |p: &Piece<'_>| match p.value {
            RegionValue::VideoBox { frame, .. } => (*frame, boxed(p.value)),
            value => (0, boxed(value)),
        };
        let gold: Vec<_> = sides.gold.iter().map(framed).collect();
        let mine: Vec<_> = sides.mine.iter().map(framed).collect();
        box_candidates(&gold, &mine)
    };
    let needed = |g: usize| iou_threshold(control, tolerance, sides.gold[g].label);
    let staged = staged_match(
        &labels(&sides.gold),
        &labels(&sides.mine),
        candidates,
        |g, _, iou| iou >= needed(g),
        Objective::MaxTotalSimilarity,
    );
    let mut outcome = emit(&sides, &staged, &ShapeWords { control, tolerance });
    outcome.metrics.insert("mean_iou".into(), staged.mean_matched_similarity());
    outcome
}

fn xy(value: &RegionValue) -> (f64, f64) {
    match value {
        RegionValue::Keypoint { x, y, .. } => (*x, *y),
        _ => (f64::NAN, f64::NAN),
    }
}

fn distance(a: &RegionValue, b: &RegionValue) -> f64 {
    let ((ax, ay), (bx, by)) = (xy(a), xy(b));
    ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt()
}

struct KeypointWords {
    min_oks: f64,
}

impl Wording for KeypointWords {
    fn place(&self, sides: &Sides<'_>, gold: usize) -> String {
        let (x, y) = xy(sides.gold[gold].value);
        format!("at ({x:.0}, {y:.0})")
    }

    fn low(&self, sides: &Sides<'_>, pair: &Pairing) -> (Verdict, Said) {
        let (g, m) = (&sides.gold[pair.gold], &sides.mine[pair.mine]);
        let said = Said {
            message: format!(
                "{} keypoint `{}` is {:.1} px from gold (OKS {:.2}; {:.2} is needed)",
                m.label,
                m.id,
                distance(g.value, m.value),
                pair.similarity,
                self.min_oks
            ),
            hint: Some(format!("{} keypoint `{}`: {}", m.label, m.id, Direction::Shifted.words())),
        };
        (Verdict::LowOverlap { overlap: Some(pair.similarity), directions: vec![Direction::Shifted] }, said)
    }
}

pub(crate) fn score_keypoints(
    control: &Control,
    tolerance: &Tolerance,
    item: &Item,
    mine: &[&Region],
    theirs: &[&Region],
) -> ControlOutcome {
    let sides = Sides::new(control, mine, theirs, "keypoint");
    let media_area = match &item.media {
        Media::Image { width, height, .. } | Media::Video { width, height, .. } => {
            f64::from(*width) * f64::from(*height)
        }
        _ => 0.0,
    };
    let area = tolerance.keypoint_area.unwrap_or(media_area);
    let kappa = |label: &str| control.label(label).and_then(|l| l.kappa).unwrap_or(0.1);
    let min_oks = tolerance.min_oks.unwrap_or(0.5);
    let candidates = dense_candidates(sides.gold.len(), sides.mine.len(), |g, m| {
        let d = distance(sides.gold[g].value, sides.mine[m].value);
        keypoint_similarity(d.powi(2), area, kappa(sides.gold[g].label))
    });
    let staged = staged_match(
        &labels(&sides.gold),
        &labels(&sides.mine),
        candidates,
        |_, _, oks| oks >= min_oks,
        Objective::MaxTotalSimilarity,
    );
    let mut outcome = emit(&sides, &staged, &KeypointWords { min_oks });
    outcome.metrics.insert("mean_oks".into(), staged.mean_matched_similarity());
    outcome
}
