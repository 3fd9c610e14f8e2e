//! The regions as a cache of rendered tiles, like a map's: a tile is 256 CSS px at a zoom level
//! (a power of two of the scale) and holds every region that crosses it, drawn once. A frame
//! draws the visible tiles scaled to the exact zoom; a pan renders only the tiles that come into
//! view, and an edit re-renders only the tiles its old and new shape touch. Tiles are rendered
//! within a time budget per frame; one not ready yet shows the tiles of another level scaled in
//! its place, and the frame asks for another.

use std::collections::HashMap;

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::image::spatial::Rect;
use crate::image::viewport::Viewport;

/// A tile's side in CSS px.
const TILE: f64 = 256.0;
/// Tiles kept; the least recently drawn go first (256 × 256 × 4 bytes each at a ratio of 1).
const MAX_TILES: usize = 160;
/// Milliseconds of tile rendering per frame.
const BUDGET_MS: f64 = 6.0;
/// Strokes reach past a shape's bounds by up to this many CSS px (the wide finding outline).
const STROKE_PAD: f64 = 4.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    level: i32,
    column: i64,
    row: i64,
}

struct Entry {
    canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
    clean: bool,
    crowded: bool,
    used: u64,
}

/// Draws the regions crossing `area` (image px) through `view` onto a context.
pub(super) trait Regions {
    fn draw(&self, ctx: &CanvasRenderingContext2d, view: &Viewport, area: Rect, crowded: bool);
}

#[derive(Default)]
pub(super) struct RegionLayer {
    tiles: HashMap<Key, Entry>,
    frame: u64,
    dpr: f64,
}

fn level_scale(level: i32) -> f64 {
    2f64.powi(level)
}

/// The tile's area in image px.
fn tile_rect(key: Key) -> Rect {
    let size = TILE / level_scale(key.level);
    let (x0, y0) = (key.column as f64 * size, key.row as f64 * size);
    Rect::new(x0, y0, x0 + size, y0 + size)
}

fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

impl RegionLayer {
    /// Forgets every tile (the draft was replaced).
    pub(super) fn clear(&mut self) {
        self.tiles.clear();
    }

    /// Marks the tiles that draw anything inside `rect` (image px) for rendering again.
    pub(super) fn invalidate(&mut self, rect: Rect) {
        if !rect.is_finite() {
            return;
        }
        for (key, entry) in &mut self.tiles {
            let pad = STROKE_PAD / level_scale(key.level);
            if tile_rect(*key).intersects(&rect.inflate(pad)) {
                entry.clean = false;
            }
        }
    }

    /// Draws the regions of the visible part of the image. False when some tile was not ready
    /// (another frame should follow).
    pub(super) fn draw(
        &mut self,
        ctx: &CanvasRenderingContext2d,
        view: &Viewport,
        dpr: f64,
        regions: &dyn Regions,
        crowded: bool,
    ) -> bool {
        if dpr != self.dpr {
            self.tiles.clear();
            self.dpr = dpr;
        }
        self.frame += 1;
        let scale = view.scale.max(1e-6);
        // Tiles are rendered at the next power of two at or above the scale, so they are only ever
        // shrunk on screen (sharp), by at most half.
        let level = scale.log2().ceil().clamp(-30.0, 30.0) as i32;
        let size = TILE / level_scale(level);
        let visible = view.visible_image_rect();
        if visible.is_empty() || !visible.is_finite() {
            return true;
        }
        let columns = (visible.x0 / size).floor() as i64..=((visible.x1 / size).ceil() as i64 - 1);
        let rows = (visible.y0 / size).floor() as i64..=((visible.y1 / size).ceil() as i64 - 1);
        let deadline = now() + BUDGET_MS;
        let mut complete = true;
        for row in rows {
            for column in columns.clone() {
                let key = Key { level, column, row };
                let ready = self.tiles.get(&key).is_some_and(|e| e.clean && e.crowded == crowded);
                if ready || now() < deadline {
                    if !ready {
                        self.render(key, view, regions, crowded);
                    }
                    if let Some(entry) = self.tiles.get_mut(&key) {
                        entry.used = self.frame;
                        blit(ctx, view, &entry.canvas, tile_rect(key));
                    }
                } else {
                    complete = false;
                    self.stand_in(ctx, view, key);
                }
            }
        }
        self.evict();
        complete
    }

