//! End to end: the real `annoqa` binary on a free loopback port with a temporary SQLite file,
//! the Trunk-built app, and headless Chromium driven over WebDriver, as an annotator would.
//!
//! `cargo xtask test` builds everything and passes the paths in the environment:
//! `ANNOQA_BIN`, `ANNOQA_DIST`, `ANNOQA_STATIC`, `CHROMEDRIVER`, `CHROMIUM`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

mod crash;
mod heap;
mod image;
mod inbox;
mod review;

const WAIT: Duration = Duration::from_secs(20);
/// WebDriver's codes for the Enter and Shift keys.
const ENTER: &str = "\u{E007}";
const SHIFT: &str = "\u{E008}";

const ANNOTATOR: &str = "ana";
const PASSWORD: &str = "correct horse battery staple";

fn env_path(name: &str) -> PathBuf {
    let value = std::env::var_os(name)
        .unwrap_or_else(|| panic!("{name} is not set: run the end-to-end tests through `cargo xtask test`"));
    let path = PathBuf::from(value);
    assert!(path.exists(), "{name}={} does not exist", path.display());
    path
}

/// A child process that is killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `annoqa serve` on port 0 and reads the URL it prints. The demo projects are loaded
/// before it listens. The media root is beside the database, in the test's own directory.
fn start_server(database: &Path) -> (Running, String) {
    start_server_with(database, &env_path("ANNOQA_STATIC"))
}

/// [`start_server`] with the demo projects of another static folder.
fn start_server_with(database: &Path, static_dir: &Path) -> (Running, String) {
    let media = database.parent().expect("the database is in a directory").join("media");
    let mut child = Command::new(env_path("ANNOQA_BIN"))
        .args(["serve", "--addr", "127.0.0.1:0", "--database"])
        .arg(database)
        .arg("--media-dir")
        .arg(media)
        .arg("--dist")
        .arg(env_path("ANNOQA_DIST"))
        .arg("--static")
        .arg(static_dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("cannot start the annoqa binary");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next().expect("annoqa exited without printing its URL").unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in the first line annoqa printed: {line}"))
        .to_string();
    (running, url)
}

/// `annoqa user add` with the password on standard input, as an operator would.
fn add_annotator(database: &Path, username: &str, password: &str) {
    add_member(database, username, password, "news-entities");
}

/// An annotator of `project`.
fn add_member(database: &Path, username: &str, password: &str, project: &str) {
    add_user(database, username, password, "annotator", project);
}

/// A user with `role` in `project`.
fn add_user(database: &Path, username: &str, password: &str, role: &str, project: &str) {
    let mut child = Command::new(env_path("ANNOQA_BIN"))
        .args(["user", "--database"])
        .arg(database)
        .args(["add", username, "--role", role, "--project", project, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start `annoqa user add`");
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "`annoqa user add {username}` failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains(password), "the given password is never echoed: {stdout}");
}

/// A bare HTTP/1.1 exchange with a loopback server: the status, the headers (names in lower
/// case) and the body.
struct HttpAnswer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl HttpAnswer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

fn http(base: &str, method: &str, path: &str, body: Option<&str>) -> HttpAnswer {
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(authority).unwrap_or_else(|e| panic!("cannot connect to {authority}: {e}"));
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    // Read until the answer is complete: not every server closes the connection when asked.
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        if let Some(answer) = complete_answer(&raw) {
            return answer;
        }
        let read = stream.read(&mut buffer).unwrap_or_else(|e| panic!("reading {method} {path}: {e}"));
        if read == 0 {
            return complete_answer(&raw)
                .unwrap_or_else(|| panic!("{method} {path}: connection closed mid-answer: {raw:?}"));
        }
        raw.extend_from_slice(&buffer[..read]);
    }
}

/// The answer in `raw` once all of it has arrived (by `Content-Length` or the last chunk).
fn complete_answer(raw: &[u8]) -> Option<HttpAnswer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let body = &raw[end + 4..];
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(body)?
    } else {
        let length: usize = header("content-length")?.parse().ok()?;
        if body.len() < length {
            return None;
        }
        String::from_utf8_lossy(&body[..length]).into_owned()
    };
    Some(HttpAnswer { status, headers, body })
}

