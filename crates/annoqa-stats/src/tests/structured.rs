//! Box consensus and structured agreement, with values worked out by hand.

use annoqa_core::BoxGeometry;

use crate::boxes::*;
use crate::structured::*;

fn geometry(x: f64, y: f64, width: f64, height: f64) -> BoxGeometry {
    BoxGeometry::new(x, y, width, height)
}

fn boxed(annotator: u32, x: f64, y: f64, w: f64, h: f64, label: u32) -> AnnotatedBox {
    AnnotatedBox { annotator, geometry: geometry(x, y, w, h), label }
}

#[test]
fn box_consensus_clusters_then_averages() {
    // Object 1 near (0, 0) drawn by all three annotators; object 2 near (100, 0) by two. The
    // labels of object 1 are 2, 2, 5: majority 2.
    let boxes = [
        boxed(0, 0.0, 0.0, 10.0, 10.0, 2),
        boxed(1, 1.0, 0.0, 10.0, 10.0, 2),
        boxed(2, 0.0, 1.0, 10.0, 12.0, 5),
        boxed(0, 100.0, 0.0, 20.0, 20.0, 7),
        boxed(2, 102.0, 2.0, 20.0, 20.0, 7),
    ];
    let consensus = box_consensus(&boxes, 0.5).unwrap();
    assert_eq!(consensus.len(), 2);
    let first = &consensus[0];
    assert_eq!((first.label, first.support, first.members.clone()), (2, 3, vec![0, 1, 2]));
    assert!((first.x - 1.0 / 3.0).abs() < 1e-12 && (first.y - 1.0 / 3.0).abs() < 1e-12);
    assert!((first.width - 10.0).abs() < 1e-12 && (first.height - 32.0 / 3.0).abs() < 1e-12);
    let want: f64 =
        [0, 1, 2].iter().map(|&i| annoqa_core::geometry::box_iou(&first.geometry(), &boxes[i].geometry)).sum::<f64>()
            / 3.0;
    assert!((first.mean_iou - want).abs() < 1e-12);
    // Object 2: mean of (100, 0, 20, 20) and (102, 2, 20, 20); IoU of each with (101, 1, 20, 20)
    // is 19·19 / (2·400 − 361) = 361 / 439.
    let second = &consensus[1];
    assert_eq!((second.x, second.y, second.width, second.height), (101.0, 1.0, 20.0, 20.0));
    assert_eq!((second.label, second.support), (7, 2));
    assert!((second.mean_iou - 361.0 / 439.0).abs() < 1e-12);
    assert_eq!(consensus, box_consensus(&boxes, 0.5).unwrap());
}

#[test]
fn one_annotator_never_joins_a_cluster_twice() {
    // Annotator 0 drew the same object twice (IoU 0.9 between them); annotator 1 once. The
    // better pair joins, annotator 0's second box stays alone.
    let boxes = [boxed(0, 0.0, 0.0, 10.0, 10.0, 0), boxed(0, 0.0, 0.0, 10.0, 9.0, 0), boxed(1, 0.0, 0.0, 10.0, 9.5, 0)];
    let consensus = box_consensus(&boxes, 0.5).unwrap();
    assert_eq!(consensus.iter().map(|c| c.members.clone()).collect::<Vec<_>>(), [vec![0, 2], vec![1]]);
    assert!(consensus.iter().all(|c| {
        let mut who: Vec<u32> = c.members.iter().map(|&i| boxes[i].annotator).collect();
        who.dedup();
        who.len() == c.members.len()
    }));
}

#[test]
fn complete_linkage_stops_chains_and_threshold_is_configurable() {
    // A–B overlap by IoU 0.6, B–C by 0.6, A–C by 1/3: at 0.5, A and C cannot share a cluster.
    let boxes = [boxed(0, 0.0, 0.0, 8.0, 1.0, 0), boxed(1, 2.0, 0.0, 8.0, 1.0, 0), boxed(2, 4.0, 0.0, 8.0, 1.0, 0)];
    let at_half = box_consensus(&boxes, 0.5).unwrap();
    assert_eq!(at_half.len(), 2);
    assert_eq!(at_half[0].members, [0, 1]);
    // At 0.2 every pair qualifies: one object.
    let at_fifth = box_consensus(&boxes, 0.2).unwrap();
    assert_eq!(at_fifth.len(), 1);
    assert_eq!((at_fifth[0].x, at_fifth[0].support), (2.0, 3));
    assert!(box_consensus(&boxes, 0.0).is_err());
    assert!(box_consensus(&boxes, f64::NAN).is_err());
    assert_eq!(box_consensus(&[], 0.5).unwrap(), []);
}

