//! ISO 2859-1 sampling plans and review samples.

use crate::sampling::*;
use crate::StatsError;

fn letter(lot: u64, level: InspectionLevel) -> char {
    CODE_LETTERS[code_letter(lot, level).unwrap()]
}

#[test]
fn code_letters_follow_table_1() {
    // ISO 2859-1 Table 1 / ANSI Z1.4 Table I, spot checks across levels and row boundaries.
    assert_eq!(letter(1000, InspectionLevel::II), 'J');
    assert_eq!(letter(2, InspectionLevel::III), 'B');
    assert_eq!(letter(8, InspectionLevel::II), 'A');
    assert_eq!(letter(9, InspectionLevel::II), 'B');
    assert_eq!(letter(500, InspectionLevel::I), 'F');
    assert_eq!(letter(501, InspectionLevel::I), 'G');
    assert_eq!(letter(3200, InspectionLevel::S4), 'G');
    assert_eq!(letter(35_001, InspectionLevel::S3), 'G');
    assert_eq!(letter(10_000_000, InspectionLevel::III), 'R');
    assert_eq!(letter(10_000_000, InspectionLevel::S1), 'D');
    assert!(code_letter(1, InspectionLevel::II).is_err());
    // The whole level II column, row by row.
    let lots = [8, 15, 25, 50, 90, 150, 280, 500, 1200, 3200, 10_000, 35_000, 150_000, 500_000, 500_001];
    let column: String = lots.iter().map(|&lot| letter(lot, InspectionLevel::II)).collect();
    assert_eq!(column, "ABCDEFGHJKLMNPQ");
}

fn plan(lot: u64, aql: f64) -> (char, char, u64, u32, u32) {
    let p = single_sampling_plan(lot, aql, InspectionLevel::II, Inspection::Normal).unwrap();
    (p.code_letter, p.plan_letter, p.sample_size, p.accept, p.reject)
}

#[test]
fn normal_plans_follow_table_2a() {
    // Lot 1000 at level II is J, n = 80; AQL 1.0 → Ac 2, Re 3 (ISO 2859-1 Table 2-A).
    assert_eq!(plan(1000, 1.0), ('J', 'J', 80, 2, 3));
    // The J row across the AQLs: 2.5 → 5/6, 4.0 → 7/8, 6.5 → 10/11, 0.65 → 1/2, 1.5 → 3/4.
    assert_eq!(plan(1000, 2.5), ('J', 'J', 80, 5, 6));
    assert_eq!(plan(1000, 4.0), ('J', 'J', 80, 7, 8));
    assert_eq!(plan(1000, 6.5), ('J', 'J', 80, 10, 11));
    assert_eq!(plan(1000, 0.65), ('J', 'J', 80, 1, 2));
    assert_eq!(plan(1000, 1.5), ('J', 'J', 80, 3, 4));
    // 0.15 is J's 0/1 plan; 0.25 is ↑ (back to H's 0/1, n = 50); 0.40 is ↓ (K's 1/2, n = 125).
    assert_eq!(plan(1000, 0.15), ('J', 'J', 80, 0, 1));
    assert_eq!(plan(1000, 0.25), ('J', 'H', 50, 0, 1));
    assert_eq!(plan(1000, 0.40), ('J', 'K', 125, 1, 2));
    // Below the 0/1 diagonal every arrow points down: AQL 0.010 at J → Q's 0/1, n = 1250, which
    // exceeds the lot, so all 1000 items are inspected.
    assert_eq!(plan(1000, 0.010), ('J', 'Q', 1000, 0, 1));
    // Past 21/22 the arrow points up: lot 200,000 (P, n = 800) at AQL 6.5 → L's 21/22, n = 200.
    assert_eq!(plan(200_000, 6.5), ('P', 'L', 200, 21, 22));
    // Small lot: lot 40 (D, n = 8) at AQL 2.5 is ↑ → C's 0/1, n = 5; at 4.0 ↓ → E's 1/2, n = 13.
    assert_eq!(plan(40, 2.5), ('D', 'C', 5, 0, 1));
    assert_eq!(plan(40, 4.0), ('D', 'E', 13, 1, 2));
}

