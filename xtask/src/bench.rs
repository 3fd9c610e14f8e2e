//! `cargo xtask bench`: criterion natively, the same work timed in headless Chromium, the
//! statistics side by side with the Python packages QA teams use today, on the same data in one
//! run, and a load run against the release server on SQLite and on PostgreSQL. The numbers go to BENCHMARKS.md by hand, with this command and the machine.

use std::path::Path;

use anyhow::Result;

use crate::ci::webdriver_json;
use crate::crosscheck::{python_env, write_file, STATS_REQUIREMENTS};
use crate::install::{self, Purpose, CHROMEDRIVER};
use crate::postgres::{self, Postgres};
use crate::shell::{step, Cmd};

/// Lines of the Chromium run that carry a measurement for the side-by-side table.
const BENCH_JSON: &str = "BENCH-JSON ";

pub(crate) fn bench(root: &Path) -> Result<()> {
    let path = step("install", || install::install(root, Purpose::Test))?;
    let stats_dir = crate::target_dir(root).join("bench/stats");
    step("criterion (native)", || Cmd::cargo().args(["bench", "-p", "annoqa-bench"]).run())?;
    // Before Chromium, whose processes can linger for a while after its step and take a core
    // from the multi-threaded Dawid–Skene; built first so the timing runs on an idle machine.
    step("statistics (native)", || {
        Cmd::cargo().args(["build", "--release", "-p", "annoqa-bench", "--example", "stats_vs_python"]).run()?;
        Cmd::new(crate::target_dir(root).join("release/examples/stats_vs_python")).arg(&stats_dir).run()
    })?;
    step("wasm32 in headless chromium", || {
        let mut cmd = Cmd::cargo()
            .args(["test", "--release", "-p", "annoqa-bench", "--target", "wasm32-unknown-unknown"])
            .args(["--test", "wasm", "--test", "wasm_media", "--test", "wasm_canvas", "--test", "wasm_overlay"])
            .args(["--", "--nocapture"])
            .env("PATH", &path)
            .env("CHROMEDRIVER", CHROMEDRIVER)
            // The media bench holds the page for several seconds per measurement.
            .env("WASM_BINDGEN_TEST_TIMEOUT", "300");
        if let Some(file) = webdriver_json(root) {
            cmd = cmd.env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", file);
        }
        println!("$ {cmd}");
        let output = String::from_utf8_lossy(&cmd.read_bytes()?).into_owned();
        print!("{output}");
        let measurements: String = output
            .lines()
            .filter_map(|line| line.trim().strip_prefix(BENCH_JSON))
            .map(|json| format!("{json}\n"))
            .collect();
        write_file(&stats_dir.join("wasm.jsonl"), measurements.as_bytes())
    })?;
    // Native again, appended: the table keeps each work's fastest sitting, so native and Wasm
    // are both timed close to each other at least once on this shared machine.
    step("statistics (native, second sitting)", || {
        Cmd::new(crate::target_dir(root).join("release/examples/stats_vs_python")).arg(&stats_dir).arg("--append").run()
    })?;
    let python = python_env(root, STATS_REQUIREMENTS, "stats-venv")?;
    step("statistics side by side with krippendorff, statsmodels, crowd-kit", || {
        Cmd::new(&python).arg(root.join("xtask/bench/stats_bench.py")).arg(&stats_dir).run()
    })?;
    crate::bench_cli::whole_process(root, &python, &stats_dir)?;
    crate::bench_convert::bench_convert(root)?;
    let postgres = step("postgres", Postgres::provide)?;
    step("server load (release build, SQLite then PostgreSQL)", || {
        // Two builds: `--example` would limit the first to the example, without the binary.
        Cmd::cargo().args(["build", "--release", "-p", "annoqa-cli"]).run()?;
        Cmd::cargo().args(["build", "--release", "-p", "annoqa-bench", "--example", "load"]).run()?;
        let release = crate::target_dir(root).join("release");
        let load = release.join("examples/load");
        Cmd::new(&load).arg("--bin").arg(release.join("annoqa")).run()?;
        Cmd::new(&load)
            .arg("--bin")
            .arg(release.join("annoqa"))
            .args(["--database", "postgres"])
            .env(postgres::URL_VAR, &postgres.url)
            .run()
    })?;
    step("whole app in headless chromium: heap over 100 task switches", || {
        crate::dist::trunk_build(root, &path)?;
        Cmd::cargo()
            .args(["test", "-p", "annoqa-e2e", "--", "--ignored", "--nocapture", "heap_after"])
            .env("PATH", &path)
            .env("ANNOQA_BIN", crate::target_dir(root).join("release/annoqa"))
            .env("ANNOQA_DIST", root.join("dist"))
            .env("ANNOQA_STATIC", root.join("static"))
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("CHROMIUM", install::CHROMIUM)
            .run()
    })
}
