//! The paged review queue at scale: pages of `GET …/review-queue/page` timed over HTTP against
//! a release `annoqa serve` whose project holds `--submissions` submissions (100,000 by default)
//! from `--annotators` annotators, on a fresh SQLite file or a fresh PostgreSQL database.
//!
//! The project, its items and the reviewers go through the API and `annoqa user` as in
//! production. The annotators and their submissions are written with SQL while the server is
//! stopped (100,000 submits through HTTP would take most of an hour on two cores and measure the
//! submit path, not the queue): users with a password hash nobody can log in with, one
//! submission per item, every third one accepted, gold items scored by each annotator's own
//! accuracy. Their label rows, the queue's counts and the agreement sums are left to the server
//! as migrations 0010 and 0012 leave them for a database that had submissions before them: the
//! submissions are listed in `submission_labels_backlog` and `queue_agreement_backlog`, and
//! the server indexes them when it starts (that start is timed too). On PostgreSQL the database is then `VACUUM ANALYZE`d, as autovacuum would have done on
//! a live database.
//!
//! Each scenario is `--requests` sequential requests over one keep-alive connection, as a
//! reviewer's screen makes them; first pages vary the seed, a middle page repeats one cursor
//! taken halfway through a walk. Prints one JSON line per scenario (p50, p99, max in
//! milliseconds) to stdout and a table to stderr.
//!
//! `cargo build --release -p annoqa-cli && cargo run --release -p annoqa-bench --example review_queue -- --bin target/release/annoqa [--database postgres]`

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    native::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {
    eprintln!("the review queue benchmark drives a native `annoqa` process: build it for the host");
}