#[test]
fn normal_plans_match_published_cells() {
    // Cells of Table 2-A (AQL 1.0–6.5) as transcribed in a public AQL calculator: every plan
    // cell there is reproduced by the diagonal rule.
    let cells = [
        ('A', 6.5, 0, 1),
        ('B', 4.0, 0, 1),
        ('C', 2.5, 0, 1),
        ('D', 1.5, 0, 1),
        ('D', 6.5, 1, 2),
        ('E', 1.0, 0, 1),
        ('E', 4.0, 1, 2),
        ('E', 6.5, 2, 3),
        ('F', 2.5, 1, 2),
        ('F', 4.0, 2, 3),
        ('F', 6.5, 3, 4),
        ('G', 1.5, 1, 2),
        ('G', 2.5, 2, 3),
        ('G', 4.0, 3, 4),
        ('G', 6.5, 5, 6),
        ('H', 1.0, 1, 2),
        ('H', 1.5, 2, 3),
        ('H', 2.5, 3, 4),
        ('H', 4.0, 5, 6),
        ('H', 6.5, 7, 8),
        ('K', 1.0, 3, 4),
        ('K', 1.5, 5, 6),
        ('K', 2.5, 7, 8),
        ('K', 4.0, 10, 11),
        ('K', 6.5, 14, 15),
        ('L', 1.0, 5, 6),
        ('L', 1.5, 7, 8),
        ('L', 2.5, 10, 11),
        ('L', 4.0, 14, 15),
        ('L', 6.5, 21, 22),
        ('M', 1.0, 7, 8),
        ('M', 1.5, 10, 11),
        ('M', 2.5, 14, 15),
        ('M', 4.0, 21, 22),
        ('N', 1.0, 10, 11),
        ('N', 1.5, 14, 15),
        ('N', 2.5, 21, 22),
        ('P', 1.0, 14, 15),
        ('P', 1.5, 21, 22),
        ('Q', 1.0, 21, 22),
    ];
    // A level II lot for every letter (A … Q).
    let lots = [8, 15, 25, 50, 90, 150, 280, 500, 1200, 3200, 10_000, 35_000, 150_000, 500_000, 500_001];
    for (letter, aql, ac, re) in cells {
        let lot = lots[CODE_LETTERS.iter().position(|c| *c == letter).unwrap()];
        let got = plan(lot, aql);
        assert_eq!((got.1, got.3, got.4), (letter, ac, re), "{letter} at AQL {aql}");
    }
}

#[test]
fn sampling_plan_errors_and_small_lots() {
    assert!(single_sampling_plan(1000, 0.3, InspectionLevel::II, Inspection::Normal).is_err());
    // Lot 3 at level II is A (n = 2) with AQL 10 → C's 1/2, n = 5 ≥ lot: inspect all 3.
    let p = single_sampling_plan(3, 10.0, InspectionLevel::II, Inspection::Normal).unwrap();
    assert_eq!((p.plan_letter, p.sample_size, p.inspect_all, p.accept), ('C', 3, true, 1));
}

#[test]
fn random_sample_is_seeded_and_distinct() {
    let a = random_sample(100, 10, 42);
    assert_eq!(a, random_sample(100, 10, 42));
    assert_ne!(a, random_sample(100, 10, 43));
    let mut sorted = a.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 10);
    assert!(a.iter().all(|&i| i < 100));
    assert_eq!(random_sample(5, 10, 1).len(), 5);
}

