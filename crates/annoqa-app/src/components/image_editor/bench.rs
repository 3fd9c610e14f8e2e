//! The image editor's drawing, hit testing and edit commit, driven without Yew for the browser
//! benchmark (`crates/annoqa-bench/tests/wasm_canvas.rs`, feature `bench`). The same `Scene`,
//! `paint_base`/`paint_overlay` and `Draft` the editor uses; only the input is synthetic.

use std::collections::BTreeMap;

use annoqa_core::{validate, Item, Media, Region, RegionValue, TaskSpec};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::paint::{paint_base, paint_overlay};
use super::scene::{finding_mark, Marks, Scene};
use crate::draft::{Draft, SharedDraft};
use crate::image::viewport::Viewport;
use crate::state::Checked;

/// The benchmark's image side, in pixels.
pub const IMAGE_SIDE: u32 = 10_000;

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
pub fn seeded_regions(count: usize, seed: u64) -> Vec<Region> {
    let mut rng = XorShift(seed.max(1));
    let side = f64::from(IMAGE_SIDE);
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
            Region { id: format!("r{i}"), control: control.into(), value, attributes: BTreeMap::new() }
        })
        .collect()
}

/// The spec of the benchmark: a box and a polygon control, with the rules an image project
/// would have (sizes, duplicates).
pub fn bench_spec() -> TaskSpec {
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
    serde_json::from_value(json).unwrap_or_else(|e| unreachable!("the bench spec is valid: {e}"))
}

/// One scene on two canvases of the given CSS size, added to the document.
pub struct CanvasBench {
    scene: Scene,
    draft: SharedDraft,
    spec: TaskSpec,
    item: Item,
    base: CanvasRenderingContext2d,
    overlay: CanvasRenderingContext2d,
    canvases: [HtmlCanvasElement; 2],
    findings: std::rc::Rc<Checked>,
}

fn canvas(width: f64, height: f64) -> Option<(HtmlCanvasElement, CanvasRenderingContext2d)> {
    let document = web_sys::window()?.document()?;
    let canvas = document.create_element("canvas").ok()?.dyn_into::<HtmlCanvasElement>().ok()?;
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    document.body()?.append_child(&canvas).ok()?;
    let ctx = canvas.get_context("2d").ok()??.dyn_into::<CanvasRenderingContext2d>().ok()?;
    Some((canvas, ctx))
}

impl CanvasBench {
    /// `None` outside a browser page.
    pub fn new(regions: Vec<Region>, width: f64, height: f64) -> Option<CanvasBench> {
        let side = f64::from(IMAGE_SIDE);
        let mut scene = Scene::new(side, side);
        scene.view = Viewport::fit(side, side, width, height);
        scene.dpr = 1.0;
        let (base_canvas, base) = canvas(width, height)?;
        let (overlay_canvas, overlay) = canvas(width, height)?;
        let item = Item {
            id: "bench".into(),
            media: Media::Image { src: "bench.png".into(), width: IMAGE_SIDE, height: IMAGE_SIDE },
            candidates: Vec::new(),
        };
        let spec = bench_spec();
        let draft = SharedDraft::new(Draft::new(regions, false));
        let findings = std::rc::Rc::new(Checked::new(validate(&spec, &item, draft.borrow().regions())));
        let canvases = [base_canvas, overlay_canvas];
        let mut bench = CanvasBench { scene, draft, spec, item, base, overlay, canvases, findings };
        bench.sync();
        Some(bench)
    }

    fn sync(&mut self) {
        let findings = &self.findings;
        let mark = |id: &str| finding_mark(findings, id);
        let marked = findings.findings.iter().flat_map(|f| f.regions.iter().map(String::as_str)).collect();
        let version = std::rc::Rc::as_ptr(findings) as usize;
        self.scene.sync(&self.spec, &self.draft, &Marks { mark: &mark, marked, version });
    }

    pub fn view(&mut self) -> &mut Viewport {
        &mut self.scene.view
    }

    /// Draws one frame as the editor does (the image area, the regions' tiles within the
    /// frame's budget, the overlay) and waits for the canvas to be rasterised (reading one
    /// pixel back), as a frame would be on screen. True when every tile was ready.
    pub fn frame(&mut self) -> bool {
        let complete = paint_base(&self.base, &mut self.scene, &|_| {});
        paint_overlay(&self.overlay, &self.scene, Some(0));
        let _ = self.base.get_image_data(0.0, 0.0, 1.0, 1.0);
        complete
    }

    /// Regions in view now.
    pub fn visible(&self) -> usize {
        self.scene.index.count_in(self.scene.view.visible_image_rect(), usize::MAX)
    }

    /// The region under each point (image px), as the select tool asks; returns the hits.
    pub fn hit_test(&self, points: &[(f64, f64)]) -> usize {
        let tolerance = self.scene.view.css_to_image(6.0);
        points
            .iter()
            .filter(|(x, y)| {
                crate::image::hit::hit_test(&self.scene.index, &self.scene.shapes, *x, *y, tolerance).is_some()
            })
            .count()
    }

    /// Validation of the whole draft alone; returns the findings.
    pub fn validate(&self) -> usize {
        validate(&self.spec, &self.item, self.draft.borrow().regions()).len()
    }

    /// What a pointer-up after dragging region `id` does before the next frame: the draft
    /// edit, validation of the whole draft, the index and styles brought up to date.
    pub fn commit_move(&mut self, id: &str, dx: f64) -> usize {
        let Some(mut value) = self.draft.borrow().get(id).map(|r| r.value.clone()) else {
            return 0;
        };
        match &mut value {
            RegionValue::BBox { x, .. } => *x += dx,
            RegionValue::Polygon { points, .. } => points.iter_mut().for_each(|p| p[0] += dx),
            _ => {}
        }
        self.draft.borrow_mut().set_value(id, value);
        self.findings = std::rc::Rc::new(Checked::new(validate(&self.spec, &self.item, self.draft.borrow().regions())));
        self.sync();
        self.findings.findings.len()
    }
}

impl Drop for CanvasBench {
    /// Takes its canvases off the page, as the editor's go when an item is left.
    fn drop(&mut self) {
        for canvas in &self.canvases {
            canvas.remove();
        }
    }
}
