//! The app's entry point, built by Trunk (`www/index.html`).

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
// (A crate attribute rather than a workspace lint until annoqa-core takes it too.)
#![warn(unreachable_pub)]

fn main() {
    yew::Renderer::<annoqa_app::App>::new().render();
}
