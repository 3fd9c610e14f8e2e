//! The image editor: a canvas for the image and every region (batched by style, culled by the
//! spatial index), an overlay canvas for the edited region and the shape being drawn, a tool
//! bar and the region list. Large images are drawn from the server's tile pyramid.

#[cfg(feature = "bench")]
pub mod bench;
mod input;
mod layer;
mod paint;
mod painter;
mod region_list;
mod scene;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use annoqa_core::{Media, TaskSpec};
use gloo::events::{EventListener, EventListenerOptions, EventListenerPhase};
use wasm_bindgen::JsCast;
use web_sys::{HtmlImageElement, KeyboardEvent, MouseEvent, PointerEvent, WheelEvent};
use yew::{
    classes, component, hook, html, use_effect, use_effect_with, use_mut_ref, use_node_ref, Callback, Html, Properties,
};

use self::input::{key_down, label_for, tool_for, Ctx};
use self::painter::Painter;
use self::region_list::RegionList;
use self::scene::{finding_mark, Mark, Marks, Picture, Scene, Tiles};
use crate::api_client;
use crate::dom;
use crate::draft::SharedDraft;
use crate::image::tool::Tool;
use crate::state::{Action, AnnotatorState, Checked, LabelRef, Session};
use crate::test_api::TestApi;

/// Images with more pixels than this are drawn from tiles, never decoded whole.
const WHOLE_IMAGE_PIXELS: u64 = 16_000_000;

#[derive(Properties, PartialEq)]
pub(crate) struct ImageEditorProps {
    pub project_id: String,
    pub spec: Rc<TaskSpec>,
    pub session: Session,
    /// The draft's revision: the draft is shared, so this is what changes on an edit.
    pub revision: u64,
    pub findings: Rc<Checked>,
    pub active_label: Option<LabelRef>,
    pub dispatch: Callback<Action>,
    pub api: TestApi,
    /// No dialog or help is open, so keys are the editor's.
    pub keys: bool,
    /// A reviewer's overlay: how far the annotators agree on each region, by id; drawn in
    /// place of the findings.
    #[prop_or_default]
    pub agreement: Option<Rc<HashMap<String, Agreement>>>,
}

/// How far the annotators of a reviewer's overlay agree on a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agreement {
    AllAgree,
    Majority,
    Disagree,
}

impl Agreement {
    fn mark(self) -> Mark {
        match self {
            Agreement::AllAgree => Mark::AllAgree,
            Agreement::Majority => Mark::Majority,
            Agreement::Disagree => Mark::Disagree,
        }
    }
}

/// Where a media `src` is fetched from: a relative path names a file in the project's media.
fn media_url(project: &str, src: &str) -> String {
    if src.starts_with('/') || src.starts_with("http://") || src.starts_with("https://") {
        src.to_string()
    } else {
        annoqa_api::media_path(project, src)
    }
}

