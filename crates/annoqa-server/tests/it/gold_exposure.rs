//! Gold exposure control: each annotator sees a random subset of the honeypots, in random places
//! of their sequence, looking like any other item; honeypots most of the workforce has seen are
//! reported to the coordinator.

use std::collections::BTreeSet;

use annoqa_api::{self as api, GoldExposureReport, ImportReport, NewProject, NextItem, Role};
use annoqa_core::{GoldMode, ItemSource};
use axum::http::StatusCode;

use crate::both_backends;
use crate::support::*;

const PROJECT: &str = "exposure";
const PLAIN: u32 = 30;
const HONEYPOTS: u32 = 30;

/// 30 plain items and 30 honeypots, copies of demo items under ids that do not tell them apart,
/// interleaved in project order.
fn exposure_items() -> Vec<ItemSource> {
    let demo = demo_items();
    let plain = demo.iter().find(|i| i.gold.is_none()).unwrap();
    let honeypot = demo.iter().find(|i| i.gold.as_ref().is_some_and(|g| g.mode == GoldMode::Honeypot)).unwrap();
    (0..PLAIN + HONEYPOTS)
        .map(|n| {
            let mut item = if n % 2 == 0 { plain.clone() } else { honeypot.clone() };
            item.item.id = format!("item-{n:03}");
            item
        })
        .collect()
}

async fn create_exposure_project(admin: &Client<'_>) -> Vec<ItemSource> {
    let demo: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("static/demo/news-entities/project.json")).unwrap(),
    )
    .unwrap();
    let project = NewProject {
        id: PROJECT.into(),
        title: "Exposure".into(),
        guidelines: std::fs::read_to_string(repo_root().join("static/demo/news-entities/guidelines.md")).unwrap(),
        spec: Some(serde_json::from_value(demo["spec"].clone()).unwrap()),
        label_config: None,
        // Both annotators can do every plain item; one item in four is gold, so 40 items hold
        // exactly 10 honeypots each.
        assignment: api::AssignmentPolicy {
            overlap: 2,
            lease_ms: 60_000,
            gold_onboarding: 0,
            gold_rate: 0.25,
            gold_max_exposure: 0.5,
        },
    };
    admin.post(api::PROJECTS, &project).await.expect(StatusCode::CREATED);
    let items = exposure_items();
    let body = serde_json::to_vec(&items).unwrap();
    let report: ImportReport = admin
        .request("POST", &api::items_path(PROJECT), &[("content-type", "application/json")], Some(body))
        .await
        .json();
    assert_eq!(report.imported, PLAIN + HONEYPOTS);
    items
}

/// What a client could compare between two `next` answers: header names and JSON keys.
fn shape(answer: &Answer) -> (Vec<String>, Vec<String>) {
    let mut headers: Vec<String> = answer.headers.keys().map(|k| k.to_string()).collect();
    headers.sort();
    let body: serde_json::Value = answer.json();
    let mut keys: Vec<String> = Vec::new();
    for (prefix, object) in [("", &body), ("item.", &body["item"]), ("item.item.", &body["item"]["item"])] {
        for key in object.as_object().into_iter().flat_map(|o| o.keys()) {
            keys.push(format!("{prefix}{key}"));
        }
    }
    keys.sort();
    (headers, keys)
}

/// Works through 40 items; the honeypots among them and their places (0-based) in the sequence.
async fn work_forty(client: &Client<'_>, items: &[ItemSource]) -> (BTreeSet<String>, Vec<usize>) {
    let (mut honeypots, mut places) = (BTreeSet::new(), Vec::new());
    let mut shapes = BTreeSet::new();
    for place in 0..40 {
        let answer = client.get(&api::next_path(PROJECT)).await;
        answer.expect(StatusCode::OK);
        shapes.insert(shape(&answer));
        let next: NextItem = answer.json();
        let assigned = next.item.expect("40 items for each annotator");
        assert_eq!(assigned.training_gold, None);
        let source = items.iter().find(|i| i.item.id == assigned.item.id).unwrap();
        if source.gold.is_some() {
            honeypots.insert(assigned.item.id.clone());
            places.push(place);
        }
        let regions = source.gold.as_ref().map_or_else(|| vec![sentiment("neutral")], |g| g.answer.clone());
        client.submit(PROJECT, &assigned.item.id, regions).await.expect(StatusCode::OK);
    }
    assert_eq!(shapes.len(), 1, "a honeypot's `next` answer looks like any other: {shapes:?}");
    (honeypots, places)
}

