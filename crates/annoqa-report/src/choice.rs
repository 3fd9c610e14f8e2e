//! Choices (and pairwise preferences, as the choice A, B or Tie): Krippendorff's α, Fleiss' κ,
//! percent agreement, Cohen's κ per pair of annotators, each label against the rest, and the
//! Dawid–Skene consensus.
//!
//! The numbers equal `annoqa agreement` and `annoqa aggregate` on the long CSV of the same
//! answers written in record order (`item,annotator,label`, one row per answer): items, and
//! categories are numbered in order of first answer exactly as those commands number them
//! while reading, so even the floating-point sums run in the same order.

use std::collections::{BTreeMap, HashMap};

use annoqa_stats::aggregate::{dawid_skene, Answers, DawidSkeneOptions};
use annoqa_stats::agreement::{cohen_kappa, fleiss_kappa, per_category_kappa, percent_agreement};
use annoqa_stats::alpha::{krippendorff_alpha, Level};
use annoqa_stats::{ContingencyTable, Counts, Weights};

use crate::names::{ItemValue, Names};
use crate::report::{ChoiceAgreement, ChoiceConsensus, ChoicePair, ConsensusItem, LabelAgreement};

/// Every answer of one choice control, as label indices.
#[derive(Default)]
pub(crate) struct ChoiceData {
    /// Distinct label lists as answered, numbered in order of first answer.
    sets: HashMap<Vec<u32>, u32>,
    set_list: Vec<Vec<u32>>,
    /// `(item, annotator, set)`, in record order.
    answers: Vec<(u32, u32, u32)>,
}

impl ChoiceData {
    /// Keeps one answer; an answer without labels is no answer (false).
    pub(crate) fn add(&mut self, item: u32, annotator: u32, labels: Vec<u32>) -> bool {
        if labels.is_empty() {
            return false;
        }
        let set = match self.sets.get(&labels) {
            Some(&set) => set,
            None => {
                let set = u32::try_from(self.set_list.len()).unwrap_or(u32::MAX);
                self.set_list.push(labels.clone());
                self.sets.insert(labels, set);
                set
            }
        };
        self.answers.push((item, annotator, set));
        true
    }
}

/// What a choice control contributes to the report.
pub(crate) struct ChoiceOutcome {
    pub(crate) agreement: ChoiceAgreement,
    pub(crate) shared_items: usize,
    /// `(item, annotators, share of agreeing pairs)` for items two or more answered.
    pub(crate) item_values: Vec<ItemValue>,
    /// Per annotator: the share of their answer pairs with peers that agree.
    pub(crate) peer: Vec<Option<f64>>,
    /// Per annotator: (answers equal to the consensus, answers on items with a consensus).
    pub(crate) consensus_hits: Vec<(usize, usize)>,
}

/// Categories: a single choice's label, or a multiple choice's set of labels.
struct Categories {
    names: Names,
    /// A multiple choice's categories as sorted label indices.
    members: Vec<Vec<u32>>,
    /// The category of each answered set.
    of_set: Vec<u32>,
}

fn categories(data: &ChoiceData, labels: &[String], multiple: bool) -> Categories {
    let mut names = Names::default();
    let mut members = Vec::new();
    let mut of_set = Vec::with_capacity(data.set_list.len());
    let label_name = |l: &u32| labels.get(*l as usize).map_or("", String::as_str);
    // Sets are numbered in order of first answer, so categories come out in that order too.
    for set in &data.set_list {
        let category = if multiple {
            let mut sorted = set.clone();
            sorted.sort_unstable();
            sorted.dedup();
            let name = sorted.iter().map(label_name).collect::<Vec<_>>().join(" + ");
            let c = names.intern(&name);
            if c as usize == members.len() {
                members.push(sorted);
            }
            c
        } else {
            names.intern(set.first().map_or("", label_name))
        };
        of_set.push(category);
    }
    Categories { names, members, of_set }
}

/// Answers grouped by item, items numbered in order of first answer.
struct Grouped {
    /// Local item → global item.
    items: Vec<u32>,
    /// `(local item, annotator, category)` in record order.
    triples: Vec<(u32, u32, u32)>,
    /// Per local item: `(annotator, category)` sorted by annotator.
    by_item: Vec<Vec<(u32, u32)>>,
}