#[cfg(not(target_arch = "wasm32"))]
#[path = "common/harness.rs"]
mod harness;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;
    use std::time::{Duration, Instant};

    use annoqa_api as api;
    use anyhow::{bail, Context, Result};
    use clap::Parser;

    use hyper::{Method, StatusCode};

    use serde_json::{json, Value};
    use sqlx::{AnyConnection, Connection, Executor};

    use crate::harness::{Cli, Database, Http, PgDatabase, Server};

    const PROJECT: &str = "queue";
    /// The time of every seeded submission (ms since the epoch): before any walk's first page.
    const SEEDED_AT_MS: i64 = 1_700_000_000_000;

    /// Latency of the paged review queue over a large project.
    #[derive(Parser, Debug)]
    #[command(name = "review_queue")]
    struct Args {
        /// The `annoqa` binary to benchmark (the release build).
        #[arg(long)]
        bin: PathBuf,
        /// SQLite: a fresh file in a temporary folder. PostgreSQL: a fresh database on the server
        /// at `ANNOQA_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/postgres),
        /// dropped afterwards.
        #[arg(long, value_enum, default_value = "sqlite")]
        database: Database,
        /// Submissions in the project, one per item.
        #[arg(long, default_value_t = 100_000)]
        submissions: usize,
        /// Annotators they are spread over, round robin.
        #[arg(long, default_value_t = 100)]
        annotators: usize,
        /// Requests per scenario.
        #[arg(long, default_value_t = 300)]
        requests: usize,
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
        if args.submissions == 0 || args.annotators == 0 || args.requests < 2 {
            bail!("--submissions and --annotators must be at least 1, --requests at least 2");
        }
        let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
        let postgres = match args.database {
            Database::Sqlite => None,
            Database::Postgres => Some(PgDatabase::create("review_queue").await?),
        };
        let database_url = match &postgres {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", dir.path().join("annoqa.sqlite3").display()),
        };
        let outcome = benchmark(&args, dir.path(), &database_url).await;
        if let Some(pg) = postgres {
            pg.drop_database().await?;
        }
        outcome
    }

    async fn benchmark(args: &Args, dir: &Path, database_url: &str) -> Result<()> {
        let cli = Cli { bin: args.bin.clone(), database_url: database_url.to_string() };
        let mut server = Server::start(&args.bin, dir, database_url).await?;
        let prepared = prepare(args, &cli, &server.base).await;
        server.stop().await;
        let tokens = prepared.with_context(|| format!("server log: {}", server.log.display()))?;
        let started = Instant::now();
        seed(args, database_url).await.context("seeding the submissions")?;
        eprintln!("seeded {} submissions in {:.1} s", args.submissions, started.elapsed().as_secs_f64());
        let started = Instant::now();
        let mut server = Server::start(&args.bin, dir, database_url).await?;
        let indexing = started.elapsed();
        eprintln!("server start, indexing them: {:.1} s", indexing.as_secs_f64());
        settle(database_url).await.context("VACUUM ANALYZE")?;
        let measured = measure(args, &server.base, &tokens).await;
        server.stop().await;
        let rows = measured.with_context(|| format!("server log: {}", server.log.display()))?;
        report(args, indexing, &rows);
        Ok(())
    }

    /// The reviewers' API tokens: one without a vendor, one of vendor `acme`.
    struct Tokens {
        reviewer: String,
        acme: String,
    }

    /// The project and its items through the API, the reviewers through `annoqa user`.
    async fn prepare(args: &Args, cli: &Cli, base: &str) -> Result<Tokens> {
        let http = Http::new(base);
        let admin = cli.token("admin").await?;
        let (status, body) =
            http.send(Method::POST, api::PROJECTS, &admin, "application/json", project_body().to_string()).await?;
        if status != StatusCode::CREATED {
            bail!("creating the project: {status} {body}");
        }
        let (status, body) = http
            .send(Method::POST, &api::items_path(PROJECT), &admin, "application/x-ndjson", items_body(args))
            .await?;
        if status != StatusCode::CREATED {
            bail!("importing {} items: {status} {body}", args.submissions);
        }
        cli.add("reviewer", "reviewer", PROJECT, None).await?;
        cli.add("reviewer-acme", "reviewer", PROJECT, Some("acme")).await?;
        Ok(Tokens { reviewer: cli.token("reviewer").await?, acme: cli.token("reviewer-acme").await? })
    }

    fn project_body() -> Value {
        json!({
            "id": PROJECT,
            "title": "Review queue benchmark",
            "spec": {
                "media": "text",
                "controls": [
                    {"name": "entities", "type": "text_spans",
                     "labels": [{"value": "PERSON"}, {"value": "ORG"}, {"value": "PLACE"}]},
                    {"name": "sentiment", "type": "choice", "multiple": false, "required": true,
                     "labels": [{"value": "positive"}, {"value": "neutral"}, {"value": "negative"}]}
                ]
            }
        })
    }

    /// Every tenth item is a honeypot.
    fn is_gold(n: usize) -> bool {
        n % 10 == 9
    }

    fn items_body(args: &Args) -> String {
        let mut lines = String::new();
        for n in 0..args.submissions {
            let mut item = json!({
                "id": format!("item-{n:06}"),
                "media": {"type": "text", "text": format!("Maria Costa of Brightwater opened library {n} in Porto.")}
            });
            if is_gold(n) {
                item["gold"] = json!({"mode": "honeypot", "answer": answer(0), "explanation": "A person."});
            }
            lines.push_str(&item.to_string());
            lines.push('\n');
        }
        lines
    }

    /// Submission `n`'s regions: PERSON always, ORG in one of 5, PLACE in one of 50, and a
    /// sentiment, so the label filters range from everything to a few percent.
    fn answer(n: usize) -> Value {
        let mut regions = vec![
            json!({"id": "r1", "control": "entities", "type": "text_span", "start": 0, "end": 11, "label": "PERSON"}),
        ];
        if n % 5 == 1 {
            regions.push(
                json!({"id": "r2", "control": "entities", "type": "text_span", "start": 15, "end": 26, "label": "ORG"}),
            );
        }
        if n % 50 == 7 {
            regions.push(json!({"id": "r3", "control": "entities", "type": "text_span", "start": 49, "end": 54, "label": "PLACE"}));
        }
        let sentiment = ["positive", "neutral", "negative"][n % 3];
        regions.push(json!({"id": "c", "control": "sentiment", "type": "choice", "labels": [sentiment]}));
        Value::Array(regions)
    }

    /// SplitMix64: the seeded ids, as random as the server's own.
    fn splitmix(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn positive_id(state: &mut u64) -> i64 {
        i64::try_from(splitmix(state) >> 1).unwrap_or(1).max(1)
    }

    fn annotator_name(n: usize) -> String {
        format!("annotator-{n:03}")
    }

    /// Annotators and submissions in SQL (literals only: every value is made here), then the
    /// submissions listed for the server to index their labels.
    async fn seed(args: &Args, database_url: &str) -> Result<()> {
        sqlx::any::install_default_drivers();
        let mut conn = AnyConnection::connect(database_url).await?;
        let mut state = 0x5EED_u64;
        let annotators: Vec<i64> = (0..args.annotators).map(|_| positive_id(&mut state)).collect();
        let mut tx = conn.begin().await?;
        for (n, id) in annotators.iter().enumerate() {
            let vendor = match n % 4 {
                0 => "'acme'",
                1 => "'globex'",
                _ => "NULL",
            };
            let name = annotator_name(n);
            (&mut *tx)
                .execute(
                    format!(
                        "INSERT INTO users (id, username, password_hash, role, vendor, created_at_ms)
                     VALUES ({id}, '{name}', '!', 'annotator', {vendor}, {SEEDED_AT_MS});
                     INSERT INTO project_members (project_id, user_id, role) VALUES ('{PROJECT}', {id}, 'annotator')"
                    )
                    .as_str(),
                )
                .await?;
        }
        for chunk in (0..args.submissions).collect::<Vec<_>>().chunks(500) {
            let rows: Vec<String> = chunk.iter().map(|&n| submission_row(n, &annotators, &mut state)).collect();
            let sql = format!(
                "INSERT INTO submissions (id, project_id, item_id, user_id, regions, lead_time_ms, created_at_ms,
                                          gold_score, gold_passed, status, is_gold) VALUES {}",
                rows.join(", ")
            );
            (&mut *tx).execute(sql.as_str()).await?;
        }
        (&mut *tx).execute("INSERT INTO submission_labels_backlog (submission_id) SELECT id FROM submissions").await?;
        (&mut *tx).execute("INSERT INTO queue_agreement_backlog (submission_id) SELECT id FROM submissions").await?;
        tx.commit().await?;
        conn.close().await?;
        Ok(())
    }

    /// PostgreSQL: statistics and visibility maps for the tables just filled, as autovacuum
    /// makes them on a live database (its planner and index-only scans rely on both).
    async fn settle(database_url: &str) -> Result<()> {
        if database_url.starts_with("postgres") {
            let mut conn = AnyConnection::connect(database_url).await?;
            conn.execute("VACUUM ANALYZE").await?;
            conn.close().await?;
        }
        Ok(())
    }

    /// One `VALUES` row: annotator `n mod annotators`, every third accepted, a gold item scored
    /// around its annotator's own accuracy (0.3–1.0).
    fn submission_row(n: usize, annotators: &[i64], state: &mut u64) -> String {
        let id = positive_id(state);
        let who = n % annotators.len();
        let user = annotators[who];
        let regions = answer(n).to_string();
        let status = if n % 3 == 0 { "accepted" } else { "submitted" };
        let (score, passed) = if is_gold(n) {
            let accuracy = 0.3 + 0.7 * ((who * 37) % 100) as f64 / 100.0;
            let noise = (splitmix(state) % 1000) as f64 / 10_000.0;
            let score = (accuracy + noise).min(1.0);
            (format!("{score}"), if score >= 0.8 { "TRUE" } else { "FALSE" })
        } else {
            ("NULL".to_string(), "NULL")
        };
        format!(
            "({id}, '{PROJECT}', 'item-{n:06}', {user}, '{regions}', 1500, {SEEDED_AT_MS}, {score}, {passed}, '{status}', {})",
            if is_gold(n) { "TRUE" } else { "FALSE" }
        )
    }

    /// One measured kind of request.
    struct Scenario {
        name: String,
        query: String,
        /// A first page with the seed varying per request, or a page at a cursor.
        varies_seed: bool,
        cursor: Option<String>,
        acme: bool,
    }

    struct Row {
        name: String,
        entries: usize,
        latency: Percentiles,
    }

    async fn measure(args: &Args, base: &str, tokens: &Tokens) -> Result<Vec<Row>> {
        let http = Http::new(base);
        let mut scenarios = Vec::new();
        for strategy in ["random", "stratified", "risk"] {
            let query = format!("strategy={strategy}");
            scenarios.push(first_page(&format!("{strategy}: first page"), &query));
            let cursor = middle_cursor(&http, &tokens.reviewer, &format!("{query}&seed=1")).await?;
            scenarios.push(middle_page(&format!("{strategy}: middle page"), &format!("{query}&seed=1"), cursor));
        }
        scenarios.push(first_page("annotator: first page", &format!("annotator={}", annotator_name(7))));
        scenarios.push(first_page("label ORG (20%): first page", "label=ORG"));
        scenarios.push(first_page("label PLACE (2%): first page", "label=PLACE"));
        let cursor = middle_cursor(&http, &tokens.reviewer, "label=ORG&seed=1").await?;
        scenarios.push(middle_page("label ORG: middle page", "label=ORG&seed=1", cursor));
        scenarios.push(first_page("gold: first page", "gold=gold"));
        let combined = "strategy=stratified&gold=gold&label=negative";
        scenarios.push(first_page("stratified, gold, negative (3%): first page", combined));
        scenarios.push(Scenario { acme: true, ..first_page("vendor-scoped reviewer: first page", "") });
        let mut rows = Vec::new();
        for scenario in &scenarios {
            let token = if scenario.acme { &tokens.acme } else { &tokens.reviewer };
            rows.push(run_scenario(&http, token, scenario, args.requests).await?);
        }
        Ok(rows)
    }

    fn first_page(name: &str, query: &str) -> Scenario {
        Scenario { name: name.to_string(), query: query.to_string(), varies_seed: true, cursor: None, acme: false }
    }

    fn middle_page(name: &str, query: &str, cursor: String) -> Scenario {
        Scenario { varies_seed: false, cursor: Some(cursor), ..first_page(name, query) }
    }

    /// A cursor halfway through the walk of `query`, reached in pages of 500.
    async fn middle_cursor(http: &Http, token: &str, query: &str) -> Result<String> {
        let mut cursor: Option<String> = None;
        let mut listed = 0u64;
        loop {
            let page = fetch(http, token, &format!("{query}&limit=500"), cursor.as_deref()).await?;
            listed += page.entries.len() as u64;
            let awaiting = page.total - page.reviewed;
            match page.next_cursor {
                Some(next) if listed < awaiting / 2 => cursor = Some(next),
                Some(next) => return Ok(next),
                None => bail!("`{query}`: the walk ended at {listed} entries before its middle"),
            }
        }
    }

    async fn fetch(http: &Http, token: &str, query: &str, cursor: Option<&str>) -> Result<api::ReviewQueuePage> {
        let cursor = cursor.map_or(String::new(), |c| format!("&cursor={c}"));
        let path = format!("{}?{query}{cursor}", api::review_queue_page_path(PROJECT));
        let (status, body) = http.send(Method::GET, &path, token, "", String::new()).await?;
        if status != StatusCode::OK {
            bail!("GET {path}: {status} {body}");
        }
        serde_json::from_str(&body).with_context(|| format!("GET {path}: not a page"))
    }

    async fn run_scenario(http: &Http, token: &str, scenario: &Scenario, requests: usize) -> Result<Row> {
        // Two unmeasured requests first: the connection, the statements' first preparation.
        let mut times = Vec::with_capacity(requests);
        let mut entries = 0;
        for n in 0..requests + 2 {
            let mut query = scenario.query.clone();
            if scenario.varies_seed {
                query = format!("{query}&seed={}", n + 100);
            }
            let started = Instant::now();
            let page = fetch(http, token, query.trim_start_matches('&'), scenario.cursor.as_deref()).await?;
            let elapsed = started.elapsed();
            if n >= 2 {
                times.push(elapsed);
                entries = entries.max(page.entries.len());
            }
        }
        Ok(Row { name: scenario.name.clone(), entries, latency: Percentiles::of(times) })
    }

    struct Percentiles {
        p50: f64,
        p99: f64,
        max: f64,
    }

    impl Percentiles {
        /// Nearest-rank percentiles in milliseconds.
        fn of(mut times: Vec<Duration>) -> Percentiles {
            times.sort_unstable();
            let rank = |p: f64| -> f64 {
                let index = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len().max(1)) - 1;
                times.get(index).map_or(0.0, |t| t.as_secs_f64() * 1000.0)
            };
            Percentiles { p50: rank(0.50), p99: rank(0.99), max: rank(1.0) }
        }
    }

    fn report(args: &Args, indexing: Duration, rows: &[Row]) {
        let database = args.database.name();
        let round = |ms: f64| (ms * 100.0).round() / 100.0;
        eprintln!(
            "review queue, {database}: {} submissions, {} annotators, {} requests each (ms)",
            args.submissions, args.annotators, args.requests
        );
        eprintln!("{:<42} {:>7} {:>8} {:>8} {:>8}", "scenario", "entries", "p50", "p99", "max");
        for row in rows {
            println!(
                "{}",
                json!({"bench": "review_queue", "database": database, "submissions": args.submissions,
                       "annotators": args.annotators, "scenario": row.name, "requests": args.requests,
                       "entries": row.entries, "p50_ms": round(row.latency.p50), "p99_ms": round(row.latency.p99),
                       "max_ms": round(row.latency.max), "start_with_indexing_s": round(indexing.as_secs_f64())})
            );
            eprintln!(
                "{:<42} {:>7} {:>8.1} {:>8.1} {:>8.1}",
                row.name, row.entries, row.latency.p50, row.latency.p99, row.latency.max
            );
        }
    }
}
