//! Whole-item answers: choices (Jaccard index of the label sets, or a confusion cost for a
//! single choice) and pairwise preferences (the same choice as gold or not).

use super::outcome::{label_guideline, ControlOutcome};
use super::report::{Feedback, RegionVerdict, Verdict};
use crate::geometry::clamp_ordered;
use crate::order::sort_unstable;
use crate::{Control, Region, RegionValue};

fn sorted_labels<'a>(regions: &[&'a Region]) -> Vec<&'a str> {
    let mut labels: Vec<&str> = regions.iter().flat_map(|r| r.value.labels()).collect();
    sort_unstable(&mut labels);
    labels.dedup();
    labels
}

/// 1 for an exact match, 0 for a wrong single choice unless the control's `costs` make the
/// confusion cheaper.
pub(crate) fn score_choice(control: &Control, mine: &[&Region], theirs: &[&Region]) -> ControlOutcome {
    let (chosen, expected) = (sorted_labels(mine), sorted_labels(theirs));
    let both = chosen.iter().filter(|l| expected.contains(l)).count();
    let either = chosen.len() + expected.len() - both;
    let mut score = if either == 0 { 1.0 } else { both as f64 / either as f64 };
    if let ([e], [g]) = (expected.as_slice(), chosen.as_slice()) {
        // A single choice may have a cheaper confusion than "completely wrong".
        if e != g {
            let cost = control.costs.iter().find(|c| c.expected == *e && c.got == *g).map_or(1.0, |c| c.cost);
            score = 1.0 - clamp_ordered(cost, 0.0, 1.0);
        }
    }
    let mut out = ControlOutcome::scored(score);
    let what = if control.prompt.is_empty() { control.name.as_str() } else { control.prompt.as_str() };
    let verdict = if both == either {
        Verdict::Matched { offsets: None }
    } else if chosen.is_empty() {
        out.feedback.push(Feedback {
            message: format!("{what}: no answer; gold is {}", expected.join(", ")),
            hint: Some(format!("{what}: no answer")),
            guideline: control.guideline.clone(),
        });
        Verdict::Missed
    } else {
        let got = chosen.join(", ");
        out.feedback.push(Feedback {
            message: format!("{what}: you chose {got}; gold is {}", expected.join(", ")),
            hint: Some(format!("{what}: reconsider {got}")),
            guideline: expected.first().and_then(|l| label_guideline(control, l)),
        });
        Verdict::WrongLabel { expected: Some(expected.join(", ")), got }
    };
    out.verdicts.push(RegionVerdict {
        control: control.name.clone(),
        region: mine.first().map(|r| r.id.clone()),
        gold_region: theirs.first().map(|r| r.id.clone()),
        verdict,
    });
    out
}

/// Pairwise preference: the same choice as gold scores 1, anything else 0.
pub(crate) fn score_pairwise(control: &Control, mine: &[&Region], theirs: &[&Region]) -> ControlOutcome {
    let choice = |r: &Region| match &r.value {
        RegionValue::Pairwise { choice, .. } => Some(*choice),
        _ => None,
    };
    let expected = theirs.first().and_then(|r| choice(r));
    let got = mine.first().and_then(|r| choice(r));
    let (verdict, score) = match (expected, got) {
        (Some(e), Some(g)) if e == g => (Verdict::Matched { offsets: None }, 1.0),
        (Some(e), Some(g)) => (Verdict::WrongLabel { expected: Some(format!("{e:?}")), got: format!("{g:?}") }, 0.0),
        (_, None) => (Verdict::Missed, 0.0),
        (None, Some(_)) => (Verdict::Extra, 0.0),
    };
    let mut out = ControlOutcome::scored(score);
    if let Verdict::WrongLabel { expected: Some(expected), got } = &verdict {
        out.feedback.push(Feedback {
            message: format!("you preferred {got}; gold prefers {expected}"),
            hint: Some("compare the two answers again".into()),
            guideline: control.guideline.clone(),
        });
    }
    out.verdicts.push(RegionVerdict {
        control: control.name.clone(),
        region: mine.first().map(|r| r.id.clone()),
        gold_region: theirs.first().map(|r| r.id.clone()),
        verdict,
    });
    out
}