#[component]
pub(crate) fn ImageEditor(props: &ImageEditorProps) -> Html {
    let (src, width, height) = match &props.session.item().media {
        Media::Image { src, width, height } => (src.clone(), *width, *height),
        _ => (String::new(), 0, 0),
    };
    let picture_error = yew::use_state(|| None::<String>);
    let painter = {
        let (project, src, api) = (props.project_id.clone(), src.clone(), props.api.clone());
        let setter = picture_error.setter();
        let report = Callback::from(move |message: String| setter.set(Some(message)));
        let painter = use_mut_ref(move || {
            let scene = Rc::new(RefCell::new(Scene::new(f64::from(width), f64::from(height))));
            Painter::new(scene, &project, &src, api, report)
        });
        let painter = painter.borrow().clone();
        painter
    };
    let frame_ref = use_node_ref();
    let tool_state = yew::use_state(|| Tool::Select);

    let selected_slot =
        props.session.selected_region.as_deref().and_then(|id| props.session.draft.borrow().slot_of(id));
    painter.selected.set(selected_slot);
    sync_scene(props, &painter);

    let ctx = Ctx {
        painter: painter.clone(),
        dispatch: props.dispatch.clone(),
        spec: props.spec.clone(),
        active_label: props.active_label.clone(),
        draft: props.session.draft.clone(),
        selected: props.session.selected_region.clone(),
        editable: props.session.editable(),
        keys: props.keys,
        notice: props.dispatch.reform(Action::ShowNotice),
    };
    let latest = use_mut_ref(|| ctx.clone());
    *latest.borrow_mut() = ctx.clone();

    use_picture(&painter, &props.project_id, &src, u64::from(width) * u64::from(height), &picture_error);
    use_editor_listeners(&painter, &frame_ref, &latest, &tool_state);

    // A newly active label picks the tool that draws its control's shapes.
    {
        let (spec, latest, tool_state) = (props.spec.clone(), latest.clone(), tool_state.clone());
        use_effect_with(props.active_label.clone(), move |label| {
            let kind = label.as_ref().and_then(|l| spec.control(&l.control)).map(|c| c.kind.clone());
            let current = latest.borrow().painter.scene.borrow().drawing.tool();
            if let Some(tool) = kind.as_ref().and_then(tool_for) {
                if current != Tool::Select && current != tool {
                    latest.borrow().set_tool(tool);
                    tool_state.set(tool);
                }
            }
        });
    }
    {
        let painter = painter.clone();
        use_effect(move || painter.schedule(true));
    }
    // A finding's "show": zoom to its region.
    {
        let focus = focus_region(&painter, &props.session.draft);
        use_effect_with(props.session.focus.clone(), move |request| {
            if let Some((id, _)) = request {
                focus.emit(id.clone());
            }
        });
    }

    let pointer = PointerCallbacks::new(&latest);
    let pick_tool = {
        let (latest, tool_state) = (latest.clone(), tool_state.clone());
        Callback::from(move |tool: Tool| {
            latest.borrow().set_tool(tool);
            tool_state.set(tool);
        })
    };

    // The frame takes the image's proportions (within the CSS limits), so a wide image leaves
    // no band of empty canvas above and below it.
    let frame_style = format!("--image-ratio: {} / {}", width.max(1), height.max(1));
    html! {
        <div class="image-editor">
            { toolbar(props, *tool_state, &pick_tool) }
            if let Some(message) = (*picture_error).clone() {
                <p id="media-error" class="banner banner-error" role="alert">{ message }</p>
            }
            <div class="image-row">
                <div class="canvas-frame" ref={frame_ref.clone()} ~style={frame_style}>
                    <canvas class="layer-base" ref={painter.base.clone()} aria-hidden="true" />
                    <canvas class="layer-edit" ref={painter.overlay.clone()} tabindex="-1"
                        role="img" aria-label={format!("image {} by {} pixels with {} regions", width, height,
                            props.session.draft.borrow().len())}
                        onpointerdown={pointer.down} onpointermove={pointer.moved} onpointerup={pointer.up}
                        ondblclick={pointer.double_click} />
                </div>
                <RegionList spec={props.spec.clone()} session={props.session.clone()} revision={props.revision}
                    findings={props.findings.clone()} dispatch={props.dispatch.clone()}
                    on_focus_region={focus_region(&painter, &props.session.draft)} agreement={props.agreement.clone()} />
            </div>
        </div>
    }
}

/// The tools this task can use (a tool needs a control that draws its shapes), the active
/// label and the label buttons; for a read-only view, only that it is one.
fn toolbar(props: &ImageEditorProps, current: Tool, pick_tool: &Callback<Tool>) -> Html {
    if props.session.read_only {
        return html! {
            <div class="toolbar" role="toolbar" aria-label="tools">
                <span class="read-only-note">{ "Read only: select regions here or in the list; zoom and pan as usual." }</span>
            </div>
        };
    }
    let tools = Tool::ALL.iter().copied().filter(|&t| t == Tool::Select || label_for(&props.spec, None, t).is_some());
    let current_label = props.active_label.as_ref().map(|l| l.label.clone());
    html! {
        <div class="toolbar" role="toolbar" aria-label="tools">
            { for tools.map(|tool| {
                let pick = pick_tool.clone();
                let pressed = current == tool;
                html! {
                    <button type="button" class={classes!("tool", pressed.then_some("active"))}
                        aria-pressed={pressed.to_string()} data-tool={tool.name().to_lowercase()}
                        onmousedown={crate::components::keep_focus()}
                        onclick={Callback::from(move |_: MouseEvent| pick.emit(tool))}>
                        { tool.name() }<kbd>{ tool.key().to_ascii_uppercase().to_string() }</kbd>
                    </button>
                }
            }) }
            <span class="active-label" aria-live="polite">
                { "label: " }<strong>{ current_label.unwrap_or_else(|| "—".into()) }</strong>
            </span>
            { label_buttons(&props.spec, props.active_label.as_ref(), &props.dispatch) }
        </div>
    }
}

