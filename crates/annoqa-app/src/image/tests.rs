//! Native unit tests of the image workspace's DOM-free parts, one section per module.

use annoqa_api::{PyramidLevel, PyramidView};
use annoqa_core::RegionValue;

use super::shape::{HANDLE_HALF_SIZE, MIN_BOX_SIZE, ROTATE_HANDLE_DISTANCE};
use super::viewport::{FOCUS_FILL, FOCUS_MAX_SCALE, KEEP_VISIBLE, MAX_SCALE};
use super::*;

/// A tiny deterministic generator (xorshift64*), so that the randomised tests repeat exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[lo, hi)`.
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn assert_close2(a: [f64; 2], b: [f64; 2], tol: f64) {
    assert!(close(a[0], b[0], tol) && close(a[1], b[1], tol), "{a:?} != {b:?}");
}

/// A view of a `image_w × image_h` image at an exact scale and offset.
fn view_at(image: (f64, f64), scale: f64, offset: (f64, f64)) -> Viewport {
    Viewport {
        canvas_w: 1400.0,
        canvas_h: 900.0,
        image_w: image.0,
        image_h: image.1,
        scale,
        offset_x: offset.0,
        offset_y: offset.1,
    }
}

/// A random shape over a `w × h` image: boxes (some rotated), polygons, keypoints, a few
/// partly outside the image.
fn random_shape(rng: &mut Rng, w: f64, h: f64) -> Shape {
    let (x, y) = (rng.range(-0.05 * w, 1.05 * w), rng.range(-0.05 * h, 1.05 * h));
    match rng.below(4) {
        0 | 1 => Shape::Box {
            x,
            y,
            width: rng.range(1.0, w / 20.0),
            height: rng.range(1.0, h / 20.0),
            rotation: if rng.below(2) == 0 { 0.0 } else { rng.range(0.0, 360.0) },
        },
        2 => {
            let n = 3 + rng.below(6) as usize;
            let r = rng.range(2.0, w / 40.0);
            let points = (0..n)
                .map(|i| {
                    let a = i as f64 / n as f64 * std::f64::consts::TAU;
                    let rr = r * rng.range(0.4, 1.0);
                    [x + rr * a.cos(), y + rr * a.sin()]
                })
                .collect();
            Shape::Polygon { points }
        }
        _ => Shape::Point { x, y },
    }
}

fn random_shapes(seed: u64, n: usize, w: f64, h: f64) -> Vec<Shape> {
    let mut rng = Rng(seed);
    (0..n).map(|_| random_shape(&mut rng, w, h)).collect()
}

// --- viewport: fit, the image px ↔ CSS px mapping, zoom, pan, resize, focus -----------------

#[test]
fn fit_shows_the_whole_image_centred_with_a_margin() {
    let view = Viewport::fit(10_000.0, 10_000.0, 1400.0, 900.0);
    assert!(close(view.scale, (900.0 - 32.0) / 10_000.0, 1e-12));
    let (x0, y0) = view.to_canvas(0.0, 0.0);
    let (x1, y1) = view.to_canvas(10_000.0, 10_000.0);
    assert!(close(x0, 1400.0 - x1, 1e-9) && close(y0, 16.0, 1e-9) && close(y1, 884.0, 1e-9));
    assert_eq!(view.visible_image_rect(), Rect::new(0.0, 0.0, 10_000.0, 10_000.0));
    assert!(view.is_fit());
    // A canvas too small for margins uses all of it.
    let tiny = Viewport::fit(100.0, 50.0, 50.0, 50.0);
    assert!(close(tiny.scale, 0.5, 1e-12));
}

#[test]
fn canvas_and_image_coordinates_round_trip_at_any_zoom_and_pan() {
    let mut rng = Rng(7);
    for scale in [0.05, 0.0868, 0.5, 1.0, 3.7, 32.0] {
        for _ in 0..20 {
            let view = view_at((10_000.0, 8_000.0), scale, (rng.range(-5e4, 5e3), rng.range(-5e4, 5e3)));
            let (x, y) = (rng.range(-100.0, 10_100.0), rng.range(-100.0, 8_100.0));
            let (cx, cy) = view.to_canvas(x, y);
            assert_close2(view.from_canvas(cx, cy).into(), [x, y], 1e-9);
            let (cx, cy) = (rng.range(0.0, 1400.0), rng.range(0.0, 900.0));
            let (x, y) = view.from_canvas(cx, cy);
            assert_close2(view.to_canvas(x, y).into(), [cx, cy], 1e-9);
        }
    }
}

#[test]
fn zoom_keeps_the_image_point_under_the_cursor() {
    let mut view = Viewport::fit(4000.0, 3000.0, 1400.0, 900.0);
    let mut rng = Rng(11);
    for _ in 0..50 {
        let factor = [1.25, 0.8, 2.0, 0.5, 1.1][rng.below(5) as usize];
        let (cx, cy) = (rng.range(300.0, 1100.0), rng.range(200.0, 700.0));
        let before = view.from_canvas(cx, cy);
        let expected = (view.scale * factor).clamp(view.min_scale(), view.max_scale());
        view.zoom_at(factor, cx, cy);
        assert!(close(view.scale, expected, 1e-12));
        // The point stays unless the pan limit had to move the image (not here: the cursor is
        // over the image, which then covers it).
        if before.0 >= 0.0 && before.0 <= 4000.0 && before.1 >= 0.0 && before.1 <= 3000.0 {
            assert_close2(view.from_canvas(cx, cy).into(), before.into(), 1e-9);
        }
    }
}

