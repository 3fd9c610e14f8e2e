//! `cargo xtask install`: the tools that build and test annoqa, at pinned versions.
//!
//! Each tool is probed first (`--version`, a file check) and installed only when it is missing
//! or at another version, so running this on a ready machine takes a second or two.
//!
//! **Invariant:** the `wasm-bindgen` CLI, the `wasm-bindgen` crate in `Cargo.lock` and Trunk's
//! `[tools] wasm_bindgen` pin are the same version; Trunk never downloads a tool (it runs with
//! `offline = true` and finds `wasm-bindgen` and `wasm-opt` on the `PATH` from [`tools_path`]).

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::pins;
use crate::shell::Cmd;

pub(crate) const WASM_TARGET: &str = "wasm32-unknown-unknown";
const TRUNK_VERSION: &str = "0.21.14";
/// The binaryen release whose `wasm-opt` Trunk runs (npm package `binaryen@132`).
const BINARYEN_VERSION: u32 = 132;
pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// What the tools are for: the app needs the Wasm toolchain and Trunk; the npm module the Wasm
/// toolchain, wasm-pack and TypeScript; testing also rustfmt, clippy, a headless browser and
/// axe-core. (`cargo xtask run` on a fresh machine installs only what the app needs.)
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// `cargo xtask dist` and `run`.
    App,
    /// `cargo xtask npm`.
    Npm,
    /// `cargo xtask install`: the app's and the npm module's tools.
    Build,
    /// `cargo xtask test` and `bench`: everything.
    Test,
}

/// Installs whatever is missing. Returns the `PATH` that build steps must use.
pub(crate) fn install(root: &Path, purpose: Purpose) -> Result<OsString> {
    let path = tools_path()?;
    let (app, npm, test) = (purpose != Purpose::Npm, purpose != Purpose::App, purpose == Purpose::Test);
    if test {
        rust_components(&path)?;
    }
    wasm_target(&path)?;
    wasm_bindgen(root, &path)?;
    if app {
        trunk(&path)?;
    }
    wasm_opt(&path)?;
    if npm {
        wasm_pack(&path)?;
        typescript(&path)?;
    }
    if test {
        browser()?;
        axe_core(&path)?;
    }
    Ok(path)
}

/// The `PATH` for Trunk and the Wasm test runner: binaryen's `bin` directory first (so its
/// `wasm-opt` wins over any other, such as Debian's), then the current `PATH`, then cargo's
/// install directory in case the shell does not list it.
pub(crate) fn tools_path() -> Result<OsString> {
    let mut dirs = vec![binaryen_bin_dir()?];
    dirs.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
    dirs.push(cargo_bin_dir()?);
    env::join_paths(dirs).context("cannot build PATH for the tools")
}

/// `${XDG_DATA_HOME:-$HOME/.local/share}/annoqa-tools`: tools that cargo does not install.
pub(crate) fn tools_dir() -> Result<PathBuf> {
    let data_home = match env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => home_dir()?.join(".local/share"),
    };
    Ok(data_home.join("annoqa-tools"))
}

fn binaryen_prefix() -> Result<PathBuf> {
    Ok(tools_dir()?.join("binaryen"))
}

fn binaryen_bin_dir() -> Result<PathBuf> {
    Ok(binaryen_prefix()?.join("node_modules/.bin"))
}

/// Where `cargo install` puts binaries.
fn cargo_bin_dir() -> Result<PathBuf> {
    let root = match (env::var_os("CARGO_INSTALL_ROOT"), env::var_os("CARGO_HOME")) {
        (Some(root), _) | (None, Some(root)) => PathBuf::from(root),
        (None, None) => home_dir()?.join(".cargo"),
    };
    Ok(root.join("bin"))
}

fn home_dir() -> Result<PathBuf> {
    env::var_os("HOME").filter(|v| !v.is_empty()).map(PathBuf::from).context("HOME is not set")
}

fn ok(label: &str, detail: &str) {
    if detail.is_empty() {
        println!("    {label}: ok");
    } else {
        println!("    {label}: ok ({detail})");
    }
}

fn rust_components(path: &OsString) -> Result<()> {
    let installed = Cmd::new("rustup")
        .args(["component", "list", "--installed"])
        .env("PATH", path)
        .probe()
        .context("`rustup component list --installed` failed: is rustup installed?")?;
    for component in ["rustfmt", "clippy"] {
        if pins::rustup_lists(&installed, component) {
            ok(component, "rustup component");
        } else {
            println!("    {component}: missing, installing");
            Cmd::new("rustup").args(["component", "add", component]).env("PATH", path).run()?;
        }
    }
    Ok(())
}

