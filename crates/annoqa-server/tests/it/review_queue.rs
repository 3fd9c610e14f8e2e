//! The paged review queue (`GET …/review-queue/page`): the order of each strategy, pages that
//! concatenate to the whole filtered set even while reviews are stored, filters with their
//! counts and facets, vendor scoping, and refused parameters.

use std::collections::{BTreeSet, HashMap, HashSet};

use annoqa_api::{self as api, NewProject, ReviewQueueEntry, ReviewQueuePage, Role, SubmissionView, SubmitResponse};
use annoqa_core::Region;
use axum::http::StatusCode;

use crate::both_backends;
use crate::support::*;

const PROJECT: &str = "queue";
const TEXT: &str = "Maria Costa met Tom in Porto.";

/// What each annotator answers: `(start, end, label)` spans and a sentiment.
fn answer(spans: &[(usize, usize, &str)], sentiment: &str) -> Vec<Region> {
    let mut regions: Vec<serde_json::Value> = spans
        .iter()
        .enumerate()
        .map(|(n, (start, end, label))| {
            serde_json::json!({"id": format!("r{n}"), "control": "entities", "type": "text_span", "start": start, "end": end, "label": label})
        })
        .collect();
    regions.push(serde_json::json!({"id": "c", "control": "sentiment", "type": "choice", "labels": [sentiment]}));
    serde_json::from_value(serde_json::Value::Array(regions)).unwrap()
}

/// One stored submission, as the test expects the queue to show it.
#[derive(Clone, Debug)]
struct Stored {
    id: i64,
    item: String,
    regions: Vec<Region>,
    annotator: String,
    vendor: Option<String>,
    gold: bool,
    labels: Vec<String>,
}

/// Which stored submissions a filter keeps.
type Keep = fn(&Stored) -> bool;

struct Fixture {
    submissions: Vec<Stored>,
}

impl Fixture {
    fn ids(&self, keep: impl Fn(&Stored) -> bool) -> BTreeSet<i64> {
        self.submissions.iter().filter(|s| keep(s)).map(|s| s.id).collect()
    }

    fn by_id(&self) -> HashMap<i64, &Stored> {
        self.submissions.iter().map(|s| (s.id, s)).collect()
    }
}

fn spec() -> annoqa_core::TaskSpec {
    serde_json::from_value(serde_json::json!({
        "media": "text",
        "controls": [
            {"name": "entities", "type": "text_spans", "labels": [{"value": "PERSON"}, {"value": "ORG"}, {"value": "PLACE"}]},
            {"name": "sentiment", "type": "choice", "multiple": false, "required": true,
             "labels": [{"value": "positive"}, {"value": "neutral"}, {"value": "negative"}]}
        ]
    }))
    .unwrap()
}

/// The text every item shows.
fn item(id: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "media": {"type": "text", "text": TEXT}})
}

/// The gold answer of every honeypot.
fn gold_answer() -> Vec<Region> {
    answer(&[(0, 11, "PERSON")], "positive")
}

/// Project `id` with `gold` honeypots (`g1`, …, the first in project order) and `plain` plain
/// items (`p00`, …), overlap 3.
async fn create_project(s: &Server, id: &str, gold: usize, plain: usize) {
    let admin = s.user("root", Role::Admin, None, &[]).await;
    let project = NewProject {
        id: id.into(),
        title: "Queue".into(),
        guidelines: "# Queue\n".into(),
        spec: Some(spec()),
        label_config: None,
        assignment: serde_json::from_value(serde_json::json!({"overlap": 3, "gold_onboarding": gold})).unwrap(),
    };
    admin.post(api::PROJECTS, &project).await.expect(StatusCode::CREATED);
    let mut items: Vec<serde_json::Value> = (1..=gold)
        .map(|n| {
            let mut item = item(&format!("g{n}"));
            item["gold"] = serde_json::json!({"mode": "honeypot", "answer": gold_answer(), "explanation": "Maria Costa is a person."});
            item
        })
        .collect();
    items.extend((0..plain).map(|n| item(&format!("p{n:02}"))));
    let body = serde_json::to_vec(&items).unwrap();
    admin
        .request("POST", &api::items_path(id), &[("content-type", "application/json")], Some(body))
        .await
        .expect(StatusCode::CREATED);
}

