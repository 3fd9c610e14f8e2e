//! Item import (annoqa JSON, JSON lines, Label Studio tasks; all or nothing) and export with the
//! QA sidecar as JSON, JSON lines and CSV.

use annoqa_api::{self as api, ExportRow, ImportReport, Role, SubmitResponse};
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
        assert_eq!(lines[0], "submission_id,item_id,annotator,vendor,status,lead_time_ms,created_at_ms,gold_score,gold_passed,verdict,error_codes,regions,corrected_regions");
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
