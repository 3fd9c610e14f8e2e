//! Latency of the scorecards data and the bad-gold list on a large project: starts a release
//! `annoqa serve` on a fresh SQLite file or a fresh PostgreSQL database, creates the project
//! and imports its items through the API, then seeds the rows those endpoints read straight
//! into the database — submissions (with gold scores from `annoqa_core::score_gold`, lead
//! times, prediction outcomes), reviews with error codes, annotators and "wrong gold" flags —
//! because 100,000 submissions through HTTP (each validated and scored) would take longer than
//! the measurement. Then it times `--requests` sequential `GET …/scorecards` and as many
//! `GET …/bad-gold` as a coordinator, after a few of each to warm up; and as many scorecards
//! again, each after the coordinator accepts a submission, so that the server cannot serve the
//! response it kept and reads that annotator's share again.
//!
//! The project: a text task with entity spans and a sentiment choice; `--annotators`
//! annotators (in four vendors), each submitting `--per-annotator` items, one in ten a
//! honeypot drawn from 100; plain items answered by three annotators each. Most annotators
//! pass 97 % of gold, one in seven 70 %. One honeypot's answer is wrong, and the reliable
//! annotators answer it the way its text says; a few honeypots are flagged as wrong gold.
//!
//! Prints one JSON line to stdout (p50/p90/p99/max in milliseconds, response size, the
//! server's CPU time per request — on a machine shared with other work the wall time includes
//! waiting for a core —, the gold found bad) and one human line to stderr. `--without-choices`
//! leaves the choice control out of the spec, so the scorecards read no submission's regions.
//!
//! `cargo run --release -p annoqa-bench --example scorecards -- --bin target/release/annoqa [--database postgres]`

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    native::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {
    eprintln!("the scorecards benchmark drives a native `annoqa` process: build it for the host");
}

