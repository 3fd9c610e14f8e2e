//! Which tiles of the image's pyramid to draw.
//!
//! The server cuts an image into a pyramid ([`PyramidView`]): level 0 is the image at full
//! size, each next level halves it (rounding up) until one tile holds it, and every level is
//! cut into `tile_size` squares (smaller at the right and bottom edges). A pixel of level `L`
//! covers `image_w / level_w` image px across. Rectangles here are level-0 image px.

use annoqa_api::{PyramidLevel, PyramidView};

use super::spatial::Rect;
use super::viewport::Viewport;

/// One tile: its level and its column and row within that level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileKey {
    pub level: u32,
    pub column: u32,
    pub row: u32,
}

/// The coarsest level that still has at least as many pixels per image px as the screen
/// shows (`scale × device_pixel_ratio` device px per image px), so nothing is decoded that
/// the screen cannot show; level 0 when even it has too few (zoomed in past 1:1), or when the
/// need is not a positive number. A level's resolution is `level_w / levels[0].width`.
pub fn level_for(view: &Viewport, device_pixel_ratio: f64, levels: &[PyramidLevel]) -> usize {
    let Some(base) = levels.first().map(|l| f64::from(l.width)).filter(|w| *w > 0.0) else {
        return 0;
    };
    let need = view.scale * device_pixel_ratio;
    if !(need.is_finite() && need > 0.0) {
        return 0;
    }
    // A relative slack of 1e-9 so that a need of exactly 1/2 picks the half-size level.
    levels.iter().rposition(|l| f64::from(l.width) / base * (1.0 + 1e-9) >= need).unwrap_or(0)
}

/// Image px per pixel of `level`, across and down; `None` for a level that does not exist or
/// is empty.
fn level_factor(pyramid: &PyramidView, level: usize) -> Option<(&PyramidLevel, f64, f64)> {
    let l = pyramid.levels.get(level).filter(|l| l.width > 0 && l.height > 0)?;
    let fx = f64::from(pyramid.width) / f64::from(l.width);
    let fy = f64::from(pyramid.height) / f64::from(l.height);
    Some((l, fx, fy))
}

/// The tiles of `level` that intersect the visible part of the image (sharing more than an
/// edge), row by row, top to bottom. Empty for a level the pyramid does not have.
pub fn visible_tiles(view: &Viewport, pyramid: &PyramidView, level: usize) -> Vec<TileKey> {
    let Some((l, fx, fy)) = level_factor(pyramid, level) else {
        return Vec::new();
    };
    let visible = view.visible_image_rect();
    if pyramid.tile_size == 0 || l.columns == 0 || l.rows == 0 || visible.width() <= 0.0 || visible.height() <= 0.0 {
        return Vec::new();
    }
    let ts = f64::from(pyramid.tile_size);
    // Tiles [first, last] along an axis: the first holding `a`, the last starting before `b`.
    let span = |a: f64, b: f64, factor: f64, count: u32| {
        let first = (a / factor / ts).floor().max(0.0) as u32;
        let last = ((b / factor / ts).ceil() - 1.0).max(0.0) as u32;
        (first.min(count - 1), last.min(count - 1))
    };
    let (c0, c1) = span(visible.x0, visible.x1, fx, l.columns);
    let (r0, r1) = span(visible.y0, visible.y1, fy, l.rows);
    let level = level as u32;
    (r0..=r1).flat_map(|row| (c0..=c1).map(move |column| TileKey { level, column, row })).collect()
}

/// Where a tile goes, level-0 image px (edge tiles are smaller). [`Rect::EMPTY`] for a level
/// the pyramid does not have.
pub fn tile_rect(pyramid: &PyramidView, key: TileKey) -> Rect {
    let Some((l, fx, fy)) = level_factor(pyramid, key.level as usize) else {
        return Rect::EMPTY;
    };
    let ts = f64::from(pyramid.tile_size);
    let x0 = (f64::from(key.column) * ts).min(f64::from(l.width));
    let y0 = (f64::from(key.row) * ts).min(f64::from(l.height));
    let x1 = (x0 + ts).min(f64::from(l.width));
    let y1 = (y0 + ts).min(f64::from(l.height));
    Rect::new(x0 * fx, y0 * fy, x1 * fx, y1 * fy)
}
