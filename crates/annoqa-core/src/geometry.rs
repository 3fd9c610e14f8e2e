//! Plane geometry for image and video regions: box and polygon IoU, polygon validity, media
//! bounds and keypoint similarity.
//!
//! Coordinates are media pixels, origin top left (see [`crate::RegionValue`]). Every function
//! takes whatever a user can type, NaN and infinities included, and answers with a number in
//! its documented range: a degenerate shape (non-finite, zero or negative area) has IoU 0 with
//! everything, itself included, and is reported by [`polygon_problem`] or the validators rather
//! than through NaN.
//!
//! Boxes may be rotated: `rotation` degrees clockwise on screen (y down) about the top-left
//! corner `(x, y)`, taken modulo 360 (see [`box_corners`]). A rotated box is the polygon of its
//! four corners for IoU and for the media check, and its axis-aligned bounds
//! ([`box_bounds`]) for overlap searches.
//!
//! Reference definitions:
//! - box IoU as py-motmetrics' `boxiou` (`[x, y, w, h]`, intersection over union of areas),
//!   with the same order of floating-point operations, when neither box is rotated; with a
//!   rotation, the polygon IoU of the boxes' corners;
//! - polygon area and IoU as shapely (GEOS): `a.intersection(b).area / a.union(b).area`, agreeing
//!   to ~1e-9 relative on valid polygons (see [`polygon_intersection_area`] for the method);
//! - polygon validity as GEOS `is_valid` for a polygon without holes;
//! - keypoint similarity as COCO's OKS (pycocotools `computeOks`).

use crate::order::sort_indices;
use crate::BoxGeometry;

/// `x.clamp(lo, hi)` for bounds known to be in order (`lo <= hi`, neither NaN): `f64::clamp`'s
/// steps, so the same result (NaN stays NaN) and the same machine code, less the check of the
/// bounds, whose panic message was the npm module's only use of `f64`'s `Debug` formatting.
#[inline]
pub(crate) fn clamp_ordered(mut x: f64, lo: f64, hi: f64) -> f64 {
    if x < lo {
        x = lo;
    }
    if x > hi {
        x = hi;
    }
    x
}

/// Area of a box (rotation does not change it); 0 when a side is not positive or a value,
/// rotation included, is not finite.
pub fn box_area(b: &BoxGeometry) -> f64 {
    if box_is_degenerate(b) {
        0.0
    } else {
        b.width * b.height
    }
}

fn box_is_degenerate(b: &BoxGeometry) -> bool {
    let finite =
        b.x.is_finite() && b.y.is_finite() && b.width.is_finite() && b.height.is_finite() && b.rotation.is_finite();
    // Stated positively and negated as a whole, so that NaN counts as degenerate too.
    !(finite && b.width > 0.0 && b.height > 0.0 && (b.width * b.height).is_finite())
}

/// Whether a box is turned at all: its rotation modulo 360 is not 0 (a non-finite rotation
/// counts as turned; such a box is degenerate anyway).
pub fn box_is_rotated(b: &BoxGeometry) -> bool {
    b.rotation.rem_euclid(360.0) != 0.0
}

/// Sine and cosine of an angle in degrees, exact at the multiples of 90° so that a box turned
/// by a quarter is exactly the axis-aligned box it becomes.
fn sin_cos_degrees(degrees: f64) -> (f64, f64) {
    let turned = degrees.rem_euclid(360.0);
    if turned == 0.0 {
        (0.0, 1.0)
    } else if turned == 90.0 {
        (1.0, 0.0)
    } else if turned == 180.0 {
        (0.0, -1.0)
    } else if turned == 270.0 {
        (-1.0, 0.0)
    } else {
        turned.to_radians().sin_cos()
    }
}

/// The corners of a box: top-left `(x, y)`, top-right, bottom-right, bottom-left of the
/// unrotated box, each turned `rotation` degrees about `(x, y)`. With y pointing down, the
/// rotation `(dx, dy) → (dx cos θ − dy sin θ, dx sin θ + dy cos θ)` is clockwise on screen, as
/// Label Studio's rectangles (its `rotation` turns a rectangle about its top-left corner).
pub fn box_corners(b: &BoxGeometry) -> [[f64; 2]; 4] {
    let (sin, cos) = sin_cos_degrees(b.rotation);
    let turn = |dx: f64, dy: f64| [b.x + dx * cos - dy * sin, b.y + dx * sin + dy * cos];
    [turn(0.0, 0.0), turn(b.width, 0.0), turn(b.width, b.height), turn(0.0, b.height)]
}