/// The edit canvas' pointer handlers, each reading the latest render's input context.
struct PointerCallbacks {
    down: Callback<PointerEvent>,
    moved: Callback<PointerEvent>,
    up: Callback<PointerEvent>,
    double_click: Callback<MouseEvent>,
}

impl PointerCallbacks {
    fn new(latest: &Rc<RefCell<Ctx>>) -> PointerCallbacks {
        let down = {
            let latest = latest.clone();
            Callback::from(move |e: PointerEvent| {
                // Keep receiving the drag's events when the pointer leaves the canvas.
                if let Some(target) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                    let _ = target.set_pointer_capture(e.pointer_id());
                }
                e.prevent_default();
                latest.borrow().pointer_down(&e)
            })
        };
        let moved = {
            let latest = latest.clone();
            Callback::from(move |e: PointerEvent| latest.borrow().pointer_move(&e))
        };
        let up = {
            let latest = latest.clone();
            Callback::from(move |e: PointerEvent| latest.borrow().pointer_up(&e))
        };
        let double_click = {
            let latest = latest.clone();
            Callback::from(move |_: MouseEvent| latest.borrow().double_click())
        };
        PointerCallbacks { down, moved, up, double_click }
    }
}

/// The label buttons of the image controls: a click makes the label active (and relabels the
/// selected region, as its hotkey does).
fn label_buttons(spec: &TaskSpec, active: Option<&LabelRef>, dispatch: &Callback<Action>) -> Html {
    let controls = spec.controls.iter().filter(|c| tool_for(&c.kind).is_some());
    html! {
        <span class="label-buttons">
            { for controls.flat_map(|control| control.labels.iter().map(move |label| (control, label))).map(|(control, label)| {
                let target = LabelRef { control: control.name.clone(), label: label.value.clone() };
                let pressed = active == Some(&target);
                let style = crate::labels::color_style(crate::labels::label_color(spec, &control.name, &label.value).as_deref());
                let dispatch = dispatch.clone();
                html! {
                    <button type="button" class={classes!("label-button", pressed.then_some("active"))}
                        aria-pressed={pressed.to_string()} ~style={style}
                        onmousedown={crate::components::keep_focus()}
                        onclick={Callback::from(move |_: MouseEvent| dispatch.emit(Action::ActivateLabel(target.clone())))}>
                        { label.value.clone() }
                        if let Some(key) = &label.hotkey { <kbd>{ key.clone() }</kbd> }
                    </button>
                }
            }) }
        </span>
    }
}

/// Selecting a region in the list (or a finding) brings it into view.
fn focus_region(painter: &Painter, draft: &SharedDraft) -> Callback<String> {
    let (painter, draft) = (painter.clone(), draft.clone());
    Callback::from(move |id: String| {
        // By id: the selection may not have been rendered yet.
        let slot = draft.borrow().slot_of(&id);
        let mut scene = painter.scene.borrow_mut();
        if let Some(bounds) = slot.and_then(|s| scene.shapes.get(s as usize).cloned().flatten()).map(|s| s.bounds()) {
            scene.view.focus_on(bounds);
        }
        drop(scene);
        painter.schedule(true);
    })
}

/// Shapes, index and styles follow the draft; after a gold submission, the verdicts.
fn sync_scene(props: &ImageEditorProps, painter: &Painter) {
    let mut scene = painter.scene.borrow_mut();
    match &props.session.gold {
        Some(gold) => {
            let mut yours: HashMap<&str, Mark> = HashMap::new();
            let mut theirs: HashMap<&str, Mark> = HashMap::new();
            for verdict in &gold.report.verdicts {
                let mark = Mark::from_verdict(&verdict.verdict);
                if let Some(id) = &verdict.region {
                    yours.insert(id, mark);
                }
                if let Some(id) = &verdict.gold_region {
                    theirs.entry(id).or_insert(mark);
                }
            }
            let mark = |id: &str| yours.get(id).copied().unwrap_or(Mark::Plain);
            let marked = yours.keys().copied().collect();
            let version = std::ptr::from_ref(&gold.report) as usize;
            scene.sync(&props.spec, &props.session.draft, &Marks { mark: &mark, marked, version });
            scene.set_gold(&props.spec, &gold.answer, &|id| theirs.get(id).copied().unwrap_or(Mark::Missed));
        }
        None if props.agreement.is_some() => {
            let agreement = props.agreement.as_ref().map_or_else(Default::default, Rc::clone);
            let mark = |id: &str| agreement.get(id).map_or(Mark::Plain, |a| a.mark());
            let marked = agreement.keys().map(String::as_str).collect();
            let version = Rc::as_ptr(&agreement) as usize;
            scene.sync(&props.spec, &props.session.draft, &Marks { mark: &mark, marked, version });
            scene.gold.clear();
        }
        None => {
            let findings = &props.findings;
            let mark = |id: &str| finding_mark(findings, id);
            let marked = findings.findings.iter().flat_map(|f| f.regions.iter().map(String::as_str)).collect();
            let version = Rc::as_ptr(findings) as usize;
            scene.sync(&props.spec, &props.session.draft, &Marks { mark: &mark, marked, version });
            scene.gold.clear();
        }
    }
}

