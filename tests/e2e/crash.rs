//! Crash safety: several clients submit through the real binary, the server is killed with
//! SIGKILL mid-load and restarted on the same database. Every submission that was answered 2xx
//! must be stored exactly once, resending it with its `Idempotency-Key` must replay the first
//! answer, and a submission whose answer was lost in the crash must land exactly once when
//! resent. Runs on SQLite and on PostgreSQL (`ANNOQA_TEST_POSTGRES_URL`).

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use annoqa_api as api;
use sqlx::{Connection, Executor};

use super::{complete_answer, env_path, HttpAnswer, Running};

const PROJECT: &str = "crash";
/// Concurrent submitting clients, each its own annotator.
const CLIENTS: usize = 4;
/// Acknowledged submissions before the kill, so the crash hits a busy server.
const ACKED_BEFORE_KILL: usize = 120;
const ITEMS: usize = 2000;
const WAIT: Duration = Duration::from_secs(60);

#[test]
fn crash_mid_load_loses_and_duplicates_no_acknowledged_submission_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("annoqa.sqlite3").display());
    crash_and_check(dir.path(), &url);
}

#[test]
fn crash_mid_load_loses_and_duplicates_no_acknowledged_submission_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let database = PgDatabase::create();
    crash_and_check(dir.path(), &database.url);
}

/// One submit as the client saw it.
#[derive(Clone, Debug)]
struct Attempt {
    client: usize,
    item: String,
    key: String,
    body: String,
    outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    /// 2xx: the server said it is stored.
    Acked { status: u16, submission_id: i64, response: String },
    /// The connection died before an answer: stored or not, the client cannot know.
    Unknown,
}