/// The axis-aligned bounding box of a (possibly rotated) box; the box itself when it is not
/// rotated. Overlap searches look for candidates among these bounds.
pub fn box_bounds(b: &BoxGeometry) -> BoxGeometry {
    if !box_is_rotated(b) {
        return BoxGeometry { rotation: 0.0, ..*b };
    }
    let corners = box_corners(b);
    let [x0, y0, x1, y1] = bbox(&corners);
    BoxGeometry::new(x0, y0, size_reaching(x0, x1), size_reaching(y0, y1))
}

/// `end − start`, made a few ulps larger where `start + (end − start)` would round below `end`:
/// the searches compare against that sum, and bounds must hold every corner.
fn size_reaching(start: f64, end: f64) -> f64 {
    let mut size = end - start;
    let mut step = f64::EPSILON * start.abs().max(end.abs()).max(f64::MIN_POSITIVE);
    // Ends for any input: false for NaN, and the step doubles.
    while start + size < end {
        size += step;
        step *= 2.0;
    }
    size
}

/// Intersection over union of two boxes, in [0, 1] and symmetric. 0 when either box is
/// degenerate (see [`box_area`]) or the boxes only touch. When either box is rotated, the IoU
/// of the two corner polygons ([`polygon_iou`]).
pub fn box_iou(a: &BoxGeometry, b: &BoxGeometry) -> f64 {
    if box_is_degenerate(a) || box_is_degenerate(b) {
        return 0.0;
    }
    if box_is_rotated(a) || box_is_rotated(b) {
        return polygon_iou(&box_corners(a), &box_corners(b));
    }
    // Same operations as py-motmetrics' `boxiou` (sizes taken back from the corners), so
    // cross-checks agree to the last bit, also at the IoU threshold.
    let (ax2, ay2, bx2, by2) = (a.x + a.width, a.y + a.height, b.x + b.width, b.y + b.height);
    let iw = (ax2.min(bx2) - a.x.max(b.x)).max(0.0);
    let ih = (ay2.min(by2) - a.y.max(b.y)).max(0.0);
    let inter = iw * ih;
    if inter <= 0.0 || inter.is_nan() {
        return 0.0;
    }
    let union = (ax2 - a.x) * (ay2 - a.y) + (bx2 - b.x) * (by2 - b.y) - inter;
    let iou = inter / union;
    // `x + w - x` can exceed `w` by an ulp, which could push the ratio a hair above 1.
    if iou.is_finite() {
        clamp_ordered(iou, 0.0, 1.0)
    } else {
        0.0
    }
}

/// How far past an edge (in pixels) a coordinate may lie and still count as on it. Coordinates
/// that went through percent (Label Studio), normalised (YOLO) or rotated corners carry rounding
/// of about 1e-13 px: a box drawn to the edge must not be reported outside for it.
pub const MEDIA_EDGE_SLACK: f64 = 1e-6;

/// Whether a point lies in a `width × height` media, edges included (within
/// [`MEDIA_EDGE_SLACK`]).
pub fn point_in_media(x: f64, y: f64, width: f64, height: f64) -> bool {
    let within = |v: f64, size: f64| (-MEDIA_EDGE_SLACK..=size + MEDIA_EDGE_SLACK).contains(&v);
    x.is_finite() && y.is_finite() && within(x, width) && within(y, height)
}

/// Whether a box lies in the media, edges included: its corners do (rotated ones too; the
/// media being convex, the whole box then does). A degenerate box is not in the media.
pub fn box_in_media(b: &BoxGeometry, width: f64, height: f64) -> bool {
    if box_is_degenerate(b) {
        return false;
    }
    if box_is_rotated(b) {
        return polygon_in_media(&box_corners(b), width, height);
    }
    point_in_media(b.x, b.y, width, height) && point_in_media(b.x + b.width, b.y + b.height, width, height)
}

