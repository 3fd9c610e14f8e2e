//! The login form: focus, validation before any request, no password left behind.

use std::time::Duration;

use annoqa_app::components::{Controls, LoginPage};
use annoqa_core::TaskSpec;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Element, HtmlElement, HtmlInputElement};
use yew::{html, Callback};

use crate::support::{document, mount};

fn find<T: JsCast>(root: &Element, css: &str) -> T {
    root.query_selector(css).unwrap().unwrap_or_else(|| panic!("no {css}")).dyn_into::<T>().unwrap()
}

fn has_focus(element: &Element) -> bool {
    document().active_element().as_ref() == Some(element)
}

async fn tick() {
    yew::platform::time::sleep(Duration::from_millis(10)).await;
}

#[wasm_bindgen_test]
async fn the_form_opens_with_the_cursor_in_the_username() {
    let root = mount(html! { <LoginPage on_login={Callback::noop()} /> }).await;
    tick().await;
    let username: HtmlInputElement = find(&root, "#login-username");
    assert!(has_focus(&username), "the username field has focus");
    assert_eq!(find::<Element>(&root, "#login-password").get_attribute("type").as_deref(), Some("password"));
    assert_eq!(find::<Element>(&root, "h1").text_content().as_deref(), Some("Log in to annoqa"));
}

#[wasm_bindgen_test]
async fn an_expired_session_keeps_the_username_and_asks_for_the_password() {
    let root = mount(html! { <LoginPage expired_user={"ana".to_string()} on_login={Callback::noop()} /> }).await;
    tick().await;
    assert_eq!(find::<HtmlInputElement>(&root, "#login-username").value(), "ana");
    assert!(has_focus(&find::<Element>(&root, "#login-password")), "the password field has focus");
    assert_eq!(find::<Element>(&root, "h1").text_content().as_deref(), Some("Your session ended"));
}

#[wasm_bindgen_test]
async fn empty_fields_are_refused_before_anything_is_sent() {
    let logged_in = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = logged_in.clone();
    let root = mount(html! { <LoginPage on_login={Callback::from(move |_| flag.set(true))} /> }).await;
    tick().await;
    let username: HtmlInputElement = find(&root, "#login-username");
    username.set_value("ana");
    find::<HtmlElement>(&root, "#login-submit").click();
    tick().await;
    let error = find::<Element>(&root, "#login-error").text_content().unwrap_or_default();
    assert_eq!(error, "Enter your username and password.");
    // The first empty field gets the cursor, and the button did not go busy (no request).
    assert!(has_focus(&find::<Element>(&root, "#login-password")));
    assert_eq!(find::<Element>(&root, "#login-submit").get_attribute("aria-busy").as_deref(), Some("false"));
    assert!(!logged_in.get());
}

#[wasm_bindgen_test]
async fn label_colours_are_style_properties_that_a_csp_allows() {
    let spec: TaskSpec = serde_json::from_str(
        r##"{ "media": "text", "controls": [ { "name": "entities", "type": "text_spans", "labels": [
            { "value": "PERSON", "hotkey": "1", "color": "#f6bd60" } ] } ] }"##,
    )
    .unwrap();
    let root = mount(html! {
        <Controls spec={std::rc::Rc::new(spec)} active_label={None} chosen={Vec::new()} disabled={false}
            on_label={Callback::noop()} on_choice={Callback::noop()} on_guideline={Callback::noop()} />
    })
    .await;
    let button: HtmlElement = find(&root, ".label-btn[data-label=PERSON]");
    assert_eq!(button.style().get_property_value("--label-color").unwrap().trim(), "#f6bd60");
}