fn crash_and_check(dir: &Path, url: &str) {
    let (mut server, base) = start(dir, url);
    let admin = cli(url, &["token", "admin"], None).trim().to_string();
    create_project(&base, &admin);
    let tokens: Vec<String> = (0..CLIENTS)
        .map(|n| {
            let name = format!("crash-annotator-{n}");
            cli(
                url,
                &["add", &name, "--role", "annotator", "--project", PROJECT, "--password-stdin"],
                Some("crash test pw"),
            );
            cli(url, &["token", &name], None).trim().to_string()
        })
        .collect();

    // Load, then SIGKILL (`Child::kill`) while the clients are still submitting.
    let attempts = Arc::new(Mutex::new(Vec::<Attempt>::new()));
    let acked = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(client, token)| {
            let (base, token) = (base.clone(), token.clone());
            let (attempts, acked, killed) = (attempts.clone(), acked.clone(), killed.clone());
            std::thread::spawn(move || submit_until_the_server_dies(client, &base, &token, &attempts, &acked, &killed))
        })
        .collect();
    let deadline = Instant::now() + WAIT;
    while acked.load(Ordering::SeqCst) < ACKED_BEFORE_KILL {
        assert!(
            Instant::now() < deadline,
            "only {} submissions acknowledged in {WAIT:?}",
            acked.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    killed.store(true, Ordering::SeqCst);
    server.0.kill().expect("cannot kill the server");
    server.0.wait().unwrap();
    for client in clients {
        client.join().expect("a client thread panicked");
    }
    let attempts = std::mem::take(&mut *attempts.lock().unwrap());
    let acked_before: Vec<&Attempt> = attempts.iter().filter(|a| matches!(a.outcome, Outcome::Acked { .. })).collect();
    let unknown: Vec<&Attempt> = attempts.iter().filter(|a| a.outcome == Outcome::Unknown).collect();
    assert!(acked_before.len() >= ACKED_BEFORE_KILL, "{} acknowledged", acked_before.len());

    // Restart on the same database: what was acknowledged is there, once.
    let (_server, base) = start(dir, url);
    let stored = stored_submissions(url);
    let ids = user_ids(url);
    let user_of = |client: usize| ids[&format!("crash-annotator-{client}")];
    for attempt in &acked_before {
        let Outcome::Acked { submission_id, .. } = attempt.outcome else { unreachable!() };
        let rows: Vec<&StoredSubmission> =
            stored.iter().filter(|s| s.user_id == user_of(attempt.client) && s.item_id == attempt.item).collect();
        assert_eq!(rows.len(), 1, "acknowledged {attempt:?} is stored exactly once: {rows:?}");
        assert_eq!(rows[0].id, submission_id, "the stored row is the acknowledged one: {attempt:?}");
        assert_eq!(rows[0].keys, 1, "its Idempotency-Key is stored once: {attempt:?}");
    }
    // Nothing is stored that no client sent, and every stored row has its key (one transaction).
    for row in &stored {
        let sent = attempts.iter().any(|a| user_of(a.client) == row.user_id && a.item == row.item_id);
        assert!(sent, "a stored submission no client sent: {row:?}");
        assert_eq!(row.keys, 1, "a stored submission without its Idempotency-Key (or with several): {row:?}");
    }
    let in_flight_stored = stored.len() - acked_before.len();
    assert!(in_flight_stored <= unknown.len(), "{in_flight_stored} stored beyond {} in flight", unknown.len());

    // Resending an acknowledged submission with its key replays the first answer, adds nothing.
    for attempt in &acked_before {
        let Outcome::Acked { status, ref response, .. } = attempt.outcome else { unreachable!() };
        let again = submit(&base, &tokens[attempt.client], &attempt.item, &attempt.key, &attempt.body)
            .unwrap_or_else(|e| panic!("resending {attempt:?}: {e}"));
        assert_eq!((again.status, &again.body), (status, response), "replay of {attempt:?}");
    }
    // The same key with another body is refused, not stored.
    if let Some(attempt) = acked_before.first() {
        let other = attempt.body.replace("positive", "negative");
        let answer = submit(&base, &tokens[attempt.client], &attempt.item, &attempt.key, &other).unwrap();
        assert_eq!(answer.status, 422, "same key, different body: {}", answer.body);
    }
    // A submit whose answer the crash swallowed lands exactly once when resent with its key:
    // replayed if it had committed, stored now if it had not.
    for attempt in &unknown {
        let again = submit(&base, &tokens[attempt.client], &attempt.item, &attempt.key, &attempt.body)
            .unwrap_or_else(|e| panic!("resending {attempt:?}: {e}"));
        assert_eq!(again.status, 200, "resending in-flight {attempt:?}: {}", again.body);
        let id = submission_id(&again.body);
        let before = stored.iter().find(|s| s.user_id == user_of(attempt.client) && s.item_id == attempt.item);
        if let Some(row) = before {
            assert_eq!(row.id, id, "an in-flight submit that committed replays its stored row: {attempt:?}");
        }
    }
    let after = stored_submissions(url);
    assert_eq!(after.len(), acked_before.len() + unknown.len(), "after the resends: {after:?}");
    let mut per_user_item = BTreeMap::new();
    for row in &after {
        *per_user_item.entry((row.user_id, row.item_id.clone())).or_insert(0) += 1;
        assert_eq!(row.keys, 1, "{row:?}");
    }
    assert!(per_user_item.values().all(|&n| n == 1), "duplicates: {per_user_item:?}");
    eprintln!(
        "crash test ({}): {} acknowledged before the kill, {} in flight ({} of them had committed)",
        url.split(':').next().unwrap_or_default(),
        acked_before.len(),
        unknown.len(),
        in_flight_stored
    );
}

fn submit_until_the_server_dies(
    client: usize,
    base: &str,
    token: &str,
    attempts: &Mutex<Vec<Attempt>>,
    acked: &AtomicUsize,
    killed: &AtomicBool,
) {
    let next_path = api::next_path(PROJECT);
    for seq in 0.. {
        let next = match request(base, "GET", &next_path, token, None, "") {
            Ok(answer) => answer,
            Err(_) if killed.load(Ordering::SeqCst) => return,
            Err(e) => panic!("client {client}: GET next failed before the kill: {e}"),
        };
        assert_eq!(next.status, 200, "client {client}: GET next: {}", next.body);
        let value: serde_json::Value = serde_json::from_str(&next.body).unwrap();
        let item = value["item"]["item"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("client {client} ran out of items: raise ITEMS"))
            .to_string();
        let key = format!("crash-{client}-{seq}");
        let body = serde_json::json!({
            "lead_time_ms": 1000 + seq,
            "regions": [{"id": "r1", "control": "sentiment", "type": "choice", "labels": ["positive"]}]
        })
        .to_string();
        let outcome = match submit(base, token, &item, &key, &body) {
            Ok(answer) if (200..300).contains(&answer.status) => {
                acked.fetch_add(1, Ordering::SeqCst);
                Outcome::Acked {
                    status: answer.status,
                    submission_id: submission_id(&answer.body),
                    response: answer.body,
                }
            }
            Ok(answer) => panic!("client {client}: submit {item} refused: {} {}", answer.status, answer.body),
            Err(_) if killed.load(Ordering::SeqCst) => Outcome::Unknown,
            Err(e) => panic!("client {client}: submit failed before the kill: {e}"),
        };
        let stop = outcome == Outcome::Unknown;
        attempts.lock().unwrap().push(Attempt { client, item, key, body, outcome });
        if stop {
            return;
        }
    }
}

fn submission_id(body: &str) -> i64 {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    value["submission_id"].as_i64().unwrap_or_else(|| panic!("no submission_id in {body}"))
}

fn submit(base: &str, token: &str, item: &str, key: &str, body: &str) -> std::io::Result<HttpAnswer> {
    request(base, "POST", &api::submit_path(PROJECT, item), token, Some(key), body)
}

/// One HTTP/1.1 exchange with a bearer token on its own connection (the inbox test uses it too);
/// an error when the connection fails or closes
/// before the whole answer arrived (as when the server is killed).
pub(crate) fn request(
    base: &str,
    method: &str,
    path: &str,
    token: &str,
    idempotency_key: Option<&str>,
    body: &str,
) -> std::io::Result<HttpAnswer> {
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(WAIT))?;
    let key = idempotency_key.map(|k| format!("{}: {k}\r\n", api::IDEMPOTENCY_KEY)).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         {key}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        if let Some(answer) = complete_answer(&raw) {
            return Ok(answer);
        }
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            return complete_answer(&raw).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the connection closed mid-answer")
            });
        }
        raw.extend_from_slice(&buffer[..read]);
    }
}