/// Whether every vertex of a polygon lies in the media (then, the media being convex, the whole
/// polygon does). An empty polygon is not in the media.
pub fn polygon_in_media(points: &[[f64; 2]], width: f64, height: f64) -> bool {
    !points.is_empty() && points.iter().all(|p| point_in_media(p[0], p[1], width, height))
}

/// What makes a polygon unusable, in the order [`polygon_problem`] checks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PolygonProblem {
    /// A coordinate is NaN or infinite.
    NotFinite,
    /// Fewer than three distinct vertices once repeated consecutive points (and a closing point
    /// equal to the first) are dropped.
    TooFewPoints { distinct: usize },
    /// All vertices lie on one line.
    ZeroArea,
    /// Two edges cross, touch, or overlap (including an edge folding back onto its neighbour).
    SelfIntersecting { at: [f64; 2] },
}

impl std::fmt::Display for PolygonProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolygonProblem::NotFinite => write!(f, "polygon has a coordinate that is not a number"),
            PolygonProblem::TooFewPoints { distinct } => {
                write!(f, "polygon needs at least 3 distinct points, has {distinct}")
            }
            PolygonProblem::ZeroArea => {
                write!(f, "polygon has no area: all points lie on one line")
            }
            PolygonProblem::SelfIntersecting { at } => {
                write!(f, "polygon crosses itself near ({:.1}, {:.1})", at[0], at[1])
            }
        }
    }
}

/// Why a polygon is not a valid simple polygon, or `None` when it is.
///
/// Valid means: finite coordinates, at least 3 distinct vertices, non-zero area, and no two
/// edges meeting except neighbours at their shared vertex (GEOS's rule for a polygon without
/// holes: a ring touching itself at a vertex is invalid too). Repeated consecutive points are
/// allowed and ignored, as in GEOS.
///
/// Cost: sort-and-sweep over the edges' x-extents, O(n log n + p) where p is the number of
/// edge pairs whose x-extents overlap — near-linear for annotation outlines, O(n²) only for
/// pathological zig-zags. The predicates use plain f64 arithmetic, exact for coordinates that
/// are integers or have few significant bits (pixel annotations); for arbitrary reals a
/// touching within rounding error may go either way.
pub fn polygon_problem(points: &[[f64; 2]]) -> Option<PolygonProblem> {
    if points.iter().flatten().any(|c| !c.is_finite()) {
        return Some(PolygonProblem::NotFinite);
    }
    let ring = distinct_ring(points);
    if ring.len() < 3 {
        return Some(PolygonProblem::TooFewPoints { distinct: ring.len() });
    }
    if all_collinear(&ring) {
        return Some(PolygonProblem::ZeroArea);
    }
    self_intersection(&ring).map(|at| PolygonProblem::SelfIntersecting { at })
}

/// The vertices without repeats of the previous vertex and without a closing copy of the first.
fn distinct_ring(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = Vec::with_capacity(points.len());
    for &p in points {
        if ring.last() != Some(&p) {
            ring.push(p);
        }
    }
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    ring
}

fn all_collinear(ring: &[[f64; 2]]) -> bool {
    let (a, b) = (ring[0], ring[1]);
    ring.iter().all(|&c| orient(a, b, c) == 0.0)
}

fn sub(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] - b[0], a[1] - b[1]]
}

fn cross(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}

fn dot(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}

/// Twice the signed area of triangle `abc`: positive when `c` is left of `a → b`.
fn orient(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    cross(sub(b, a), sub(c, a))
}

