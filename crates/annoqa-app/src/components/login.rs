use annoqa_api::{ApiErrorCode, LoginRequest, UserView};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::{
    component, html, use_effect_with, use_node_ref, use_state, Callback, Html, NodeRef, Properties, SubmitEvent,
};

use crate::api_client::{self, ClientError};
use crate::dom;

#[derive(Properties, PartialEq)]
pub struct LoginPageProps {
    /// The session ended while the page was open: say so, and fill in the previous username.
    #[prop_or_default]
    pub expired_user: Option<String>,
    pub on_login: Callback<UserView>,
}

/// What a failed login tells the user. The server's 401 does not say whether the username
/// exists, and neither does this.
pub fn login_error_message(error: &ClientError) -> String {
    match error.code {
        Some(ApiErrorCode::InvalidCredentials) => "Wrong username or password.".to_string(),
        Some(ApiErrorCode::RateLimited) => match error.retry_after_ms {
            Some(ms) if ms >= 1000 => format!(
                "Too many failed attempts. Wait {} second{}, then try again.",
                ms / 1000,
                if ms / 1000 == 1 { "" } else { "s" }
            ),
            _ => "Too many failed attempts. Wait a minute, then try again.".to_string(),
        },
        _ => format!("Could not log in: {}.", error.message),
    }
}

/// Which field to put the cursor in: the first empty one, else the password.
fn focus_field(username: &NodeRef, password: &NodeRef) {
    let empty = |r: &NodeRef| r.cast::<HtmlInputElement>().is_some_and(|i| i.value().is_empty());
    let target = if empty(username) { username } else { password };
    if let Some(input) = target.cast::<web_sys::Element>() {
        dom::focus(&input);
    }
}

/// The login form. The password is read from its field at submit time and never kept in
/// component state; the field is emptied once the server has answered.
#[component]
pub fn LoginPage(props: &LoginPageProps) -> Html {
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let username_ref = use_node_ref();
    let password_ref = use_node_ref();
    {
        // The username is filled in once, not bound to a value: a bound value would be written
        // back over what the user typed on every re-render.
        let (username_ref, password_ref) = (username_ref.clone(), password_ref.clone());
        let expired_user = props.expired_user.clone();
        use_effect_with((), move |_| {
            if let (Some(name), Some(input)) = (expired_user, username_ref.cast::<HtmlInputElement>()) {
                input.set_value(&name);
            }
            focus_field(&username_ref, &password_ref);
        });
    }

    let onsubmit = {
        let (error, busy) = (error.clone(), busy.clone());
        let (username_ref, password_ref) = (username_ref.clone(), password_ref.clone());
        let on_login = props.on_login.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *busy {
                return;
            }
            let (Some(username_input), Some(password_input)) =
                (username_ref.cast::<HtmlInputElement>(), password_ref.cast::<HtmlInputElement>())
            else {
                return;
            };
            let username = username_input.value().trim().to_string();
            let password = password_input.value();
            if username.is_empty() || password.is_empty() {
                error.set(Some("Enter your username and password.".into()));
                focus_field(&username_ref, &password_ref);
                return;
            }
            busy.set(true);
            let (error, busy, on_login) = (error.clone(), busy.clone(), on_login.clone());
            let (username_ref, password_ref) = (username_ref.clone(), password_ref.clone());
            spawn_local(async move {
                let result = api_client::login(LoginRequest { username, password }).await;
                password_input.set_value("");
                busy.set(false);
                match result {
                    Ok(user) => on_login.emit(user),
                    Err(failure) => {
                        error.set(Some(login_error_message(&failure)));
                        focus_field(&username_ref, &password_ref);
                    }
                }
            });
        })
    };

    let invalid = error.is_some().to_string();
    let title = if props.expired_user.is_some() { "Your session ended" } else { "Log in to annoqa" };
    html! {
        <section class="login" aria-labelledby="login-title">
            <form id="login-form" class="login-card" {onsubmit} novalidate=true>
                <h1 id="login-title">{ title }</h1>
                if props.expired_user.is_some() {
                    <p class="login-note">{ "Log in again to go on; your work on this page is kept." }</p>
                }
                <label for="login-username">{ "Username" }</label>
                <input id="login-username" name="username" type="text" ref={username_ref}
                    autocomplete="username" autocapitalize="none" spellcheck="false" required=true
                    aria-invalid={invalid.clone()} aria-describedby="login-error" />
                <label for="login-password">{ "Password" }</label>
                <input id="login-password" name="password" type="password" ref={password_ref}
                    autocomplete="current-password" required=true
                    aria-invalid={invalid} aria-describedby="login-error" />
                <p id="login-error" class="form-error" role="alert">{ (*error).clone().unwrap_or_default() }</p>
                <button id="login-submit" type="submit" class="primary" disabled={*busy} aria-busy={busy.to_string()}>
                    { if *busy { "Logging in…" } else { "Log in" } }
                </button>
            </form>
        </section>
    }
}
