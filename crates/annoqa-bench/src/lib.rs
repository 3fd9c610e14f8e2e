//! Inputs for annoqa's benchmarks, shared by the native criterion benches and the Wasm timing
//! run in headless Chromium so both measure the same work. Seeded, so every run is the same.

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
// (A crate attribute rather than a workspace lint until annoqa-core takes it too.)
#![warn(unreachable_pub)]

pub mod stats_inputs;

use annoqa_core::{Gold, GoldMode, Item, Media, Region, RegionValue, TaskSpec};
use annoqa_stats::overlay::Submission;
use annoqa_stats::rng::Rng;
use serde_json::json;

/// A 4000 × 3000 photo with car and person boxes, the rules a real box task has: required
/// attribute, minimum size, no same-label overlap above IoU 0.5, no duplicates.
pub fn box_spec() -> TaskSpec {
    serde_json::from_value(json!({
        "media": "image",
        "controls": [{"name": "objects", "type": "b_box", "labels": [{"value": "car"}, {"value": "person"}]}],
        "rules": [
            {"rule": "required_attribute", "control": "objects", "attribute": "occluded"},
            {"rule": "min_size", "control": "objects", "min_width": 4, "min_height": 4},
            {"rule": "no_overlap", "control": "objects", "max_iou": 0.5},
            {"rule": "no_duplicates", "control": "objects"}
        ]
    }))
    .expect("the benchmark spec is valid")
}

pub fn photo() -> Item {
    Item {
        id: "photo".into(),
        media: Media::Image { src: "p.png".into(), width: 4000, height: 3000 },
        candidates: vec![],
    }
}

fn bbox(id: String, x: f64, y: f64, width: f64, height: f64, label: &str) -> Region {
    let mut region = Region {
        id,
        control: "objects".into(),
        value: RegionValue::BBox { x, y, width, height, rotation: 0.0, label: label.into() },
        attributes: Default::default(),
    };
    region.attributes.insert("occluded".into(), "no".into());
    region
}

/// `n` boxes scattered over the photo, 10–80 px wide, as annotators draw them.
pub fn boxes(n: usize, seed: u64) -> Vec<Region> {
    let mut rng = Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let (w, h) = (10.0 + 70.0 * rng.next_f64(), 10.0 + 70.0 * rng.next_f64());
            let (x, y) = ((4000.0 - w) * rng.next_f64(), (3000.0 - h) * rng.next_f64());
            bbox(format!("b{i}"), x, y, w, h, if rng.next_f64() < 0.5 { "car" } else { "person" })
        })
        .collect()
}

/// Gold with `n` boxes and an annotation of it: every box jittered by up to 3 px, one in ten
/// missed and one in ten extra boxes added.
pub fn gold_and_annotation(n: usize) -> (Gold, Vec<Region>) {
    let answer = boxes(n, 7);
    let mut rng = Rng::seed_from_u64(99);
    let mut annotation = Vec::new();
    for region in &answer {
        if rng.next_f64() < 0.1 {
            continue;
        }
        let RegionValue::BBox { x, y, width, height, label, .. } = &region.value else { continue };
        let jitter = |rng: &mut Rng| 6.0 * rng.next_f64() - 3.0;
        annotation.push(bbox(
            format!("a{}", region.id),
            x + jitter(&mut rng),
            y + jitter(&mut rng),
            width + jitter(&mut rng),
            height + jitter(&mut rng),
            label,
        ));
    }
    annotation.extend(boxes(n / 10, 1234).into_iter().map(|mut r| {
        r.id = format!("x{}", r.id);
        r
    }));
    let gold = Gold {
        mode: GoldMode::Honeypot,
        answer,
        tolerance: Default::default(),
        explanation: String::new(),
        guideline: None,
    };
    (gold, annotation)
}

// ---------------------------------------------------------------------------------------------
// The reviewer's overlay (`benches/review.rs` natively, `tests/wasm_overlay.rs` in Chromium).

