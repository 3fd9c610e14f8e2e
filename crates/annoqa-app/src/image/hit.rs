//! Which region a click means, image px.

use super::shape::Shape;
use super::spatial::{Rect, SpatialIndex};

/// The region under `(x, y)` (image px), hit within `tolerance` image px of its outline (see
/// [`Shape::hit`]), or `None`.
///
/// Among the regions hit, the one of smallest area wins, so a small box inside a big one
/// stays clickable (a keypoint, of area 0, wins over the box it lies in); between equal areas
/// the topmost, i.e. the highest slot, drawn last. `shapes[slot]` is the shape indexed at
/// `slot` (`None` or missing: skipped). Only the index's cells around the point are looked at.
pub fn hit_test(index: &SpatialIndex, shapes: &[Option<Shape>], x: f64, y: f64, tolerance: f64) -> Option<u32> {
    let tolerance = if tolerance > 0.0 { tolerance } else { 0.0 };
    let probe = Rect::new(x, y, x, y).inflate(tolerance);
    let mut best: Option<(f64, u32)> = None;
    index.each_candidate(&probe, |slot, _| {
        let Some(Some(shape)) = shapes.get(slot as usize) else {
            return;
        };
        if !shape.hit(x, y, tolerance) {
            return;
        }
        let area = shape.area();
        let better = match best {
            None => true,
            Some((a, s)) => area < a || (area == a && slot > s),
        };
        if better {
            best = Some((area, slot));
        }
    });
    best.map(|(_, slot)| slot)
}
