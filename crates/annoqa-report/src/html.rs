//! The report as one self-contained HTML page: inline CSS, inline SVG, no script, no font, image
//! or style sheet fetched from anywhere. Every plot has a table of the same numbers beside it,
//! and every table has a caption and header cells, so the page reads without the plots too.

use crate::report::{Agreement, ChoiceAgreement, ControlReport, RegionAgreement, Report, Scorecard, SpecOrigin};
use crate::svg::{matrix, whiskers, Matrix, Whisker};

/// Annotators drawn in a heatmap: the most active ones (by shared items).
const HEATMAP_ANNOTATORS: usize = 25;
/// Rows of a pair table.
const PAIR_ROWS: usize = 100;
/// Labels up to which a confusion matrix is drawn.
const CONFUSION_LABELS: usize = 20;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `1 error`, `2 errors`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", int(n), if n == 1 { one } else { many })
}

/// A count with thousands separated: `1,000,000`.
pub(crate) fn int(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn num(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"))
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// Krippendorff's (2004) reading of α, also used here for F1: data good enough to rely on from
/// 0.8, tentative conclusions from 0.667.
fn band(value: Option<f64>) -> &'static str {
    match value {
        Some(v) if v >= 0.8 => "<span class=\"band good\">good</span>",
        Some(v) if v >= 0.667 => "<span class=\"band fair\">tentative</span>",
        Some(_) => "<span class=\"band low\">low</span>",
        None => "",
    }
}

const STYLE: &str = "
:root{color-scheme:light}
body{margin:0;background:#ffffff;color:#1b1b1b;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 28px 64px}
h1{font-size:28px;margin:0 0 4px}
h2{font-size:21px;margin:40px 0 8px;padding-top:12px;border-top:2px solid #c8d0da}
h3{font-size:17px;margin:24px 0 8px}
p.lead{color:#3d3d3d;margin:0 0 20px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:16px 0 8px}
.card{border:1px solid #c8d0da;border-radius:6px;padding:10px 14px;background:#f7f9fc}
.card dt{font-size:13px;color:#3d3d3d}
.card dd{margin:0;font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;margin:8px 0 16px;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:4px 0;color:#1b1b1b}
th,td{border:1px solid #c8d0da;padding:4px 10px;vertical-align:top}
thead th{background:#e8eef6;text-align:left}
tbody th{text-align:left;font-weight:600;background:#f7f9fc}
td.n{text-align:right;white-space:nowrap}
.figure{display:flex;flex-wrap:wrap;gap:28px;align-items:flex-start}
figure{margin:0}
figcaption{font-size:13px;color:#3d3d3d;max-width:520px}
svg text{font-family:inherit}
svg .axis{font-size:13px;font-weight:600;fill:#1b1b1b}
svg .tick{font-size:12px;fill:#1b1b1b}
svg .cell{font-size:12px;font-weight:600}
.band{display:inline-block;padding:0 8px;border-radius:10px;font-size:13px;font-weight:600}
.good{background:#d9f0d3;color:#00441b}
.fair{background:#fee6ce;color:#7f2704}
.low{background:#fcbba1;color:#67000d}
.note{color:#3d3d3d;font-size:13px}
code{background:#f0f2f5;padding:0 4px;border-radius:3px}
";

/// The report as one HTML page.
pub fn render_html(report: &Report) -> String {
    let mut page = String::with_capacity(64 * 1024);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    page.push_str("<title>Annotation QA report</title><style>");
    page.push_str(STYLE);
    page.push_str("</style></head><body><main>");
    overview(&mut page, report);
    for (i, control) in report.controls.iter().enumerate() {
        control_section(&mut page, i, control, report);
    }
    annotators_section(&mut page, report);
    findings_section(&mut page, report);
    lowest_section(&mut page, report);
    page.push_str("</main></body></html>\n");
    page
}

/// The headline: counts, then agreement per control, the first thing a reader looks for.
fn overview(page: &mut String, report: &Report) {
    let s = &report.summary;
    let spec = match s.spec {
        SpecOrigin::Given => "the given spec",
        SpecOrigin::Derived => "a spec derived from the records",
    };
    page.push_str("<h1>Annotation QA report</h1>");
    page.push_str(&format!(
        "<p class=\"lead\">{} annotations of {} items by {} annotators, checked against {spec}.{}{}</p>",
        int(s.annotations),
        int(s.items),
        int(s.annotators),
        if s.predictions_skipped > 0 {
            format!(" {} predictions left out.", int(s.predictions_skipped))
        } else {
            String::new()
        },
        if s.repeats_skipped > 0 {
            format!(" {} repeated annotations (same annotator, same item) left out.", int(s.repeats_skipped))
        } else {
            String::new()
        },
    ));
    let f = &report.findings;
    page.push_str("<dl class=\"cards\">");
    for (name, value) in [
        ("Items", int(s.items)),
        ("Annotators", int(s.annotators)),
        ("Annotations", int(s.annotations)),
        ("Errors", int(f.errors)),
        ("Warnings", int(f.warnings)),
        ("Gold items", int(s.gold_items)),
    ] {
        page.push_str(&format!("<div class=\"card\"><dt>{name}</dt><dd>{value}</dd></div>"));
    }
    page.push_str("</dl>");
    page.push_str(
        "<table><caption>Agreement by control</caption><thead><tr><th scope=\"col\">Control</th>\
         <th scope=\"col\">Type</th><th scope=\"col\">Measure</th><th scope=\"col\">Value</th>\
         <th scope=\"col\">Reading</th><th scope=\"col\">Shared items</th></tr></thead><tbody>",
    );
    for (i, c) in report.controls.iter().enumerate() {
        let (measure, value) = headline(c);
        page.push_str(&format!(
            "<tr><th scope=\"row\"><a href=\"#control-{i}\">{}</a></th><td>{}</td><td>{measure}</td>\
             <td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            esc(&c.name),
            esc(&c.kind),
            num(value),
            band(value),
            int(c.shared_items)
        ));
    }
    page.push_str("</tbody></table>");
    page.push_str(
        "<p class=\"note\">Reading: good from 0.8, tentative from 0.667 (Krippendorff's thresholds for α, \
         applied to F1 alike).</p>",
    );
}

/// A control's one headline number and its name.
fn headline(c: &ControlReport) -> (&'static str, Option<f64>) {
    match &c.agreement {
        Agreement::Choice(a) => ("Krippendorff's α", a.alpha),
        Agreement::Regions(a) => ("mean pairwise F1", a.mean_f1),
        Agreement::NotMeasured { .. } => ("not measured", None),
    }
}

fn control_section(page: &mut String, index: usize, c: &ControlReport, report: &Report) {
    page.push_str(&format!("<h2 id=\"control-{index}\">Control <code>{}</code> ({})</h2>", esc(&c.name), esc(&c.kind)));
    page.push_str(&format!(
        "<p class=\"lead\">{} answers; {} items done by two or more annotators.</p>",
        int(c.answers),
        int(c.shared_items)
    ));
    match &c.agreement {
        Agreement::Choice(a) => choice_section(page, index, c, a, report),
        Agreement::Regions(a) => region_section(page, index, c, a, report),
        Agreement::NotMeasured { reason } => {
            page.push_str(&format!("<p class=\"note\">Agreement not measured: {}.</p>", esc(reason)));
        }
    }
}

/// A table of named values: `rows` are (name, value text).
fn key_values(page: &mut String, caption: &str, rows: &[(&str, String)]) {
    page.push_str(&format!(
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">Measure</th><th scope=\"col\">Value</th></tr></thead><tbody>",
        esc(caption)
    ));
    for (name, value) in rows {
        // Numbers line up on the right; words read from the left.
        let numeric = value.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '—');
        let class = if numeric { " class=\"n\"" } else { "" };
        page.push_str(&format!("<tr><th scope=\"row\">{name}</th><td{class}>{value}</td></tr>"));
    }
    page.push_str("</tbody></table>");
}

fn choice_section(page: &mut String, index: usize, c: &ControlReport, a: &ChoiceAgreement, report: &Report) {
    key_values(
        page,
        "Agreement",
        &[
            ("Krippendorff's α (nominal)", num(a.alpha)),
            ("Fleiss' κ", num(a.fleiss_kappa)),
            ("Percent agreement", pct(a.percent)),
            ("Mean pairwise Cohen's κ", num(a.mean_cohen_kappa)),
        ],
    );
    for note in &a.notes {
        page.push_str(&format!("<p class=\"note\">{}</p>", esc(note)));
    }
    let pairs: Vec<(String, String, Option<f64>, usize)> =
        a.pairs.iter().map(|p| (p.a.clone(), p.b.clone(), p.cohen_kappa, p.items)).collect();
    page.push_str("<div class=\"figure\">");
    heatmap(page, &format!("heat-{index}"), &c.name, "Cohen's κ", &pairs, report);
    page.push_str(&format!(
        "<table><caption>Pairs of annotators</caption><thead><tr><th scope=\"col\">Annotator A</th>\
         <th scope=\"col\">Annotator B</th><th scope=\"col\">Shared items</th><th scope=\"col\">Agree</th>\
         <th scope=\"col\">Cohen's κ</th></tr></thead><tbody>{}</tbody></table>",
        a.pairs
            .iter()
            .take(PAIR_ROWS)
            .map(|p| format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&p.a),
                esc(&p.b),
                int(p.items),
                pct(Some(p.percent)),
                num(p.cohen_kappa)
            ))
            .collect::<String>()
    ));
    page.push_str("</div>");
    per_label(page, "Each label against the rest (Fleiss' κ)", &a.per_label);
    if let Some(consensus) = &a.consensus {
        page.push_str(&format!(
            "<h3>Consensus (Dawid–Skene, {} iterations{})</h3>",
            consensus.iterations,
            if consensus.converged { "" } else { ", stopped before converging" }
        ));
        confusion(page, index, &c.labels, &consensus.confusion, &consensus.label_counts);
    }
}

fn per_label(page: &mut String, caption: &str, rows: &[crate::report::LabelAgreement]) {
    page.push_str(&format!(
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">Label</th><th scope=\"col\">Count</th>\
         <th scope=\"col\">Agreement</th><th scope=\"col\">Reading</th></tr></thead><tbody>",
        esc(caption)
    ));
    for row in rows {
        page.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&row.label),
            int(row.count),
            num(row.value),
            band(row.value)
        ));
    }
    page.push_str("</tbody></table>");
}

/// The pairwise heatmap: annotators on both axes, the pair's value in each cell.
fn heatmap(
    page: &mut String,
    id: &str,
    control: &str,
    measure: &str,
    pairs: &[(String, String, Option<f64>, usize)],
    report: &Report,
) {
    let mut activity: Vec<(usize, usize)> = Vec::new();
    for (position, name) in report.annotators.iter().enumerate() {
        let shared: usize = pairs.iter().filter(|p| &p.0 == name || &p.1 == name).map(|p| p.3).sum();
        if shared > 0 {
            activity.push((position, shared));
        }
    }
    if activity.len() < 2 {
        return;
    }
    let capped = activity.len() > HEATMAP_ANNOTATORS;
    if capped {
        activity.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        activity.truncate(HEATMAP_ANNOTATORS);
        activity.sort_unstable();
    }
    let names: Vec<String> = activity.iter().map(|&(i, _)| report.annotators[i].clone()).collect();
    let value = |r: usize, c: usize| -> Option<(f64, String)> {
        if r == c {
            return Some((f64::NAN, "—".to_owned()));
        }
        let (a, b) = (&names[r], &names[c]);
        let pair = pairs.iter().find(|p| (&p.0 == a && &p.1 == b) || (&p.0 == b && &p.1 == a))?;
        pair.2.map(|v| (v, format!("{v:.2}")))
    };
    let title = format!("{measure} between annotators, control {control}");
    let desc = format!(
        "Heatmap of {measure} for every pair of annotators; darker is higher agreement; grey cells shared no item \
         or have no defined value."
    );
    let svg = matrix(
        &Matrix {
            id,
            title: &title,
            desc: &desc,
            rows: &names,
            columns: &names,
            row_axis: "annotator",
            column_axis: "annotator",
        },
        &value,
    );
    page.push_str(&format!(
        "<figure>{svg}<figcaption>{}{}</figcaption></figure>",
        esc(&title),
        if capped {
            format!(" (the {HEATMAP_ANNOTATORS} annotators with the most shared items)")
        } else {
            String::new()
        }
    ));
}

/// The confusion matrix of answers against the consensus, counts in cells, shaded by row share.
fn confusion(page: &mut String, index: usize, labels: &[String], counts: &[Vec<usize>], label_counts: &[usize]) {
    if labels.len() > CONFUSION_LABELS || labels.is_empty() {
        return;
    }
    let row_totals: Vec<usize> = counts.iter().map(|r| r.iter().sum()).collect();
    let value = |r: usize, c: usize| -> Option<(f64, String)> {
        let n = *counts.get(r)?.get(c)?;
        let total = row_totals.get(r).copied().unwrap_or(0);
        let share = if total == 0 { 0.0 } else { n as f64 / total as f64 };
        Some((share, n.to_string()))
    };
    let title = "Answers against the consensus label";
    let svg = matrix(
        &Matrix {
            id: &format!("confusion-{index}"),
            title,
            desc: "Confusion matrix: rows are the Dawid–Skene consensus label, columns the label an annotator gave; \
                   cells count answers, shaded by their share of the row.",
            rows: labels,
            columns: labels,
            row_axis: "consensus label",
            column_axis: "annotator's answer",
        },
        &value,
    );
    page.push_str("<div class=\"figure\">");
    page.push_str(&format!("<figure>{svg}<figcaption>{title}, pooled over annotators.</figcaption></figure>"));
    page.push_str(
        "<table><caption>Answers by consensus label</caption><thead><tr><th scope=\"col\">Consensus</th>\
         <th scope=\"col\">Items</th><th scope=\"col\">Answers</th><th scope=\"col\">Agreeing</th></tr></thead><tbody>",
    );
    for (r, label) in labels.iter().enumerate() {
        let agreeing = counts.get(r).and_then(|row| row.get(r)).copied().unwrap_or(0);
        let total = row_totals.get(r).copied().unwrap_or(0);
        page.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(label),
            int(label_counts.get(r).copied().unwrap_or(0)),
            int(total),
            pct((total > 0).then(|| agreeing as f64 / total as f64))
        ));
    }
    page.push_str("</tbody></table></div>");
}

fn region_section(page: &mut String, index: usize, c: &ControlReport, a: &RegionAgreement, report: &Report) {
    let mut rows = vec![("Regions pair when", esc(&a.matching)), ("Mean pairwise F1", num(a.mean_f1))];
    if a.mean_iou.is_some() {
        rows.push(("Mean IoU of matched boxes", num(a.mean_iou)));
    }
    key_values(page, "Agreement", &rows);
    for note in &a.notes {
        page.push_str(&format!("<p class=\"note\">{}</p>", esc(note)));
    }
    let pairs: Vec<(String, String, Option<f64>, usize)> =
        a.pairs.iter().map(|p| (p.a.clone(), p.b.clone(), p.f1, p.items)).collect();
    page.push_str("<div class=\"figure\">");
    heatmap(page, &format!("heat-{index}"), &c.name, "F1", &pairs, report);
    page.push_str(&format!(
        "<table><caption>Pairs of annotators</caption><thead><tr><th scope=\"col\">Annotator A</th>\
         <th scope=\"col\">Annotator B</th><th scope=\"col\">Items</th><th scope=\"col\">Regions A</th>\
         <th scope=\"col\">Regions B</th><th scope=\"col\">Matched</th><th scope=\"col\">F1</th>{}</tr></thead><tbody>{}</tbody></table>",
        if a.mean_iou.is_some() { "<th scope=\"col\">Mean IoU</th>" } else { "" },
        a.pairs
            .iter()
            .take(PAIR_ROWS)
            .map(|p| format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td>{}</tr>",
                esc(&p.a),
                esc(&p.b),
                int(p.items),
                int(p.regions_a),
                int(p.regions_b),
                int(p.matched),
                num(p.f1),
                if a.mean_iou.is_some() { format!("<td class=\"n\">{}</td>", num(p.mean_iou)) } else { String::new() }
            ))
            .collect::<String>()
    ));
    page.push_str("</div>");
    per_label(page, "Each label's regions (F1 over all pairs)", &a.per_label);
    if let Some(k) = &a.consensus {
        let support: String = k
            .by_support
            .iter()
            .enumerate()
            .map(|(n, count)| format!("{}: {}", n + 1, int(*count)))
            .collect::<Vec<_>>()
            .join(", ");
        key_values(
            page,
            &format!("Box consensus (IoU ≥ {})", k.threshold),
            &[
                ("Objects", int(k.objects)),
                ("Drawn by every annotator of the item", int(k.unanimous)),
                ("Drawn by a majority", int(k.majority)),
                ("Drawn by one annotator only", int(k.single)),
                ("Objects by number of annotators", esc(&support)),
                ("Mean IoU of members with the consensus box", num(k.mean_member_iou)),
            ],
        );
    }
}

fn annotators_section(page: &mut String, report: &Report) {
    page.push_str("<h2 id=\"annotators\">Annotators</h2>");
    let with_gold: Vec<&Scorecard> = report.scorecards.iter().filter(|s| s.gold.is_some()).collect();
    if !with_gold.is_empty() {
        let rows: Vec<Whisker> = with_gold
            .iter()
            .filter_map(|s| {
                let g = s.gold.as_ref()?;
                Some(Whisker { name: s.annotator.clone(), estimate: g.accuracy, low: g.low, high: g.high })
            })
            .collect();
        let confidence = with_gold.first().and_then(|s| s.gold.as_ref()).map_or(0.95, |g| g.confidence);
        let title = format!("Gold accuracy per annotator with {:.0}% Wilson intervals", confidence * 100.0);
        let svg = whiskers(
            "gold-ci",
            &title,
            "Dot: share of gold items passed; whiskers: the Wilson score interval.",
            "gold items passed",
            &rows,
        );
        page.push_str(&format!(
            "<div class=\"figure\"><figure>{svg}<figcaption>{}</figcaption></figure></div>",
            esc(&title)
        ));
    }
    page.push_str(
        "<table><caption>Scorecards</caption><thead><tr><th scope=\"col\">Annotator</th><th scope=\"col\">Items</th>\
         <th scope=\"col\">Regions</th><th scope=\"col\">Gold passed</th><th scope=\"col\">Gold accuracy</th>\
         <th scope=\"col\">Wilson interval</th><th scope=\"col\">Agreement with peers</th>\
         <th scope=\"col\">Agreement with consensus</th><th scope=\"col\">Errors</th><th scope=\"col\">Warnings</th>\
         <th scope=\"col\">Findings per 100 items</th></tr></thead><tbody>",
    );
    for s in &report.scorecards {
        let (passed, accuracy, interval) = match &s.gold {
            Some(g) => (
                format!("{} / {}", g.passed, g.scored),
                pct(Some(g.accuracy)),
                format!("{:.1}–{:.1}%", g.low * 100.0, g.high * 100.0),
            ),
            None => ("—".to_owned(), "—".to_owned(), "—".to_owned()),
        };
        page.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{passed}</td>\
             <td class=\"n\">{accuracy}</td><td class=\"n\">{interval}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}</td></tr>",
            esc(&s.annotator),
            int(s.items),
            int(s.regions),
            num(s.peer_agreement),
            pct(s.consensus_accuracy),
            int(s.errors),
            int(s.warnings),
            s.findings_per_100
        ));
    }
    page.push_str("</tbody></table>");
    page.push_str(
        "<p class=\"note\">Agreement with peers: per control the share of agreeing answer pairs (choices) or the F1 \
         of the annotator's regions against each peer's (regions), averaged over controls.</p>",
    );
}

fn findings_section(page: &mut String, report: &Report) {
    let f = &report.findings;
    page.push_str("<h2 id=\"findings\">Validation findings</h2>");
    page.push_str(&format!(
        "<p class=\"lead\">{}, {}; {} with at least one error.</p>",
        count(f.errors, "error", "errors"),
        count(f.warnings, "warning", "warnings"),
        count(f.annotations_with_errors, "annotation", "annotations"),
    ));
    if f.by_rule.is_empty() {
        return;
    }
    page.push_str(
        "<table><caption>Findings by rule</caption><thead><tr><th scope=\"col\">Rule</th><th scope=\"col\">Severity</th>\
         <th scope=\"col\">Findings</th><th scope=\"col\">Annotations</th><th scope=\"col\">Example messages</th></tr></thead><tbody>",
    );
    for r in &f.by_rule {
        let messages: String = r.messages.iter().map(|m| format!("<div>{}</div>", esc(m))).collect();
        page.push_str(&format!(
            "<tr><th scope=\"row\"><code>{}</code></th><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{messages}</td></tr>",
            esc(&r.code),
            esc(&r.severity),
            int(r.count),
            int(r.annotations)
        ));
    }
    page.push_str("</tbody></table>");
}

fn lowest_section(page: &mut String, report: &Report) {
    page.push_str("<h2 id=\"lowest\">Items with the lowest agreement</h2>");
    if report.lowest_agreement.is_empty() {
        page.push_str("<p class=\"note\">No item was done by two or more annotators.</p>");
        return;
    }
    page.push_str(
        "<p class=\"note\">Per item and control: the share of agreeing answer pairs (choices) or the F1 over all \
         pairs of annotators (regions).</p><table><caption>Lowest first</caption>\
         <thead><tr><th scope=\"col\">Item</th><th scope=\"col\">Control</th><th scope=\"col\">Annotators</th>\
         <th scope=\"col\">Agreement</th></tr></thead><tbody>",
    );
    for row in &report.lowest_agreement {
        page.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&row.item),
            esc(&row.control),
            int(row.annotators),
            num(Some(row.value))
        ));
    }
    page.push_str("</tbody></table>");
}