#[test]
fn stratified_sample_is_proportional_and_covers_small_strata() {
    // 80 items of annotator 0, 15 of annotator 1, 5 of annotator 2; sample 20.
    let strata: Vec<u32> = (0..100)
        .map(|i| {
            if i < 80 {
                0
            } else if i < 95 {
                1
            } else {
                2
            }
        })
        .collect();
    let sample = stratified_sample(&strata, 20, 7);
    assert_eq!(sample.len(), 20);
    let count = |s: u32| sample.iter().filter(|&&i| strata[i] == s).count();
    // One each first, then 17 more by remaining size 79 : 14 : 4 → 13.85 : 2.45 : 0.70, so 13, 2, 0
    // plus the two largest remainders (0.85, 0.70): 15, 3, 2 in all.
    assert_eq!((count(0), count(1), count(2)), (15, 3, 2));
    assert_eq!(sample, stratified_sample(&strata, 20, 7));
    // Fewer items than strata: the largest strata win.
    let small = stratified_sample(&strata, 2, 7);
    assert_eq!(small.iter().map(|&i| strata[i]).collect::<Vec<_>>(), [0, 1]);
}

#[test]
fn risk_weighted_sample_prefers_risky_items() {
    // Item 0 is 50 times riskier than each of the others; over many seeds it is nearly always in.
    let mut risk = vec![1.0; 50];
    risk[0] = 50.0;
    let hits = (0..200).filter(|&seed| risk_weighted_sample(&risk, 5, seed).unwrap().contains(&0)).count();
    assert!(hits > 190, "item 0 drawn in {hits} of 200 samples");
    // Zero risk is drawn last; negative risk is an error.
    let picked = risk_weighted_sample(&[0.0, 1.0, 0.0, 2.0], 2, 3).unwrap();
    let mut picked_sorted = picked.clone();
    picked_sorted.sort_unstable();
    assert_eq!(picked_sorted, [1, 3]);
    assert!(risk_weighted_sample(&[1.0, -1.0], 1, 0).is_err());
}

#[test]
fn normal_plans_match_a_second_published_transcription() {
    // A MIL-STD-105E Table II-A excerpt for level II, AQL 0.65–15 (a facilities-management
    // guide's "Table 1-A"), which prints the rejection number of every plan cell and arrows
    // elsewhere. Row by row, `Some(re)` is a plan cell and `None` an arrow.
    let aqls = [0.65, 1.0, 1.5, 2.5, 4.0, 6.5, 10.0];
    let rows: [(char, [Option<u32>; 7]); 8] = [
        ('E', [None, Some(1), None, None, Some(2), Some(3), Some(4)]),
        ('F', [Some(1), None, None, Some(2), Some(3), Some(4), Some(6)]),
        ('G', [None, None, Some(2), Some(3), Some(4), Some(6), Some(8)]),
        ('H', [None, Some(2), Some(3), Some(4), Some(6), Some(8), Some(11)]),
        ('J', [Some(2), Some(3), Some(4), Some(6), Some(8), Some(11), Some(15)]),
        ('K', [Some(3), Some(4), Some(6), Some(8), Some(11), Some(15), Some(22)]),
        ('L', [Some(4), Some(6), Some(8), Some(11), Some(15), Some(22), None]),
        ('M', [Some(6), Some(8), Some(11), Some(15), Some(22), None, None]),
    ];
    let lots = [8, 15, 25, 50, 90, 150, 280, 500, 1200, 3200, 10_000, 35_000, 150_000, 500_000, 500_001];
    for (letter, cells) in rows {
        let lot = lots[CODE_LETTERS.iter().position(|c| *c == letter).unwrap()];
        for (aql, cell) in aqls.iter().zip(cells) {
            let got = single_sampling_plan(lot, *aql, InspectionLevel::II, Inspection::Normal).unwrap();
            match cell {
                Some(re) => assert_eq!((got.plan_letter, got.reject), (letter, re), "{letter} at AQL {aql}"),
                None => assert_ne!(got.plan_letter, letter, "{letter} at AQL {aql} should follow an arrow"),
            }
        }
    }
}

