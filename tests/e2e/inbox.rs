//! Feedback reaches the annotator: a reviewer writes about a region of a stored submission
//! (through the API, as any reviewer's tool would), the annotator sees the unread count in the
//! header, opens the inbox and acknowledges the note by keys; the stored row says so.

use std::process::Command;
use std::time::{Duration, Instant};

use annoqa_api as api;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::Client;

use super::crash::request;
use super::{
    add_annotator, add_user, assert_accessible, env_path, eventually, log_in, screenshot, start_browser,
    start_chromedriver, start_server, wait_for, HttpAnswer, PASSWORD, WAIT,
};

const PROJECT: &str = "news-entities";

/// `annoqa user token NAME` on the test's database: a bearer token for scripts.
pub(super) fn token(database: &std::path::Path, username: &str) -> String {
    let output = Command::new(env_path("ANNOQA_BIN"))
        .args(["user", "--database"])
        .arg(database)
        .args(["token", username])
        .output()
        .expect("cannot run `annoqa user token`");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

pub(super) fn call(base: &str, method: &str, path: &str, token: &str, key: Option<&str>, body: &str) -> HttpAnswer {
    request(base, method, path, token, key, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// The annotator's first item, answered and stored; its submission id.
fn stored_submission(base: &str, annotator: &str) -> i64 {
    let next = call(base, "GET", &api::next_path(PROJECT), annotator, None, "");
    assert_eq!(next.status, 200, "{}", next.body);
    let next: serde_json::Value = serde_json::from_str(&next.body).unwrap();
    let item = next["item"]["item"]["id"].as_str().unwrap_or_else(|| panic!("no item in {next}")).to_string();
    let body = serde_json::json!({
        "lead_time_ms": 4200,
        "regions": [{"id": "tone", "control": "sentiment", "type": "choice", "labels": ["positive"]}]
    });
    let sent = call(base, "POST", &api::submit_path(PROJECT, &item), annotator, Some("inbox-1"), &body.to_string());
    assert_eq!(sent.status, 200, "{}", sent.body);
    let sent: serde_json::Value = serde_json::from_str(&sent.body).unwrap();
    sent["submission_id"].as_i64().unwrap_or_else(|| panic!("no submission_id in {sent}"))
}

/// A real key press where the focus is (WebDriver's element "send keys" would move the focus to
/// its element first).
pub(super) async fn key(client: &Client, key: char) {
    let actions =
        KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    client.perform_actions(actions).await.unwrap();
}

async fn text_of(client: &Client, css: &str) -> Option<String> {
    let found = client.find(fantoccini::Locator::Css(css)).await.ok()?;
    found.text().await.ok()
}

/// Polls `css`'s text until `check` holds (`None`: the element is not there).
async fn text_until(client: &Client, css: &str, what: &str, check: impl Fn(Option<&str>) -> bool) {
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = text_of(client, css).await;
        if check(seen.as_deref()) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: `{css}` shows {seen:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewers_note_reaches_the_annotator_who_acknowledges_it_by_keys() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("annoqa.sqlite3");
    let (_server, url) = start_server(&database);
    add_annotator(&database, "ana", PASSWORD);
    add_user(&database, "rita", PASSWORD, "reviewer", PROJECT);
    let base = url.trim_end_matches('/');
    let submission = stored_submission(base, &token(&database, "ana"));
    let note = serde_json::json!({
        "submission_id": submission,
        "error_codes": ["wrong_label"],
        "text": "The tone is neutral: the sentence reports, it does not praise.",
        "anchor": {"kind": "region", "region": "tone"},
    });
    let sent = call(base, "POST", &api::feedback_path(PROJECT), &token(&database, "rita"), None, &note.to_string());
    assert_eq!(sent.status, 201, "{}", sent.body);

    let (_driver, webdriver) = start_chromedriver();
    let client = start_browser(&webdriver, &dir.path().join("chromium-profile")).await;
    client.goto(&format!("{url}#/")).await.unwrap();
    log_in(&client, "ana", PASSWORD).await;
    text_until(&client, "#inbox-link .badge", "the header counts the unread note", |t| t == Some("1")).await;
    wait_for(&client, "#inbox-link").await.click().await.unwrap();
    let entry = wait_for(&client, ".feedback-entry.unread").await;
    let shown = entry.text().await.unwrap();
    for expected in ["rita", "region tone", "wrong_label", "The tone is neutral"] {
        assert!(shown.contains(expected), "the entry shows {expected:?}: {shown}");
    }
    assert_accessible(&client, "inbox").await;
    screenshot(&client, "inbox").await;

    // `?` lists the keys in a dialog that takes the focus; Escape closes it.
    key(&client, '?').await;
    let help = wait_for(&client, "#shortcuts-help").await.text().await.unwrap();
    for expected in ["J / K", "Acknowledge", "Show the focused entry on its item"] {
        assert!(help.contains(expected), "the help lists {expected:?}: {help}");
    }
    assert_accessible(&client, "inbox keys").await;
    screenshot(&client, "inbox-keys").await;
    // WebDriver's Escape.
    key(&client, '\u{e00c}').await;
    eventually(&client, "#shortcuts-help", "the help closes", |seen| seen.is_empty()).await;

    // Keys only: J focuses the first entry, A acknowledges it.
    key(&client, 'j').await;
    key(&client, 'a').await;
    text_until(&client, "#inbox-unread", "the page counts it read", |t| t == Some("0 unread")).await;
    text_until(&client, "#inbox-link .badge", "the badge goes", |t| t.is_none()).await;
    wait_for(&client, ".feedback-read").await;

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", database.display())).await.unwrap();
    let acknowledged: Option<i64> =
        sqlx::query_scalar("SELECT acknowledged_at_ms FROM feedback WHERE submission_id = ?")
            .bind(submission)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(acknowledged.is_some(), "the stored note is acknowledged");
    client.close().await.unwrap();
}
