//! `cargo xtask dist` and `cargo xtask run`: the release build of the browser app, and the
//! server that serves it.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use crate::install::{self, Purpose};
use crate::shell::{format_size, step, Cmd};

/// Builds the browser app into `dist/` with `trunk build --release` (configured by the root
/// `Trunk.toml`), using the tools on `path`: the annotator's bundle (`www/index.html`) at `/`,
/// then the reviewer's and coordinator's (`www/review/index.html`, bin `annoqa-review`) at
/// `/review/`. Two bundles so the annotator, who downloads the app most, does not download the
/// review screens and their statistics. Trunk skips its update check, which would ask
/// crates.io for a newer Trunk on every build.
pub(crate) fn trunk_build(root: &Path, path: &OsStr) -> Result<()> {
    // Trunk runs cargo with `--offline` (Trunk.toml), so on a fresh machine the crates must be
    // in cargo's cache first; `cargo fetch` is a no-op when they are.
    Cmd::cargo().arg("fetch").run()?;
    // The first build empties `dist/`, so the review bundle goes in after it.
    Cmd::new("trunk").args(["build", "--release", "--skip-version-check"]).env("PATH", path).run()?;
    Cmd::new("trunk")
        .args(["build", "--release", "--skip-version-check", "--dist", "dist/review", "--public-url", "/review/"])
        .arg("www/review/index.html")
        .env("PATH", path)
        .run()?;
    println!("    the annotator's bundle, at /:");
    precompress(&root.join("dist"))?;
    println!("    the reviewer's bundle, at /review/:");
    precompress(&root.join("dist/review"))
}

/// The files a first visit downloads, which get a gzip copy.
const PRECOMPRESSED: [&str; 4] = ["wasm", "js", "css", "html"];

/// Writes `FILE.gz` beside each file a first visit downloads, compressed with Zopfli (gzip
/// format, about 5 % smaller than `gzip -9`), which the server sends to browsers that accept
/// gzip; prints each size, raw and compressed, and the total a first visit transfers.
fn precompress(dist: &Path) -> Result<()> {
    let entries = fs::read_dir(dist).with_context(|| format!("cannot read {}", dist.display()))?;
    let mut files: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().and_then(OsStr::to_str).is_some_and(|ext| PRECOMPRESSED.contains(&ext)))
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no .wasm, .js, .css or .html files in {}", dist.display());
    let mut total = 0;
    for file in files {
        let raw = fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let mut gzip = Vec::new();
        zopfli::compress(zopfli::Options::default(), zopfli::Format::Gzip, raw.as_slice(), &mut gzip)
            .with_context(|| format!("cannot compress {}", file.display()))?;
        let mut target = file.clone().into_os_string();
        target.push(".gz");
        fs::write(&target, &gzip).with_context(|| format!("cannot write {}", Path::new(&target).display()))?;
        total += gzip.len() as u64;
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let (raw, gzip) = (format_size(raw.len() as u64), format_size(gzip.len() as u64));
        println!("    {name:<40} {raw:>11} raw {gzip:>11} gzip");
    }
    println!("    {:<40} {:>11}     {:>11} gzip: what a first visit transfers", "total", "", format_size(total));
    Ok(())
}

/// `cargo xtask dist`.
pub(crate) fn dist(root: &Path) -> Result<()> {
    let path = step("install", || install::install(root, Purpose::App))?;
    step("dist (trunk build --release)", || trunk_build(root, &path))
}

/// `cargo xtask run [-- serve args]`: builds everything in release mode and runs the server in
/// place of this process, so Ctrl-C reaches it directly. The server's release build needs none
/// of the tools, so on a first run it goes on in the background (its output in
/// `target/xtask-run-server-build.log`) while the tools install and the app builds.
pub(crate) fn run(root: &Path, serve_args: &[OsString]) -> Result<()> {
    let log_path = crate::target_dir(root).join("xtask-run-server-build.log");
    if let Some(parent) = log_path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let log = fs::File::create(&log_path).with_context(|| format!("cannot create {}", log_path.display()))?;
    println!("==> build annoqa-cli (release), in the background: {}", log_path.display());
    let mut server_build = Cmd::cargo()
        .args(["build", "--release", "-p", "annoqa-cli"])
        .to_command()
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("cannot start the server's release build")?;
    let built = dist(root);
    let server = step("build annoqa-cli (release): waiting for the background build", || {
        let status = server_build.wait().context("the server's release build")?;
        anyhow::ensure!(status.success(), "the server's release build failed ({status}); see {}", log_path.display());
        Ok(())
    });
    built?;
    server?;
    let server = Cmd::new(crate::target_dir(root).join("release/annoqa"))
        .args(["serve", "--dist", "dist", "--static", "static"])
        .args(serve_args);
    println!("==> serve");
    exec(&server)
}

#[cfg(unix)]
fn exec(cmd: &Cmd) -> Result<()> {
    use std::os::unix::process::CommandExt;
    println!("$ {cmd}");
    // `exec` only returns on failure.
    let err = cmd.to_command().exec();
    Err(err).with_context(|| format!("could not start `{cmd}`"))
}

#[cfg(not(unix))]
fn exec(cmd: &Cmd) -> Result<()> {
    cmd.run()
}