/// Every inspection level of Table 1.
const LEVELS: [InspectionLevel; 7] = [
    InspectionLevel::S1,
    InspectionLevel::S2,
    InspectionLevel::S3,
    InspectionLevel::S4,
    InspectionLevel::I,
    InspectionLevel::II,
    InspectionLevel::III,
];

#[test]
fn every_lot_level_and_aql_gives_a_plan_or_an_error() {
    // One lot per row of Table 1, every level, every AQL, every kind of inspection: no panic,
    // and every plan is sane.
    let lots = [8, 15, 25, 50, 90, 150, 280, 500, 1200, 3200, 10_000, 35_000, 150_000, 500_000, 500_001];
    let mut errors = Vec::new();
    for inspection in [Inspection::Normal, Inspection::Tightened, Inspection::Reduced] {
        for lot in lots {
            for level in LEVELS {
                for aql in AQLS {
                    match single_sampling_plan(lot, aql, level, inspection) {
                        Ok(p) => {
                            if inspection == Inspection::Reduced {
                                assert!(p.reject > p.accept && p.reject <= p.accept + 3, "{p:?}");
                            } else {
                                assert_eq!(p.reject, p.accept + 1);
                            }
                            assert!(p.sample_size <= lot && p.sample_size >= 2);
                            assert_eq!(p.inspect_all, p.sample_size == lot);
                        }
                        Err(_) => errors.push((inspection, lot, level, aql)),
                    }
                }
            }
        }
    }
    // Every cell has a plan: row R's cells that the diagonals would make ↓ point ↑ (Table 2-B
    // has row S there).
    assert_eq!(errors, []);
    // R at AQL 0.015: ↑ past Q's ↑ to P's 0/1, n = 800 (normal) or 315 (reduced).
    let normal = single_sampling_plan(500_001, 0.015, InspectionLevel::III, Inspection::Normal).unwrap();
    assert_eq!((normal.plan_letter, normal.sample_size, normal.accept, normal.reject), ('P', 800, 0, 1));
    let reduced = single_sampling_plan(500_001, 0.015, InspectionLevel::III, Inspection::Reduced).unwrap();
    assert_eq!((reduced.plan_letter, reduced.sample_size, reduced.accept, reduced.reject), ('P', 315, 0, 1));
}

/// A level II lot for every letter A … R.
const LEVEL_II_LOTS: [u64; 16] =
    [8, 15, 25, 50, 90, 150, 280, 500, 1200, 3200, 10_000, 35_000, 150_000, 500_000, 500_001, 500_001];

fn plan_with(letter: char, aql: f64, inspection: Inspection) -> SamplingPlan {
    plan_in(Standard::AnsiZ14, letter, aql, inspection).unwrap()
}

/// The plan for a lot whose code letter is `letter`, from `standard`'s tables.
fn plan_in(standard: Standard, letter: char, aql: f64, inspection: Inspection) -> Result<SamplingPlan, StatsError> {
    let index = CODE_LETTERS.iter().position(|c| *c == letter).unwrap();
    let level = if letter == 'R' { InspectionLevel::III } else { InspectionLevel::II };
    let lot = if letter == 'R' { 10_000_000 } else { LEVEL_II_LOTS[index] };
    assert_eq!(CODE_LETTERS[code_letter(lot, level).unwrap()], letter);
    single_sampling_plan_in(standard, lot, aql, level, inspection)
}

