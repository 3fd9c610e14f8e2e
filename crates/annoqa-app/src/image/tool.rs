//! The drawing tools' state machine. The canvas component feeds it pointer events and keys,
//! already converted to image px, and the hit test it did itself (with
//! [`super::hit::hit_test`] and [`Shape::handle_at`]); it answers with what to draw and what
//! to commit. Nothing here touches the draft: a [`Outcome`] says what the caller should do.

use super::shape::{Handle, Shape};

/// The tool the pointer draws with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tool {
    /// Select, move and reshape regions.
    Select,
    Rectangle,
    Polygon,
    Keypoint,
}

impl Tool {
    pub const ALL: [Tool; 4] = [Tool::Select, Tool::Rectangle, Tool::Polygon, Tool::Keypoint];

    /// The tool's key: `v`, `r`, `p`, `k`.
    pub fn key(self) -> char {
        match self {
            Tool::Select => 'v',
            Tool::Rectangle => 'r',
            Tool::Polygon => 'p',
            Tool::Keypoint => 'k',
        }
    }

    /// The tool of a key, either case (so Caps Lock does not disable the shortcuts).
    pub fn from_key(key: char) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.key() == key.to_ascii_lowercase())
    }

    /// The tool's name for the toolbar.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Select => "Select",
            Tool::Rectangle => "Rectangle",
            Tool::Polygon => "Polygon",
            Tool::Keypoint => "Keypoint",
        }
    }
}

/// What the Select tool's press landed on, from the caller's hit test: the region's slot, its
/// shape now, and the handle grabbed (`None`: the body, to move it).
#[derive(Clone, Debug, PartialEq)]
pub struct Grab {
    pub slot: u32,
    pub shape: Shape,
    pub handle: Option<Handle>,
}

/// What the caller should do after an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Nothing to commit (redraw the preview if there is one).
    Nothing,
    /// The selection is now this region, or none.
    Select(Option<u32>),
    /// Add a region of this shape (with the active label).
    Create(Shape),
    /// Replace the geometry of the region at `slot`.
    Edit { slot: u32, shape: Shape },
}

/// The gesture in progress.
#[derive(Clone, Debug, PartialEq)]
pub enum Gesture {
    Idle,
    /// Rectangle tool, pointer down at `start`, now at `end`.
    Rectangle {
        start: [f64; 2],
        end: [f64; 2],
    },
    /// Polygon tool, the vertices placed so far.
    Polygon {
        points: Vec<[f64; 2]>,
    },
    /// Select tool: moving (`handle: None`) or reshaping a region. `shape` is the provisional
    /// result; `moved` turns true once the pointer went further than the slop.
    Edit {
        slot: u32,
        handle: Option<Handle>,
        start: [f64; 2],
        original: Shape,
        shape: Shape,
        moved: bool,
    },
}

/// The active tool and its gesture. All coordinates are image px.
///
/// The slop passed to [`Drawing::press`] (image px, e.g. 2 CSS px / scale) separates a click
/// from a drag: a rectangle must span more than it in both directions, a move must go further
/// than it. Non-finite coordinates are ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawing {
    tool: Tool,
    gesture: Gesture,
    slop: f64,
}

fn finite(x: f64, y: f64) -> bool {
    x.is_finite() && y.is_finite()
}

impl Drawing {
    pub fn new(tool: Tool) -> Drawing {
        Drawing { tool, gesture: Gesture::Idle, slop: 0.0 }
    }

    pub fn tool(&self) -> Tool {
        self.tool
    }

    /// Switches tool, abandoning any gesture in progress.
    pub fn set_tool(&mut self, tool: Tool) {
        self.tool = tool;
        self.gesture = Gesture::Idle;
    }

    pub fn gesture(&self) -> &Gesture {
        &self.gesture
    }

    /// Whether a gesture is in progress (then Esc cancels it rather than clearing the
    /// selection).
    pub fn is_busy(&self) -> bool {
        self.gesture != Gesture::Idle
    }

    /// Pointer down. Select tool: `grab` is the caller's hit test; a region selects it and
    /// starts moving or reshaping it, empty space clears the selection. Rectangle tool: starts
    /// a rectangle (`grab` ignored). Polygon and keypoint tools work by [`Drawing::click`].
    pub fn press(&mut self, x: f64, y: f64, grab: Option<Grab>, slop: f64) -> Outcome {
        if !finite(x, y) {
            return Outcome::Nothing;
        }
        self.slop = if slop > 0.0 && slop.is_finite() { slop } else { 0.0 };
        match self.tool {
            Tool::Select => match grab {
                Some(Grab { slot, shape, handle }) => {
                    self.gesture =
                        Gesture::Edit { slot, handle, start: [x, y], original: shape.clone(), shape, moved: false };
                    Outcome::Select(Some(slot))
                }
                None => {
                    self.gesture = Gesture::Idle;
                    Outcome::Select(None)
                }
            },
            Tool::Rectangle => {
                self.gesture = Gesture::Rectangle { start: [x, y], end: [x, y] };
                Outcome::Nothing
            }
            Tool::Polygon | Tool::Keypoint => Outcome::Nothing,
        }
    }

