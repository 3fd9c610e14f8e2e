//! Scorecards and bad-gold detection, with values worked out by hand and a seeded project.

use std::collections::BTreeSet;

use crate::rng::Rng;
use crate::trust::*;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() < tolerance
}

fn gold(passes: &[bool]) -> Vec<GoldResult> {
    passes.iter().enumerate().map(|(i, &passed)| GoldResult { item: format!("g{}", i + 1), passed }).collect()
}

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| c.to_string()).collect()
}

#[test]
fn scorecard_worked_example() {
    // Ten gold items, g3 and g7 failed; g7 awaits a coordinator, so 8 of 9 count.
    let mut passes = [true; 10];
    passes[2] = false;
    passes[6] = false;
    let input = ScorecardInput {
        annotator: "ann".into(),
        gold: gold(&passes),
        reviews: ReviewCounts { accepted: 6, fixed: 2, rejected: 2 },
        error_codes: codes(&[
            "wrong_label",
            "missing_region",
            "wrong_label",
            "loose_geometry",
            "missing_region",
            "wrong_label",
        ]),
        lead_times_ms: vec![4000, 1000, 3000, 2000],
        pre_annotation: PreAnnotationEdits { kept: 7, edited: 2, deleted: 1 },
        peer_agreement: vec![PeerAgreement { control: "objects".into(), measure: "pairwise_f1".into(), value: 0.8 }],
    };
    let pending: BTreeSet<String> = ["g7".to_string()].into();
    let card = scorecard(&input, &pending, &ScorecardSettings::default()).unwrap();
    assert_eq!(card.gold, GoldTally { passed: 8, counted: 9, pending: 1 });
    // Wilson 95 % for 8/9 (z = 1.959964): centre 0.772553, half-width 0.207555.
    let accuracy = card.accuracy.unwrap();
    assert!(close(accuracy.estimate, 8.0 / 9.0, 1e-12));
    assert!(close(accuracy.low, 0.565000, 1e-6) && close(accuracy.high, 0.980109, 1e-6));
    // SPRT 0.95 vs 0.8, α = β = 0.05: ln LR = 8·ln(0.95/0.8) + ln(0.05/0.2) = −0.011492, between
    // ±ln 19; (ln 19 + 0.011492) / ln(0.95/0.8) = 17.2 → 18 correct answers in a row pass.
    let q = card.qualification;
    assert_eq!(q.decision, QualificationDecision::KeepTesting);
    assert!(close(q.log_likelihood_ratio, -0.011_492_305_7, 1e-9));
    assert_eq!(q.items_to_pass_if_all_correct, Some(18));
    // At 8/9 accuracy the walk barely drifts: 43.896 more items on average (a simulation of
    // 200,000 annotators gave 43.95; Wald's overshoot-free approximation would say 36.3).
    assert!(close(q.expected_further_items.unwrap(), 43.896_169, 1e-5));
    assert!(close(card.review_acceptance.unwrap(), 0.6, 1e-12));
    let by_frequency: Vec<(&str, u64)> = card.error_codes.iter().map(|c| (c.code.as_str(), c.count)).collect();
    assert_eq!(by_frequency, [("wrong_label", 3), ("missing_region", 2), ("loose_geometry", 1)]);
    assert_eq!(card.median_lead_time_ms, Some(2500.0));
    assert!(close(card.pre_annotation_edit_rate.unwrap(), 0.3, 1e-12));
    assert_eq!(card.peer_agreement, input.peer_agreement);
    let json = serde_json::to_string(&card).unwrap();
    assert_eq!(serde_json::from_str::<Scorecard>(&json).unwrap(), card);
}

