use std::rc::Rc;

use annoqa_core::{ControlKind, Region, RegionValue, RegionVerdict, TaskSpec, Verdict};
use yew::{classes, component, html, AttrValue, Callback, Classes, Html, MouseEvent, Properties};

use super::{guideline_link, keep_focus};
use crate::spans::{render_span_text, SpanMark};
use crate::state::{GoldSource, GoldView};

#[derive(Properties, PartialEq)]
pub struct GoldReportProps {
    pub spec: Rc<TaskSpec>,
    pub text: AttrValue,
    /// The annotator's regions, as submitted.
    pub regions: Vec<Region>,
    pub gold: GoldView,
    /// The server has stored the answer, so moving on is safe.
    pub stored: bool,
    pub on_guideline: Callback<String>,
    pub on_next: Callback<()>,
}

/// The CSS class of a verdict: `verdict-matched`, `verdict-missed`, `verdict-extra`,
/// `verdict-wrong_label`, `verdict-boundary_off`.
pub(super) fn verdict_class(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Matched { .. } => "verdict-matched",
        Verdict::Missed => "verdict-missed",
        Verdict::Extra => "verdict-extra",
        Verdict::WrongLabel { .. } => "verdict-wrong_label",
        Verdict::BoundaryOff { .. } => "verdict-boundary_off",
        Verdict::LowOverlap { .. } => "verdict-low_overlap",
        Verdict::TranscriptOff { .. } => "verdict-transcript_off",
        Verdict::RankingOff { .. } => "verdict-ranking_off",
    }
}

fn verdict_words(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Matched { .. } => "matched",
        Verdict::Missed => "missed",
        Verdict::Extra => "not in gold",
        Verdict::WrongLabel { .. } => "wrong label",
        Verdict::BoundaryOff { .. } => "boundary off",
        Verdict::LowOverlap { .. } => "low overlap",
        Verdict::TranscriptOff { .. } => "transcript off",
        Verdict::RankingOff { .. } => "ranking off",
    }
}

/// `regions`' spans, each classed by the verdict `find` gives for its id.
fn marks_by_verdict<'a>(
    spec: &TaskSpec,
    regions: &[Region],
    verdicts: &'a [RegionVerdict],
    find: impl Fn(&'a RegionVerdict) -> Option<&'a str>,
) -> Vec<SpanMark> {
    SpanMark::from_regions(spec, regions)
        .into_iter()
        .map(|mut mark| {
            let verdict = verdicts.iter().find(|v| find(v).is_some() && find(v) == mark.region.as_deref());
            if let Some(verdict) = verdict {
                mark.classes.push(verdict_class(&verdict.verdict));
            }
            mark
        })
        .collect()
}

fn choice_labels(regions: &[Region], control: &str) -> Vec<String> {
    regions
        .iter()
        .filter(|r| r.control == control)
        .flat_map(|r| match &r.value {
            RegionValue::Choice { labels } => labels.clone(),
            _ => Vec::new(),
        })
        .collect()
}

