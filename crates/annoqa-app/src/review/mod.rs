//! The review bundle's screens (`src/bin/review.rs` links them; the annotator's bundle does
//! not): the reviewer's queue and overlay (`#/review/PROJECT`, [`page::ReviewPage`]) and the
//! coordinator's quality page (`#/quality/PROJECT`: scorecards, bad gold, error taxonomy), and a
//! reviewer's note shown on its item for the annotator (`#/note/PROJECT/FEEDBACK`).
//!
//! DOM-free parts, tested natively: [`overlay`] (what the overlay shows, the test API's JSON),
//! [`keys`] (key → command), [`queue`] (filters → query), [`state`] (the reviewer's state).

mod actions;
pub mod keys;
mod note;
mod note_context;
pub mod overlay;
mod page;
pub mod quality;
pub mod queue;
pub mod scorecards;
pub mod state;
mod view;

use annoqa_api::UserView;
use yew::{html, Html};

use crate::route::Route;

/// The page of a review-bundle route (`ReviewScreens::page`).
pub fn page(route: &Route, user: &UserView) -> Html {
    match route {
        Route::Review(id) => html! { <page::ReviewPage key={format!("{}/{id}", user.id)} project_id={id.clone()} /> },
        Route::Quality(id) => {
            html! { <quality::QualityPage key={format!("{}/{id}", user.id)} project_id={id.clone()} /> }
        }
        Route::Note(project, id) => html! {
            <note_context::NotePage key={format!("{}/{project}/{id}", user.id)} project_id={project.clone()} feedback_id={*id} />
        },
        _ => html! {},
    }
}

// Native only, as the crate's other unit tests.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