#[test]
fn zoom_stays_between_fit_and_32_css_px_per_image_px() {
    let mut view = Viewport::fit(10_000.0, 10_000.0, 1400.0, 900.0);
    let fit = view.scale;
    view.zoom_at(1e9, 700.0, 450.0);
    assert_eq!(view.scale, MAX_SCALE);
    view.zoom_at(1e-9, 700.0, 450.0);
    assert_eq!(view.scale, fit);
    view.actual_size(700.0, 450.0);
    assert_eq!(view.scale, 1.0);
    view.refit();
    assert!(view.is_fit());
    // A small image fits larger than 32 and may still be seen at its own size.
    let mut small = Viewport::fit(10.0, 10.0, 1400.0, 900.0);
    assert!(small.scale > MAX_SCALE && small.max_scale() == small.scale);
    small.actual_size(700.0, 450.0);
    assert_eq!(small.scale, 1.0);
}

#[test]
fn panning_never_loses_the_image() {
    for scale in [0.0868, 1.0, 32.0] {
        let mut view = Viewport::fit(10_000.0, 10_000.0, 1400.0, 900.0);
        view.zoom_to(scale, 700.0, 450.0);
        for (dx, dy) in [(1e7, 0.0), (-1e7, 0.0), (0.0, 1e7), (0.0, -1e7), (1e7, -1e7), (-3e5, 2e5)] {
            view.pan_by(dx, dy);
            let shown = view.rect_to_canvas(&view.visible_image_rect());
            let keep = |extent: f64| KEEP_VISIBLE.min(extent * scale) - 1e-6;
            assert!(shown.width() >= keep(10_000.0) && shown.height() >= keep(10_000.0), "{scale}: {view:?}");
        }
    }
}

#[test]
fn resizing_keeps_the_centre_point_or_the_fit() {
    let mut view = Viewport::fit(4000.0, 3000.0, 1400.0, 900.0);
    view.resize(800.0, 600.0);
    assert!(view.is_fit());
    assert_eq!(view, Viewport::fit(4000.0, 3000.0, 800.0, 600.0));
    view.zoom_at(4.0, 300.0, 200.0);
    let centre = view.from_canvas(400.0, 300.0);
    let scale = view.scale;
    view.resize(1000.0, 500.0);
    assert_eq!(view.scale, scale);
    assert_close2(view.from_canvas(500.0, 250.0).into(), centre.into(), 1e-9);
}

#[test]
fn focus_on_zooms_to_a_far_region_and_only_pans_to_a_visible_one() {
    let mut view = Viewport::fit(10_000.0, 10_000.0, 1400.0, 900.0);
    let target = Rect::new(8000.0, 9200.0, 9000.0, 9700.0);
    view.focus_on(target);
    let shown = view.rect_to_canvas(&target);
    assert_close2(shown.center(), [700.0, 450.0], 1e-6);
    assert!(close(shown.width() / 1400.0, FOCUS_FILL, 1e-9) || close(shown.height() / 900.0, FOCUS_FILL, 1e-9));
    // Already shown whole: nothing moves.
    let before = view;
    view.focus_on(Rect::new(8100.0, 9300.0, 8500.0, 9500.0));
    assert_eq!(view, before);
    // Partly off the canvas at a good size: a small pan brings it in, same zoom.
    let (x, _) = view.from_canvas(1350.0, 0.0);
    let (_, y) = view.from_canvas(0.0, 450.0);
    let edge = Rect::new(x, y, x + 400.0, y + 200.0);
    view.focus_on(edge);
    assert_eq!(view.scale, before.scale);
    let shown = view.rect_to_canvas(&edge);
    assert!(close(shown.x1, 1400.0 - 16.0, 1e-6) && close(shown.y0, 450.0, 1e-6));
    // A keypoint: centred, zoomed to at most FOCUS_MAX_SCALE.
    view.refit();
    view.focus_on(Rect::new(5000.0, 5000.0, 5000.0, 5000.0));
    assert_eq!(view.scale, FOCUS_MAX_SCALE);
    assert_close2(view.to_canvas(5000.0, 5000.0).into(), [700.0, 450.0], 1e-6);
}

#[test]
fn viewport_ignores_non_finite_input() {
    let fit = Viewport::fit(f64::NAN, 0.0, f64::INFINITY, -3.0);
    assert!(fit.scale.is_finite() && fit.offset_x.is_finite() && fit.offset_y.is_finite());
    let mut view = Viewport::fit(1000.0, 1000.0, 1400.0, 900.0);
    let before = view;
    view.zoom_at(f64::NAN, 1.0, 1.0);
    view.zoom_at(2.0, f64::NAN, 1.0);
    view.zoom_to(f64::INFINITY, 1.0, 1.0);
    view.pan_by(f64::NAN, 3.0);
    view.focus_on(Rect::new(f64::NAN, 0.0, 1.0, 1.0));
    view.focus_on(Rect::EMPTY);
    assert_eq!(view, before);
    view.resize(f64::NAN, 900.0);
    assert!(view.scale.is_finite() && view.canvas_w == 1.0);
}

// --- spatial: rectangles and the grid index ---------------------------------------------------

