//! Gold scoring: how far an annotation is from a gold answer, explained region by region.
//!
//! [`score_gold`] is the one scoring implementation: the browser calls it for instant feedback
//! on training items, the server calls it for the authoritative score of every gold item.
//! Every region kind pairs with gold through the one staged matcher ([`staged`]); a kind only
//! chooses its candidates, its tolerance test and its words.

mod audio;
mod choice;
mod outcome;
mod ranking;
pub mod report;
mod shapes;
mod spans;
pub mod staged;
mod text_area;
mod video;

pub use report::{
    ControlScore, Direction, Explanation, Feedback, GoldReport, OffsetUnit, Offsets, RegionVerdict, Verdict,
};

use crate::{ControlKind, Gold, Item, Media, Region, TaskSpec};
use outcome::ControlOutcome;

/// Check `regions` (an annotation of `item`) against `gold`.
pub fn score_gold(spec: &TaskSpec, item: &Item, gold: &Gold, regions: &[Region]) -> GoldReport {
    let mut controls = Vec::new();
    let mut verdicts = Vec::new();
    let mut feedback = Vec::new();
    for control in &spec.controls {
        let mine: Vec<&Region> =
            regions.iter().filter(|r| r.control == control.name && control.kind.accepts(&r.value)).collect();
        let theirs: Vec<&Region> = gold.answer.iter().filter(|r| r.control == control.name).collect();
        let tolerance = control.tolerance.overridden_by(gold.tolerance.get(&control.name));
        let whole_item =
            matches!(control.kind, ControlKind::Choice { .. } | ControlKind::TextArea | ControlKind::Ranker { .. });
        if theirs.is_empty() && (mine.is_empty() || whole_item) {
            // Nothing in gold and nothing drawn (or a whole-item answer gold leaves open): no
            // evidence either way.
            continue;
        }
        let outcome: ControlOutcome = match &control.kind {
            ControlKind::Choice { .. } => choice::score_choice(control, &mine, &theirs),
            ControlKind::TextSpans { .. } => {
                let Media::Text { text } = &item.media else { continue };
                spans::score_spans(control, &tolerance, text, &mine, &theirs)
            }
            ControlKind::BBox | ControlKind::VideoBoxes | ControlKind::Polygon => {
                shapes::score_shapes(control, &tolerance, &mine, &theirs)
            }
            ControlKind::Keypoint => shapes::score_keypoints(control, &tolerance, item, &mine, &theirs),
            ControlKind::AudioSegments { .. } => audio::score_audio(control, &tolerance, &mine, &theirs),
            ControlKind::VideoTracks => video::score_tracks_control(control, &tolerance, &mine, &theirs),
            ControlKind::VideoSegments => video::score_video_segments(control, &tolerance, &mine, &theirs),
            ControlKind::Pairwise { .. } => choice::score_pairwise(control, &mine, &theirs),
            ControlKind::TextArea => text_area::score_text_area(control, &tolerance, &mine, &theirs),
            ControlKind::Ranker { .. } => ranking::score_ranking(control, &mine, &theirs),
        };
        verdicts.extend(outcome.verdicts);
        feedback.extend(outcome.feedback);
        controls.push(ControlScore { control: control.name.clone(), score: outcome.score, metrics: outcome.metrics });
    }
    let score =
        if controls.is_empty() { 1.0 } else { controls.iter().map(|s| s.score).sum::<f64>() / controls.len() as f64 };
    let explanation = (!gold.explanation.is_empty())
        .then(|| Explanation { text: gold.explanation.clone(), guideline: gold.guideline.clone() });
    GoldReport {
        passed: score >= spec.pass_threshold,
        score,
        pass_threshold: spec.pass_threshold,
        controls,
        verdicts,
        explanation,
        feedback,
    }
}
