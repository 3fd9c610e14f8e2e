//! What the image editor draws and hit-tests, kept outside Yew's render cycle: the viewport,
//! one shape per draft slot in a spatial index, each slot's style, the image (whole or as
//! pyramid tiles) and the gesture in progress. Pan and zoom redraw the canvases directly on the
//! next animation frame; only draft changes go through Yew.

use std::collections::HashMap;

use annoqa_core::{Region, RegionValue, Severity, TaskSpec, Verdict};
use web_sys::HtmlImageElement;

use super::layer::RegionLayer;
use crate::draft::{Draft, SharedDraft};
use crate::image::shape::Shape;
use crate::image::spatial::{Rect, SpatialIndex};
use crate::image::tiles::TileKey;
use crate::image::tool::{Drawing, Tool};
use crate::image::viewport::Viewport;
use crate::labels::label_color;
use crate::state::Checked;

/// How a region is outlined: its label's colour, and its worst finding or gold verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Mark {
    Plain,
    Warning,
    Error,
    Matched,
    Missed,
    Extra,
    WrongLabel,
    LowOverlap,
    /// A reviewer's overlay: every annotator drew the region alike, most did, or they differ.
    AllAgree,
    Majority,
    Disagree,
}

impl Mark {
    pub(super) fn from_verdict(verdict: &Verdict) -> Mark {
        match verdict {
            Verdict::Matched { .. } => Mark::Matched,
            Verdict::Missed => Mark::Missed,
            Verdict::Extra => Mark::Extra,
            Verdict::WrongLabel { .. } => Mark::WrongLabel,
            _ => Mark::LowOverlap,
        }
    }

    /// The colour of the outline that says what the mark means (a label colour for plain).
    pub(super) fn color(self) -> Option<&'static str> {
        match self {
            Mark::Plain => None,
            Mark::Warning => Some("#b45309"),
            Mark::Error => Some("#c1121f"),
            Mark::Matched => Some("#2b9348"),
            Mark::Missed => Some("#c1121f"),
            Mark::Extra => Some("#e85d04"),
            Mark::WrongLabel => Some("#7b2cbf"),
            Mark::LowOverlap => Some("#d4a106"),
            Mark::AllAgree => Some("#2b9348"),
            Mark::Majority => Some("#d4a106"),
            Mark::Disagree => Some("#c1121f"),
        }
    }
}

/// A style: the slots drawn with one stroke.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Style {
    pub mark: Mark,
    pub color: String,
    /// Gold's own regions are dashed.
    pub gold: bool,
}

/// How regions are marked: the mark of an id, the ids whose mark is not plain, and a number
/// that changes whenever the marks may have (the address of the findings or verdicts).
pub(super) struct Marks<'a> {
    pub mark: &'a dyn Fn(&str) -> Mark,
    pub marked: Vec<&'a str>,
    pub version: usize,
}

/// The image under the regions.
pub(super) enum Picture {
    Loading,
    Whole(HtmlImageElement),
    Tiles(Tiles),
    /// Not drawable; the editor shows why above the canvas.
    Failed,
}

pub(super) struct Tiles {
    pub pyramid: annoqa_api::PyramidView,
    pub cache: HashMap<TileKey, TileSlot>,
    /// Bumped per drawn frame, to evict the tiles unused longest.
    pub frame: u64,
}

pub(super) struct TileSlot {
    pub image: HtmlImageElement,
    pub loaded: bool,
    pub failed: bool,
    pub used: u64,
}

pub(super) struct Scene {
    pub view: Viewport,
    pub dpr: f64,
    pub index: SpatialIndex,
    pub shapes: Vec<Option<Shape>>,
    pub styles: Vec<u16>,
    pub style_table: Vec<Style>,
    /// The draft (by address) and revision the shapes reflect.
    synced: Option<(usize, u64)>,
    /// The marks the styles reflect, and the slots marked then.
    marks_version: Option<usize>,
    marked: Vec<u32>,
    style_cache: Vec<(String, String, Mark, bool, u16)>,
    /// Gold's regions, after a gold submission; drawn dashed, not hit-tested.
    pub gold: Vec<(Shape, u16)>,
    /// The tool and its gesture (rectangle, polygon, move or reshape).
    pub drawing: Drawing,
    /// Panning: the last pointer position in canvas CSS px.
    pub pan: Option<(f64, f64)>,
    /// A first corner placed by a click (the click-click alternative to dragging a box).
    pub corner: Option<(f64, f64)>,
    pub cursor: Option<(f64, f64)>,
    pub picture: Picture,
    /// The regions as rendered tiles; `sync` invalidates what an edit touches.
    pub layer: RegionLayer,
    pub space_held: bool,
}

impl Scene {
    pub(super) fn new(image_w: f64, image_h: f64) -> Scene {
        Scene {
            view: Viewport::fit(image_w, image_h, 800.0, 600.0),
            dpr: 1.0,
            index: SpatialIndex::new(image_w, image_h, &[]),
            shapes: Vec::new(),
            styles: Vec::new(),
            style_table: Vec::new(),
            synced: None,
            marks_version: None,
            marked: Vec::new(),
            style_cache: Vec::new(),
            gold: Vec::new(),
            drawing: Drawing::new(Tool::Select),
            pan: None,
            corner: None,
            cursor: None,
            picture: Picture::Loading,
            layer: RegionLayer::default(),
            space_held: false,
        }
    }

    fn style_id(&mut self, style: Style) -> u16 {
        if let Some(at) = self.style_table.iter().position(|s| *s == style) {
            return at as u16;
        }
        self.style_table.push(style);
        (self.style_table.len() - 1) as u16
    }