#[test]
fn tightened_plans_follow_table_2b() {
    // MIL-STD-105E Table II-B as transcribed in the National Institute of Building Sciences'
    // "Table 1-B, Single Tightened" (nibs.org/FMOC/DPW_AC/AC-TABLE.ASC), which prints the
    // rejection number of every plan cell for AQL 0.65–15 and arrows elsewhere. Row by row,
    // `Some(re)` is a plan cell of that row and `None` an arrow.
    let aqls = [0.65, 1.0, 1.5, 2.5, 4.0, 6.5, 10.0];
    let rows: [(char, [Option<u32>; 7]); 12] = [
        ('A', [None, None, None, None, None, None, None]),
        ('B', [None, None, None, None, None, Some(1), None]),
        ('C', [None, None, None, None, Some(1), None, None]),
        ('D', [None, None, None, Some(1), None, None, Some(2)]),
        ('E', [None, None, Some(1), None, None, Some(2), Some(3)]),
        ('F', [None, Some(1), None, None, Some(2), Some(3), Some(4)]),
        ('G', [Some(1), None, None, Some(2), Some(3), Some(4), Some(6)]),
        ('H', [None, None, Some(2), Some(3), Some(4), Some(6), Some(9)]),
        ('J', [None, Some(2), Some(3), Some(4), Some(6), Some(9), Some(13)]),
        ('K', [Some(2), Some(3), Some(4), Some(6), Some(9), Some(13), Some(19)]),
        ('L', [Some(3), Some(4), Some(6), Some(9), Some(13), Some(19), None]),
        ('M', [Some(4), Some(6), Some(9), Some(13), Some(19), None, None]),
    ];
    for (letter, cells) in rows {
        for (aql, cell) in aqls.iter().zip(cells) {
            let got = plan_with(letter, *aql, Inspection::Tightened);
            match cell {
                Some(re) => assert_eq!((got.plan_letter, got.reject), (letter, re), "{letter} at AQL {aql}"),
                None => assert_ne!(got.plan_letter, letter, "{letter} at AQL {aql} should follow an arrow"),
            }
        }
    }
    // Arrows lead to the first plan in their direction, with that plan's own sample size:
    // J's 0.65 cell is ↓ and K's is 1/2 (n = 125).
    let p = plan_with('J', 0.65, Inspection::Tightened);
    assert_eq!((p.code_letter, p.plan_letter, p.sample_size, p.accept, p.reject), ('J', 'K', 125, 1, 2));
    // H at 0.65 is the upper half of the two-cell arrow: past J's ↓ to K's 1/2.
    let p = plan_with('H', 0.65, Inspection::Tightened);
    assert_eq!((p.plan_letter, p.sample_size, p.accept), ('K', 125, 1));
    // L at 10 is ↑: K's 18/19 (n = 125).
    let p = plan_with('L', 10.0, Inspection::Tightened);
    assert_eq!((p.plan_letter, p.sample_size, p.accept, p.reject), ('K', 125, 18, 19));
    // Row A has no plan up to AQL 10: its ↓ at 10 runs to D's 1/2 (n = 8), more than a lot of
    // 5, so the whole lot is inspected.
    let p = single_sampling_plan(5, 10.0, InspectionLevel::II, Inspection::Tightened).unwrap();
    assert_eq!((p.code_letter, p.plan_letter, p.sample_size, p.inspect_all, p.accept), ('A', 'D', 5, true, 1));
    // The arrows below R end at row S, n = 3150, Ac 1, Re 2; R's own 0/1 is at AQL 0.010.
    let p = plan_with('R', 0.015, Inspection::Tightened);
    assert_eq!((p.plan_letter, p.sample_size, p.accept, p.reject), ('S', 3150, 1, 2));
    let p = plan_with('R', 0.010, Inspection::Tightened);
    assert_eq!((p.plan_letter, p.sample_size, p.accept, p.reject), ('R', 2000, 0, 1));
    // Tightened is never looser than normal at the same code letter and AQL: same n, lower or
    // equal Ac, or a larger sample.
    for letter in "ABCDEFGHJKLMNPQ".chars() {
        for aql in AQLS {
            let (n, t) = (plan_with(letter, aql, Inspection::Normal), plan_with(letter, aql, Inspection::Tightened));
            if n.sample_size == t.sample_size {
                assert!(t.accept <= n.accept, "{letter} at AQL {aql}: {n:?} vs {t:?}");
            }
        }
    }
}

