//! Axis-aligned rectangles and the spatial index that culls and hit-tests regions.
//!
//! Everything here is in image pixels (the media's own pixels, origin top left, y down).
//! The index is a uniform grid over the image: each shape is listed in every cell its bounds
//! touch, so a query looks at the cells of the queried rectangle only, and an edit of one
//! region re-lists that region alone.

/// An axis-aligned rectangle in image pixels, edges included: `[x0, x1] × [y0, y1]`.
///
/// A rectangle is empty when `x0 > x1` or `y0 > y1` or a coordinate is NaN; an empty rectangle
/// contains and intersects nothing. A point is a rectangle of zero size, not an empty one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    /// The empty rectangle; the identity of [`Rect::union`].
    pub const EMPTY: Rect = Rect { x0: f64::INFINITY, y0: f64::INFINITY, x1: f64::NEG_INFINITY, y1: f64::NEG_INFINITY };

    pub fn new(x0: f64, y0: f64, x1: f64, y1: f64) -> Rect {
        Rect { x0, y0, x1, y1 }
    }

    /// The bounds of the finite points among `points` (NaN and infinite ones are skipped);
    /// [`Rect::EMPTY`] when there is none. Two opposite corners in any order give their box.
    pub fn from_points(points: &[[f64; 2]]) -> Rect {
        points
            .iter()
            .filter(|p| p[0].is_finite() && p[1].is_finite())
            .fold(Rect::EMPTY, |r, p| Rect::new(r.x0.min(p[0]), r.y0.min(p[1]), r.x1.max(p[0]), r.y1.max(p[1])))
    }

    /// Whether the rectangle holds no point at all (NaN coordinates included).
    pub fn is_empty(&self) -> bool {
        !(self.x0 <= self.x1 && self.y0 <= self.y1)
    }

    /// Not empty and every coordinate finite.
    pub fn is_finite(&self) -> bool {
        !self.is_empty() && [self.x0, self.y0, self.x1, self.y1].iter().all(|v| v.is_finite())
    }

    /// Width, 0 for an empty rectangle.
    pub fn width(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.x1 - self.x0
        }
    }

    /// Height, 0 for an empty rectangle.
    pub fn height(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.y1 - self.y0
        }
    }

    pub fn area(&self) -> f64 {
        self.width() * self.height()
    }

    pub fn center(&self) -> [f64; 2] {
        [(self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0]
    }

    /// Whether the point lies in the rectangle, edges included (false for NaN).
    pub fn contains(&self, x: f64, y: f64) -> bool {
        self.x0 <= x && x <= self.x1 && self.y0 <= y && y <= self.y1
    }

    /// Whether `other` lies wholly in this rectangle (false when either is empty).
    pub fn contains_rect(&self, other: &Rect) -> bool {
        !other.is_empty() && self.contains(other.x0, other.y0) && self.contains(other.x1, other.y1)
    }

    /// Whether the two share a point (touching edges count; false when either is empty).
    pub fn intersects(&self, other: &Rect) -> bool {
        self.x0 <= other.x1
            && other.x0 <= self.x1
            && self.y0 <= other.y1
            && other.y0 <= self.y1
            && !self.is_empty()
            && !other.is_empty()
    }

    /// The points in both; [`Rect::EMPTY`] when they do not meet.
    pub fn intersection(&self, other: &Rect) -> Rect {
        if !self.intersects(other) {
            return Rect::EMPTY;
        }
        Rect::new(self.x0.max(other.x0), self.y0.max(other.y0), self.x1.min(other.x1), self.y1.min(other.y1))
    }

    /// The smallest rectangle holding both (an empty one adds nothing).
    pub fn union(&self, other: &Rect) -> Rect {
        match (self.is_empty(), other.is_empty()) {
            (true, _) => *other,
            (_, true) => *self,
            _ => Rect::new(self.x0.min(other.x0), self.y0.min(other.y0), self.x1.max(other.x1), self.y1.max(other.y1)),
        }
    }

    /// Grown by `d` on every side (shrunk for a negative `d`); an empty rectangle stays empty,
    /// and a NaN `d` leaves the rectangle as it is.
    pub fn inflate(&self, d: f64) -> Rect {
        if self.is_empty() || d.is_nan() {
            return *self;
        }
        Rect::new(self.x0 - d, self.y0 - d, self.x1 + d, self.y1 + d)
    }
}

