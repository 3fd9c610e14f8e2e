//! From a staged matching to verdicts, feedback and a control score: the part every region
//! kind shares. A kind supplies its words through [`Wording`]; the verdict semantics and the
//! F1 score are the same for all.

use std::collections::BTreeMap;

use super::report::{Direction, Feedback, Offsets, RegionVerdict, Verdict};
use super::staged::{Pairing, Stage, Staged};
use crate::{Control, Region, RegionValue};

/// What one control's scorer produces.
pub(crate) struct ControlOutcome {
    pub score: f64,
    pub metrics: BTreeMap<String, f64>,
    pub verdicts: Vec<RegionVerdict>,
    pub feedback: Vec<Feedback>,
}

impl ControlOutcome {
    pub(crate) fn scored(score: f64) -> ControlOutcome {
        ControlOutcome { score, metrics: BTreeMap::new(), verdicts: Vec::new(), feedback: Vec::new() }
    }
}

/// F1 = 2·matched / (2·matched + errors); 1 when there is nothing either way.
pub(crate) fn f1(matched: usize, errors: usize) -> f64 {
    if matched + errors == 0 {
        1.0
    } else {
        (2 * matched) as f64 / (2 * matched + errors) as f64
    }
}

/// The guideline section of a label, else of its control.
pub(crate) fn label_guideline(control: &Control, label: &str) -> Option<String> {
    control.label(label).and_then(|l| l.guideline.clone()).or_else(|| control.guideline.clone())
}

/// A region as the scorers see it: its id, label and value.
pub(crate) struct Piece<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub value: &'a RegionValue,
}

pub(crate) fn pieces<'a>(regions: &[&'a Region]) -> Vec<Piece<'a>> {
    regions.iter().map(|r| Piece { id: &r.id, label: r.value.first_label().unwrap_or(""), value: &r.value }).collect()
}

pub(crate) fn labels<'a>(pieces: &[Piece<'a>]) -> Vec<&'a str> {
    pieces.iter().map(|p| p.label).collect()
}

/// Both sides of one control's matching.
pub(crate) struct Sides<'a> {
    pub control: &'a Control,
    pub gold: Vec<Piece<'a>>,
    pub mine: Vec<Piece<'a>>,
    /// e.g. "box", "polygon", "segment".
    pub noun: &'static str,
}

impl<'a> Sides<'a> {
    pub(crate) fn new(
        control: &'a Control,
        mine: &[&'a Region],
        theirs: &[&'a Region],
        noun: &'static str,
    ) -> Sides<'a> {
        Sides { control, gold: pieces(theirs), mine: pieces(mine), noun }
    }
}

/// A sentence and its gold-free form for the `hints` policy (`None`: it quotes nothing of gold).
pub(crate) struct Said {
    pub message: String,
    pub hint: Option<String>,
}

/// The words of one region kind. Defaults name regions by id; text spans quote their text.
pub(crate) trait Wording {
    /// Where a gold region lies, for "missed …" (e.g. "at (10, 20, 30×40)").
    fn place(&self, sides: &Sides<'_>, gold: usize) -> String;

    /// The verdict of a stage-1 pair and an optional note (e.g. a boundary off within tolerance).
    fn matched(&self, _sides: &Sides<'_>, _pair: &Pairing) -> (Verdict, Option<Said>) {
        (Verdict::Matched { offsets: None }, None)
    }

    /// The verdict of a stage-3 pair (same label, outside tolerance) and its sentence.
    fn low(&self, sides: &Sides<'_>, pair: &Pairing) -> (Verdict, Said);

    fn wrong_label(&self, sides: &Sides<'_>, pair: &Pairing) -> Said {
        let (g, m, noun) = (&sides.gold[pair.gold], &sides.mine[pair.mine], sides.noun);
        Said {
            message: format!("{noun} `{}` is {}, not {}", m.id, g.label, m.label),
            hint: Some(format!("check the label of {noun} `{}`", m.id)),
        }
    }

    fn missed(&self, sides: &Sides<'_>, gold: usize) -> Said {
        let (g, noun) = (&sides.gold[gold], sides.noun);
        Said {
            message: format!("missed {} {noun} {}", g.label, self.place(sides, gold)),
            hint: Some(format!("a {} {noun} is missing", g.label)),
        }
    }

    fn extra(&self, sides: &Sides<'_>, mine: usize) -> Said {
        let m = &sides.mine[mine];
        Said { message: format!("{} {} `{}` is not in gold", m.label, sides.noun, m.id), hint: None }
    }
}

/// Turns a staged matching into verdicts, feedback and the F1 score, where a wrong-label or
/// stage-3 pair counts as one miss and one extra.
pub(crate) fn emit(sides: &Sides<'_>, staged: &Staged, wording: &impl Wording) -> ControlOutcome {
    let control = sides.control;
    let mut out = ControlOutcome::scored(0.0);
    let (mut ok, mut errors) = (0, 0);
    let mut say = |said: Said, label: &str| {
        out.feedback.push(Feedback {
            message: said.message,
            hint: said.hint,
            guideline: label_guideline(control, label),
        })
    };
    let mut verdicts = Vec::new();
    for pair in &staged.pairs {
        let (g, m) = (&sides.gold[pair.gold], &sides.mine[pair.mine]);
        let verdict = match pair.stage {
            Stage::Matched => {
                ok += 1;
                let (verdict, note) = wording.matched(sides, pair);
                if let Some(note) = note {
                    say(note, g.label);
                }
                verdict
            }
            Stage::WrongLabel => {
                errors += 2;
                say(wording.wrong_label(sides, pair), g.label);
                Verdict::WrongLabel { expected: Some(g.label.to_string()), got: m.label.to_string() }
            }
            Stage::Low => {
                errors += 2;
                let (verdict, said) = wording.low(sides, pair);
                say(said, g.label);
                verdict
            }
        };
        verdicts.push(RegionVerdict {
            control: control.name.clone(),
            region: Some(m.id.to_string()),
            gold_region: Some(g.id.to_string()),
            verdict,
        });
    }
    for &gi in &staged.missed {
        errors += 1;
        say(wording.missed(sides, gi), sides.gold[gi].label);
        verdicts.push(RegionVerdict {
            control: control.name.clone(),
            region: None,
            gold_region: Some(sides.gold[gi].id.to_string()),
            verdict: Verdict::Missed,
        });
    }
    for &mi in &staged.extra {
        errors += 1;
        say(wording.extra(sides, mi), sides.mine[mi].label);
        verdicts.push(RegionVerdict {
            control: control.name.clone(),
            region: Some(sides.mine[mi].id.to_string()),
            gold_region: None,
            verdict: Verdict::Extra,
        });
    }
    out.verdicts = verdicts;
    out.score = f1(ok, errors);
    out
}

/// "starts too early and ends too late".
pub(crate) fn direction_words(directions: &[Direction]) -> String {
    let words: Vec<&str> = directions.iter().map(|d| d.words()).collect();
    if words.is_empty() {
        "is off".to_string()
    } else {
        words.join(" and ")
    }
}

/// The verdict and sentence of a stage-3 pair of ranged regions (spans, audio and video
/// segments): boundary off by `offsets`, whose directions alone make the gold-free hint about
/// `subject` (e.g. "speech segment `c`").
pub(crate) fn boundary_off(offsets: Offsets, overlap: f64, message: String, subject: String) -> (Verdict, Said) {
    let directions = offsets.directions();
    let hint = Some(format!("{subject} {}", direction_words(&directions)));
    (Verdict::BoundaryOff { offsets: Some(offsets), overlap: Some(overlap), directions }, Said { message, hint })
}
