//! The server against a real SQLite file, driven through its real router.

use std::path::{Path, PathBuf};

use annoqa_core::api::{self, NextItem, ProjectSummary, ProjectView, SubmitRequest, SubmitResponse};
use annoqa_core::{GoldMode, ItemSource, Region, RegionValue};
use annoqa_server::{load_demo_projects, router, Store};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo_items() -> Vec<ItemSource> {
    let path = repo_root().join("static/demo/news-entities/items.jsonl");
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

struct Server {
    app: Router,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data/annoqa.sqlite3")).await.unwrap();
    let loaded = load_demo_projects(&store, &repo_root().join("static/demo"), 1_000).await.unwrap();
    assert!(loaded >= 1);
    let app = router(store.clone(), &dir.path().join("no-dist"), &repo_root().join("static"));
    Server { app, store, _dir: dir }
}

impl Server {
    async fn call(&self, method: &str, uri: &str, json: Option<String>) -> (StatusCode, String) {
        let mut request = Request::builder().method(method).uri(uri);
        if json.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request.body(json.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn get(&self, uri: &str) -> String {
        let (status, body) = self.call("GET", uri, None).await;
        assert_eq!(status, StatusCode::OK, "GET {uri}: {body}");
        body
    }

    async fn submit(&self, item: &str, annotator: &str, regions: Vec<Region>) -> (StatusCode, String) {
        let body =
            serde_json::to_string(&SubmitRequest { annotator: annotator.into(), lead_time_ms: 1200, regions }).unwrap();
        self.call("POST", &api::submit_path("news-entities", item), Some(body)).await
    }

    async fn submission_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM submissions").fetch_one(self.store.pool()).await.unwrap()
    }
}

fn sentiment(label: &str) -> Region {
    Region {
        id: "c1".into(),
        control: "sentiment".into(),
        value: RegionValue::Choice { labels: vec![label.into()] },
        attributes: Default::default(),
    }
}

#[tokio::test]
async fn demo_project_is_listed_with_its_guidelines_and_spec() {
    let s = server().await;
    let projects: Vec<ProjectSummary> = serde_json::from_str(&s.get(api::PROJECTS).await).unwrap();
    let demo = projects.iter().find(|p| p.id == "news-entities").unwrap();
    assert_eq!(demo.items, 40);
    let view: ProjectView = serde_json::from_str(&s.get(&api::project_path("news-entities")).await).unwrap();
    assert!(view.guidelines.contains("{#person}"));
    assert_eq!(view.spec.controls.len(), 2);
}

#[tokio::test]
async fn honeypot_gold_appears_in_no_response_before_the_annotators_submission_is_stored() {
    let s = server().await;
    let items = demo_items();
    let honeypots: Vec<&ItemSource> =
        items.iter().filter(|i| i.gold.as_ref().is_some_and(|g| g.mode == GoldMode::Honeypot)).collect();
    assert!(honeypots.len() >= 5, "the demo should have honeypots to test");
    let secrets = |submitted: &[String]| -> Vec<(String, String)> {
        honeypots
            .iter()
            .filter(|h| !submitted.contains(&h.item.id))
            .map(|h| (h.item.id.clone(), h.gold.as_ref().unwrap().explanation.clone()))
            .collect()
    };

    // Walk the whole queue as an annotator, reading every annotator endpoint before each submit.
    let mut submitted: Vec<String> = Vec::new();
    loop {
        let bodies = [
            s.get(api::PROJECTS).await,
            s.get(&api::project_path("news-entities")).await,
            s.get(&api::next_item_path("news-entities", "crawler")).await,
        ];
        for body in &bodies {
            assert!(!body.contains("honeypot"), "a response names a honeypot: {body}");
            for (item, explanation) in secrets(&submitted) {
                assert!(!body.contains(&explanation), "gold of {item} leaked before submission: {body}");
            }
        }
        let next: NextItem = serde_json::from_str(&bodies[2]).unwrap();
        let Some(assigned) = next.item else { break };
        let source = items.iter().find(|i| i.item.id == assigned.item.id).unwrap();
        if let Some(gold) = &assigned.training_gold {
            assert_eq!(Some(gold), source.gold.as_ref(), "training gold ships as stored");
        }
        // Answer with the gold answer where there is one, so every reveal must score 1.
        let regions = source.gold.as_ref().map_or_else(|| vec![sentiment("neutral")], |g| g.answer.clone());
        let (status, body) = s.submit(&assigned.item.id, "crawler", regions).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let response: SubmitResponse = serde_json::from_str(&body).unwrap();
        match (&source.gold, &response.gold) {
            (Some(gold), Some(reveal)) => {
                assert_eq!(reveal.answer, gold.answer);
                assert_eq!(reveal.report.score, 1.0, "gold answer scored below 1: {:?}", reveal.report);
                assert!(reveal.report.passed);
            }
            (None, None) => {}
            (expected, got) => panic!("item {}: gold {expected:?} but reveal {got:?}", assigned.item.id),
        }
        submitted.push(assigned.item.id.clone());

        // Another annotator still cannot see the gold this one has just been shown.
        let other = s.get(&api::next_item_path("news-entities", "someone-else")).await;
        for (_, explanation) in secrets(&[]) {
            assert!(!other.contains(&explanation));
        }
    }
    assert_eq!(submitted.len(), 40);
    let done: NextItem = serde_json::from_str(&s.get(&api::next_item_path("news-entities", "crawler")).await).unwrap();
    assert_eq!((done.progress.done, done.progress.total), (40, 40));

    let stored: (Option<f64>, Option<bool>) =
        sqlx::query_as("SELECT gold_score, gold_passed FROM submissions WHERE annotator = 'crawler' AND item_id = ?")
            .bind(&honeypots[0].item.id)
            .fetch_one(s.store.pool())
            .await
            .unwrap();
    assert_eq!(stored, (Some(1.0), Some(true)), "the authoritative score is stored with the submission");
}

#[tokio::test]
async fn invalid_annotation_is_refused_with_findings_and_nothing_is_stored() {
    let s = server().await;
    let span = Region {
        id: "r1".into(),
        control: "entities".into(),
        value: RegionValue::TextSpan { start: 0, end: 12, label: "PERSON".into() },
        attributes: Default::default(),
    };
    // s01 starts with "Maria Costa " — the span ends in white space, and sentiment is missing.
    let (status, body) = s.submit("s01", "ana", vec![span]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let error: api::ApiError = serde_json::from_str(&body).unwrap();
    let codes: Vec<&str> = error.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["span_whitespace_edge", "required"]);
    assert_eq!(s.submission_count().await, 0);
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_store_nothing() {
    let s = server().await;
    let submit = api::submit_path("news-entities", "s04");
    let cases = [
        ("POST", submit.as_str(), Some("{\"annotator\": \"ana\", \"regions\": ["), StatusCode::BAD_REQUEST, "EOF"),
        ("POST", submit.as_str(), Some("{\"annotator\": \"ana\"}"), StatusCode::UNPROCESSABLE_ENTITY, "lead_time_ms"),
        (
            "POST",
            submit.as_str(),
            Some(
                r#"{"annotator":"ana","lead_time_ms":1,"regions":[{"id":"r","control":"entities","type":"text_span","start":-1,"end":2,"label":"ORG"}]}"#,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid value",
        ),
        ("POST", submit.as_str(), None, StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type"),
        (
            "POST",
            "/api/projects/news-entities/items/nope/submissions",
            Some(r#"{"annotator":"ana","lead_time_ms":1,"regions":[]}"#),
            StatusCode::NOT_FOUND,
            "no item `nope`",
        ),
        ("GET", "/api/projects/nope", None, StatusCode::NOT_FOUND, "no project `nope`"),
        ("GET", "/api/projects/news-entities/next", None, StatusCode::BAD_REQUEST, "annotator"),
        ("GET", "/api/projects/news-entities/next?annotator=", None, StatusCode::BAD_REQUEST, "annotator"),
        ("GET", "/api/nothing-here", None, StatusCode::NOT_FOUND, "no API route"),
    ];
    for (method, uri, body, status, needle) in cases {
        let (got, text) = s.call(method, uri, body.map(String::from)).await;
        assert_eq!(got, status, "{method} {uri}: {text}");
        let error: api::ApiError = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not an ApiError: {text}"));
        assert!(error.error.contains(needle), "{method} {uri}: {text}");
    }
    let huge = format!(r#"{{"annotator":"ana","lead_time_ms":1,"regions":[],"pad":"{}"}}"#, "x".repeat(2 << 20));
    let (status, _) = s.call("POST", &submit, Some(huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(s.submission_count().await, 0);
}

#[tokio::test]
async fn a_second_submission_of_the_same_item_conflicts_and_keeps_the_first() {
    let s = server().await;
    let (status, _) = s.submit("s04", "ana", vec![sentiment("positive")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s.submit("s04", "ana", vec![sentiment("negative")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let regions: String = sqlx::query_scalar("SELECT regions FROM submissions WHERE item_id = 's04'")
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    assert!(regions.contains("positive"));
    assert_eq!(s.submission_count().await, 1);
}

#[tokio::test]
async fn the_app_shell_explains_itself_when_not_built_and_static_files_are_served() {
    let s = server().await;
    let (status, body) = s.call("GET", "/", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("cargo xtask run"));
    let (status, body) = s.call("GET", "/static/demo/news-entities/guidelines.md", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("{#entities}"));
    let (status, _) = s.call("GET", "/static/../Cargo.toml", None).await;
    assert_ne!(status, StatusCode::OK, "no path traversal out of static/");
}

#[tokio::test]
async fn a_bad_project_folder_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("demo/broken");
    std::fs::create_dir_all(&folder).unwrap();
    let source = repo_root().join("static/demo/news-entities");
    for file in ["project.json", "guidelines.md"] {
        std::fs::copy(source.join(file), folder.join(file)).unwrap();
    }
    let mut lines: Vec<String> =
        std::fs::read_to_string(source.join("items.jsonl")).unwrap().lines().map(String::from).collect();
    // Break the gold of the first item: a span that ends past the end of the text.
    let mut first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    first["gold"]["answer"][0]["end"] = serde_json::json!(9999);
    lines[0] = first.to_string();
    std::fs::write(folder.join("items.jsonl"), lines.join("\n")).unwrap();
    let store = Store::open(&dir.path().join("db.sqlite3")).await.unwrap();
    let error = load_demo_projects(&store, &dir.path().join("demo"), 0).await.unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("items.jsonl:1: the gold answer itself is invalid"), "{message}");
    assert_eq!(store.project_count().await.unwrap(), 0);
}
