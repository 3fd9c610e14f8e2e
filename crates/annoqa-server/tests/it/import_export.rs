//! Item import (annoqa JSON, JSON lines, Label Studio tasks; all or nothing) and export with the
//! QA sidecar as JSON, JSON lines and CSV.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use annoqa_api::{self as api, ApiErrorCode, ExportRow, ImportReport, Role, SubmitResponse};
use axum::http::StatusCode;

use crate::both_backends;
use crate::support::*;
use crate::work::onboard;

both_backends! {
    async fn imports_are_all_or_nothing_and_name_the_bad_line(s) {
        let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO]).await;
        let import = |content_type: &'static str, body: String| {
            let coordinator = coordinator.clone();
            async move { coordinator.request("POST", &api::items_path(DEMO), &[("content-type", content_type)], Some(body.into_bytes())).await }
        };
        let label_studio = [
            r#"{"id": 101, "data": {"text": "Ada Lovelace wrote the first program."}, "annotations": []}"#,
            r#"{"id": "ls-102", "data": {"text": "Paris is in France."}}"#,
        ];
        let before = s.count("items").await;
        let report: ImportReport = import("application/x-ndjson", format!("{}\n\n{}\n", label_studio[0], label_studio[1])).await.json();
        assert_eq!(report.imported, 2);
        assert_eq!(s.count("items").await, before + 2);
        // A bad third line: nothing of the batch is stored, and the line is named.
        let bad = format!(
            "{}\n{}\n{}\n",
            r#"{"id": "n1", "data": {"text": "ok"}}"#,
            r#"{"id": "n2", "data": {"text": "ok too"}}"#,
            r#"{"id": "n3", "data": {"image": "x.png"}}"#
        );
        let answer = import("application/x-ndjson", bad).await;
        answer.expect(StatusCode::BAD_REQUEST);
        assert!(answer.error().starts_with("line 3: `data.text`"), "{}", answer.body);
        let answer = import("application/x-ndjson", "{\"id\": \"n1\", \"data\": {\"text\": \"ok\"}}\n{oops\n".into()).await;
        answer.expect(StatusCode::BAD_REQUEST);
        assert!(answer.error().starts_with("line 2: not JSON"), "{}", answer.body);
        // Duplicates, within the batch or with stored items.
        let answer = import("application/json", format!("[{}]", label_studio[0])).await;
        answer.expect(StatusCode::BAD_REQUEST);
        assert!(answer.error().contains("item 1: item id `101` is used twice"), "{}", answer.body);
        // annoqa's own form with gold, checked like the demo folder.
        let mut gold_item = demo_items().into_iter().find(|i| i.gold.is_some()).unwrap();
        gold_item.item.id = "g-new".into();
        gold_item.gold.as_mut().unwrap().guideline = Some("missing-anchor".into());
        let answer = import("application/json", serde_json::to_string(&vec![gold_item.clone()]).unwrap()).await;
        answer.expect(StatusCode::BAD_REQUEST);
        assert!(answer.error().contains("missing-anchor"), "{}", answer.body);
        gold_item.gold.as_mut().unwrap().guideline = None;
        import("application/json", serde_json::to_string(&vec![gold_item]).unwrap()).await.expect(StatusCode::CREATED);
        import("text/csv", "id,text".into()).await.expect(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        import("application/json", "{}".into()).await.expect(StatusCode::BAD_REQUEST);
        assert_eq!(s.count("items").await, before + 3);
        // Media URLs that could run script are refused.
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let folder = repo_root().join("static/demo/news-entities");
        let mut spec: serde_json::Value = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(folder.join("project.json")).unwrap()).unwrap()["spec"].clone();
        spec["media"] = serde_json::json!("image");
        spec["controls"] = serde_json::json!([{"name": "objects", "type": "b_box", "labels": [{"value": "cat"}]}]);
        admin.post(api::PROJECTS, &serde_json::json!({"id": "pics", "title": "Pics", "spec": spec})).await.expect(StatusCode::CREATED);
        let answer = admin
            .request("POST", &api::items_path("pics"), &[("content-type", "application/x-ndjson")],
                Some(br#"{"id": 1, "data": {"image": "javascript:alert(1)", "width": 10, "height": 10}}"#.to_vec()))
            .await;
        answer.expect(StatusCode::BAD_REQUEST);
        assert!(answer.error().contains("relative path or an http(s) URL"), "{}", answer.body);
        admin
            .request("POST", &api::items_path("pics"), &[("content-type", "application/x-ndjson")],
                Some(br#"{"id": 1, "data": {"image": "img/cat.png", "width": 10, "height": 10}}"#.to_vec()))
            .await
            .expect(StatusCode::CREATED);
    }

    async fn exports_carry_the_qa_sidecar_in_json_jsonl_and_csv(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        admin.put(&api::taxonomy_path(DEMO), &serde_json::json!([{"code": "wrong_sentiment", "title": "Wrong sentiment"}])).await.expect(StatusCode::OK);
        let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO]).await;
        // An item id a spreadsheet would run as a formula.
        coordinator
            .request("POST", &api::items_path(DEMO), &[("content-type", "application/x-ndjson")],
                Some(br#"{"id": "=HYPERLINK(\"x\")", "data": {"text": "Rome, again."}}"#.to_vec()))
            .await
            .expect(StatusCode::CREATED);
        let ana = s.user("ana", Role::Annotator, Some("acme"), &[DEMO]).await;
        onboard(&ana).await;
        let item = ana.next(DEMO).await.unwrap();
        let plain: SubmitResponse = ana.submit(DEMO, &item, valid_answer(&item)).await.json();
        let reviewer = s.user("rev", Role::Reviewer, None, &[DEMO]).await;
        reviewer
            .post(&api::reviews_path(DEMO, plain.submission_id), &serde_json::json!({"verdict": "fix", "regions": [sentiment("positive")], "error_codes": ["wrong_sentiment"]}))
            .await
            .expect(StatusCode::CREATED);
        sqlx::query("UPDATE items SET position = -1 WHERE id = $1").bind("=HYPERLINK(\"x\")").execute(s.store.pool()).await.unwrap();
        let formula = ana.next(DEMO).await.unwrap();
        assert_eq!(formula, "=HYPERLINK(\"x\")");
        ana.submit(DEMO, &formula, valid_answer(&formula)).await.expect(StatusCode::OK);

        let rows: Vec<ExportRow> = coordinator.get(&api::export_path(DEMO)).await.json();
        assert_eq!(rows.len(), 5);
        let gold = rows.iter().find(|r| r.item_id == "s01").unwrap();
        assert_eq!((gold.gold_score, gold.gold_passed), (Some(1.0), Some(true)));
        let fixed = rows.iter().find(|r| r.submission_id == plain.submission_id).unwrap();
        assert_eq!(fixed.verdict, Some(api::ReviewVerdict::Fix));
        assert_eq!(fixed.error_codes, ["wrong_sentiment"]);
        assert_eq!(fixed.corrected_regions, Some(vec![sentiment("positive")]));
        assert_eq!(fixed.vendor.as_deref(), Some("acme"));

        let jsonl = coordinator.get(&format!("{}?format=jsonl", api::export_path(DEMO))).await;
        assert_eq!(jsonl.headers.get("content-type").unwrap(), "application/x-ndjson");
        let from_lines: Vec<ExportRow> = jsonl.body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(from_lines, rows);

        let csv = coordinator.get(&format!("{}?format=csv", api::export_path(DEMO))).await;
        csv.expect(StatusCode::OK);
        assert!(csv.headers.get("content-disposition").unwrap().to_str().unwrap().contains("news-entities-export.csv"));
        let lines: Vec<&str> = csv.body.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines[0], "submission_id,item_id,annotator,vendor,status,lead_time_ms,created_at_ms,gold_score,gold_passed,verdict,error_codes,regions,corrected_regions,prediction_outcome");
        assert_eq!(lines.len(), 6);
        let fixed_line = lines.iter().find(|l| l.starts_with(&plain.submission_id.to_string())).unwrap();
        assert!(fixed_line.contains(",fixed,") && fixed_line.contains(",fix,wrong_sentiment,"), "{fixed_line}");
        assert!(csv.body.contains(",\"'=HYPERLINK(\"\"x\"\")\","), "formula cells are defused: {}", csv.body);
        coordinator.get(&format!("{}?format=xml", api::export_path(DEMO))).await.expect(StatusCode::BAD_REQUEST);
    }
}

both_backends! {
    async fn imported_media_in_the_media_root_is_probed_and_checked(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let spec = serde_json::json!({"media": "image", "controls": [{"name": "objects", "type": "b_box", "labels": [{"value": "cat"}]}]});
        admin.post(api::PROJECTS, &serde_json::json!({"id": "pics", "title": "Pics", "spec": spec})).await.expect(StatusCode::CREATED);
        let root = s.dir.path().join("media/pics/img");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::copy(repo_root().join("static/demo/test-card-boxes/media/test-card.png"), root.join("card.png")).unwrap();
        std::fs::write(root.join("broken.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
        let import = |body: &'static str| {
            let admin = admin.clone();
            async move {
                admin.request("POST", &api::items_path("pics"), &[("content-type", "application/x-ndjson")], Some(body.as_bytes().to_vec())).await
            }
        };
        // A Label Studio task without dimensions gets them from the file.
        import(r#"{"id": "a", "data": {"image": "img/card.png"}}"#).await.expect(StatusCode::CREATED);
        let (item, info): (String, Option<String>) = sqlx::query_as("SELECT item, media_info FROM items WHERE project_id = 'pics' AND id = 'a'")
            .fetch_one(s.store.pool())
            .await
            .unwrap();
        let item: annoqa_core::Item = serde_json::from_str(&item).unwrap();
        assert_eq!(item.media, annoqa_core::Media::Image { src: "img/card.png".into(), width: 640, height: 360 });
        let info: serde_json::Value = serde_json::from_str(&info.expect("metadata stored")).unwrap();
        assert_eq!((info["kind"].as_str(), info["width"].as_u64(), info["height"].as_u64()), (Some("image"), Some(640), Some(360)));
        // Declared metadata that contradicts the file, and unreadable files, are refused by line.
        let answer = import("{\"id\": \"b\", \"data\": {\"text\": \"-\"}}\n{\"id\": \"c\", \"data\": {\"image\": \"img/card.png\", \"width\": 10, \"height\": 10}}").await;
        answer.expect(StatusCode::BAD_REQUEST);
        assert!(answer.error().starts_with("line 1: `data.image`"), "{}", answer.body);
        let answer = import(r#"{"id": "c", "data": {"image": "img/card.png", "width": 10, "height": 10}}"#).await;
        answer.expect(StatusCode::BAD_REQUEST);
        assert!(answer.error().contains("line 1: the item says 10×10 but the image is 640×360"), "{}", answer.body);
        let answer = import(r#"{"id": "d", "data": {"image": "img/broken.png"}}"#).await;
        answer.expect(StatusCode::BAD_REQUEST);
        assert!(answer.error().starts_with("line 1: media `img/broken.png` cannot be read"), "{}", answer.body);
        // Files elsewhere are not probed (and need their metadata).
        let answer = import(r#"{"id": "e", "data": {"image": "https://example.com/x.png"}}"#).await;
        answer.expect(StatusCode::BAD_REQUEST);
        assert!(answer.error().contains("`data.width` must be a number"), "{}", answer.body);
        import(r#"{"id": "e", "data": {"image": "https://example.com/x.png", "width": 5, "height": 5}}"#).await.expect(StatusCode::CREATED);
        assert_eq!(s.count("items WHERE project_id = 'pics'").await, 2);
    }
}

both_backends! {
    async fn imports_are_read_entry_by_entry_and_bounded(s) {
        let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO]).await;
        let import = |content_type: &'static str, body: Vec<u8>| {
            let coordinator = coordinator.clone();
            async move { coordinator.request("POST", &api::items_path(DEMO), &[("content-type", content_type)], Some(body)).await }
        };
        let before = s.count("items").await;
        let refusals: Vec<(&str, &[u8], &str)> = vec![
            ("application/json", br#"[{"id": "a", "data": {"text": "ok"}}, {oops}]"#, "item 2: not JSON"),
            ("application/json", br#"[{"id": "a", "data": {"text": "ok"}}] trailing"#, "after the array: not JSON"),
            ("application/json", br#"{"id": "a", "data": {"text": "ok"}}"#, "the body must be a JSON array of items"),
            ("application/json", br#"[{"id": "a", "data": {"text": "ok"}}, {"id": null, "data": {"text": "x"}}]"#, "item 2: `id` must be a string or a number"),
            ("application/json", br#"[{"id": "a", "data": {"text": "ok"}}, {"data": {"text": "x"}}]"#, "item 2: a Label Studio task needs an `id`"),
            ("application/x-ndjson", b"{\"id\": \"a\", \"data\": {\"text\": \"ok\"}}\n\xff\n", "line 2: not UTF-8"),
            ("application/x-ndjson", b"{\"id\": \"a\", \"data\": {\"text\": \"ok\"}}\r\n{\"id\": \"a\", \"data\": {\"text\": \"again\"}}\r\n", "line 2: item id `a` is used twice"),
        ];
        for (content_type, body, needle) in refusals {
            let answer = import(content_type, body.to_vec()).await;
            answer.refused(ApiErrorCode::BadRequest);
            assert!(answer.error().starts_with(needle), "{}: {}", String::from_utf8_lossy(body), answer.body);
        }
        // Label Studio exports carry annotations, predictions and metadata: read past, never built.
        let task = serde_json::json!({
            "id": 7, "data": {"text": "Ada wrote it.", "meta": {"source": [1, 2, {"deep": true}]}},
            "annotations": [{"result": [{"value": {"start": 0, "end": 3, "labels": ["PERSON"]}}]}],
            "predictions": [], "meta": null
        });
        let report: ImportReport = import("application/json", serde_json::to_vec(&[task]).unwrap()).await.json();
        assert_eq!(report.imported, 1);
        // More entries than one import may hold: refused whatever the form, nothing stored.
        let too_many: String = (0..100_001).map(|i| format!("{{\"id\": \"m{i}\", \"data\": {{\"text\": \"t\"}}}}\n")).collect();
        import("application/x-ndjson", too_many.into_bytes()).await.refused(ApiErrorCode::PayloadTooLarge);
        // A body past the size limit is refused as it streams in, with no Content-Length to go by.
        let entry = format!("{{\"id\": \"big\", \"data\": {{\"text\": \"{}\"}}}}\n", "x".repeat(4000));
        let mut huge = Vec::with_capacity(65 << 20);
        for i in 0.. {
            huge.extend_from_slice(entry.replace("big", &format!("big{i}")).as_bytes());
            if huge.len() > 65 << 20 {
                break;
            }
        }
        let answer = import("application/x-ndjson", huge).await;
        answer.refused(ApiErrorCode::PayloadTooLarge);
        assert_eq!(s.count("items").await, before + 1);
    }

    async fn csv_export_defuses_formulas_behind_whitespace_and_in_full_width(s) {
        let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO]).await;
        let ids = [" =HYPERLINK(\"x\")", "\u{3000}@SUM(1)", "＝1+1", "＋cmd", "＠A1", "－A1", " -5"];
        let lines: String = ids.iter().map(|id| format!("{}\n", serde_json::json!({"id": id, "data": {"text": "Rome."}}))).collect();
        coordinator
            .request("POST", &api::items_path(DEMO), &[("content-type", "application/x-ndjson")], Some(lines.into_bytes()))
            .await
            .expect(StatusCode::CREATED);
        let ana = s.user("ana", Role::Annotator, Some(" =vendor()"), &[DEMO]).await;
        onboard(&ana).await;
        // Next in line after onboarding.
        for (position, id) in ids.iter().enumerate() {
            sqlx::query("UPDATE items SET position = $1 WHERE project_id = $2 AND id = $3")
                .bind(-100 + position as i64)
                .bind(DEMO)
                .bind(*id)
                .execute(s.store.pool())
                .await
                .unwrap();
        }
        for id in ids {
            let next = ana.next(DEMO).await.unwrap();
            assert_eq!(next, id);
            ana.submit(DEMO, &next, valid_answer(&next)).await.expect(StatusCode::OK);
        }
        let csv = coordinator.get(&format!("{}?format=csv", api::export_path(DEMO))).await;
        csv.expect(StatusCode::OK);
        for id in ids {
            let quoted = format!(",\"'{}\",", id.replace('"', "\"\""));
            let plain = format!(",'{id},");
            assert!(csv.body.contains(&quoted) || csv.body.contains(&plain), "{id:?} is defused: {}", csv.body);
        }
        assert!(csv.body.contains(",' =vendor(),"), "{}", csv.body);
    }
}

/// A 50 MB import (Label Studio tasks with their annotations, a JSON array) grows the memory of a
/// real `annoqa serve` by far less than the body: it is read entry by entry, never held as a
/// `serde_json::Value` (which took about 800 MiB for this body).
#[test]
fn a_50_mb_import_streams_in_bounded_memory() {
    const TASKS: usize = 80_000;
    let dir = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(dir.path());
    let body = label_studio_export(TASKS);
    assert!((45 << 20..64 << 20).contains(&body.len()), "{} bytes", body.len());
    let resident_before = server.memory("VmRSS");
    let answer = server.post(api::items_path(DEMO).as_str(), "application/json", &body);
    let peak = server.memory("VmHWM");
    assert!(answer.starts_with("HTTP/1.1 201"), "{}", &answer[..answer.len().min(500)]);
    assert!(answer.contains(&format!("{{\"imported\":{TASKS}}}")), "{}", &answer[..answer.len().min(500)]);
    let growth = peak.saturating_sub(resident_before);
    eprintln!(
        "import of {} bytes: resident {} MiB before, peak {} MiB, growth {} MiB",
        body.len(),
        resident_before >> 20,
        peak >> 20,
        growth >> 20
    );
    assert!(growth < 128 << 20, "a {} MB import grew the server by {} MiB", body.len() >> 20, growth >> 20);
}

/// `TASKS` Label Studio text tasks as Label Studio exports them, each with an annotation of four
/// labelled spans, as one JSON array.
fn label_studio_export(tasks: usize) -> Vec<u8> {
    let result: Vec<serde_json::Value> = (0..4)
        .map(|k| {
            serde_json::json!({"id": format!("r{k}"), "from_name": "label", "to_name": "text", "type": "labels",
                "value": {"start": k * 5, "end": k * 5 + 4, "text": "word", "labels": ["PER"]}})
        })
        .collect();
    let mut out = b"[".to_vec();
    for i in 0..tasks {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        let task = serde_json::json!({"id": i, "data": {"text": "Ada Lovelace wrote the first program in 1843."},
            "annotations": [{"id": i, "completed_by": 1, "result": result}]});
        serde_json::to_writer(&mut out, &task).unwrap();
    }
    out.push(b']');
    out
}

/// `annoqa serve` as a child process on a free port, with a fresh SQLite file, logged in as the
/// admin it creates. Killed when dropped.
struct ServeProcess {
    child: Child,
    address: String,
    cookie: String,
}

impl ServeProcess {
    fn start(dir: &Path) -> ServeProcess {
        let mut child = Command::new(annoqa_binary())
            .args(["serve", "--addr", "127.0.0.1:0", "--database"])
            .arg(dir.join("annoqa.sqlite3"))
            .arg("--dist")
            .arg(dir.join("no-dist"))
            .arg("--static")
            .arg(repo_root().join("static"))
            .arg("--media-dir")
            .arg(dir.join("media"))
            .env("ANNOQA_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("annoqa serve starts");
        // The one-time admin password comes on stderr before the server listens.
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let password = loop {
            let line = stderr.next().expect("annoqa serve printed the admin password").unwrap();
            if let Some((_, password)) = line.split_once("one-time password: ") {
                break password.trim().to_string();
            }
        };
        std::thread::spawn(move || stderr.for_each(drop));
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let address =
            line.split("http://").nth(1).and_then(|rest| rest.split('/').next()).expect("the URL").to_string();
        let mut server = ServeProcess { child, address, cookie: String::new() };
        let login = serde_json::json!({"username": "admin", "password": password}).to_string();
        let answer = server.post(api::SESSION, "application/json", login.as_bytes());
        let cookie = answer
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
            .and_then(|c| c.split(';').next())
            .unwrap_or_else(|| panic!("no session cookie: {answer}"));
        server.cookie = cookie.to_string();
        server
    }

    /// A `/proc/<pid>/status` figure in bytes: `VmRSS` now, `VmHWM` the peak so far.
    fn memory(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with(field)).unwrap();
        let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib * 1024
    }

    /// POSTs `body` over a plain HTTP/1.1 connection and returns the whole answer.
    fn post(&self, path: &str, content_type: &str, body: &[u8]) -> String {
        let mut stream = std::net::TcpStream::connect(&self.address).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nCookie: {}\r\n{}: {}\r\n\r\n",
            self.address,
            body.len(),
            self.cookie,
            api::CSRF_HEADER,
            api::CSRF_HEADER_VALUE
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `annoqa` binary: `ANNOQA_BIN` when set, else this build's, made fresh with
/// `cargo build -p annoqa-cli` (a server test cannot depend on the CLI's binary target).
fn annoqa_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("ANNOQA_BIN") {
        return PathBuf::from(path);
    }
    // …/target/<profile>/deps/it-<hash>: the binary is …/target/<profile>/annoqa.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    build.args(["build", "--quiet", "-p", "annoqa-cli", "--bin", "annoqa"]).current_dir(repo_root());
    if profile_dir.file_name().is_some_and(|name| name == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "cargo build -p annoqa-cli failed");
    profile_dir.join("annoqa")
}

both_backends! {
    async fn projects_and_items_come_from_label_studio_and_coco_files(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let config = r#"<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car" background="blue"/><Label value="Road"/>
  </RectangleLabels>
</View>"#;
        let project = serde_json::json!({"id": "from-ls", "title": "From Label Studio", "label_config": config});
        let view: api::ProjectView = admin.post(api::PROJECTS, &project).await.expect(StatusCode::CREATED).json();
        let labels: Vec<&str> = view.spec.controls[0].labels.iter().map(|l| l.value.as_str()).collect();
        assert_eq!((view.spec.controls[0].kind.name(), labels), ("b_box", vec!["Car", "Road"]));
        // Neither or both of spec and config; a config that is not XML.
        let both = serde_json::json!({"id": "x1", "title": "x", "label_config": config, "spec": view.spec});
        admin.post(api::PROJECTS, &both).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let broken = serde_json::json!({"id": "x2", "title": "x", "label_config": "<View><Image"});
        let answer = admin.post(api::PROJECTS, &broken).await;
        assert_eq!(answer.code(), ApiErrorCode::InvalidSpec, "{}", answer.body);

        let export = serde_json::json!([{
            "id": 7, "data": {"image": "/static/a.png"},
            "annotations": [{"completed_by": 1, "result": [{
                "id": "r1", "from_name": "label", "to_name": "image", "type": "rectanglelabels",
                "original_width": 640, "original_height": 480,
                "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0, "rectanglelabels": ["Car"]}
            }]}]
        }]);
        let uri = format!("{}?format=ls", api::items_path("from-ls"));
        let body = serde_json::to_vec(&export).unwrap();
        let answer = admin.request("POST", &uri, &[("content-type", "application/json")], Some(body)).await;
        let report: ImportReport = answer.expect(StatusCode::CREATED).json();
        assert_eq!(report.imported, 1);
        assert!(report.not_imported.iter().any(|line| line.contains("annotation")), "{:?}", report.not_imported);
        let unknown = format!("{}?format=voc", api::items_path("from-ls"));
        let answer = admin.request("POST", &unknown, &[("content-type", "application/json")], Some(b"[]".to_vec())).await;
        answer.expect(StatusCode::BAD_REQUEST);
        assert!(answer.error().contains("unknown input format"), "{}", answer.body);

        // A COCO file: its images become items with their sizes; nothing stored on a bad file.
        let coco = serde_json::json!({
            "images": [{"id": 1, "file_name": "/static/b.png", "width": 320, "height": 240}],
            "categories": [{"id": 1, "name": "Car"}],
            "annotations": [{"id": 5, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "iscrowd": 0, "area": 12}]
        });
        let uri = format!("{}?format=coco", api::items_path("from-ls"));
        let before = s.count("items").await;
        let answer = admin.request("POST", &uri, &[("content-type", "application/json")], Some(b"{\"images\": 3}".to_vec())).await;
        answer.expect(StatusCode::BAD_REQUEST);
        assert_eq!(s.count("items").await, before);
        let body = serde_json::to_vec(&coco).unwrap();
        let answer = admin.request("POST", &uri, &[("content-type", "application/json")], Some(body)).await;
        assert_eq!(answer.expect(StatusCode::CREATED).json::<ImportReport>().imported, 1);
        assert_eq!(s.count("items").await, before + 1);
    }
}
