use std::rc::Rc;

use annoqa_api::UserView;
use wasm_bindgen_futures::spawn_local;
use yew::{
    component, html, use_effect_with, use_reducer, use_state, Callback, Html, MouseEvent, Properties, Reducible,
};

use super::{AnnotatorPage, InboxPage, LoginPage, ProjectList};
use crate::api_client;
use crate::hooks::use_hash_route;
use crate::route::Route;

/// Who is using the app.
#[derive(Clone, Debug, PartialEq)]
pub enum Auth {
    /// Asking the server whether the browser has a session.
    Checking,
    /// The server could not say (down, unreachable).
    CheckFailed(String),
    LoggedOut,
    LoggedIn(UserView),
    /// A request answered 401 while the user worked: the page stays, a login covers it.
    Expired(UserView),
}

#[derive(Clone, Debug, PartialEq)]
pub enum AuthAction {
    Check,
    Checked(Result<Option<UserView>, String>),
    LoggedIn(UserView),
    /// A request answered 401.
    SessionEnded,
    LoggedOut,
}

impl Auth {
    pub fn apply(&self, action: AuthAction) -> Auth {
        match action {
            AuthAction::Check => Auth::Checking,
            AuthAction::Checked(Ok(Some(user))) | AuthAction::LoggedIn(user) => Auth::LoggedIn(user),
            AuthAction::Checked(Ok(None)) | AuthAction::LoggedOut => Auth::LoggedOut,
            AuthAction::Checked(Err(message)) => Auth::CheckFailed(message),
            AuthAction::SessionEnded => match self {
                Auth::LoggedIn(user) => Auth::Expired(user.clone()),
                // A late 401 from before the login, or while logged out: nothing changes.
                other => other.clone(),
            },
        }
    }
}

impl Reducible for Auth {
    type Action = AuthAction;

    fn reduce(self: Rc<Self>, action: AuthAction) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

/// The pages only the review bundle has (`src/bin/review.rs`): a function, so the annotator's
/// bundle, which passes none, links none of their code.
#[derive(Clone, Copy)]
pub struct ReviewScreens {
    pub page: fn(&Route, &UserView) -> Html,
}

impl PartialEq for ReviewScreens {
    /// A bundle's screens never change while it runs.
    fn eq(&self, _: &ReviewScreens) -> bool {
        true
    }
}

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// The review bundle's pages; `None` in the annotator's bundle, which sends those routes to
    /// `/review/`.
    #[prop_or_default]
    pub screens: Option<ReviewScreens>,
}

