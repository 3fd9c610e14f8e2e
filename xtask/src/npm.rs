//! `cargo xtask npm`: the npm package `annoqa` from `crates/annoqa-wasm`, and its tests.
//!
//! One WebAssembly build serves both Node and browsers: `wasm-pack build --target web` writes an
//! ES module whose `init` fetches the `.wasm` next to it; the package adds two entries around
//! it (`crates/annoqa-wasm/js/`), chosen by the `exports` conditions of its package.json:
//! `node.js` reads the `.wasm` from disk and instantiates it synchronously (Node's `fetch`
//! cannot read `file:` URLs), `index.js` awaits `init()` at the top level. Either way an import
//! is ready to call. wasm-pack runs with `--mode no-install` and `--no-pack`: it takes
//! wasm-bindgen and wasm-opt from [`install::tools_path`] and writes no package.json of its
//! own, so nothing is downloaded and the package is ours file by file.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::install::{self, Purpose, CHROMIUM};
use crate::pins;
use crate::shell::{format_size, step, Cmd};

const CRATE_DIR: &str = "crates/annoqa-wasm";

/// The package's own files, copied over wasm-pack's output: `(source in the crate, name in the
/// package)`.
const PACKAGE_FILES: [(&str, &str); 5] = [
    ("js/package.json", "package.json"),
    ("js/index.js", "index.js"),
    ("js/node.js", "node.js"),
    ("js/index.d.ts", "index.d.ts"),
    ("README.md", "README.md"),
];

/// What a browser downloads: the JavaScript it imports and the WebAssembly module.
const SHIPPED: [&str; 3] = ["annoqa_bg.wasm", "annoqa.js", "index.js"];

/// `target/npm/annoqa`.
pub(crate) fn package_dir(root: &Path) -> PathBuf {
    crate::target_dir(root).join("npm/annoqa")
}

/// `cargo xtask npm`.
pub(crate) fn npm(root: &Path) -> Result<()> {
    let path = step("install", || install::install(root, Purpose::Npm))?;
    step("npm package", || build(root, &path))
}

/// Builds the package into [`package_dir`] with the tools on `path`, and links it as
/// `node_modules/annoqa` of the package's tests.
pub(crate) fn build(root: &Path, path: &OsStr) -> Result<()> {
    let crate_dir = root.join(CRATE_DIR);
    let out = package_dir(root);
    if out.exists() {
        fs::remove_dir_all(&out).with_context(|| format!("cannot remove the old {}", out.display()))?;
    }
    stop_update_check(path)?;
    // The workspace's size profile (opt-level "z", panic = "abort"); wasm-opt runs after
    // wasm-bindgen with the flags of [package.metadata.wasm-pack.profile.custom] in the crate's
    // Cargo.toml (-Os and more).
    Cmd::new("wasm-pack")
        .args(["build", "--mode", "no-install", "--no-pack", "--target", "web", "--out-name", "annoqa"])
        .args(["--profile", "wasm-release", "--out-dir"])
        .arg(&out)
        .arg(&crate_dir)
        .env("PATH", path)
        .run()?;
    for (source, name) in PACKAGE_FILES {
        let from = crate_dir.join(source);
        fs::copy(&from, out.join(name))
            .with_context(|| format!("cannot copy {} into {}", from.display(), out.display()))?;
    }
    // wasm-pack's `*` .gitignore would also keep the files from `npm pack`.
    let ignore = out.join(".gitignore");
    if ignore.exists() {
        fs::remove_file(&ignore).with_context(|| format!("cannot remove {}", ignore.display()))?;
    }
    link_for_tests(&crate_dir, &out)?;
    print_sizes(&out)
}

/// wasm-pack asks crates.io for its latest version, whatever its flags, unless the
/// `wasm-pack.stamp` file beside its binary is less than a day old; a stamp dated in the future
/// keeps it from ever asking, so a build downloads nothing.
fn stop_update_check(path: &OsStr) -> Result<()> {
    let Some(binary) = env::split_paths(path).map(|dir| dir.join("wasm-pack")).find(|file| file.is_file()) else {
        bail!("wasm-pack is not on PATH: run `cargo xtask install`");
    };
    let stamp = binary.with_extension("stamp");
    let text = format!("created 2100-01-01T00:00:00+00:00\nversion {}", pins::WASM_PACK_VERSION);
    if fs::read_to_string(&stamp).ok().as_deref() != Some(text.as_str()) {
        fs::write(&stamp, text).with_context(|| format!("cannot write {}", stamp.display()))?;
    }
    Ok(())
}

/// `js-tests/node_modules/annoqa` → the package, so the tests import it by name, through its
/// `exports`, as a user would.
fn link_for_tests(crate_dir: &Path, package: &Path) -> Result<()> {
    let modules = crate_dir.join("js-tests/node_modules");
    fs::create_dir_all(&modules).with_context(|| format!("cannot create {}", modules.display()))?;
    let link = modules.join("annoqa");
    if let Ok(old) = link.symlink_metadata() {
        let removed = if old.is_dir() { fs::remove_dir_all(&link) } else { fs::remove_file(&link) };
        removed.with_context(|| format!("cannot remove {}", link.display()))?;
    }
    symlink_dir(package, &link).with_context(|| format!("cannot link {} to {}", link.display(), package.display()))
}

#[cfg(unix)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

/// Raw and gzip sizes of what a browser downloads, and their total.
fn print_sizes(package: &Path) -> Result<()> {
    let (mut raw_total, mut gzip_total) = (0, 0);
    for name in SHIPPED {
        let file = package.join(name);
        let raw = fs::metadata(&file).with_context(|| format!("cannot read {}", file.display()))?.len();
        let gzip = Cmd::new("gzip").args(["-9", "-c"]).arg(&file).read_bytes()?.len() as u64;
        println!("    {name:<24} {:>11} raw {:>11} gzip", format_size(raw), format_size(gzip));
        raw_total += raw;
        gzip_total += gzip;
    }
    println!("    {:<24} {:>11} raw {:>11} gzip", "total", format_size(raw_total), format_size(gzip_total));
    Ok(())
}

/// The package's tests, after [`build`]: its declarations against a TypeScript usage file
/// (`tsc --strict`), then the same cases in Node and in headless Chromium, and in Node the
/// Label Studio examples of the interop corpus.
pub(crate) fn test(root: &Path, path: &OsStr) -> Result<()> {
    let tests = root.join(CRATE_DIR).join("js-tests");
    if !tests.join("node_modules/annoqa/package.json").exists() {
        bail!("{} has no built package: run `cargo xtask npm` first", tests.join("node_modules/annoqa").display());
    }
    Cmd::new("node").arg(install::tsc()?).arg("--project").arg(tests.join("tsconfig.json")).env("PATH", path).run()?;
    // The cases, then Label Studio's frontend examples from the shared interop corpus (skipped
    // with a note when it is absent).
    Cmd::new("node").args(["--test", "node.test.js", "corpus.test.js"]).dir(&tests).env("PATH", path).run()?;
    Cmd::new("node").args(["--test", "chromium.test.js"]).dir(&tests).env("PATH", path).env("CHROMIUM", CHROMIUM).run()
}
