//! `annoqa validate` and `annoqa score`: the QA engine over files.
//!
//! Exit codes: 0 when every annotation is clean (validate) or passes gold (score); 1 when a
//! finding of severity error is found (validate) or an annotation fails gold (score); 2 when
//! the input cannot be read (the message names the file and line).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use annoqa_core::{
    check_spec, has_errors, score_gold, validate, Finding, GoldReport, Item, ItemSource, Region, Severity, TaskSpec,
};
use anyhow::{anyhow, bail, Context};
use clap::Args;
use serde::{Deserialize, Serialize};

#[derive(Args)]
pub(crate) struct ValidateArgs {
    /// The task spec: a project folder, its project.json, or a bare spec JSON file.
    #[arg(long)]
    spec: PathBuf,
    /// JSON Lines, one annotation per line: {"item": {...}, "annotator": "...", "regions": [...]}.
    annotations: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct ScoreArgs {
    /// The task spec: a project folder, its project.json, or a bare spec JSON file.
    #[arg(long)]
    spec: PathBuf,
    /// JSON Lines of gold items, as a project's items.jsonl: {"id", "media", "gold": {...}}.
    #[arg(long)]
    gold: PathBuf,
    /// JSON Lines, one annotation per line: {"item_id": "...", "annotator": "...", "regions": [...]}.
    annotations: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// One line of an annotations file. `item` carries the media (needed by `validate`); `score`
/// takes the media from the gold file when `item` is absent.
/// Other fields (timestamps, lead time, metadata) are allowed and ignored.
#[derive(Deserialize)]
struct AnnotationLine {
    #[serde(default)]
    item: Option<Item>,
    #[serde(default)]
    item_id: Option<String>,
    #[serde(default)]
    annotator: String,
    regions: Vec<Region>,
}

impl AnnotationLine {
    fn item_id(&self) -> Option<&str> {
        self.item.as_ref().map(|i| i.id.as_str()).or(self.item_id.as_deref())
    }
}

/// A spec from a project folder, a project.json (`{"spec": …}`) or a bare spec file.
pub(crate) fn read_spec(path: &Path) -> anyhow::Result<TaskSpec> {
    let file = if path.is_dir() { path.join("project.json") } else { path.to_path_buf() };
    let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", file.display()))?;
    let spec = value.get("spec").cloned().unwrap_or(value);
    let spec: TaskSpec =
        serde_json::from_value(spec).with_context(|| format!("{}: not a valid task spec", file.display()))?;
    // A project folder's guidelines are checked too; a bare spec file has none.
    let guidelines_path = file.with_file_name("guidelines.md");
    let guidelines = if path.is_dir() || file.file_name().is_some_and(|n| n == "project.json") {
        std::fs::read_to_string(&guidelines_path).ok()
    } else {
        None
    };
    let problems: Vec<String> = check_spec(&spec, guidelines.as_deref()).iter().map(|p| p.to_string()).collect();
    if !problems.is_empty() {
        bail!("{}: invalid spec: {}", file.display(), problems.join("; "));
    }
    Ok(spec)
}

/// Parses every non-blank line of a JSON Lines file; errors name the file and line.
fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<(usize, T)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line).map_err(|e| anyhow!("{}:{}: {e}", path.display(), index + 1))?;
        out.push((index + 1, value));
    }
    Ok(out)
}

#[derive(Serialize)]
struct ValidatedLine {
    line: usize,
    item: String,
    annotator: String,
    findings: Vec<Finding>,
}

