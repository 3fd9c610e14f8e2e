use std::collections::HashSet;

use crate::{
    export_path, feedback_ack_path, feedback_entry_path, feedback_path, flags_path, inbox_path, items_path, media_path,
    media_upload_path, members_path, next_path, overlay_path, project_path, pyramid_path, review_path,
    review_queue_path, reviews_path, revisions_path, skip_path, submission_path, submit_path, taxonomy_path, tile_path,
    user_password_path, user_path, user_token_path, user_tokens_path, ApiError, ApiErrorCode, Endpoint, Method,
    MY_FEEDBACK, MY_UNREAD_FEEDBACK, PROJECTS, SESSION, USERS,
};

/// Whether `path` is an instance of `template`: the same literal segments, one non-empty
/// segment per `{param}`, one or more for a trailing `{*rest}`.
fn instance_of(template: &str, path: &str) -> bool {
    let (template, path): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    for (at, expected) in template.iter().enumerate() {
        if expected.starts_with("{*") {
            return path.len() > at && path[at..].iter().all(|s| !s.is_empty());
        }
        let Some(actual) = path.get(at) else { return false };
        let is_param = expected.starts_with('{');
        if (is_param && actual.is_empty()) || (!is_param && actual != expected) {
            return false;
        }
    }
    template.len() == path.len()
}

#[test]
fn path_builders_fill_the_route_table_templates() {
    let (p, item) = ("Zoë K/x", "a b");
    let built: &[(Endpoint, String)] = &[
        (Endpoint::Login, SESSION.to_string()),
        (Endpoint::ListUsers, USERS.to_string()),
        (Endpoint::MyFeedback, MY_FEEDBACK.to_string()),
        (Endpoint::UnreadFeedback, MY_UNREAD_FEEDBACK.to_string()),
        (Endpoint::AckFeedback, feedback_ack_path(7)),
        (Endpoint::ListProjects, PROJECTS.to_string()),
        (Endpoint::GetProject, project_path(p)),
        (Endpoint::NextItem, next_path(p)),
        (Endpoint::Submit, submit_path(p, item)),
        (Endpoint::Skip, skip_path(p, item)),
        (Endpoint::GetUser, user_path(7)),
        (Endpoint::CreateToken, user_tokens_path(7)),
        (Endpoint::RevokeToken, user_token_path(7, 8)),
        (Endpoint::ChangePassword, user_password_path(7)),
        (Endpoint::ListMembers, members_path(p)),
        (Endpoint::ImportItems, items_path(p)),
        (Endpoint::GetSubmission, submission_path(p, 7)),
        (Endpoint::Revisions, revisions_path(p, 7)),
        (Endpoint::Overlay, overlay_path(p, item)),
        (Endpoint::ReviewQueue, review_queue_path(p)),
        (Endpoint::Review, reviews_path(p, 7)),
        (Endpoint::GetReview, review_path(p, 7)),
        (Endpoint::GetTaxonomy, taxonomy_path(p)),
        (Endpoint::Flag, flags_path(p)),
        (Endpoint::ReviewerFeedback, feedback_path(p)),
        (Endpoint::GetFeedback, feedback_entry_path(p, 7)),
        (Endpoint::Inbox, inbox_path(p)),
        (Endpoint::Export, export_path(p)),
        (Endpoint::GetMedia, media_path(p, "clips/one two.wav")),
        (Endpoint::UploadMedia, media_upload_path(p)),
        (Endpoint::GetPyramid, pyramid_path(p, "scans/big one.png")),
        (Endpoint::GetTile, tile_path(p, "1f-2a", 3, 1, 2, "scans/big one.png")),
    ];
    for (endpoint, path) in built {
        let route = endpoint.route();
        assert!(instance_of(route.path, path), "{path} is not an instance of {}", route.path);
        let args: Vec<String> = route.params().iter().map(|_| "x".to_string()).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(route.fill(&args).map(|f| instance_of(route.path, &f)), Some(true), "{}", route.path);
    }
}

#[test]
fn ids_in_paths_are_percent_encoded_and_media_paths_keep_their_slashes() {
    assert_eq!(next_path("Zoë K"), "/api/projects/Zo%C3%AB%20K/next");
    assert_eq!(submit_path("a/b", "s1"), "/api/projects/a%2Fb/items/s1/submissions");
    assert_eq!(media_path("p", "clips/one two.wav"), "/api/projects/p/media/clips/one%20two.wav");
    assert_eq!(Endpoint::Submit.route().fill(&["p"]), None, "too few arguments");
    assert_eq!(Endpoint::Submit.route().fill(&["p", "i", "x"]), None, "too many arguments");
}