fn wasm_target(path: &OsString) -> Result<()> {
    let installed = Cmd::new("rustup")
        .args(["target", "list", "--installed"])
        .env("PATH", path)
        .probe()
        .context("`rustup target list --installed` failed: is rustup installed?")?;
    if pins::rustup_lists(&installed, WASM_TARGET) {
        ok(WASM_TARGET, "rustup target");
        return Ok(());
    }
    println!("    {WASM_TARGET}: missing, installing");
    Cmd::new("rustup").args(["target", "add", WASM_TARGET]).env("PATH", path).run()
}

/// The `wasm-bindgen` version that `Cargo.lock` pins, checked against `Trunk.toml`.
pub(crate) fn pinned_wasm_bindgen(root: &Path) -> Result<String> {
    let lock_path = root.join("Cargo.lock");
    let lock = fs::read_to_string(&lock_path).with_context(|| format!("cannot read {}", lock_path.display()))?;
    let version = match pins::locked_versions(&lock, "wasm-bindgen").as_slice() {
        [] => bail!(
            "Cargo.lock has no `wasm-bindgen` package, so its version cannot be pinned: \
             a workspace crate must depend on wasm-bindgen (then run `cargo generate-lockfile`)"
        ),
        [version] => version.clone(),
        several => {
            bail!("Cargo.lock has several `wasm-bindgen` versions ({}): the workspace must use one", several.join(", "))
        }
    };

    let trunk_path = root.join("Trunk.toml");
    let trunk_toml =
        fs::read_to_string(&trunk_path).with_context(|| format!("cannot read {}", trunk_path.display()))?;
    match pins::toml_string(&trunk_toml, "tools", "wasm_bindgen") {
        Some(pinned) if pinned == version => Ok(version),
        Some(pinned) => bail!(
            "Trunk.toml pins `[tools] wasm_bindgen = \"{pinned}\"` but Cargo.lock has \
             wasm-bindgen {version}: make them equal"
        ),
        None => bail!(
            "Trunk.toml has no `[tools] wasm_bindgen` pin: add `wasm_bindgen = \"{version}\"` \
             (the version in Cargo.lock)"
        ),
    }
}

fn wasm_bindgen(root: &Path, path: &OsString) -> Result<()> {
    let version = pinned_wasm_bindgen(root)?;
    let label = format!("wasm-bindgen {version}");
    // The CLI package installs both binaries, and both must be at the pinned version.
    let tools = ["wasm-bindgen", "wasm-bindgen-test-runner"];
    let current = || {
        tools.map(|tool| {
            let output = Cmd::new(tool).arg("--version").env("PATH", path).probe()?;
            pins::tool_version(&output, tool).map(str::to_owned)
        })
    };
    let is_pinned =
        |found: &[Option<String>; 2]| found.iter().all(|installed| installed.as_deref() == Some(version.as_str()));
    let describe = |found: &[Option<String>; 2]| {
        let found = tools
            .iter()
            .zip(found)
            .map(|(tool, installed)| format!("{tool} {}", installed.as_deref().unwrap_or("missing")));
        found.collect::<Vec<_>>().join(", ")
    };

    let mut found = current();
    if !is_pinned(&found) && wait_for_cargo_install("wasm-bindgen-cli") {
        found = current();
    }
    if is_pinned(&found) {
        ok(&label, &tools.join(", "));
        return Ok(());
    }
    println!("    {label}: found {}, installing wasm-bindgen-cli {version} (takes a few minutes)", describe(&found));
    Cmd::cargo().args(["install", "wasm-bindgen-cli", "--version", &version]).env("PATH", path).run()?;
    let found = current();
    if !is_pinned(&found) {
        bail!(
            "after installing wasm-bindgen-cli {version}, PATH has {}: put {} before other \
             directories on PATH",
            describe(&found),
            cargo_bin_dir()?.display()
        );
    }
    ok(&label, "installed");
    Ok(())
}

fn trunk(path: &OsString) -> Result<()> {
    let label = format!("trunk {TRUNK_VERSION}");
    let current = || {
        let output = Cmd::new("trunk").arg("--version").env("PATH", path).probe()?;
        pins::tool_version(&output, "trunk").map(str::to_owned)
    };
    let mut found = current();
    if found.as_deref() != Some(TRUNK_VERSION) && wait_for_cargo_install("trunk") {
        found = current();
    }
    if found.as_deref() == Some(TRUNK_VERSION) {
        ok(&label, "");
        return Ok(());
    }
    println!(
        "    {label}: found {}, installing it; this takes about 4 minutes on 2 cores",
        found.as_deref().unwrap_or("none")
    );
    // Trunk's own release profile asks for fat LTO over one codegen unit: its install took
    // 363 s on a quiet 2-core machine, against 253 s without (BENCHMARKS.md, "CI and first
    // run"). It is a build tool whose speed does not matter, so it is built with cargo's
    // default release settings instead.
    Cmd::cargo()
        .args(["install", "--locked", "trunk", "--version", TRUNK_VERSION])
        .env("CARGO_PROFILE_RELEASE_LTO", "off")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("PATH", path)
        .run()?;
    if current().as_deref() != Some(TRUNK_VERSION) {
        bail!(
            "after installing trunk {TRUNK_VERSION}, `trunk --version` on PATH reports another \
             version: put {} before other directories on PATH",
            cargo_bin_dir()?.display()
        );
    }
    ok(&label, "installed");
    Ok(())
}

