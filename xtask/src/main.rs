//! annoqa's build automation, run as `cargo xtask <command>` from anywhere in the repository.
//!
//! - `install`: the pinned tools (Wasm target, wasm-bindgen CLI, Trunk, binaryen's wasm-opt).
//! - `dist`: the release build of the browser app into `dist/`.
//! - `run`: `dist`, then the release server.
//! - `test`: everything CI checks (`.ci/run` calls it and nothing else).
//!
//! **Invariant:** xtask depends on `std` and `anyhow` only, so it compiles in seconds on a
//! fresh machine.

// `pub` only for what the crate exports: everything else is `pub(crate)`, so dead code shows.
// (A crate attribute rather than a workspace lint until annoqa-core takes it too.)
#![warn(unreachable_pub)]

mod bench;
mod bench_cli;
mod bench_convert;
mod ci;
mod crosscheck;
mod crosscheck_ls;
mod dist;
mod fuzz;
mod install;
mod npm;
mod pins;
mod postgres;
mod shell;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::install::Purpose;
use crate::shell::step;

const HELP: &str = "\
cargo xtask <command>

commands:
  install               install the missing build tools at their pinned versions:
                        the wasm32-unknown-unknown target, the wasm-bindgen CLI (version from
                        Cargo.lock, must match Trunk.toml), trunk 0.21.14, wasm-opt
                        (npm binaryen@132 in ${XDG_DATA_HOME:-~/.local/share}/annoqa-tools),
                        and for the npm module wasm-pack and TypeScript; `dist` and `run`
                        install only what the app needs
  dist                  install, then `trunk build --release` into dist/; prints the sizes
  run [-- <args>]       dist, then build and run `annoqa serve --dist dist --static static <args>`
  test                  everything CI checks: install (also Chromium and ChromeDriver), a
                        PostgreSQL server for the storage tests (127.0.0.1:5432 if one answers,
                        else a throwaway cluster; ANNOQA_TEST_POSTGRES_URL overrides), fmt,
                        clippy (native and wasm32), native tests, headless browser tests,
                        dist, end-to-end tests; stops at the first failing step
  bench                 criterion benchmarks natively, the same work in headless Chromium, then
                        the statistics side by side with krippendorff, statsmodels and crowd-kit
                        on the same data (table in target/bench/stats/side_by_side.md),
                        `annoqa convert` against label-studio-sdk's converter on a 100,000-task
                        Label Studio export (target/bench/convert/runs/results.md), and a
                        load run against the release server on SQLite and on PostgreSQL
  bench-cli             the statistics side by side in process, then `annoqa agreement` and
                        `annoqa aggregate` against pandas + krippendorff / statsmodels /
                        crowd-kit as whole processes (median, peak RSS), and the CSV reader's MB/s
  fuzz [--seconds N]    mutation-fuzz annoqa-media's parsers (image, WAV, peaks, video), then
                        annoqa-interop's readers and writers (Label Studio export and config,
                        COCO, CVAT, YOLO, annoqa JSON Lines; overflow checks on) for N seconds
                        each (default 60); crashing inputs go to target/fuzz-crashes/
  crosscheck            QA kernels against shapely, jiwer, sed_eval and py-motmetrics, statistics
                        against krippendorff, statsmodels, scikit-learn and irrCAC (Python venvs
                        from PyPI in the tools directory), to 1e-9; waveform peaks against numpy
  crosscheck-ls         a real Label Studio 1.23.2 (venv from PyPI, started on loopback with a
                        fresh SQLite) imports `annoqa convert --to ls` output and exports it with
                        its own JSON, COCO and YOLO exporters, compared with annoqa's; not in CI
  npm                   install, then the npm package `annoqa` (crates/annoqa-wasm: wasm-pack
                        --target web, wasm-opt -Oz, a browser and a Node entry) into
                        target/npm/annoqa; prints its gzip size
  help                  print this help
";

/// A parsed command line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Install,
    Dist,
    Run { serve_args: Vec<OsString> },
    Test,
    Bench,
    BenchCli,
    Crosscheck,
    Npm,
    CrosscheckLs,
    Fuzz { seconds: u64 },
    Help,
}

/// Parses the arguments after `cargo xtask`.
pub(crate) fn parse_args(args: Vec<OsString>) -> Result<Command> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Ok(Command::Help);
    };
    let rest: Vec<OsString> = args.collect();
    let command = match command.to_str() {
        Some("install") => Command::Install,
        Some("dist") => Command::Dist,
        Some("test") => Command::Test,
        Some("bench") => Command::Bench,
        Some("bench-cli") => Command::BenchCli,
        Some("crosscheck") => Command::Crosscheck,
        Some("npm") => Command::Npm,
        Some("crosscheck-ls") => Command::CrosscheckLs,
        Some("help" | "--help" | "-h") => Command::Help,
        Some("fuzz") => {
            return match rest.as_slice() {
                [] => Ok(Command::Fuzz { seconds: fuzz::DEFAULT_SECONDS }),
                [flag, value] if flag == "--seconds" => match value.to_str().and_then(|v| v.parse().ok()) {
                    Some(seconds) => Ok(Command::Fuzz { seconds }),
                    None => bail!("--seconds needs a whole number, not `{}`", value.to_string_lossy()),
                },
                [arg, ..] => {
                    bail!("unexpected argument `{}`; usage: cargo xtask fuzz [--seconds N]", arg.to_string_lossy())
                }
            };
        }
        Some("run") => {
            return match rest.split_first() {
                None => Ok(Command::Run { serve_args: rest }),
                Some((dashes, serve_args)) if dashes == "--" => Ok(Command::Run { serve_args: serve_args.to_vec() }),
                Some((arg, _)) => bail!(
                    "unexpected argument `{}`: pass server arguments after `--`, as in \
                     `cargo xtask run -- --port 9000`",
                    arg.to_string_lossy()
                ),
            };
        }
        _ => bail!("unknown command `{}`; run `cargo xtask help`", command.to_string_lossy()),
    };
    if let Some(arg) = rest.first() {
        bail!("unexpected argument `{}`", arg.to_string_lossy());
    }
    Ok(command)
}

/// The repository root: the parent of this crate's directory.
fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Where cargo puts build outputs: `$CARGO_TARGET_DIR`, else `target/` in the root.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

fn main() -> ExitCode {
    match try_main() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<ExitCode> {
    let command = parse_args(std::env::args_os().skip(1).collect())?;
    let root = repo_root();
    // Every command below runs from the root, wherever `cargo xtask` was typed.
    std::env::set_current_dir(&root).with_context(|| format!("cannot enter {}", root.display()))?;
    match command {
        Command::Help => print!("{HELP}"),
        Command::Install => {
            step("install", || install::install(&root, Purpose::Build))?;
        }
        Command::Dist => dist::dist(&root)?,
        Command::Run { serve_args } => dist::run(&root, &serve_args)?,
        Command::Bench => bench::bench(&root)?,
        Command::BenchCli => bench_cli::bench_cli(&root)?,
        Command::Crosscheck => crosscheck::crosscheck(&root)?,
        Command::Npm => npm::npm(&root)?,
        Command::CrosscheckLs => crosscheck_ls::crosscheck_ls(&root)?,
        Command::Fuzz { seconds } => fuzz::fuzz(&root, seconds)?,
        Command::Test => {
            if !ci::run(&root) {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