#[test]
fn the_route_table_has_one_row_per_method_and_path_and_only_api_paths() {
    let mut seen = HashSet::new();
    for endpoint in Endpoint::ALL {
        let route = endpoint.route();
        assert_eq!(route.endpoint, *endpoint);
        assert!(route.path.starts_with("/api/"), "{}", route.path);
        assert!(seen.insert((route.method, route.path)), "{} {} twice", route.method.as_str(), route.path);
        let params = route.params();
        assert_eq!(params.iter().collect::<HashSet<_>>().len(), params.len(), "{}", route.path);
        assert!(!route.summary().is_empty() && route.summary().ends_with('.'), "{}", route.summary());
        let no_body = matches!(route.method, Method::Get | Method::Delete);
        assert!(!no_body || route.request == "()", "{} {} takes no body", route.method.as_str(), route.path);
        assert_eq!(route.status == 204, route.response == "()", "{} {}", route.method.as_str(), route.path);
    }
    assert_eq!(Endpoint::GetUser.route().request, "()");
    assert_eq!(Endpoint::ListUsers.route().response, "Vec<UserView>", "type names as written");
}

#[test]
fn error_codes_are_snake_case_strings_with_one_status_each() {
    let mut seen = HashSet::new();
    for &code in ApiErrorCode::ALL {
        assert!(seen.insert(code.as_str()), "{code:?} twice");
        assert_eq!(serde_json::to_value(code).unwrap(), serde_json::json!(code.as_str()));
        assert_eq!(ApiErrorCode::parse(code.as_str()), Some(code));
        assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{}", code.as_str());
        assert!((400..600).contains(&code.status()), "{code:?}");
    }
    let error = ApiError {
        code: ApiErrorCode::AlreadyReviewed,
        error: "submission 7 is already reviewed".into(),
        findings: Vec::new(),
    };
    let json = serde_json::to_value(&error).unwrap();
    assert_eq!(json, serde_json::json!({"code": "already_reviewed", "error": "submission 7 is already reviewed"}));
    assert_eq!(serde_json::from_value::<ApiError>(json).unwrap(), error);
}

/// docs/api.md documents exactly the route table and the error codes: a section per route
/// (`` ### `METHOD /path` ``) whose roles, request, response and success status are the
/// table's, errors named there are real codes, and the error code table has every code with
/// its status.
#[test]
fn docs_api_md_lists_every_route_and_every_error_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md");
    let docs = std::fs::read_to_string(path).expect("docs/api.md exists");

    let mut sections: Vec<(String, Vec<&str>)> = Vec::new();
    let mut in_code_block = false;
    for line in docs.lines() {
        if line.starts_with("```") {
            in_code_block = !in_code_block;
        } else if in_code_block {
            continue;
        } else if let Some(heading) = line.strip_prefix("### ") {
            sections.push((heading.trim().trim_matches('`').to_string(), Vec::new()));
        } else if line.starts_with("## ") {
            sections.push((String::new(), Vec::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push(line);
        }
    }
    let documented: Vec<&String> = sections.iter().map(|(h, _)| h).filter(|h| !h.is_empty()).collect();
    let expected: Vec<String> =
        Endpoint::ALL.iter().map(|e| format!("{} {}", e.route().method.as_str(), e.route().path)).collect();
    assert_eq!(documented, expected.iter().collect::<Vec<_>>(), "docs/api.md's endpoints, in the table's order");

    // A `- **Name:** …` item with its indented continuation lines.
    let field = |body: &[&str], name: &str| -> String {
        let prefix = format!("- **{name}:** ");
        let starts: Vec<usize> = (0..body.len()).filter(|&i| body[i].starts_with(&prefix)).collect();
        assert_eq!(starts.len(), 1, "one `{prefix}` item");
        let mut text = body[starts[0]][prefix.len()..].to_string();
        for line in body[starts[0] + 1..].iter().take_while(|l| l.starts_with("  ")) {
            text.push(' ');
            text.push_str(line.trim());
        }
        text
    };
    let codes_in = |text: &str| -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .filter(|w| w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .map(String::from)
            .collect()
    };
    for (endpoint, (heading, body)) in Endpoint::ALL.iter().zip(sections.iter().filter(|(h, _)| !h.is_empty())) {
        let route = endpoint.route();
        assert_eq!(field(body, "Roles"), route.access.describe(), "{heading}");
        let request = field(body, "Request");
        if route.request == "()" {
            assert!(request.starts_with("none"), "{heading}: {request}");
        } else {
            assert!(request.starts_with(&format!("`{}`", route.request)), "{heading}: {request}");
        }
        let response = field(body, "Response");
        let body_type = if route.response == "()" { String::new() } else { format!(" `{}`", route.response) };
        assert!(response.starts_with(&format!("{}{body_type}", route.status)), "{heading}: {response}");
        for code in codes_in(&field(body, "Errors")) {
            assert!(ApiErrorCode::parse(&code).is_some(), "{heading}: `{code}` is not an error code");
        }
    }

    let rows: Vec<(String, u16)> = docs
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> =
                line.trim().strip_prefix('|')?.strip_suffix('|')?.split('|').map(str::trim).collect();
            let code = cells.first()?.strip_prefix('`')?.strip_suffix('`')?;
            Some((code.to_string(), cells.get(1)?.parse().ok()?))
        })
        .collect();
    let expected: Vec<(String, u16)> = ApiErrorCode::ALL.iter().map(|c| (c.as_str().to_string(), c.status())).collect();
    assert_eq!(rows, expected, "docs/api.md's error code table: every code with its status, in order");
}

