//! The text editor: labels and choices, the item text with its spans, and the span list.
//! Spans are made from the document's selection, by mouse or by Shift+arrows.

use std::rc::Rc;

use annoqa_core::rule::Check;
use annoqa_core::{ControlKind, Severity, TaskSpec};
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, KeyboardEvent, Node};
use yew::{component, html, use_node_ref, AttrValue, Callback, Html, MouseEvent, NodeRef, Properties};

use crate::components::controls::ChoiceClick;
use crate::components::{Controls, ItemText, SpanList};
use crate::hooks::use_document_listener;
use crate::selection::{clear_dom_selection, current_selection, TextSelection};
use crate::spans::SpanMark;
use crate::state::{Action, Checked, LabelRef, Session};

#[derive(Properties, PartialEq)]
pub(super) struct TextEditorProps {
    pub spec: Rc<TaskSpec>,
    pub session: Session,
    pub text: AttrValue,
    /// Bumped with the draft, so an edit re-renders although the session's draft is shared.
    pub revision: u64,
    pub findings: Rc<Checked>,
    pub active_label: Option<LabelRef>,
    pub dispatch: Callback<Action>,
    pub on_guideline: Callback<String>,
}

/// The editor of a text item.
#[component]
pub(super) fn TextEditor(props: &TextEditorProps) -> Html {
    let text_ref = use_node_ref();
    let spec = &props.spec;
    // With a `token_boundaries` rule, a selection snaps to whole words before it becomes a span.
    let snap = {
        let snapping = props.spec.rules.iter().any(|r| matches!(r.check, Check::TokenBoundaries { .. }));
        let text = props.text.clone();
        move |selection: TextSelection| match snapping {
            true => {
                let (start, end) = annoqa_core::text::snap_to_tokens(&text, selection.start, selection.end);
                TextSelection { start, end }
            }
            false => selection,
        }
    };

    let take_selection = {
        let dispatcher = props.dispatch.clone();
        let editable = props.session.editable();
        let snap = snap.clone();
        Callback::from(move |container: Node| {
            if !editable {
                return;
            }
            if let Some(selection) = current_selection(&container) {
                dispatcher.emit(Action::Selected(snap(selection)));
                clear_dom_selection();
            }
        })
    };

    // A selection made with Shift+arrows is taken when Shift is released, not on every arrow,
    // so an active label does not create a span for each step.
    use_document_listener("keyup", {
        let (text_ref, take_selection) = (text_ref.clone(), take_selection.clone());
        Callback::from(move |event: Event| {
            let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            if event.key() == "Shift" && selection_starts_in(&text_ref) {
                if let Some(container) = text_ref.get() {
                    take_selection.emit(container);
                }
            }
        })
    });

    // A drag that starts in the text but ends outside it still selects text.
    use_document_listener("mouseup", {
        let (text_ref, take_selection) = (text_ref.clone(), take_selection.clone());
        Callback::from(move |event: Event| {
            let Some(container) = text_ref.get() else {
                return;
            };
            let target = event.target().and_then(|t| t.dyn_into::<Node>().ok());
            if !container.contains(target.as_ref()) && selection_starts_in(&text_ref) {
                take_selection.emit(container);
            }
        })
    });

    let on_text_mouseup = {
        let snap = snap.clone();
        let dispatcher = props.dispatch.clone();
        let text_ref = text_ref.clone();
        let editable = props.session.editable();
        Callback::from(move |event: MouseEvent| {
            let Some(container) = text_ref.get() else {
                return;
            };
            if let Some(selection) = current_selection(&container) {
                if editable {
                    dispatcher.emit(Action::Selected(snap(selection)));
                    clear_dom_selection();
                }
                return;
            }
            // A plain click: select the clicked span, or clear the span selection.
            let region = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|e| e.closest("mark.span").ok().flatten())
                .and_then(|mark| mark.get_attribute("data-region"));
            dispatcher.emit(Action::SelectRegion(region));
        })
    };

    let text = props.text.clone();
    let session = &props.session;

    let mut marks = SpanMark::from_regions(spec, session.draft.borrow().regions());
    for mark in &mut marks {
        let id = mark.region.as_deref().unwrap_or_default();
        if session.selected_region.as_deref() == Some(id) {
            mark.classes.push("selected");
        }
        match props.findings.severity(id) {
            Some(Severity::Error) => mark.classes.push("flagged-error"),
            Some(Severity::Warning) => mark.classes.push("flagged-warning"),
            None => {}
        }
    }
    let mut shown = marks.clone();
    if let Some(TextSelection { start, end }) = session.pending {
        shown.push(SpanMark {
            region: None,
            start,
            end,
            label: String::new(),
            color: None,
            classes: Default::default(),
        });
    }

    let chosen: Vec<(String, Vec<String>)> =
        spec.controls.iter().map(|c| (c.name.clone(), session.chosen(&c.name))).collect();
    let on_label = props.dispatch.reform(Action::ActivateLabel);
    let on_choice = props.dispatch.reform(|c: ChoiceClick| Action::ToggleChoice {
        control: c.control,
        label: c.label,
        multiple: c.multiple,
    });
    let hint = session.pending.map(|_| {
        let keys: Vec<String> = spec
            .controls
            .iter()
            .filter(|c| matches!(c.kind, ControlKind::TextSpans { .. }))
            .flat_map(|c| c.labels.iter().filter_map(|l| l.hotkey.clone()))
            .collect();
        let keys = match (keys.first(), keys.last()) {
            (Some(first), Some(last)) if keys.len() > 1 => format!("{first}–{last}"),
            (Some(only), _) => only.clone(),
            _ => "a label".to_string(),
        };
        html! {
            <p id="selection-hint" class="hint" role="status">
                { format!("press {keys} to label the selection") }
            </p>
        }
    });

    html! {
        <>
            <Controls spec={spec.clone()} active_label={props.active_label.clone()} chosen={chosen}
                disabled={!session.editable()} on_label={on_label} on_choice={on_choice}
                on_guideline={props.on_guideline.clone()} />
            { for hint }
            <div class="text-row">
                <ItemText text={text.clone()} marks={shown} node_ref={text_ref.clone()}
                    onmouseup={on_text_mouseup} />
                <SpanList text={text} marks={marks} selected={session.selected_region.clone()}
                    editable={session.editable()}
                    on_select={props.dispatch.reform(|id| Action::SelectRegion(Some(id)))}
                    on_remove={props.dispatch.reform(Action::RemoveRegion)} />
            </div>
        </>
    }
}