/// The payload of a `Transfer-Encoding: chunked` body, once its last chunk has arrived.
fn dechunk(mut rest: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(String::from_utf8_lossy(&out).into_owned());
        }
        if rest.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_chromedriver() -> (Running, String) {
    let port = free_port();
    let child = Command::new(env_path("CHROMEDRIVER"))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .spawn()
        .expect("cannot start chromedriver");
    let running = Running(child);
    let deadline = Instant::now() + WAIT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start listening on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    (running, format!("http://127.0.0.1:{port}"))
}

async fn start_browser(webdriver: &str, profile: &Path) -> Client {
    start_browser_with(webdriver, profile, &[]).await
}

/// [`start_browser`] with more Chromium flags.
async fn start_browser_with(webdriver: &str, profile: &Path, flags: &[&str]) -> Client {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ]
    .iter()
    .chain(flags)
    .map(|flag| flag.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let capabilities = serde_json::json!({
        "goog:chromeOptions": { "binary": env_path("CHROMIUM"), "args": args },
        // The console, so CSP violations can be read back.
        "goog:loggingPrefs": { "browser": "ALL" }
    });
    let serde_json::Value::Object(capabilities) = capabilities else { unreachable!() };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(webdriver)
        .await
        .expect("cannot open a browser session")
}

/// The browser console since the last call, as `LEVEL message` lines (ChromeDriver's log
/// endpoint; WebDriver itself has none).
async fn browser_log(client: &Client, webdriver: &str) -> Vec<String> {
    let session = client.session_id().await.unwrap().expect("a WebDriver session");
    let answer = http(webdriver, "POST", &format!("/session/{session}/se/log"), Some(r#"{"type":"browser"}"#));
    assert_eq!(answer.status, 200, "reading the browser log: {}", answer.body);
    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    json["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no log entries in {json}"))
        .iter()
        .map(|entry| format!("{} {}", entry["level"].as_str().unwrap_or("?"), entry["message"].as_str().unwrap_or("")))
        .collect()
}

async fn wait_for(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}` never appeared: {e}"))
}

/// Selects `needle` inside `#item-text` the way a mouse drag does, then releases the mouse.
async fn select_text(client: &Client, needle: &str) {
    let script = r#"
        const [needle] = arguments;
        const root = document.getElementById('item-text');
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        const nodes = [];
        let text = '';
        while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
        const start = text.indexOf(needle);
        if (start < 0) return 'not found: ' + needle + ' in ' + text;
        const end = start + needle.length;
        const locate = (offset) => {
            for (let i = nodes.length - 1; i >= 0; i--) {
                const [node, from] = nodes[i];
                if (offset >= from) return [node, offset - from];
            }
        };
        const range = document.createRange();
        range.setStart(...locate(start));
        range.setEnd(...locate(end));
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        root.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
        return 'ok';
    "#;
    let result = client.execute(script, vec![serde_json::json!(needle)]).await.unwrap();
    assert_eq!(result, serde_json::json!("ok"), "selecting {needle:?}");
}

async fn press(client: &Client, keys: &str) {
    client.find(Locator::Css("body")).await.unwrap().send_keys(keys).await.unwrap();
}

/// The rendered texts of every element matching `css`, read in one script so a re-render
/// between finding the elements and reading them cannot leave stale references.
async fn texts(client: &Client, css: &str) -> Vec<String> {
    let script = "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText.trim());";
    let value = client.execute(script, vec![serde_json::json!(css)]).await.unwrap();
    serde_json::from_value(value).unwrap()
}

/// The number of stored submissions, polled until it reaches `expected` or `WAIT` passes.
async fn submissions_once_settled(pool: &sqlx::SqlitePool, expected: i64) -> i64 {
    let deadline = Instant::now() + WAIT;
    loop {
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM submissions").fetch_one(pool).await.unwrap();
        if stored >= expected || Instant::now() > deadline {
            return stored;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls until `check` holds for the texts of `css`, or fails with what was last seen.
async fn eventually(client: &Client, css: &str, what: &str, check: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = texts(client, css).await;
        if check(&seen) {
            return seen;
        }
        assert!(Instant::now() < deadline, "{what}: `{css}` shows {seen:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn active_element_id(client: &Client) -> String {
    let id = client.execute("return document.activeElement && document.activeElement.id", vec![]).await.unwrap();
    id.as_str().unwrap_or_default().to_string()
}

async fn input_value(client: &Client, css: &str) -> String {
    wait_for(client, css).await.prop("value").await.unwrap().unwrap_or_default()
}

/// The WCAG 2.0/2.1 A and AA violations axe-core (injected from `ANNOQA_AXE`) finds on the
/// page as it is now, one line each: rule, help, and the elements.
async fn axe_violations(client: &Client) -> Vec<String> {
    let source = std::fs::read_to_string(env_path("ANNOQA_AXE")).expect("cannot read axe-core");
    client.execute(&format!("{source}\nreturn typeof axe;"), vec![]).await.unwrap();
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
            .then(r => done(r.violations.map(v =>
                v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
            .catch(e => done(['axe could not run: ' + e]));
    "#;
    let value = client.execute_async(script, vec![]).await.unwrap();
    serde_json::from_value(value).unwrap()
}

/// Saves what the browser shows under `target/tmp/screens/`, to look at (never compared).
pub(crate) async fn screenshot(client: &Client, name: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Fails with every violation axe-core finds on `screen`.
async fn assert_accessible(client: &Client, screen: &str) {
    let violations = axe_violations(client).await;
    assert!(violations.is_empty(), "axe-core on the {screen}: {violations:#?}");
}

/// Types into the login form and submits it with Enter in the password field.
async fn log_in(client: &Client, username: &str, password: &str) {
    let user = wait_for(client, "#login-username").await;
    user.clear().await.unwrap();
    user.send_keys(username).await.unwrap();
    let field = wait_for(client, "#login-password").await;
    field.clear().await.unwrap();
    field.send_keys(&format!("{password}{ENTER}")).await.unwrap();
}

#[test]
fn the_app_page_has_a_strict_content_security_policy_and_no_inline_script() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, url) = start_server(&dir.path().join("annoqa.sqlite3"));
    let page = http(&url, "GET", "/", None);
    assert_eq!(page.status, 200, "{}", page.body);
    let csp = page.header("content-security-policy").expect("the app page has a Content-Security-Policy");
    let directive = |name: &str| {
        csp.split(';').map(str::trim).find(|d| d.split_whitespace().next() == Some(name)).unwrap_or("").to_string()
    };
    let scripts = directive("script-src");
    assert!(scripts.contains("'self'") && scripts.contains("'wasm-unsafe-eval'"), "script-src lets the app run: {csp}");
    for directive in [scripts, directive("style-src"), directive("default-src")] {
        assert!(!directive.contains("unsafe-inline") && !directive.contains("'unsafe-eval'"), "nothing inline: {csp}");
    }
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    // The CSP allows no inline script, so the page must load the app from files only.
    let lower = page.body.to_ascii_lowercase();
    for tag in lower.split("<script").skip(1) {
        let open = tag.split('>').next().unwrap_or_default();
        assert!(open.contains("src="), "an inline <script> the CSP would block: <script{open}>");
    }
    assert!(!lower.contains(" style="), "inline style attributes the CSP would block");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annotator_logs_in_labels_submits_flags_skips_and_logs_out() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("annoqa.sqlite3");
    let (_server, url) = start_server(&database);
    add_annotator(&database, ANNOTATOR, PASSWORD);
    let (_driver, webdriver) = start_chromedriver();
    let client = start_browser(&webdriver, &dir.path().join("chromium-profile")).await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", database.display())).await.unwrap();

    // A link to the project while logged out: the login page comes first, the username has focus.
    client.goto(&format!("{url}#/p/news-entities")).await.unwrap();
    wait_for(&client, "#login-form").await;
    assert_eq!(active_element_id(&client).await, "login-username");

    // A wrong password: a clear error, the password field emptied, the cursor back in it.
    log_in(&client, ANNOTATOR, "not the password at all").await;
    eventually(&client, "#login-error", "a wrong password is refused", |t| {
        t.iter().any(|t| t == "Wrong username or password.")
    })
    .await;
    assert_eq!(input_value(&client, "#login-password").await, "");
    assert_eq!(active_element_id(&client).await, "login-password");

    // The right one: straight to the project the link named, as the annotator.
    log_in(&client, ANNOTATOR, PASSWORD).await;
    let text = wait_for(&client, "#item-text").await.text().await.unwrap();
    assert!(text.starts_with("Maria Costa opened"), "first item is s01: {text}");
    assert_eq!(wait_for(&client, "#current-user").await.text().await.unwrap(), ANNOTATOR);
    assert_eq!(wait_for(&client, "#current-role").await.text().await.unwrap(), "annotator");

    assert_accessible(&client, "text workspace").await;
    screenshot(&client, "text-workspace").await;

    // Label colours are applied under the CSP (as a style property, not an attribute).
    let color = client
        .execute(
            "return getComputedStyle(document.querySelector('.label-btn[data-label=PERSON]'))\
             .getPropertyValue('--label-color').trim()",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(color, serde_json::json!("#f6bd60"));

    // Live validation: the required sentiment is reported before anything is done.
    eventually(&client, "#findings li.finding", "missing sentiment is flagged", |f| {
        f.iter().any(|t| t.contains("Overall tone"))
    })
    .await;

    // PERSON by hotkey, then a selection; PLACE by button, then a selection.
    press(&client, "1").await;
    select_text(&client, "Maria Costa").await;
    wait_for(&client, "#item-text mark.span[data-label=PERSON]").await;
    wait_for(&client, ".label-btn[data-label=PLACE]").await.click().await.unwrap();
    select_text(&client, "Porto").await;
    wait_for(&client, "#item-text mark.span[data-label=PLACE]").await;
    wait_for(&client, ".choice-btn[data-label=positive]").await.click().await.unwrap();
    eventually(&client, "#findings li.finding", "findings clear once the answer is complete", |f| f.is_empty()).await;

    press(&client, ENTER).await;
    let report = wait_for(&client, "#gold-report").await;
    assert_eq!(report.attr("data-passed").await.unwrap().as_deref(), Some("true"));
    let score: f64 = report.attr("data-score").await.unwrap().unwrap().parse().unwrap();
    assert_eq!(score, 1.0);
    let matched = client.find_all(Locator::Css("#gold-report .verdict-matched")).await.unwrap();
    assert!(matched.len() >= 2, "matched spans are coloured, found {}", matched.len());

    // The answer is stored for the logged-in user, with the server's own score (the report above
    // may be the browser's own, shown before the server answers).
    assert_eq!(submissions_once_settled(&pool, 1).await, 1);
    let row: Option<(String, Option<f64>)> = sqlx::query_as(
        "SELECT s.regions, s.gold_score FROM submissions s JOIN users u ON u.id = s.user_id \
         WHERE s.item_id = 's01' AND u.username = ?",
    )
    .bind(ANNOTATOR)
    .fetch_optional(&pool)
    .await
    .unwrap();
    let (regions, gold_score) = row.expect("the submission row is stored for the annotator");
    let regions: serde_json::Value = serde_json::from_str(&regions).unwrap();
    let spans: Vec<(u64, u64, &str)> = regions
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "text_span")
        .map(|r| (r["start"].as_u64().unwrap(), r["end"].as_u64().unwrap(), r["label"].as_str().unwrap()))
        .collect();
    assert_eq!(spans, [(0, 11, "PERSON"), (47, 52, "PLACE")]);
    assert_eq!(gold_score, Some(1.0));

    // A reload keeps the session, the page and the progress.
    client.refresh().await.unwrap();
    eventually(&client, "#item-text", "after a reload the next item shows", |t| {
        t.iter().any(|t| t.contains("Lena Hartmann"))
    })
    .await;
    assert_eq!(wait_for(&client, "#current-user").await.text().await.unwrap(), ANNOTATOR);
    assert!(client.find(Locator::Css("#login-form")).await.is_err(), "no login after a reload");

    // Answer only the sentiment, wrongly: the feedback shows what was missed.
    eventually(&client, "#progress", "progress moves on", |t| t.iter().any(|t| t.contains('2'))).await;
    press(&client, "q").await;
    eventually(&client, "#findings li.finding", "answer complete", |f| f.is_empty()).await;
    press(&client, ENTER).await;
    let report = wait_for(&client, "#gold-report").await;
    assert_eq!(report.attr("data-passed").await.unwrap().as_deref(), Some("false"));
    let missed = texts(&client, "#gold-report .verdict-missed").await;
    assert!(missed.iter().any(|t| t.contains("Lena Hartmann")), "missed gold spans are shown: {missed:?}");
    // A training item's report is computed in the browser at once; the server's copy of the
    // submission may land a moment later.
    assert_eq!(submissions_once_settled(&pool, 2).await, 2);
    // One random key per submission, 128 bits in hex.
    let keys: Vec<String> = sqlx::query_scalar("SELECT idem_key FROM idempotency_keys ORDER BY created_at_ms")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_ne!(keys[0], keys[1]);
    for key in &keys {
        assert!(key.len() == 32 && key.chars().all(|c| c.is_ascii_hexdigit()), "key {key:?}");
    }

    // The third item: flag it as unclear (Shift+F), then skip it with a reason (Shift+S).
    wait_for(&client, "#next-item").await.click().await.unwrap();
    eventually(&client, "#item-text", "the third item loads", |t| t.iter().any(|t| t.contains("José Álvarez"))).await;
    press(&client, &format!("{SHIFT}f")).await;
    wait_for(&client, "#flag-dialog").await;
    let legends = texts(&client, "#flag-dialog legend").await;
    assert_eq!(legends, ["About", "Problem"]);
    wait_for(&client, "#flag-text").await.send_keys("Is a head coach a PERSON or a role?").await.unwrap();
    wait_for(&client, "#flag-dialog button[type=submit]").await.click().await.unwrap();
    eventually(&client, "#notice", "the flag is confirmed", |t| t.iter().any(|t| t.contains("Flag on item s03"))).await;
    let flag: (String, Option<String>, Option<String>, String) =
        sqlx::query_as("SELECT kind, item_id, reason, body FROM feedback").fetch_one(&pool).await.unwrap();
    assert_eq!(
        flag,
        ("flag".into(), Some("s03".into()), Some("unclear".into()), "Is a head coach a PERSON or a role?".into())
    );

    press(&client, &format!("{SHIFT}s")).await;
    wait_for(&client, "#skip-reason").await.send_keys(&format!("I do not know this club{ENTER}")).await.unwrap();
    eventually(&client, "#item-text", "skipping moves on", |t| t.iter().any(|t| t.contains("Millbrook"))).await;
    let skipped: Option<String> = sqlx::query_scalar(
        "SELECT a.skip_reason FROM assignments a JOIN users u ON u.id = a.user_id \
         WHERE a.item_id = 's03' AND u.username = ?",
    )
    .bind(ANNOTATOR)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(skipped.as_deref(), Some("I do not know this club"));

    // The shortcuts are listed in the help.
    press(&client, "?").await;
    let keys = texts(&client, "#shortcuts-help kbd").await;
    assert!(keys.contains(&"Shift+S".to_string()) && keys.contains(&"Shift+F".to_string()), "{keys:?}");
    press(&client, "?").await;

    // Logout ends the session on the server and in the browser: a reload still shows the login.
    wait_for(&client, "#logout").await.click().await.unwrap();
    wait_for(&client, "#login-form").await;
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&pool).await.unwrap();
    assert_eq!(sessions, 0, "the logout deletes the session");
    client.refresh().await.unwrap();
    wait_for(&client, "#login-form").await;
    assert!(client.find(Locator::Css("#item-text")).await.is_err(), "no work without a login");

    // The app ran under the CSP: the console has no violation and no uncaught error.
    let log = browser_log(&client, &webdriver).await;
    let problems: Vec<&String> = log
        .iter()
        .filter(|l| l.contains("Content Security Policy") || l.contains("Uncaught") || l.contains("panicked"))
        .collect();
    assert!(problems.is_empty(), "console problems: {problems:#?}");
    // And the log would show one: an inline style attribute is refused and reported.
    client.execute("document.body.setAttribute('style', 'color: red')", vec![]).await.unwrap();
    let log = browser_log(&client, &webdriver).await;
    assert!(log.iter().any(|l| l.contains("Content Security Policy")), "a violation shows in the log: {log:#?}");

    client.close().await.unwrap();
}
