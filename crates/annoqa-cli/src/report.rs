//! `annoqa report`: the QA report of a multi-annotator export, as one self-contained HTML page
//! (and `--json` on stdout). The export streams through `annoqa_report::ReportBuilder` one
//! record at a time; this module only opens files, picks the reader and shows progress.
//!
//! Exit codes: 0 the report was written; 2 the input could not be read (the message names the
//! file and line or JSON path).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::SyncSender;

use annoqa_core::{Gold, ItemSource, TaskSpec};
use annoqa_interop::{InputError, ReadOptions, Record};
use annoqa_report::{render_html, Report, ReportBuilder, ReportOptions};
use anyhow::{anyhow, bail, Context};

use crate::progress::ProgressFile;
use clap::{Args, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFrom {
    /// annoqa JSON Lines records, one per line.
    Annoqa,
    /// A Label Studio JSON export.
    Ls,
}

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    /// The export: annoqa records (JSON Lines) or a Label Studio JSON export.
    pub input: PathBuf,
    /// The export's format. Default: from the extension, `.jsonl` → annoqa, `.json` → ls.
    #[arg(long, value_enum)]
    pub from: Option<ReportFrom>,
    /// A Label Studio labeling config (XML): the controls, labels and tolerances.
    #[arg(long, conflicts_with = "spec")]
    pub config: Option<PathBuf>,
    /// The task spec: a project folder, its project.json, or a bare spec JSON file. Without
    /// `--spec` or `--config` the spec is derived from the records.
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Gold items as a project's items.jsonl (`{"id", "media", "gold": {...}}`): annotators'
    /// gold accuracy, and fixed labels for the consensus.
    #[arg(long)]
    pub gold: Option<PathBuf>,
    /// Where to write the HTML report (one file, nothing fetched from elsewhere).
    #[arg(long)]
    pub html: PathBuf,
    /// Also print the report's numbers as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// How many of the least-agreed items to list.
    #[arg(long, default_value_t = 20)]
    pub lowest: usize,
}

pub(crate) fn run_report(args: &ReportArgs) -> anyhow::Result<()> {
    let from = match args.from {
        Some(from) => from,
        None => from_extension(&args.input)?,
    };
    let (spec, config_text) = given_spec(args)?;
    let gold = match &args.gold {
        Some(path) => read_gold(path)?,
        None => HashMap::new(),
    };
    let options = ReportOptions {
        lowest_items: args.lowest,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        ..ReportOptions::default()
    };
    let mut builder = ReportBuilder::new(spec.clone(), gold, options);
    let file = File::open(&args.input).with_context(|| format!("{}: cannot open", args.input.display()))?;
    let reader = BufReader::with_capacity(1 << 16, ProgressFile::new(&args.input, file));
    let source = Source { from, name: args.input.display().to_string(), config: config_text, spec };
    // Parsing JSON and checking records take about the same time: one thread parses while this
    // one feeds the builder. Records cross in batches; the builder sees them in file order.
    let (sender, batches) = std::sync::mpsc::sync_channel::<Vec<Record>>(16);
    let parser = std::thread::spawn(move || source.read(reader, sender));
    for batch in batches {
        for record in &batch {
            builder.add(record);
        }
    }
    let diagnostics = match parser.join() {
        Ok(result) => result?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    // What the reader could not represent is not in the report: say so.
    for line in diagnostics.lines() {
        eprintln!("note: {line}");
    }
    let report = builder.finish();
    let page = render_html(&report);
    std::fs::write(&args.html, page).with_context(|| format!("{}: cannot write", args.html.display()))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_summary(&mut out, &report, &args.html)?;
    }
    Ok(())
}

/// Records in batches of this many cross from the parsing thread.
const BATCH: usize = 512;

/// What the parsing thread needs, owned.
struct Source {
    from: ReportFrom,
    name: String,
    config: Option<String>,
    spec: Option<TaskSpec>,
}

