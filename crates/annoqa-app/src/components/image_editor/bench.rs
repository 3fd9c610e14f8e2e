//! The image editor's drawing, hit testing and edit commit, driven without Yew for the browser
//! benchmark (`crates/annoqa-bench/tests/wasm_canvas.rs`, feature `bench`). The same `Scene`,
//! `paint_base`/`paint_overlay` and `Draft` the editor uses; only the input is synthetic.

use annoqa_core::{validate, Item, Region, RegionValue, TaskSpec, Validator};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::paint::{paint_base, paint_overlay};
use super::scene::{finding_mark, Marks, Scene};
use crate::draft::{Draft, SharedDraft};
use crate::image::viewport::Viewport;
use crate::state::Checked;

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
    /// The page's validator: per-region findings kept between edits.
    validator: Validator,
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
    /// `regions` of `item` (an image) under `spec`, on canvases of the given CSS size; `None`
    /// outside a browser page or for an item that is not an image.
    pub fn new(spec: TaskSpec, item: Item, regions: Vec<Region>, width: f64, height: f64) -> Option<CanvasBench> {
        let annoqa_core::Media::Image { width: image_w, height: image_h, .. } = item.media else { return None };
        let (image_w, image_h) = (f64::from(image_w), f64::from(image_h));
        let mut scene = Scene::new(image_w, image_h);
        scene.view = Viewport::fit(image_w, image_h, width, height);
        scene.dpr = 1.0;
        let (base_canvas, base) = canvas(width, height)?;
        let (overlay_canvas, overlay) = canvas(width, height)?;
        let draft = SharedDraft::new(Draft::new(regions, false));
        let mut validator = Validator::new();
        let findings = std::rc::Rc::new(Checked::new(validator.validate(&spec, &item, draft.borrow().regions())));
        let canvases = [base_canvas, overlay_canvas];
        let mut bench = CanvasBench { scene, draft, spec, item, base, overlay, canvases, findings, validator };
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

    /// Validation of the whole draft alone, from scratch (as the server does); returns the
    /// number of findings.
    pub fn validate(&self) -> usize {
        validate(&self.spec, &self.item, self.draft.borrow().regions()).len()
    }

    /// What a pointer-up after dragging region `id` does before the next frame: the draft
    /// edit, validation by the page's validator (which re-checks the changed region), the
    /// index and styles brought up to date.
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
        let findings = self.validator.validate(&self.spec, &self.item, self.draft.borrow().regions());
        self.findings = std::rc::Rc::new(Checked::new(findings));
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