fn group(data: &ChoiceData, cats: &Categories) -> Grouped {
    let mut local: HashMap<u32, u32> = HashMap::new();
    let mut items = Vec::new();
    let mut triples = Vec::with_capacity(data.answers.len());
    let mut by_item: Vec<Vec<(u32, u32)>> = Vec::new();
    for &(item, annotator, set) in &data.answers {
        let t = *local.entry(item).or_insert_with(|| {
            items.push(item);
            by_item.push(Vec::new());
            u32::try_from(items.len() - 1).unwrap_or(u32::MAX)
        });
        let category = cats.of_set.get(set as usize).copied().unwrap_or(0);
        triples.push((t, annotator, category));
        if let Some(row) = by_item.get_mut(t as usize) {
            row.push((annotator, category));
        }
    }
    for row in &mut by_item {
        row.sort_unstable();
    }
    Grouped { items, triples, by_item }
}

/// Largest `items × categories` histogram (and `pairs × categories²` tables) built.
const MAX_CELLS: usize = 50_000_000;

pub(crate) fn finish_choice(
    data: &ChoiceData,
    labels: &[String],
    multiple: bool,
    annotators: &Names,
    items: &Names,
    gold: &[(u32, String)],
    threads: usize,
) -> ChoiceOutcome {
    let mut cats = categories(data, labels, multiple);
    let grouped = group(data, &cats);
    // Gold labels are numbered after the answers' labels, as `annoqa aggregate --gold` does.
    let local: HashMap<u32, u32> =
        grouped.items.iter().enumerate().map(|(t, &g)| (g, u32::try_from(t).unwrap_or(u32::MAX))).collect();
    let gold_local: Vec<(u32, u32)> = if multiple {
        Vec::new()
    } else {
        gold.iter().filter_map(|(item, label)| Some((*local.get(item)?, cats.names.intern(label)))).collect()
    };
    let k = cats.names.len();
    let mut notes = Vec::new();
    let mut agreement = ChoiceAgreement {
        multiple,
        alpha: None,
        fleiss_kappa: None,
        percent: None,
        mean_cohen_kappa: None,
        notes: Vec::new(),
        pairs: Vec::new(),
        per_label: Vec::new(),
        consensus: None,
    };
    if grouped.items.len().saturating_mul(k.max(1)) > MAX_CELLS {
        notes.push(format!("{k} distinct answers over {} items: too many to tabulate", grouped.items.len()));
    } else {
        coefficients(&grouped, &cats, labels, multiple, &mut agreement, &mut notes);
    }
    let pairs = pair_tallies(&grouped, k);
    agreement.pairs = pairs
        .iter()
        .map(|(&(a, b), p)| ChoicePair {
            a: annotators.name(a).to_owned(),
            b: annotators.name(b).to_owned(),
            items: p.items,
            percent: p.agree as f64 / p.items as f64,
            cohen_kappa: p.kappa,
        })
        .collect();
    let kappas: Vec<f64> = pairs.values().filter_map(|p| p.kappa).collect();
    agreement.mean_cohen_kappa = (!kappas.is_empty()).then(|| kappas.iter().sum::<f64>() / kappas.len() as f64);
    let (item_values, peer) = item_agreement(&grouped, annotators.len());
    let mut consensus_hits = vec![(0, 0); annotators.len()];
    if !multiple {
        agreement.consensus =
            consensus(&grouped, &cats, labels, items, &gold_local, threads, &mut consensus_hits, &mut notes);
    }
    agreement.notes = notes;
    let shared_items = grouped.by_item.iter().filter(|r| r.len() >= 2).count();
    ChoiceOutcome { agreement, shared_items, item_values, peer, consensus_hits }
}

