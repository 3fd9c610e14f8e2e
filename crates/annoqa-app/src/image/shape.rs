//! The geometry of one image region for drawing, hit testing and editing.
//!
//! Coordinates are image px (see [`super::viewport`]) unless a name says CSS px. Boxes follow
//! [`annoqa_core::geometry`]: `rotation` degrees clockwise on screen about the top-left corner
//! `(x, y)`. Edits are pure: they return a new [`Shape`]. Nothing here clamps a shape to the
//! image: a region outside the image is a validation finding, not something to fix silently.
//! Non-finite input never panics: a NaN cursor leaves a shape as it is, a NaN shape is hit
//! nowhere.

use annoqa_core::geometry::box_corners;
use annoqa_core::{BoxGeometry, RegionValue};

use super::spatial::Rect;
use super::viewport::Viewport;

/// Half the side of a handle's square hit area, CSS px: 24 × 24 targets at any zoom
/// (WCAG 2.5.8).
pub const HANDLE_HALF_SIZE: f64 = 12.0;
/// Distance of the rotation handle from the middle of the box's top edge, CSS px: 24 √2 and a
/// little, so that its hit square and the top edge handle's never overlap, however the box is
/// turned.
pub const ROTATE_HANDLE_DISTANCE: f64 = 34.0;
/// Smallest width and height, image px, that box edits leave.
pub const MIN_BOX_SIZE: f64 = 1.0;

/// An image region's geometry.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Box { x: f64, y: f64, width: f64, height: f64, rotation: f64 },
    Polygon { points: Vec<[f64; 2]> },
    Point { x: f64, y: f64 },
}

/// A grip on a shape that a drag reshapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Handle {
    /// A box corner, 0..4 in [`Shape::outline`] order: top-left, top-right, bottom-right,
    /// bottom-left of the unrotated box.
    Corner(u8),
    /// The middle of a box edge `i`, from corner `i` to corner `i + 1`: top, right, bottom,
    /// left.
    Edge(u8),
    /// A polygon vertex, or a keypoint (`Vertex(0)`).
    Vertex(usize),
    /// The box's rotation handle, [`ROTATE_HANDLE_DISTANCE`] CSS px outside its top edge.
    Rotate,
}

/// `(cos θ, sin θ)` of a rotation in degrees, as core turns boxes (exact at quarter turns):
/// the top-right corner of a unit box at the origin.
fn axes(rotation: f64) -> (f64, f64) {
    let [c, s] = box_corners(&BoxGeometry { x: 0.0, y: 0.0, width: 1.0, height: 1.0, rotation })[1];
    (c, s)
}

fn finite2(p: [f64; 2]) -> bool {
    p[0].is_finite() && p[1].is_finite()
}

fn distance(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Distance from `p` to the segment `ab` (NaN when any input is).
fn segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    distance(p, [a[0] + t * dx, a[1] + t * dy])
}