    /// Pointer moved with the button down: the provisional shape to draw (a new rectangle, or
    /// the edited region, whose slot [`Drawing::gesture`] tells), not committed. `keep_aspect`
    /// (Shift) keeps a box's proportions while reshaping.
    pub fn drag(&mut self, x: f64, y: f64, keep_aspect: bool) -> Option<Shape> {
        if !finite(x, y) {
            return None;
        }
        let slop = self.slop;
        match &mut self.gesture {
            Gesture::Rectangle { start, end } => {
                *end = [x, y];
                Some(box_between(*start, *end))
            }
            Gesture::Edit { handle, start, original, shape, moved, .. } => {
                *moved |= (x - start[0]).abs() > slop || (y - start[1]).abs() > slop;
                if *moved {
                    *shape = match handle {
                        Some(h) => original.drag_handle(*h, x, y, keep_aspect),
                        None => original.translated(x - start[0], y - start[1]),
                    };
                }
                Some(shape.clone())
            }
            Gesture::Idle | Gesture::Polygon { .. } => None,
        }
    }

    /// Pointer up: a new rectangle if the drag spanned more than the slop in both directions
    /// (a click draws nothing), or the edit of the grabbed region if it changed.
    pub fn release(&mut self, x: f64, y: f64, keep_aspect: bool) -> Outcome {
        self.drag(x, y, keep_aspect);
        match std::mem::replace(&mut self.gesture, Gesture::Idle) {
            Gesture::Rectangle { start, end } => {
                let (w, h) = ((end[0] - start[0]).abs(), (end[1] - start[1]).abs());
                if w > self.slop && h > self.slop && w > 0.0 && h > 0.0 {
                    Outcome::Create(box_between(start, end))
                } else {
                    Outcome::Nothing
                }
            }
            Gesture::Edit { slot, original, shape, .. } if shape != original => Outcome::Edit { slot, shape },
            polygon @ Gesture::Polygon { .. } => {
                self.gesture = polygon;
                Outcome::Nothing
            }
            _ => Outcome::Nothing,
        }
    }

    /// A click (pointer down and up in place). Keypoint tool: creates a keypoint. Polygon tool:
    /// adds a vertex, or closes the polygon when the click is within `close_tolerance` image
    /// px of the first of three or more vertices; a click within `close_tolerance` of the last
    /// vertex (a double-click's second click, a jitter) adds nothing.
    pub fn click(&mut self, x: f64, y: f64, close_tolerance: f64) -> Outcome {
        if !finite(x, y) {
            return Outcome::Nothing;
        }
        match self.tool {
            Tool::Keypoint => Outcome::Create(Shape::Point { x, y }),
            Tool::Polygon => {
                let near = |p: [f64; 2]| (p[0] - x).hypot(p[1] - y) <= close_tolerance;
                if let Gesture::Polygon { points } = &mut self.gesture {
                    if points.len() >= 3 && near(points[0]) {
                        return self.close();
                    }
                    if !points.last().is_some_and(|&p| near(p)) {
                        points.push([x, y]);
                    }
                } else {
                    self.gesture = Gesture::Polygon { points: vec![[x, y]] };
                }
                Outcome::Nothing
            }
            Tool::Select | Tool::Rectangle => Outcome::Nothing,
        }
    }

    /// Enter or double-click: the polygon, if it has at least three distinct vertices (repeats
    /// of the previous vertex dropped); otherwise it keeps drawing.
    pub fn close(&mut self) -> Outcome {
        let Gesture::Polygon { points } = &mut self.gesture else {
            return Outcome::Nothing;
        };
        points.dedup();
        let mut distinct = points.clone();
        distinct.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
        distinct.dedup();
        if distinct.len() < 3 {
            return Outcome::Nothing;
        }
        let points = std::mem::take(points);
        self.gesture = Gesture::Idle;
        Outcome::Create(Shape::Polygon { points })
    }

    /// Backspace while drawing a polygon: drops its last vertex (the polygon with it when it
    /// was the only one). Returns whether it did something, so that otherwise Backspace can
    /// delete the selected region.
    pub fn backspace(&mut self) -> bool {
        let Gesture::Polygon { points } = &mut self.gesture else {
            return false;
        };
        points.pop();
        if points.is_empty() {
            self.gesture = Gesture::Idle;
        }
        true
    }

    /// Esc: abandons the gesture in progress (an edit reverts: nothing was committed). Returns
    /// whether there was one, so that otherwise Esc can clear the selection.
    pub fn cancel(&mut self) -> bool {
        std::mem::replace(&mut self.gesture, Gesture::Idle) != Gesture::Idle
    }

    /// The polygon being drawn with the rubber band to the cursor (if given and finite) as its
    /// last point; empty when no polygon is being drawn.
    pub fn preview(&self, cursor: Option<[f64; 2]>) -> Vec<[f64; 2]> {
        let Gesture::Polygon { points } = &self.gesture else {
            return Vec::new();
        };
        let mut out = points.clone();
        out.extend(cursor.filter(|c| finite(c[0], c[1])));
        out
    }
}

/// The axis-aligned box with corners `a` and `b`, of positive (or zero) size.
fn box_between(a: [f64; 2], b: [f64; 2]) -> Shape {
    Shape::Box {
        x: a[0].min(b[0]),
        y: a[1].min(b[1]),
        width: (a[0] - b[0]).abs(),
        height: (a[1] - b[1]).abs(),
        rotation: 0.0,
    }
}