fn span(start: usize, end: usize, label: u32) -> Span {
    Span { start, end, label }
}

#[test]
fn span_agreement_exact_and_overlapping() {
    // Item 1: A = [0,5) PER, [10,20) ORG; B = [0,5) PER, [11,20) ORG, [30,35) PER.
    // Item 2: A found nothing, B found nothing; C did not annotate either item.
    let items = vec![
        vec![
            Some(vec![span(0, 5, 0), span(10, 20, 1)]),
            Some(vec![span(0, 5, 0), span(11, 20, 1), span(30, 35, 0)]),
            None,
        ],
        vec![Some(vec![]), Some(vec![]), None],
    ];
    let exact = span_agreement(&items, 3, SpanMatch::Exact).unwrap();
    let ab = &exact.pairs[0];
    assert_eq!((ab.a, ab.b, ab.items, ab.regions_a, ab.regions_b, ab.matched), (0, 1, 2, 2, 3, 1));
    assert_eq!(ab.f1, Some(2.0 / 5.0));
    // Pairs with C share no item: undefined, and left out of the mean.
    assert_eq!((exact.pairs[1].f1, exact.pairs[2].f1), (None, None));
    assert_eq!(exact.mean_f1, Some(0.4));
    // Overlap ≥ 0.8: [10,20) vs [11,20) has IoU 0.9 and now counts.
    let overlap = span_agreement(&items, 3, SpanMatch::Overlap { min_iou: 0.8 }).unwrap();
    assert_eq!(overlap.pairs[0].f1, Some(4.0 / 5.0));
    // A different label never matches, however well placed.
    let relabelled = vec![vec![Some(vec![span(0, 5, 0)]), Some(vec![span(0, 5, 1)])]];
    assert_eq!(span_agreement(&relabelled, 2, SpanMatch::Exact).unwrap().pairs[0].f1, Some(0.0));
    assert!(span_agreement(&relabelled, 1, SpanMatch::Exact).is_err());
    assert!(span_agreement(&relabelled, 3, SpanMatch::Exact).is_err());
}

#[test]
fn box_agreement_matches_by_iou() {
    let lb = |x: f64, y: f64, w: f64, h: f64, label: u32| LabelledBox { geometry: geometry(x, y, w, h), label };
    // A: two boxes; B: the first shifted by 1 px (IoU 9·10 / 110 = 9/11), the second far off.
    let items = vec![vec![
        Some(vec![lb(0.0, 0.0, 10.0, 10.0, 0), lb(50.0, 50.0, 10.0, 10.0, 0)]),
        Some(vec![lb(1.0, 0.0, 10.0, 10.0, 0), lb(80.0, 80.0, 10.0, 10.0, 0)]),
    ]];
    let agreement = box_agreement(&items, 2, 0.5).unwrap();
    let pair = &agreement.pairs[0];
    assert_eq!((pair.matched, pair.f1), (1, Some(0.5)));
    assert!((pair.mean_iou.unwrap() - 9.0 / 11.0).abs() < 1e-12);
    assert_eq!(agreement.mean_iou, pair.mean_iou);
    // Above 9/11 the shifted box no longer counts.
    let strict = box_agreement(&items, 2, 0.9).unwrap();
    assert_eq!((strict.pairs[0].matched, strict.pairs[0].mean_iou), (0, None));
}

/// A square of side 10√2 at `(x, 0)` turned `rotation` degrees about its top-left corner; at
/// 45° it is the diamond |X − x| + |Y − 10| ≤ 10.
fn diamond(x: f64, rotation: f64) -> BoxGeometry {
    let side = 10.0 * std::f64::consts::SQRT_2;
    BoxGeometry { x, y: 0.0, width: side, height: side, rotation }
}

