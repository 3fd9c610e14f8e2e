//! The review bundle's entry point, built by Trunk (`www/review/index.html`): the app with the
//! reviewer's and coordinator's screens.

#![warn(unreachable_pub)]

fn main() {
    let screens = annoqa_app::components::ReviewScreens { page: annoqa_app::review::page };
    yew::Renderer::<annoqa_app::App>::with_props(annoqa_app::components::AppProps { screens: Some(screens) }).render();
}