/// Shows that the image cannot be drawn: the canvas keeps an empty image area (regions can
/// still be seen, and the item skipped or flagged) and the message goes above it.
fn fail(painter: &Painter, error: &yew::UseStateHandle<Option<String>>, message: String) {
    painter.scene.borrow_mut().picture = Picture::Failed;
    error.set(Some(message));
    painter.schedule(true);
}

/// Loads the image once per source: whole when small, else its tile pyramid.
#[hook]
fn use_picture(painter: &Painter, project: &str, src: &str, pixels: u64, error: &yew::UseStateHandle<Option<String>>) {
    let (painter, error) = (painter.clone(), error.clone());
    let (project, src) = (project.to_string(), src.to_string());
    use_effect_with((project, src), move |(project, src)| {
        let relative = media_url(project, src) != *src;
        if pixels > WHOLE_IMAGE_PIXELS && relative {
            let (project, src) = (project.clone(), src.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api_client::pyramid(&project, &src).await {
                    Ok(pyramid) => {
                        painter.scene.borrow_mut().picture =
                            Picture::Tiles(Tiles { pyramid, cache: HashMap::new(), frame: 0 });
                        painter.schedule(true);
                    }
                    Err(e) => fail(&painter, &error, format!("The image `{src}` cannot be shown: {}.", e.message)),
                }
            });
        } else if pixels > WHOLE_IMAGE_PIXELS {
            let message = format!("The image `{src}` is too large to show whole and this server has no tiles for it.");
            fail(&painter, &error, message);
        } else if let Ok(image) = HtmlImageElement::new() {
            let (painter, loaded, shown) = (painter.clone(), image.clone(), src.clone());
            dom::on_image_settled(&image, move |ok| {
                if ok {
                    painter.scene.borrow_mut().picture = Picture::Whole(loaded);
                    painter.schedule(true);
                } else {
                    let message = format!(
                        "The image `{shown}` failed to load or decode; you can still skip (Shift+S) or flag (Shift+F) \
                         the item."
                    );
                    fail(&painter, &error, message);
                }
            });
            image.set_src(&media_url(project, src));
        }
        || ()
    });
}

/// Wheel (not passive: it zooms instead of scrolling the page), keys (in the capture phase,
/// before the page's own shortcuts, so Enter closes a polygon rather than submitting), Space
/// for panning, and the frame's size.
#[hook]
fn use_editor_listeners(
    painter: &Painter,
    frame_ref: &yew::NodeRef,
    latest: &Rc<RefCell<Ctx>>,
    tool_state: &yew::UseStateHandle<Tool>,
) {
    let (painter, frame_ref, latest, tool_state) =
        (painter.clone(), frame_ref.clone(), latest.clone(), tool_state.clone());
    use_effect_with((), move |()| {
        let mut listeners = Vec::new();
        if let Some(overlay) = painter.overlay.cast::<web_sys::Element>() {
            let latest = latest.clone();
            listeners.push(EventListener::new_with_options(
                &overlay,
                "wheel",
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    if let Some(event) = event.dyn_ref::<WheelEvent>() {
                        latest.borrow().wheel(event);
                    }
                },
            ));
        }
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            let options = EventListenerOptions { phase: EventListenerPhase::Capture, passive: false };
            let (keys, tool_state) = (latest.clone(), tool_state.clone());
            listeners.push(EventListener::new_with_options(&document, "keydown", options, move |event| {
                let Some(event) = event.dyn_ref::<KeyboardEvent>() else { return };
                let cx = keys.borrow().clone();
                let in_list = event
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|e| e.closest("[role=listbox]").ok().flatten())
                    .is_some();
                if !cx.keys
                    || event.ctrl_key()
                    || event.meta_key()
                    || in_list
                    || dom::is_text_entry(event.target().as_ref())
                {
                    return;
                }
                // Enter and Space on a focused button or link are the browser's: they press it.
                let key = event.key();
                if dom::activates_on_enter(event.target().as_ref()) && (key == "Enter" || key == " ") {
                    return;
                }
                if key_down(&cx, event) {
                    event.prevent_default();
                    event.stop_propagation();
                    tool_state.set(cx.painter.scene.borrow().drawing.tool());
                }
            }));
            let space = latest.clone();
            listeners.push(EventListener::new(&document, "keyup", move |event| {
                if event.dyn_ref::<KeyboardEvent>().is_some_and(|e| e.key() == " ") {
                    space.borrow().painter.scene.borrow_mut().space_held = false;
                }
            }));
        }
        if let Some(window) = web_sys::window() {
            let (sizer, frame_ref) = (painter.clone(), frame_ref.clone());
            let measure = move |refit: bool| {
                if let Some(frame) = frame_ref.cast::<web_sys::Element>() {
                    let rect = frame.get_bounding_client_rect();
                    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
                    let mut scene = sizer.scene.borrow_mut();
                    scene.dpr = dpr.max(0.5);
                    scene.view.resize(rect.width().max(1.0), rect.height().max(1.0));
                    if refit {
                        scene.view.refit();
                    }
                    drop(scene);
                    sizer.schedule(true);
                }
            };
            measure(true);
            listeners.push(EventListener::new(&window, "resize", move |_| measure(false)));
        }
        move || drop(listeners)
    });
}

