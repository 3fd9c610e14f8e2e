//! End to end: the real `annoqa` binary on a free loopback port with a temporary SQLite file,
//! the Trunk-built app, and headless Chromium driven over WebDriver, as an annotator would.
//!
//! `cargo xtask test` builds everything and passes the paths in the environment:
//! `ANNOQA_BIN`, `ANNOQA_DIST`, `ANNOQA_STATIC`, `CHROMEDRIVER`, `CHROMIUM`.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

const WAIT: Duration = Duration::from_secs(20);
/// WebDriver's code for the Enter key.
const ENTER: &str = "\u{E007}";

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

/// Starts `annoqa serve` on port 0 and reads the URL it prints.
fn start_server(database: &Path) -> (Running, String) {
    let mut child = Command::new(env_path("ANNOQA_BIN"))
        .args(["serve", "--addr", "127.0.0.1:0", "--database"])
        .arg(database)
        .arg("--dist")
        .arg(env_path("ANNOQA_DIST"))
        .arg("--static")
        .arg(env_path("ANNOQA_STATIC"))
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
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start listening on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    (running, format!("http://127.0.0.1:{port}"))
}

async fn start_browser(webdriver: &str, profile: &Path) -> Client {
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": env_path("CHROMIUM"),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else { unreachable!() };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(webdriver)
        .await
        .expect("cannot open a browser session")
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

async fn texts(client: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in client.find_all(Locator::Css(css)).await.unwrap() {
        out.push(element.text().await.unwrap());
    }
    out
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annotator_labels_a_text_item_sees_gold_feedback_and_the_answer_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("annoqa.sqlite3");
    let (_server, url) = start_server(&database);
    let (_driver, webdriver) = start_chromedriver();
    let client = start_browser(&webdriver, &dir.path().join("chromium-profile")).await;

    client.goto(&url).await.unwrap();
    wait_for(&client, ".project-link[data-project=news-entities]").await.click().await.unwrap();
    let text = wait_for(&client, "#item-text").await.text().await.unwrap();
    assert!(text.starts_with("Maria Costa opened"), "first item is s01: {text}");

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

    // The answer is in the database, with the server's own score.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", database.display())).await.unwrap();
    let (regions, gold_score): (String, Option<f64>) =
        sqlx::query_as("SELECT regions, gold_score FROM submissions WHERE item_id = 's01' AND annotator = 'demo'")
            .fetch_one(&pool)
            .await
            .expect("the submission row is stored");
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

    // Next item; answer only the sentiment, wrongly: the feedback shows what was missed.
    wait_for(&client, "#next-item").await.click().await.unwrap();
    eventually(&client, "#item-text", "the second item loads", |t| t.iter().any(|t| t.contains("Lena Hartmann"))).await;
    eventually(&client, "#progress", "progress moves on", |t| t.iter().any(|t| t.contains('2'))).await;
    press(&client, "q").await;
    eventually(&client, "#findings li.finding", "answer complete", |f| f.is_empty()).await;
    press(&client, ENTER).await;
    let report = wait_for(&client, "#gold-report").await;
    assert_eq!(report.attr("data-passed").await.unwrap().as_deref(), Some("false"));
    let missed = texts(&client, "#gold-report .verdict-missed").await;
    assert!(missed.iter().any(|t| t.contains("Lena Hartmann")), "missed gold spans are shown: {missed:?}");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM submissions").fetch_one(&pool).await.unwrap();
    assert_eq!(stored, 2);

    client.close().await.unwrap();
}
