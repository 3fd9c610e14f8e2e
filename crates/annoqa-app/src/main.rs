//! The app's entry point, built by Trunk (`www/index.html`).

fn main() {
    yew::Renderer::<annoqa_app::App>::new().render();
}