/// α, Fleiss' κ, percent agreement and the per-label κ, from the item × category counts.
fn coefficients(
    grouped: &Grouped,
    cats: &Categories,
    labels: &[String],
    multiple: bool,
    agreement: &mut ChoiceAgreement,
    notes: &mut Vec<String>,
) {
    let k = cats.names.len();
    let mut counts = Counts::new(k);
    let mut row = vec![0u32; k];
    for answers in &grouped.by_item {
        row.iter_mut().for_each(|n| *n = 0);
        for &(_, c) in answers {
            if let Some(n) = row.get_mut(c as usize) {
                *n += 1;
            }
        }
        // The row has `k` entries by construction.
        let _ = counts.push_unit(&row);
    }
    let values: Vec<f64> = (0..k).map(|c| c as f64).collect();
    let identity = Weights::Identity.matrix_for(k).unwrap_or_default();
    let mut keep = |what: &str, result: Result<f64, annoqa_stats::StatsError>| match result {
        Ok(v) => Some(v),
        Err(e) => {
            notes.push(format!("{what}: {e}"));
            None
        }
    };
    agreement.alpha = keep("α", krippendorff_alpha(&counts, Level::Nominal, &values).map(|a| a.value));
    agreement.fleiss_kappa = keep("fleiss κ", fleiss_kappa(&counts, &identity).map(|c| c.value));
    agreement.percent = keep("percent agreement", percent_agreement(&counts, &identity).map(|c| c.value));
    // Answers per category, then per label: a label's answers are those of the categories
    // holding it.
    let mut per_category = vec![0usize; k];
    for &(_, c) in grouped.by_item.iter().flatten() {
        if let Some(n) = per_category.get_mut(c as usize) {
            *n += 1;
        }
    }
    let answered = |label: u32| -> usize {
        (0..k)
            .filter(|&c| match cats.members.get(c) {
                Some(members) if multiple => members.contains(&label),
                _ => labels.get(label as usize).is_some_and(|l| l == cats.names.name(c as u32)),
            })
            .map(|c| per_category[c])
            .sum()
    };
    if multiple {
        agreement.per_label = (0..labels.len() as u32)
            .map(|l| {
                let value = presence_kappa(grouped, cats, l);
                LabelAgreement { label: labels[l as usize].clone(), count: answered(l), value }
            })
            .collect();
    } else {
        let per_category = per_category_kappa(&counts);
        agreement.per_label = labels
            .iter()
            .enumerate()
            .map(|(l, name)| {
                let value = cats.names.get(name).and_then(|c| per_category.get(c as usize).copied().flatten());
                LabelAgreement { label: name.clone(), count: answered(l as u32), value: value.map(|c| c.value) }
            })
            .collect();
    }
}

/// A multiple choice's agreement on one label: Fleiss' κ on "the answer holds it or not".
fn presence_kappa(grouped: &Grouped, cats: &Categories, label: u32) -> Option<f64> {
    let mut counts = Counts::new(2);
    for answers in &grouped.by_item {
        let holding = answers.iter().filter(|&&(_, c)| cats.members[c as usize].contains(&label)).count();
        let holding = u32::try_from(holding).ok()?;
        let total = u32::try_from(answers.len()).ok()?;
        counts.push_unit(&[holding, total - holding]).ok()?;
    }
    fleiss_kappa(&counts, &[1.0, 0.0, 0.0, 1.0]).ok().map(|c| c.value)
}

struct PairTally {
    items: usize,
    agree: usize,
    kappa: Option<f64>,
}

/// Every pair of annotators that shared an item: items, agreeing answers and Cohen's κ, from
/// the same contingency table `annoqa agreement --metric cohen` builds (rows: the annotator
/// seen first).
fn pair_tallies(grouped: &Grouped, k: usize) -> BTreeMap<(u32, u32), PairTally> {
    let mut tables: BTreeMap<(u32, u32), (usize, usize, Option<ContingencyTable>)> = BTreeMap::new();
    let mut cells = 0usize;
    for answers in &grouped.by_item {
        for (i, &(a, ca)) in answers.iter().enumerate() {
            for &(b, cb) in &answers[i + 1..] {
                let entry = tables.entry((a, b)).or_insert_with(|| {
                    cells = cells.saturating_add(k * k);
                    (0, 0, (cells <= MAX_CELLS).then(|| ContingencyTable::new(k)))
                });
                entry.0 += 1;
                entry.1 += usize::from(ca == cb);
                if let Some(table) = &mut entry.2 {
                    table.add(ca, cb, 1.0);
                }
            }
        }
    }
    let identity = Weights::Identity.matrix_for(k).unwrap_or_default();
    tables
        .into_iter()
        .map(|(pair, (items, agree, table))| {
            let kappa = table.and_then(|t| cohen_kappa(&t, &identity).ok()).map(|c| c.value);
            (pair, PairTally { items, agree, kappa })
        })
        .collect()
}