/// Whether the document's selection starts inside the item text.
fn selection_starts_in(text_ref: &NodeRef) -> bool {
    let Some(container) = text_ref.get() else {
        return false;
    };
    let anchor = web_sys::window().and_then(|w| w.get_selection().ok().flatten()).and_then(|s| s.anchor_node());
    anchor.is_some_and(|node| container.contains(Some(&node)))
}

#[derive(Properties, PartialEq)]
pub struct TextFixProps {
    pub spec: Rc<TaskSpec>,
    pub item: annoqa_core::Item,
    pub regions: Vec<annoqa_core::Region>,
    /// Given the draft once, to read when the fix is stored.
    pub on_draft: Callback<crate::draft::SharedDraft>,
}

/// The text workspace over `regions` for a reviewer's fix: the same editor the annotator
/// uses (labels, spans by selection, the span list, the live checks), with its own state.
/// Give it a `key` that changes with the item.
#[component]
pub fn TextFix(props: &TextFixProps) -> Html {
    let state = {
        let (item, regions) = (props.item.clone(), props.regions.clone());
        yew::use_reducer(move || {
            let mut session = Session::read_only(item, regions);
            session.read_only = false;
            crate::state::AnnotatorState::showing(session)
        })
    };
    let revision = state.session().map_or(0, |s| s.draft.revision());
    let findings = {
        let (spec, session) = (props.spec.clone(), state.session().cloned());
        yew::use_memo(revision, move |_| {
            let checked = session.as_ref().map(|s| annoqa_core::validate(&spec, s.item(), s.draft.borrow().regions()));
            Checked::new(checked.unwrap_or_default())
        })
    };
    {
        let (on_draft, draft) = (props.on_draft.clone(), state.session().map(|s| s.draft.clone()));
        yew::use_effect_with((), move |()| {
            if let Some(draft) = draft {
                on_draft.emit(draft);
            }
        });
    }
    let (Some(session), annoqa_core::Media::Text { text }) = (state.session(), &props.item.media) else {
        return html! {};
    };
    let dispatcher = state.dispatcher();
    html! {
        <TextEditor spec={props.spec.clone()} session={session.clone()} text={AttrValue::from(text.clone())}
            revision={revision} findings={findings} active_label={state.active_label.clone()}
            dispatch={Callback::from(move |action| dispatcher.dispatch(action))} on_guideline={Callback::noop()} />
    }
}
