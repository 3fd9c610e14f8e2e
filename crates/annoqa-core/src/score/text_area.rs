//! Whole-item free text: the annotation's lines against gold's by word error rate.
//!
//! Definition: the lines of every text-area region of the control are joined with "\n" (on
//! each side, in region order), both texts go through the control's `normalization`, and the
//! WER of the annotation against gold ([`crate::transcript::word_errors`], jiwer's definition)
//! decides: at or below `tolerance.max_wer` (0.1 when unset) the control scores 1 and its
//! verdict is `matched`, above it 0 and `transcript_off`. No answer is `missed` (0); without a
//! gold text the control is not scored, as a choice.

use super::outcome::ControlOutcome;
use super::report::{Feedback, RegionVerdict, Verdict};
use crate::transcript::{word_errors, Normalization};
use crate::{Control, Region, RegionValue, Tolerance};

/// The lines of all text-area regions, joined with "\n".
fn joined_text(regions: &[&Region]) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for region in regions {
        if let RegionValue::TextArea { text } = &region.value {
            lines.extend(text.iter().map(String::as_str));
        }
    }
    lines.join("\n")
}

/// At most 80 characters of the normalised gold text, for the feedback line.
fn preview(text: &str, normalization: &Normalization) -> String {
    let normalized = normalization.apply(text);
    if normalized.chars().count() > 80 {
        format!("{}…", normalized.chars().take(80).collect::<String>())
    } else {
        normalized
    }
}

pub(crate) fn score_text_area(
    control: &Control,
    tolerance: &Tolerance,
    mine: &[&Region],
    theirs: &[&Region],
) -> ControlOutcome {
    let what = if control.prompt.is_empty() { control.name.as_str() } else { control.prompt.as_str() };
    let verdict = |verdict| RegionVerdict {
        control: control.name.clone(),
        region: mine.first().map(|r| r.id.clone()),
        gold_region: theirs.first().map(|r| r.id.clone()),
        verdict,
    };
    let mut out = ControlOutcome::scored(0.0);
    if mine.is_empty() || theirs.is_empty() {
        let (v, message, hint) = if mine.is_empty() {
            (Verdict::Missed, format!("{what}: no answer"), None)
        } else {
            (Verdict::Extra, format!("{what}: gold has no text here"), Some(format!("{what}: check this answer")))
        };
        out.feedback.push(Feedback { message, hint, guideline: control.guideline.clone() });
        out.verdicts.push(verdict(v));
        return out;
    }
    let normalization = control.normalization.clone().unwrap_or_default();
    let max_wer = tolerance.max_wer.unwrap_or(0.1);
    let reference = joined_text(theirs);
    let wer = word_errors(&reference, &joined_text(mine), &normalization).error_rate();
    out.metrics.insert("wer".into(), wer);
    if wer <= max_wer {
        out.score = 1.0;
        out.verdicts.push(verdict(Verdict::Matched { offsets: None }));
    } else {
        out.verdicts.push(verdict(Verdict::TranscriptOff { wer: Some(wer), cer: None }));
        out.feedback.push(Feedback {
            message: format!(
                "{what}: WER {:.0}% (at most {:.0}%); gold reads “{}”",
                wer * 100.0,
                max_wer * 100.0,
                preview(&reference, &normalization)
            ),
            hint: Some(format!("{what}: your text differs from gold: read the item again")),
            guideline: control.guideline.clone(),
        });
    }
    out
}