/// `annoqa serve` on `url` with no demo projects; the URL it listens on.
fn start(dir: &Path, url: &str) -> (Running, String) {
    let mut child = Command::new(env_path("ANNOQA_BIN"))
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", url])
        .arg("--dist")
        .arg(dir.join("no-dist"))
        .arg("--static")
        .arg(dir.join("no-static"))
        .arg("--media-dir")
        .arg(dir.join("media"))
        .env("ANNOQA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start the annoqa binary");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in the first line annoqa printed: {line:?}"))
        .trim_end_matches('/')
        .to_string();
    (running, base)
}

/// `annoqa user ARGS… --database-url URL`; its standard output.
fn cli(url: &str, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(env_path("ANNOQA_BIN"))
        .arg("user")
        .args(args)
        .args(["--database-url", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start `annoqa user`");
    child.stdin.take().unwrap().write_all(format!("{}\n", stdin.unwrap_or_default()).as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "`annoqa user {}` failed ({}): {}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A text project every client may answer in full (overlap = clients), some items honeypot
/// gold so the submit path scores and reveals as in production.
fn create_project(base: &str, admin: &str) {
    let project = serde_json::json!({
        "id": PROJECT,
        "title": "Crash test",
        "spec": {"media": "text", "controls": [{"name": "sentiment", "type": "choice", "required": true,
                  "labels": [{"value": "positive"}, {"value": "negative"}]}]},
        "assignment": {"overlap": CLIENTS}
    });
    let answer = request(base, "POST", api::PROJECTS, admin, None, &project.to_string()).unwrap();
    assert_eq!(answer.status, 201, "creating the project: {}", answer.body);
    let items: Vec<serde_json::Value> = (0..ITEMS)
        .map(|n| {
            let mut item = serde_json::json!({"id": format!("i{n:05}"), "media": {"type": "text", "text": format!("Sentence {n}.")}});
            if n % 10 == 9 {
                item["gold"] = serde_json::json!({"mode": "honeypot", "explanation": "",
                    "answer": [{"id": "g", "control": "sentiment", "type": "choice", "labels": ["positive"]}]});
            }
            item
        })
        .collect();
    let body = serde_json::Value::Array(items).to_string();
    let answer = request(base, "POST", &api::items_path(PROJECT), admin, None, &body).unwrap();
    assert_eq!(answer.status, 201, "importing items: {}", answer.body);
}

#[derive(Debug)]
struct StoredSubmission {
    id: i64,
    user_id: i64,
    item_id: String,
    /// Idempotency keys of this user whose stored response names this submission.
    keys: i64,
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

fn stored_submissions(url: &str) -> Vec<StoredSubmission> {
    block_on(async {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        let rows: Vec<(i64, i64, String)> =
            sqlx::query_as("SELECT id, user_id, item_id FROM submissions WHERE project_id = $1 ORDER BY id")
                .bind(PROJECT)
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let keys: Vec<(i64, String)> =
            sqlx::query_as("SELECT user_id, response FROM idempotency_keys").fetch_all(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        let mut key_count: HashMap<(i64, i64), i64> = HashMap::new();
        for (user_id, response) in keys {
            *key_count.entry((user_id, submission_id(&response))).or_default() += 1;
        }
        rows.into_iter()
            .map(|(id, user_id, item_id)| StoredSubmission {
                id,
                user_id,
                item_id,
                keys: key_count.get(&(user_id, id)).copied().unwrap_or(0),
            })
            .collect()
    })
}

fn user_ids(url: &str) -> HashMap<String, i64> {
    block_on(async {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT username, id FROM users").fetch_all(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        rows.into_iter().collect()
    })
}

/// A fresh PostgreSQL database on the server at `ANNOQA_TEST_POSTGRES_URL`, dropped at the end.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create() -> PgDatabase {
        let admin_url = std::env::var("ANNOQA_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let name = format!("annoqa_crash_{}_{nanos:x}", std::process::id());
        block_on(async {
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&admin_url).await.unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is unreachable at {admin_url} ({e}). Start one (cargo xtask test does) or point \
                     ANNOQA_TEST_POSTGRES_URL at a server where this user may create databases."
                )
            });
            conn.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
            conn.close().await.unwrap();
        });
        let (base, _) = admin_url.rsplit_once('/').expect("the PostgreSQL URL names a database");
        let url = format!("{base}/{name}");
        PgDatabase { admin_url, name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        block_on(async move {
            if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin_url).await {
                let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
            }
        });
    }
}