/// Shoelace area of a ring, translated to its first vertex for accuracy far from the origin;
/// NaN when a coordinate is not finite (the caller maps it to 0).
fn shoelace_area(points: &[[f64; 2]]) -> f64 {
    let Some(&o) = points.first() else {
        return 0.0;
    };
    let n = points.len();
    let twice: f64 = (0..n)
        .map(|i| {
            let (a, b) = (points[i], points[(i + 1) % n]);
            (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
        })
        .sum();
    if points.iter().all(|p| finite2(*p)) {
        twice.abs() / 2.0
    } else {
        f64::NAN
    }
}

impl Shape {
    /// The shape of an image region's value; `None` for values that are not image geometry.
    pub fn from_value(value: &RegionValue) -> Option<Shape> {
        match value {
            RegionValue::BBox { x, y, width, height, rotation, .. } => {
                Some(Shape::Box { x: *x, y: *y, width: *width, height: *height, rotation: *rotation })
            }
            RegionValue::Polygon { points, .. } => Some(Shape::Polygon { points: points.clone() }),
            RegionValue::Keypoint { x, y, .. } => Some(Shape::Point { x: *x, y: *y }),
            _ => None,
        }
    }

    /// A region value of this shape with `label`.
    pub fn to_value(&self, label: String) -> RegionValue {
        match self {
            Shape::Box { x, y, width, height, rotation } => {
                RegionValue::BBox { x: *x, y: *y, width: *width, height: *height, rotation: *rotation, label }
            }
            Shape::Polygon { points } => RegionValue::Polygon { points: points.clone(), label },
            Shape::Point { x, y } => RegionValue::Keypoint { x: *x, y: *y, label },
        }
    }

    /// Writes this geometry into an image region's value, keeping its label (and becoming a
    /// value of this shape's kind if it was another image kind). Values that are not image
    /// geometry are left alone.
    pub fn apply_to(&self, value: &mut RegionValue) {
        let label = match value {
            RegionValue::BBox { label, .. }
            | RegionValue::Polygon { label, .. }
            | RegionValue::Keypoint { label, .. } => std::mem::take(label),
            _ => return,
        };
        *value = self.to_value(label);
    }

    /// Whether every coordinate is a finite number. A shape that is not (a bad prediction)
    /// has empty bounds and is hit nowhere; the region list and validation still show it.
    pub fn is_finite(&self) -> bool {
        match self {
            Shape::Box { x, y, width, height, rotation } => {
                [x, y, width, height, rotation].iter().all(|v| v.is_finite())
            }
            Shape::Polygon { points } => points.iter().all(|p| finite2(*p)),
            Shape::Point { x, y } => finite2([*x, *y]),
        }
    }

    /// The axis-aligned bounds of [`Shape::outline`] (a rotated box's four corners, a point's
    /// zero-size rectangle); [`Rect::EMPTY`] when the shape is not finite.
    pub fn bounds(&self) -> Rect {
        if !self.is_finite() {
            return Rect::EMPTY;
        }
        match self {
            Shape::Point { x, y } => Rect::from_points(&[[*x, *y]]),
            Shape::Box { .. } => Rect::from_points(&self.corners()),
            Shape::Polygon { points } => Rect::from_points(points),
        }
    }

    /// The points to draw: a box's corners (see [`Handle::Corner`]), a polygon's vertices, a
    /// keypoint.
    pub fn outline(&self) -> Vec<[f64; 2]> {
        match self {
            Shape::Box { .. } => self.corners().to_vec(),
            Shape::Polygon { points } => points.clone(),
            Shape::Point { x, y } => vec![[*x, *y]],
        }
    }

    fn corners(&self) -> [[f64; 2]; 4] {
        match *self {
            Shape::Box { x, y, width, height, rotation } => box_corners(&BoxGeometry { x, y, width, height, rotation }),
            Shape::Point { x, y } => [[x, y]; 4],
            Shape::Polygon { .. } => [[f64::NAN; 2]; 4],
        }
    }

    /// Area in image px² (0 for a point, a degenerate or non-finite shape); for a polygon the
    /// shoelace area, as `annoqa_core::geometry::polygon_area` but without allocating (hit
    /// tests compare areas).
    pub fn area(&self) -> f64 {
        let area = match self {
            Shape::Box { width, height, .. } => (width * height).abs(),
            Shape::Polygon { points } => shoelace_area(points),
            Shape::Point { .. } => 0.0,
        };
        if area.is_finite() {
            area
        } else {
            0.0
        }
    }

    /// The centre: a box's middle, a polygon's bounds' middle, the point itself.
    pub fn center(&self) -> [f64; 2] {
        match *self {
            Shape::Box { x, y, width, height, rotation } => {
                let (c, s) = axes(rotation);
                let (u, v) = (width / 2.0, height / 2.0);
                [x + u * c - v * s, y + u * s + v * c]
            }
            Shape::Polygon { .. } => self.bounds().center(),
            Shape::Point { x, y } => [x, y],
        }
    }

    /// Whether `(x, y)` is inside the shape (a box with its rotation, a polygon by the
    /// even–odd rule) or within `tolerance` image px of its outline (a keypoint: of it).
    /// False for non-finite input or shape; a tolerance that is not a positive number counts
    /// as 0.
    pub fn hit(&self, x: f64, y: f64, tolerance: f64) -> bool {
        let tolerance = if tolerance > 0.0 { tolerance } else { 0.0 };
        let p = [x, y];
        if !finite2(p) || !self.is_finite() {
            return false;
        }
        match *self {
            Shape::Point { x: px, y: py } => distance(p, [px, py]) <= tolerance,
            Shape::Box { x: bx, y: by, width, height, rotation } => {
                // Into the box's own frame: origin at (x, y), axes along its edges.
                let (c, s) = axes(rotation);
                let (dx, dy) = (x - bx, y - by);
                let (u, v) = (dx * c + dy * s, -dx * s + dy * c);
                let outside = |t: f64, size: f64| (size.min(0.0) - t).max(t - size.max(0.0)).max(0.0);
                outside(u, width).hypot(outside(v, height)) <= tolerance
            }
            Shape::Polygon { ref points } => {
                let n = points.len();
                (n >= 3 && annoqa_core::geometry::point_in_polygon(points, p))
                    || (0..n).any(|i| segment_distance(p, points[i], points[(i + 1) % n]) <= tolerance)
            }
        }
    }

    /// The handles of the shape and where they are, image px. A box has four corners, four
    /// edge middles and the rotation handle ([`ROTATE_HANDLE_DISTANCE`] CSS px outside the top
    /// edge, turned with the box, so its place depends on the zoom); a polygon its vertices; a
    /// keypoint itself. Handles at non-finite places are left out.
    pub fn handles(&self, view: &Viewport) -> Vec<(Handle, [f64; 2])> {
        let mut out = Vec::new();
        match self {
            Shape::Box { height, rotation, .. } => {
                let corners = self.corners();
                out.extend((0..4u8).map(|i| (Handle::Corner(i), corners[i as usize])));
                let mid = |i: usize| {
                    let (a, b) = (corners[i], corners[(i + 1) % 4]);
                    [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0]
                };
                out.extend((0..4u8).map(|i| (Handle::Edge(i), mid(i as usize))));
                // Outwards from the top edge: the box's "up", (0, −1) turned; flipped for a
                // box of negative height, whose top edge is its bottom.
                let (c, s) = axes(*rotation);
                let d = view.css_to_image(ROTATE_HANDLE_DISTANCE) * if *height < 0.0 { -1.0 } else { 1.0 };
                let top = mid(0);
                out.push((Handle::Rotate, [top[0] + d * s, top[1] - d * c]));
            }
            Shape::Polygon { points } => out.extend(points.iter().enumerate().map(|(i, p)| (Handle::Vertex(i), *p))),
            Shape::Point { x, y } => out.push((Handle::Vertex(0), [*x, *y])),
        }
        out.retain(|(_, p)| finite2(*p));
        out
    }

    /// The handle under the canvas point `(cx, cy)` (CSS px): each handle's hit area is a
    /// square of side 2 × [`HANDLE_HALF_SIZE`] CSS px around it at any zoom; where areas
    /// overlap, the nearest handle wins (corners before edges at equal distance).
    pub fn handle_at(&self, view: &Viewport, cx: f64, cy: f64) -> Option<Handle> {
        let mut best: Option<(f64, Handle)> = None;
        for (handle, [x, y]) in self.handles(view) {
            let (hx, hy) = view.to_canvas(x, y);
            let (dx, dy) = ((cx - hx).abs(), (cy - hy).abs());
            if dx <= HANDLE_HALF_SIZE && dy <= HANDLE_HALF_SIZE {
                let d = dx.hypot(dy);
                if best.is_none_or(|(b, _)| d < b) {
                    best = Some((d, handle));
                }
            }
        }
        best.map(|(_, h)| h)
    }

    /// Moved by `(dx, dy)`; unchanged when either is not finite.
    pub fn translated(&self, dx: f64, dy: f64) -> Shape {
        if !(dx.is_finite() && dy.is_finite()) {
            return self.clone();
        }
        match self {
            Shape::Box { x, y, width, height, rotation } => {
                Shape::Box { x: x + dx, y: y + dy, width: *width, height: *height, rotation: *rotation }
            }
            Shape::Polygon { points } => {
                Shape::Polygon { points: points.iter().map(|p| [p[0] + dx, p[1] + dy]).collect() }
            }
            Shape::Point { x, y } => Shape::Point { x: x + dx, y: y + dy },
        }
    }

    /// The same region with a box's width and height made positive (its top-left corner
    /// moves to the corner that is top-left in the box's own frame); other shapes unchanged.
    pub fn normalized(&self) -> Shape {
        match *self {
            Shape::Box { x, y, width, height, rotation } => {
                let (c, s) = axes(rotation);
                let (u, v) = (width.min(0.0), height.min(0.0));
                Shape::Box {
                    x: x + u * c - v * s,
                    y: y + u * s + v * c,
                    width: width.abs(),
                    height: height.abs(),
                    rotation,
                }
            }
            _ => self.clone(),
        }
    }

    /// The shape with `handle` dragged to `(to_x, to_y)`. Call it on the shape as it was when
    /// the drag started, with the cursor's current place: the result does not depend on the
    /// path.
    ///
    /// - Box corner: the opposite corner stays where it is (in the box's own frame for a
    ///   rotated box); dragging past it flips the box, whose size stays positive and at least
    ///   [`MIN_BOX_SIZE`]. `keep_aspect` keeps the width:height ratio (the larger change wins).
    /// - Box edge: that edge follows the cursor along the box's axis, the opposite edge stays;
    ///   `keep_aspect` scales the other side too, about the box's middle line.
    /// - Rotate: the rotation in [0, 360) that points the handle at the cursor, the box's
    ///   centre fixed.
    /// - Vertex: that polygon vertex, or the keypoint, moves to the cursor.
    ///
    /// A handle the shape does not have, or a non-finite cursor, leaves it unchanged.
    pub fn drag_handle(&self, handle: Handle, to_x: f64, to_y: f64, keep_aspect: bool) -> Shape {
        if !(to_x.is_finite() && to_y.is_finite()) {
            return self.clone();
        }
        match (self, handle) {
            (Shape::Box { .. }, Handle::Corner(i)) if i < 4 => self.drag_box_corner(i, to_x, to_y, keep_aspect),
            (Shape::Box { .. }, Handle::Edge(i)) if i < 4 => self.drag_box_edge(i, to_x, to_y, keep_aspect),
            (Shape::Box { .. }, Handle::Rotate) => {
                let [cx, cy] = self.center();
                let (dx, dy) = (to_x - cx, to_y - cy);
                if dx == 0.0 && dy == 0.0 {
                    return self.clone();
                }
                // The handle points along the box's "up", (sin θ, −cos θ) with y down.
                self.with_rotation(dx.atan2(-dy).to_degrees())
            }
            (Shape::Polygon { points }, Handle::Vertex(i)) if i < points.len() => {
                let mut points = points.clone();
                points[i] = [to_x, to_y];
                Shape::Polygon { points }
            }
            (Shape::Point { .. }, Handle::Vertex(0)) => Shape::Point { x: to_x, y: to_y },
            _ => self.clone(),
        }
    }

    /// A box's geometry in its own frame: origin, axes `u` (along the top edge) and `v`
    /// (along the left edge), positive size. `None` for other shapes.
    fn frame(&self) -> Option<BoxFrame> {
        match self.normalized() {
            Shape::Box { x, y, width, height, rotation } => {
                let (c, s) = axes(rotation);
                Some(BoxFrame { origin: [x, y], c, s, width, height, rotation })
            }
            _ => None,
        }
    }

    fn drag_box_corner(&self, corner: u8, to_x: f64, to_y: f64, keep_aspect: bool) -> Shape {
        let Some(f) = self.frame() else {
            return self.clone();
        };
        // Corner i of the unrotated box sits at (0 or w, 0 or h) in its frame.
        let at = |i: u8| [if i == 1 || i == 2 { f.width } else { 0.0 }, if i >= 2 { f.height } else { 0.0 }];
        let (grab, fixed) = (at(corner), at((corner + 2) % 4));
        let [mut tu, mut tv] = f.local([to_x, to_y]);
        if keep_aspect && f.width > 0.0 && f.height > 0.0 {
            let k = ((tu - fixed[0]).abs() / f.width).max((tv - fixed[1]).abs() / f.height);
            // The side of the fixed corner the cursor is on; on its line, the grabbed corner's.
            let side = |t: f64, from: f64, grabbed: f64| (if t != from { t - from } else { grabbed - from }).signum();
            tu = fixed[0] + side(tu, fixed[0], grab[0]) * k * f.width;
            tv = fixed[1] + side(tv, fixed[1], grab[1]) * k * f.height;
        }
        let (u0, u1) = min_span(fixed[0], tu, grab[0]);
        let (v0, v1) = min_span(fixed[1], tv, grab[1]);
        f.with_extents(u0, v0, u1 - u0, v1 - v0)
    }

    fn drag_box_edge(&self, edge: u8, to_x: f64, to_y: f64, keep_aspect: bool) -> Shape {
        let Some(f) = self.frame() else {
            return self.clone();
        };
        let [tu, tv] = f.local([to_x, to_y]);
        let (mut u, mut v) = ((0.0, f.width), (0.0, f.height));
        // Edges 0 and 2 (top, bottom) move along v, edges 1 and 3 (right, left) along u.
        match edge {
            0 => v = min_span(f.height, tv, 0.0),
            1 => u = min_span(0.0, tu, f.width),
            2 => v = min_span(0.0, tv, f.height),
            _ => u = min_span(f.width, tu, 0.0),
        }
        if keep_aspect && f.width > 0.0 && f.height > 0.0 {
            if edge % 2 == 0 {
                let half = (v.1 - v.0) * f.width / f.height / 2.0;
                u = (f.width / 2.0 - half, f.width / 2.0 + half);
            } else {
                let half = (u.1 - u.0) * f.height / f.width / 2.0;
                v = (f.height / 2.0 - half, f.height / 2.0 + half);
            }
        }
        f.with_extents(u.0, v.0, u.1 - u.0, v.1 - v.0)
    }

    /// A box with the given rotation (taken modulo 360) and the same centre; other shapes
    /// unchanged. Non-finite rotation: unchanged.
    fn with_rotation(&self, rotation: f64) -> Shape {
        let Some(f) = self.frame() else {
            return self.clone();
        };
        if !rotation.is_finite() {
            return self.clone();
        }
        let [cx, cy] = self.center();
        let rotation = rotation.rem_euclid(360.0);
        // `rem_euclid` of a tiny negative number rounds to 360.
        let rotation = if rotation >= 360.0 { 0.0 } else { rotation };
        let (c, s) = axes(rotation);
        let (u, v) = (f.width / 2.0, f.height / 2.0);
        Shape::Box { x: cx - u * c + v * s, y: cy - u * s - v * c, width: f.width, height: f.height, rotation }
    }

    /// Turned by `degrees` clockwise about its centre (boxes only; others unchanged).
    pub fn rotated_by(&self, degrees: f64) -> Shape {
        match self {
            Shape::Box { rotation, .. } if degrees.is_finite() => self.with_rotation(rotation + degrees),
            _ => self.clone(),
        }
    }

    /// Grown by `dw` × `dh` image px (shrunk for negative values), for the keyboard. A box
    /// keeps its top-left corner (in its own frame) and at least [`MIN_BOX_SIZE`]; a polygon
    /// is scaled about its bounds' top-left corner to bounds of at least 1 px (an axis along
    /// which it is flat stays flat); a keypoint is unchanged. Non-finite input: unchanged.
    pub fn resized_by(&self, dw: f64, dh: f64) -> Shape {
        if !(dw.is_finite() && dh.is_finite()) {
            return self.clone();
        }
        match self.normalized() {
            Shape::Box { x, y, width, height, rotation } => Shape::Box {
                x,
                y,
                width: (width + dw).max(MIN_BOX_SIZE),
                height: (height + dh).max(MIN_BOX_SIZE),
                rotation,
            },
            Shape::Polygon { points } => {
                let b = Rect::from_points(&points);
                let factor = |size: f64, d: f64| if size > 0.0 { (size + d).max(1.0) / size } else { 1.0 };
                let (fx, fy) = (factor(b.width(), dw), factor(b.height(), dh));
                let points = points.iter().map(|p| [b.x0 + (p[0] - b.x0) * fx, b.y0 + (p[1] - b.y0) * fy]).collect();
                Shape::Polygon { points }
            }
            point => point,
        }
    }
}

/// `from..to` ordered, at least [`MIN_BOX_SIZE`] long; when too short it extends from `from`
/// toward `to`, or toward `toward` when `to == from`.
fn min_span(from: f64, to: f64, toward: f64) -> (f64, f64) {
    let dir = if to != from { to - from } else { toward - from };
    let to = if (to - from).abs() < MIN_BOX_SIZE { from + MIN_BOX_SIZE.copysign(dir) } else { to };
    (from.min(to), from.max(to))
}

/// A box's own frame: image point = origin + u·(c, s) + v·(−s, c).
struct BoxFrame {
    origin: [f64; 2],
    c: f64,
    s: f64,
    width: f64,
    height: f64,
    rotation: f64,
}

impl BoxFrame {
    /// Image px → the box's frame.
    fn local(&self, p: [f64; 2]) -> [f64; 2] {
        let (dx, dy) = (p[0] - self.origin[0], p[1] - self.origin[1]);
        [dx * self.c + dy * self.s, -dx * self.s + dy * self.c]
    }

    /// The box covering `[u0, u0 + width] × [v0, v0 + height]` of this frame, same rotation.
    fn with_extents(&self, u0: f64, v0: f64, width: f64, height: f64) -> Shape {
        Shape::Box {
            x: self.origin[0] + u0 * self.c - v0 * self.s,
            y: self.origin[1] + u0 * self.s + v0 * self.c,
            width,
            height,
            rotation: self.rotation,
        }
    }
}
