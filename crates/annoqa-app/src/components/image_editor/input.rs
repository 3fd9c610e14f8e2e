//! Pointer, wheel and key input of the image editor, turned into view changes (drawn on the next
//! frame) and draft actions (dispatched to the page's state).

use std::collections::BTreeMap;
use std::rc::Rc;

use annoqa_core::{ControlKind, Region, TaskSpec};
use web_sys::{KeyboardEvent, MouseEvent, WheelEvent};
use yew::Callback;

use super::painter::Painter;
use crate::draft::SharedDraft;
use crate::image::shape::Shape;
use crate::image::tool::{Grab, Outcome, Tool};
use crate::state::{Action, LabelRef};

/// Everything input needs, as of the latest render.
#[derive(Clone)]
pub(super) struct Ctx {
    pub painter: Painter,
    pub dispatch: Callback<Action>,
    pub spec: Rc<TaskSpec>,
    pub active_label: Option<LabelRef>,
    pub draft: SharedDraft,
    pub selected: Option<String>,
    pub editable: bool,
    /// The page shows no dialog or help, so keys are the editor's.
    pub keys: bool,
    pub notice: Callback<String>,
}

/// Whether a control draws `tool`'s shapes.
pub(super) fn draws(kind: &ControlKind, tool: Tool) -> bool {
    matches!(
        (kind, tool),
        (ControlKind::BBox, Tool::Rectangle)
            | (ControlKind::Polygon, Tool::Polygon)
            | (ControlKind::Keypoint, Tool::Keypoint)
    )
}

/// The tool that draws a control's shapes.
pub(super) fn tool_for(kind: &ControlKind) -> Option<Tool> {
    [Tool::Rectangle, Tool::Polygon, Tool::Keypoint].into_iter().find(|&t| draws(kind, t))
}

/// The label a new shape of `tool` gets: the active one if its control draws such shapes, else
/// the first label of the first control that does.
pub(super) fn label_for(spec: &TaskSpec, active: Option<&LabelRef>, tool: Tool) -> Option<LabelRef> {
    if let Some(active) = active {
        if spec.control(&active.control).is_some_and(|c| draws(&c.kind, tool)) {
            return Some(active.clone());
        }
    }
    let control = spec.controls.iter().find(|c| draws(&c.kind, tool))?;
    let label = control.labels.first()?;
    Some(LabelRef { control: control.name.clone(), label: label.value.clone() })
}

/// The pointer's position in canvas CSS px. (Not from the event's current target: Yew
/// delegates events to its root element.)
fn canvas_point(painter: &Painter, event: &MouseEvent) -> (f64, f64) {
    let rect = painter.overlay.cast::<web_sys::Element>().map(|e| e.get_bounding_client_rect());
    let (left, top) = rect.map_or((0.0, 0.0), |r| (r.left(), r.top()));
    (f64::from(event.client_x()) - left, f64::from(event.client_y()) - top)
}

impl Ctx {
    fn commit(&self, outcome: Outcome) {
        match outcome {
            Outcome::Nothing => {}
            Outcome::Select(slot) => {
                let id = slot.and_then(|s| self.draft.borrow().at_slot(s).map(|r| r.id.clone()));
                self.dispatch.emit(Action::SelectRegion(id));
            }
            Outcome::Create(shape) => self.create(shape),
            Outcome::Edit { slot, shape } => self.edit(slot, &shape),
        }
    }

    fn create(&self, shape: Shape) {
        let tool = self.painter.scene.borrow().drawing.tool();
        let Some(label) = label_for(&self.spec, self.active_label.as_ref(), tool) else {
            self.notice.emit(format!("This task has no labels for the {} tool.", tool.name().to_lowercase()));
            return;
        };
        self.dispatch.emit(Action::AddRegion(Region {
            id: String::new(),
            control: label.control,
            value: shape.to_value(label.label),
            attributes: BTreeMap::new(),
        }));
    }

    fn edit(&self, slot: u32, shape: &Shape) {
        let Some(region) = self.draft.borrow().at_slot(slot).cloned() else {
            return;
        };
        let mut value = region.value;
        shape.apply_to(&mut value);
        self.dispatch.emit(Action::SetRegionValue { id: region.id, value });
    }

    fn selected_slot(&self) -> Option<u32> {
        self.selected.as_deref().and_then(|id| self.draft.borrow().slot_of(id))
    }