fn wasm_opt(path: &OsString) -> Result<()> {
    let binary = binaryen_bin_dir()?.join("wasm-opt");
    let current = || {
        let output = Cmd::new(&binary).arg("--version").probe()?;
        pins::wasm_opt_version(&output).map(|v| v.to_string())
    };
    let wanted = BINARYEN_VERSION.to_string();
    npm_tool(path, "binaryen", &wanted, &binaryen_prefix()?, &binary, current)
}

/// wasm-pack, which `cargo xtask npm` runs with `--mode no-install` (it finds wasm-bindgen and
/// wasm-opt on [`tools_path`] and downloads nothing).
fn wasm_pack(path: &OsString) -> Result<()> {
    let version = pins::WASM_PACK_VERSION;
    let label = format!("wasm-pack {version}");
    let current = || {
        let output = Cmd::new("wasm-pack").arg("--version").env("PATH", path).probe()?;
        pins::tool_version(&output, "wasm-pack").map(str::to_owned)
    };
    let mut found = current();
    if found.as_deref() != Some(version) && wait_for_cargo_install("wasm-pack") {
        found = current();
    }
    if found.as_deref() == Some(version) {
        ok(&label, "");
        return Ok(());
    }
    println!("    {label}: found {}, installing it (takes a few minutes)", found.as_deref().unwrap_or("none"));
    Cmd::cargo().args(["install", "--locked", "wasm-pack", "--version", version]).env("PATH", path).run()?;
    if current().as_deref() != Some(version) {
        bail!(
            "after installing wasm-pack {version}, `wasm-pack --version` on PATH reports another \
             version: put {} before other directories on PATH",
            cargo_bin_dir()?.display()
        );
    }
    ok(&label, "installed");
    Ok(())
}

/// `tsc` of the pinned TypeScript, in the tools directory.
pub(crate) fn tsc() -> Result<PathBuf> {
    Ok(tools_dir()?.join("typescript/node_modules/.bin/tsc"))
}

fn typescript(path: &OsString) -> Result<()> {
    let tsc = tsc()?;
    // `tsc --version` prints `Version 5.9.3`.
    let current = || {
        let output = Cmd::new("node").arg(&tsc).arg("--version").env("PATH", path).probe()?;
        pins::tool_version(&output, "Version").map(str::to_owned)
    };
    npm_tool(path, "typescript", pins::TYPESCRIPT_VERSION, &tools_dir()?.join("typescript"), &tsc, current)
}

/// An npm package installed into its own prefix: `current` reads the installed version (`None`
/// when missing); another version or none is installed as `package@wanted` and read again.
fn npm_tool(
    path: &OsString,
    package: &str,
    wanted: &str,
    prefix: &Path,
    shown: &Path,
    current: impl Fn() -> Option<String>,
) -> Result<()> {
    let label = format!("{package} {wanted}");
    if current().as_deref() == Some(wanted) {
        ok(&label, &shown.display().to_string());
        return Ok(());
    }
    npm_install(&label, prefix, &format!("{package}@{wanted}"), path)?;
    match current() {
        Some(found) if found == wanted => {
            ok(&label, "installed");
            Ok(())
        }
        other => bail!("after `npm install {package}@{wanted}`, {} reports {other:?}", shown.display()),
    }
}

/// `npm install package@version` into its own prefix under the tools directory.
fn npm_install(label: &str, prefix: &Path, package: &str, path: &OsString) -> Result<()> {
    println!("    {label}: missing, installing npm package {package} into {}", prefix.display());
    npm()?;
    fs::create_dir_all(prefix).with_context(|| format!("cannot create {}", prefix.display()))?;
    Cmd::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(prefix)
        .args(["--no-audit", "--no-fund"])
        .arg(package)
        .env("PATH", path)
        .run()
}

/// The axe-core script the end-to-end tests inject to check each screen for WCAG A/AA
/// violations.
pub(crate) fn axe_script() -> Result<PathBuf> {
    Ok(tools_dir()?.join("axe-core/node_modules/axe-core/axe.min.js"))
}