#[test]
fn rect_helpers() {
    let r = Rect::from_points(&[[3.0, 4.0], [f64::NAN, 0.0], [1.0, 9.0], [f64::INFINITY, 1.0]]);
    assert_eq!(r, Rect::new(1.0, 4.0, 3.0, 9.0));
    assert_eq!((r.width(), r.height(), r.area()), (2.0, 5.0, 10.0));
    assert!(Rect::from_points(&[[f64::NAN, 1.0]]).is_empty());
    let point = Rect::from_points(&[[2.0, 5.0]]);
    assert!(!point.is_empty() && r.intersects(&point) && point.contains(2.0, 5.0));
    // Touching edges intersect; empty and NaN rectangles meet nothing.
    assert!(r.intersects(&Rect::new(3.0, 9.0, 4.0, 10.0)));
    assert!(!r.intersects(&Rect::new(3.1, 0.0, 4.0, 10.0)));
    assert!(!r.intersects(&Rect::EMPTY) && !Rect::new(f64::NAN, 0.0, 5.0, 5.0).intersects(&r));
    assert_eq!(r.union(&Rect::EMPTY), r);
    assert_eq!(Rect::EMPTY.union(&r), r);
    assert_eq!(r.union(&point.inflate(10.0)), Rect::new(-8.0, -5.0, 12.0, 15.0));
    assert!(Rect::EMPTY.inflate(5.0).is_empty());
    assert!(!r.contains(f64::NAN, 5.0));
    assert!(r.contains_rect(&Rect::new(1.5, 5.0, 2.0, 6.0)) && !r.contains_rect(&Rect::EMPTY));
    assert!(r.intersection(&Rect::new(10.0, 10.0, 11.0, 11.0)).is_empty());
}

fn brute_force(bounds: &[Option<Rect>], query: &Rect) -> Vec<u32> {
    (0..bounds.len() as u32)
        .filter(|&i| bounds[i as usize].is_some_and(|b| b.is_finite() && b.intersects(query)))
        .collect()
}

fn random_query(rng: &mut Rng, w: f64, h: f64) -> Rect {
    let (x, y) = (rng.range(-0.2 * w, 1.2 * w), rng.range(-0.2 * h, 1.2 * h));
    let size = [0.0, w / 100.0, w / 10.0, w / 2.0, 2.0 * w][rng.below(5) as usize];
    Rect::new(x, y, x + rng.range(0.0, size), y + rng.range(0.0, size))
}

fn check_queries(index: &SpatialIndex, bounds: &[Option<Rect>], rng: &mut Rng, w: f64, h: f64) {
    let mut out = vec![99];
    for _ in 0..200 {
        let q = random_query(rng, w, h);
        index.query(q, &mut out);
        assert_eq!(out, brute_force(bounds, &q), "query {q:?}");
    }
    assert_eq!(index.len(), bounds.iter().flatten().count());
    for (slot, b) in bounds.iter().enumerate() {
        assert_eq!(index.bounds(slot as u32), *b);
    }
}

#[test]
fn index_queries_equal_brute_force_after_edits() {
    let (w, h) = (1000.0, 800.0);
    let mut rng = Rng(42);
    let mut bounds: Vec<Option<Rect>> = random_shapes(1, 2000, w, h).iter().map(|s| Some(s.bounds())).collect();
    // Shapes a bad prediction could produce: NaN, far outside, huge.
    bounds[5] = Some(Shape::Point { x: f64::NAN, y: 3.0 }.bounds());
    bounds[6] = Some(Rect::new(-1e9, -1e9, -1e9 + 5.0, -1e9 + 5.0));
    bounds[7] = Some(Rect::new(-10.0, -10.0, 5000.0, 5000.0));
    let flat: Vec<Rect> = bounds.iter().flatten().copied().collect();
    let mut index = SpatialIndex::new(w, h, &flat);
    check_queries(&index, &bounds, &mut rng, w, h);
    for _ in 0..1000 {
        let slot = rng.below(2100) as u32;
        match rng.below(3) {
            0 => {
                index.remove(slot);
                if let Some(b) = bounds.get_mut(slot as usize) {
                    *b = None;
                }
            }
            _ => {
                let rect = random_shape(&mut rng, w, h).bounds();
                index.update(slot, rect);
                if bounds.len() <= slot as usize {
                    bounds.resize(slot as usize + 1, None);
                }
                bounds[slot as usize] = Some(rect);
            }
        }
    }
    check_queries(&index, &bounds, &mut rng, w, h);
    let mut out = vec![1, 2];
    index.query(Rect::new(f64::NAN, 0.0, 10.0, 10.0), &mut out);
    assert!(out.is_empty());
}

#[test]
fn empty_index_takes_inserts() {
    let mut index = SpatialIndex::new(0.0, f64::NAN, &[]);
    assert!(index.is_empty());
    index.insert(3, Rect::new(1.0, 1.0, 2.0, 2.0));
    let mut out = Vec::new();
    index.query(Rect::new(0.0, 0.0, 1.0, 1.0), &mut out);
    assert_eq!((out, index.len(), index.bounds(0)), (vec![3], 1, None));
}

// --- hit: which region a click means -------------------------------------------------------

#[test]
fn hit_test_equals_brute_force() {
    let (w, h) = (2000.0, 1500.0);
    let shapes: Vec<Option<Shape>> = random_shapes(3, 2000, w, h).into_iter().map(Some).collect();
    let bounds: Vec<Rect> = shapes.iter().flatten().map(Shape::bounds).collect();
    let index = SpatialIndex::new(w, h, &bounds);
    let mut rng = Rng(5);
    let mut hits = 0;
    for _ in 0..2000 {
        let (x, y, tol) = (rng.range(-50.0, w + 50.0), rng.range(-50.0, h + 50.0), rng.range(0.0, 6.0));
        let expected = (0..shapes.len() as u32)
            .filter(|&i| shapes[i as usize].as_ref().is_some_and(|s| s.hit(x, y, tol)))
            .min_by(|&a, &b| {
                let area = |i: u32| shapes[i as usize].as_ref().map_or(0.0, Shape::area);
                area(a).total_cmp(&area(b)).then(b.cmp(&a))
            });
        assert_eq!(hit_test(&index, &shapes, x, y, tol), expected);
        hits += usize::from(expected.is_some());
    }
    assert!(hits > 200, "the test should hit shapes often: {hits}");
}

