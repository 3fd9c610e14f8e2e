//! A reviewer's note shown on its item (`#/note/PROJECT/FEEDBACK`, opened from the annotator's
//! inbox): the note, the item in the read-only workspace with the anchored region selected and
//! in view (an image) or marked (a text), and the guideline section the note points to. In the
//! review bundle, so the annotator's everyday download carries no second workspace.

use std::rc::Rc;

use annoqa_api::{FeedbackAnchor, FeedbackView, ProjectView};
use annoqa_core::{Item, Media, Region};
use wasm_bindgen_futures::spawn_local;
use web_sys::KeyboardEvent;
use yew::{classes, component, html, use_effect_with, use_state, Callback, Html, Properties};

use crate::api_client;
use crate::components::use_page_keys;
use crate::components::{GuidelineFocus, GuidelinesPanel, ImageView};
use crate::route::Route;
use crate::spans::{render_span_text, SpanMark};

/// The note page's keys, for the `?` help (the workspace under the note is read-only and
/// takes no keys of its own here).
const NOTE_KEYS: [(&str, &str); 5] = [
    ("A", "Acknowledge the note"),
    ("B", "Back to your feedback"),
    ("Tab", "Move focus"),
    ("?", "Show or hide this help"),
    ("Escape", "Close this help"),
];

#[derive(Properties, PartialEq)]
pub(super) struct NotePageProps {
    pub project_id: String,
    pub feedback_id: i64,
}