/// Runs `annoqa validate`; returns the exit code.
pub(crate) fn run_validate(args: &ValidateArgs) -> anyhow::Result<u8> {
    let spec = read_spec(&args.spec)?;
    let lines: Vec<(usize, AnnotationLine)> = read_jsonl(&args.annotations)?;
    let mut results = Vec::new();
    for (line, annotation) in lines {
        let item = annotation.item.as_ref().ok_or_else(|| {
            anyhow!("{}:{line}: no `item`: validation needs the item's media", args.annotations.display())
        })?;
        let findings = validate(&spec, item, &annotation.regions);
        results.push(ValidatedLine { line, item: item.id.clone(), annotator: annotation.annotator, findings });
    }
    let count = |severity| results.iter().flat_map(|r| &r.findings).filter(|f| f.severity == severity).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    if args.json {
        let report = serde_json::json!({
            "annotations": results.len(), "errors": errors, "warnings": warnings, "results": results,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for r in &results {
            if r.findings.is_empty() {
                continue;
            }
            println!("{}:{} item {} ({}):", args.annotations.display(), r.line, r.item, who(&r.annotator));
            for f in &r.findings {
                let severity = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                let regions = if f.regions.is_empty() { String::new() } else { format!(" [{}]", f.regions.join(", ")) };
                let guideline = f.guideline.as_ref().map(|g| format!(" (guideline #{g})")).unwrap_or_default();
                println!("  {severity}[{}]{regions}: {}{guideline}", f.code, f.message);
            }
        }
        let clean = results.iter().filter(|r| !has_errors(&r.findings)).count();
        println!("{} annotations: {clean} without errors; {errors} errors, {warnings} warnings", results.len());
    }
    Ok(u8::from(errors > 0))
}

fn who(annotator: &str) -> &str {
    if annotator.is_empty() {
        "unknown annotator"
    } else {
        annotator
    }
}

#[derive(Serialize)]
struct ScoredLine {
    line: usize,
    item: String,
    annotator: String,
    report: GoldReport,
}

/// Runs `annoqa score`; returns the exit code.
pub(crate) fn run_score(args: &ScoreArgs) -> anyhow::Result<u8> {
    let spec = read_spec(&args.spec)?;
    let mut gold_items: HashMap<String, ItemSource> = HashMap::new();
    for (line, source) in read_jsonl::<ItemSource>(&args.gold)? {
        if source.gold.is_none() {
            continue; // an items.jsonl holds ordinary items too
        }
        if gold_items.insert(source.item.id.clone(), source).is_some() {
            bail!("{}:{line}: a second gold item with the same id", args.gold.display());
        }
    }
    let mut results = Vec::new();
    let mut without_gold = 0;
    for (line, annotation) in read_jsonl::<AnnotationLine>(&args.annotations)? {
        let id = annotation
            .item_id()
            .ok_or_else(|| anyhow!("{}:{line}: neither `item` nor `item_id`", args.annotations.display()))?
            .to_string();
        let Some(source) = gold_items.get(&id) else {
            without_gold += 1;
            continue;
        };
        let gold = source.gold.as_ref().expect("only gold items are kept");
        let item = annotation.item.as_ref().unwrap_or(&source.item);
        let report = score_gold(&spec, item, gold, &annotation.regions);
        results.push(ScoredLine { line, item: id, annotator: annotation.annotator, report });
    }
    let passed = results.iter().filter(|r| r.report.passed).count();
    let mean = if results.is_empty() {
        0.0
    } else {
        results.iter().map(|r| r.report.score).sum::<f64>() / results.len() as f64
    };
    if args.json {
        let report = serde_json::json!({
            "scored": results.len(), "passed": passed, "mean_score": mean,
            "without_gold": without_gold, "results": results,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for r in &results {
            let verdict = if r.report.passed { "pass" } else { "FAIL" };
            println!(
                "{}:{} item {} ({}): {verdict} {:.1}%",
                args.annotations.display(),
                r.line,
                r.item,
                who(&r.annotator),
                r.report.score * 100.0
            );
            for c in &r.report.controls {
                let metrics: Vec<String> = c.metrics.iter().map(|(k, v)| format!("{k} {v:.3}")).collect();
                let metrics = if metrics.is_empty() { String::new() } else { format!(" ({})", metrics.join(", ")) };
                println!("  {}: {:.1}%{metrics}", c.control, c.score * 100.0);
            }
            let guideline = |g: &Option<String>| g.as_ref().map(|g| format!(" (guideline #{g})")).unwrap_or_default();
            if let Some(e) = &r.report.explanation {
                println!("  - {}{}", e.text, guideline(&e.guideline));
            }
            for f in &r.report.feedback {
                println!("  - {}{}", f.message, guideline(&f.guideline));
            }
        }
        println!(
            "{} gold annotations scored: {passed} passed, {} failed, mean score {:.1}%; {without_gold} without gold skipped",
            results.len(),
            results.len() - passed,
            mean * 100.0
        );
    }
    Ok(u8::from(passed < results.len()))
}
