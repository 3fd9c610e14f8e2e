//! The annotator's inbox (`#/inbox`): feedback reviewers sent, newest first, each with what it
//! is about (item, region, time or frames, guideline section, error codes) and a button to
//! acknowledge it, and a link to the note shown on its item (`#/note/…`, in the review bundle).
//! Keys: `J`/`K` move between entries, `A` acknowledges the focused one, `S` opens it on the item,
//! `?` lists them.

use annoqa_api::{FeedbackAnchor, FeedbackView};
use wasm_bindgen_futures::spawn_local;
use web_sys::KeyboardEvent;
use yew::{component, html, use_effect_with, use_state, Callback, Html, MouseEvent, Properties, UseStateHandle};

use super::use_page_keys;
use crate::api_client;
use crate::dom;
use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct InboxPageProps {
    /// Told the number of unread entries whenever it changes (the header's badge).
    pub on_unread: Callback<u32>,
}

#[derive(Clone, PartialEq)]
enum Load {
    Loading,
    Ready(Vec<FeedbackView>),
    Failed(String),
}

fn unread(entries: &[FeedbackView]) -> u32 {
    entries.iter().filter(|f| f.acknowledged_at_ms.is_none()).count() as u32
}

/// `YYYY-MM-DD HH:MM` in the browser's time zone.
fn when(ms: i64) -> String {
    let date = js_sys::Date::new(&(ms as f64).into());
    let two = |n: u32| format!("{n:02}");
    format!(
        "{}-{}-{} {}:{}",
        date.get_full_year(),
        two(date.get_month() + 1),
        two(date.get_date()),
        two(date.get_hours()),
        two(date.get_minutes())
    )
}

fn anchor_words(anchor: &FeedbackAnchor) -> String {
    match anchor {
        FeedbackAnchor::Region { region } => format!("region {region}"),
        FeedbackAnchor::Time { start_s, end_s } => format!("{start_s:.2}–{end_s:.2} s"),
        FeedbackAnchor::Frames { first, last } => format!("frames {first}–{last}"),
    }
}

fn entry_id(id: i64) -> String {
    format!("feedback-{id}")
}

/// Acknowledges entry `id` and puts the stored entry in place of the shown one.
fn acknowledge(id: i64, load: UseStateHandle<Load>, error: UseStateHandle<Option<String>>) {
    spawn_local(async move {
        match api_client::acknowledge_feedback(id).await {
            Ok(stored) => {
                if let Load::Ready(entries) = &*load {
                    let entries = entries.iter().map(|f| if f.id == id { stored.clone() } else { f.clone() }).collect();
                    load.set(Load::Ready(entries));
                }
                error.set(None);
            }
            Err(e) => error.set(Some(format!("Could not acknowledge: {}", e.message))),
        }
    });
}

/// The entry whose element (or a descendant) has focus, and the list of entry ids.
fn focused_entry(entries: &[FeedbackView]) -> Option<usize> {
    let active = web_sys::window()?.document()?.active_element()?;
    let entry = active.closest(".feedback-entry").ok()??;
    entries.iter().position(|f| entry_id(f.id) == entry.id())
}

/// The page showing what note `f` is about on its item (in the review bundle, so the
/// annotator's download does not carry a second workspace).
fn note_page(f: &FeedbackView) -> Option<Route> {
    f.submission_id.map(|_| Route::Note(f.project_id.clone(), f.id))
}

fn entry_view(f: &FeedbackView, on_ack: Callback<i64>) -> Html {
    let id = f.id;
    let show = note_page(f).map(|page| {
        html! { <a id={format!("show-{id}")} href={page.href()}>{ "Show on the item " }<kbd>{ "S" }</kbd></a> }
    });
    let about = [
        Some(format!("project {}", f.project_id)),
        f.item_id.as_ref().map(|i| format!("item {i}")),
        f.anchor.as_ref().map(anchor_words),
        f.guideline.as_ref().map(|g| format!("guideline section {g}")),
    ];
    let about = about.into_iter().flatten().collect::<Vec<_>>().join(" · ");
    let state = match f.acknowledged_at_ms {
        Some(ms) => html! { <span class="feedback-read">{ format!("Acknowledged {}", when(ms)) }</span> },
        None => html! {
            <button type="button" class="primary" id={format!("ack-{id}")}
                onclick={Callback::from(move |_: MouseEvent| on_ack.emit(id))}>
                { "Acknowledge " }<kbd>{ "A" }</kbd>
            </button>
        },
    };
    html! {
        <li id={entry_id(id)} class={if f.acknowledged_at_ms.is_none() { "feedback-entry unread" } else { "feedback-entry" }}
            tabindex="0" aria-label={format!("feedback from {}", f.author.username)}>
            <p class="feedback-meta">
                <strong>{ f.author.username.clone() }</strong>{ format!(" · {} · ", when(f.created_at_ms)) }{ about }
            </p>
            if !f.error_codes.is_empty() {
                <p class="feedback-codes">
                    { for f.error_codes.iter().map(|c| html! { <span class="chip">{ c.clone() }</span> }) }
                </p>
            }
            <p class="feedback-text">{ f.text.clone() }</p>
            <p class="feedback-actions">
                { state }
                { for show }
                <a href={Route::Project(f.project_id.clone()).hash()}>{ "Open the project" }</a>
            </p>
        </li>
    }
}

