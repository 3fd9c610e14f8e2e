//! Browser tests: run in headless Chromium with
//! `cargo test -p annoqa-app --target wasm32-unknown-unknown` (see `webdriver.json` beside the
//! crate's `Cargo.toml` for the browser flags).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

mod client;
mod core_in_wasm;
mod image_view;
mod login;
mod markdown;
mod selection;
mod support;
