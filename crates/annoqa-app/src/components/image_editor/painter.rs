//! Schedules and runs the canvas frames: at most one per animation frame, the base canvas only
//! when something under it changed. Tiles are requested here and repaint when they arrive.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement};
use yew::{Callback, NodeRef};

use super::paint::{paint_base, paint_overlay};
use super::scene::{Picture, Scene, TileSlot};
use crate::image::tiles::TileKey;
use crate::test_api::{TestApi, ViewSource};

#[derive(Clone)]
pub(super) struct Painter {
    pub scene: Rc<RefCell<Scene>>,
    pub base: NodeRef,
    pub overlay: NodeRef,
    pub project_id: Rc<str>,
    pub src: Rc<str>,
    /// The selected region's slot, as last rendered.
    pub selected: Rc<Cell<Option<u32>>>,
    base_dirty: Rc<Cell<bool>>,
    pending: Rc<Cell<bool>>,
    pub api: TestApi,
    /// Says what cannot be drawn (above the canvas).
    report: Callback<String>,
}

fn context(canvas: &NodeRef) -> Option<(HtmlCanvasElement, CanvasRenderingContext2d)> {
    let canvas = canvas.cast::<HtmlCanvasElement>()?;
    let ctx = canvas.get_context("2d").ok().flatten()?.dyn_into::<CanvasRenderingContext2d>().ok()?;
    Some((canvas, ctx))
}

impl Painter {
    pub(super) fn new(
        scene: Rc<RefCell<Scene>>,
        project_id: &str,
        src: &str,
        api: TestApi,
        report: Callback<String>,
    ) -> Painter {
        Painter {
            scene,
            base: NodeRef::default(),
            overlay: NodeRef::default(),
            project_id: project_id.into(),
            src: src.into(),
            selected: Rc::default(),
            base_dirty: Rc::new(Cell::new(true)),
            pending: Rc::default(),
            api,
            report,
        }
    }

    /// Asks for a frame; `base` when the image or the regions under the overlay changed.
    pub(super) fn schedule(&self, base: bool) {
        if base {
            self.base_dirty.set(true);
        }
        if self.pending.replace(true) {
            return;
        }
        let painter = self.clone();
        let frame = Closure::once_into_js(move || painter.frame());
        let requested = web_sys::window().map(|w| w.request_animation_frame(frame.unchecked_ref()));
        if !matches!(requested, Some(Ok(_))) {
            self.pending.set(false);
        }
    }

    /// Draws now (the frame callback; benchmarks call it directly).
    pub(super) fn frame(&self) {
        self.pending.set(false);
        let (Some((base, base_ctx)), Some((overlay, overlay_ctx))) = (context(&self.base), context(&self.overlay))
        else {
            return;
        };
        let mut scene = self.scene.borrow_mut();
        size_canvas(&base, &scene);
        size_canvas(&overlay, &scene);
        if self.base_dirty.replace(false) {
            let version = match &scene.picture {
                Picture::Tiles(tiles) => tiles.pyramid.version.clone(),
                _ => String::new(),
            };
            let requester = self.clone();
            if !paint_base(&base_ctx, &mut scene, &move |key| requester.request_tile(key, &version)) {
                // Region tiles left for the next frame.
                drop(scene);
                self.schedule(true);
                scene = self.scene.borrow_mut();
            }
        }
        paint_overlay(&overlay_ctx, &scene, self.selected.get());
        self.api.set_view(Some(ViewSource {
            viewport: scene.view,
            canvas: overlay.into(),
            device_pixel_ratio: scene.dpr,
            tool: scene.drawing.tool().name(),
        }));
    }

    /// Starts loading a tile; it repaints the base when it arrives. Called while the scene is
    /// borrowed, so the cache entry is added on the next turn.
    fn request_tile(&self, key: &TileKey, version: &str) {
        let Ok(image) = HtmlImageElement::new() else {
            return;
        };
        let (painter, done) = (self.clone(), *key);
        let settle = move |ok: bool| {
            if let Picture::Tiles(tiles) = &mut painter.scene.borrow_mut().picture {
                if let Some(slot) = tiles.cache.get_mut(&done) {
                    slot.loaded = ok;
                    slot.failed = !ok;
                }
            }
            if !ok {
                // Failed tiles are not asked for again; the regions are drawn over the gap.
                painter.report.emit(
                    "Part of this image could not be loaded (a tile failed); every region is still shown. Flag the \
                     item (Shift+F) if you cannot annotate it."
                        .into(),
                );
            }
            painter.schedule(true);
        };
        crate::dom::on_image_settled(&image, settle);
        image.set_src(&annoqa_api::tile_path(&self.project_id, version, key.level, key.column, key.row, &self.src));
        let slot = TileSlot { image, loaded: false, failed: false, used: 0 };
        // The scene is borrowed by the frame that asked; insert as soon as it is free.
        let (scene, key) = (self.scene.clone(), *key);
        wasm_bindgen_futures::spawn_local(async move {
            if let Picture::Tiles(tiles) = &mut scene.borrow_mut().picture {
                tiles.cache.entry(key).or_insert(slot);
            }
        });
    }
}

/// Gives the canvas a backing store of its CSS size times the device pixel ratio.
fn size_canvas(canvas: &HtmlCanvasElement, scene: &Scene) {
    let width = (scene.view.canvas_w * scene.dpr).round().max(1.0) as u32;
    let height = (scene.view.canvas_h * scene.dpr).round().max(1.0) as u32;
    if canvas.width() != width || canvas.height() != height {
        canvas.set_width(width);
        canvas.set_height(height);
    }
}