/// The root: checks the session, shows the login page or the page the URL hash names (which
/// the login keeps, so the user lands where they meant to go), with the user and a logout
/// button in the header.
#[component]
pub fn App(props: &AppProps) -> Html {
    let route = use_hash_route();
    // A review page asked of the annotator's bundle: the review bundle has it.
    {
        let has_screens = props.screens.is_some();
        use_effect_with(route.clone(), move |route| {
            if route.in_review_bundle() && !has_screens {
                let _ = gloo::utils::window().location().replace(&route.href());
            }
        });
    }
    let auth = use_reducer(|| Auth::Checking);
    let logout_error = use_state(|| None::<String>);
    let unread = use_state(|| 0u32);
    // The badge is asked again on every page change, so feedback sent meanwhile shows up.
    {
        let unread = unread.clone();
        let user = match &*auth {
            Auth::LoggedIn(user) => Some(user.id),
            _ => None,
        };
        use_effect_with((route.clone(), user), move |(_, user)| {
            if user.is_some() {
                spawn_local(async move {
                    if let Ok(count) = api_client::unread_feedback().await {
                        unread.set(count);
                    }
                });
            }
        });
    }

    let check = {
        let dispatcher = auth.dispatcher();
        Callback::from(move |()| {
            dispatcher.dispatch(AuthAction::Check);
            let dispatcher = dispatcher.clone();
            spawn_local(async move {
                let result = api_client::current_session().await.map_err(|e| e.message);
                dispatcher.dispatch(AuthAction::Checked(result));
            });
        })
    };
    {
        let (check, dispatcher) = (check.clone(), auth.dispatcher());
        use_effect_with((), move |_| {
            api_client::set_session_ended_handler(Some(Callback::from(move |()| {
                dispatcher.dispatch(AuthAction::SessionEnded);
            })));
            check.emit(());
            || api_client::set_session_ended_handler(None)
        });
    }

    let on_login = {
        let dispatcher = auth.dispatcher();
        Callback::from(move |user: UserView| dispatcher.dispatch(AuthAction::LoggedIn(user)))
    };
    let logout = {
        let (dispatcher, logout_error) = (auth.dispatcher(), logout_error.clone());
        Callback::from(move |_: MouseEvent| {
            let (dispatcher, logout_error) = (dispatcher.clone(), logout_error.clone());
            spawn_local(async move {
                match api_client::logout().await {
                    Ok(()) => {
                        logout_error.set(None);
                        dispatcher.dispatch(AuthAction::LoggedOut);
                    }
                    Err(error) => logout_error.set(Some(format!("Could not log out: {}", error.message))),
                }
            });
        })
    };

    let on_unread = {
        let unread = unread.clone();
        Callback::from(move |count: u32| unread.set(count))
    };
    let page = |user: &UserView| match &route {
        Route::Projects => html! { <ProjectList key={user.id.to_string()} role={user.role} /> },
        Route::Inbox => html! { <InboxPage key={user.id.to_string()} on_unread={on_unread.clone()} /> },
        Route::Review(_) | Route::Quality(_) | Route::Note(..) => match props.screens {
            Some(screens) => (screens.page)(&route, user),
            None => html! { <p class="loading">{ "Opening the review screens…" }</p> },
        },
        Route::Project(id) => html! {
            // Keyed by user too: someone else logging in gets a fresh page, not the last one's work.
            <AnnotatorPage key={format!("{}/{id}", user.id)} project_id={id.clone()} username={user.username.clone()} />
        },
    };
    let (user, body) = match &*auth {
        Auth::Checking => (None, html! { <p class="loading">{ "Checking your session…" }</p> }),
        Auth::CheckFailed(message) => (
            None,
            html! {
                <div class="banner banner-error" role="alert">
                    <p>{ format!("Could not reach the server: {message}") }</p>
                    <button type="button" onclick={check.reform(|_: MouseEvent| ())}>{ "Try again" }</button>
                </div>
            },
        ),
        Auth::LoggedOut => (None, html! { <LoginPage on_login={on_login.clone()} /> }),
        // The same structure whether or not the session ended, so the page under the login
        // keeps its state (the annotation in progress).
        Auth::LoggedIn(user) | Auth::Expired(user) => {
            let expired = matches!(&*auth, Auth::Expired(_));
            (
                Some(user),
                html! {
                    <>
                        { page(user) }
                        if expired {
                            <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="login-title">
                                <LoginPage expired_user={user.username.clone()} on_login={on_login.clone()} />
                            </div>
                        }
                    </>
                },
            )
        }
    };

    html! {
        <>
            <header class="topbar">
                <a class="brand" href={Route::Projects.hash()}>{ "annoqa" }</a>
                <nav class="breadcrumbs" aria-label="breadcrumbs">
                    if user.is_some() && route != Route::Projects {
                        <a href={Route::Projects.hash()}>{ "All projects" }</a>
                    }
                </nav>
                if let Some(user) = user {
                    <div class="user-box">
                        if let Some(message) = &*logout_error {
                            <span class="form-error" role="alert">{ message.clone() }</span>
                        }
                        <a id="inbox-link" class="inbox-link" href={Route::Inbox.hash()}
                            aria-label={format!("feedback, {} unread", *unread)}>
                            { "Feedback" }
                            if *unread > 0 {
                                <span class="badge" aria-hidden="true">{ *unread }</span>
                            }
                        </a>
                        <span id="current-user" class="user-name">{ user.username.clone() }</span>
                        <span id="current-role" class="user-role">{ user.role.as_str() }</span>
                        <button id="logout" type="button" onclick={logout}>{ "Log out" }</button>
                    </div>
                }
            </header>
            <main id="page">{ body }</main>
        </>
    }
}
