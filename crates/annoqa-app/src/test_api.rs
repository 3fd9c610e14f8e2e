//! `window.annoqa`: read-only functions that tell tests and automation what the page holds —
//! the item, the draft's regions in the annotation format, the findings, the image view — and
//! convert media pixels to viewport CSS pixels and back, so a test can point at a region's
//! corner with a real pointer event and then check `regions()`. Documented in docs/api.md.
//!
//! The functions are installed once per page load and read whatever the page last published
//! here; they never change the page.

use std::cell::RefCell;
use std::rc::Rc;

use annoqa_api::AssignedItem;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::draft::SharedDraft;
use crate::image::viewport::Viewport;
use crate::state::{Checked, Session};

/// The image view as the editor last drew it.
#[derive(Clone)]
pub struct ViewSource {
    pub viewport: Viewport,
    /// The element whose top-left corner is the viewport's canvas origin.
    pub canvas: web_sys::Element,
    pub device_pixel_ratio: f64,
    pub tool: &'static str,
}

#[derive(Default)]
struct Sources {
    item: Option<Rc<AssignedItem>>,
    draft: Option<SharedDraft>,
    findings: Rc<Checked>,
    view: Option<ViewSource>,
    /// The reviewer's overlay as `overlay()` returns it, as JSON text (so the annotator's
    /// bundle, which never sets it, carries no code to serialise it).
    overlay: Option<String>,
}

thread_local! {
    static SOURCES: RefCell<Sources> = RefCell::new(Sources::default());
    static INSTALLED: RefCell<bool> = const { RefCell::new(false) };
}

/// A handle the page and the editors publish through.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TestApi;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ViewJson {
    zoom: f64,
    fit_zoom: f64,
    pan_x: f64,
    pan_y: f64,
    width: f64,
    height: f64,
    image_width: f64,
    image_height: f64,
    device_pixel_ratio: f64,
    tool: &'static str,
}

impl TestApi {
    /// Defines `window.annoqa` (once per page load) and returns the handle.
    pub fn install() -> TestApi {
        if !INSTALLED.with(|i| i.replace(true)) {
            if let Err(error) = define() {
                web_sys::console::warn_2(&"annoqa: window.annoqa could not be defined".into(), &error);
            }
        }
        TestApi
    }

    /// What the annotator page shows now.
    pub fn update(&self, session: Option<&Session>, findings: Rc<Checked>) {
        SOURCES.with(|s| {
            let mut s = s.borrow_mut();
            s.item = session.map(|s| s.assigned.clone());
            s.draft = session.map(|s| s.draft.clone());
            s.findings = findings;
            if session.is_none() {
                s.view = None;
            }
        });
    }

    /// The reviewer's overlay (`overlay()`); `None` off the reviewer screen.
    pub fn set_overlay(&self, overlay: Option<String>) {
        SOURCES.with(|s| s.borrow_mut().overlay = overlay);
    }

    /// The image view; `None` when no image editor is on screen.
    pub fn set_view(&self, view: Option<ViewSource>) {
        SOURCES.with(|s| s.borrow_mut().view = view);
    }
}

/// The size of the app's Wasm linear memory, which grows and never shrinks: its high-water mark.
fn wasm_memory_bytes() -> f64 {
    let memory = wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>();
    js_sys::Reflect::get(&memory.buffer(), &"byteLength".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0)
}

fn to_js<T: Serialize>(value: &T) -> JsValue {
    serde_json::to_string(value).ok().and_then(|text| js_sys::JSON::parse(&text).ok()).unwrap_or(JsValue::NULL)
}

fn point(x: f64, y: f64) -> JsValue {
    to_js(&serde_json::json!({ "x": x, "y": y }))
}

/// The canvas origin in client (viewport) CSS pixels.
fn origin(view: &ViewSource) -> (f64, f64) {
    let rect = view.canvas.get_bounding_client_rect();
    (rect.left(), rect.top())
}

fn define() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let api = js_sys::Object::new();
    let read = |f: fn(&Sources) -> JsValue| -> JsValue {
        Closure::<dyn Fn() -> JsValue>::new(move || SOURCES.with(|s| f(&s.borrow()))).into_js_value()
    };
    let set = |name: &str, value: JsValue| js_sys::Reflect::set(&api, &name.into(), &value).map(drop);
    set("item", read(|s| s.item.as_ref().map_or(JsValue::NULL, |a| to_js(&a.item))))?;
    set("regions", read(|s| s.draft.as_ref().map_or(JsValue::NULL, |d| to_js(&d.borrow().regions()))))?;
    set("findings", read(|s| to_js(&s.findings.findings)))?;
    set(
        "view",
        read(|s| {
            s.view.as_ref().map_or(JsValue::NULL, |v| {
                let p = &v.viewport;
                to_js(&ViewJson {
                    zoom: p.scale,
                    fit_zoom: p.fit_scale(),
                    pan_x: p.offset_x,
                    pan_y: p.offset_y,
                    width: p.canvas_w,
                    height: p.canvas_h,
                    image_width: p.image_w,
                    image_height: p.image_h,
                    device_pixel_ratio: v.device_pixel_ratio,
                    tool: v.tool,
                })
            })
        }),
    )?;
    let convert = |to_client: bool| {
        Closure::<dyn Fn(f64, f64) -> JsValue>::new(move |x: f64, y: f64| {
            SOURCES.with(|s| {
                let s = s.borrow();
                let Some(view) = &s.view else {
                    return JsValue::NULL;
                };
                let (left, top) = origin(view);
                if to_client {
                    let (cx, cy) = view.viewport.to_canvas(x, y);
                    point(cx + left, cy + top)
                } else {
                    let (ix, iy) = view.viewport.from_canvas(x - left, y - top);
                    point(ix, iy)
                }
            })
        })
        .into_js_value()
    };
    set("toClient", convert(true))?;
    set("overlay", read(|s| s.overlay.as_deref().and_then(|t| js_sys::JSON::parse(t).ok()).unwrap_or(JsValue::NULL)))?;
    set("memory", read(|_| to_js(&serde_json::json!({ "wasmBytes": wasm_memory_bytes() }))))?;
    set("fromClient", convert(false))?;
    js_sys::Object::freeze(&api);
    js_sys::Reflect::set(&window, &"annoqa".into(), &api).map(drop)
}