both_backends! {
    async fn annotators_see_random_honeypot_subsets_in_random_places_and_the_overexposed_are_reported(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let items = create_exposure_project(&admin).await;
        let coordinator = s.user("coord", Role::Coordinator, None, &[PROJECT]).await;
        let ana = s.user("ana", Role::Annotator, None, &[PROJECT]).await;
        let bob = s.user("bob", Role::Annotator, None, &[PROJECT]).await;
        let (anas, ana_places) = work_forty(&ana, &items).await;
        let (bobs, bob_places) = work_forty(&bob, &items).await;
        assert_eq!((anas.len(), bobs.len()), (10, 10), "the gold rate holds");
        // Independent random subsets of 10 out of 30 share 10·10/30 ≈ 3.3 on average; 8 or
        // more happens about three times in 10,000.
        let common: BTreeSet<String> = anas.intersection(&bobs).cloned().collect();
        assert!(common.len() <= 7, "ana and bob share {} of their 10 honeypots: {common:?}", common.len());
        assert_ne!(anas, bobs);
        // One honeypot in every four items, but not at a fixed place among the four.
        for places in [&ana_places, &bob_places] {
            let blocks: Vec<usize> = places.iter().map(|p| p / 4).collect();
            assert_eq!(blocks, (0..10).collect::<Vec<_>>(), "one in each four: {places:?}");
            let offsets: BTreeSet<usize> = places.iter().map(|p| p % 4).collect();
            assert!(offsets.len() > 1, "gold always at the same place among four: {places:?}");
        }
        assert_ne!(ana_places, bob_places);

        // Shown to both of the two annotators is more than half the workforce: exactly the
        // shared ones are reported.
        let answer = coordinator.get(&api::gold_exposure_path(PROJECT)).await;
        answer.expect(StatusCode::OK);
        let report: GoldExposureReport = answer.json();
        assert_eq!((report.workforce, report.max_share), (2, 0.5));
        let reported: BTreeSet<String> = report.over_exposed.iter().map(|e| e.item_id.clone()).collect();
        assert_eq!(reported, common);
        assert!(report.over_exposed.iter().all(|e| e.shown_to == 2 && e.share == 1.0), "{report:?}");
        // Coordinators only; the project stays invisible to outsiders.
        ana.get(&api::gold_exposure_path(PROJECT)).await.refused(api::ApiErrorCode::Forbidden);
        let outsider = s.user("eve", Role::Coordinator, None, &[]).await;
        outsider.get(&api::gold_exposure_path(PROJECT)).await.refused(api::ApiErrorCode::NotFound);
    }

    async fn without_a_gold_rate_every_annotator_sees_every_honeypot_and_the_report_says_so(s) {
        // The demo mixes no gold: its items come in project order, gold or not.
        let ana = s.annotator("ana").await;
        let bob = s.annotator("bob").await;
        let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO]).await;
        for client in [&ana, &bob] {
            while let Some(item) = client.next(DEMO).await {
                client.submit(DEMO, &item, valid_answer(&item)).await.expect(StatusCode::OK);
            }
        }
        let report: GoldExposureReport = coordinator.get(&api::gold_exposure_path(DEMO)).await.json();
        assert_eq!(report.workforce, 2);
        let reported: BTreeSet<String> = report.over_exposed.iter().map(|e| e.item_id.clone()).collect();
        // Honeypots only: training gold ships with its answer, there is nothing to spot.
        let honeypots: BTreeSet<String> = demo_items()
            .into_iter()
            .filter(|i| i.gold.as_ref().is_some_and(|g| g.mode == GoldMode::Honeypot))
            .map(|i| i.item.id)
            .collect();
        assert_eq!(reported, honeypots);
    }

    async fn a_larger_workforce_raises_the_bar(s) {
        // Three annotators: a honeypot shown to two of them (2/3 > 0.5) is reported, to one not.
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let items = create_exposure_project(&admin).await;
        let coordinator = s.user("coord", Role::Coordinator, None, &[PROJECT]).await;
        let ana = s.user("ana", Role::Annotator, None, &[PROJECT]).await;
        let bob = s.user("bob", Role::Annotator, None, &[PROJECT]).await;
        // Cara is on the project but has not started: she counts in the workforce.
        s.user("cara", Role::Annotator, None, &[PROJECT]).await;
        let (anas, _) = work_forty(&ana, &items).await;
        let (bobs, _) = work_forty(&bob, &items).await;
        let report: GoldExposureReport = coordinator.get(&api::gold_exposure_path(PROJECT)).await.json();
        assert_eq!(report.workforce, 3);
        let reported: BTreeSet<String> = report.over_exposed.iter().map(|e| e.item_id.clone()).collect();
        assert_eq!(reported, anas.intersection(&bobs).cloned().collect::<BTreeSet<_>>());
    }
}