/// Five annotators of one photo with 5,000 objects (`annoqa_bench::boxes`, seed 7): each
/// draws every object jittered by up to 3 px, misses one in twenty and adds 250 boxes of its
/// own; one in fifty boxes takes the other label.
pub fn five_annotators() -> Vec<Submission> {
    let objects = boxes(5_000, 7);
    (0..5u64)
        .map(|annotator| {
            let mut rng = Rng::seed_from_u64(100 + annotator);
            let mut regions: Vec<Region> = Vec::with_capacity(5_250);
            for object in &objects {
                if rng.next_f64() < 0.05 {
                    continue;
                }
                let RegionValue::BBox { x, y, width, height, label, .. } = &object.value else { continue };
                let mut jitter = || 6.0 * rng.next_f64() - 3.0;
                let (x, y, width, height) = (x + jitter(), y + jitter(), width + jitter(), height + jitter());
                let label = match (rng.next_f64() < 0.02, label.as_str()) {
                    (true, "car") => "person".to_string(),
                    (true, _) => "car".to_string(),
                    (false, same) => same.to_string(),
                };
                let value = RegionValue::BBox { x, y, width, height, rotation: 0.0, label };
                regions.push(Region { id: format!("{annotator}-{}", object.id), value, ..object.clone() });
            }
            regions.extend(boxes(250, 1_000 + annotator).into_iter().map(|mut r| {
                r.id = format!("{annotator}-extra-{}", r.id);
                r
            }));
            Submission { annotator: format!("annotator{annotator}"), regions }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The image editor at scale (`benches/qa.rs` natively, `tests/wasm_canvas.rs` in Chromium).

/// The side of the image editor benchmark's image, in pixels.
pub const SCENE_SIDE: u32 = 10_000;

/// A small seeded generator, so every run draws the same regions.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `count` regions on a 10,000 × 10,000 image: half boxes (10–200 px), half 20-point polygons
/// (star-shaped, 10–200 px across), in two labels each.
pub fn scene_regions(count: usize, seed: u64) -> Vec<Region> {
    let mut rng = XorShift(seed.max(1));
    let side = f64::from(SCENE_SIDE);
    (0..count)
        .map(|i| {
            let (x, y) = (rng.next() * (side - 220.0), rng.next() * (side - 220.0));
            let (w, h) = (10.0 + rng.next() * 190.0, 10.0 + rng.next() * 190.0);
            let label = if rng.next() < 0.5 { "car" } else { "person" };
            let (control, value) = if i % 2 == 0 {
                ("boxes", RegionValue::BBox { x, y, width: w, height: h, rotation: 0.0, label: label.into() })
            } else {
                let points = (0..20)
                    .map(|k| {
                        let angle = f64::from(k) / 20.0 * std::f64::consts::TAU;
                        let r = 0.5 + 0.5 * rng.next();
                        [x + w / 2.0 + angle.cos() * r * w / 2.0, y + h / 2.0 + angle.sin() * r * h / 2.0]
                    })
                    .collect();
                ("shapes", RegionValue::Polygon { points, label: label.into() })
            };
            Region { id: format!("r{i}"), control: control.into(), value, attributes: Default::default() }
        })
        .collect()
}

/// The image editor benchmark's spec: a box and a polygon control, with the rules an image project
/// would have (sizes, duplicates).
pub fn scene_spec() -> TaskSpec {
    let json = serde_json::json!({
        "media": "image",
        "controls": [
            {"name": "boxes", "type": "b_box", "labels": [{"value": "car"}, {"value": "person"}]},
            {"name": "shapes", "type": "polygon", "labels": [{"value": "car"}, {"value": "person"}]}
        ],
        "rules": [
            {"rule": "min_size", "control": "boxes", "min_width": 4, "min_height": 4},
            {"rule": "no_duplicates", "control": "boxes"}
        ]
    });
    serde_json::from_value(json).expect("the scene spec is valid")
}

/// The image editor benchmark's item: a `SCENE_SIDE`-pixel square image.
pub fn scene_item() -> Item {
    Item {
        id: "scene".into(),
        media: Media::Image { src: "scene.png".into(), width: SCENE_SIDE, height: SCENE_SIDE },
        candidates: Vec::new(),
    }
}
