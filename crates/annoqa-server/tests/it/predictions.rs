//! Pre-annotations: an item's `predictions` from import (annoqa JSON and JSON lines, Label
//! Studio files, the demo loader) through the next item to the submission's
//! `prediction_outcome`, which reviewers, coordinators and the export read back. Bad predictions
//! refuse the whole import, naming the item and the prediction; a bad outcome is refused with
//! `invalid_request` and stores nothing.

use annoqa_api::{
    self as api, ApiErrorCode, ExportRow, NextItem, PredictionOutcome, ReviewTask, Role, SubmissionView, SubmitRequest,
    SubmitResponse,
};
use annoqa_core::{Region, RegionValue};
use annoqa_server::load_demo_projects;
use axum::http::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::support::*;

const PROJECT: &str = "cards";

/// An image project (640×480 items) with boxes and a required choice that predictions need not
/// answer, a rule they need not meet (at most two boxes) and at most four regions; a
/// coordinator, an annotator and a reviewer in it.
async fn image_project(s: &Server) -> (Client<'_>, Client<'_>, Client<'_>) {
    let admin = s.user("root", Role::Admin, None, &[]).await;
    let spec = json!({
        "media": "image",
        "controls": [
            {"name": "objects", "type": "b_box", "labels": [{"value": "cat"}, {"value": "dog"}]},
            {"name": "quality", "type": "choice", "required": true, "labels": [{"value": "good"}, {"value": "bad"}]}
        ],
        "rules": [{"rule": "count", "control": "objects", "max": 2}],
        "limits": {"regions": 4}
    });
    admin
        .post(api::PROJECTS, &json!({"id": PROJECT, "title": "Cards", "spec": spec}))
        .await
        .expect(StatusCode::CREATED);
    let coordinator = s.user("coord", Role::Coordinator, None, &[PROJECT]).await;
    let annotator = s.user("ana", Role::Annotator, None, &[PROJECT]).await;
    let reviewer = s.user("rev", Role::Reviewer, None, &[PROJECT]).await;
    (coordinator, annotator, reviewer)
}

fn cat_box(id: &str, label: &str, x: f64) -> Region {
    Region {
        id: id.into(),
        control: "objects".into(),
        value: RegionValue::BBox { x, y: 10.0, width: 50.0, height: 40.0, rotation: 0.0, label: label.into() },
        attributes: Default::default(),
    }
}

fn card(id: &str, predictions: serde_json::Value) -> serde_json::Value {
    json!({"id": id, "media": {"type": "image", "src": format!("img/{id}.png"), "width": 640, "height": 480}, "predictions": predictions})
}

fn quality() -> Region {
    Region {
        id: "q".into(),
        control: "quality".into(),
        value: RegionValue::Choice { labels: vec!["good".into()] },
        attributes: Default::default(),
    }
}

async fn import<'a>(client: &Client<'a>, project: &str, content_type: &str, body: String) -> Answer {
    client.request("POST", &api::items_path(project), &[("content-type", content_type)], Some(body.into_bytes())).await
}

fn lines(entries: &[serde_json::Value]) -> String {
    entries.iter().map(|e| format!("{e}\n")).collect()
}

async fn submit(client: &Client<'_>, item: &str, regions: Vec<Region>, outcome: Option<PredictionOutcome>) -> Answer {
    let request = SubmitRequest { lead_time_ms: 900, regions, prediction_outcome: outcome };
    let key = format!("k-{}", annoqa_server::new_id());
    let body = serde_json::to_vec(&request).unwrap();
    client
        .request(
            "POST",
            &api::submit_path(PROJECT, item),
            &[("content-type", "application/json"), ("idempotency-key", key.as_str())],
            Some(body),
        )
        .await
}

fn outcome(kept: &[&str], edited: &[&str], deleted: &[&str]) -> PredictionOutcome {
    let ids = |ids: &[&str]| ids.iter().map(|id| id.to_string()).collect();
    PredictionOutcome { kept: ids(kept), edited: ids(edited), deleted: ids(deleted) }
}