#[test]
fn small_shapes_inside_big_ones_stay_clickable() {
    let shapes = vec![
        Some(Shape::Box { x: 0.0, y: 0.0, width: 100.0, height: 100.0, rotation: 0.0 }),
        Some(Shape::Box { x: 40.0, y: 40.0, width: 10.0, height: 10.0, rotation: 0.0 }),
        Some(Shape::Box { x: 0.0, y: 0.0, width: 100.0, height: 100.0, rotation: 0.0 }),
        Some(Shape::Point { x: 45.0, y: 45.0 }),
        None,
    ];
    let bounds: Vec<Rect> = shapes.iter().map(|s| s.as_ref().map_or(Rect::EMPTY, Shape::bounds)).collect();
    let index = SpatialIndex::new(100.0, 100.0, &bounds);
    assert_eq!(hit_test(&index, &shapes, 42.0, 42.0, 1.0), Some(1));
    assert_eq!(hit_test(&index, &shapes, 45.5, 45.0, 1.0), Some(3));
    // Two equal boxes: the one drawn last.
    assert_eq!(hit_test(&index, &shapes, 10.0, 10.0, 1.0), Some(2));
    assert_eq!(hit_test(&index, &shapes, 150.0, 10.0, 1.0), None);
    assert_eq!(hit_test(&index, &shapes, f64::NAN, 10.0, 1.0), None);
    assert_eq!(hit_test(&index, &shapes, 10.0, 10.0, f64::NAN), Some(2));
}

// --- shape: values, bounds, hits, handles, edits ---------------------------------------------

fn rotated_box() -> Shape {
    Shape::Box { x: 100.0, y: 50.0, width: 80.0, height: 40.0, rotation: 30.0 }
}

#[test]
fn shapes_come_from_and_go_back_to_region_values() {
    let mut value = RegionValue::BBox { x: 1.0, y: 2.0, width: 3.0, height: 4.0, rotation: 5.0, label: "car".into() };
    let shape = Shape::from_value(&value).unwrap();
    shape.translated(10.0, 0.0).apply_to(&mut value);
    let moved = RegionValue::BBox { x: 11.0, y: 2.0, width: 3.0, height: 4.0, rotation: 5.0, label: "car".into() };
    assert_eq!(value, moved);
    let mut polygon = RegionValue::Polygon { points: vec![[0.0, 0.0]], label: "lake".into() };
    Shape::Point { x: 1.0, y: 2.0 }.apply_to(&mut polygon);
    assert_eq!(polygon, RegionValue::Keypoint { x: 1.0, y: 2.0, label: "lake".into() });
    let mut text = RegionValue::TextSpan { start: 0, end: 1, label: "x".into() };
    assert_eq!(Shape::from_value(&text), None);
    shape.apply_to(&mut text);
    assert_eq!(text, RegionValue::TextSpan { start: 0, end: 1, label: "x".into() });
}

#[test]
fn bounds_and_outline() {
    let b = rotated_box();
    let outline = b.outline();
    assert_eq!(outline.len(), 4);
    assert_eq!(outline[0], [100.0, 50.0]);
    assert_eq!(b.bounds(), Rect::from_points(&outline));
    assert!(b.bounds().x0 < 100.0 && close(b.area(), 3200.0, 1e-9));
    let polygon = vec![[1e6, 1e6], [1e6 + 4.0, 1e6], [1e6 + 4.0, 1e6], [1e6, 1e6 + 3.0]];
    assert_eq!(Shape::Polygon { points: polygon.clone() }.area(), annoqa_core::geometry::polygon_area(&polygon));
    assert_eq!(Shape::Polygon { points: vec![[0.0, 0.0], [1.0, f64::NAN], [1.0, 1.0]] }.area(), 0.0);
    assert_eq!(Shape::Point { x: 3.0, y: 4.0 }.bounds(), Rect::new(3.0, 4.0, 3.0, 4.0));
    assert!(Shape::Box { x: f64::NAN, y: 0.0, width: 1.0, height: 1.0, rotation: 0.0 }.bounds().is_empty());
}

#[test]
fn hits_respect_rotation_tolerance_and_the_even_odd_rule() {
    let b = rotated_box();
    let centre = b.center();
    assert!(b.hit(centre[0], centre[1], 0.0));
    // (100 + 79, 51) is inside the unrotated box, not the turned one.
    assert!(!b.hit(179.0, 51.0, 0.0));
    // 3 px outside the top edge's middle: a hit within 3.5, not within 2.5.
    let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
    let p = [100.0 + 40.0 * c + 3.0 * s, 50.0 + 40.0 * s - 3.0 * c];
    assert!(b.hit(p[0], p[1], 3.5) && !b.hit(p[0], p[1], 2.5));
    // A C-shaped polygon: its notch is outside.
    let c_shape = Shape::Polygon {
        points: vec![
            [0.0, 0.0],
            [30.0, 0.0],
            [30.0, 10.0],
            [10.0, 10.0],
            [10.0, 20.0],
            [30.0, 20.0],
            [30.0, 30.0],
            [0.0, 30.0],
        ],
    };
    assert!(c_shape.hit(5.0, 15.0, 0.0) && !c_shape.hit(20.0, 15.0, 0.0) && c_shape.hit(20.0, 11.0, 1.5));
    assert!(Shape::Point { x: 1.0, y: 1.0 }.hit(2.0, 1.0, 1.0) && !Shape::Point { x: 1.0, y: 1.0 }.hit(2.1, 1.0, 1.0));
    // NaN anywhere: no hit, no panic.
    let nan_box = Shape::Box { x: 0.0, y: 0.0, width: f64::NAN, height: 5.0, rotation: 0.0 };
    assert!(!nan_box.hit(0.5, 0.5, 1.0) && !b.hit(f64::NAN, 60.0, 5.0) && nan_box.bounds().is_empty());
    let nan_polygon = Shape::Polygon { points: vec![[0.0, 0.0], [f64::NAN, 5.0], [5.0, 5.0]] };
    assert!(!nan_polygon.hit(3.0, 1.0, 0.1));
    assert!(!Shape::Polygon { points: vec![] }.hit(0.0, 0.0, 1.0));
}

