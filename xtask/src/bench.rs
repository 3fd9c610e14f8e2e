//! `cargo xtask bench`: criterion natively, then the same work timed in headless Chromium.
//! The numbers go to BENCHMARKS.md by hand, with this command and the machine.

use std::path::Path;

use anyhow::Result;

use crate::ci::webdriver_json;
use crate::install::{self, Purpose, CHROMEDRIVER};
use crate::shell::{step, Cmd};

pub(crate) fn bench(root: &Path) -> Result<()> {
    let path = step("install", || install::install(root, Purpose::Test))?;
    step("criterion (native)", || Cmd::cargo().args(["bench", "-p", "annoqa-bench"]).run())?;
    step("wasm32 in headless chromium", || {
        let mut cmd = Cmd::cargo()
            .args(["test", "--release", "-p", "annoqa-bench", "--target", "wasm32-unknown-unknown", "--test", "wasm"])
            .args(["--", "--nocapture"])
            .env("PATH", &path)
            .env("CHROMEDRIVER", CHROMEDRIVER);
        if let Some(file) = webdriver_json(root) {
            cmd = cmd.env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", file);
        }
        cmd.run()
    })
}