/// How the annotation compares with gold: pass or fail, score, explanation, feedback and the
/// text marked twice, once with the annotator's spans and once with gold's, by verdict.
#[component]
pub fn GoldReportView(props: &GoldReportProps) -> Html {
    let gold = &props.gold;
    let report = &gold.report;
    let passed = report.passed;
    let percent = |x: f64| format!("{:.0}%", x * 100.0);

    let yours = marks_by_verdict(&props.spec, &props.regions, &report.verdicts, |v| v.region.as_deref());
    let theirs = marks_by_verdict(&props.spec, &gold.answer, &report.verdicts, |v| v.gold_region.as_deref());
    let has_spans = !yours.is_empty() || !theirs.is_empty();

    let choice_verdicts = report
        .verdicts
        .iter()
        .filter(|v| props.spec.control(&v.control).is_some_and(|c| matches!(c.kind, ControlKind::Choice { .. })));

    let source = match gold.source {
        GoldSource::Local => "local",
        GoldSource::Server => "server",
    };
    let on_next = props.on_next.clone();
    html! {
        <section id="gold-report" data-passed={passed.to_string()}
            data-score={report.score.to_string()} data-source={source}
            class={classes!(if passed { "passed" } else { "failed" })} aria-live="polite" tabindex="-1">
            <header class="gold-header">
                <span class={classes!("badge", if passed { "badge-pass" } else { "badge-fail" })}>
                    { if passed { "Passed" } else { "Not passed" } }
                </span>
                <span class="score">{ percent(report.score) }</span>
                <span class="threshold">{ format!("pass mark {}", percent(report.pass_threshold)) }</span>
                if gold.source == GoldSource::Local {
                    <span class="gold-source">{ "instant check: saving…" }</span>
                }
            </header>
            if let Some(explanation) = &report.explanation {
                <p class="explanation">
                    { explanation.text.clone() }
                    if let Some(anchor) = &explanation.guideline {
                        { " " }{ guideline_link(anchor, &props.on_guideline, "see guideline") }
                    }
                </p>
            }
            if !report.feedback.is_empty() {
                <ul class="feedback">
                    { for report.feedback.iter().map(|f| html! {
                        <li>
                            { f.message.clone() }
                            if let Some(anchor) = &f.guideline {
                                { " " }{ guideline_link(anchor, &props.on_guideline, "guideline") }
                            }
                        </li>
                    }) }
                </ul>
            }
            if has_spans {
                <div class="verdict-texts">
                    <figure>
                        <figcaption>{ "Your answer" }</figcaption>
                        <div class="verdict-text your-answer" dir="auto">
                            { render_span_text(&props.text, &yours) }
                        </div>
                    </figure>
                    if !gold.answer.is_empty() {
                        <figure>
                            <figcaption>{ "Gold" }</figcaption>
                            <div class="verdict-text gold-answer" dir="auto">
                                { render_span_text(&props.text, &theirs) }
                            </div>
                        </figure>
                    }
                </div>
                <p class="verdict-legend">
                    <span class="legend legend-matched">{ "matched" }</span>
                    <span class="legend legend-missed">{ "missed" }</span>
                    <span class="legend legend-extra">{ "not in gold" }</span>
                    <span class="legend legend-wrong_label">{ "wrong label" }</span>
                    <span class="legend legend-boundary_off">{ "boundary off" }</span>
                </p>
            }
            <ul class="choice-verdicts">
                { for choice_verdicts.map(|v| choice_row(props, v)) }
            </ul>
            <div class="gold-actions">
                if props.stored {
                    <button id="next-item" type="button" class="primary" onmousedown={keep_focus()}
                        onclick={Callback::from(move |_: MouseEvent| on_next.emit(()))}>
                        { "Next item" }<kbd>{ "Enter" }</kbd>
                    </button>
                } else {
                    <span class="saving">{ "Saving your answer…" }</span>
                }
            </div>
        </section>
    }
}

fn choice_row(props: &GoldReportProps, verdict: &RegionVerdict) -> Html {
    let control = props.spec.control(&verdict.control);
    let what =
        control.map_or(
            verdict.control.clone(),
            |c| {
                if c.prompt.is_empty() {
                    c.name.clone()
                } else {
                    c.prompt.clone()
                }
            },
        );
    let yours = choice_labels(&props.regions, &verdict.control);
    let gold = choice_labels(&props.gold.answer, &verdict.control);
    let yours = if yours.is_empty() { "nothing".to_string() } else { yours.join(", ") };
    let class: Classes = classes!("choice-verdict", verdict_class(&verdict.verdict));
    html! {
        <li class={class} data-control={verdict.control.clone()}>
            <span class="verdict-word">{ verdict_words(&verdict.verdict) }</span>
            // Under the `hints` and `score_only` reveal policies the gold answer is withheld.
            if gold.is_empty() {
                { format!("{what}: you chose {yours}") }
            } else {
                { format!("{what}: you chose {yours}; gold is {}", gold.join(", ")) }
            }
        </li>
    }
}