#[test]
fn rotated_boxes_agree_by_their_polygons() {
    let lb = |geometry: BoxGeometry| LabelledBox { geometry, label: 0 };
    // The same diamond as 45° and as 405°: IoU 1. The unturned square at the same corner covers
    // the diamond's right half below y = 14.14: 100 − 5.86² / 2 = 82.8, IoU 82.8 / 317.2 = 0.26.
    let items = vec![
        vec![Some(vec![lb(diamond(0.0, 45.0))]), Some(vec![lb(diamond(0.0, 405.0))])],
        vec![Some(vec![lb(diamond(0.0, 45.0))]), Some(vec![lb(diamond(0.0, 0.0))])],
    ];
    let agreement = box_agreement(&items, 2, 0.5).unwrap();
    let pair = &agreement.pairs[0];
    assert_eq!((pair.matched, pair.f1), (1, Some(0.5)));
    assert!((pair.mean_iou.unwrap() - 1.0).abs() < 1e-12);
    let loose = box_agreement(&items, 2, 0.25).unwrap();
    let inter = 100.0 - (20.0 - 10.0 * std::f64::consts::SQRT_2).powi(2) / 2.0;
    let iou = inter / (400.0 - inter);
    assert!((loose.pairs[0].mean_iou.unwrap() - (1.0 + iou) / 2.0).abs() < 1e-9, "{:?}", loose.pairs[0]);
}

#[test]
fn consensus_of_rotated_boxes_keeps_the_turn() {
    // Two annotators draw the same diamond, one as −315°: the consensus is that diamond, turned
    // 45° about (0, 0).
    let boxes = [
        AnnotatedBox { annotator: 0, geometry: diamond(0.0, 45.0), label: 1 },
        AnnotatedBox { annotator: 1, geometry: diamond(0.0, -315.0), label: 1 },
    ];
    let consensus = box_consensus(&boxes, 0.5).unwrap();
    assert_eq!(consensus.len(), 1);
    let c = &consensus[0];
    assert!((c.rotation - 45.0).abs() < 1e-9 && c.x.abs() < 1e-9 && c.y.abs() < 1e-9, "{c:?}");
    assert!((c.mean_iou - 1.0).abs() < 1e-9);
    // Turns of 350° and 10° about their own centres average to 0°, not 180°.
    let about_centre = |rotation: f64| {
        let (s, c) = rotation.to_radians().sin_cos();
        // Top-left corner such that the 10×10 box's centre stays at (5, 5).
        BoxGeometry { x: 5.0 - (5.0 * c - 5.0 * s), y: 5.0 - (5.0 * s + 5.0 * c), width: 10.0, height: 10.0, rotation }
    };
    let boxes = [
        AnnotatedBox { annotator: 0, geometry: about_centre(350.0), label: 1 },
        AnnotatedBox { annotator: 1, geometry: about_centre(10.0), label: 1 },
    ];
    let consensus = box_consensus(&boxes, 0.5).unwrap();
    assert_eq!(consensus.len(), 1);
    let c = &consensus[0];
    assert!(c.rotation.abs() < 1e-9 && c.x.abs() < 1e-9 && c.y.abs() < 1e-9, "{c:?}");
}

#[test]
fn segment_agreement_uses_the_collar() {
    let seg = |onset: f64, offset: f64, label: u32| Segment { onset, offset, label };
    // Onsets 150 ms apart, offsets 50 ms apart.
    let items = vec![vec![Some(vec![seg(1.0, 2.0, 3)]), Some(vec![seg(1.15, 2.05, 3)])]];
    assert_eq!(segment_agreement(&items, 2, 200.0).unwrap().pairs[0].f1, Some(1.0));
    assert_eq!(segment_agreement(&items, 2, 100.0).unwrap().pairs[0].f1, Some(0.0));
    let other_label = vec![vec![Some(vec![seg(1.0, 2.0, 3)]), Some(vec![seg(1.0, 2.0, 4)])]];
    assert_eq!(segment_agreement(&other_label, 2, 200.0).unwrap().pairs[0].f1, Some(0.0));
    assert!(segment_agreement(&items, 2, -1.0).is_err());
}