impl Source {
    /// Parses the export, sending records in batches; returns the reader's diagnostics as text.
    fn read(self, reader: impl BufRead + Send, sender: SyncSender<Vec<Record>>) -> Result<String, InputError> {
        let mut batch = Vec::with_capacity(BATCH);
        let mut sink = |record: Record| {
            batch.push(record);
            if batch.len() == BATCH {
                // A closed channel means the receiving side is gone; nothing is left to do.
                let _ = sender.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        };
        let diagnostics = match self.from {
            ReportFrom::Annoqa => {
                annoqa_interop::record::for_each_jsonl(reader, &self.name, &mut sink)?;
                String::new()
            }
            ReportFrom::Ls => {
                let opts = ReadOptions {
                    file_name: &self.name,
                    config: self.config.as_deref(),
                    spec: if self.config.is_none() { self.spec.as_ref() } else { None },
                    ..ReadOptions::default()
                };
                annoqa_interop::ls::for_each_record(reader, &opts, &mut sink)?.1.to_string()
            }
        };
        let _ = sender.send(batch);
        Ok(diagnostics)
    }
}

fn from_extension(path: &Path) -> anyhow::Result<ReportFrom> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("jsonl") => Ok(ReportFrom::Annoqa),
        Some("json") => Ok(ReportFrom::Ls),
        _ => bail!(
            "{}: cannot tell the format from the extension (.jsonl is annoqa, .json is ls); give --from",
            path.display()
        ),
    }
}

/// The spec from `--spec` or `--config` (with the config's text for the Label Studio reader).
fn given_spec(args: &ReportArgs) -> anyhow::Result<(Option<TaskSpec>, Option<String>)> {
    if let Some(path) = &args.spec {
        return Ok((Some(crate::qa::read_spec(path)?), None));
    }
    let Some(path) = &args.config else { return Ok((None, None)) };
    let xml = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let config = annoqa_interop::ls::spec_from_config(&xml, &path.display().to_string())?;
    Ok((Some(config.spec), Some(xml)))
}

/// Gold answers by item id from an items.jsonl; lines without gold are ordinary items.
fn read_gold(path: &Path) -> anyhow::Result<HashMap<String, Gold>> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut gold = HashMap::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}: cannot read", path.display(), index + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let source: ItemSource =
            serde_json::from_str(&line).map_err(|e| anyhow!("{}:{}: {e}", path.display(), index + 1))?;
        let Some(answer) = source.gold else { continue };
        if gold.insert(source.item.id.clone(), answer).is_some() {
            bail!("{}:{}: a second gold item with the id {:?}", path.display(), index + 1, source.item.id);
        }
    }
    Ok(gold)
}

/// A few lines for a person: where the page is and each control's headline number.
fn print_summary(out: &mut impl Write, report: &Report, html: &Path) -> anyhow::Result<()> {
    let s = &report.summary;
    writeln!(
        out,
        "wrote {}: {} annotations of {} items by {} annotators",
        html.display(),
        s.annotations,
        s.items,
        s.annotators
    )?;
    for c in &report.controls {
        let value = |v: Option<f64>| v.map_or("undefined".to_owned(), |v| format!("{v:.4}"));
        let line = match &c.agreement {
            annoqa_report::report::Agreement::Choice(a) => format!("alpha {}", value(a.alpha)),
            annoqa_report::report::Agreement::Regions(a) => format!("mean F1 {}", value(a.mean_f1)),
            annoqa_report::report::Agreement::NotMeasured { reason } => format!("not measured ({reason})"),
        };
        writeln!(out, "  {} ({}): {line}", c.name, c.kind)?;
    }
    let (errors, warnings) = (report.findings.errors, report.findings.warnings);
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    writeln!(out, "  findings: {errors} error{}, {warnings} warning{}", plural(errors), plural(warnings))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(from_extension(Path::new("a/export.JSONL")).unwrap(), ReportFrom::Annoqa);
        assert_eq!(from_extension(Path::new("export.json")).unwrap(), ReportFrom::Ls);
        assert_eq!(
            from_extension(Path::new("export.csv")).unwrap_err().to_string(),
            "export.csv: cannot tell the format from the extension (.jsonl is annoqa, .json is ls); give --from"
        );
    }
}