#[test]
fn handles_are_24_css_px_targets_at_any_zoom() {
    // At 0.05 the box is 200 × 150 CSS px, at 32 it is 640 × 480: handles do not overlap.
    let cases = [(0.05, 4000.0, 3000.0), (32.0, 20.0, 15.0)];
    for (scale, w, h) in cases {
        let view = view_at((40_000.0, 40_000.0), scale, (100.0, 100.0));
        let shape = Shape::Box { x: 10.0, y: 20.0, width: w, height: h, rotation: 20.0 };
        let handles = shape.handles(&view);
        assert_eq!(handles.len(), 9);
        for (handle, [x, y]) in handles {
            let (hx, hy) = view.to_canvas(x, y);
            let inside = HANDLE_HALF_SIZE - 0.01;
            for (dx, dy) in [(inside, inside), (-inside, inside), (inside, -inside), (-inside, -inside), (0.0, 0.0)] {
                assert_eq!(shape.handle_at(&view, hx + dx, hy + dy), Some(handle), "{scale} {handle:?}");
            }
            let outside = HANDLE_HALF_SIZE + 0.01;
            assert_ne!(shape.handle_at(&view, hx + outside, hy), Some(handle));
        }
        // The rotation handle sits ROTATE_HANDLE_DISTANCE CSS px out from the top edge's middle.
        let find = |h: Handle| shape.handles(&view).into_iter().find(|(k, _)| *k == h).unwrap().1;
        let (top, rotate) = (find(Handle::Edge(0)), find(Handle::Rotate));
        let gap = (rotate[0] - top[0]).hypot(rotate[1] - top[1]) * scale;
        assert!(close(gap, ROTATE_HANDLE_DISTANCE, 1e-9));
        assert!(!shape.hit(rotate[0], rotate[1], 0.0));
    }
    let polygon = Shape::Polygon { points: vec![[0.0, 0.0], [10.0, f64::NAN], [20.0, 0.0]] };
    let view = view_at((100.0, 100.0), 1.0, (0.0, 0.0));
    assert_eq!(polygon.handles(&view).len(), 2);
    assert_eq!(polygon.handle_at(&view, 19.0, 1.0), Some(Handle::Vertex(2)));
}

#[test]
fn corner_drag_keeps_the_opposite_corner_fixed() {
    let mut rng = Rng(9);
    for rotation in [0.0, 30.0, 90.0, 135.0, 300.5] {
        let shape = Shape::Box { x: 100.0, y: 50.0, width: 80.0, height: 40.0, rotation };
        let corners = shape.outline();
        for corner in 0..4u8 {
            let fixed = corners[(corner as usize + 2) % 4];
            for _ in 0..10 {
                // Anywhere, flips past the fixed corner included.
                let to = [rng.range(0.0, 300.0), rng.range(-50.0, 200.0)];
                for keep_aspect in [false, true] {
                    let out = shape.drag_handle(Handle::Corner(corner), to[0], to[1], keep_aspect);
                    let Shape::Box { width, height, rotation: r, .. } = out else { panic!("{out:?}") };
                    assert!(width >= MIN_BOX_SIZE && height >= MIN_BOX_SIZE && r == rotation);
                    let outline = out.outline();
                    let near = |p: [f64; 2], q: [f64; 2]| close(p[0], q[0], 1e-9) && close(p[1], q[1], 1e-9);
                    assert!(outline.iter().any(|&p| near(p, fixed)), "{rotation} {corner} {to:?} {out:?}");
                    if keep_aspect {
                        assert!(close(width / height, 2.0, 1e-9) || width == MIN_BOX_SIZE || height == MIN_BOX_SIZE);
                    } else if width > MIN_BOX_SIZE && height > MIN_BOX_SIZE {
                        // The dragged corner follows the cursor.
                        assert!(outline.iter().any(|&p| (p[0] - to[0]).hypot(p[1] - to[1]) < 1e-9));
                    }
                }
            }
        }
    }
}

#[test]
fn edge_drag_moves_one_edge() {
    let shape = Shape::Box { x: 10.0, y: 10.0, width: 40.0, height: 20.0, rotation: 0.0 };
    let right = shape.drag_handle(Handle::Edge(1), 70.0, 500.0, false);
    assert_eq!(right, Shape::Box { x: 10.0, y: 10.0, width: 60.0, height: 20.0, rotation: 0.0 });
    // The top edge dragged below the bottom one: flipped, still positive.
    let top = shape.drag_handle(Handle::Edge(0), 0.0, 40.0, false);
    assert_eq!(top, Shape::Box { x: 10.0, y: 30.0, width: 40.0, height: 10.0, rotation: 0.0 });
    let aspect = shape.drag_handle(Handle::Edge(3), 0.0, 0.0, true);
    assert_eq!(aspect, Shape::Box { x: 0.0, y: 7.5, width: 50.0, height: 25.0, rotation: 0.0 });
}