/// Whether `c`, known to be collinear with segment `ab`, lies within its bounding box.
fn within(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> bool {
    c[0] >= a[0].min(b[0]) && c[0] <= a[0].max(b[0]) && c[1] >= a[1].min(b[1]) && c[1] <= a[1].max(b[1])
}

/// A point where closed segments `ab` and `cd` meet, if they do.
fn segments_meet(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> Option<[f64; 2]> {
    let (o1, o2, o3, o4) = (orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b));
    if o1 * o2 < 0.0 && o3 * o4 < 0.0 {
        let t = o3 / (o3 - o4);
        return Some([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
    }
    [(o1, a, b, c), (o2, a, b, d), (o3, c, d, a), (o4, c, d, b)]
        .into_iter()
        .find(|&(o, p, q, r)| o == 0.0 && within(p, q, r))
        .map(|(_, _, _, r)| r)
}

/// A point where two edges of the ring meet other than neighbours at their shared vertex.
fn self_intersection(ring: &[[f64; 2]]) -> Option<[f64; 2]> {
    let n = ring.len();
    let edge = |i: usize| (ring[i], ring[(i + 1) % n]);
    let min_x = |i: usize| ring[i][0].min(ring[(i + 1) % n][0]);
    let max_x = |i: usize| ring[i][0].max(ring[(i + 1) % n][0]);
    let mut order: Vec<usize> = (0..n).collect();
    sort_indices(&mut order, |i, j| min_x(i).total_cmp(&min_x(j)));
    let mut active: Vec<usize> = Vec::new();
    for &i in &order {
        active.retain(|&j| max_x(j) >= min_x(i));
        let (a, b) = edge(i);
        for &j in &active {
            let (c, d) = edge(j);
            let next = |k: usize| (k + 1) % n;
            if next(i) == j || next(j) == i {
                // Neighbours share one vertex; they are wrong only when the second folds back
                // along the first (a spike), i.e. collinear and pointing the same way from it.
                let (shared, p, q) = if next(i) == j { (b, a, d) } else { (a, b, c) };
                if orient(p, shared, q) == 0.0 && dot(sub(p, shared), sub(q, shared)) > 0.0 {
                    return Some(shared);
                }
                continue;
            }
            if let Some(at) = segments_meet(a, b, c, d) {
                return Some(at);
            }
        }
        active.push(i);
    }
    None
}

/// Twice the signed area (positive counter-clockwise in a y-up frame) of a ring translated by
/// `-origin`; translating first keeps far-from-origin polygons accurate.
fn ring_area2(ring: &[[f64; 2]], origin: [f64; 2]) -> f64 {
    let n = ring.len();
    (0..n).map(|i| cross(sub(ring[i], origin), sub(ring[(i + 1) % n], origin))).sum()
}

/// Area of a polygon by the shoelace formula, ≥ 0. Not finite or fewer than 3 distinct points:
/// 0. A self-intersecting polygon gets the shoelace value (lobes of opposite orientation
/// cancel), which is why IoU needs [`polygon_problem`] to pass first.
pub fn polygon_area(points: &[[f64; 2]]) -> f64 {
    match clean(points) {
        // Coordinates near f64::MAX overflow to infinities (and NaN); such a polygon has no
        // usable area.
        Some(ring) => Some(ring_area2(&ring, ring[0]).abs() / 2.0).filter(|a| a.is_finite()).unwrap_or(0.0),
        None => 0.0,
    }
}

fn clean(points: &[[f64; 2]]) -> Option<Vec<[f64; 2]>> {
    if points.iter().flatten().any(|c| !c.is_finite()) {
        return None;
    }
    let ring = distinct_ring(points);
    (ring.len() >= 3).then_some(ring)
}

/// Area of the intersection of two simple polygons (convex or not), ≥ 0.
///
/// Method (Green's theorem): the boundary of `A ∩ B` consists of the pieces of A's edges inside
/// B and of B's edges inside A, both oriented counter-clockwise, so the area is
/// ½ Σ (x dy − y dx) over those pieces. Each edge is split where it meets the other polygon's
/// edges and every piece is classified by its midpoint. Pieces on both boundaries (shared
/// edges) count once when the two edges run the same way (both interiors on the same side)
/// and not at all when they run opposite ways (the polygons only touch). Edges count as
/// collinear within 1e-12 of the polygons' extent, so shared edges given with slightly
/// different rounding still cancel cleanly.
///
/// Cost O((n + m + k) · (n + m)) for k crossings — fine for annotation outlines of hundreds of
/// vertices. Unlike clipping algorithms (Sutherland–Hodgman needs a convex clip polygon,
/// Greiner–Hormann needs perturbation for shared vertices) it builds no output polygon, so
/// there is no degenerate case to patch. Invalid (self-intersecting) input gives a finite
/// number without meaning; validate first.
pub fn polygon_intersection_area(a: &[[f64; 2]], b: &[[f64; 2]]) -> f64 {
    match prepare(a, b) {
        Some(pair) => pair.intersection2() / 2.0,
        None => 0.0,
    }
}

/// Intersection over union of two polygons, in [0, 1] and symmetric (to rounding). 0 when
/// either polygon is degenerate (not finite, fewer than 3 distinct points, zero area).
pub fn polygon_iou(a: &[[f64; 2]], b: &[[f64; 2]]) -> f64 {
    let Some(pair) = prepare(a, b) else {
        return 0.0;
    };
    let inter = pair.intersection2();
    let union = pair.area_p + pair.area_q - inter;
    let iou = inter / union;
    if iou.is_finite() && inter > 0.0 {
        clamp_ordered(iou, 0.0, 1.0)
    } else {
        0.0
    }
}

/// Two rings translated to a common local origin and oriented counter-clockwise, with twice
/// their areas.
struct PolygonPair {
    p: Vec<[f64; 2]>,
    q: Vec<[f64; 2]>,
    area_p: f64,
    area_q: f64,
    /// Distance under which two edges count as collinear.
    tolerance: f64,
}

fn bbox(ring: &[[f64; 2]]) -> [f64; 4] {
    ring.iter().fold([f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY], |b, p| {
        [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])]
    })
}

fn prepare(a: &[[f64; 2]], b: &[[f64; 2]]) -> Option<PolygonPair> {
    let (mut p, mut q) = (clean(a)?, clean(b)?);
    let (bp, bq) = (bbox(&p), bbox(&q));
    // Disjoint bounding boxes: nothing in common (and the areas are not needed).
    if bp[2] < bq[0] || bq[2] < bp[0] || bp[3] < bq[1] || bq[3] < bp[1] {
        return None;
    }
    let origin = [bp[0].min(bq[0]), bp[1].min(bq[1])];
    for v in p.iter_mut().chain(q.iter_mut()) {
        *v = sub(*v, origin);
    }
    let (mut area_p, mut area_q) = (ring_area2(&p, [0.0; 2]), ring_area2(&q, [0.0; 2]));
    if area_p < 0.0 {
        p.reverse();
        area_p = -area_p;
    }
    if area_q < 0.0 {
        q.reverse();
        area_q = -area_q;
    }
    let extent = (bp[2].max(bq[2]) - origin[0]).max(bp[3].max(bq[3]) - origin[1]);
    if !(area_p > 0.0 && area_q > 0.0 && area_p.is_finite() && area_q.is_finite() && extent.is_finite()) {
        return None;
    }
    Some(PolygonPair { p, q, area_p, area_q, tolerance: extent * 1e-12 })
}

impl PolygonPair {
    /// Twice the intersection area.
    fn intersection2(&self) -> f64 {
        let sum = boundary_inside(&self.p, &self.q, true, self.tolerance)
            + boundary_inside(&self.q, &self.p, false, self.tolerance);
        // Both areas are positive and finite (`polygon_pair`).
        clamp_ordered(sum, 0.0, self.area_p.min(self.area_q))
    }
}

/// Distance from `c` to the line through `a` and `b` (`a ≠ b`).
fn line_distance(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    orient(a, b, c).abs() / dot(sub(b, a), sub(b, a)).sqrt()
}

/// Whether segments `ab` and `cd` lie on one line (within `tol`). Symmetric in the two segments
/// so that both passes of [`boundary_inside`] agree on which edges are shared.
fn collinear(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2], tol: f64) -> bool {
    line_distance(a, b, c) <= tol
        && line_distance(a, b, d) <= tol
        && line_distance(c, d, a) <= tol
        && line_distance(c, d, b) <= tol
}

