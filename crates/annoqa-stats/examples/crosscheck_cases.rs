//! Seeded random reliability data with annoqa-stats' values, as the JSON that
//! `xtask/crosscheck/stats_crosscheck.py` reads:
//! `cargo run -p annoqa-stats --example crosscheck_cases -- [cases] [seed]`.
//!
//! Each case carries the data (`units`, with `null` for missing ratings), what to compute
//! (`metrics`, `level`, `weights`) and annoqa's answers under `annoqa`, so a comparison only has
//! to join the two outputs on `id` and `metric`.

use annoqa_stats::agreement::{brennan_prediger, cohen_kappa, fleiss_kappa, gwet_ac, pairwise, percent_agreement};
use annoqa_stats::alpha::{krippendorff_alpha, Level};
use annoqa_stats::rng::Rng;
use annoqa_stats::{Ratings, Weights};
use serde_json::{json, Value};

fn main() {
    let mut args = std::env::args().skip(1);
    let cases: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut rng = Rng::seed_from_u64(seed);
    let levels = [
        (Level::Nominal, "nominal"),
        (Level::Ordinal, "ordinal"),
        (Level::Interval, "interval"),
        (Level::Ratio, "ratio"),
    ];
    let weight_kinds =
        [(Weights::Identity, "identity"), (Weights::Linear, "linear"), (Weights::Quadratic, "quadratic")];
    let mut out = Vec::new();
    for case in 0..cases {
        let units = 5 + rng.below(60) as usize;
        let coders = 2 + rng.below(5) as usize;
        let k = 2 + rng.below(5) as usize;
        let missing = rng.next_f64() * 0.4;
        let agreement = rng.next_f64();
        let mut ratings = Ratings::new(units, coders, k);
        let mut rows = Vec::with_capacity(units);
        for u in 0..units {
            let truth = rng.below(k as u64) as u32;
            let mut row = Vec::with_capacity(coders);
            for c in 0..coders {
                if rng.next_f64() < missing {
                    row.push(Value::Null);
                    continue;
                }
                let value = if rng.next_f64() < agreement { truth } else { rng.below(k as u64) as u32 };
                ratings.set(u, c, Some(value)).unwrap();
                // Categories are the consecutive integers 1..k, so positions and values agree.
                row.push(json!(value + 1));
            }
            rows.push(Value::Array(row));
        }
        // Every category must occur, or the references (which only see used values) and
        // annoqa (which was told there are k) would disagree on k.
        let counts = ratings.counts();
        let used = (0..k).filter(|&c| counts.iter().any(|r| r[c] > 0)).count();
        if used < k {
            continue;
        }
        let (level, level_name) = levels[case % levels.len()];
        let (weights, weights_name) = &weight_kinds[case % weight_kinds.len()];
        let w = weights.matrix_for(k).unwrap();
        let values: Vec<f64> = (1..=k).map(|v| v as f64).collect();
        let value = |r: Result<f64, annoqa_stats::StatsError>| r.map_or(Value::Null, |v| json!(v));
        let cohen: Vec<Value> = pairwise(&ratings, &w, cohen_kappa)
            .unwrap()
            .pairs
            .iter()
            .map(|(a, b, c, _)| json!([a, b, c.map(|c| c.value)]))
            .collect();
        out.push(json!({
            "id": format!("random-{seed}-{case}"),
            "units": rows,
            "metrics": ["krippendorff_alpha", "fleiss_kappa", "cohen_kappa", "gwet_ac", "brennan_prediger", "percent_agreement"],
            "level": level_name,
            "weights": weights_name,
            "annoqa": {
                "krippendorff_alpha": value(krippendorff_alpha(&counts, level, &values).map(|a| a.value)),
                "fleiss_kappa": value(fleiss_kappa(&counts, &w).map(|c| c.value)),
                "gwet_ac": value(gwet_ac(&counts, &w).map(|c| c.value)),
                "brennan_prediger": value(brennan_prediger(&counts, &w).map(|c| c.value)),
                "percent_agreement": value(percent_agreement(&counts, &w).map(|c| c.value)),
                "cohen_kappa": cohen,
            },
        }));
    }
    println!("{}", json!({ "cases": out }));
}