both_backends! {
    async fn predictions_go_from_import_to_the_next_item_and_their_outcome_to_the_stored_submission(s) {
        let (coordinator, ana, reviewer) = image_project(&s).await;
        let predicted = vec![cat_box("p1", "cat", 10.0), cat_box("p2", "dog", 100.0), cat_box("p3", "cat", 200.0)];
        let body = lines(&[card("card-1", serde_json::to_value(&predicted).unwrap()), card("card-2", json!(null))]);
        let report: api::ImportReport = import(&coordinator, PROJECT, "application/x-ndjson", body).await.expect(StatusCode::CREATED).json();
        assert_eq!(report.imported, 2);

        // The next item carries its predictions, exactly as imported.
        let next = ana.get(&api::next_path(PROJECT)).await;
        let assigned = next.expect(StatusCode::OK).json::<NextItem>().item.unwrap();
        assert_eq!(assigned.item.id, "card-1");
        assert_eq!(assigned.predictions, predicted);
        // Asked again, the live lease answers the same item with the same predictions.
        let again = ana.get(&api::next_path(PROJECT)).await.json::<NextItem>().item.unwrap();
        assert_eq!((again.item.id.as_str(), &again.predictions), ("card-1", &predicted));

        // p1 kept, p2 moved, p3 deleted; the required choice and the rule are the annotator's.
        let regions = vec![cat_box("p1", "cat", 10.0), cat_box("p2", "dog", 120.0), quality()];
        let said = outcome(&["p1"], &["p2"], &["p3"]);
        let stored: SubmitResponse = submit(&ana, "card-1", regions, Some(said.clone())).await.expect(StatusCode::OK).json();

        // Read back by the annotator, the reviewer (with the predictions beside the item) and
        // the coordinator's export.
        let view: SubmissionView = ana.get(&api::submission_path(PROJECT, stored.submission_id)).await.expect(StatusCode::OK).json();
        assert_eq!(view.prediction_outcome.as_ref(), Some(&said));
        let queue: Vec<ReviewTask> = reviewer.get(&api::review_queue_path(PROJECT)).await.expect(StatusCode::OK).json();
        let task = queue.iter().find(|t| t.submission.id == stored.submission_id).unwrap();
        assert_eq!(task.submission.prediction_outcome.as_ref(), Some(&said));
        assert_eq!(task.predictions, predicted);
        let rows: Vec<ExportRow> = coordinator.get(&api::export_path(PROJECT)).await.expect(StatusCode::OK).json();
        assert_eq!(rows[0].prediction_outcome.as_ref(), Some(&said));
        let csv = coordinator.get(&format!("{}?format=csv", api::export_path(PROJECT))).await;
        assert!(csv.body.lines().next().unwrap().ends_with(",corrected_regions,prediction_outcome"), "{}", csv.body);
        assert!(csv.body.contains(r#""{""kept"":[""p1""],""edited"":[""p2""],""deleted"":[""p3""]}""#), "{}", csv.body);

        // An item without predictions: none sent, and an (empty) outcome is not kept.
        let next = ana.get(&api::next_path(PROJECT)).await;
        assert!(!next.body.contains("predictions"), "{}", next.body);
        let plain: SubmitResponse =
            submit(&ana, "card-2", vec![quality()], Some(PredictionOutcome::default())).await.expect(StatusCode::OK).json();
        let view: SubmissionView = ana.get(&api::submission_path(PROJECT, plain.submission_id)).await.json();
        assert_eq!(view.prediction_outcome, None);
        let stored_outcomes: Vec<Option<String>> =
            sqlx::query_scalar("SELECT prediction_outcome FROM submissions WHERE project_id = $1 ORDER BY created_at_ms, id")
                .bind(PROJECT)
                .fetch_all(s.store.pool())
                .await
                .unwrap();
        assert_eq!(stored_outcomes.iter().filter(|o| o.is_some()).count(), 1, "{stored_outcomes:?}");
    }

    async fn bad_predictions_refuse_the_whole_import_naming_the_item_and_the_prediction(s) {
        let (coordinator, _, _) = image_project(&s).await;
        let good = card("card-1", json!([cat_box("p1", "cat", 10.0)]));
        let with = |predictions: serde_json::Value| lines(&[good.clone(), card("card-3", predictions)]);
        let cases = [
            // `null` where a number belongs (what JSON.stringify makes of NaN).
            (with(json!([cat_box("p1", "cat", 10.0), {"id": "p2", "control": "objects", "type": "b_box", "x": null, "y": 1, "width": 2, "height": 2, "label": "cat"}])),
             "line 2: item `card-3`: predictions[1]: not a valid region"),
            (with(json!([cat_box("p1", "cat", 10.0), cat_box("p2", "cat", 620.0)])),
             "line 2: item `card-3`: predictions[1]: cat box `p2` (620.0, 10.0, 50.0×40.0) reaches outside the 640×480 frame"),
            (with(json!([cat_box("p1", "cow", 10.0)])),
             "line 2: item `card-3`: predictions[0]: `cow` is not a label of `objects`"),
            (with(json!([{"id": "p1", "control": "animals", "type": "b_box", "x": 1, "y": 1, "width": 2, "height": 2, "label": "cat"}])),
             "line 2: item `card-3`: predictions[0]: region `p1` answers `animals`, which is not a control of this task"),
            (with(json!([cat_box("p1", "cat", 10.0), cat_box("p1", "dog", 100.0)])),
             "line 2: item `card-3`: predictions[1]: id `p1` is used twice (also by predictions[0])"),
            (with(json!([cat_box("", "cat", 10.0)])),
             "line 2: item `card-3`: predictions[0]: a prediction needs an `id`"),
            // NaN itself is not JSON: the line is named.
            (format!("{good}\n{}\n", r#"{"id": "card-3", "media": {"type": "image", "src": "c.png", "width": 640, "height": 480}, "predictions": [{"id": "p1", "control": "objects", "type": "b_box", "x": NaN, "y": 1, "width": 2, "height": 2, "label": "cat"}]}"#),
             "line 2: not JSON"),
        ];
        let before = s.count("items").await;
        for (body, message) in cases {
            let answer = import(&coordinator, PROJECT, "application/x-ndjson", body).await;
            answer.refused(ApiErrorCode::BadRequest);
            assert!(answer.error().starts_with(message), "{message}\n{}", answer.body);
            assert_eq!(s.count("items").await, before, "nothing of the import is stored: {message}");
        }
        // A JSON array names the element; the spec's limits hold for predictions as for answers.
        let many: Vec<Region> = (0..5).map(|i| cat_box(&format!("p{i}"), "cat", 10.0)).collect();
        let answer = import(&coordinator, PROJECT, "application/json", json!([good, card("card-9", json!(many))]).to_string()).await;
        answer.refused(ApiErrorCode::BadRequest);
        assert!(answer.error().starts_with("item 2: item `card-9`: predictions: 5 regions; this project allows at most 4"), "{}", answer.body);
        assert_eq!(s.count("items").await, before);
        // The good item alone goes in.
        import(&coordinator, PROJECT, "application/x-ndjson", lines(&[good])).await.expect(StatusCode::CREATED);
        assert_eq!(s.count("items").await, before + 1);
    }

    async fn a_bad_prediction_outcome_is_refused_and_stores_nothing(s) {
        let (coordinator, ana, _) = image_project(&s).await;
        let predicted = json!([cat_box("p1", "cat", 10.0), cat_box("p2", "dog", 100.0)]);
        import(&coordinator, PROJECT, "application/x-ndjson", lines(&[card("card-1", predicted)])).await.expect(StatusCode::CREATED);
        assert_eq!(ana.next(PROJECT).await.as_deref(), Some("card-1"));
        let regions = || vec![cat_box("p1", "cat", 10.0), quality()];
        let cases = [
            (outcome(&["p1"], &[], &["p2", "p9"]), "prediction_outcome.deleted: `p9` is not a prediction of this item"),
            (outcome(&["p1"], &[], &["p2", "p1"]), "prediction_outcome.deleted: `p1` is listed twice (also in `kept`)"),
            (outcome(&["p1", "p1"], &[], &["p2"]), "prediction_outcome.kept: `p1` is listed twice (also in `kept`)"),
            (outcome(&["p1"], &[], &[]), "prediction_outcome: prediction `p2` is in none of `kept`, `edited` and `deleted`"),
            (outcome(&[], &[], &[]), "prediction_outcome: prediction `p1` (and 1 more) is in none of"),
        ];
        for (said, message) in cases {
            let answer = submit(&ana, "card-1", regions(), Some(said)).await;
            answer.refused(ApiErrorCode::InvalidRequest);
            assert!(answer.error().starts_with(message), "{message}\n{}", answer.body);
            assert_eq!(s.count("submissions").await, 0);
        }
        // Still leased: a right outcome goes in.
        submit(&ana, "card-1", regions(), Some(outcome(&["p1"], &[], &["p2"]))).await.expect(StatusCode::OK);
        assert_eq!(s.count("submissions").await, 1);
    }

    async fn label_studio_predictions_and_demo_folders_go_through_the_same_checks(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let config = r#"<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image"><Label value="Car"/><Label value="Road"/></RectangleLabels>
</View>"#;
        admin.post(api::PROJECTS, &json!({"id": "from-ls", "title": "From Label Studio", "label_config": config})).await.expect(StatusCode::CREATED);
        let ana = s.user("ana", Role::Annotator, None, &["from-ls"]).await;
        let result = |id: &str, label: &str| json!({
            "id": id, "from_name": "label", "to_name": "image", "type": "rectanglelabels",
            "original_width": 640, "original_height": 480,
            "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0, "rectanglelabels": [label]}
        });
        let task = |label: &str| json!([{
            "id": 7, "data": {"image": "/static/a.png"},
            "predictions": [
                {"model_version": "v1", "result": [result("m1", "Car"), result("m2", label)]},
                {"model_version": "v2", "result": [result("m3", "Car")]}
            ]
        }]);
        let uri = format!("{}?format=ls", api::items_path("from-ls"));
        let send = |body: serde_json::Value| admin.request("POST", &uri, &[("content-type", "application/json")], Some(body.to_string().into_bytes()));
        let before = s.count("items").await;
        let answer = send(task("Bus")).await;
        answer.refused(ApiErrorCode::BadRequest);
        assert!(answer.error().contains("item `7`: predictions[1]: `Bus` is not a label of `label`"), "{}", answer.body);
        assert_eq!(s.count("items").await, before);
        let report: api::ImportReport = send(task("Road")).await.expect(StatusCode::CREATED).json();
        assert!(report.not_imported.iter().any(|line| line.contains("prediction")), "{:?}", report.not_imported);
        let assigned = ana.get(&api::next_path("from-ls")).await.json::<NextItem>().item.unwrap();
        let ids: Vec<&str> = assigned.predictions.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["m1", "m2"], "the first prediction, converted: {:?}", assigned.predictions);
        let RegionValue::BBox { x, width, label, .. } = &assigned.predictions[1].value else { panic!("a box") };
        assert_eq!((*x, *width, label.as_str()), (64.0, 192.0, "Road"));

        // A demo folder's items.jsonl: bad predictions refuse the folder, good ones are stored.
        let folder = s.dir.path().join("demo/cards");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("guidelines.md"), "# Cards\n").unwrap();
        let spec = json!({"media": "image", "controls": [{"name": "objects", "type": "b_box", "labels": [{"value": "cat"}, {"value": "dog"}]}]});
        std::fs::write(folder.join("project.json"), json!({"id": "cards", "title": "Cards", "spec": spec}).to_string()).unwrap();
        std::fs::write(folder.join("items.jsonl"), lines(&[card("card-1", json!([cat_box("p1", "cat", 700.0)]))])).unwrap();
        let projects = s.store.project_count().await.unwrap();
        let error = load_demo_projects(&s.store, &s.dir.path().join("demo"), T0).await.unwrap_err();
        assert!(format!("{error:#}").contains("items.jsonl:1: item `card-1`: predictions[0]: cat box `p1`"), "{error:#}");
        assert_eq!(s.store.project_count().await.unwrap(), projects);
        std::fs::write(folder.join("items.jsonl"), lines(&[card("card-1", json!([cat_box("p1", "cat", 10.0)]))])).unwrap();
        // A relative src names a file of the folder's media/: without it the folder is refused.
        let error = load_demo_projects(&s.store, &s.dir.path().join("demo"), T0).await.unwrap_err();
        assert!(format!("{error:#}").contains("media `img/card-1.png` is not a file under"), "{error:#}");
        assert_eq!(s.store.project_count().await.unwrap(), projects);
        std::fs::create_dir_all(folder.join("media/img")).unwrap();
        std::fs::write(folder.join("media/img/card-1.png"), annoqa_media::synthetic::png_rgb(640, 480).unwrap()).unwrap();
        assert_eq!(load_demo_projects(&s.store, &s.dir.path().join("demo"), T0).await.unwrap(), 1);
        let stored: Option<String> = sqlx::query_scalar("SELECT predictions FROM items WHERE project_id = 'cards'")
            .fetch_one(s.store.pool())
            .await
            .unwrap();
        let stored: Vec<Region> = serde_json::from_str(&stored.unwrap()).unwrap();
        assert_eq!(stored, [cat_box("p1", "cat", 10.0)]);
    }
}
