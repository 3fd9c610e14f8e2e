//! The crate's modules depend on each other one way: no module imports one that imports it
//! back. Read from the source, so a new cycle fails here rather than in review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Names the crate root re-exports, and the top-level module each comes from; everything else
/// at the root is `model`'s (`pub use model::*`).
const ROOT_EXPORTS: &[(&str, &str)] = &[
    ("check_gold", "check"),
    ("check_spec", "check"),
    ("SpecProblem", "check"),
    ("validate", "check"),
    ("has_errors", "finding"),
    ("Finding", "finding"),
    ("Severity", "finding"),
    ("score_gold", "score"),
    ("GoldReport", "score"),
    ("RegionVerdict", "score"),
    ("Verdict", "score"),
];

/// The top-level module a source file belongs to (`score/staged.rs` → `score`).
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "tests" | "tests.rs")).then(|| name.to_string())
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file's code (not its comments, not its unit tests) refers to.
fn references(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = code.split("#[cfg(test)]").next().unwrap_or(code);
    let code: String = code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let mut found = BTreeSet::new();
    let names = regex_lite::Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").unwrap();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        // `crate::{a, b::c}` or `crate::name`.
        let group = if let Some(inner) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = inner
                .char_indices()
                .find(|(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(inner.len(), |(i, _)| i);
            inner[..end].split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>()
        } else {
            vec![names.find(rest).map_or(String::new(), |m| m.as_str().to_string())]
        };
        for item in group {
            let Some(head) = names.find(&item).map(|m| m.as_str().to_string()) else { continue };
            if modules.contains(&head) {
                found.insert(head);
            } else if let Some((_, module)) = ROOT_EXPORTS.iter().find(|(name, _)| *name == head) {
                found.insert(module.to_string());
            } else if head.starts_with(char::is_uppercase) || head == "track_box_at" {
                found.insert("model".to_string());
            }
        }
    }
    found
}

#[test]
fn modules_depend_on_each_other_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(f.strip_prefix(&src).unwrap())).collect();
    assert!(modules.contains("score") && modules.contains("check"), "{modules:?}");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(file.strip_prefix(&src).unwrap()) else { continue };
        let code = std::fs::read_to_string(file).unwrap();
        let targets = references(&code, &modules);
        edges.entry(module.clone()).or_default().extend(targets.into_iter().filter(|t| *t != module));
    }
    // Depth-first search for a cycle, reporting its path.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for module in &modules {
        if let Some(cycle) = visit(module, &edges, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}\nedges: {edges:#?}", cycle.join(" → "));
        }
    }
    // The layering ARCHITECTURE.md states.
    let uses = |a: &str, b: &str| edges.get(a).is_some_and(|e| e.contains(b));
    assert!(!uses("finding", "model") && !uses("model", "check") && !uses("model", "score"), "{edges:#?}");
    assert!(!uses("score", "check") && !uses("check", "score"), "{edges:#?}");
}