/// Cells in the grid at most: memory stays bounded (a `Vec` header per cell) whatever the
/// number of shapes.
const MAX_CELLS: usize = 1 << 16;

/// A uniform grid over an image holding each shape's axis-aligned bounds by slot.
///
/// Slots are dense indices that the caller manages (a region's position in the draft, say);
/// a slot may be empty. Bounds outside the image are listed in the edge cells, so shapes
/// partly or wholly off the image are still found. Bounds that are empty or not finite (a
/// shape with NaN coordinates) are remembered but listed in no cell: queries never return
/// them. The grid's size is chosen at [`SpatialIndex::new`] from the image size and the number
/// of shapes; inserting many more shapes later stays correct, only slower.
#[derive(Clone, Debug)]
pub struct SpatialIndex {
    /// Image pixels per cell.
    cell_w: f64,
    cell_h: f64,
    columns: usize,
    rows: usize,
    /// The slots listed in each cell, row-major, in no particular order.
    cells: Vec<Vec<u32>>,
    entries: Vec<Option<Entry>>,
    len: usize,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    bounds: Rect,
    /// The cells listing this slot, `None` when its bounds are not finite.
    cells: Option<CellRange>,
}

/// Inclusive ranges of columns and rows.
#[derive(Clone, Copy, Debug, PartialEq)]
struct CellRange {
    c0: usize,
    r0: usize,
    c1: usize,
    r1: usize,
}

impl SpatialIndex {
    /// An index of `bounds[i]` at slot `i` over an `image_w × image_h` image (a size that is
    /// not positive and finite counts as 1). About one cell per four shapes, at most
    /// 65,536 cells, cells roughly square.
    pub fn new(image_w: f64, image_h: f64, bounds: &[Rect]) -> SpatialIndex {
        let size = |v: f64| if v.is_finite() && v > 0.0 { v } else { 1.0 };
        let (w, h) = (size(image_w), size(image_h));
        let target = (bounds.len() / 4).clamp(1, MAX_CELLS);
        let cell = (w * h / target as f64).sqrt();
        let columns = ((w / cell).ceil() as usize).clamp(1, target);
        let rows = ((h / cell).ceil() as usize).clamp(1, (target / columns).max(1));
        let mut index = SpatialIndex {
            cell_w: w / columns as f64,
            cell_h: h / rows as f64,
            columns,
            rows,
            cells: Vec::new(),
            entries: Vec::new(),
            len: bounds.len(),
        };
        let entries = bounds.iter().map(|r| Some(Entry { bounds: *r, cells: index.cell_range(r) })).collect();
        index.entries = entries;
        // Two passes, counting then filling, so that every cell is allocated once.
        let mut counts = vec![0usize; columns * rows];
        index.each_listing(|cell, _| counts[cell] += 1);
        let mut cells: Vec<Vec<u32>> = counts.into_iter().map(Vec::with_capacity).collect();
        index.each_listing(|cell, slot| cells[cell].push(slot));
        index.cells = cells;
        index
    }

    /// Calls `f(cell, slot)` for every cell listing every slot.
    fn each_listing(&self, mut f: impl FnMut(usize, u32)) {
        for (slot, entry) in self.entries.iter().enumerate() {
            if let Some(Entry { cells: Some(range), .. }) = entry {
                for r in range.r0..=range.r1 {
                    for c in range.c0..=range.c1 {
                        f(r * self.columns + c, slot as u32);
                    }
                }
            }
        }
    }

    /// Number of slots holding a shape.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bounds stored at `slot`, `None` for an empty slot.
    pub fn bounds(&self, slot: u32) -> Option<Rect> {
        self.entry(slot).map(|e| e.bounds)
    }

    fn entry(&self, slot: u32) -> Option<&Entry> {
        self.entries.get(slot as usize).and_then(Option::as_ref)
    }

