use annoqa_api::{ProjectSummary, Role};
use annoqa_core::MediaKind;
use wasm_bindgen_futures::spawn_local;
use yew::{component, html, use_effect_with, use_state, Html, Properties};

use crate::api_client;
use crate::route::Route;

#[derive(Clone, PartialEq)]
enum Projects {
    Loading,
    Ready(Vec<ProjectSummary>),
    Failed(String),
}

fn media_name(media: MediaKind) -> &'static str {
    match media {
        MediaKind::Text => "text",
        MediaKind::Image => "image",
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    }
}

#[derive(Properties, PartialEq)]
pub struct ProjectListProps {
    pub role: Role,
}

/// Every project on the server; each opens its annotator page, and for reviewers and
/// coordinators also its review queue, for coordinators its quality page.
#[component]
pub fn ProjectList(props: &ProjectListProps) -> Html {
    let reviews = props.role != Role::Annotator;
    let coordinates = matches!(props.role, Role::Coordinator | Role::Admin);
    let projects = use_state(|| Projects::Loading);
    {
        let projects = projects.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                projects.set(match api_client::projects().await {
                    Ok(list) => Projects::Ready(list),
                    Err(error) => Projects::Failed(error.message),
                });
            });
        });
    }

    let body = match &*projects {
        Projects::Loading => html! { <p class="loading">{ "Loading projects…" }</p> },
        Projects::Failed(message) => html! {
            <div class="banner banner-error" role="alert">
                <p>{ format!("Could not load the projects: {message}") }</p>
            </div>
        },
        Projects::Ready(list) if list.is_empty() => html! {
            <p class="empty">{ "There are no projects yet. Import one with the annoqa command-line tool." }</p>
        },
        Projects::Ready(list) => html! {
            <ul class="project-list">
                { for list.iter().map(|project| html! {
                    <li key={project.id.clone()}>
                        <a class="project-link" data-project={project.id.clone()}
                            href={Route::Project(project.id.clone()).hash()}>
                            <span class="project-title">{ project.title.clone() }</span>
                            <span class="project-meta">
                                { format!("{} · {} item{}", media_name(project.media), project.items,
                                    if project.items == 1 { "" } else { "s" }) }
                            </span>
                        </a>
                        if reviews {
                            <a class="project-action" data-review={project.id.clone()}
                                href={Route::Review(project.id.clone()).href()}>{ "Review" }</a>
                        }
                        if coordinates {
                            <a class="project-action" data-quality={project.id.clone()}
                                href={Route::Quality(project.id.clone()).href()}>{ "Quality" }</a>
                        }
                    </li>
                }) }
            </ul>
        },
    };

    html! {
        <section class="projects">
            <h1>{ "Projects" }</h1>
            { body }
        </section>
    }
}