/// axe-core at [`pins::AXE_CORE_VERSION`], read from its `package.json`.
fn axe_core(path: &OsString) -> Result<()> {
    let prefix = tools_dir()?.join("axe-core");
    let manifest = prefix.join("node_modules/axe-core/package.json");
    let script = axe_script()?;
    let current = || {
        // The first `"version": "…"` of the package's own manifest, with the script beside it.
        let text = fs::read_to_string(&manifest).ok().filter(|_| script.is_file())?;
        let rest = text.split("\"version\"").nth(1)?;
        rest.split('"').nth(1).map(str::to_owned)
    };
    npm_tool(path, "axe-core", pins::AXE_CORE_VERSION, &prefix, &script, current)
}

/// Makes sure `npm` exists; installs Node.js from apt if it does not.
fn npm() -> Result<()> {
    if Cmd::new("npm").arg("--version").probe().is_some() {
        return Ok(());
    }
    println!("    npm: missing, installing Node.js");
    apt_install(&["nodejs", "npm"])
}

fn browser() -> Result<()> {
    let missing: Vec<&str> =
        [CHROMIUM, CHROMEDRIVER].into_iter().filter(|binary| !Path::new(binary).exists()).collect();
    if missing.is_empty() {
        let version = Cmd::new(CHROMEDRIVER).arg("--version").probe();
        let version = version.as_deref().and_then(|v| v.split(" (").next());
        ok("chromium", version.unwrap_or(CHROMEDRIVER).trim());
        return Ok(());
    }
    println!("    chromium: missing {}, installing", missing.join(" and "));
    apt_install(&["chromium", "chromium-driver"])
}

/// `apt-get install -y <packages>` after `apt-get update`; as root only, because a build
/// script must not ask for a password.
pub(crate) fn apt_install(packages: &[&str]) -> Result<()> {
    let install = format!("apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y {}", packages.join(" "));
    if Cmd::new("apt-get").arg("--version").probe().is_none() {
        bail!(
            "{} must be installed, and apt-get is not available: install them with your \
             package manager",
            packages.join(", ")
        );
    }
    let uid = Cmd::new("id").arg("-u").probe();
    if uid.as_deref().map(str::trim) != Some("0") {
        bail!(
            "{} must be installed and this is not root: run `sudo sh -c '{install}'`, \
             then run this again",
            packages.join(", ")
        );
    }
    // Another apt may hold the lock (unattended upgrades): wait for it instead of failing.
    let lock_timeout = "DPkg::Lock::Timeout=600";
    Cmd::new("apt-get").args(["-o", lock_timeout, "update"]).run()?;
    Cmd::new("apt-get")
        .args(["-o", lock_timeout, "install", "-y"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()
}

/// If a `cargo install <krate>` is already running (say, a setup script started it), waits for
/// it to end rather than starting a second build of the same tool. Returns whether it waited.
fn wait_for_cargo_install(krate: &str) -> bool {
    let Some(pid) = running_cargo_install(krate) else {
        return false;
    };
    println!("    {krate}: `cargo install {krate}` is already running (pid {pid}), waiting for it");
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let mut waited = Duration::ZERO;
    let tick = Duration::from_secs(5);
    while proc_dir.exists() {
        thread::sleep(tick);
        waited += tick;
        if waited.as_secs() % 60 == 0 {
            println!("    {krate}: still waiting for pid {pid} ({}s)", waited.as_secs());
        }
    }
    true
}

/// The pid of a running `cargo install … <krate> …`, found through `/proc` (Linux only; on
/// other systems there is nothing to wait for).
fn running_cargo_install(krate: &str) -> Option<u32> {
    let own_pid = std::process::id();
    fs::read_dir("/proc").ok()?.find_map(|entry| {
        let entry = entry.ok()?;
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        if pid == own_pid {
            return None;
        }
        let cmdline = fs::read(entry.path().join("cmdline")).ok()?;
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        is_cargo_install_of(&args, krate).then_some(pid)
    })
}

/// Whether a command line (`argv` split on NUL bytes) is `cargo [+toolchain] install … krate …`.
pub(crate) fn is_cargo_install_of(argv: &[&[u8]], krate: &str) -> bool {
    let Some((program, args)) = argv.split_first() else {
        return false;
    };
    let is_cargo =
        Path::new(std::str::from_utf8(program).unwrap_or_default()).file_name().is_some_and(|name| name == "cargo");
    let mut args = args.iter().filter(|arg| !arg.starts_with(b"+"));
    is_cargo && args.next() == Some(&b"install".as_slice()) && args.any(|arg| *arg == krate.as_bytes())
}