/// The note, then what it is about.
#[component]
pub(super) fn NotePage(props: &NotePageProps) -> Html {
    let note = use_state(|| None::<Result<FeedbackView, String>>);
    {
        let (note, project, id) = (note.clone(), props.project_id.clone(), props.feedback_id);
        use_effect_with((), move |()| {
            spawn_local(async move {
                note.set(Some(api_client::feedback_entry(&project, id).await.map_err(|e| e.message)));
            });
        });
    }
    let acknowledge = {
        let note = note.clone();
        Callback::from(move |id: i64| {
            let note = note.clone();
            spawn_local(async move {
                match api_client::acknowledge_feedback(id).await {
                    Ok(stored) => note.set(Some(Ok(stored))),
                    Err(e) => note.set(Some(Err(format!("could not acknowledge: {}", e.message)))),
                }
            });
        })
    };
    let on_key = {
        let (note, acknowledge) = (note.clone(), acknowledge.clone());
        Callback::from(move |key: KeyboardEvent| match key.key().as_str() {
            "a" | "A" => {
                if let Some(Ok(f)) = &*note {
                    if f.acknowledged_at_ms.is_none() {
                        key.prevent_default();
                        acknowledge.emit(f.id);
                    }
                }
            }
            "b" | "B" => {
                key.prevent_default();
                let _ = gloo::utils::window().location().assign(&Route::Inbox.href());
            }
            _ => {}
        })
    };
    let help = use_page_keys("Note keys", &NOTE_KEYS, on_key);
    let body = match &*note {
        None => html! { <p class="loading">{ "Loading the note…" }</p> },
        Some(Err(message)) => {
            html! { <p class="form-error" role="alert">{ format!("Could not load the note: {message}") }</p> }
        }
        Some(Ok(f)) => html! {
            <>
                <p class="feedback-meta"><strong>{ f.author.username.clone() }</strong>
                    { f.item_id.as_ref().map(|i| format!(" · item {i}")).unwrap_or_default() }
                    { anchored_region(f).map(|r| format!(" · region {r}")).unwrap_or_default() }
                </p>
                if !f.error_codes.is_empty() {
                    <p class="feedback-codes">{ for f.error_codes.iter().map(|c| html! { <span class="chip">{ c.clone() }</span> }) }</p>
                }
                <p class="feedback-text">{ f.text.clone() }</p>
                if f.acknowledged_at_ms.is_none() {
                    <p><button type="button" class="primary" id="note-ack"
                        onclick={acknowledge.reform({ let id = f.id; move |_: yew::MouseEvent| id })}>{ "Acknowledge " }<kbd>{ "A" }</kbd></button></p>
                } else {
                    <p class="feedback-read">{ "Acknowledged" }</p>
                }
                <FeedbackContext feedback={f.clone()} />
            </>
        },
    };
    html! {
        <section class="inbox note-page" aria-label="note">
            { help }
            <header class="inbox-header">
                <h1>{ "Note on your submission" }</h1>
                <a id="back-to-inbox" href={Route::Inbox.href()}>{ "Back to your feedback " }<kbd>{ "B" }</kbd></a>
                <p class="inbox-keys"><kbd>{ "?" }</kbd>{ " keys" }</p>
            </header>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct FeedbackContextProps {
    feedback: FeedbackView,
}

#[derive(Clone, PartialEq)]
enum Load {
    Loading,
    Ready { project: Rc<ProjectView>, item: Item, regions: Vec<Region> },
    Failed(String),
}

fn anchored_region(feedback: &FeedbackView) -> Option<String> {
    match &feedback.anchor {
        Some(FeedbackAnchor::Region { region }) => Some(region.clone()),
        _ => None,
    }
}

/// The project, the item and the regions the note is about: the latest revision that has the
/// anchored region (a fix may have added it), else the annotator's own.
async fn load(feedback: &FeedbackView, submission: i64) -> Result<Load, api_client::ClientError> {
    let project = api_client::project(&feedback.project_id).await?;
    let item = api_client::submission_item(&feedback.project_id, submission).await?;
    let revisions = api_client::revisions(&feedback.project_id, submission).await?;
    let region = anchored_region(feedback);
    let chosen = revisions
        .iter()
        .rev()
        .find(|r| region.as_ref().is_some_and(|id| r.regions.iter().any(|g| &g.id == id)))
        .or(revisions.first());
    let regions = chosen.map(|r| r.regions.clone()).unwrap_or_default();
    Ok(Load::Ready { project: Rc::new(project), item, regions })
}

#[component]
fn FeedbackContext(props: &FeedbackContextProps) -> Html {
    let state = use_state(|| Load::Loading);
    {
        let (state, feedback) = (state.clone(), props.feedback.clone());
        use_effect_with(feedback.id, move |_| {
            let Some(submission) = feedback.submission_id else {
                state.set(Load::Failed("the note names no submission".into()));
                return;
            };
            spawn_local(async move {
                state.set(load(&feedback, submission).await.unwrap_or_else(|e| Load::Failed(e.message)));
            });
        });
    }
    let (project, item, regions) = match &*state {
        Load::Loading => return html! { <p class="loading">{ "Loading the item…" }</p> },
        Load::Failed(message) => {
            return html! { <p class="form-error" role="alert">{ format!("Could not show the item: {message}") }</p> }
        }
        Load::Ready { project, item, regions } => (project, item, regions),
    };
    let region = anchored_region(&props.feedback);
    let spec = Rc::new(project.spec.clone());
    let workspace = match &item.media {
        Media::Text { text } => {
            let marks: Vec<SpanMark> = SpanMark::from_regions(&spec, regions)
                .into_iter()
                .map(|mut m| {
                    if m.region.is_some() && m.region == region {
                        m.classes = classes!("selected");
                    }
                    m
                })
                .collect();
            html! { <div class="feedback-text-item" dir="auto">{ render_span_text(text, &marks) }</div> }
        }
        _ => html! {
            <ImageView key={props.feedback.id.to_string()} project_id={project.id.clone()} spec={spec.clone()}
                item={item.clone()} regions={regions.clone()} focus={region.clone()} keys={false} />
        },
    };
    let guideline = props.feedback.guideline.clone().map(|anchor| {
        let focus = Some(GuidelineFocus { anchor, nonce: 1 });
        html! {
            <GuidelinesPanel document={Rc::new(project.guideline_document.clone())} open={true} focus={focus}
                on_toggle={Callback::noop()} on_anchor={Callback::noop()} />
        }
    });
    html! {
        <div class="feedback-context">
            { workspace }
            { for guideline }
        </div>
    }
}
