//! Drawing the scene on two canvases: the base (image, then every visible region, one stroke per
//! style) and the overlay (the selected region with its handles, the shape being drawn). The
//! base is redrawn when the view or the draft changes; the overlay on every pointer move.

use web_sys::{CanvasRenderingContext2d, HtmlImageElement};

use super::layer::Regions;
use super::scene::{Mark, Picture, Scene, Style, TileSlot};
use crate::image::shape::Shape;
use crate::image::spatial::{Rect, SpatialIndex};
use crate::image::tiles::{level_for, tile_rect, visible_tiles, TileKey};
use crate::image::tool::{Gesture, Tool};
use crate::image::viewport::Viewport;

/// Shapes per path stroked at once.
const PATH_CHUNK: usize = 256;

/// More regions in view than this and outlines are one pixel wide.
const CROWDED: usize = 1_000;

/// Tiles kept decoded at most; the least recently drawn go first.
const TILE_CACHE: usize = 256;

/// Below this size on screen (CSS px) a polygon is drawn as its bounding box: its vertices
/// would fall within a few pixels of each other, and stroking 20 of them costs the rasteriser
/// far more than the four sides it looks like.
const DETAIL_PX: f64 = 6.0;

/// Adds `shape`'s outline to the current path, in canvas CSS px.
fn trace(ctx: &CanvasRenderingContext2d, view: &Viewport, shape: &Shape) {
    match shape {
        Shape::Point { x, y } => {
            let (cx, cy) = view.to_canvas(*x, *y);
            ctx.move_to(cx + 4.0, cy);
            let _ = ctx.arc(cx, cy, 4.0, 0.0, std::f64::consts::TAU);
        }
        Shape::Box { x, y, width, height, rotation } if *rotation == 0.0 => {
            let (cx, cy) = view.to_canvas(*x, *y);
            ctx.rect(cx, cy, width * view.scale, height * view.scale);
        }
        Shape::Polygon { .. } if small(view, shape) => {
            let bounds = shape.bounds();
            let (cx, cy) = view.to_canvas(bounds.x0, bounds.y0);
            ctx.rect(cx, cy, bounds.width() * view.scale, bounds.height() * view.scale);
        }
        _ => {
            // Vertices closer than half a CSS pixel to the last one drawn add nothing visible.
            let outline = shape.outline();
            let mut points = outline.iter().map(|p| view.to_canvas(p[0], p[1]));
            if let Some((x, y)) = points.next() {
                ctx.move_to(x, y);
                let mut last = (x, y);
                for (x, y) in points {
                    if (x - last.0).abs() + (y - last.1).abs() >= 0.5 {
                        ctx.line_to(x, y);
                        last = (x, y);
                    }
                }
                ctx.close_path();
            }
        }
    }
}

fn small(view: &Viewport, shape: &Shape) -> bool {
    let bounds = shape.bounds();
    bounds.width() * view.scale < DETAIL_PX && bounds.height() * view.scale < DETAIL_PX
}

fn set_dash(ctx: &CanvasRenderingContext2d, dash: &[f64]) {
    let array = js_sys::Array::new();
    for d in dash {
        array.push(&(*d).into());
    }
    let _ = ctx.set_line_dash(&array);
}

/// The scene's regions, for the tile layer to draw.
struct SceneRegions<'a> {
    index: &'a SpatialIndex,
    shapes: &'a [Option<Shape>],
    styles: &'a [u16],
    style_table: &'a [Style],
}

impl Regions for SceneRegions<'_> {
    /// Every region crossing `area`, one path per style and a few hundred shapes.
    fn draw(&self, ctx: &CanvasRenderingContext2d, view: &Viewport, area: Rect, crowded: bool) {
        let mut slots = Vec::new();
        self.index.query(area, &mut slots);
        let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); self.style_table.len()];
        for slot in slots {
            if let Some(style) = self.styles.get(slot as usize) {
                buckets[*style as usize].push(slot);
            }
        }
        for (style, slots) in buckets.iter().enumerate() {
            let style = &self.style_table[style];
            // A few hundred shapes per path: the rasteriser's cost grows faster than the path.
            for chunk in slots.chunks(PATH_CHUNK) {
                ctx.begin_path();
                for &slot in chunk {
                    if let Some(Some(shape)) = self.shapes.get(slot as usize) {
                        trace(ctx, view, shape);
                    }
                }
                stroke_style(ctx, &style.color, style.mark, crowded);
            }
        }
    }
}