#[test]
fn qualification_before_and_after_a_decision() {
    let settings = ScorecardSettings::default();
    let fresh = scorecard(&ScorecardInput::default(), &BTreeSet::new(), &settings).unwrap();
    assert_eq!(fresh.accuracy, None);
    assert_eq!(fresh.qualification.decision, QualificationDecision::KeepTesting);
    assert_eq!(fresh.qualification.items_to_pass_if_all_correct, Some(18));
    assert_eq!(fresh.qualification.expected_further_items, None, "no accuracy to assume yet");
    assert_eq!(
        (fresh.review_acceptance, fresh.median_lead_time_ms, fresh.pre_annotation_edit_rate),
        (None, None, None)
    );
    // 5 of 5: 5 · 0.1719 = 0.859 of 2.944; a perfect annotator needs exactly 13 more.
    let perfect = ScorecardInput { gold: gold(&[true; 5]), ..Default::default() };
    let q = scorecard(&perfect, &BTreeSet::new(), &settings).unwrap().qualification;
    assert_eq!((q.items_to_pass_if_all_correct, q.expected_further_items), (Some(13), Some(13.0)));
    let passed = ScorecardInput { gold: gold(&[true; 18]), ..Default::default() };
    let q = scorecard(&passed, &BTreeSet::new(), &settings).unwrap().qualification;
    assert_eq!(
        (q.decision, q.items_to_pass_if_all_correct, q.expected_further_items),
        (QualificationDecision::Pass, None, None)
    );
    // A retried item counts once (its first result).
    let mut retried = gold(&[false, false, false]);
    retried.push(GoldResult { item: "g1".into(), passed: true });
    let card = scorecard(&ScorecardInput { gold: retried, ..Default::default() }, &BTreeSet::new(), &settings).unwrap();
    assert_eq!(card.gold, GoldTally { passed: 0, counted: 3, pending: 0 });
    assert_eq!(card.qualification.decision, QualificationDecision::Fail);
    let bad = ScorecardSettings { confidence: 1.0, ..settings };
    assert!(scorecard(&ScorecardInput::default(), &BTreeSet::new(), &bad).is_err());
    let nan_peer = ScorecardInput {
        peer_agreement: vec![PeerAgreement { control: "c".into(), measure: "kappa".into(), value: f64::NAN }],
        ..Default::default()
    };
    assert!(scorecard(&nan_peer, &BTreeSet::new(), &settings).is_err());
}

fn attempt(item: &str, annotator: &str, passed: bool, answer: &str) -> GoldAttempt {
    GoldAttempt { item: item.into(), annotator: annotator.into(), passed, answer: answer.into() }
}

/// A seeded project: 30 gold items whose true answer is one of four labels, 8 careful
/// annotators (97 % right) and 3 careless ones (55 %). Gold of `g13` is wrong: it says "dog"
/// where the truth is "cat", so careful annotators fail it by answering "cat". Gold of `g21` is
/// right but hard: the careless annotators all answer "cow" there, and so does one careful one.
fn seeded_project() -> Vec<GoldAttempt> {
    let labels = ["cat", "dog", "cow", "owl"];
    let mut rng = Rng::seed_from_u64(15);
    let mut truth: Vec<&str> = (0..30).map(|_| labels[rng.below(4) as usize]).collect();
    (truth[12], truth[20]) = ("cat", "owl");
    let mut attempts = Vec::new();
    for worker in 0..11 {
        let (name, accuracy) =
            if worker < 8 { (format!("careful{worker}"), 0.97) } else { (format!("careless{worker}"), 0.55) };
        for (i, &true_answer) in truth.iter().enumerate() {
            let item = format!("g{}", i + 1);
            let mut answer = if rng.next_f64() < accuracy { true_answer } else { labels[rng.below(4) as usize] };
            if item == "g21" && (worker >= 8 || worker == 0) {
                answer = "cow";
            }
            let gold = if item == "g13" { "dog" } else { true_answer };
            attempts.push(attempt(&item, &name, answer == gold, answer));
        }
    }
    attempts
}

#[test]
fn seeded_project_flags_exactly_the_wrong_gold() {
    let attempts = seeded_project();
    let suspects = suspect_gold(&attempts, &BadGoldRule::default()).unwrap();
    assert_eq!(suspects.iter().map(|s| s.item.as_str()).collect::<Vec<_>>(), ["g13"]);
    let g13 = &suspects[0];
    assert_eq!(g13.answer, "cat");
    assert!(
        g13.witnesses.len() >= 3
            && g13.witnesses.iter().all(|w| w.answer == "cat" && w.annotator.starts_with("careful"))
    );
    assert!(g13.witnesses.iter().all(|w| w.other_items == 29 && w.other_passed as f64 >= 0.9 * 29.0));
    assert_eq!(g13.reliable_failures[0], AnswerCount { answer: "cat".into(), count: g13.witnesses.len() });
    assert_eq!(g13.attempts, 11);
    // The hard item g21 is failed the same way by four, but only one of them is reliable.
    let g21: Vec<&GoldAttempt> = attempts.iter().filter(|a| a.item == "g21" && !a.passed).collect();
    assert!(g21.len() >= 4);

    // Until a coordinator decides, g13 counts against nobody: a careful annotator's accuracy
    // rises by exactly that item.
    let pending = pending_items(&suspects);
    let of = |name: &str| -> Vec<GoldResult> {
        attempts
            .iter()
            .filter(|a| a.annotator == name)
            .map(|a| GoldResult { item: a.item.clone(), passed: a.passed })
            .collect()
    };
    let witness = &g13.witnesses[0].annotator;
    let input = ScorecardInput { annotator: witness.clone(), gold: of(witness), ..Default::default() };
    let with = scorecard(&input, &BTreeSet::new(), &ScorecardSettings::default()).unwrap();
    let without = scorecard(&input, &pending, &ScorecardSettings::default()).unwrap();
    assert_eq!(without.gold.counted + 1, with.gold.counted);
    assert_eq!(without.gold.passed, with.gold.passed);
}