#[derive(Properties, PartialEq)]
pub struct ImageViewProps {
    pub project_id: String,
    pub spec: Rc<TaskSpec>,
    pub item: annoqa_core::Item,
    pub regions: Vec<annoqa_core::Region>,
    /// A reviewer's overlay: each region's agreement class, drawn instead of the findings.
    #[prop_or_default]
    pub agreement: Option<Rc<HashMap<String, Agreement>>>,
    /// A reviewer's fix: the regions can be edited (the tools, keys and undo of the workspace),
    /// and `on_draft` is given the draft to read when the fix is stored.
    #[prop_or_default]
    pub on_draft: Option<Callback<SharedDraft>>,
    /// Keys go to the view (no dialog over it).
    #[prop_or(true)]
    pub keys: bool,
    /// A region to select and bring into view first (the one a reviewer's note is about).
    #[prop_or_default]
    pub focus: Option<String>,
}

/// The image workspace over `regions` on `item` with the canvas, zoom, pan, the region list and
/// the live checks: read-only (a reviewer's overlay, a coordinator's preview, the annotator's
/// inbox), or editable for a reviewer's fix when `on_draft` is given. Give it a `key` that
/// changes with the item or the regions.
#[component]
pub fn ImageView(props: &ImageViewProps) -> Html {
    let state = {
        let (item, regions, editable) = (props.item.clone(), props.regions.clone(), props.on_draft.is_some());
        let focus = props.focus.clone();
        yew::use_reducer(move || {
            let mut session = Session::read_only(item, regions);
            session.read_only = !editable;
            session.focus = focus.clone().map(|id| (id, 1));
            session.selected_region = focus;
            AnnotatorState::showing(session)
        })
    };
    let api = yew::use_memo((), |()| TestApi::install());
    let revision = state.session().map_or(0, |s| s.draft.revision());
    let findings = {
        // Several annotators' regions together are not one answer: the overlay's agreement
        // classes take the place of findings there.
        let session = state.session().filter(|_| props.agreement.is_none()).cloned();
        let spec = props.spec.clone();
        yew::use_memo(revision, move |_| {
            let checked = session.as_ref().map(|s| annoqa_core::validate(&spec, s.item(), s.draft.borrow().regions()));
            Checked::new(checked.unwrap_or_default())
        })
    };
    {
        let (on_draft, draft) = (props.on_draft.clone(), state.session().map(|s| s.draft.clone()));
        use_effect_with((), move |()| {
            if let (Some(on_draft), Some(draft)) = (on_draft, draft) {
                on_draft.emit(draft);
            }
        });
    }
    api.update(state.session(), findings.clone());
    let Some(session) = state.session() else {
        return html! {};
    };
    let dispatcher = state.dispatcher();
    html! {
        <ImageEditor project_id={props.project_id.clone()} spec={props.spec.clone()} session={session.clone()}
            revision={session.draft.revision()} findings={findings} active_label={state.active_label.clone()}
            dispatch={Callback::from(move |action| dispatcher.dispatch(action))} api={(*api).clone()} keys={props.keys}
            agreement={props.agreement.clone()} />
    }
}