/// Draws the image and the regions over it. False when some of the regions' tiles were not
/// ready in this frame's budget: another frame should follow.
pub(super) fn paint_base(ctx: &CanvasRenderingContext2d, scene: &mut Scene, request_tile: &dyn Fn(&TileKey)) -> bool {
    let view = scene.view;
    ctx.set_transform(scene.dpr, 0.0, 0.0, scene.dpr, 0.0, 0.0).ok();
    ctx.clear_rect(0.0, 0.0, view.canvas_w, view.canvas_h);
    ctx.set_fill_style_str("#1f2933");
    ctx.fill_rect(0.0, 0.0, view.canvas_w, view.canvas_h);
    paint_picture(ctx, scene, request_tile);

    // Thousands of regions in view: one-pixel lines (decided by the whole view, so every tile
    // of a frame agrees).
    let crowded = scene.index.count_in(view.visible_image_rect(), CROWDED + 1) > CROWDED;
    let regions = SceneRegions {
        index: &scene.index,
        shapes: &scene.shapes,
        styles: &scene.styles,
        style_table: &scene.style_table,
    };
    let complete = scene.layer.draw(ctx, &view, scene.dpr, &regions, crowded);
    for (shape, style) in &scene.gold {
        let style = &scene.style_table[*style as usize];
        ctx.begin_path();
        trace(ctx, &view, shape);
        set_dash(ctx, &[6.0, 4.0]);
        stroke_style(ctx, &style.color, style.mark, false);
        set_dash(ctx, &[]);
    }
    complete
}

/// A label-coloured outline; a finding or verdict adds a wider outline in its own colour
/// under it, so both the label and the problem stay readable. `crowded`: thousands of regions
/// in view, drawn with one-pixel lines, which the rasteriser draws far faster than wider ones
/// (and which keep small regions apart).
fn stroke_style(ctx: &CanvasRenderingContext2d, color: &str, mark: Mark, crowded: bool) {
    if let Some(mark_color) = mark.color() {
        ctx.set_line_width(if crowded { 3.0 } else { 5.0 });
        ctx.set_stroke_style_str(mark_color);
        ctx.stroke();
    }
    ctx.set_line_width(if crowded { 1.0 } else { 2.0 });
    ctx.set_stroke_style_str(color);
    ctx.stroke();
}

fn paint_picture(ctx: &CanvasRenderingContext2d, scene: &mut Scene, request_tile: &dyn Fn(&TileKey)) {
    let view = scene.view;
    let (x0, y0) = view.to_canvas(0.0, 0.0);
    let (w, h) = (view.image_w * view.scale, view.image_h * view.scale);
    match &mut scene.picture {
        Picture::Whole(image) => {
            ctx.set_image_smoothing_enabled(view.scale < 4.0);
            let _ = ctx.draw_image_with_html_image_element_and_dw_and_dh(image, x0, y0, w, h);
        }
        Picture::Tiles(tiles) => {
            tiles.frame += 1;
            let frame = tiles.frame;
            ctx.set_image_smoothing_enabled(view.scale < 4.0);
            let levels = &tiles.pyramid.levels;
            let level = level_for(&view, scene.dpr, levels);
            // The coarsest level first (one tile), then the needed level over it: while tiles
            // arrive the annotator sees a blurred image, never a hole.
            let coarsest = levels.len().saturating_sub(1);
            for level in if level == coarsest { vec![level] } else { vec![coarsest, level] } {
                for key in visible_tiles(&view, &tiles.pyramid, level) {
                    let rect = tile_rect(&tiles.pyramid, key);
                    match tiles.cache.get_mut(&key) {
                        Some(TileSlot { image, loaded: true, used, .. }) => {
                            *used = frame;
                            draw_tile(ctx, &view, image, &rect);
                        }
                        Some(slot) => slot.used = frame,
                        None => request_tile(&key),
                    }
                }
            }
            if tiles.cache.len() > TILE_CACHE {
                let mut ages: Vec<(u64, TileKey)> = tiles.cache.iter().map(|(k, s)| (s.used, *k)).collect();
                ages.sort_unstable_by_key(|(used, _)| *used);
                for (_, key) in ages.into_iter().take(tiles.cache.len() - TILE_CACHE) {
                    tiles.cache.remove(&key);
                }
            }
        }
        Picture::Loading | Picture::Failed => {
            ctx.set_fill_style_str("#323f4b");
            ctx.fill_rect(x0, y0, w, h);
        }
    }
}