    /// Puts `rect` at `slot`, replacing what was there. Costs the cells the bounds cover.
    pub fn insert(&mut self, slot: u32, rect: Rect) {
        self.remove(slot);
        let i = slot as usize;
        if self.entries.len() <= i {
            self.entries.resize(i + 1, None);
        }
        let cells = self.cell_range(&rect);
        if let Some(range) = cells {
            self.for_cells(range, |cell| cell.push(slot));
        }
        self.entries[i] = Some(Entry { bounds: rect, cells });
        self.len += 1;
    }

    /// Same as [`SpatialIndex::insert`]: the shape at `slot` changed.
    pub fn update(&mut self, slot: u32, rect: Rect) {
        self.insert(slot, rect);
    }

    /// Empties `slot` (nothing happens if it is empty already).
    pub fn remove(&mut self, slot: u32) {
        let Some(entry) = self.entries.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        self.len -= 1;
        if let Some(range) = entry.cells {
            self.for_cells(range, |cell| {
                if let Some(at) = cell.iter().position(|&s| s == slot) {
                    cell.swap_remove(at);
                }
            });
        }
    }

    fn for_cells(&mut self, range: CellRange, mut f: impl FnMut(&mut Vec<u32>)) {
        for r in range.r0..=range.r1 {
            let row = r * self.columns;
            for cell in &mut self.cells[row + range.c0..=row + range.c1] {
                f(cell);
            }
        }
    }

    /// The cells a rectangle touches, clamped to the grid; `None` for an empty or non-finite
    /// rectangle.
    fn cell_range(&self, rect: &Rect) -> Option<CellRange> {
        if !rect.is_finite() {
            return None;
        }
        // `as usize` saturates: negative coordinates give 0, huge ones the last cell.
        let column = |x: f64| ((x / self.cell_w).floor() as usize).min(self.columns - 1);
        let row = |y: f64| ((y / self.cell_h).floor() as usize).min(self.rows - 1);
        Some(CellRange { c0: column(rect.x0), r0: row(rect.y0), c1: column(rect.x1), r1: row(rect.y1) })
    }

    /// The slots whose bounds intersect `rect` (edges touching count), each once, in
    /// ascending slot order, so drawing them in that order is stable. `out` is cleared first.
    pub fn query(&self, rect: Rect, out: &mut Vec<u32>) {
        out.clear();
        let Some(range) = self.cell_range(&rect) else {
            return;
        };
        let cells = (range.c1 - range.c0 + 1) * (range.r1 - range.r0 + 1);
        if cells * 2 > self.cells.len() {
            // Most of the grid (the whole image at fit): a scan is in slot order already.
            let hits = self.entries.iter().enumerate().filter_map(|(slot, e)| {
                e.as_ref().filter(|e| e.cells.is_some() && e.bounds.intersects(&rect)).map(|_| slot as u32)
            });
            out.extend(hits);
            return;
        }
        self.each_candidate(&rect, |slot, _| out.push(slot));
        out.sort_unstable();
    }

    /// How many shapes' bounds intersect `rect`, counted up to `limit`.
    pub fn count_in(&self, rect: Rect, limit: usize) -> usize {
        let mut count = 0;
        self.each_candidate(&rect, |_, _| count += 1);
        count.min(limit)
    }

    /// Calls `f` once for every slot whose bounds intersect `rect`, in no particular order,
    /// without allocating.
    pub fn each_candidate(&self, rect: &Rect, mut f: impl FnMut(u32, &Rect)) {
        let Some(q) = self.cell_range(rect) else {
            return;
        };
        for r in q.r0..=q.r1 {
            for c in q.c0..=q.c1 {
                for &slot in &self.cells[r * self.columns + c] {
                    let Some(Entry { bounds, cells: Some(s) }) = self.entry(slot) else {
                        continue;
                    };
                    // A shape listed in several of the queried cells is reported in the first
                    // of them only: the cell where both ranges start.
                    if c == s.c0.max(q.c0) && r == s.r0.max(q.r0) && bounds.intersects(rect) {
                        f(slot, bounds);
                    }
                }
            }
        }
    }
}