#[test]
fn reduced_plans_follow_table_2c() {
    // ANSI/ASQ Z1.4-2008 Table II-C (= MIL-STD-105E): reduced sample sizes 2, 2, 2, 3, 5, 8,
    // 13, 20, 32, 50, 80, 125, 200, 315, 500, 800 for A … R.
    for (letter, n) in "DEFGHJKLMNPQ".chars().zip([3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500]) {
        // At the letter's own 0/1 diagonal the plan is the letter's own.
        let aql = AQLS[14 - CODE_LETTERS.iter().position(|c| *c == letter).unwrap()];
        let p = plan_with(letter, aql, Inspection::Reduced);
        assert_eq!((p.plan_letter, p.sample_size, p.accept, p.reject), (letter, n, 0, 1), "{letter}");
    }
    // Row J (n = 32): 0.65 → 0/2, 1.0 → 1/3, 1.5 → 1/4, 2.5 → 2/5, 4.0 → 3/6, 6.5 → 5/8,
    // 10 → 7/10; row K (n = 50) at 10 → 10/13: the cells with Re > Ac + 1.
    for (aql, ac, re) in [(0.65, 0, 2), (1.0, 1, 3), (1.5, 1, 4), (2.5, 2, 5), (4.0, 3, 6), (6.5, 5, 8), (10.0, 7, 10)]
    {
        let p = plan_with('J', aql, Inspection::Reduced);
        assert_eq!((p.plan_letter, p.sample_size, p.accept, p.reject), ('J', 32, ac, re), "J at AQL {aql}");
    }
    let p = plan_with('K', 10.0, Inspection::Reduced);
    assert_eq!((p.sample_size, p.accept, p.reject), (50, 10, 13));
    // Arrows as in Table 2-A, to the reduced plan of the row they reach: J at 0.25 ↑ → H's
    // 0/1 (n = 20); J at 0.40 ↓ → K's 0/2 (n = 50).
    let p = plan_with('J', 0.25, Inspection::Reduced);
    assert_eq!((p.plan_letter, p.sample_size, p.accept, p.reject), ('H', 20, 0, 1));
    let p = plan_with('J', 0.40, Inspection::Reduced);
    assert_eq!((p.plan_letter, p.sample_size, p.accept, p.reject), ('K', 50, 0, 2));
    // A count in the gap accepts the lot but reinstates normal inspection.
    let p = plan_with('J', 2.5, Inspection::Reduced);
    assert_eq!(
        (0..=6).map(|d| p.reinstates_normal(d)).collect::<Vec<_>>(),
        [false, false, false, true, true, false, false]
    );
}