fn draw_tile(ctx: &CanvasRenderingContext2d, view: &Viewport, image: &HtmlImageElement, rect: &Rect) {
    let (x0, y0) = view.to_canvas(rect.x0, rect.y0);
    let (x1, y1) = view.to_canvas(rect.x1, rect.y1);
    // Rounded outward by a fraction of a pixel so neighbouring tiles leave no seam.
    let _ = ctx.draw_image_with_html_image_element_and_dw_and_dh(
        image,
        x0.floor(),
        y0.floor(),
        (x1 - x0.floor()).ceil(),
        (y1 - y0.floor()).ceil(),
    );
}

/// Draws the selected region with its handles and whatever is being drawn.
pub(super) fn paint_overlay(ctx: &CanvasRenderingContext2d, scene: &Scene, selected: Option<u32>) {
    let view = scene.view;
    ctx.set_transform(scene.dpr, 0.0, 0.0, scene.dpr, 0.0, 0.0).ok();
    ctx.clear_rect(0.0, 0.0, view.canvas_w, view.canvas_h);
    let edited = match scene.drawing.gesture() {
        Gesture::Edit { slot, shape, .. } => Some((*slot, shape.clone())),
        _ => selected.and_then(|slot| scene.shapes.get(slot as usize).cloned().flatten().map(|s| (slot, s))),
    };
    if let Some((_, shape)) = &edited {
        ctx.begin_path();
        trace(ctx, &view, shape);
        ctx.set_fill_style_str("rgba(255, 255, 255, 0.18)");
        ctx.fill();
        ctx.set_line_width(2.0);
        ctx.set_stroke_style_str("#ffffff");
        ctx.stroke();
        for (_, [x, y]) in shape.handles(&view) {
            let (cx, cy) = view.to_canvas(x, y);
            ctx.set_fill_style_str("#ffffff");
            ctx.fill_rect(cx - 5.0, cy - 5.0, 10.0, 10.0);
            ctx.set_stroke_style_str("#1f2933");
            ctx.set_line_width(1.5);
            ctx.stroke_rect(cx - 5.0, cy - 5.0, 10.0, 10.0);
        }
    }
    let rubber = match (scene.drawing.gesture(), scene.corner, scene.cursor) {
        (Gesture::Rectangle { start, end }, _, _) => Some(((start[0], start[1]), (end[0], end[1]))),
        (_, Some(from), Some(cursor)) if scene.drawing.tool() == Tool::Rectangle => {
            Some((from, view.from_canvas(cursor.0, cursor.1)))
        }
        _ => None,
    };
    if let Some((from, to)) = rubber {
        let (ax, ay) = view.to_canvas(from.0, from.1);
        let (bx, by) = view.to_canvas(to.0, to.1);
        set_dash(ctx, &[5.0, 3.0]);
        ctx.set_line_width(1.5);
        ctx.set_stroke_style_str("#ffffff");
        ctx.stroke_rect(ax.min(bx), ay.min(by), (ax - bx).abs(), (ay - by).abs());
        set_dash(ctx, &[]);
    }
    if let Gesture::Polygon { points: placed } = scene.drawing.gesture() {
        let cursor = scene.cursor.map(|(cx, cy)| {
            let (x, y) = view.from_canvas(cx, cy);
            [x, y]
        });
        let points = scene.drawing.preview(cursor);
        if !points.is_empty() {
            ctx.begin_path();
            for (i, p) in points.iter().enumerate() {
                let (x, y) = view.to_canvas(p[0], p[1]);
                if i == 0 {
                    ctx.move_to(x, y);
                } else {
                    ctx.line_to(x, y);
                }
            }
            ctx.set_line_width(2.0);
            ctx.set_stroke_style_str("#ffffff");
            ctx.stroke();
            for p in placed {
                let (x, y) = view.to_canvas(p[0], p[1]);
                ctx.fill_rect(x - 3.0, y - 3.0, 6.0, 6.0);
            }
        }
    }
}
