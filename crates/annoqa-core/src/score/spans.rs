//! Text spans: candidates from a 1-D sweep, the staged matcher, feedback that quotes the text.
//!
//! A pair is within tolerance when its character IoU reaches `span_min_overlap` (default 1) or
//! both ends lie within `span_boundary_chars` (default 0). Stage 1 maximises the number of
//! matched spans (then their IoU), which is what the F1 score counts.

use super::outcome::{boundary_off, emit, labels, ControlOutcome, Said, Sides, Wording};
use super::report::{OffsetUnit, Offsets, Verdict};
use super::staged::{range_candidates, staged_match, Pairing};
use crate::matching::Objective;
use crate::{text, Control, Region, RegionValue, Tolerance};

fn range(value: &RegionValue) -> (usize, usize) {
    match value {
        RegionValue::TextSpan { start, end, .. } => (*start, *end),
        _ => (0, 0),
    }
}

struct SpanWords<'t> {
    text: &'t str,
}

impl SpanWords<'_> {
    fn quote(&self, value: &RegionValue) -> String {
        let (start, end) = range(value);
        text::slice(self.text, start, end).unwrap_or("").to_string()
    }

    fn offsets(sides: &Sides<'_>, pair: &Pairing) -> Offsets {
        let ((gs, ge), (ms, me)) = (range(sides.gold[pair.gold].value), range(sides.mine[pair.mine].value));
        Offsets { start: ms as i64 - gs as i64, end: me as i64 - ge as i64, unit: OffsetUnit::Chars }
    }
}

impl Wording for SpanWords<'_> {
    fn place(&self, sides: &Sides<'_>, gold: usize) -> String {
        let (start, end) = range(sides.gold[gold].value);
        format!("“{}” ({start}–{end})", self.quote(sides.gold[gold].value))
    }

    fn matched(&self, sides: &Sides<'_>, pair: &Pairing) -> (Verdict, Option<Said>) {
        let offsets = Self::offsets(sides, pair);
        let (g, m) = (&sides.gold[pair.gold], &sides.mine[pair.mine]);
        let note = (offsets.start != 0 || offsets.end != 0).then(|| Said {
            message: format!(
                "{} “{}”: accepted, boundary off by {} within tolerance (gold “{}”)",
                g.label,
                self.quote(m.value),
                offsets.start.abs() + offsets.end.abs(),
                self.quote(g.value)
            ),
            hint: Some(format!("{} “{}”: accepted, boundary slightly off", g.label, self.quote(m.value))),
        });
        (Verdict::Matched { offsets: Some(offsets) }, note)
    }

    fn low(&self, sides: &Sides<'_>, pair: &Pairing) -> (Verdict, Said) {
        let offsets = Self::offsets(sides, pair);
        let (g, m) = (&sides.gold[pair.gold], &sides.mine[pair.mine]);
        let message = format!(
            "{} “{}”: boundary off by {} (start {:+}, end {:+}); gold is “{}”",
            g.label,
            self.quote(m.value),
            offsets.start.abs() + offsets.end.abs(),
            offsets.start,
            offsets.end,
            self.quote(g.value)
        );
        boundary_off(offsets, pair.similarity, message, format!("{} “{}”", g.label, self.quote(m.value)))
    }

    fn wrong_label(&self, sides: &Sides<'_>, pair: &Pairing) -> Said {
        let (g, m) = (&sides.gold[pair.gold], &sides.mine[pair.mine]);
        Said {
            message: format!("“{}” is {}, not {}", self.quote(g.value), g.label, m.label),
            hint: Some(format!("check the label of “{}”", self.quote(m.value))),
        }
    }

    fn missed(&self, sides: &Sides<'_>, gold: usize) -> Said {
        let g = &sides.gold[gold];
        Said {
            message: format!("missed {} {}", g.label, self.place(sides, gold)),
            hint: Some(format!("a {} is missing", g.label)),
        }
    }

    fn extra(&self, sides: &Sides<'_>, mine: usize) -> Said {
        let m = &sides.mine[mine];
        Said { message: format!("“{}” is not marked {} in gold", self.quote(m.value), m.label), hint: None }
    }
}

pub(crate) fn score_spans(
    control: &Control,
    tolerance: &Tolerance,
    text: &str,
    mine: &[&Region],
    theirs: &[&Region],
) -> ControlOutcome {
    let sides = Sides::new(control, mine, theirs, "span");
    let as_range = |p: &super::outcome::Piece<'_>| {
        let (s, e) = range(p.value);
        (s as f64, e as f64)
    };
    let gold_ranges: Vec<(f64, f64)> = sides.gold.iter().map(as_range).collect();
    let mine_ranges: Vec<(f64, f64)> = sides.mine.iter().map(as_range).collect();
    let min_overlap = tolerance.span_min_overlap.unwrap_or(1.0);
    let boundary = i64::from(tolerance.span_boundary_chars.unwrap_or(0));
    let within = |g: usize, m: usize, iou: f64| {
        let ((gs, ge), (ms, me)) = (range(sides.gold[g].value), range(sides.mine[m].value));
        let (ds, de) = (ms as i64 - gs as i64, me as i64 - ge as i64);
        iou >= min_overlap || (ds.abs() <= boundary && de.abs() <= boundary)
    };
    let staged = staged_match(
        &labels(&sides.gold),
        &labels(&sides.mine),
        range_candidates(&gold_ranges, &mine_ranges),
        within,
        Objective::MaxPairsThenSimilarity,
    );
    emit(&sides, &staged, &SpanWords { text })
}