#[test]
fn rotation_keeps_the_centre_fixed() {
    let shape = rotated_box();
    let centre = shape.center();
    let turned = shape.rotated_by(-45.0);
    assert!(matches!(turned, Shape::Box { rotation, .. } if close(rotation, 345.0, 1e-12)));
    assert_close2(turned.center(), centre, 1e-9);
    // The rotation handle dragged to a point: it now points there, centre unchanged.
    let view = view_at((1000.0, 1000.0), 2.0, (0.0, 0.0));
    for to in [[300.0, 300.0], [centre[0] - 50.0, centre[1]], [centre[0], centre[1] - 1.0], [0.0, 80.0]] {
        let out = shape.drag_handle(Handle::Rotate, to[0], to[1], false);
        let Shape::Box { rotation, .. } = out else { panic!() };
        assert!((0.0..360.0).contains(&rotation));
        assert_close2(out.center(), centre, 1e-9);
        let handle = out.handles(&view).into_iter().find(|(h, _)| *h == Handle::Rotate).unwrap().1;
        // Same direction from the centre: unit vectors equal.
        let unit = |p: [f64; 2]| {
            let (dx, dy) = (p[0] - centre[0], p[1] - centre[1]);
            [dx / dx.hypot(dy), dy / dx.hypot(dy)]
        };
        assert_close2(unit(handle), unit(to), 1e-9);
    }
    assert_eq!(shape.drag_handle(Handle::Rotate, centre[0], centre[1], false), shape);
    let polygon = Shape::Polygon { points: vec![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]] };
    assert_eq!(polygon.rotated_by(30.0), polygon);
}

#[test]
fn resize_translate_and_normalise() {
    let shape = Shape::Box { x: 10.0, y: 10.0, width: 4.0, height: 3.0, rotation: 0.0 };
    assert_eq!(shape.resized_by(2.0, -10.0), Shape::Box { x: 10.0, y: 10.0, width: 6.0, height: 1.0, rotation: 0.0 });
    let polygon = Shape::Polygon { points: vec![[10.0, 10.0], [20.0, 10.0], [10.0, 30.0]] };
    assert_eq!(
        polygon.resized_by(10.0, -10.0),
        Shape::Polygon { points: vec![[10.0, 10.0], [30.0, 10.0], [10.0, 20.0]] }
    );
    assert_eq!(Shape::Point { x: 1.0, y: 1.0 }.resized_by(5.0, 5.0), Shape::Point { x: 1.0, y: 1.0 });
    assert_eq!(polygon.translated(1.0, -1.0).outline()[1], [21.0, 9.0]);
    // A box of negative size is the same region as its normalised form.
    let flipped = Shape::Box { x: 50.0, y: 20.0, width: -30.0, height: -10.0, rotation: 40.0 };
    let normal = flipped.normalized();
    let mut a = flipped.outline();
    let mut b = normal.outline();
    for v in [&mut a, &mut b] {
        v.sort_by(|p, q| p[0].total_cmp(&q[0]));
    }
    for (p, q) in a.iter().zip(&b) {
        assert_close2(*p, *q, 1e-9);
    }
    let Shape::Box { width, height, rotation, .. } = normal else { panic!("{normal:?}") };
    assert_eq!((width, height, rotation), (30.0, 10.0, 40.0));
}

#[test]
fn edits_ignore_non_finite_input() {
    let shape = rotated_box();
    assert_eq!(shape.translated(f64::NAN, 1.0), shape);
    assert_eq!(shape.drag_handle(Handle::Corner(2), f64::NAN, 1.0, false), shape);
    assert_eq!(shape.drag_handle(Handle::Vertex(0), 1.0, 1.0, false), shape);
    assert_eq!(shape.rotated_by(f64::INFINITY), shape);
    assert_eq!(shape.resized_by(f64::NAN, 0.0), shape);
    let polygon = Shape::Polygon { points: vec![[0.0, 0.0]] };
    assert_eq!(polygon.drag_handle(Handle::Vertex(3), 1.0, 1.0, false), polygon);
}

// --- tool: the drawing tools' state machine -------------------------------------------------

#[test]
fn tool_keys() {
    for tool in Tool::ALL {
        assert_eq!(Tool::from_key(tool.key()), Some(tool));
        assert_eq!(Tool::from_key(tool.key().to_ascii_uppercase()), Some(tool));
    }
    assert_eq!(Tool::from_key('x'), None);
}

#[test]
fn rectangle_tool_draws_on_drag_only() {
    let mut d = Drawing::new(Tool::Rectangle);
    d.press(10.0, 10.0, None, 0.5);
    assert_eq!(d.release(10.0, 10.0, false), Outcome::Nothing);
    d.press(10.0, 10.0, None, 0.5);
    assert_eq!(d.release(30.0, 10.4, false), Outcome::Nothing);
    d.press(30.0, 40.0, None, 0.5);
    let preview = d.drag(20.0, 30.0, false);
    assert_eq!(preview, Some(Shape::Box { x: 20.0, y: 30.0, width: 10.0, height: 10.0, rotation: 0.0 }));
    let done = d.release(10.0, 25.0, false);
    assert_eq!(done, Outcome::Create(Shape::Box { x: 10.0, y: 25.0, width: 20.0, height: 15.0, rotation: 0.0 }));
    assert!(!d.is_busy());
    // NaN events change nothing.
    assert_eq!(d.press(f64::NAN, 1.0, None, 0.5), Outcome::Nothing);
    assert!(!d.is_busy());
}