#[cfg(not(target_arch = "wasm32"))]
#[path = "common/harness.rs"]
mod harness;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;
    use std::time::Instant;

    use annoqa_api as api;
    use annoqa_core::{Gold, Item, Region, TaskSpec};
    use anyhow::{bail, Context, Result};
    use clap::Parser;

    use hyper::{Method, StatusCode};

    use serde_json::{json, Value};
    use sqlx::{AnyPool, Executor};

    use crate::harness::{Cli, Database, Http, PgDatabase, Server};

    const PROJECT: &str = "scorecards";
    const GOLD_ITEMS: usize = 100;
    /// The honeypot whose answer is wrong: its gold says positive, its text is negative.
    const WRONG_GOLD: usize = 8;
    const T0: i64 = 1_700_000_000_000;

    /// Latency of `GET …/scorecards` and `GET …/bad-gold` on a project with many submissions.
    #[derive(Parser, Debug)]
    #[command(name = "scorecards")]
    struct Args {
        /// The `annoqa` binary to benchmark (the release build).
        #[arg(long)]
        bin: PathBuf,
        /// SQLite: a fresh file in a temporary folder. PostgreSQL: a fresh database on the
        /// server at `ANNOQA_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/postgres),
        /// dropped afterwards.
        #[arg(long, value_enum, default_value = "sqlite")]
        database: Database,
        #[arg(long, default_value_t = 200)]
        annotators: usize,
        /// Submissions of each annotator (one in ten gold); 200 × 500 = 100,000 in all.
        #[arg(long, default_value_t = 500)]
        per_annotator: usize,
        /// Timed requests of each endpoint.
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Leave the choice control out of the project's spec (the stored answers still carry
        /// sentiments): the scorecards then send no choice answers, which is what they cost
        /// without reading every submission's regions.
        #[arg(long)]
        without_choices: bool,
    }

    pub fn main() -> ExitCode {
        let args = Args::parse();
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                eprintln!("error: cannot start the async runtime: {e}");
                return ExitCode::from(2);
            }
        };
        match runtime.block_on(run(args)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        }
    }

    async fn run(args: Args) -> Result<()> {
        if args.annotators < 4 || args.per_annotator < 10 || args.requests == 0 {
            bail!("--annotators must be at least 4, --per-annotator at least 10, --requests at least 1");
        }
        let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
        let postgres = match args.database {
            Database::Sqlite => None,
            Database::Postgres => Some(PgDatabase::create("scorecards").await?),
        };
        let database_url = match &postgres {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", dir.path().join("annoqa.sqlite3").display()),
        };
        let outcome = benchmark(&args, dir.path(), &database_url).await;
        if let Some(pg) = postgres {
            pg.drop_database().await?;
        }
        let report = outcome?;
        println!("{}", report.json(&args));
        eprintln!("{}", report.human(&args));
        Ok(())
    }

    async fn benchmark(args: &Args, dir: &Path, database_url: &str) -> Result<Report> {
        let mut server = Server::start(&args.bin, dir, database_url).await?;
        let result = drive(args, database_url, &server.base, server.child.id()).await;
        server.stop().await;
        result.with_context(|| format!("server log: {}", server.log.display()))
    }

    async fn drive(args: &Args, database_url: &str, base: &str, server_pid: Option<u32>) -> Result<Report> {
        let cli = Cli { bin: args.bin.clone(), database_url: database_url.to_string() };
        let http = Http::new(base);
        let admin = cli.token("admin").await?;
        let plain_items = plain_items(args);
        create_project(&http, &admin, plain_items, args.without_choices).await?;
        cli.run(
            &["add", "coord", "--role", "coordinator", "--project", PROJECT, "--password-stdin"],
            Some("coordinator of the scorecards benchmark"),
        )
        .await?;
        let coordinator = cli.token("coord").await?;
        let started = Instant::now();
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(database_url).await?;
        let seeded = seed(&pool, args, plain_items).await?;
        count_as_submits_do(&pool).await?;
        if database_url.starts_with("postgres") {
            // What autovacuum does after a bulk insert (PostgreSQL 13 and later vacuum after
            // inserts too), done now rather than some time later: statistics, and the
            // visibility map that index-only scans need.
            pool.execute("VACUUM ANALYZE").await?;
        }
        // Submissions to accept one by one in the changed-sources run.
        let awaiting: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM submissions WHERE status = 'submitted' ORDER BY id LIMIT $1")
                .bind(i64::try_from(args.requests + 10)?)
                .fetch_all(&pool)
                .await?;
        pool.close().await;
        eprintln!("seeded {seeded} submissions in {:.1} s", started.elapsed().as_secs_f64());
        let timer = Timer { http: &http, token: &coordinator, requests: args.requests, server_pid };
        let scorecards = timer.time(&api::scorecards_path(PROJECT), None).await?;
        // A review before each request: one annotator's submissions changed, so the server
        // cannot serve the response it kept and reads that annotator's share again.
        let changed = timer.time(&api::scorecards_path(PROJECT), Some(&awaiting)).await?;
        let bad_gold = timer.time(&api::bad_gold_path(PROJECT), None).await?;
        let (_, list) = http.send(Method::GET, &api::bad_gold_path(PROJECT), &coordinator, "", String::new()).await?;
        let entries: Vec<api::BadGoldEntry> = serde_json::from_str(&list).context("the bad-gold list")?;
        let found = entries.iter().filter(|e| e.detected.is_some()).map(|e| e.item_id.clone()).collect();
        Ok(Report { submissions: seeded, scorecards, changed, bad_gold, found, entries: entries.len() })
    }

    /// Plain items: each answered by three annotators.
    fn plain_items(args: &Args) -> usize {
        let plain_submissions = args.annotators * (args.per_annotator - args.per_annotator / 10);
        plain_submissions.div_ceil(3)
    }

    fn spec_json() -> Value {
        json!({
            "media": "text",
            "controls": [
                {"name": "entities", "type": "text_spans", "overlap": "all_forbidden",
                 "labels": [{"value": "PERSON"}, {"value": "ORG"}, {"value": "PLACE"}]},
                {"name": "sentiment", "type": "choice", "multiple": false, "required": true,
                 "labels": [{"value": "positive"}, {"value": "neutral"}, {"value": "negative"}]}
            ]
        })
    }

    fn answer(span_label: &str, sentiment: &str) -> Value {
        answer_at(("r1", "r2"), (0, 11), span_label, sentiment)
    }

    /// An answer with its regions' ids and the span's place: tools name regions their own way
    /// and annotators mark spans a little differently, so stored answers are rarely equal text.
    fn answer_at(ids: (&str, &str), span: (u64, u64), span_label: &str, sentiment: &str) -> Value {
        json!([
            {"id": ids.0, "control": "entities", "type": "text_span", "start": span.0, "end": span.1, "label": span_label},
            {"id": ids.1, "control": "sentiment", "type": "choice", "labels": [sentiment]}
        ])
    }

    /// Region ids as a client makes them: random.
    fn random_ids(rng: &mut Rng) -> (String, String) {
        (format!("{:x}", rng.next() >> 16), format!("{:x}", rng.next() >> 16))
    }

    /// The gold answer of honeypot `g`: PERSON and a sentiment alternating by item.
    fn gold_sentiment(g: usize) -> &'static str {
        if g % 2 == 0 {
            "positive"
        } else {
            "negative"
        }
    }

    async fn create_project(http: &Http, admin: &str, plain_items: usize, without_choices: bool) -> Result<()> {
        let mut spec = spec_json();
        // Without the choice control, the items' gold and predictions leave it out too (import
        // checks them against the spec).
        let keep = |region: &Value| !without_choices || region["type"] != "choice";
        if let Some(controls) = spec["controls"].as_array_mut() {
            controls.retain(keep);
        }
        let project =
            json!({"id": PROJECT, "title": "Scorecards benchmark", "spec": spec, "assignment": {"overlap": 3}});
        let (status, body) =
            http.send(Method::POST, api::PROJECTS, admin, "application/json", project.to_string()).await?;
        if status != StatusCode::CREATED {
            bail!("creating the project: {status} {body}");
        }
        let mut lines = String::new();
        for g in 0..GOLD_ITEMS {
            let mut answer = answer("PERSON", gold_sentiment(g));
            if let Some(regions) = answer.as_array_mut() {
                regions.retain(keep);
            }
            let gold = json!({"mode": "honeypot", "answer": answer});
            let text = format!("Maria Costa opened library number {g} in Porto on Saturday.");
            lines.push_str(
                &json!({"id": gold_id(g), "media": {"type": "text", "text": text}, "gold": gold}).to_string(),
            );
            lines.push('\n');
        }
        for p in 0..plain_items {
            let text = format!("Maria Costa visited school number {p} in Porto.");
            let mut item = json!({"id": plain_id(p), "media": {"type": "text", "text": text}});
            // Three items in ten come with a model's guess to start from.
            if p % 10 < 3 && !without_choices {
                item["predictions"] =
                    json!([{"id": "p1", "control": "sentiment", "type": "choice", "labels": ["positive"]}]);
            }
            lines.push_str(&item.to_string());
            lines.push('\n');
        }
        let (status, body) =
            http.send(Method::POST, &api::items_path(PROJECT), admin, "application/x-ndjson", lines).await?;
        if status != StatusCode::CREATED {
            bail!("importing the items: {status} {body}");
        }
        Ok(())
    }

    fn gold_id(g: usize) -> String {
        format!("gold-{g:03}")
    }

    fn plain_id(p: usize) -> String {
        format!("item-{p:06}")
    }

    /// splitmix64: the benchmark's data is the same on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }

        fn chance(&mut self, p: f64) -> bool {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
        }
    }

    /// One answer to a honeypot as the server would have stored it: regions, score, passed,
    /// report — from `annoqa_core::score_gold`.
    #[derive(Clone)]
    struct Scored {
        span_label: &'static str,
        sentiment: &'static str,
        score: f64,
        passed: bool,
        report: String,
    }

    /// Every answer variant (span label × sentiment) scored against both gold answers.
    struct Answers {
        /// `[gold sentiment index][variant]`.
        scored: Vec<Vec<Scored>>,
        variants: Vec<(&'static str, &'static str)>,
    }

    impl Answers {
        fn new() -> Result<Answers> {
            let spec: TaskSpec = serde_json::from_value(spec_json())?;
            let item: Item = serde_json::from_value(
                json!({"id": "x", "media": {"type": "text", "text": "Maria Costa opened a library."}}),
            )?;
            let mut variants = Vec::new();
            for span in ["PERSON", "ORG", "PLACE"] {
                for sentiment in ["positive", "neutral", "negative"] {
                    variants.push((span, sentiment));
                }
            }
            let mut scored = Vec::new();
            for gold_sentiment in ["positive", "negative"] {
                let gold: Gold =
                    serde_json::from_value(json!({"mode": "honeypot", "answer": answer("PERSON", gold_sentiment)}))?;
                let mut row = Vec::new();
                for &(span, sentiment) in &variants {
                    let regions: Vec<Region> = serde_json::from_value(answer(span, sentiment))?;
                    let report = annoqa_core::score_gold(&spec, &item, &gold, &regions);
                    let stored = Scored {
                        span_label: span,
                        sentiment,
                        score: report.score,
                        passed: report.passed,
                        report: serde_json::to_string(&report)?,
                    };
                    row.push(stored);
                }
                scored.push(row);
            }
            Ok(Answers { scored, variants })
        }

        /// The answer of an annotator with accuracy `accuracy` to honeypot `g`.
        fn gold_answer(&self, g: usize, accuracy: f64, rng: &mut Rng) -> Scored {
            let gold = usize::from(gold_sentiment(g) == "negative");
            let row = &self.scored[gold];
            let exact = self.variants.iter().position(|v| *v == ("PERSON", gold_sentiment(g))).unwrap_or(0);
            if g == WRONG_GOLD && accuracy > 0.9 {
                // The text is negative whatever the gold says: reliable annotators say so.
                let truth = self.variants.iter().position(|v| *v == ("PERSON", "negative")).unwrap_or(0);
                return row[truth].clone();
            }
            if rng.chance(accuracy) {
                return row[exact].clone();
            }
            let failing: Vec<&Scored> = row.iter().filter(|s| !s.passed).collect();
            failing.get(rng.below(failing.len())).map_or_else(|| row[exact].clone(), |s| (*s).clone())
        }
    }

    /// A row of `submissions` about to be inserted.
    struct Submission {
        id: i64,
        item: String,
        user: i64,
        regions: String,
        lead_time_ms: i64,
        created_at_ms: i64,
        status: &'static str,
        gold: Option<Scored>,
        outcome: Option<String>,
    }

    /// Annotators, submissions, reviews and flags, straight into the tables.
    async fn seed(pool: &AnyPool, args: &Args, plain_items: usize) -> Result<usize> {
        let reviewer: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'coord'").fetch_one(pool).await?;
        let users = seed_annotators(pool, args.annotators).await?;
        let answers = Answers::new()?;
        let mut rng = Rng(2024);
        let mut submissions = Vec::with_capacity(args.annotators * args.per_annotator);
        let per_gold = args.per_annotator / 10;
        let mut next_plain = 0usize;
        for (a, &user) in users.iter().enumerate() {
            let accuracy = if a % 7 == 6 { 0.7 } else { 0.97 };
            let mut golds: Vec<usize> = (0..GOLD_ITEMS).collect();
            for i in (1..golds.len()).rev() {
                golds.swap(i, rng.below(i + 1));
            }
            for n in 0..args.per_annotator {
                let created_at_ms = T0 + (n * args.annotators + a) as i64 * 1000;
                let lead_time_ms = 2000 + rng.below(58_000) as i64;
                let id = (a * args.per_annotator + n + 1) as i64;
                let submission = if n % 10 == 9 && n / 10 < per_gold {
                    let g = golds[(n / 10) % GOLD_ITEMS];
                    let scored = answers.gold_answer(g, accuracy, &mut rng);
                    let ids = random_ids(&mut rng);
                    let regions = answer_at((&ids.0, &ids.1), (0, 11), scored.span_label, scored.sentiment);
                    Submission {
                        id,
                        item: gold_id(g),
                        user,
                        regions: regions.to_string(),
                        lead_time_ms,
                        created_at_ms,
                        status: "submitted",
                        gold: Some(scored),
                        outcome: None,
                    }
                } else {
                    let p = next_plain % plain_items;
                    next_plain += 1;
                    let sentiment = ["positive", "neutral", "negative"][rng.below(3)];
                    let outcome = (p % 10 < 3).then(|| {
                        let mut outcome = json!({"kept": [], "edited": [], "deleted": []});
                        outcome[["kept", "edited", "deleted"][rng.below(3)]] = json!(["p1"]);
                        outcome.to_string()
                    });
                    Submission {
                        id,
                        item: plain_id(p),
                        user,
                        regions: {
                            let ids = random_ids(&mut rng);
                            let span = (rng.below(4) as u64, 8 + rng.below(12) as u64);
                            answer_at((&ids.0, &ids.1), span, "PERSON", sentiment).to_string()
                        },
                        lead_time_ms,
                        created_at_ms,
                        status: "submitted",
                        gold: None,
                        outcome,
                    }
                };
                submissions.push(submission);
            }
        }
        let reviews = review_some(&mut submissions, reviewer, &mut rng);
        insert_submissions(pool, &submissions).await?;
        insert_reviews(pool, &reviews).await?;
        flag_gold(pool, &users).await?;
        Ok(submissions.len())
    }

    /// `n` annotators in four vendors, members of the project; their ids.
    async fn seed_annotators(pool: &AnyPool, n: usize) -> Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(n);
        let mut tx = pool.begin().await?;
        for a in 0..n {
            let id = 1_000_000 + a as i64;
            sqlx::query("INSERT INTO users (id, username, password_hash, role, vendor, created_at_ms) VALUES ($1, $2, '!', 'annotator', $3, $4)")
                .bind(id)
                .bind(format!("annotator-{a:03}"))
                .bind(format!("vendor-{}", a % 4))
                .bind(T0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, 'annotator')")
                .bind(PROJECT)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// A review as inserted: submission id, verdict, error codes and region errors (JSON).
    struct Review {
        id: i64,
        submission: i64,
        reviewer: i64,
        verdict: &'static str,
        regions: Option<String>,
        codes: &'static str,
        region_errors: &'static str,
        at_ms: i64,
    }

    /// One submission in five reviewed: 70 % accepted, 15 % fixed, 15 % rejected, with codes.
    fn review_some(submissions: &mut [Submission], reviewer: i64, rng: &mut Rng) -> Vec<Review> {
        let mut reviews = Vec::new();
        for s in submissions.iter_mut() {
            if !rng.chance(0.2) {
                continue;
            }
            let roll = rng.below(100);
            let (verdict, status, codes, region_errors) = match roll {
                0..=69 => ("accept", "accepted", "[]", "[]"),
                70..=84 => ("fix", "fixed", r#"["wrong_label"]"#, r#"[{"region":"r2","code":"wrong_label"}]"#),
                _ => (
                    "reject",
                    "rejected",
                    r#"["missing_region","guideline_specific"]"#,
                    r#"[{"code":"missing_region","comment":"the place"}]"#,
                ),
            };
            s.status = status;
            let regions = (verdict == "fix").then(|| answer("PERSON", "neutral").to_string());
            let id = 10_000_000 + s.id;
            reviews.push(Review {
                id,
                submission: s.id,
                reviewer,
                verdict,
                regions,
                codes,
                region_errors,
                at_ms: s.created_at_ms + 3_600_000,
            });
        }
        reviews
    }

    const BATCH: usize = 500;

    async fn insert_submissions(pool: &AnyPool, submissions: &[Submission]) -> Result<()> {
        let mut tx = pool.begin().await?;
        for chunk in submissions.chunks(BATCH) {
            let values: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let p = |c: usize| format!("${}", r * 12 + c);
                    format!(
                        "({}, '{PROJECT}', {}, {}, {}, {}, {}, CASE WHEN {} THEN {} END, {}, {}, {}, {})",
                        p(1),
                        p(2),
                        p(3),
                        p(4),
                        p(5),
                        p(6),
                        p(7),
                        p(8),
                        p(9),
                        p(10),
                        p(11),
                        p(12)
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO submissions (id, project_id, item_id, user_id, regions, lead_time_ms, created_at_ms, gold_score,
                                          gold_passed, gold_report, status, prediction_outcome)
                 VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for s in chunk {
                let gold = s.gold.as_ref();
                query = query
                    .bind(s.id)
                    .bind(s.item.clone())
                    .bind(s.user)
                    .bind(s.regions.clone())
                    .bind(s.lead_time_ms)
                    .bind(s.created_at_ms)
                    // A NULL f64 cannot be bound through `Any` on PostgreSQL: a flag says NULL.
                    .bind(gold.is_some())
                    .bind(gold.map_or(0.0, |g| g.score))
                    .bind(gold.map(|g| g.passed))
                    .bind(gold.map(|g| g.report.clone()))
                    .bind(s.status)
                    .bind(s.outcome.clone());
            }
            query.execute(&mut *tx).await.context("inserting submissions")?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What a submit and a review keep beside the rows they write and the server reads here:
    /// whether the item is gold, and each annotator's counts in the review queue's table
    /// (label '' only: the label rows serve the queue's label filter, which this does not time).
    async fn count_as_submits_do(pool: &AnyPool) -> Result<()> {
        pool.execute("UPDATE submissions SET is_gold = (gold_passed IS NOT NULL)").await?;
        pool.execute(
            "INSERT INTO review_queue_counts (project_id, label, user_id, is_gold, reviewed, submissions, gold_micros, gold_scored)
             SELECT project_id, '', user_id, is_gold, status <> 'submitted', COUNT(*),
                    CAST(SUM(COALESCE(ROUND(gold_score * 1000000), 0)) AS BIGINT), COUNT(gold_score)
             FROM submissions GROUP BY project_id, user_id, is_gold, status <> 'submitted'",
        )
        .await
        .context("counting the submissions as submits and reviews do")?;
        Ok(())
    }

    async fn insert_reviews(pool: &AnyPool, reviews: &[Review]) -> Result<()> {
        let mut tx = pool.begin().await?;
        for chunk in reviews.chunks(BATCH) {
            let values: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let p = |c: usize| format!("${}", r * 8 + c);
                    format!(
                        "({}, '{PROJECT}', {}, {}, {}, {}, {}, {}, '', {})",
                        p(1),
                        p(2),
                        p(3),
                        p(4),
                        p(5),
                        p(6),
                        p(7),
                        p(8)
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO reviews (id, project_id, submission_id, reviewer_id, verdict, regions, error_codes, region_errors,
                                      comment, created_at_ms)
                 VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for r in chunk {
                query = query
                    .bind(r.id)
                    .bind(r.submission)
                    .bind(r.reviewer)
                    .bind(r.verdict)
                    .bind(r.regions.clone())
                    .bind(r.codes)
                    .bind(r.region_errors)
                    .bind(r.at_ms);
            }
            query.execute(&mut *tx).await.context("inserting reviews")?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Three "wrong gold" flags on two honeypots (the wrong one among them) and an "unclear".
    async fn flag_gold(pool: &AnyPool, users: &[i64]) -> Result<()> {
        let flags = [(WRONG_GOLD, "wrong_gold"), (WRONG_GOLD, "wrong_gold"), (12, "wrong_gold"), (13, "unclear")];
        for (n, (g, reason)) in flags.into_iter().enumerate() {
            sqlx::query(
                "INSERT INTO feedback (id, project_id, kind, author_id, item_id, reason, error_codes, body, created_at_ms)
                 VALUES ($1, $2, 'flag', $3, $4, $5, '[]', 'the gold looks wrong', $6)",
            )
            .bind(20_000_000 + n as i64)
            .bind(PROJECT)
            .bind(users[n % users.len()])
            .bind(gold_id(g))
            .bind(reason)
            .bind(T0 + n as i64)
            .execute(pool)
            .await?;
        }
        Ok(())
    }

    /// Times sequential GETs as one client.
    struct Timer<'a> {
        http: &'a Http,
        token: &'a str,
        requests: usize,
        server_pid: Option<u32>,
    }

    impl Timer<'_> {
        /// Times `requests` GETs of `path` after ten to warm up; each must answer 200. Also the
        /// server's CPU time over the timed ones: on a machine shared with other work the wall
        /// time includes waiting for a core, which this does not. With `accept`, submissions
        /// awaiting review, the n-th GET follows the acceptance of the n-th of them, untimed,
        /// and the CPU time includes the reviews'.
        async fn time(&self, path: &str, accept: Option<&[i64]>) -> Result<Timing> {
            let mut us = Vec::with_capacity(self.requests);
            let mut bytes = 0;
            let mut cpu_before = None;
            let mut first_ms = 0.0;
            for n in 0..self.requests + 10 {
                if n == 10 {
                    cpu_before = self.server_pid.and_then(cpu_ms);
                }
                if let Some(awaiting) = accept {
                    let Some(&submission) = awaiting.get(n) else { bail!("too few submissions await review") };
                    let review = api::reviews_path(PROJECT, submission);
                    let verdict = json!({"verdict": "accept"}).to_string();
                    let (status, body) =
                        self.http.send(Method::POST, &review, self.token, "application/json", verdict).await?;
                    if status != StatusCode::CREATED {
                        bail!("POST {review}: {status} {body}");
                    }
                }
                let started = Instant::now();
                let (status, body) = self.http.send(Method::GET, path, self.token, "", String::new()).await?;
                let elapsed = started.elapsed();
                if status != StatusCode::OK {
                    bail!("GET {path}: {status} {body}");
                }
                bytes = body.len();
                if n == 0 {
                    first_ms = elapsed.as_secs_f64() * 1000.0;
                }
                if n >= 10 {
                    us.push(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
                }
            }
            let cpu_after = self.server_pid.and_then(cpu_ms);
            let cpu_per_request = cpu_before.zip(cpu_after).map(|(b, a)| (a - b) / self.requests as f64);
            Ok(Timing { percentiles: Percentiles::of(us), bytes, cpu_per_request, first_ms })
        }
    }

    /// The user and system CPU time of process `pid` so far in milliseconds, from
    /// `/proc/PID/stat` (fields 14 and 15, in USER_HZ = 100 ticks a second); `None` elsewhere.
    fn cpu_ms(pid: u32) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
        Some((ticks(11)? + ticks(12)?) * 10.0)
    }

    struct Timing {
        percentiles: Percentiles,
        bytes: usize,
        /// The server's CPU milliseconds per timed request, where `/proc` tells.
        cpu_per_request: Option<f64>,
        /// The first (untimed) request's milliseconds: for scorecards, the one that reads
        /// every annotator's share.
        first_ms: f64,
    }

    struct Percentiles {
        p50: f64,
        p90: f64,
        p99: f64,
        max: f64,
    }

    impl Percentiles {
        /// Nearest-rank percentiles in milliseconds; zeros when nothing was measured.
        fn of(mut us: Vec<u64>) -> Percentiles {
            us.sort_unstable();
            let rank = |p: f64| -> f64 {
                if us.is_empty() {
                    return 0.0;
                }
                let index = ((p * us.len() as f64).ceil() as usize).clamp(1, us.len()) - 1;
                us.get(index).copied().unwrap_or(0) as f64 / 1000.0
            };
            Percentiles { p50: rank(0.50), p90: rank(0.90), p99: rank(0.99), max: rank(1.0) }
        }

        fn json(&self) -> Value {
            let round = |ms: f64| (ms * 1000.0).round() / 1000.0;
            json!({"p50": round(self.p50), "p90": round(self.p90), "p99": round(self.p99), "max": round(self.max)})
        }
    }

    struct Report {
        submissions: usize,
        scorecards: Timing,
        /// Scorecards, each request after a change to what they are computed from.
        changed: Timing,
        bad_gold: Timing,
        /// The gold items the bad-gold list found bad.
        found: Vec<String>,
        entries: usize,
    }

    impl Report {
        fn database(args: &Args) -> &'static str {
            args.database.name()
        }

        fn json(&self, args: &Args) -> Value {
            json!({
                "bench": "scorecards",
                "database": Report::database(args),
                "choices": !args.without_choices,
                "annotators": args.annotators,
                "submissions": self.submissions,
                "requests": args.requests,
                "scorecards_ms": self.scorecards.percentiles.json(),
                "scorecards_bytes": self.scorecards.bytes,
                "scorecards_server_cpu_ms": self.scorecards.cpu_per_request.map(|ms| (ms * 10.0).round() / 10.0),
                "scorecards_first_ms": (self.scorecards.first_ms * 1000.0).round() / 1000.0,
                "scorecards_after_change_ms": self.changed.percentiles.json(),
                "scorecards_after_change_server_cpu_ms": self.changed.cpu_per_request.map(|ms| (ms * 10.0).round() / 10.0),
                "bad_gold_ms": self.bad_gold.percentiles.json(),
                "bad_gold_server_cpu_ms": self.bad_gold.cpu_per_request.map(|ms| (ms * 10.0).round() / 10.0),
                "bad_gold_entries": self.entries,
                "gold_found_bad": self.found,
                "wrong_gold": gold_id(WRONG_GOLD),
            })
        }

        fn human(&self, args: &Args) -> String {
            let (s, c, b) = (&self.scorecards.percentiles, &self.changed.percentiles, &self.bad_gold.percentiles);
            format!(
                "scorecards {}: {} submissions, {} requests each; scorecards p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, \
                 max {:.1} ms ({} KiB, server CPU {:.1} ms a request; the first {:.1} ms); after a change p50 {:.1} ms, p99 {:.1} ms \
                 (server CPU {:.1} ms a review and request); bad-gold p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, \
                 max {:.1} ms (server CPU {:.1} ms a request); found bad {:?} (the wrong one is {})",
                Report::database(args),
                self.submissions,
                args.requests,
                s.p50,
                s.p90,
                s.p99,
                s.max,
                self.scorecards.bytes / 1024,
                self.scorecards.cpu_per_request.unwrap_or(f64::NAN),
                self.scorecards.first_ms,
                c.p50,
                c.p99,
                self.changed.cpu_per_request.unwrap_or(f64::NAN),
                b.p50,
                b.p90,
                b.p99,
                b.max,
                self.bad_gold.cpu_per_request.unwrap_or(f64::NAN),
                self.found,
                gold_id(WRONG_GOLD),
            )
        }
    }
}
