//! The load half of `cargo xtask bench`: starts a release `annoqa serve` on a fresh SQLite file
//! or a fresh PostgreSQL database, creates annotators and their API tokens with `annoqa user`,
//! creates a project and imports its items through the API as the admin, then runs concurrent
//! virtual annotators for a fixed time, each looping `GET next` → `POST submit` (a fresh
//! `Idempotency-Key`, a valid answer, bearer-token auth) over keep-alive connections.
//!
//! Prints one JSON line to stdout (submissions/s, submit and next latency percentiles in
//! milliseconds, errors by status) and one human line to stderr.
//!
//! `cargo run --release -p annoqa-bench --example load -- --bin target/release/annoqa [--database postgres]`
//!
//! The generator runs in the same machine as the server and takes CPU from it: it uses one
//! thread, the server the rest.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    native::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {
    eprintln!("the load generator drives a native `annoqa` process: build it for the host");
}

#[cfg(not(target_arch = "wasm32"))]
#[path = "common/harness.rs"]
mod harness;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;
    use std::time::{Duration, Instant};

    use annoqa_api as api;
    use anyhow::{bail, Context, Result};
    use clap::Parser;

    use hyper::{Method, StatusCode};

    use serde_json::{json, Value};

    use crate::harness::{Cli, Database, Http, PgDatabase, Server};

    const PROJECT: &str = "load";

    /// Load benchmark of `annoqa serve`: virtual annotators fetching and submitting work.
    #[derive(Parser, Debug)]
    #[command(name = "load")]
    struct Args {
        /// The `annoqa` binary to benchmark (the release build).
        #[arg(long)]
        bin: PathBuf,
        /// SQLite: a fresh file in a temporary folder. PostgreSQL: a fresh database on the
        /// server at `ANNOQA_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/postgres),
        /// dropped afterwards.
        #[arg(long, value_enum, default_value = "sqlite")]
        database: Database,
        /// Concurrent virtual annotators, each its own account with its own connection.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Seconds of measured load.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Seconds of load before the measured part (fills caches, opens connections).
        #[arg(long, default_value_t = 2)]
        warmup: u64,
        /// Items in the project. Every annotator may answer every item (overlap = concurrency),
        /// so this bounds each annotator's submissions.
        #[arg(long, default_value_t = 3000)]
        items: usize,
        /// Every this-many-th item is a honeypot gold item (scored on submit); 0 for none.
        #[arg(long, default_value_t = 10)]
        gold_every: usize,
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
        if args.concurrency == 0 || args.items == 0 || args.duration == 0 {
            bail!("--concurrency, --items and --duration must be at least 1");
        }
        let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
        let postgres = match args.database {
            Database::Sqlite => None,
            Database::Postgres => Some(PgDatabase::create("load").await?),
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
        let result = drive(args, database_url, &server.base).await;
        server.stop().await;
        result.with_context(|| format!("server log: {}", server.log.display()))
    }

    async fn drive(args: &Args, database_url: &str, base: &str) -> Result<Report> {
        let cli = Cli { bin: args.bin.clone(), database_url: database_url.to_string() };
        let http = Http::new(base);
        let admin = cli.token("admin").await?;
        create_project(&http, &admin, args).await?;
        let mut tokens = Vec::with_capacity(args.concurrency);
        for n in 0..args.concurrency {
            let name = format!("load-annotator-{n:03}");
            cli.add(&name, "annotator", PROJECT, None).await?;
            tokens.push(cli.token(&name).await?);
        }
        let started = Instant::now();
        let measure_from = started + Duration::from_secs(args.warmup);
        let until = measure_from + Duration::from_secs(args.duration);
        // A per-run prefix keeps keys fresh across runs against the same database.
        let run_id = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos());
        let mut tasks = tokio::task::JoinSet::new();
        for (n, token) in tokens.into_iter().enumerate() {
            let annotator = VirtualAnnotator { http: http.clone(), token, key_prefix: format!("{run_id}-{n}") };
            tasks.spawn(annotator.work(measure_from, until));
        }
        let mut total = Tally::default();
        while let Some(done) = tasks.join_next().await {
            total.merge(done.context("a virtual annotator panicked")?);
        }
        Ok(Report::new(total, args.duration))
    }

    /// The spec of the benchmark project: a text task with entity spans and a required
    /// sentiment, like the demo's news task.
    fn project_body(args: &Args) -> Value {
        json!({
            "id": PROJECT,
            "title": "Load benchmark",
            "spec": {
                "media": "text",
                "controls": [
                    {"name": "entities", "type": "text_spans", "overlap": "all_forbidden",
                     "labels": [{"value": "PERSON"}, {"value": "ORG"}]},
                    {"name": "sentiment", "type": "choice", "multiple": false, "required": true,
                     "labels": [{"value": "positive"}, {"value": "negative"}]}
                ]
            },
            "assignment": {"overlap": args.concurrency}
        })
    }

    fn answer() -> Value {
        json!([
            {"id": "r1", "control": "entities", "type": "text_span", "start": 0, "end": 11, "label": "PERSON"},
            {"id": "r2", "control": "sentiment", "type": "choice", "labels": ["positive"]}
        ])
    }

    fn items_body(args: &Args) -> String {
        let mut lines = String::new();
        for n in 0..args.items {
            let mut item = json!({
                "id": format!("item-{n:06}"),
                "media": {"type": "text", "text": format!("Maria Costa opened library number {n} in Porto on Saturday.")}
            });
            if args.gold_every > 0 && n % args.gold_every == args.gold_every - 1 {
                item["gold"] =
                    json!({"mode": "honeypot", "answer": answer(), "explanation": "Maria Costa is a person."});
            }
            lines.push_str(&item.to_string());
            lines.push('\n');
        }
        lines
    }

    async fn create_project(http: &Http, admin: &str, args: &Args) -> Result<()> {
        let (status, body) =
            http.send(Method::POST, api::PROJECTS, admin, "application/json", project_body(args).to_string()).await?;
        if status != StatusCode::CREATED {
            bail!("creating the project: {status} {body}");
        }
        let (status, body) =
            http.send(Method::POST, &api::items_path(PROJECT), admin, "application/x-ndjson", items_body(args)).await?;
        if status != StatusCode::CREATED {
            bail!("importing {} items: {status} {body}", args.items);
        }
        Ok(())
    }

    struct VirtualAnnotator {
        http: Http,
        token: String,
        key_prefix: String,
    }

    impl VirtualAnnotator {
        /// Fetches and submits until `until`; counts only what starts at or after
        /// `measure_from`.
        async fn work(self, measure_from: Instant, until: Instant) -> Tally {
            let mut tally = Tally::default();
            let next = api::next_path(PROJECT);
            let body = json!({"lead_time_ms": 1500, "regions": answer()}).to_string();
            let mut seq = 0u64;
            while Instant::now() < until {
                let measured = Instant::now() >= measure_from;
                let started = Instant::now();
                let fetched = self.http.send(Method::GET, &next, &self.token, "", String::new()).await;
                let fetch_time = started.elapsed();
                let item_id = match fetched {
                    Ok((StatusCode::OK, text)) => {
                        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        match value["item"]["item"]["id"].as_str() {
                            Some(id) => id.to_string(),
                            None => {
                                tally.exhausted = true;
                                break;
                            }
                        }
                    }
                    Ok((status, _)) => {
                        if measured {
                            tally.error(format!("next {}", status.as_u16()));
                        }
                        continue;
                    }
                    Err(e) => {
                        if measured {
                            tally.error(format!("next io: {e}"));
                        }
                        continue;
                    }
                };
                if measured {
                    tally.next_us.push(micros(fetch_time));
                }
                seq += 1;
                let key = format!("{}-{seq}", self.key_prefix);
                let path = api::submit_path(PROJECT, &item_id);
                let started = Instant::now();
                let submitted = self
                    .http
                    .send_with_key(Method::POST, &path, &self.token, Some(&key), "application/json", body.clone())
                    .await;
                let submit_time = started.elapsed();
                if !measured {
                    continue;
                }
                match submitted {
                    Ok((status, _)) if status.is_success() => tally.submit_us.push(micros(submit_time)),
                    Ok((status, _)) => tally.error(format!("submit {}", status.as_u16())),
                    Err(e) => tally.error(format!("submit io: {e}")),
                }
            }
            tally
        }
    }

    fn micros(d: Duration) -> u64 {
        u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
    }

    #[derive(Default)]
    struct Tally {
        submit_us: Vec<u64>,
        next_us: Vec<u64>,
        errors: BTreeMap<String, u64>,
        /// An annotator ran out of items before the time was up.
        exhausted: bool,
    }

    impl Tally {
        fn error(&mut self, what: String) {
            *self.errors.entry(what).or_default() += 1;
        }

        fn merge(&mut self, other: Tally) {
            self.submit_us.extend(other.submit_us);
            self.next_us.extend(other.next_us);
            for (what, n) in other.errors {
                *self.errors.entry(what).or_default() += n;
            }
            self.exhausted |= other.exhausted;
        }
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
        per_second: f64,
        submit: Percentiles,
        next: Percentiles,
        errors: BTreeMap<String, u64>,
        exhausted: bool,
    }

    impl Report {
        fn new(tally: Tally, seconds: u64) -> Report {
            let submissions = tally.submit_us.len();
            Report {
                submissions,
                per_second: submissions as f64 / seconds as f64,
                submit: Percentiles::of(tally.submit_us),
                next: Percentiles::of(tally.next_us),
                errors: tally.errors,
                exhausted: tally.exhausted,
            }
        }

        fn database(args: &Args) -> &'static str {
            args.database.name()
        }

        fn json(&self, args: &Args) -> Value {
            json!({
                "bench": "load",
                "database": Report::database(args),
                "concurrency": args.concurrency,
                "duration_s": args.duration,
                "items": args.items,
                "submissions": self.submissions,
                "submissions_per_s": (self.per_second * 10.0).round() / 10.0,
                "submit_ms": self.submit.json(),
                "next_ms": self.next.json(),
                "errors": self.errors,
                "items_exhausted": self.exhausted,
            })
        }

        fn human(&self, args: &Args) -> String {
            let errors: u64 = self.errors.values().sum();
            let mut line = format!(
                "load {}: {} annotators for {} s: {:.0} submissions/s; submit p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, \
                 max {:.1} ms; next p50 {:.1} ms, p99 {:.1} ms; {errors} errors",
                Report::database(args),
                args.concurrency,
                args.duration,
                self.per_second,
                self.submit.p50,
                self.submit.p90,
                self.submit.p99,
                self.submit.max,
                self.next.p50,
                self.next.p99,
            );
            if errors > 0 {
                line.push_str(&format!(" {:?}", self.errors));
            }
            if self.exhausted {
                line.push_str("; some annotators ran out of items (raise --items)");
            }
            line
        }
    }
}