#[test]
fn polygon_tool_adds_undoes_cancels_and_closes() {
    let mut d = Drawing::new(Tool::Polygon);
    for (x, y) in [(0.0, 0.0), (10.0, 0.0)] {
        assert_eq!(d.click(x, y, 2.0), Outcome::Nothing);
    }
    assert_eq!(d.preview(Some([5.0, 5.0])), vec![[0.0, 0.0], [10.0, 0.0], [5.0, 5.0]]);
    assert_eq!(d.preview(Some([f64::NAN, 5.0])).len(), 2);
    // Two points: Enter keeps drawing.
    assert_eq!(d.close(), Outcome::Nothing);
    assert!(d.is_busy());
    d.click(10.0, 10.0, 2.0);
    assert!(d.backspace());
    assert_eq!(d.preview(None), vec![[0.0, 0.0], [10.0, 0.0]]);
    d.click(10.0, 10.0, 2.0);
    // A click on the first point closes.
    let triangle = vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]];
    assert_eq!(d.click(1.0, 1.0, 2.0), Outcome::Create(Shape::Polygon { points: triangle.clone() }));
    assert!(!d.is_busy() && !d.backspace());
    // A double-click: click, click in the same place, then close. Without a tolerance the
    // second click lands as a repeated vertex, which closing drops.
    for (x, y) in [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (10.0, 10.0)] {
        d.click(x, y, -1.0);
    }
    assert_eq!(d.preview(None).len(), 4);
    assert_eq!(d.close(), Outcome::Create(Shape::Polygon { points: triangle.clone() }));
    // With one, the second click (a pixel off) adds nothing.
    for (x, y) in [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (10.3, 10.0)] {
        d.click(x, y, 2.0);
    }
    assert_eq!(d.preview(None).len(), 3);
    assert_eq!(d.close(), Outcome::Create(Shape::Polygon { points: triangle }));
    // Three points, two of them equal: not a polygon yet.
    for (x, y) in [(0.0, 0.0), (10.0, 0.0), (0.0, 0.0)] {
        d.click(x, y, 0.0);
    }
    assert_eq!(d.close(), Outcome::Nothing);
    assert!(d.cancel());
    assert!(!d.is_busy() && !d.cancel());
    assert!(d.preview(Some([1.0, 1.0])).is_empty());
    d.click(1.0, 1.0, 2.0);
    assert!(d.backspace());
    assert!(!d.is_busy());
}

#[test]
fn keypoint_tool_creates_at_once() {
    let mut d = Drawing::new(Tool::Keypoint);
    assert_eq!(d.click(3.0, 4.0, 2.0), Outcome::Create(Shape::Point { x: 3.0, y: 4.0 }));
    assert_eq!(d.click(f64::NAN, 4.0, 2.0), Outcome::Nothing);
    assert!(!d.is_busy());
}

#[test]
fn select_tool_moves_and_reshapes_only_when_dragged() {
    let shape = Shape::Box { x: 10.0, y: 10.0, width: 20.0, height: 20.0, rotation: 0.0 };
    let grab = |handle| Some(Grab { slot: 4, shape: shape.clone(), handle });
    let mut d = Drawing::new(Tool::Select);
    // A click selects and commits nothing, a jitter under the slop included.
    assert_eq!(d.press(15.0, 15.0, grab(None), 1.0), Outcome::Select(Some(4)));
    assert_eq!(d.drag(15.5, 15.0, false), Some(shape.clone()));
    assert_eq!(d.release(15.5, 15.0, false), Outcome::Nothing);
    // A move: provisional while dragging, committed on release.
    d.press(15.0, 15.0, grab(None), 1.0);
    let moved = Shape::Box { x: 20.0, y: 15.0, width: 20.0, height: 20.0, rotation: 0.0 };
    assert_eq!(d.drag(25.0, 20.0, false), Some(moved.clone()));
    assert!(matches!(d.gesture(), Gesture::Edit { slot: 4, .. }));
    assert_eq!(d.release(25.0, 20.0, false), Outcome::Edit { slot: 4, shape: moved });
    // A handle drag; Esc reverts it.
    d.press(30.0, 30.0, grab(Some(Handle::Corner(2))), 1.0);
    let grown = Shape::Box { x: 10.0, y: 10.0, width: 30.0, height: 40.0, rotation: 0.0 };
    assert_eq!(d.drag(40.0, 50.0, false), Some(grown.clone()));
    assert_eq!(d.release(40.0, 50.0, false), Outcome::Edit { slot: 4, shape: grown });
    d.press(30.0, 30.0, grab(Some(Handle::Corner(2))), 1.0);
    d.drag(40.0, 50.0, false);
    assert!(d.cancel());
    assert_eq!(d.release(40.0, 50.0, false), Outcome::Nothing);
    // Dragged away and back: nothing changed, nothing to commit.
    d.press(15.0, 15.0, grab(None), 1.0);
    d.drag(40.0, 40.0, false);
    d.drag(15.0, 15.0, false);
    assert_eq!(d.release(15.0, 15.0, false), Outcome::Nothing);
    // Empty space clears the selection.
    assert_eq!(d.press(90.0, 90.0, None, 1.0), Outcome::Select(None));
    assert!(!d.is_busy());
    // Switching tools abandons the gesture.
    d.press(15.0, 15.0, grab(None), 1.0);
    d.set_tool(Tool::Polygon);
    assert!(!d.is_busy() && d.tool() == Tool::Polygon);
}

