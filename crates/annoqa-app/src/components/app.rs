use web_sys::{Event, HtmlInputElement};
use yew::{component, html, Callback, Html, TargetCast};

use super::{AnnotatorPage, ProjectList};
use crate::hooks::{use_hash_route, use_local_storage};
use crate::route::Route;

/// `localStorage` key of the annotator's name.
const ANNOTATOR_KEY: &str = "annoqa.annotator";
const DEFAULT_ANNOTATOR: &str = "demo";

/// The root: a header with the annotator's name, then the page the URL hash names.
#[component]
pub fn App() -> Html {
    let route = use_hash_route();
    let (annotator, set_annotator) = use_local_storage(ANNOTATOR_KEY, DEFAULT_ANNOTATOR);

    let onchange = Callback::from(move |event: Event| {
        let input: HtmlInputElement = event.target_unchecked_into();
        set_annotator.emit(input.value().trim().to_string());
    });

    let page = match &route {
        Route::Projects => html! { <ProjectList /> },
        Route::Project(id) => html! {
            <AnnotatorPage key={id.clone()} project_id={id.clone()} annotator={annotator.clone()} />
        },
    };

    html! {
        <>
            <header class="topbar">
                <a class="brand" href={Route::Projects.hash()}>{ "annoqa" }</a>
                <nav class="breadcrumbs" aria-label="breadcrumbs">
                    if matches!(route, Route::Project(_)) {
                        <a href={Route::Projects.hash()}>{ "All projects" }</a>
                    }
                </nav>
                <label class="annotator-field">
                    <span>{ "Annotator" }</span>
                    <input id="annotator" type="text" value={annotator} {onchange}
                        autocomplete="username" spellcheck="false" placeholder="your name" />
                </label>
            </header>
            <main id="page">{ page }</main>
        </>
    }
}