    pub(super) fn pointer_down(&self, event: &MouseEvent) {
        let (cx, cy) = canvas_point(&self.painter, event);
        let mut scene = self.painter.scene.borrow_mut();
        scene.cursor = Some((cx, cy));
        if event.button() == 1 || (event.button() == 0 && scene.space_held) || !self.editable {
            scene.pan = Some((cx, cy));
            return;
        }
        if event.button() != 0 {
            return;
        }
        let (x, y) = scene.view.from_canvas(cx, cy);
        let slop = scene.view.css_to_image(2.0);
        let outcome = match scene.drawing.tool() {
            Tool::Select => {
                let handle = self.selected_slot().and_then(|slot| {
                    let shape = scene.shapes.get(slot as usize).cloned().flatten()?;
                    let handle = shape.handle_at(&scene.view, cx, cy)?;
                    Some(Grab { slot, shape, handle: Some(handle) })
                });
                let grab = handle.or_else(|| {
                    let slot = scene.hit(cx, cy)?;
                    let shape = scene.shapes.get(slot as usize).cloned().flatten()?;
                    Some(Grab { slot, shape, handle: None })
                });
                if grab.is_none() {
                    // Empty space: clear the selection and pan.
                    scene.pan = Some((cx, cy));
                }
                scene.drawing.press(x, y, grab, slop)
            }
            Tool::Rectangle => scene.drawing.press(x, y, None, slop),
            Tool::Polygon | Tool::Keypoint => Outcome::Nothing,
        };
        drop(scene);
        self.commit(outcome);
        self.painter.schedule(false);
    }

    pub(super) fn pointer_move(&self, event: &MouseEvent) {
        let (cx, cy) = canvas_point(&self.painter, event);
        let mut scene = self.painter.scene.borrow_mut();
        scene.cursor = Some((cx, cy));
        let mut base = false;
        if let Some((px, py)) = scene.pan {
            scene.view.pan_by(cx - px, cy - py);
            scene.pan = Some((cx, cy));
            base = true;
        } else if event.buttons() & 1 == 1 {
            let (x, y) = scene.view.from_canvas(cx, cy);
            scene.drawing.drag(x, y, event.shift_key());
        }
        drop(scene);
        self.painter.schedule(base);
    }

    pub(super) fn pointer_up(&self, event: &MouseEvent) {
        let (cx, cy) = canvas_point(&self.painter, event);
        let mut scene = self.painter.scene.borrow_mut();
        if scene.pan.take().is_some() {
            return;
        }
        if event.button() != 0 || !self.editable {
            return;
        }
        let (x, y) = scene.view.from_canvas(cx, cy);
        let tolerance = scene.view.css_to_image(8.0);
        let outcome = match scene.drawing.tool() {
            Tool::Rectangle => match scene.drawing.release(x, y, event.shift_key()) {
                // A click without a drag: the first click places a corner, the second the
                // opposite one (drawing a box without dragging, WCAG 2.5.7).
                Outcome::Nothing => match scene.corner.take() {
                    Some((ax, ay)) => rectangle(ax, ay, x, y),
                    None => {
                        scene.corner = Some((x, y));
                        Outcome::Nothing
                    }
                },
                other => {
                    scene.corner = None;
                    other
                }
            },
            Tool::Polygon | Tool::Keypoint => scene.drawing.click(x, y, tolerance),
            Tool::Select => scene.drawing.release(x, y, event.shift_key()),
        };
        drop(scene);
        self.commit(outcome);
        self.painter.schedule(false);
    }

    pub(super) fn double_click(&self) {
        let outcome = self.painter.scene.borrow_mut().drawing.close();
        self.commit(outcome);
        self.painter.schedule(false);
    }

    pub(super) fn wheel(&self, event: &WheelEvent) {
        event.prevent_default();
        let (cx, cy) = canvas_point(&self.painter, event);
        // One notch (100 px in pixel mode, 3 lines in line mode) zooms by 1.25.
        let delta = match event.delta_mode() {
            1 => event.delta_y() * 33.0,
            2 => event.delta_y() * 400.0,
            _ => event.delta_y(),
        };
        let factor = 1.25f64.powf(-delta / 100.0);
        self.painter.scene.borrow_mut().view.zoom_at(factor, cx, cy);
        self.painter.schedule(true);
    }

    pub(super) fn set_tool(&self, tool: Tool) {
        let mut scene = self.painter.scene.borrow_mut();
        scene.drawing.set_tool(tool);
        scene.corner = None;
        drop(scene);
        self.painter.schedule(false);
    }
}

fn rectangle(ax: f64, ay: f64, bx: f64, by: f64) -> Outcome {
    if (ax - bx).abs() > 0.0 && (ay - by).abs() > 0.0 {
        Outcome::Create(Shape::Box {
            x: ax.min(bx),
            y: ay.min(by),
            width: (ax - bx).abs(),
            height: (ay - by).abs(),
            rotation: 0.0,
        })
    } else {
        Outcome::Nothing
    }
}