/// Per-item values and per-annotator shares.
type ItemAndPeer = (Vec<ItemValue>, Vec<Option<f64>>);

/// Each item's share of agreeing answer pairs, and each annotator's share with peers.
fn item_agreement(grouped: &Grouped, annotators: usize) -> ItemAndPeer {
    let mut values = Vec::new();
    let mut peer = vec![(0usize, 0usize); annotators];
    for (t, answers) in grouped.by_item.iter().enumerate() {
        if answers.len() < 2 {
            continue;
        }
        let (mut agree, mut pairs) = (0usize, 0usize);
        for (i, &(a, ca)) in answers.iter().enumerate() {
            for &(b, cb) in &answers[i + 1..] {
                let same = usize::from(ca == cb);
                agree += same;
                pairs += 1;
                for who in [a, b] {
                    if let Some(p) = peer.get_mut(who as usize) {
                        p.0 += same;
                        p.1 += 1;
                    }
                }
            }
        }
        values.push((grouped.items[t], answers.len(), agree as f64 / pairs as f64));
    }
    let peer = peer.into_iter().map(|(agree, pairs)| (pairs > 0).then(|| agree as f64 / pairs as f64)).collect();
    (values, peer)
}

/// Dawid–Skene over the single-choice answers, as `annoqa aggregate --method ds`.
#[allow(clippy::too_many_arguments)]
fn consensus(
    grouped: &Grouped,
    cats: &Categories,
    labels: &[String],
    items: &Names,
    gold: &[(u32, u32)],
    threads: usize,
    hits: &mut [(usize, usize)],
    notes: &mut Vec<String>,
) -> Option<ChoiceConsensus> {
    let k = cats.names.len();
    let workers = grouped.by_item.iter().flatten().map(|&(a, _)| a as usize + 1).max().unwrap_or(0).max(hits.len());
    let answers = match Answers::from_triples(grouped.items.len(), workers, k, &grouped.triples) {
        Ok(answers) => answers,
        Err(e) => {
            notes.push(format!("consensus: {e}"));
            return None;
        }
    };
    let options = DawidSkeneOptions { gold: gold.to_vec(), threads: threads.max(1), ..DawidSkeneOptions::default() };
    let ds = match dawid_skene(&answers, &options) {
        Ok(ds) => ds,
        Err(e) => {
            notes.push(format!("consensus: {e}"));
            return None;
        }
    };
    // Category → position in the report's label list.
    let position: Vec<Option<usize>> =
        (0..k as u32).map(|c| labels.iter().position(|l| l == cats.names.name(c))).collect();
    let mut label_counts = vec![0usize; labels.len()];
    let mut confusion = vec![vec![0usize; labels.len()]; labels.len()];
    let mut consensus_items = Vec::with_capacity(grouped.items.len());
    for (t, answers) in grouped.by_item.iter().enumerate() {
        let label = ds.labels.get(t).copied().flatten();
        let row = label.and_then(|l| position.get(l as usize).copied().flatten());
        if let Some(r) = row {
            label_counts[r] += 1;
        }
        for &(a, c) in answers {
            if let (Some(l), Some(hit)) = (label, hits.get_mut(a as usize)) {
                hit.0 += usize::from(c == l);
                hit.1 += 1;
            }
            if let (Some(r), Some(Some(col))) = (row, position.get(c as usize)) {
                confusion[r][*col] += 1;
            }
        }
        consensus_items.push(ConsensusItem {
            item: items.name(grouped.items[t]).to_owned(),
            label: label.map(|l| cats.names.name(l).to_owned()),
            confidence: if label.is_some() { ds.confidence(t) } else { None },
        });
    }
    Some(ChoiceConsensus {
        method: "ds".to_owned(),
        iterations: ds.iterations,
        converged: ds.converged,
        gold_items: gold.len(),
        label_counts,
        confusion,
        items: consensus_items,
    })
}
