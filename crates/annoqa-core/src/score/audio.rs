//! Audio segments: sed_eval's event-based matching (onset collar; offset collar or a fraction
//! of the gold length), maximising the number of matched events; then the transcripts of
//! matched segments by WER after normalisation.

use super::outcome::{boundary_off, emit, f1, labels, ControlOutcome, Said, Sides, Wording};
use super::report::{Feedback, OffsetUnit, Offsets, Verdict};
use super::staged::{dense_candidates, staged_match, Pairing, Stage};
use crate::events::{temporal_iou, Event, EventMatching, EventTolerance};
use crate::matching::Objective;
use crate::transcript::{char_errors, word_errors, EditCounts, Normalization};
use crate::{Control, ControlKind, Region, RegionValue, Tolerance};

fn times(value: &RegionValue) -> (f64, f64) {
    match value {
        RegionValue::AudioSegment { start, end, .. } => (*start, *end),
        _ => (f64::NAN, f64::NAN),
    }
}

fn transcript(value: &RegionValue) -> String {
    match value {
        RegionValue::AudioSegment { transcript, .. } => transcript.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

fn ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

fn offsets(sides: &Sides<'_>, pair: &Pairing) -> Offsets {
    let ((gs, ge), (s, e)) = (times(sides.gold[pair.gold].value), times(sides.mine[pair.mine].value));
    Offsets { start: ms(s - gs), end: ms(e - ge), unit: OffsetUnit::Ms }
}

struct AudioWords {
    collar_ms: f64,
}

impl Wording for AudioWords {
    fn place(&self, sides: &Sides<'_>, gold: usize) -> String {
        let (start, end) = times(sides.gold[gold].value);
        format!("at {start:.2}–{end:.2} s")
    }

    fn matched(&self, sides: &Sides<'_>, pair: &Pairing) -> (Verdict, Option<Said>) {
        (Verdict::Matched { offsets: Some(offsets(sides, pair)) }, None)
    }

    fn low(&self, sides: &Sides<'_>, pair: &Pairing) -> (Verdict, Said) {
        let o = offsets(sides, pair);
        let m = &sides.mine[pair.mine];
        let message = format!(
            "{} segment `{}`: onset off by {:+} ms, offset by {:+} ms (collar {:.0} ms)",
            m.label, m.id, o.start, o.end, self.collar_ms
        );
        boundary_off(o, pair.similarity, message, format!("{} segment `{}`", m.label, m.id))
    }
}

fn event<'a>(value: &RegionValue, label: &'a str) -> Event<'a> {
    let (onset, offset) = times(value);
    Event { onset, offset, label }
}

pub(crate) fn score_audio(
    control: &Control,
    tolerance: &Tolerance,
    mine: &[&Region],
    theirs: &[&Region],
) -> ControlOutcome {
    let sides = Sides::new(control, mine, theirs, "segment");
    let events_tolerance = EventTolerance {
        t_collar: tolerance.collar_ms.unwrap_or(200.0) / 1000.0,
        percentage_of_length: tolerance.offset_length_ratio.unwrap_or(0.5),
        evaluate_onset: true,
        evaluate_offset: true,
        matching: EventMatching::Optimal,
    };
    let times_match = |g: usize, m: usize| {
        let (gp, mp) = (&sides.gold[g], &sides.mine[m]);
        events_tolerance.times_match(&event(gp.value, gp.label), &event(mp.value, mp.label))
    };
    let candidates = dense_candidates(sides.gold.len(), sides.mine.len(), |g, m| {
        // A pair that meets the collars is always a candidate, even when the segments do not
        // overlap (very short events).
        let iou = temporal_iou(times(sides.gold[g].value), times(sides.mine[m].value));
        if times_match(g, m) {
            iou.max(f64::MIN_POSITIVE)
        } else {
            iou
        }
    });
    let staged = staged_match(
        &labels(&sides.gold),
        &labels(&sides.mine),
        candidates,
        |g, m, _| times_match(g, m),
        Objective::MaxPairsThenSimilarity,
    );
    let mut outcome = emit(&sides, &staged, &AudioWords { collar_ms: events_tolerance.t_collar * 1000.0 });
    let true_positives = staged.matched();
    outcome
        .metrics
        .insert("event_f1".into(), f1(true_positives, sides.gold.len() + sides.mine.len() - 2 * true_positives));
    if matches!(control.kind, ControlKind::AudioSegments { transcript: true }) {
        score_transcripts(&sides, &staged.pairs, tolerance, &mut outcome, true_positives);
    }
    outcome
}

/// Transcripts of matched segments: a matched segment whose WER exceeds `max_wer` becomes
/// `transcript_off` and counts half right (one error on each side).
fn score_transcripts(
    sides: &Sides<'_>,
    pairs: &[Pairing],
    tolerance: &Tolerance,
    outcome: &mut ControlOutcome,
    true_positives: usize,
) {
    let control = sides.control;
    let normalization = control.normalization.clone().unwrap_or_default();
    let max_wer = tolerance.max_wer.unwrap_or(0.1);
    let (mut words, mut chars) = (Vec::new(), Vec::new());
    let mut off = 0;
    // `emit` writes the pairs' verdicts first, in the order of `pairs`.
    for (verdict, pair) in outcome.verdicts.iter_mut().zip(pairs) {
        if pair.stage != Stage::Matched {
            continue;
        }
        let m = &sides.mine[pair.mine];
        let (reference, hypothesis) = (transcript(sides.gold[pair.gold].value), transcript(m.value));
        let w = word_errors(&reference, &hypothesis, &normalization);
        let c = char_errors(&reference, &hypothesis, &normalization);
        let (wer, cer) = (w.error_rate(), c.error_rate());
        words.push(w);
        chars.push(c);
        if wer > max_wer {
            off += 1;
            verdict.verdict = Verdict::TranscriptOff { wer: Some(wer), cer: Some(cer) };
            outcome.feedback.push(Feedback {
                message: format!(
                    "transcript of `{}`: WER {:.0}% (at most {:.0}%); gold reads “{}”",
                    m.id,
                    wer * 100.0,
                    max_wer * 100.0,
                    normalization_preview(&reference, &normalization)
                ),
                hint: Some(format!("transcript of `{}` differs from gold: listen again", m.id)),
                guideline: control.guideline.clone(),
            });
        }
    }
    outcome.metrics.insert("wer".into(), corpus_rate(&words));
    outcome.metrics.insert("cer".into(), corpus_rate(&chars));
    let matched = true_positives - off;
    outcome.score = f1(matched, sides.gold.len() + sides.mine.len() - 2 * matched);
}

/// Errors over reference length, summed over segments (jiwer's corpus rate).
fn corpus_rate(counts: &[EditCounts]) -> f64 {
    let errors: usize = counts.iter().map(|c| c.errors()).sum();
    let reference: usize = counts.iter().map(|c| c.reference_len()).sum();
    if reference == 0 {
        errors as f64
    } else {
        errors as f64 / reference as f64
    }
}

fn normalization_preview(text: &str, normalization: &Normalization) -> String {
    let normalized = normalization.apply(text);
    if normalized.chars().count() > 80 {
        format!("{}…", normalized.chars().take(80).collect::<String>())
    } else {
        normalized
    }
}
