//! Worked examples (computed by hand in the comments) and property tests of the geometry.

use proptest::prelude::*;

use super::*;

fn bx(x: f64, y: f64, width: f64, height: f64) -> BoxGeometry {
    BoxGeometry::new(x, y, width, height)
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<[f64; 2]> {
    vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn box_iou_worked_examples() {
    // 10×10 boxes offset by (5, 5): intersection 5·5 = 25, union 100 + 100 − 25 = 175.
    assert_eq!(box_iou(&bx(0.0, 0.0, 10.0, 10.0), &bx(5.0, 5.0, 10.0, 10.0)), 25.0 / 175.0);
    // A box inside another: 4 / 100.
    assert_eq!(box_iou(&bx(0.0, 0.0, 10.0, 10.0), &bx(3.0, 3.0, 2.0, 2.0)), 0.04);
    assert_eq!(box_iou(&bx(1.0, 2.0, 3.0, 4.0), &bx(1.0, 2.0, 3.0, 4.0)), 1.0);
    // Touching along an edge: no area in common.
    assert_eq!(box_iou(&bx(0.0, 0.0, 10.0, 10.0), &bx(10.0, 0.0, 10.0, 10.0)), 0.0);
    // Degenerate boxes have IoU 0 with everything, themselves included.
    let unit = bx(0.0, 0.0, 1.0, 1.0);
    for bad in [
        bx(0.0, 0.0, 0.0, 1.0),
        bx(0.0, 0.0, -1.0, 1.0),
        bx(f64::NAN, 0.0, 1.0, 1.0),
        bx(0.0, 0.0, f64::INFINITY, 1.0),
        bx(0.0, 0.0, 1e200, 1e200),
    ] {
        assert_eq!(box_iou(&bad, &unit), 0.0, "{bad:?}");
        assert_eq!(box_iou(&bad, &bad), 0.0, "{bad:?}");
        assert_eq!(box_area(&bad), 0.0, "{bad:?}");
    }
}

fn turned(x: f64, y: f64, width: f64, height: f64, rotation: f64) -> BoxGeometry {
    BoxGeometry { x, y, width, height, rotation }
}

#[test]
fn a_quarter_turn_about_the_top_left_corner_is_the_axis_aligned_box_it_becomes() {
    // Turning (dx, dy) by 90° clockwise on screen (y down) gives (−dy, dx): the 30×10 box at
    // (100, 50) sweeps left of its corner and becomes the 10×30 box at (90, 50).
    let b = turned(100.0, 50.0, 30.0, 10.0, 90.0);
    assert_eq!(box_corners(&b), [[100.0, 50.0], [100.0, 80.0], [90.0, 80.0], [90.0, 50.0]]);
    let became = bx(90.0, 50.0, 10.0, 30.0);
    assert_eq!(box_bounds(&b), became);
    assert!(close(box_iou(&b, &became), 1.0), "{}", box_iou(&b, &became));
    // Half a turn: (−dx, −dy); three quarters (or −90°): (dy, −dx).
    let half = bx(70.0, 40.0, 30.0, 10.0);
    assert!(close(box_iou(&turned(100.0, 50.0, 30.0, 10.0, 180.0), &half), 1.0));
    let three_quarters = bx(100.0, 20.0, 10.0, 30.0);
    assert!(close(box_iou(&turned(100.0, 50.0, 30.0, 10.0, 270.0), &three_quarters), 1.0));
    assert!(close(box_iou(&turned(100.0, 50.0, 30.0, 10.0, -90.0), &three_quarters), 1.0));
    assert!(close(box_iou(&turned(100.0, 50.0, 30.0, 10.0, 450.0), &became), 1.0));
}

#[test]
fn whole_turns_are_no_rotation() {
    let plain = bx(0.0, 0.0, 10.0, 10.0);
    let other = bx(5.0, 5.0, 10.0, 10.0);
    for rotation in [360.0, -360.0, 720.0, 0.0, -0.0] {
        let b = turned(0.0, 0.0, 10.0, 10.0, rotation);
        assert!(!box_is_rotated(&b), "{rotation}");
        // The axis-aligned formula, to the bit.
        assert_eq!(box_iou(&b, &other).to_bits(), box_iou(&plain, &other).to_bits(), "{rotation}");
        assert_eq!(box_bounds(&b), plain);
    }
    assert!(box_is_rotated(&turned(0.0, 0.0, 10.0, 10.0, 359.5)));
}

#[test]
fn rotated_box_iou_worked_examples() {
    // A square of side 10√2 turned 45° about its top-left corner (0, 0) is the diamond with
    // vertices (0, 0), (10, 10), (0, 20), (−10, 10): |x| + |y − 10| ≤ 10, area 200.
    let side = 10.0 * std::f64::consts::SQRT_2;
    let diamond = turned(0.0, 0.0, side, side, 45.0);
    let corners = box_corners(&diamond);
    for (got, want) in corners.iter().zip([[0.0, 0.0], [10.0, 10.0], [0.0, 20.0], [-10.0, 10.0]]) {
        assert!(close(got[0], want[0]) && close(got[1], want[1]), "{corners:?}");
    }
    let bounds = box_bounds(&diamond);
    assert!(close(bounds.x, -10.0) && close(bounds.y, 0.0) && close(bounds.width, 20.0) && close(bounds.height, 20.0));
    // The same diamond 10 px to the right: two diamonds of half-diagonal h = 10 whose centres
    // are d = 10 apart along a diagonal meet in a diamond of diagonals 2h − d = 10, area
    // 10²/2 = 50; union 200 + 200 − 50 = 350.
    let shifted = turned(10.0, 0.0, side, side, 45.0);
    assert!(close(box_iou(&diamond, &shifted), 50.0 / 350.0), "{}", box_iou(&diamond, &shifted));
    // Against the axis-aligned box [0, 10] × [0, 20]: its right half, 100; union 200 + 200 −
    // 100 = 300.
    assert!(close(box_iou(&diamond, &bx(0.0, 0.0, 10.0, 20.0)), 1.0 / 3.0));
    assert!(close(box_iou(&bx(0.0, 0.0, 10.0, 20.0), &diamond), 1.0 / 3.0));
    // Rotation leaves the area alone; a rotation that is not a number makes the box unusable.
    assert!(close(box_area(&diamond), 200.0));
    for bad in [f64::NAN, f64::INFINITY] {
        let b = turned(0.0, 0.0, 10.0, 10.0, bad);
        assert_eq!((box_area(&b), box_iou(&b, &b), box_in_media(&b, 100.0, 100.0)), (0.0, 0.0, false));
    }
}

#[test]
fn rotated_boxes_are_in_the_media_when_their_corners_are() {
    // The diamond with corners (10, 0), (20, 10), (10, 20), (0, 10) fills a 20×20 image (its
    // corners computed a rounding error past the edge, within MEDIA_EDGE_SLACK).
    let side = 10.0 * std::f64::consts::SQRT_2;
    assert!(box_in_media(&turned(10.0, 0.0, side, side, 45.0), 20.0, 20.0));
    // Moved 5 px left its left corner is at x = −5, although the unturned box (5, 0, 14.1 ×
    // 14.1) would lie inside.
    assert!(!box_in_media(&turned(5.0, 0.0, side, side, 45.0), 20.0, 20.0));
    assert!(box_in_media(&bx(5.0, 0.0, side, side), 20.0, 20.0));
}

#[test]
fn media_bounds() {
    // Edges are inside: a box may touch the border of a 640×480 image.
    assert!(box_in_media(&bx(0.0, 0.0, 640.0, 480.0), 640.0, 480.0));
    assert!(!box_in_media(&bx(-0.5, 0.0, 10.0, 10.0), 640.0, 480.0));
    assert!(!box_in_media(&bx(635.0, 0.0, 10.0, 10.0), 640.0, 480.0));
    assert!(!box_in_media(&bx(0.0, 0.0, 0.0, 10.0), 640.0, 480.0));
    assert!(point_in_media(640.0, 480.0, 640.0, 480.0));
    // Percent round trips land a hair past the edge (100 % of 320 px read back as 320.00000000000006).
    assert!(point_in_media(100.0 / 100.0 * 320.0 + 6e-14, -1e-13, 320.0, 240.0));
    assert!(!point_in_media(320.001, 10.0, 320.0, 240.0));
    assert!(!point_in_media(10.0, -0.001, 320.0, 240.0));
    assert!(!point_in_media(f64::NAN, 1.0, 640.0, 480.0));
    assert!(polygon_in_media(&[[0.0, 0.0], [640.0, 0.0], [0.0, 480.0]], 640.0, 480.0));
    assert!(!polygon_in_media(&[[0.0, 0.0], [641.0, 0.0], [0.0, 480.0]], 640.0, 480.0));
    assert!(!polygon_in_media(&[], 640.0, 480.0));
}

#[test]
fn polygon_area_worked_examples() {
    // Right triangle with legs 4 and 3: 6, whichever the orientation.
    assert_eq!(polygon_area(&[[0.0, 0.0], [4.0, 0.0], [0.0, 3.0]]), 6.0);
    assert_eq!(polygon_area(&[[0.0, 3.0], [4.0, 0.0], [0.0, 0.0]]), 6.0);
    // A closing point and repeated points change nothing.
    assert_eq!(polygon_area(&[[0.0, 0.0], [4.0, 0.0], [4.0, 0.0], [0.0, 3.0], [0.0, 0.0]]), 6.0);
    // L shape: 2×2 square minus its 1×1 top-right quarter = 3.
    assert_eq!(polygon_area(&l_shape()), 3.0);
    assert_eq!(polygon_area(&[]), 0.0);
    assert_eq!(polygon_area(&[[0.0, 0.0], [1.0, f64::NAN], [0.0, 1.0]]), 0.0);
}

fn l_shape() -> Vec<[f64; 2]> {
    vec![[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, 2.0], [0.0, 2.0]]
}

#[test]
fn polygon_iou_worked_examples() {
    // Unit squares offset by 0.5: intersection 0.5, union 1.5.
    assert!(close(polygon_iou(&rect(0.0, 0.0, 1.0, 1.0), &rect(0.5, 0.0, 1.5, 1.0)), 1.0 / 3.0));
    // Identical polygons, either orientation.
    let mut reversed = l_shape();
    reversed.reverse();
    assert_eq!(polygon_iou(&l_shape(), &l_shape()), 1.0);
    assert_eq!(polygon_iou(&l_shape(), &reversed), 1.0);
    // The square [1,2]² sits in the L's notch: they share two edges but no area.
    assert_eq!(polygon_iou(&l_shape(), &rect(1.0, 1.0, 2.0, 2.0)), 0.0);
    // The square [0.5,1.5]² (area 1) covers the L except for the notch part [1,1.5]² (0.25):
    // intersection 0.75, union 3 + 1 − 0.75 = 3.25.
    assert!(close(polygon_iou(&l_shape(), &rect(0.5, 0.5, 1.5, 1.5)), 0.75 / 3.25));
    // Shared edges running the same way: [0,1]×[0,2] inside [0,2]²: 2 / 4.
    assert!(close(polygon_iou(&rect(0.0, 0.0, 2.0, 2.0), &rect(0.0, 0.0, 1.0, 2.0)), 0.5));
    // Adjacent squares touching along x = 1.
    assert_eq!(polygon_iou(&rect(0.0, 0.0, 1.0, 1.0), &rect(1.0, 0.0, 2.0, 1.0)), 0.0);
    // A U (3×3 minus the 1×2 slot [1,2]×[1,3]: area 7) cut by the bar [−1,4]×[2,2.5] (area 2.5):
    // the intersection is two pieces of 0.5 each; union 7 + 2.5 − 1 = 8.5.
    let u = [[0.0, 0.0], [3.0, 0.0], [3.0, 3.0], [2.0, 3.0], [2.0, 1.0], [1.0, 1.0], [1.0, 3.0], [0.0, 3.0]];
    assert!(close(polygon_area(&u), 7.0));
    assert!(close(polygon_iou(&u, &rect(-1.0, 2.0, 4.0, 2.5)), 1.0 / 8.5));
    // A triangle (base 1, height 0.5: area 0.25) inside the U's base [0,3]×[0,1] whose apex
    // touches the U's inner corner (1, 1): the intersection is the whole triangle.
    let apex = [[0.5, 0.5], [1.5, 0.5], [1.0, 1.0]];
    assert!(close(polygon_intersection_area(&u, &apex), 0.25));
    // Far from the origin the answer is the same (coordinates are translated first).
    let far: Vec<[f64; 2]> = u.iter().map(|p| [p[0] + 1e6, p[1] + 1e6]).collect();
    let bar = rect(-1.0 + 1e6, 2.0 + 1e6, 4.0 + 1e6, 2.5 + 1e6);
    assert!((polygon_iou(&far, &bar) - 1.0 / 8.5).abs() < 1e-9);
    // Degenerate input: 0.
    assert_eq!(polygon_iou(&[], &l_shape()), 0.0);
    assert_eq!(polygon_iou(&[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], &l_shape()), 0.0);
}

#[test]
fn polygon_validity() {
    assert_eq!(polygon_problem(&l_shape()), None);
    assert_eq!(polygon_problem(&[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), None);
    assert_eq!(polygon_problem(&[[0.0, 0.0], [f64::INFINITY, 0.0], [0.0, 1.0]]), Some(PolygonProblem::NotFinite));
    assert_eq!(
        polygon_problem(&[[0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]),
        Some(PolygonProblem::TooFewPoints { distinct: 2 })
    );
    assert_eq!(polygon_problem(&[]), Some(PolygonProblem::TooFewPoints { distinct: 0 }));
    assert_eq!(polygon_problem(&[[0.0, 0.0], [1.0, 1.0], [3.0, 3.0]]), Some(PolygonProblem::ZeroArea));
    // Bow tie: edges (0,0)–(2,2) and (2,0)–(0,2) cross at (1,1).
    assert_eq!(
        polygon_problem(&[[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 2.0]]),
        Some(PolygonProblem::SelfIntersecting { at: [1.0, 1.0] })
    );
    // Spike: (2,0) → (1,0) folds back along (0,0) → (2,0).
    assert_eq!(
        polygon_problem(&[[0.0, 0.0], [2.0, 0.0], [1.0, 0.0], [1.0, 1.0]]),
        Some(PolygonProblem::SelfIntersecting { at: [2.0, 0.0] })
    );
    // Two triangles touching at (1,1), drawn as one ring: invalid as in GEOS.
    assert_eq!(
        polygon_problem(&[[0.0, 0.0], [2.0, 0.0], [1.0, 1.0], [2.0, 2.0], [0.0, 2.0], [1.0, 1.0]]),
        Some(PolygonProblem::SelfIntersecting { at: [1.0, 1.0] })
    );
    assert_eq!(
        PolygonProblem::SelfIntersecting { at: [1.0, 1.0] }.to_string(),
        "polygon crosses itself near (1.0, 1.0)"
    );
}

#[test]
fn keypoint_similarity_worked_examples() {
    // d² = 4, area 100, κ = 0.1: e = 4 / 0.01 / 100 / 2 = 2, similarity e^−2.
    assert!((keypoint_similarity(4.0, 100.0, 0.1) - (-2.0f64).exp()).abs() < 1e-15);
    assert_eq!(keypoint_similarity(0.0, 0.0, 0.1), 1.0);
    assert_eq!(keypoint_similarity(1.0, 0.0, 0.1), 0.0);
    assert_eq!(keypoint_similarity(f64::NAN, 100.0, 0.1), 0.0);
    assert_eq!(keypoint_similarity(1.0, 100.0, 0.0), 0.0);
    // Two keypoints, one exact and one missing: mean of 1 and 0.
    let pairs = [
        KeypointPair { gold: [1.0, 1.0], annotated: Some([1.0, 1.0]), kappa: 0.05 },
        KeypointPair { gold: [5.0, 5.0], annotated: None, kappa: 0.05 },
    ];
    assert_eq!(object_keypoint_similarity(&pairs, 400.0), 0.5);
}

// ---------------------------------------------------------------------------------------------
// Properties.

/// Any f64, special values included.
fn coord() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -100.0..100.0f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(0.0),
        1 => any::<f64>(),
    ]
}

fn any_box() -> impl Strategy<Value = BoxGeometry> {
    (coord(), coord(), coord(), coord()).prop_map(|(x, y, width, height)| bx(x, y, width, height))
}

/// A simple polygon: vertices at increasing angles around a centre (star-shaped, so simple),
/// on a grid of quarter pixels so that shared edges and vertices occur often.
fn star() -> impl Strategy<Value = (Vec<[f64; 2]>, [f64; 2])> {
    // Spoke i points at angle (i + jitter) / k of a turn: increasing, and no gap reaches half a
    // turn for k ≥ 4, so the centre is inside.
    (-8i32..8, -8i32..8, proptest::collection::vec((0u32..900, 1u32..32), 4..10)).prop_map(|(cx, cy, spokes)| {
        let centre = [f64::from(cx), f64::from(cy)];
        let k = spokes.len() as f64;
        let points = spokes
            .iter()
            .enumerate()
            .map(|(i, &(jitter, radius))| {
                let a = (i as f64 + f64::from(jitter) / 1000.0) / k * std::f64::consts::TAU;
                let r = f64::from(radius) / 4.0;
                [((centre[0] + r * a.cos()) * 4.0).round() / 4.0, ((centre[1] + r * a.sin()) * 4.0).round() / 4.0]
            })
            .collect();
        (points, centre)
    })
}

/// Intersection area by an independent route: split each star into the fan of triangles
/// around its centre and clip every triangle pair with Sutherland–Hodgman (convex clipping).
fn fan_intersection_area(p: &[[f64; 2]], pc: [f64; 2], q: &[[f64; 2]], qc: [f64; 2]) -> f64 {
    fn fan(ring: &[[f64; 2]], c: [f64; 2]) -> Vec<Vec<[f64; 2]>> {
        (0..ring.len())
            .map(|i| {
                let mut t = vec![c, ring[i], ring[(i + 1) % ring.len()]];
                if ring_area2(&t, [0.0; 2]) < 0.0 {
                    t.reverse();
                }
                t
            })
            .collect()
    }
    fn clip(subject: &[[f64; 2]], clipper: &[[f64; 2]]) -> Vec<[f64; 2]> {
        let mut out = subject.to_vec();
        for i in 0..clipper.len() {
            let (a, b) = (clipper[i], clipper[(i + 1) % clipper.len()]);
            let input = std::mem::take(&mut out);
            for j in 0..input.len() {
                let (s, e) = (input[j], input[(j + 1) % input.len()]);
                let (ds, de) = (orient(a, b, s), orient(a, b, e));
                if ds >= 0.0 {
                    out.push(s);
                }
                if (ds >= 0.0) != (de >= 0.0) {
                    let t = ds / (ds - de);
                    out.push([s[0] + t * (e[0] - s[0]), s[1] + t * (e[1] - s[1])]);
                }
            }
        }
        out
    }
    let mut total = 0.0;
    for a in fan(p, pc) {
        for b in fan(q, qc) {
            let piece = clip(&a, &b);
            if piece.len() >= 3 {
                total += ring_area2(&piece, [0.0; 2]).abs() / 2.0;
            }
        }
    }
    total
}

/// A box with integer corner and size (so that the reference below works on exact-ish
/// numbers) and any rotation, whole turns and quarter turns often.
fn rotated_box() -> impl Strategy<Value = BoxGeometry> {
    let rotation = prop_oneof![1 => Just(0.0), 1 => Just(90.0), 1 => Just(360.0), 4 => -720.0..720.0f64];
    (-20i32..20, -20i32..20, 1i32..20, 1i32..20, rotation)
        .prop_map(|(x, y, w, h, r)| turned(x.into(), y.into(), w.into(), h.into(), r))
}

/// IoU by an independent route: the rotated boxes' corners clipped by Sutherland–Hodgman fans
/// around their centres (see [`fan_intersection_area`]).
fn fan_box_iou(a: &BoxGeometry, b: &BoxGeometry) -> f64 {
    let centre = |b: &BoxGeometry| {
        let c = box_corners(b);
        [(c[0][0] + c[2][0]) / 2.0, (c[0][1] + c[2][1]) / 2.0]
    };
    let inter = fan_intersection_area(&box_corners(a), centre(a), &box_corners(b), centre(b));
    inter / (a.width * a.height + b.width * b.height - inter)
}

proptest! {
    #[test]
    fn rotated_box_iou_agrees_with_fan_clipping_and_is_symmetric(a in rotated_box(), b in rotated_box()) {
        let iou = box_iou(&a, &b);
        prop_assert!((0.0..=1.0).contains(&iou));
        prop_assert!((iou - fan_box_iou(&a, &b)).abs() < 1e-9, "{} vs fan clipping {}", iou, fan_box_iou(&a, &b));
        prop_assert!((iou - box_iou(&b, &a)).abs() < 1e-12);
        // Whole turns change nothing.
        let again = BoxGeometry { rotation: a.rotation + 360.0, ..a };
        prop_assert!((iou - box_iou(&again, &b)).abs() < 1e-9);
        // Bounds hold the corners, so overlap searches over bounds miss nothing.
        let bounds = box_bounds(&a);
        for [x, y] in box_corners(&a) {
            prop_assert!(x >= bounds.x && x <= bounds.x + bounds.width && y >= bounds.y && y <= bounds.y + bounds.height);
        }
    }

    #[test]
    fn box_iou_is_symmetric_and_in_unit_range(a in any_box(), b in any_box()) {
        let iou = box_iou(&a, &b);
        prop_assert!((0.0..=1.0).contains(&iou));
        prop_assert_eq!(iou.to_bits(), box_iou(&b, &a).to_bits());
        prop_assert!(box_area(&a) >= 0.0);
        let _ = box_in_media(&a, 640.0, 480.0);
    }

    #[test]
    fn polygon_functions_never_panic(
        a in proptest::collection::vec([coord(), coord()], 0..8),
        b in proptest::collection::vec([coord(), coord()], 0..8),
    ) {
        let iou = polygon_iou(&a, &b);
        prop_assert!((0.0..=1.0).contains(&iou));
        prop_assert!(polygon_intersection_area(&a, &b) >= 0.0);
        prop_assert!(polygon_area(&a) >= 0.0);
        let _ = polygon_problem(&a);
        let _ = polygon_in_media(&a, 10.0, 10.0);
    }

    #[test]
    fn star_polygons_are_valid_and_iou_agrees_with_fan_clipping((p, pc) in star(), (q, qc) in star()) {
        // Only rings that wind strictly around their centre are stars (rounding to the grid or
        // spokes within a half-turn can break that); those are simple, and their fans tile them.
        let winds = |ring: &[[f64; 2]], c: [f64; 2]| {
            (0..ring.len()).all(|i| orient(c, ring[i], ring[(i + 1) % ring.len()]) > 0.0)
        };
        prop_assume!(winds(&p, pc) && winds(&q, qc));
        prop_assert_eq!(polygon_problem(&p), None);
        prop_assert_eq!(polygon_problem(&q), None);
        let iou = polygon_iou(&p, &q);
        prop_assert!((0.0..=1.0).contains(&iou));
        prop_assert!((iou - polygon_iou(&q, &p)).abs() < 1e-12);
        prop_assert_eq!(polygon_iou(&p, &p), 1.0);
        let inter = polygon_intersection_area(&p, &q);
        let reference = fan_intersection_area(&p, pc, &q, qc);
        prop_assert!((inter - reference).abs() < 1e-9, "{} vs fan clipping {}", inter, reference);
    }

    #[test]
    fn rectangles_as_polygons_agree_with_box_iou(
        a in (-20i32..20, -20i32..20, 1i32..20, 1i32..20),
        b in (-20i32..20, -20i32..20, 1i32..20, 1i32..20),
    ) {
        let to_box = |(x, y, w, h): (i32, i32, i32, i32)| bx(x.into(), y.into(), w.into(), h.into());
        let to_poly = |r: BoxGeometry| rect(r.x, r.y, r.x + r.width, r.y + r.height);
        let (ba, bb) = (to_box(a), to_box(b));
        prop_assert!(close(polygon_iou(&to_poly(ba), &to_poly(bb)), box_iou(&ba, &bb)));
    }
}
