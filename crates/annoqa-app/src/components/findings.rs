use annoqa_core::{Finding, Severity};
use yew::{classes, component, html, Callback, Html, MouseEvent, NodeRef, Properties};

use super::{guideline_link, keep_focus};

#[derive(Properties, PartialEq)]
pub struct FindingsPanelProps {
    pub findings: Vec<Finding>,
    /// `#findings`, so submit can move focus here when errors block it.
    pub node_ref: NodeRef,
    pub on_guideline: Callback<String>,
    /// Shows a finding's region (selects it and brings it into view).
    #[prop_or_default]
    pub on_region: Option<Callback<String>>,
}

pub(super) fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "finding-error",
        Severity::Warning => "finding-warning",
    }
}

/// The live check of the annotation: what `annoqa_core::validate` finds, as the annotator edits.
#[component]
pub fn FindingsPanel(props: &FindingsPanelProps) -> Html {
    let errors = props.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = props.findings.len() - errors;
    let summary = match (errors, warnings) {
        (0, 0) => "No problems found.".to_string(),
        (e, 0) => format!("{e} error{} to fix before submitting.", plural(e)),
        (0, w) => format!("{w} warning{}: submitting asks for a confirmation.", plural(w)),
        (e, w) => format!("{e} error{} and {w} warning{}.", plural(e), plural(w)),
    };
    html! {
        <section id="findings" ref={props.node_ref.clone()} tabindex="-1" aria-live="polite"
            class={classes!((errors > 0).then_some("has-errors"))}>
            <h2>{ "Checks" }</h2>
            <p class="findings-summary">{ summary }</p>
            if !props.findings.is_empty() {
                <ul class="finding-list">
                    { for props.findings.iter().map(|f| finding_row(f, &props.on_guideline, props.on_region.as_ref())) }
                </ul>
            }
        </section>
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub(crate) fn finding_row(
    finding: &Finding,
    on_guideline: &Callback<String>,
    on_region: Option<&Callback<String>>,
) -> Html {
    let severity = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    html! {
        <li class={classes!("finding", severity_class(finding.severity))} data-code={finding.code.clone()}
            data-regions={finding.regions.join(" ")}>
            <span class="severity">{ severity }</span>
            <span class="message">{ finding.message.clone() }</span>
            if let (Some(on_region), Some(region)) = (on_region, finding.regions.first()) {
                <button type="button" class="finding-show" onmousedown={keep_focus()}
                    onclick={on_region.reform({ let region = region.clone(); move |_: MouseEvent| region.clone() })}>
                    { "show" }
                </button>
            }
            if let Some(anchor) = &finding.guideline {
                { guideline_link(anchor, on_guideline, "see guideline") }
            }
        </li>
    }
}