/// Project `queue`: one honeypot (`g1`, each annotator's first item) and 12 plain items with
/// overlap 3. ana (acme) answers like the gold, bob (acme) unlike it, cy (globex) half like it;
/// dee and eve (no vendor) skip the honeypot and have no gold mean. 7 + 5 + 4 + 3 + 2
/// submissions.
async fn fixture(s: &Server) -> Fixture {
    create_project(s, PROJECT, 1, 12).await;
    let people: [(&str, Option<&str>, usize, Vec<Region>); 5] = [
        ("ana", Some("acme"), 7, answer(&[(0, 11, "PERSON")], "positive")),
        ("bob", Some("acme"), 5, answer(&[(23, 28, "PLACE")], "negative")),
        ("cy", Some("globex"), 4, answer(&[(0, 11, "PERSON"), (23, 28, "ORG")], "neutral")),
        ("dee", None, 3, answer(&[], "neutral")),
        ("eve", None, 2, answer(&[], "neutral")),
    ];
    let mut submissions = Vec::new();
    for (name, vendor, count, regions) in people {
        let client = s.user(name, Role::Annotator, vendor, &[PROJECT]).await;
        if vendor.is_none() {
            assert_eq!(client.next(PROJECT).await.as_deref(), Some("g1"));
            client
                .post(&api::skip_path(PROJECT, "g1"), &serde_json::json!({"reason": "later"}))
                .await
                .expect(StatusCode::NO_CONTENT);
        }
        for _ in 0..count {
            let item = client.next(PROJECT).await.unwrap();
            let response: SubmitResponse =
                client.submit(PROJECT, &item, regions.clone()).await.expect(StatusCode::OK).json();
            let labels: BTreeSet<String> = regions.iter().flat_map(|r| r.value.labels()).map(String::from).collect();
            submissions.push(Stored {
                id: response.submission_id,
                item: item.clone(),
                regions: regions.clone(),
                annotator: name.into(),
                vendor: vendor.map(String::from),
                gold: item == "g1",
                labels: labels.into_iter().collect(),
            });
        }
    }
    Fixture { submissions }
}

fn page_uri(query: &str, cursor: Option<&str>) -> String {
    let cursor = cursor.map_or(String::new(), |c| format!("&cursor={c}"));
    format!("{}?{query}{cursor}", api::review_queue_page_path(PROJECT))
}

async fn page(client: &Client<'_>, query: &str, cursor: Option<&str>) -> ReviewQueuePage {
    client.get(&page_uri(query, cursor)).await.expect(StatusCode::OK).json()
}

/// Every page of a walk, first to last.
async fn walk(client: &Client<'_>, query: &str) -> Vec<ReviewQueuePage> {
    let mut pages = vec![page(client, query, None).await];
    while let Some(cursor) = pages.last().unwrap().next_cursor.clone() {
        assert!(pages.len() < 100, "a walk that does not end");
        pages.push(page(client, query, Some(&cursor)).await);
    }
    pages
}

fn ids(pages: &[ReviewQueuePage]) -> Vec<i64> {
    pages.iter().flat_map(|p| &p.entries).map(|e| e.submission_id).collect()
}

/// The ids in order, asserting none comes twice.
fn distinct(ids: &[i64]) -> BTreeSet<i64> {
    let set: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(set.len(), ids.len(), "an entry listed twice: {ids:?}");
    set
}

/// The queue's kept counts equal a count of the submissions and their label rows.
async fn assert_counts_match(s: &Server) {
    let rows = |sql: &'static str| async move {
        let rows = sqlx::query(sql).fetch_all(s.store.pool()).await.unwrap();
        let mut rows: Vec<String> = rows
            .iter()
            .map(|row| {
                use sqlx::Row;
                let label: String = row.try_get("label").unwrap();
                let numbers: Vec<i64> =
                    ["user_id", "gold", "reviewed", "n"].iter().map(|c| row.try_get(*c).unwrap()).collect();
                format!("{label} {numbers:?}")
            })
            .collect();
        rows.sort();
        rows
    };
    let kept = rows(
        "SELECT label, user_id, CAST(CASE WHEN is_gold THEN 1 ELSE 0 END AS BIGINT) AS gold,
                CAST(CASE WHEN reviewed THEN 1 ELSE 0 END AS BIGINT) AS reviewed, submissions AS n
         FROM review_queue_counts WHERE submissions <> 0",
    )
    .await;
    let counted = rows(
        "SELECT '' AS label, user_id, CAST(CASE WHEN is_gold THEN 1 ELSE 0 END AS BIGINT) AS gold,
                CAST(CASE WHEN status <> 'submitted' THEN 1 ELSE 0 END AS BIGINT) AS reviewed, CAST(COUNT(*) AS BIGINT) AS n
         FROM submissions GROUP BY user_id, is_gold, status <> 'submitted'
         UNION ALL
         SELECT label, user_id, CAST(CASE WHEN is_gold THEN 1 ELSE 0 END AS BIGINT), CAST(CASE WHEN reviewed THEN 1 ELSE 0 END AS BIGINT),
                CAST(COUNT(*) AS BIGINT)
         FROM submission_labels GROUP BY label, user_id, is_gold, reviewed",
    )
    .await;
    assert_eq!(kept, counted);
}