/// Twice the signed area contributed by the pieces of `ring`'s edges that lie inside `other`.
/// Pieces on `other`'s boundary count only when `keep_shared` and the edges run the same way.
fn boundary_inside(ring: &[[f64; 2]], other: &[[f64; 2]], keep_shared: bool, tol: f64) -> f64 {
    let (n, m) = (ring.len(), other.len());
    let mut sum = 0.0;
    let mut cuts: Vec<f64> = Vec::new();
    let mut shared: Vec<(f64, f64, bool)> = Vec::new();
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        let r = sub(b, a);
        let rr = dot(r, r);
        cuts.clear();
        shared.clear();
        cuts.extend([0.0, 1.0]);
        for j in 0..m {
            let (c, d) = (other[j], other[(j + 1) % m]);
            if a[0].max(b[0]) + tol < c[0].min(d[0])
                || c[0].max(d[0]) + tol < a[0].min(b[0])
                || a[1].max(b[1]) + tol < c[1].min(d[1])
                || c[1].max(d[1]) + tol < a[1].min(b[1])
            {
                continue;
            }
            let s = sub(d, c);
            if collinear(a, b, c, d, tol) {
                let t0 = dot(sub(c, a), r) / rr;
                let t1 = dot(sub(d, a), r) / rr;
                cuts.extend([t0, t1].into_iter().filter(|t| *t > 0.0 && *t < 1.0));
                let (lo, hi) = (t0.min(t1).max(0.0), t0.max(t1).min(1.0));
                if lo < hi {
                    shared.push((lo, hi, dot(r, s) > 0.0));
                }
                continue;
            }
            let denom = cross(r, s);
            if denom == 0.0 {
                continue;
            }
            let ca = sub(c, a);
            let t = cross(ca, s) / denom;
            let u = cross(ca, r) / denom;
            if (0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u) {
                cuts.push(t);
            }
        }
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        let at = |t: f64| {
            if t == 1.0 {
                b
            } else {
                [a[0] + t * r[0], a[1] + t * r[1]]
            }
        };
        for w in cuts.windows(2) {
            let (t0, t1) = (w[0], w[1]);
            let mid = (t0 + t1) / 2.0;
            let inside = match shared.iter().find(|(lo, hi, _)| *lo <= mid && mid <= *hi) {
                Some(&(_, _, same_way)) => keep_shared && same_way,
                None => point_in_polygon(other, at(mid)),
            };
            if inside {
                sum += cross(at(t0), at(t1));
            }
        }
    }
    sum
}