    fn render(&mut self, key: Key, view: &Viewport, regions: &dyn Regions, crowded: bool) {
        let pixels = (TILE * self.dpr).round().max(1.0) as u32;
        if !self.tiles.contains_key(&key) {
            let Some((canvas, ctx)) = tile_canvas(pixels) else {
                return;
            };
            self.tiles.insert(key, Entry { canvas, ctx, clean: false, crowded, used: self.frame });
        }
        let Some(entry) = self.tiles.get_mut(&key) else {
            return;
        };
        let area = tile_rect(key);
        let scale = level_scale(key.level);
        let tile_view = Viewport {
            canvas_w: TILE,
            canvas_h: TILE,
            image_w: view.image_w,
            image_h: view.image_h,
            scale,
            offset_x: -area.x0 * scale,
            offset_y: -area.y0 * scale,
        };
        let ctx = &entry.ctx;
        ctx.set_transform(self.dpr, 0.0, 0.0, self.dpr, 0.0, 0.0).ok();
        ctx.clear_rect(0.0, 0.0, TILE, TILE);
        regions.draw(ctx, &tile_view, area.inflate(STROKE_PAD / scale), crowded);
        entry.clean = true;
        entry.crowded = crowded;
    }

    /// In place of a tile not rendered yet: the ready tiles of the nearest other levels that
    /// cover it, scaled (blurred or sharper, but never a hole).
    fn stand_in(&self, ctx: &CanvasRenderingContext2d, view: &Viewport, key: Key) {
        let area = tile_rect(key);
        let mut others: Vec<(&Key, &Entry)> = self
            .tiles
            .iter()
            .filter(|(k, e)| k.level != key.level && e.clean && tile_rect(**k).intersects(&area))
            .collect();
        others.sort_by_key(|(k, _)| (k.level - key.level).abs());
        let Some(nearest) = others.first().map(|(k, _)| k.level) else {
            return;
        };
        ctx.save();
        let (x0, y0) = view.to_canvas(area.x0, area.y0);
        let (x1, y1) = view.to_canvas(area.x1, area.y1);
        ctx.begin_path();
        ctx.rect(x0, y0, x1 - x0, y1 - y0);
        ctx.clip();
        for (k, entry) in others.iter().filter(|(k, _)| k.level == nearest) {
            blit(ctx, view, &entry.canvas, tile_rect(**k));
        }
        ctx.restore();
    }

    fn evict(&mut self) {
        if self.tiles.len() <= MAX_TILES {
            return;
        }
        let mut ages: Vec<(u64, Key)> = self.tiles.iter().map(|(k, e)| (e.used, *k)).collect();
        ages.sort_unstable_by_key(|(used, _)| *used);
        for (_, key) in ages.into_iter().take(self.tiles.len() - MAX_TILES) {
            self.tiles.remove(&key);
        }
    }
}

fn tile_canvas(pixels: u32) -> Option<(HtmlCanvasElement, CanvasRenderingContext2d)> {
    let document = web_sys::window()?.document()?;
    let canvas = document.create_element("canvas").ok()?.dyn_into::<HtmlCanvasElement>().ok()?;
    canvas.set_width(pixels);
    canvas.set_height(pixels);
    let ctx = canvas.get_context("2d").ok()??.dyn_into::<CanvasRenderingContext2d>().ok()?;
    Some((canvas, ctx))
}

/// Draws a tile's canvas where its area is in the view, edges rounded outward so neighbours
/// leave no seam.
fn blit(ctx: &CanvasRenderingContext2d, view: &Viewport, canvas: &HtmlCanvasElement, area: Rect) {
    let (x0, y0) = view.to_canvas(area.x0, area.y0);
    let (x1, y1) = view.to_canvas(area.x1, area.y1);
    let (x0, y0) = (x0.floor(), y0.floor());
    let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(canvas, x0, y0, (x1 - x0).ceil(), (y1 - y0).ceil());
}