/// Predictions and their outcome are optional on the wire: absent when empty, so older clients
/// and servers read the same bodies as before; present, they round-trip.
#[test]
fn predictions_and_their_outcome_are_left_out_when_empty_and_round_trip_when_present() {
    use crate::{AssignedItem, PredictionOutcome, SubmitRequest};
    use annoqa_core::{Item, Media, Region, RegionValue};

    let older: SubmitRequest = serde_json::from_str(r#"{"lead_time_ms": 5, "regions": []}"#).unwrap();
    assert_eq!(older.prediction_outcome, None);
    assert_eq!(serde_json::to_value(&older).unwrap(), serde_json::json!({"lead_time_ms": 5, "regions": []}));
    let outcome = PredictionOutcome { kept: vec!["p1".into()], edited: vec!["p2".into()], deleted: vec!["p3".into()] };
    let request = SubmitRequest { prediction_outcome: Some(outcome), ..older };
    let json = serde_json::to_value(&request).unwrap();
    assert_eq!(json["prediction_outcome"], serde_json::json!({"kept": ["p1"], "edited": ["p2"], "deleted": ["p3"]}));
    assert_eq!(serde_json::from_value::<SubmitRequest>(json).unwrap(), request);

    let item = Item { id: "a".into(), media: Media::Text { text: "Ada".into() }, candidates: Vec::new() };
    let plain = AssignedItem { item, training_gold: None, predictions: Vec::new() };
    assert!(serde_json::to_value(&plain).unwrap().get("predictions").is_none());
    let predicted = AssignedItem {
        predictions: vec![Region {
            id: "p1".into(),
            control: "entities".into(),
            value: RegionValue::TextSpan { start: 0, end: 3, label: "PERSON".into() },
            attributes: Default::default(),
        }],
        ..plain
    };
    let json = serde_json::to_value(&predicted).unwrap();
    assert_eq!(json["predictions"][0]["id"], "p1");
    assert_eq!(serde_json::from_value::<AssignedItem>(json).unwrap(), predicted);
}

/// A fix's diff matches regions by id: new ids are added, missing ones removed, and an id whose
/// region differs in anything (here the label, and separately only an attribute) is changed.
#[test]
fn a_region_diff_matches_by_id_and_sees_any_change_of_a_region() {
    use crate::RegionDiff;
    use annoqa_core::{Region, RegionValue};

    let span = |id: &str, start: usize, label: &str| Region {
        id: id.into(),
        control: "entities".into(),
        value: RegionValue::TextSpan { start, end: start + 3, label: label.into() },
        attributes: Default::default(),
    };
    let mut tagged = span("d", 9, "ORG");
    tagged.attributes.insert("certain".into(), "no".into());
    let original = [span("a", 0, "PER"), span("b", 4, "ORG"), span("c", 8, "LOC"), span("d", 9, "ORG")];
    // Another order than the original's: order is no change.
    let revised = [tagged, span("b", 4, "PER"), span("a", 0, "PER"), span("e", 12, "LOC")];
    let diff = RegionDiff::between(&original, &revised);
    assert_eq!(diff.added, ["e"]);
    assert_eq!(diff.removed, ["c"]);
    assert_eq!(diff.changed, ["b", "d"]);
    assert!(RegionDiff::between(&original, &original).is_empty());
    assert_eq!(RegionDiff::between(&[], &original).added, ["a", "b", "c", "d"]);
}

/// A feedback anchor is tagged by `kind`; a misspelt field is refused rather than dropped, so a
/// client's mistake cannot turn into a note about the whole submission.
#[test]
fn feedback_anchors_are_tagged_and_refuse_unknown_fields() {
    use crate::FeedbackAnchor;

    let time: FeedbackAnchor = serde_json::from_str(r#"{"kind": "time", "start_s": 1.5, "end_s": 2.0}"#).unwrap();
    assert_eq!(time, FeedbackAnchor::Time { start_s: 1.5, end_s: 2.0 });
    let region = FeedbackAnchor::Region { region: "r1".into() };
    assert_eq!(serde_json::to_value(&region).unwrap(), serde_json::json!({"kind": "region", "region": "r1"}));
    assert!(serde_json::from_str::<FeedbackAnchor>(r#"{"kind": "frames", "first": 1, "lsat": 2}"#).is_err());
    assert!(serde_json::from_str::<FeedbackAnchor>(r#"{"kind": "frames", "first": 1, "last": 2, "x": 0}"#).is_err());
    assert!(serde_json::from_str::<FeedbackAnchor>(r#"{"kind": "page", "page": 1}"#).is_err());
}