/// Even–odd point-in-polygon test (equal to non-zero winding for simple polygons). Points on
/// the boundary go either way; callers that care (the app's hit test) add a tolerance band.
pub fn point_in_polygon(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let n = ring.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            if p[0] < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// COCO keypoint similarity of one keypoint: `exp(−d² / (2 s² k²))` where `d²` is the squared
/// distance to gold, `s²` the object's area and `k` the per-keypoint constant (COCO's κ = 2σ;
/// pycocotools' `sigmas` are σ). As in pycocotools, `s²` gets machine epsilon added so a
/// zero-area object still scores 1 for an exact hit. Non-finite or negative inputs, or `k ≤ 0`
/// with a non-zero distance, score 0.
pub fn keypoint_similarity(distance_sq: f64, object_area: f64, kappa: f64) -> f64 {
    if distance_sq.is_nan() || distance_sq < 0.0 || distance_sq.is_infinite() {
        return 0.0;
    }
    if distance_sq == 0.0 {
        return 1.0;
    }
    if !(kappa > 0.0 && kappa.is_finite() && object_area >= 0.0 && object_area.is_finite()) {
        return 0.0;
    }
    // The operation order of pycocotools: e = d² / vars / (area + eps) / 2 with vars = κ².
    let e = distance_sq / (kappa * kappa) / (object_area + f64::EPSILON) / 2.0;
    (-e).exp()
}

/// One gold keypoint of an object and the annotated one paired with it (if any).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeypointPair {
    pub gold: [f64; 2],
    pub annotated: Option<[f64; 2]>,
    /// COCO κ = 2σ for this keypoint's label.
    pub kappa: f64,
}

/// Object keypoint similarity (OKS): the mean [`keypoint_similarity`] over the object's gold
/// keypoints (pycocotools averages over the visible gold keypoints); a missing annotated
/// keypoint scores 0. Without gold keypoints there is nothing to be similar to: 0. Whether an
/// empty answer to an empty gold counts as correct is the scorer's decision, not this
/// function's.
pub fn object_keypoint_similarity(pairs: &[KeypointPair], object_area: f64) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    let total: f64 = pairs
        .iter()
        .map(|p| match p.annotated {
            Some(q) => {
                let (dx, dy) = (q[0] - p.gold[0], q[1] - p.gold[1]);
                keypoint_similarity(dx * dx + dy * dy, object_area, p.kappa)
            }
            None => 0.0,
        })
        .sum();
    total / pairs.len() as f64
}

// Unit tests are native only: proptest needs an OS random source that wasm32 lacks.
#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "geometry_tests.rs"]
mod tests;