/// The inbox's keys, for the `?` help.
const INBOX_KEYS: [(&str, &str); 6] = [
    ("J / K", "Focus the next / previous entry"),
    ("A", "Acknowledge the focused entry"),
    ("S", "Show the focused entry on its item"),
    ("Tab", "Move focus"),
    ("?", "Show or hide this help"),
    ("Escape", "Close this help"),
];

/// The inbox page.
#[component]
pub fn InboxPage(props: &InboxPageProps) -> Html {
    let load = use_state(|| Load::Loading);
    let error = use_state(|| None::<String>);
    {
        let load = load.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                load.set(match api_client::my_feedback().await {
                    Ok(entries) => Load::Ready(entries),
                    Err(e) => Load::Failed(e.message),
                });
            });
        });
    }
    {
        let on_unread = props.on_unread.clone();
        use_effect_with((*load).clone(), move |load| {
            if let Load::Ready(entries) = load {
                on_unread.emit(unread(entries));
            }
        });
    }
    let on_ack = {
        let (load, error) = (load.clone(), error.clone());
        Callback::from(move |id: i64| acknowledge(id, load.clone(), error.clone()))
    };
    let on_key = {
        let (load, on_ack) = (load.clone(), on_ack.clone());
        Callback::from(move |key: KeyboardEvent| {
            let Load::Ready(entries) = &*load else { return };
            let at = focused_entry(entries);
            let target = match key.key().as_str() {
                "j" | "J" => Some(at.map_or(0, |i| (i + 1).min(entries.len().saturating_sub(1)))),
                "k" | "K" => Some(at.map_or(0, |i| i.saturating_sub(1))),
                "s" | "S" => {
                    if let Some(page) = at.and_then(|i| entries.get(i)).and_then(note_page) {
                        key.prevent_default();
                        let _ = gloo::utils::window().location().assign(&page.href());
                    }
                    None
                }
                "a" | "A" => {
                    if let Some(f) = at.and_then(|i| entries.get(i)).filter(|f| f.acknowledged_at_ms.is_none()) {
                        key.prevent_default();
                        on_ack.emit(f.id);
                    }
                    None
                }
                _ => None,
            };
            if let Some(element) = target.and_then(|i| entries.get(i)).and_then(|f| dom::element_by_id(&entry_id(f.id)))
            {
                key.prevent_default();
                dom::focus(&element);
                element.scroll_into_view();
            }
        })
    };
    let help = use_page_keys("Inbox keys", &INBOX_KEYS, on_key);

    let body = match &*load {
        Load::Loading => html! { <p class="loading">{ "Loading your feedback…" }</p> },
        Load::Failed(message) => html! {
            <div class="banner banner-error" role="alert"><p>{ format!("Could not load your feedback: {message}") }</p></div>
        },
        Load::Ready(entries) if entries.is_empty() => {
            html! { <p class="empty">{ "No feedback yet. When a reviewer writes to you, it shows here." }</p> }
        }
        Load::Ready(entries) => html! {
            <ul class="feedback-list" aria-label="feedback">
                { for entries.iter().map(|f| entry_view(f, on_ack.clone())) }
            </ul>
        },
    };
    let count = match &*load {
        Load::Ready(entries) => format!("{} unread", unread(entries)),
        _ => String::new(),
    };
    html! {
        <section class="inbox">
            <header class="inbox-header">
                <h1>{ "Feedback" }</h1>
                <span id="inbox-unread" class="inbox-count">{ count }</span>
                <p class="inbox-keys"><kbd>{ "?" }</kbd>{ " keys: J / K next / previous, A acknowledge, S show on the item" }</p>
            </header>
            { help }
            if let Some(message) = &*error {
                <p class="form-error" role="alert">{ message.clone() }</p>
            }
            { body }
        </section>
    }
}