/// The editor's keys (see the `?` help). Returns whether the key was the editor's.
pub(super) fn key_down(cx: &Ctx, event: &KeyboardEvent) -> bool {
    let key = event.key();
    if key == " " {
        cx.painter.scene.borrow_mut().space_held = true;
        return true;
    }
    if let Some(handled) = drawing_key(cx, &key) {
        return handled;
    }
    if let Some(handled) = view_key(cx, &key) {
        return handled;
    }
    let step = if event.shift_key() { 10.0 } else { 1.0 };
    let arrow = match key.as_str() {
        "ArrowLeft" => Some((-step, 0.0)),
        "ArrowRight" => Some((step, 0.0)),
        "ArrowUp" => Some((0.0, -step)),
        "ArrowDown" => Some((0.0, step)),
        _ => None,
    };
    let selected = cx.selected_slot().and_then(|slot| {
        let shape = cx.painter.scene.borrow().shapes.get(slot as usize).cloned().flatten()?;
        Some((slot, shape))
    });
    match (arrow, selected) {
        (Some((dx, dy)), Some((slot, shape))) if cx.editable => {
            let moved = if event.alt_key() { shape.resized_by(dx, dy) } else { shape.translated(dx, dy) };
            cx.edit(slot, &moved);
            true
        }
        (Some((dx, dy)), None) => {
            // Nothing selected: arrows pan, 40 CSS px a press (Shift 400).
            cx.painter.scene.borrow_mut().view.pan_by(-dx * 40.0, -dy * 40.0);
            cx.painter.schedule(true);
            true
        }
        (None, Some((slot, shape))) if cx.editable && (key == "[" || key == "]" || key == "{" || key == "}") => {
            let sign = if key == "[" || key == "{" { -1.0 } else { 1.0 };
            cx.edit(slot, &shape.rotated_by(sign * if event.shift_key() { 15.0 } else { 1.0 }));
            true
        }
        _ => false,
    }
}

/// Tools and the polygon being drawn. `None` when the key is not one of these.
fn drawing_key(cx: &Ctx, key: &str) -> Option<bool> {
    let mut chars = key.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if let Some(tool) = Tool::from_key(c) {
            cx.set_tool(tool);
            return Some(true);
        }
    }
    let mut scene = cx.painter.scene.borrow_mut();
    let outcome = match key {
        // Without a pointer: a shape of the active tool in the middle of the view, to move with
        // the arrows and size with Alt+arrows.
        "Insert" if cx.editable => match centre_shape(&scene) {
            Some(shape) => Outcome::Create(shape),
            None => return Some(false),
        },
        "Enter" if scene.drawing.is_busy() => scene.drawing.close(),
        "Backspace" if scene.drawing.is_busy() => {
            scene.drawing.backspace();
            Outcome::Nothing
        }
        "Escape" if scene.drawing.is_busy() || scene.corner.is_some() => {
            scene.drawing.cancel();
            scene.corner = None;
            Outcome::Nothing
        }
        _ => return None,
    };
    drop(scene);
    cx.commit(outcome);
    cx.painter.schedule(false);
    Some(true)
}

/// A new shape of the active tool centred in the view: a box or triangle a quarter of the view
/// across, or a point.
fn centre_shape(scene: &super::scene::Scene) -> Option<Shape> {
    let view = scene.view.visible_image_rect();
    let [x, y] = view.center();
    let (w, h) = (view.width() / 4.0, view.height() / 4.0);
    match scene.drawing.tool() {
        Tool::Rectangle => Some(Shape::Box { x: x - w / 2.0, y: y - h / 2.0, width: w, height: h, rotation: 0.0 }),
        Tool::Polygon => Some(Shape::Polygon {
            points: vec![[x, y - h / 2.0], [x + w / 2.0, y + h / 2.0], [x - w / 2.0, y + h / 2.0]],
        }),
        Tool::Keypoint => Some(Shape::Point { x, y }),
        Tool::Select => None,
    }
}

/// Zoom keys: `+`/`-` about the pointer (or the centre), Home fits, End shows 100 %.
fn view_key(cx: &Ctx, key: &str) -> Option<bool> {
    let mut scene = cx.painter.scene.borrow_mut();
    let (cx_, cy_) = scene.cursor.unwrap_or((scene.view.canvas_w / 2.0, scene.view.canvas_h / 2.0));
    match key {
        "+" | "=" => scene.view.zoom_at(1.25, cx_, cy_),
        "-" | "_" => scene.view.zoom_at(0.8, cx_, cy_),
        "Home" => scene.view.refit(),
        "End" => scene.view.actual_size(cx_, cy_),
        _ => return None,
    }
    drop(scene);
    cx.painter.schedule(true);
    Some(true)
}
