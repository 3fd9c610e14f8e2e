//! Hostile input: sizes, depth, content types, NaN and friends, traversal, uploads, headers.

use annoqa_api::{self as api, Role, UploadedMedia};
use axum::http::StatusCode;

use crate::both_backends;
use crate::support::*;
use crate::work::onboard;

both_backends! {
    async fn oversized_deep_or_mistyped_bodies_are_refused_and_store_nothing(s) {
        let ana = s.annotator("ana").await;
        onboard(&ana).await;
        let item = ana.next(DEMO).await.unwrap();
        let submit = api::submit_path(DEMO, &item);
        let key = [("idempotency-key", "k")];
        let send = |content_type: Option<&'static str>, body: String| {
            let ana = ana.clone();
            let submit = submit.clone();
            async move {
                let mut headers = key.to_vec();
                if let Some(t) = content_type {
                    headers.push(("content-type", t));
                }
                ana.request("POST", &submit, &headers, Some(body.into_bytes())).await
            }
        };
        let json = Some("application/json");
        let deep = format!(r#"{{"lead_time_ms":1,"regions":[],"x":{}{}}}"#, "[".repeat(65), "]".repeat(65));
        let cases: Vec<(Option<&'static str>, String, api::ApiErrorCode, &str)> = vec![
            (json, "{\"regions\": [".into(), api::ApiErrorCode::BadRequest, "EOF"),
            (json, "{\"regions\": []}".into(), api::ApiErrorCode::InvalidRequest, "lead_time_ms"),
            (None, "{}".into(), api::ApiErrorCode::UnsupportedMediaType, "Content-Type"),
            (Some("text/plain"), "{}".into(), api::ApiErrorCode::UnsupportedMediaType, "Content-Type"),
            (json, deep, api::ApiErrorCode::BadRequest, "nested deeper than 64"),
            // NaN and infinities are not JSON: serde refuses them as syntax.
            (json, r#"{"lead_time_ms":1,"regions":[{"id":"r","control":"entities","type":"text_span","start":NaN,"end":2,"label":"ORG"}]}"#.into(), api::ApiErrorCode::BadRequest, "invalid JSON"),
            (json, r#"{"lead_time_ms":1e999,"regions":[]}"#.into(), api::ApiErrorCode::BadRequest, "invalid JSON"),
            // null where a number belongs (what NaN becomes in JSON.stringify) names the field.
            (json, r#"{"lead_time_ms":1,"regions":[{"id":"r","control":"entities","type":"text_span","start":null,"end":2,"label":"ORG"}]}"#.into(), api::ApiErrorCode::InvalidRequest, "invalid type: null"),
            (json, r#"{"lead_time_ms":1,"regions":[{"id":"r","control":"entities","type":"text_span","start":-1,"end":2,"label":"ORG"}]}"#.into(), api::ApiErrorCode::InvalidRequest, "invalid value"),
            (json, r#"{"lead_time_ms":-5,"regions":[]}"#.into(), api::ApiErrorCode::InvalidRequest, "invalid value"),
        ];
        for (content_type, body, code, needle) in cases {
            let answer = send(content_type, body.clone()).await;
            answer.refused(code);
            assert!(answer.error().contains(needle), "{body}: {}", answer.body);
        }
        let huge = format!(r#"{{"lead_time_ms":1,"regions":[],"pad":"{}"}}"#, "x".repeat(2 << 20));
        send(json, huge).await.refused(api::ApiErrorCode::PayloadTooLarge);
        let long_array = format!(r#"{{"lead_time_ms":1,"regions":[{}]}}"#, vec!["0"; 100_001].join(","));
        let answer = send(json, long_array).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert_eq!(s.count("submissions").await, 3, "only the onboarding items");
    }

    async fn out_of_range_offsets_are_422_naming_the_problem_and_store_nothing(s) {
        let ana = s.annotator("ana").await;
        onboard(&ana).await;
        let item = ana.next(DEMO).await.unwrap();
        let mut regions = valid_answer(&item);
        regions.push(annoqa_core::Region {
            id: "far".into(),
            control: "entities".into(),
            value: annoqa_core::RegionValue::TextSpan { start: 5000, end: 5004, label: "ORG".into() },
            attributes: Default::default(),
        });
        let answer = ana.submit(DEMO, &item, regions).await;
        answer.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let error: api::ApiError = answer.json();
        assert!(error.findings.iter().any(|f| f.regions.contains(&"far".to_string())), "{}", answer.body);
        assert_eq!(s.count("submissions").await, 3);
    }

    async fn every_response_carries_the_security_headers(s) {
        let ana = s.annotator("ana").await;
        for uri in ["/", "/api/projects", "/api/nothing", "/static/demo/news-entities/guidelines.md"] {
            let answer = ana.get(uri).await;
            let header = |name: &str| answer.headers.get(name).map(|v| v.to_str().unwrap().to_string());
            assert_eq!(header("content-security-policy").as_deref(), Some(annoqa_server::CONTENT_SECURITY_POLICY), "{uri}");
            assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{uri}");
            assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{uri}");
            assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"), "{uri}");
        }
        let guidelines = ana.get("/static/demo/news-entities/guidelines.md").await;
        assert!(guidelines.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/plain"));
        assert!(annoqa_server::CONTENT_SECURITY_POLICY.contains("script-src 'self' 'wasm-unsafe-eval'"));
        assert!(!annoqa_server::CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
    }

    async fn media_is_served_only_from_the_project_media_root(s) {
        let root = s.dir.path().join("media").join(DEMO);
        std::fs::create_dir_all(root.join("img")).unwrap();
        std::fs::write(root.join("img/cat.png"), b"\x89PNG\r\n\x1a\nrest-of-png").unwrap();
        // An HTML file disguised as an image: served by its bytes, not its name, and inert.
        std::fs::write(root.join("img/evil.png"), b"<html><script>alert(1)</script>").unwrap();
        std::fs::write(s.dir.path().join("secret.txt"), b"top secret").unwrap();
        std::fs::write(s.dir.path().join("media/outside.png"), b"\x89PNG\r\n\x1a\nother").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(s.dir.path().join("secret.txt"), root.join("link.png")).unwrap();
        let ana = s.annotator("ana").await;
        let cat = ana.get(&api::media_path(DEMO, "img/cat.png")).await;
        cat.expect(StatusCode::OK);
        assert_eq!(cat.headers.get("content-type").unwrap(), "image/png");
        assert_eq!(cat.headers.get("x-content-type-options").unwrap(), "nosniff");
        let evil = ana.get(&api::media_path(DEMO, "img/evil.png")).await;
        assert_eq!(evil.headers.get("content-type").unwrap(), "application/octet-stream");
        let base = format!("/api/projects/{DEMO}/media/");
        for attack in [
            "../outside.png",
            "..%2Foutside.png",
            "%2e%2e/outside.png",
            "%2e%2e%2f%2e%2e%2fsecret.txt",
            "img/../../outside.png",
            "%2Fetc%2Fpasswd",
            "img%5C..%5C..%5Coutside.png",
            "link.png",
            "./img/cat.png",
            "img//cat.png",
            "C:%5Cwindows",
        ] {
            let answer = ana.get(&format!("{base}{attack}")).await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{attack}: {}", answer.body);
            assert!(!answer.body.contains("top secret") && !answer.body.contains("other"), "{attack}");
        }
        // Non-members do not get the files either.
        let outsider = s.user("eve", Role::Annotator, None, &[]).await;
        outsider.get(&api::media_path(DEMO, "img/cat.png")).await.expect(StatusCode::NOT_FOUND);
    }

    async fn uploads_are_sniffed_stored_under_a_random_name_and_served_typed(s) {
        let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO]).await;
        let wav = [b"RIFF".as_slice(), &[0, 0, 0, 0], b"WAVEfmt "].concat();
        let answer = coordinator
            .request("POST", &api::media_upload_path(DEMO), &[("content-type", "image/png")], Some(wav))
            .await;
        answer.expect(StatusCode::CREATED);
        let uploaded: UploadedMedia = answer.json();
        assert_eq!(uploaded.content_type, "audio/wav", "the bytes decide, not the client's claim");
        assert!(uploaded.path.starts_with("uploads/") && uploaded.path.ends_with(".wav"));
        let served = coordinator.get(&api::media_path(DEMO, &uploaded.path)).await;
        served.expect(StatusCode::OK);
        assert_eq!(served.headers.get("content-type").unwrap(), "audio/wav");
        let html = coordinator
            .request("POST", &api::media_upload_path(DEMO), &[("content-type", "image/png")], Some(b"<svg onload=alert(1)>".to_vec()))
            .await;
        html.expect(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let ana = s.annotator("ana").await;
        ana.request("POST", &api::media_upload_path(DEMO), &[], Some(b"\x89PNG\r\n\x1a\n".to_vec()))
            .await
            .expect(StatusCode::FORBIDDEN);
    }
}