/// Item `x` failed by `failers` (name, answer), each with `others` other gold items all passed.
fn project(failers: &[(&str, &str)], others: usize) -> Vec<GoldAttempt> {
    let mut attempts = Vec::new();
    for (name, answer) in failers {
        attempts.push(attempt("x", name, false, answer));
        attempts.extend((0..others).map(|i| attempt(&format!("o{i}"), name, true, "right")));
    }
    attempts
}

#[test]
fn bad_gold_needs_enough_reliable_witnesses_who_agree() {
    let rule = BadGoldRule::default();
    let two = project(&[("a", "cat"), ("b", "cat")], 10);
    assert!(suspect_gold(&two, &rule).unwrap().is_empty(), "two witnesses are not enough");
    let three = project(&[("a", "cat"), ("b", "cat"), ("c", "cat")], 10);
    let found = suspect_gold(&three, &rule).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].witnesses.len(), found[0].witnesses[0].other_items), (3, 10));
    let new_annotators = project(&[("a", "cat"), ("b", "cat"), ("c", "cat")], 9);
    assert!(suspect_gold(&new_annotators, &rule).unwrap().is_empty(), "nine other items are too few to judge");
    // Two against two: no answer has three witnesses. With a rule of two, the first answer by
    // name is named, and both show as the reliable failures.
    let split = project(&[("a", "cow"), ("b", "cat"), ("c", "cow"), ("d", "cat")], 10);
    assert!(suspect_gold(&split, &rule).unwrap().is_empty());
    let found = suspect_gold(&split, &BadGoldRule { min_annotators: 2, ..rule }).unwrap();
    assert_eq!(found[0].answer, "cat");
    assert_eq!(found[0].witnesses.iter().map(|w| w.annotator.as_str()).collect::<Vec<_>>(), ["b", "d"]);
    let counts: Vec<(&str, usize)> = found[0].reliable_failures.iter().map(|c| (c.answer.as_str(), c.count)).collect();
    assert_eq!(counts, [("cat", 2), ("cow", 2)]);
    // An annotator who passes 8 of 10 other items is not reliable at 90 %.
    let mut shaky = project(&[("a", "cat"), ("b", "cat"), ("c", "cat")], 10);
    for a in shaky.iter_mut().filter(|a| a.annotator == "c" && (a.item == "o0" || a.item == "o1")) {
        a.passed = false;
    }
    assert!(suspect_gold(&shaky, &rule).unwrap().is_empty());
    assert!(suspect_gold(&[], &rule).unwrap().is_empty());
    assert!(suspect_gold(&three, &BadGoldRule { min_annotators: 0, ..rule }).is_err());
    assert!(suspect_gold(&three, &BadGoldRule { min_other_pass_rate: f64::NAN, ..rule }).is_err());
    assert!(suspect_gold(&three, &BadGoldRule { min_failure_share: 1.5, ..rule }).is_err());
}

#[test]
fn a_correct_item_many_pass_is_not_suspect_when_a_few_slip_alike() {
    let rule = BadGoldRule::default();
    // Three reliable annotators fail `x` with the same answer ...
    let mut attempts = project(&[("a", "cat"), ("b", "cat"), ("c", "cat")], 10);
    assert_eq!(suspect_gold(&attempts, &rule).unwrap().len(), 1);
    // ... and three more reliable ones pass it: half failed, still suspect.
    for name in ["p0", "p1", "p2"] {
        attempts.push(attempt("x", name, true, "dog"));
        attempts.extend((0..10).map(|i| attempt(&format!("o{i}"), name, true, "right")));
    }
    let found = suspect_gold(&attempts, &rule).unwrap();
    assert_eq!((found.len(), found[0].attempts, found[0].passed), (1, 6, 3));
    // A fourth passer: three failures of seven reliable attempts are under half.
    attempts.push(attempt("x", "p3", true, "dog"));
    attempts.extend((0..10).map(|i| attempt(&format!("o{i}"), "p3", true, "right")));
    assert!(suspect_gold(&attempts, &rule).unwrap().is_empty());
    // Passes by annotators who are not reliable do not dilute the share.
    let mut shaky = project(&[("a", "cat"), ("b", "cat"), ("c", "cat")], 10);
    for name in ["n0", "n1", "n2", "n3"] {
        shaky.push(attempt("x", name, true, "dog"));
    }
    assert_eq!(suspect_gold(&shaky, &rule).unwrap().len(), 1);
}
