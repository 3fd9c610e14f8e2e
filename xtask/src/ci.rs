//! `cargo xtask test`: everything CI checks, as an ordered list of named steps.
//!
//! Steps run in order and the first failure stops the run; a summary table then shows every
//! step as ok, FAILED or not run. The process fails if any step failed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::dist;
use crate::install::{self, Purpose, CHROMEDRIVER, CHROMIUM};
use crate::npm;
use crate::postgres::{self, Postgres};
use crate::shell::{format_duration, timed, Cmd};

/// The package that holds the end-to-end tests (`tests/`); it needs built binaries and a
/// browser, so it is left out of the native test step and run last.
const E2E_PACKAGE: &str = "annoqa-e2e";

/// Where the Wasm test runner looks for `webdriver.json` (the Chromium flags), first match
/// wins. wasm-bindgen-test-runner opens `$WASM_BINDGEN_TEST_WEBDRIVER_JSON`, else
/// `webdriver.json` in its working directory, which cargo sets to the tested package's
/// directory.
const WEBDRIVER_JSON: [&str; 2] = ["crates/annoqa-app/webdriver.json", "webdriver.json"];

/// What the steps share: the repository root and, once `install` ran, the tools' `PATH`.
pub(crate) struct Ctx {
    root: PathBuf,
    path: Option<OsString>,
    /// The PostgreSQL server the storage tests use; a throwaway one stops when `Ctx` drops.
    postgres: Option<Postgres>,
}

impl Ctx {
    fn path(&self) -> Result<&OsString> {
        self.path.as_ref().context("the tools' PATH is unknown because `install` did not run")
    }

    fn postgres_url(&self) -> Result<&str> {
        self.postgres.as_ref().map(|pg| pg.url.as_str()).context("no PostgreSQL server because `postgres` did not run")
    }
}

pub(crate) type StepFn = fn(&mut Ctx) -> Result<()>;

/// The steps of `cargo xtask test`, in order.
pub(crate) const STEPS: &[(&str, StepFn)] = &[
    ("install", install_step),
    ("postgres", |ctx| {
        ctx.postgres = Some(Postgres::provide()?);
        Ok(())
    }),
    ("fmt", |_| cargo("fmt --all -- --check").run()),
    ("clippy (native)", |_| cargo("clippy --workspace --all-targets -- -D warnings").run()),
    ("clippy (wasm32)", |_| {
        cargo(
            "clippy -p annoqa-core -p annoqa-app -p annoqa-wasm --target wasm32-unknown-unknown \
             --all-targets -- -D warnings",
        )
        .run()
    }),
    ("check core (wasm32)", |_| cargo("check -p annoqa-core --target wasm32-unknown-unknown").run()),
    ("test (native)", |ctx| {
        cargo(&format!("test --workspace --exclude {E2E_PACKAGE}")).env(postgres::URL_VAR, ctx.postgres_url()?).run()
    }),
    ("test (wasm32, headless chromium)", wasm_test_step),
    ("npm package", |ctx| npm::build(&ctx.root, ctx.path()?)),
    ("test (npm: tsc, node, headless chromium)", |ctx| npm::test(&ctx.root, ctx.path()?)),
    ("dist", |ctx| dist::trunk_build(&ctx.root, ctx.path()?)),
    ("build annoqa-cli", |_| cargo("build -p annoqa-cli").run()),
    ("test (e2e)", e2e_step),
];

/// `cargo` with space-separated arguments.
fn cargo(args: &str) -> Cmd {
    Cmd::cargo().args(args.split_whitespace())
}

fn install_step(ctx: &mut Ctx) -> Result<()> {
    ctx.path = Some(install::install(&ctx.root, Purpose::Test)?);
    Ok(())
}

fn wasm_test_step(ctx: &mut Ctx) -> Result<()> {
    let app_dir = ctx.root.join("crates/annoqa-app");
    let mut cmd = cargo("test -p annoqa-app --target wasm32-unknown-unknown")
        .dir(&app_dir)
        .env("PATH", ctx.path()?)
        .env("CHROMEDRIVER", CHROMEDRIVER);
    match webdriver_json(&ctx.root) {
        Some(file) => cmd = cmd.env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", file),
        None => {
            println!("    warning: no webdriver.json at {}: Chromium gets no extra flags", WEBDRIVER_JSON.join(" or "))
        }
    }
    cmd.run()
}

pub(crate) fn webdriver_json(root: &Path) -> Option<PathBuf> {
    WEBDRIVER_JSON.iter().map(|relative| root.join(relative)).find(|path| path.is_file())
}

fn e2e_step(ctx: &mut Ctx) -> Result<()> {
    let root = &ctx.root;
    cargo(&format!("test -p {E2E_PACKAGE}"))
        .env("PATH", ctx.path()?)
        .env("ANNOQA_BIN", crate::target_dir(root).join("debug/annoqa"))
        .env("ANNOQA_DIST", root.join("dist"))
        .env("ANNOQA_STATIC", root.join("static"))
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("CHROMIUM", CHROMIUM)
        .env("ANNOQA_AXE", install::axe_script()?)
        .env(postgres::URL_VAR, ctx.postgres_url()?)
        .run()
}

/// How a step ended.
pub(crate) enum Outcome {
    Passed(Duration),
    Failed(Duration),
    NotRun,
}

/// Runs every step; returns whether all passed.
pub(crate) fn run(root: &Path) -> bool {
    let mut ctx = Ctx { root: root.to_owned(), path: None, postgres: None };
    let total = Instant::now();
    let mut outcomes = Vec::with_capacity(STEPS.len());
    let mut failed = false;
    for &(name, run_step) in STEPS {
        if failed {
            outcomes.push((name, Outcome::NotRun));
            continue;
        }
        let (result, elapsed) = timed(name, || run_step(&mut ctx));
        match result {
            Ok(()) => outcomes.push((name, Outcome::Passed(elapsed))),
            Err(err) => {
                eprintln!("error: step `{name}` failed: {err:#}");
                outcomes.push((name, Outcome::Failed(elapsed)));
                failed = true;
            }
        }
    }
    println!();
    print!("{}", summary(&outcomes, total.elapsed()));
    !failed
}

/// The table printed at the end of `cargo xtask test`, ending with `N passed, N failed`
/// (counting steps) alone on the last line.
pub(crate) fn summary(outcomes: &[(&str, Outcome)], total: Duration) -> String {
    let width = outcomes.iter().map(|(name, _)| name.len()).chain([4]).max().unwrap_or(0);
    let mut out = format!("{:<width$}  {:<7}  time\n", "step", "result");
    let (mut passed, mut failed) = (0, 0);
    for (name, outcome) in outcomes {
        let (result, time) = match outcome {
            Outcome::Passed(d) => {
                passed += 1;
                ("ok", format_duration(*d))
            }
            Outcome::Failed(d) => {
                failed += 1;
                ("FAILED", format_duration(*d))
            }
            Outcome::NotRun => ("not run", String::new()),
        };
        let line = format!("{name:<width$}  {result:<7}  {time}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out += &format!("{:<width$}  {:<7}  {}\n", "total", "", format_duration(total));
    out += &format!("{passed} passed, {failed} failed\n");
    out
}