#[test]
fn iso_reduced_plans_follow_table_2c() {
    // ISO 2859-1:1999 Table 2-C by diagonal d = letter + AQL − 14: ↓ below d = 0, 0/1 at d = 0,
    // ↑ at d = 1 and 2, ↓ at d = 3, then 1/2, 2/3, 3/4, 5/6, 6/7, 8/9, 10/11 and ↑ beyond, with
    // the reduced sample sizes. Each expectation is worked from that rule (letter, AQL → d → cell,
    // following arrows); the ones from E to C also match a transcription of the published table.
    let cells = [
        ('E', 6.5, 'E', 5, 1, 2),     // d = 4
        ('E', 4.0, 'F', 8, 1, 2),     // d = 3 ↓ → F at d = 4
        ('E', 2.5, 'C', 2, 0, 1),     // d = 2 ↑ → D (d = 1, ↑) → C at d = 0
        ('E', 1.5, 'D', 3, 0, 1),     // d = 1 ↑ → D at d = 0
        ('G', 1.5, 'H', 20, 1, 2),    // d = 3 ↓ → H at d = 4
        ('J', 6.5, 'J', 32, 6, 7),    // d = 8
        ('K', 6.5, 'K', 50, 8, 9),    // d = 9
        ('L', 6.5, 'L', 80, 10, 11),  // d = 10
        ('M', 6.5, 'L', 80, 10, 11),  // d = 11 ↑ → L at d = 10
        ('J', 1.5, 'J', 32, 2, 3),    // d = 5
        ('D', 6.5, 'E', 5, 1, 2),     // d = 3 ↓ → E at d = 4
        ('C', 6.5, 'A', 2, 0, 1),     // d = 2 ↑ → B (d = 1, ↑) → A at d = 0
        ('R', 0.010, 'Q', 500, 0, 1), // d = 1 ↑ → Q at d = 0
        ('R', 0.015, 'P', 315, 0, 1), // d = 2 ↑ → Q (d = 1, ↑) → P at d = 0
        ('R', 0.040, 'R', 800, 1, 2), // d = 4
        // At AQL 10 rows A (d = 1) and B (d = 2) have no 0/1 plan above them: read as ↓, past
        // C's ↓ (d = 3) to D's 1/2 (d = 4).
        ('A', 10.0, 'D', 3, 1, 2),
        ('B', 10.0, 'D', 3, 1, 2),
        ('C', 10.0, 'D', 3, 1, 2),
    ];
    for (letter, aql, plan_letter, n, ac, re) in cells {
        let p = plan_in(Standard::Iso2859_1, letter, aql, Inspection::Reduced).unwrap();
        assert_eq!(
            (p.plan_letter, p.sample_size, p.accept, p.reject),
            (plan_letter, n, ac, re),
            "{letter} at AQL {aql}"
        );
    }
    // R at AQL 0.025 is d = 3, whose ↓ would point below the last row: the table points ↑,
    // past Q's and P's ↑ to N's 0/1 (n = 200).
    let p = plan_in(Standard::Iso2859_1, 'R', 0.025, Inspection::Reduced).unwrap();
    assert_eq!((p.plan_letter, p.sample_size, p.accept, p.reject), ('N', 200, 0, 1));
    // Where Z1.4 has a gap, ISO has none: J at 2.5 is 2/5 in Table II-C but 3/4 in Table 2-C.
    let p = plan_in(Standard::Iso2859_1, 'J', 2.5, Inspection::Reduced).unwrap();
    assert_eq!((p.sample_size, p.accept, p.reject), (32, 3, 4));
    assert!((0..=6).all(|d| !p.reinstates_normal(d)));
}

#[test]
fn iso_reduced_plans_have_no_gap_and_never_sample_more_than_normal() {
    // One lot per row of Table 1 (and one beyond, for R at level III), every level and AQL.
    let lots = [2, 8, 15, 25, 50, 90, 150, 280, 500, 1200, 3200, 10_000, 35_000, 150_000, 500_000, 500_001];
    let mut errors = Vec::new();
    for lot in lots {
        for level in LEVELS {
            for aql in AQLS {
                // The standards share Tables 2-A and 2-B, and `single_sampling_plan` is Z1.4.
                for inspection in [Inspection::Normal, Inspection::Tightened, Inspection::Reduced] {
                    let z14 = single_sampling_plan_in(Standard::AnsiZ14, lot, aql, level, inspection);
                    assert_eq!(z14, single_sampling_plan(lot, aql, level, inspection));
                    if inspection != Inspection::Reduced {
                        assert_eq!(z14, single_sampling_plan_in(Standard::Iso2859_1, lot, aql, level, inspection));
                    }
                }
                let reduced = single_sampling_plan_in(Standard::Iso2859_1, lot, aql, level, Inspection::Reduced);
                let Ok(reduced) = reduced else {
                    errors.push((lot, level, aql));
                    continue;
                };
                assert_eq!(reduced.reject, reduced.accept + 1, "{reduced:?}");
                assert!(reduced.sample_size >= 2 && reduced.sample_size <= lot, "{reduced:?}");
                if let Ok(normal) = single_sampling_plan(lot, aql, level, Inspection::Normal) {
                    assert!(
                        reduced.sample_size <= normal.sample_size,
                        "lot {lot}, {level:?}, AQL {aql}: {reduced:?} vs {normal:?}"
                    );
                }
            }
        }
    }
    assert_eq!(errors, []);
}