    /// The style of a region; remembered by control, label and mark, so restyling thousands
    /// of regions allocates nothing.
    fn style_of(&mut self, spec: &TaskSpec, region: &Region, mark: Mark, gold: bool) -> u16 {
        let label = region_label(&region.value).unwrap_or_default();
        let known = self
            .style_cache
            .iter()
            .find(|(c, l, m, g, _)| c == &region.control && l == label && *m == mark && *g == gold);
        if let Some((.., id)) = known {
            return *id;
        }
        let color = label_color(spec, &region.control, label).unwrap_or_else(|| "#888888".into());
        let id = self.style_id(Style { mark, color, gold });
        self.style_cache.push((region.control.clone(), label.to_string(), mark, gold, id));
        id
    }

    /// Brings shapes, index and styles up to `draft`'s revision: the changed slots only when the
    /// draft's change log reaches back, else everything. Styles follow `marks` (findings, or
    /// verdicts once gold is shown); `marked` lists the ids whose mark is not plain and
    /// `marks_version` changes whenever the marks may have, so a render with the same draft and
    /// marks costs nothing and an edit restyles only what changed.
    pub(super) fn sync(&mut self, spec: &TaskSpec, draft: &SharedDraft, marks: &Marks<'_>) {
        let draft_ref = draft.borrow();
        let address = std::ptr::from_ref::<Draft>(&draft_ref) as usize;
        let revision = draft_ref.revision();
        if self.synced == Some((address, revision)) && self.marks_version == Some(marks.version) {
            return;
        }
        let changed = match self.synced {
            Some((a, r)) if a == address && r == revision => Some(Vec::new()),
            Some((a, r)) if a == address => draft_ref.changed_since(r),
            _ => None,
        };
        let count = draft_ref.slot_count();
        self.shapes.resize(count, None);
        self.styles.resize(count, 0);
        let incremental = changed.is_some();
        let mut touched = changed.clone().unwrap_or_default();
        match changed {
            Some(slots) => {
                for slot in slots {
                    let shape = draft_ref.at_slot(slot).and_then(|r| Shape::from_value(&r.value));
                    // Where it was and where it is now must both be drawn again.
                    if let Some(old) = self.index.bounds(slot) {
                        self.layer.invalidate(old);
                    }
                    if let Some(shape) = &shape {
                        self.layer.invalidate(shape.bounds());
                    }
                    match &shape {
                        Some(shape) => self.index.update(slot, shape.bounds()),
                        None => self.index.remove(slot),
                    }
                    self.shapes[slot as usize] = shape;
                }
            }
            None => {
                self.shapes = (0..count as u32)
                    .map(|slot| draft_ref.at_slot(slot).and_then(|r| Shape::from_value(&r.value)))
                    .collect();
                let bounds: Vec<Rect> =
                    self.shapes.iter().map(|s| s.as_ref().map_or(Rect::EMPTY, Shape::bounds)).collect();
                // Empty slots get `Rect::EMPTY`, which no query returns.
                self.index = SpatialIndex::new(self.view.image_w, self.view.image_h, &bounds);
                self.layer.clear();
            }
        }
        self.synced = Some((address, revision));
        self.marks_version = Some(marks.version);
        let marked: Vec<u32> = marks.marked.iter().filter_map(|id| draft_ref.slot_of(id)).collect();
        if incremental {
            // What changed, what was marked and what is marked now.
            touched.extend(self.marked.iter().copied());
            touched.extend(marked.iter().copied());
            touched.sort_unstable();
            touched.dedup();
            for slot in touched {
                if let Some(region) = draft_ref.at_slot(slot) {
                    let style = self.style_of(spec, region, (marks.mark)(&region.id), false);
                    if self.styles[slot as usize] != style {
                        self.styles[slot as usize] = style;
                        if let Some(bounds) = self.index.bounds(slot) {
                            self.layer.invalidate(bounds);
                        }
                    }
                }
            }
        } else {
            self.layer.clear();
            for (position, &slot) in draft_ref.slots().iter().enumerate() {
                let region = &draft_ref.regions()[position];
                self.styles[slot as usize] = self.style_of(spec, region, (marks.mark)(&region.id), false);
            }
        }
        self.marked = marked;
    }

    /// Gold's regions drawn beside the annotator's, each by its verdict.
    pub(super) fn set_gold(&mut self, spec: &TaskSpec, answer: &[Region], marks: &dyn Fn(&str) -> Mark) {
        self.gold.clear();
        for region in answer {
            if let Some(shape) = Shape::from_value(&region.value) {
                let style = self.style_of(spec, region, marks(&region.id), true);
                self.gold.push((shape, style));
            }
        }
    }

    /// The topmost region under canvas point `(cx, cy)`, with a 6 CSS px tolerance.
    pub(super) fn hit(&self, cx: f64, cy: f64) -> Option<u32> {
        let (x, y) = self.view.from_canvas(cx, cy);
        crate::image::hit::hit_test(&self.index, &self.shapes, x, y, self.view.css_to_image(6.0))
    }
}

/// The label of an image region's value.
pub(super) fn region_label(value: &RegionValue) -> Option<&str> {
    match value {
        RegionValue::BBox { label, .. } | RegionValue::Polygon { label, .. } | RegionValue::Keypoint { label, .. } => {
            Some(label)
        }
        _ => None,
    }
}

/// A region's mark from the live findings.
pub(super) fn finding_mark(findings: &Checked, id: &str) -> Mark {
    match findings.severity(id) {
        Some(Severity::Error) => Mark::Error,
        Some(Severity::Warning) => Mark::Warning,
        None => Mark::Plain,
    }
}