/// An annotator's sums as the `risk` key counts them: gold scores and agreement F1s in
/// millionths with how many of each.
#[derive(Clone, Copy, Debug, Default)]
struct RiskSums {
    gold: (i64, i64),
    agreement: (i64, i64),
}

fn micros(score: f64) -> i64 {
    (score.clamp(0.0, 1.0) * 1_000_000.0).round() as i64
}

impl RiskSums {
    fn add_gold(&mut self, score: f64) {
        self.gold = (self.gold.0 + micros(score), self.gold.1 + 1);
    }

    fn add_agreement(&mut self, f1: f64) {
        self.agreement = (self.agreement.0 + micros(f1), self.agreement.1 + 1);
    }

    /// The smaller of the two means with 5 more items scoring 0, as a fraction.
    fn key(self) -> (i128, i128) {
        let gold = (i128::from(self.gold.0), i128::from(self.gold.1) + 5);
        let agreement = (i128::from(self.agreement.0), i128::from(self.agreement.1) + 5);
        std::cmp::min_by(gold, agreement, |a, b| compare(*a, *b))
    }
}

/// Fractions compared exactly.
fn compare(a: (i128, i128), b: (i128, i128)) -> std::cmp::Ordering {
    (a.0 * b.1).cmp(&(b.0 * a.1))
}

fn reduced((n, d): (i128, i128)) -> (i128, i128) {
    let gcd = (1..=d).rev().find(|g| n % g == 0 && d % g == 0).unwrap_or(1);
    (n / gcd, d / gcd)
}

/// Every two submissions of one item by different annotators.
fn peer_pairs(submissions: &[Stored]) -> Vec<(&Stored, &Stored)> {
    let mut pairs = Vec::new();
    for (n, a) in submissions.iter().enumerate() {
        for b in &submissions[n + 1..] {
            if a.item == b.item && a.annotator != b.annotator {
                pairs.push((a, b));
            }
        }
    }
    pairs
}

/// The reviewer's overlay's F1 of two stored submissions.
fn pair_f1(a: &Stored, b: &Stored) -> f64 {
    let item: annoqa_core::Item = serde_json::from_value(item(&a.item)).unwrap();
    let submission =
        |s: &Stored| annoqa_stats::overlay::Submission { annotator: s.annotator.clone(), regions: s.regions.clone() };
    annoqa_stats::overlay::overlay(&spec(), &item, &[submission(a), submission(b)]).unwrap().pairs[0].f1
}

/// Each annotator's kept agreement sums, `(user, micros, pairs)` by user.
async fn agreement_sums(s: &Server) -> Vec<(i64, i64, i64)> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT user_id, CAST(SUM(agree_micros) AS BIGINT) AS micros, CAST(SUM(agree_pairs) AS BIGINT) AS pairs
         FROM review_queue_counts WHERE label = '' GROUP BY user_id ORDER BY user_id",
    )
    .fetch_all(s.store.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| (r.try_get("user_id").unwrap(), r.try_get("micros").unwrap(), r.try_get("pairs").unwrap()))
        .collect()
}

async fn accept(client: &Client<'_>, id: i64) {
    client
        .post(&api::reviews_path(PROJECT, id), &serde_json::json!({"verdict": "accept"}))
        .await
        .expect(StatusCode::CREATED);
}

