//! Reading tool versions: the pins in `Cargo.lock` and `Trunk.toml`, and what installed tools
//! report with `--version`.
//!
//! These functions are pure so that the "missing or wrong version" decisions of `install` can
//! be tested without the tools.

/// wasm-pack, which builds the npm package (`cargo xtask npm`); `cargo install --locked`.
pub(crate) const WASM_PACK_VERSION: &str = "0.15.1";

/// TypeScript (npm `typescript`), whose `tsc` checks the npm package's declarations. 5.x is the
/// last line written in JavaScript: one package, no platform binaries.
pub(crate) const TYPESCRIPT_VERSION: &str = "5.9.3";
/// axe-core, injected by the end-to-end tests to check each screen for WCAG 2.0/2.1 A and AA.
pub(crate) const AXE_CORE_VERSION: &str = "4.11.0";

/// The versions of every `[[package]]` called `name` in a `Cargo.lock`, in file order.
///
/// A lock file lists one block per package version:
///
/// ```toml
/// [[package]]
/// name = "wasm-bindgen"
/// version = "0.2.130"
/// ```
pub(crate) fn locked_versions(cargo_lock: &str, name: &str) -> Vec<String> {
    let mut versions = Vec::new();
    let mut in_package = false;
    let mut current_name: Option<String> = None;
    let mut current_version: Option<String> = None;
    let mut finish = |name_: &mut Option<String>, version: &mut Option<String>| {
        if let (Some(n), Some(v)) = (name_.take(), version.take()) {
            if n == name {
                versions.push(v);
            }
        }
    };
    for line in cargo_lock.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            finish(&mut current_name, &mut current_version);
            in_package = line == "[[package]]";
            continue;
        }
        if !in_package {
            continue;
        }
        if let Some((key, value)) = key_value(line) {
            match key {
                "name" => current_name = Some(value),
                "version" => current_version = Some(value),
                _ => {}
            }
        }
    }
    finish(&mut current_name, &mut current_version);
    versions
}

/// The value of `key` in the `[table]` section of a small TOML file such as `Trunk.toml`,
/// for plain string values (`wasm_bindgen = "0.2.130"`).
pub(crate) fn toml_string(toml: &str, table: &str, key: &str) -> Option<String> {
    let header = format!("[{table}]");
    let mut in_table = false;
    for line in toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_table = strip_comment(line).trim() == header;
            continue;
        }
        if in_table {
            match key_value(line) {
                Some((k, value)) if k == key => return Some(value),
                _ => {}
            }
        }
    }
    None
}

/// Splits `key = "value" # comment` into `("key", "value")`.
fn key_value(line: &str) -> Option<(&str, String)> {
    let (key, rest) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    let rest = rest.trim();
    let value = if let Some(quoted) = rest.strip_prefix('"') {
        quoted.split_once('"')?.0
    } else if let Some(quoted) = rest.strip_prefix('\'') {
        quoted.split_once('\'')?.0
    } else {
        strip_comment(rest).trim()
    };
    Some((key, value.to_owned()))
}

fn strip_comment(s: &str) -> &str {
    s.split_once('#').map_or(s, |(before, _)| before)
}

/// The version in a `--version` line that starts with the tool's name:
/// `wasm-bindgen 0.2.130` → `0.2.130`, `trunk 0.21.14` → `0.21.14`.
pub(crate) fn tool_version<'a>(output: &'a str, tool: &str) -> Option<&'a str> {
    output.lines().find_map(|line| {
        let rest = line.trim().strip_prefix(tool)?.strip_prefix(' ')?;
        let version = rest.split_whitespace().next()?;
        let version = version.strip_prefix('v').unwrap_or(version);
        version.starts_with(|c: char| c.is_ascii_digit()).then_some(version)
    })
}

/// The release number in `wasm-opt --version` output:
/// `wasm-opt version 132 (version_132)` → `132`.
pub(crate) fn wasm_opt_version(output: &str) -> Option<u32> {
    output.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("wasm-opt version ")?;
        let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
        number.parse().ok()
    })
}

/// Whether `rustup target list --installed` (or `rustup component list --installed`) lists
/// `name`. Component lines carry the host triple (`clippy-x86_64-unknown-linux-gnu`), so a
/// line matches when it is `name` or starts with `name-`.
pub(crate) fn rustup_lists(output: &str, name: &str) -> bool {
    output
        .lines()
        .map(str::trim)
        .any(|line| line == name || line.strip_prefix(name).is_some_and(|rest| rest.starts_with('-')))
}