// --- tiles: which pyramid tiles to draw -------------------------------------------------------

/// A pyramid as the server cuts it (`annoqa_media::level_sizes`).
fn pyramid(width: u32, height: u32, tile_size: u32) -> PyramidView {
    let mut levels = Vec::new();
    let (mut w, mut h) = (width, height);
    loop {
        levels.push(PyramidLevel { width: w, height: h, columns: w.div_ceil(tile_size), rows: h.div_ceil(tile_size) });
        if (w <= tile_size && h <= tile_size) || (w == 1 && h == 1) {
            break;
        }
        (w, h) = (w.div_ceil(2), h.div_ceil(2));
    }
    PyramidView { width, height, tile_size, levels, version: "v1".into() }
}

/// Level `level` is the coarsest one with enough pixels for the screen.
fn assert_coarsest_sufficient(view: &Viewport, dpr: f64, p: &PyramidView, level: usize) {
    let need = view.scale * dpr;
    let resolution = |l: usize| f64::from(p.levels[l].width) / f64::from(p.width);
    assert!(level == 0 || resolution(level) >= need, "level {level} too coarse for {need}");
    assert!(level + 1 == p.levels.len() || resolution(level + 1) < need, "level {level} finer than needed");
}

/// The tiles of `level` that share area with the visible rectangle, by trying them all.
fn tiles_brute_force(view: &Viewport, p: &PyramidView, level: usize) -> Vec<TileKey> {
    let visible = view.visible_image_rect();
    let l = &p.levels[level];
    let mut out = Vec::new();
    for row in 0..l.rows {
        for column in 0..l.columns {
            let key = TileKey { level: level as u32, column, row };
            let overlap = tile_rect(p, key).intersection(&visible);
            if overlap.width() > 0.0 && overlap.height() > 0.0 {
                out.push(key);
            }
        }
    }
    out
}

#[test]
fn fit_view_of_a_large_image_needs_few_tiles() {
    let mut view = Viewport::fit(10_000.0, 10_000.0, 1400.0, 900.0);
    for tile_size in [512, 256] {
        let p = pyramid(10_000, 10_000, tile_size);
        let level = level_for(&view, 1.0, &p.levels);
        assert_eq!(level, 3);
        assert_coarsest_sufficient(&view, 1.0, &p, level);
        let tiles = visible_tiles(&view, &p, level);
        assert_eq!(tiles, tiles_brute_force(&view, &p, level));
        // 1250 level px: 3 × 3 tiles of 512, 5 × 5 of 256 (the server's size).
        assert_eq!(tiles.len(), if tile_size == 512 { 9 } else { 25 });
    }
    let p = pyramid(10_000, 10_000, 256);
    for factor in [4.0, 40.0, 1000.0] {
        view.refit();
        view.zoom_at(factor, 500.0, 300.0);
        for dpr in [1.0, 1.5, 2.0] {
            let level = level_for(&view, dpr, &p.levels);
            assert_coarsest_sufficient(&view, dpr, &p, level);
            let tiles = visible_tiles(&view, &p, level);
            assert_eq!(tiles, tiles_brute_force(&view, &p, level));
            // Only what the canvas shows: the chosen level has under twice the device pixels
            // needed, so at most that many tiles plus one cut by each edge.
            let across = (2.0 * 1400.0 * dpr / 256.0f64).ceil() + 1.0;
            let down = (2.0 * 900.0 * dpr / 256.0f64).ceil() + 1.0;
            assert!(tiles.len() as f64 <= across * down, "{factor} {dpr}: {}", tiles.len());
        }
    }
    // Past 1:1: the full-size level.
    view.zoom_to(1.0, 0.0, 0.0);
    assert_eq!(level_for(&view, 1.0, &p.levels), 0);
    view.zoom_to(0.5, 0.0, 0.0);
    assert_eq!(level_for(&view, 1.0, &p.levels), 1);
    assert_eq!(level_for(&view, 2.0, &p.levels), 0);
}

#[test]
fn tile_rects_cover_the_image_with_smaller_edge_tiles() {
    let p = pyramid(1001, 700, 256);
    for (level, l) in p.levels.iter().enumerate() {
        let mut area = 0.0;
        for row in 0..l.rows {
            for column in 0..l.columns {
                let r = tile_rect(&p, TileKey { level: level as u32, column, row });
                assert!(Rect::new(0.0, 0.0, 1001.0, 700.0).inflate(1e-9).contains_rect(&r));
                area += r.area();
            }
        }
        assert!(close(area, 1001.0 * 700.0, 1e-6), "level {level}");
    }
    // Level 0's last column is 1001 − 3 × 256 = 233 px wide; level 1 (501 px) covers 1001/501.
    assert_eq!(tile_rect(&p, TileKey { level: 0, column: 3, row: 0 }).width(), 233.0);
    let r = tile_rect(&p, TileKey { level: 1, column: 1, row: 0 });
    assert!(close(r.x0, 256.0 * 1001.0 / 501.0, 1e-9) && close(r.x1, 1001.0, 1e-9));
    assert!(tile_rect(&p, TileKey { level: 9, column: 0, row: 0 }).is_empty());
    let view = Viewport::fit(1001.0, 700.0, 1400.0, 900.0);
    assert!(visible_tiles(&view, &p, 9).is_empty());
    assert_eq!(level_for(&view, 1.0, &[]), 0);
    assert_eq!(level_for(&view, f64::NAN, &p.levels), 0);
}