both_backends! {
    async fn pages_concatenate_to_the_whole_set_in_an_order_the_seed_fixes(s) {
        let fixture = fixture(&s).await;
        let reviewer = s.user("rev", Role::Reviewer, None, &[PROJECT]).await;
        let everything = fixture.ids(|_| true);
        for strategy in ["random", "stratified", "risk"] {
            let query = format!("strategy={strategy}&seed=7&status=all");
            let pages = walk(&reviewer, &format!("{query}&limit=4")).await;
            assert_eq!(pages.len(), everything.len().div_ceil(4), "{strategy}: full pages, the last one without a cursor");
            let order = ids(&pages);
            assert_eq!(distinct(&order), everything, "{strategy}: every submission once");
            assert!(pages.iter().all(|p| (p.total, p.reviewed) == (21, 0)), "{strategy}: the counts on every page");
            assert!(pages[0].facets.is_some() && pages[1..].iter().all(|p| p.facets.is_none()), "{strategy}: facets on the first page only");
            let one_page = page(&reviewer, &format!("{query}&limit=500"), None).await;
            assert_eq!(ids(&[one_page]), order, "{strategy}: the page size does not change the order");
            assert_eq!(ids(&walk(&reviewer, &format!("{query}&limit=3")).await), order, "{strategy}: the same seed, the same order");
            let other = ids(&walk(&reviewer, &format!("strategy={strategy}&seed=8&status=all&limit=5")).await);
            assert_eq!(distinct(&other), everything);
            assert_ne!(other, order, "{strategy}: another seed, another order");
        }
        // The default walk is random, seed 0, awaiting, 50 a page.
        let default = page(&reviewer, "", None).await;
        assert_eq!(ids(&[default]), ids(&walk(&reviewer, "strategy=random&seed=0&status=awaiting&limit=7").await));
    }

    async fn reviews_stored_between_pages_neither_repeat_nor_skip_an_entry(s) {
        let fixture = fixture(&s).await;
        let reviewer = s.user("rev", Role::Reviewer, None, &[PROJECT]).await;
        let lead = s.user("lead", Role::Coordinator, None, &[PROJECT]).await;
        let mut reviewed_early = HashSet::new();
        for (n, strategy) in ["random", "stratified", "risk"].into_iter().enumerate() {
            let seed = 11 + n;
            let full_order = ids(&walk(&reviewer, &format!("strategy={strategy}&seed={seed}&status=all&limit=50")).await);
            let query = format!("strategy={strategy}&seed={seed}&limit=3");
            let first = page(&reviewer, &query, None).await;
            let listed_first = ids(std::slice::from_ref(&first));
            assert_eq!(first.reviewed as usize, reviewed_early.len());
            // Reviews of what this page listed, and of two entries further on.
            let later: Vec<i64> = full_order
                .iter()
                .copied()
                .filter(|id| !listed_first.contains(id) && !reviewed_early.contains(id))
                .skip(2)
                .take(2)
                .collect();
            for &id in listed_first.iter().take(2).chain(&later) {
                accept(&lead, id).await;
                reviewed_early.insert(id);
            }
            let mut pages = vec![first];
            while let Some(cursor) = pages.last().unwrap().next_cursor.clone() {
                pages.push(page(&reviewer, &query, Some(&cursor)).await);
            }
            let listed = ids(&pages);
            distinct(&listed);
            // The awaiting walk is the full order less what was reviewed before its page came.
            let expected: Vec<i64> = full_order
                .iter()
                .copied()
                .filter(|id| listed_first.contains(id) || !reviewed_early.contains(id))
                .collect();
            assert_eq!(listed, expected, "{strategy}");
            let last = pages.last().unwrap();
            assert_eq!((last.total, last.reviewed), (21, reviewed_early.len() as u64), "{strategy}: progress");
        }
        // An awaiting walk now lists exactly what is still awaiting, and a reviewed walk the rest.
        let awaiting = distinct(&ids(&walk(&reviewer, "limit=4").await));
        let reviewed = distinct(&ids(&walk(&reviewer, "status=reviewed&limit=4").await));
        assert_eq!(reviewed, reviewed_early.iter().copied().collect());
        assert_eq!(awaiting, fixture.ids(|s| !reviewed_early.contains(&s.id)));
        assert_counts_match(&s).await;
    }

    async fn stratified_takes_one_submission_of_each_annotator_in_turn(s) {
        let fixture = fixture(&s).await;
        let reviewer = s.user("rev", Role::Reviewer, None, &[PROJECT]).await;
        let by_id = fixture.by_id();
        for seed in [1, 2, 3] {
            let pages = walk(&reviewer, &format!("strategy=stratified&seed={seed}&status=all&limit=4")).await;
            let annotators: Vec<&str> = ids(&pages).iter().map(|id| by_id[id].annotator.as_str()).collect();
            // Rounds of 5, 5, 4 (eve has 2), 3 (dee has 3), 2 (cy has 4), 1, 1: the same order
            // in each.
            let rounds: Vec<&[&str]> = [0, 5, 10, 14, 17, 19, 20, 21].windows(2).map(|w| &annotators[w[0]..w[1]]).collect();
            for pair in rounds.windows(2) {
                let later: Vec<&&str> = pair[0].iter().filter(|a| pair[1].contains(a)).collect();
                assert_eq!(later, pair[1].iter().collect::<Vec<_>>(), "seed {seed}: {annotators:?}");
            }
            let first: BTreeSet<&str> = rounds[0].iter().copied().collect();
            assert_eq!(first, ["ana", "bob", "cy", "dee", "eve"].into(), "seed {seed}: everyone in the first round");
        }
    }

    async fn risk_lists_annotators_with_lower_keys_first(s) {
        let fixture = fixture(&s).await;
        let reviewer = s.user("rev", Role::Reviewer, None, &[PROJECT]).await;
        // Each annotator's gold scores as the server scored them (dee and eve have none), and
        // the overlay's F1 of every two annotators' submissions of an item (at most 3 each),
        // counted for both.
        let mut sums: HashMap<String, RiskSums> = HashMap::new();
        for stored in fixture.submissions.iter().filter(|s| s.gold) {
            let view: SubmissionView = reviewer.get(&api::submission_path(PROJECT, stored.id)).await.json();
            sums.entry(stored.annotator.clone()).or_default().add_gold(view.gold_score.unwrap());
        }
        for (a, b) in peer_pairs(&fixture.submissions) {
            let f1 = pair_f1(a, b);
            for annotator in [&a.annotator, &b.annotator] {
                sums.entry(annotator.clone()).or_default().add_agreement(f1);
            }
        }
        let keys: HashMap<String, (i128, i128)> =
            ["ana", "bob", "cy", "dee", "eve"].iter().map(|a| (a.to_string(), sums.get(*a).copied().unwrap_or_default().key())).collect();
        let distinct_keys: HashSet<(i128, i128)> = keys.values().map(|&k| reduced(k)).collect();
        assert!(distinct_keys.len() >= 3, "some groups: {keys:?}");
        assert!(keys["dee"] == (0, 5) && keys["eve"] == (0, 5), "no gold, no peers: the riskiest, one group");
        let by_id = fixture.by_id();
        let key = |id: &i64| keys[&by_id[id].annotator];
        for seed in [4, 5] {
            // The random order of the same seed, lower keys first: a tie (dee and eve) keeps
            // their submissions mixed as the random order has them.
            let mut expected = ids(&walk(&reviewer, &format!("strategy=random&seed={seed}&status=all&limit=50")).await);
            expected.sort_by(|a, b| compare(key(a), key(b)));
            let order = ids(&walk(&reviewer, &format!("strategy=risk&seed={seed}&status=all&limit=6")).await);
            assert_eq!(order, expected, "seed {seed}");
        }
        // Retired gold counts against nobody: with g1, the only honeypot, retired, nobody has
        // gold left, so everyone is as risky as dee and eve and the order is the random one.
        let lead = s.user("lead", Role::Coordinator, None, &[PROJECT]).await;
        let retire = serde_json::json!({"decision": "retire"});
        lead.post(&api::bad_gold_item_path(PROJECT, "g1"), &retire).await.expect(StatusCode::OK);
        for seed in [4, 5] {
            let random = ids(&walk(&reviewer, &format!("strategy=random&seed={seed}&status=all&limit=50")).await);
            let order = ids(&walk(&reviewer, &format!("strategy=risk&seed={seed}&status=all&limit=6")).await);
            assert_eq!(order, random, "seed {seed}: g1 retired");
        }
    }

    async fn risk_lists_new_and_disagreeing_annotators_before_reliable_ones(s) {
        const RISKY: &str = "risky";
        create_project(&s, RISKY, 4, 10).await;
        // c1 and c2 agree with each other and miss one gold item's sentiment; b answers every
        // gold item as the gold does but disagrees with them on every plain item; a skips the
        // gold and answers two items nobody else has.
        let wrong_sentiment = answer(&[(0, 11, "PERSON")], "neutral");
        let reliable = answer(&[(0, 11, "PERSON")], "positive");
        let disagreeing = answer(&[(23, 28, "PLACE")], "negative");
        let mut listed: HashMap<&str, BTreeSet<i64>> = HashMap::new();
        let mut gold_scores: HashMap<&str, Vec<f64>> = HashMap::new();
        for name in ["c1", "c2", "b", "a"] {
            let client = s.user(name, Role::Annotator, None, &[RISKY]).await;
            let mut plain = 0;
            while let Some(item) = client.next(RISKY).await {
                let regions = match (name, item.as_str()) {
                    ("a", i) if i.starts_with('g') => {
                        client.post(&api::skip_path(RISKY, i), &serde_json::json!({"reason": "later"})).await.expect(StatusCode::NO_CONTENT);
                        continue;
                    }
                    ("b", i) if i.starts_with('g') => gold_answer(),
                    ("b", _) => disagreeing.clone(),
                    (_, "g4") => wrong_sentiment.clone(),
                    _ => reliable.clone(),
                };
                let response: SubmitResponse = client.submit(RISKY, &item, regions).await.expect(StatusCode::OK).json();
                listed.entry(name).or_default().insert(response.submission_id);
                if item.starts_with('g') {
                    let view: SubmissionView = client.get(&api::submission_path(RISKY, response.submission_id)).await.json();
                    gold_scores.entry(name).or_default().push(view.gold_score.unwrap());
                }
                plain += usize::from(item.starts_with('p'));
                if plain == if name == "a" { 2 } else { 8 } {
                    break;
                }
            }
        }
        assert_eq!(listed.iter().map(|(name, ids)| (*name, ids.len())).collect::<HashMap<_, _>>(), HashMap::from([("a", 2), ("b", 12), ("c1", 12), ("c2", 12)]));
        // By gold alone (the mean of the scores) c1 and c2 would come before b.
        assert!(gold_scores["b"].iter().all(|&g| g == 1.0), "{gold_scores:?}");
        assert!(gold_scores["c1"].iter().any(|&g| g < 1.0), "{gold_scores:?}");
        assert!(!gold_scores.contains_key("a"));
        let reviewer = s.user("rev", Role::Reviewer, None, &[RISKY]).await;
        for seed in [1, 2, 3] {
            let uri = format!("{}?strategy=risk&seed={seed}&limit=14", api::review_queue_page_path(RISKY));
            let first: ReviewQueuePage = reviewer.get(&uri).await.expect(StatusCode::OK).json();
            let order = ids(std::slice::from_ref(&first));
            assert_eq!(order[..2].iter().copied().collect::<BTreeSet<i64>>(), listed["a"], "seed {seed}: the new annotator first");
            assert_eq!(order[2..].iter().copied().collect::<BTreeSet<i64>>(), listed["b"], "seed {seed}: then the one who disagrees");
            assert!(first.next_cursor.is_some(), "seed {seed}: the reliable ones follow");
        }
        // A walk's cursor in b's group, then a late annotator who agrees with b (and the gold)
        // on g1: b's sums change, but not under the walk, which lists everyone once.
        let uri = |cursor: Option<&str>| {
            let cursor = cursor.map_or(String::new(), |c| format!("&cursor={c}"));
            format!("{}?strategy=risk&seed=1&limit=5{cursor}", api::review_queue_page_path(RISKY))
        };
        let mut pages: Vec<ReviewQueuePage> = vec![reviewer.get(&uri(None)).await.expect(StatusCode::OK).json()];
        s.advance(1000);
        let late = s.user("late", Role::Annotator, None, &[RISKY]).await;
        assert_eq!(late.next(RISKY).await.as_deref(), Some("g1"));
        late.submit(RISKY, "g1", gold_answer()).await.expect(StatusCode::OK);
        while let Some(cursor) = pages.last().unwrap().next_cursor.clone() {
            pages.push(reviewer.get(&uri(Some(&cursor))).await.expect(StatusCode::OK).json());
        }
        let everyone: BTreeSet<i64> = listed.values().flatten().copied().collect();
        assert_eq!(distinct(&ids(&pages)), everyone);
    }

    async fn filters_narrow_the_entries_and_their_counts(s) {
        let fixture = fixture(&s).await;
        let reviewer = s.user("rev", Role::Reviewer, None, &[PROJECT]).await;
        let lead = s.user("lead", Role::Coordinator, None, &[PROJECT]).await;
        let bobs: Vec<i64> = fixture.submissions.iter().filter(|s| s.annotator == "bob").map(|s| s.id).collect();
        accept(&lead, bobs[0]).await;
        let by_id = fixture.by_id();
        let cases: Vec<(&str, Keep)> = vec![
            ("annotator=bob", |s| s.annotator == "bob"),
            ("vendor=acme", |s| s.vendor.as_deref() == Some("acme")),
            ("vendor=globex&gold=plain", |s| s.annotator == "cy" && !s.gold),
            ("label=PERSON", |s| s.labels.iter().any(|l| l == "PERSON")),
            ("label=neutral", |s| ["cy", "dee", "eve"].contains(&s.annotator.as_str())),
            ("label=PLACE&annotator=bob&gold=gold", |s| s.annotator == "bob" && s.gold),
            ("gold=gold", |s| s.gold),
            ("gold=plain&label=negative", |s| s.annotator == "bob" && !s.gold),
            ("label=ORG&vendor=acme", |_| false),
            ("annotator=nobody", |_| false),
            ("label=nothing", |_| false),
        ];
        for strategy in ["random", "stratified", "risk"] {
            for (filter, keep) in &cases {
                let expected = fixture.ids(*keep);
                let pages = walk(&reviewer, &format!("strategy={strategy}&status=all&limit=2&{filter}")).await;
                let listed = distinct(&ids(&pages));
                assert_eq!(listed, expected, "{strategy} {filter}");
                let reviewed = u64::from(expected.contains(&bobs[0]));
                assert_eq!((pages[0].total, pages[0].reviewed), (expected.len() as u64, reviewed), "{strategy} {filter}");
                let awaiting = distinct(&ids(&walk(&reviewer, &format!("strategy={strategy}&limit=3&{filter}")).await));
                assert_eq!(awaiting, expected.iter().copied().filter(|&id| id != bobs[0]).collect(), "{strategy} {filter} awaiting");
            }
        }
        // Entries as stored.
        for entry in page(&reviewer, "status=all&limit=500", None).await.entries {
            let stored = by_id[&entry.submission_id];
            assert_eq!((&entry.annotator, &entry.vendor, entry.gold, &entry.labels), (&stored.annotator, &stored.vendor, stored.gold, &stored.labels));
            assert_eq!(entry.item_id == "g1", stored.gold);
            let expected = if entry.submission_id == bobs[0] { api::SubmissionStatus::Accepted } else { api::SubmissionStatus::Submitted };
            assert_eq!((entry.status, entry.submitted_at_ms), (expected, T0));
        }
        let facets = page(&reviewer, "", None).await.facets.unwrap();
        assert_eq!(facets.annotators, ["ana", "bob", "cy", "dee", "eve"]);
        assert_eq!(facets.vendors, ["acme", "globex"]);
        assert_eq!(facets.labels, ["ORG", "PERSON", "PLACE", "negative", "neutral", "positive"]);
    }

    async fn a_vendor_sees_only_its_annotators_and_nobody_their_own_work(s) {
        let fixture = fixture(&s).await;
        let acme = s.user("rev-acme", Role::Reviewer, Some("acme"), &[PROJECT]).await;
        let acme_ids = fixture.ids(|s| s.vendor.as_deref() == Some("acme"));
        for strategy in ["random", "stratified", "risk"] {
            let pages = walk(&acme, &format!("strategy={strategy}&limit=3")).await;
            assert_eq!(distinct(&ids(&pages)), acme_ids, "{strategy}");
            assert_eq!(pages[0].total, acme_ids.len() as u64);
        }
        let facets = page(&acme, "", None).await.facets.unwrap();
        assert_eq!((facets.annotators, facets.vendors), (vec!["ana".to_string(), "bob".into()], vec!["acme".to_string()]));
        assert_eq!(facets.labels, ["PERSON", "PLACE", "negative", "positive"], "cy's ORG and dee's neutral are not acme's");
        // Another vendor's annotator or vendor lists nothing, as someone unknown does.
        for filter in ["annotator=cy", "vendor=globex", "annotator=dee", "label=ORG"] {
            let first = page(&acme, &format!("status=all&{filter}"), None).await;
            assert!(first.entries.is_empty() && first.total == 0 && first.next_cursor.is_none(), "{filter}: {first:?}");
        }
        // ana becomes a reviewer: her own submissions leave her queue, and her name the facets.
        let ana_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'ana'").fetch_one(s.store.pool()).await.unwrap();
        s.store.set_member(PROJECT, ana_id, Role::Reviewer).await.unwrap();
        let ana = s.login("ana", PASSWORD).await;
        let first = page(&ana, "status=all&limit=500", None).await;
        assert_eq!(distinct(&ids(std::slice::from_ref(&first))), fixture.ids(|s| s.vendor.as_deref() == Some("acme") && s.annotator != "ana"));
        assert_eq!(first.facets.unwrap().annotators, ["bob"]);
        assert_eq!(page(&ana, "annotator=ana", None).await.total, 0);
        // An admin sees every vendor.
        let admin = s.login("root", PASSWORD).await;
        assert_eq!(page(&admin, "status=all&limit=500", None).await.total, 21);
    }

    async fn bad_parameters_are_refused_by_name(s) {
        fixture(&s).await;
        let reviewer = s.user("rev", Role::Reviewer, None, &[PROJECT]).await;
        let first = page(&reviewer, "strategy=risk&seed=3&limit=2", None).await;
        let cursor = first.next_cursor.unwrap();
        let cases = [
            ("strategy=psychic", "strategy"),
            ("seed=-1", "seed"),
            ("seed=18446744073709551616", "seed"),
            ("gold=silver", "gold"),
            ("status=done", "status"),
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("limit=ten", "limit"),
            ("cursor=not-a-cursor", "cursor"),
            ("cursor=AAAA", "cursor"),
            ("colour=red", "colour"),
            ("label=a&label=b", "label"),
        ];
        for (query, parameter) in cases {
            let answer = reviewer.get(&page_uri(query, None)).await;
            answer.refused(api::ApiErrorCode::BadRequest);
            assert!(answer.error().contains(parameter), "{query}: {}", answer.error());
        }
        // A cursor works with its own query only.
        page(&reviewer, "strategy=risk&seed=3&limit=5", Some(&cursor)).await;
        for other in ["strategy=risk&seed=4", "strategy=random&seed=3", "strategy=risk&seed=3&gold=gold", "strategy=risk&seed=3&status=all"] {
            let answer = reviewer.get(&page_uri(other, Some(&cursor))).await;
            answer.refused(api::ApiErrorCode::BadRequest);
            assert!(answer.error().contains("cursor"), "{other}: {}", answer.error());
        }
        // Annotators may not read the queue; non-members do not know the project exists.
        let ann = s.user("zed", Role::Annotator, None, &[PROJECT]).await;
        ann.get(&page_uri("", None)).await.refused(api::ApiErrorCode::Forbidden);
        let outsider = s.user("out", Role::Reviewer, None, &[DEMO]).await;
        outsider.get(&page_uri("", None)).await.refused(api::ApiErrorCode::NotFound);
    }

    async fn a_walk_covers_the_submissions_made_before_its_first_page(s) {
        let fixture = fixture(&s).await;
        let reviewer = s.user("rev", Role::Reviewer, None, &[PROJECT]).await;
        s.advance(1000);
        for strategy in ["random", "stratified", "risk"] {
            let query = format!("strategy={strategy}&limit=4");
            let first = page(&reviewer, &query, None).await;
            // A new annotator's submission after the first page.
            s.advance(1000);
            let name = format!("late-{strategy}");
            let late = s.user(&name, Role::Annotator, None, &[PROJECT]).await;
            let item = late.next(PROJECT).await.unwrap();
            let late_id = late.submit(PROJECT, &item, answer(&[], "positive")).await.json::<SubmitResponse>().submission_id;
            let mut pages = vec![first];
            while let Some(cursor) = pages.last().unwrap().next_cursor.clone() {
                pages.push(page(&reviewer, &query, Some(&cursor)).await);
            }
            let listed = distinct(&ids(&pages));
            assert!(!listed.contains(&late_id), "{strategy}: a submission after the first page");
            assert!(listed.is_superset(&fixture.ids(|_| true)), "{strategy}");
            assert!(pages.iter().all(|p| p.total == pages[0].total), "{strategy}: one walk, one total");
            let again = distinct(&ids(&walk(&reviewer, &query).await));
            assert!(again.contains(&late_id), "{strategy}: a new walk lists it");
        }
    }

    async fn submissions_from_before_the_migration_are_indexed_at_start(s) {
        let fixture = fixture(&s).await;
        let reviewer = s.user("rev", Role::Reviewer, None, &[PROJECT]).await;
        let lead = s.user("lead", Role::Coordinator, None, &[PROJECT]).await;
        let persons = fixture.ids(|s| s.labels.iter().any(|l| l == "PERSON"));
        let first = *persons.iter().next().unwrap();
        accept(&lead, first).await;
        let risk = ids(&walk(&reviewer, "strategy=risk&seed=9&status=all&limit=8").await);
        let agreement = agreement_sums(&s).await;
        assert!(agreement.iter().any(|&(_, micros, pairs)| micros > 0 && pairs > 1), "{agreement:?}");
        // As migrations 0010 and 0012 leave a database: no label rows, no counts, no pairs, every
        // submission in both backlogs.
        let pool = s.store.pool();
        sqlx::query("DELETE FROM submission_labels").execute(pool).await.unwrap();
        sqlx::query("DELETE FROM review_queue_counts").execute(pool).await.unwrap();
        sqlx::query("DELETE FROM queue_agreement_pairs").execute(pool).await.unwrap();
        sqlx::query("INSERT INTO submission_labels_backlog (submission_id) SELECT id FROM submissions").execute(pool).await.unwrap();
        sqlx::query("INSERT INTO queue_agreement_backlog (submission_id) SELECT id FROM submissions").execute(pool).await.unwrap();
        assert_eq!(page(&reviewer, "label=PERSON&status=all", None).await.total, 0);
        assert_eq!(s.store.index_earlier_submissions().await.unwrap(), 2 * 21);
        assert_eq!(s.count("submission_labels_backlog").await, 0);
        assert_eq!(s.count("queue_agreement_backlog").await, 0);
        assert_eq!(agreement_sums(&s).await, agreement, "each pair of an item counted once, as the submits did");
        let pages = walk(&reviewer, "label=PERSON&status=all&limit=4").await;
        assert_eq!(distinct(&ids(&pages)), persons);
        assert_eq!((pages[0].total, pages[0].reviewed), (persons.len() as u64, 1), "the review is seen too");
        let entries: Vec<ReviewQueueEntry> = page(&reviewer, "status=all&limit=500", None).await.entries;
        let by_id = fixture.by_id();
        assert!(entries.iter().all(|e| e.labels == by_id[&e.submission_id].labels));
        assert_eq!(s.store.index_earlier_submissions().await.unwrap(), 0, "nothing left to do");
        assert_eq!(ids(&walk(&reviewer, "strategy=risk&seed=9&status=all&limit=8").await), risk, "the risk keys are back");
        assert_counts_match(&s).await;
    }
}
