//! Hostile input: sizes, depth, content types, NaN and friends, traversal, odd paths and
//! methods, uploads (quota, refused files), headers, server paths in answers.

use std::path::{Path, PathBuf};

use annoqa_api::{self as api, Role, UploadedMedia};
use annoqa_server::Backend;
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

    async fn media_streams_with_ranges_and_validators(s) {
        let root = s.dir.path().join("media").join(DEMO);
        std::fs::create_dir_all(&root).unwrap();
        // ASCII after the WAV magic, so the test's text bodies compare byte for byte.
        let content: Vec<u8> = b"RIFF\x24\x00\x00\x00WAVE".iter().copied().chain((0..5000).map(|i| b'a' + (i % 26) as u8)).collect();
        std::fs::write(root.join("long.wav"), &content).unwrap();
        let text = |range: std::ops::Range<usize>| String::from_utf8_lossy(&content[range]).into_owned();
        let ana = s.annotator("ana").await;
        let uri = api::media_path(DEMO, "long.wav");
        let header = |answer: &Answer, name: &str| answer.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        let whole = ana.get(&uri).await;
        whole.expect(StatusCode::OK);
        assert_eq!(header(&whole, "content-length"), Some(content.len().to_string()));
        assert_eq!(header(&whole, "accept-ranges").as_deref(), Some("bytes"));
        assert_eq!(header(&whole, "content-type").as_deref(), Some("audio/wav"));
        assert_eq!(whole.body, text(0..content.len()));
        let etag = header(&whole, "etag").expect("an ETag");
        let modified = header(&whole, "last-modified").expect("a Last-Modified");
        let last = content.len() - 1;
        // One range: 206 with exactly those bytes, open-ended and suffix forms included.
        for (range, from, to) in [("bytes=100-199", 100, 199), ("bytes=4990-", 4990, last), ("bytes=-7", last - 6, last), ("bytes=10-999999", 10, last)] {
            let part = ana.request("GET", &uri, &[("range", range)], None).await;
            part.expect(StatusCode::PARTIAL_CONTENT);
            assert_eq!(header(&part, "content-range"), Some(format!("bytes {from}-{to}/{}", content.len())), "{range}");
            assert_eq!(header(&part, "content-length"), Some((to - from + 1).to_string()), "{range}");
            assert_eq!(part.body, text(from..to + 1), "{range}");
        }
        let past = ana.request("GET", &uri, &[("range", "bytes=999999-")], None).await;
        past.expect(StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(header(&past, "content-range"), Some(format!("bytes */{}", content.len())));
        // Several ranges, or one this does not read: the whole file.
        for range in ["bytes=0-1,5-6", "bytes=abc", "items=0-1", "bytes=9-3"] {
            let answer = ana.request("GET", &uri, &[("range", range)], None).await;
            answer.expect(StatusCode::OK);
            assert_eq!(answer.body.len(), content.len(), "{range}");
        }
        // Validators: the same version is not sent again; a range for another version is not
        // applied to this one.
        let cached = ana.request("GET", &uri, &[("if-none-match", &etag)], None).await;
        cached.expect(StatusCode::NOT_MODIFIED);
        assert!(cached.body.is_empty());
        ana.request("GET", &uri, &[("if-modified-since", &modified)], None).await.expect(StatusCode::NOT_MODIFIED);
        ana.request("GET", &uri, &[("if-none-match", "\"other\"")], None).await.expect(StatusCode::OK);
        let stale = ana.request("GET", &uri, &[("range", "bytes=0-9"), ("if-range", "\"old\"")], None).await;
        stale.expect(StatusCode::OK);
        let fresh = ana.request("GET", &uri, &[("range", "bytes=0-9"), ("if-range", &etag)], None).await;
        fresh.expect(StatusCode::PARTIAL_CONTENT);
        // A changed file is a new version.
        std::fs::write(root.join("long.wav"), &content[..100]).unwrap();
        let changed = ana.request("GET", &uri, &[("if-none-match", &etag)], None).await;
        changed.expect(StatusCode::OK);
        assert_eq!(changed.body, text(0..100));
        // Access checks as before: a non-member gets nothing, ranges or not.
        let outsider = s.user("eve", Role::Annotator, None, &[]).await;
        outsider.request("GET", &uri, &[("range", "bytes=0-9")], None).await.expect(StatusCode::NOT_FOUND);
    }

    async fn large_images_are_served_as_tile_pyramids(s) {
        let root = s.dir.path().join("media").join(DEMO);
        std::fs::create_dir_all(root.join("scans")).unwrap();
        std::fs::write(root.join("scans/wide.png"), annoqa_media::synthetic::png_rgb(600, 300).unwrap()).unwrap();
        std::fs::write(root.join("scans/bomb.png"), annoqa_media::synthetic::png_header_only(200_000, 200_000)).unwrap();
        std::fs::write(root.join("scans/notes.png"), b"not an image at all").unwrap();
        let ana = s.annotator("ana").await;
        // Two first requests at once: one makes the pyramid, the other waits and reads it.
        let pyramid_uri = api::pyramid_path(DEMO, "scans/wide.png");
        let (first, second) = tokio::join!(ana.get(&pyramid_uri), ana.get(&pyramid_uri));
        first.expect(StatusCode::OK);
        second.expect(StatusCode::OK);
        assert_eq!(first.body, second.body);
        let pyramid: api::PyramidView = first.json();
        assert_eq!((pyramid.width, pyramid.height, pyramid.tile_size), (600, 300, 256));
        let levels: Vec<(u32, u32, u32, u32)> =
            pyramid.levels.iter().map(|l| (l.width, l.height, l.columns, l.rows)).collect();
        assert_eq!(levels, [(600, 300, 3, 2), (300, 150, 2, 1), (150, 75, 1, 1)]);
        // The second request finds the pyramid made by the first.
        let again: api::PyramidView = ana.get(&api::pyramid_path(DEMO, "scans/wide.png")).await.json();
        assert_eq!(again, pyramid);
        let tile = |level: u32, column: u32, row: u32| api::tile_path(DEMO, &pyramid.version, level, column, row, "scans/wide.png");
        // The bottom-right tile of level 0 is what is left of the image: 600 − 512 by 300 − 256.
        let corner = ana.get(&tile(0, 2, 1)).await;
        corner.expect(StatusCode::OK);
        assert_eq!(corner.headers.get("content-type").unwrap(), "image/png");
        assert!(corner.headers.get("cache-control").unwrap().to_str().unwrap().contains("immutable"));
        let top = ana.get(&tile(2, 0, 0)).await;
        top.expect(StatusCode::OK);
        let kept = std::fs::read_dir(s.dir.path().join("media/.tiles").join(DEMO)).unwrap().next().unwrap().unwrap().path();
        let png_size = |path: PathBuf| {
            let bytes = std::fs::read(path).unwrap();
            let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
            (be(16), be(20))
        };
        assert_eq!(png_size(kept.join("0/2_1.png")), (600 - 512, 300 - 256));
        assert_eq!(png_size(kept.join("0/0_0.png")), (256, 256));
        assert_eq!(png_size(kept.join("2/0_0.png")), (150, 75));
        for missing in [tile(0, 3, 0), tile(0, 0, 2), tile(3, 0, 0)] {
            ana.get(&missing).await.expect(StatusCode::NOT_FOUND);
        }
        ana.get(&api::tile_path(DEMO, "0-0", 0, 0, 0, "scans/wide.png")).await.expect(StatusCode::NOT_FOUND);
        // A changed file is a new version: the old tile paths are gone, new ones work.
        std::fs::write(root.join("scans/wide.png"), annoqa_media::synthetic::png_rgb(100, 80).unwrap()).unwrap();
        let changed: api::PyramidView = ana.get(&api::pyramid_path(DEMO, "scans/wide.png")).await.json();
        assert_ne!(changed.version, pyramid.version);
        assert_eq!((changed.width, changed.height, changed.levels.len()), (100, 80, 1));
        ana.get(&tile(0, 0, 0)).await.expect(StatusCode::NOT_FOUND);
        let kept: Vec<_> = std::fs::read_dir(s.dir.path().join("media/.tiles").join(DEMO)).unwrap().collect();
        assert_eq!(kept.len(), 1, "only the current version's pyramid is kept");
        // A tile asked for before its pyramid (here: after the kept folder was removed) is made.
        std::fs::remove_dir_all(s.dir.path().join("media/.tiles").join(DEMO)).unwrap();
        let first = api::tile_path(DEMO, &changed.version, 0, 0, 0, "scans/wide.png");
        ana.get(&first).await.expect(StatusCode::OK);
        // What is no image, or a decompression bomb, is refused with the reason.
        for (file, reason) in [("scans/bomb.png", "exceeds the limit"), ("scans/notes.png", "not a PNG")] {
            let refused = ana.get(&api::pyramid_path(DEMO, file)).await;
            refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
            assert!(refused.body.contains("invalid_media") && refused.body.contains(reason), "{file}: {}", refused.body);
        }
        // Access and paths as for the media itself.
        ana.get(&api::pyramid_path(DEMO, "../outside.png")).await.expect(StatusCode::NOT_FOUND);
        let outsider = s.user("eve", Role::Annotator, None, &[]).await;
        outsider.get(&api::pyramid_path(DEMO, "scans/wide.png")).await.expect(StatusCode::NOT_FOUND);
    }

    async fn uploads_are_sniffed_stored_under_a_random_name_and_served_typed(s) {
        let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO]).await;
        let wav = annoqa_media::synthetic::wav_i16_mono(1, 8000);
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

/// Requests with odd paths (NUL, `..`, backslashes, broken or non-UTF-8 escapes, a path through a
/// file, overlong names) with every method, to `/static`, the media API and the app's files:
/// each answer is a 4xx, never a 5xx.
async fn odd_paths_and_methods_are_answered_4xx(backend: Backend) {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), "<!doctype html><title>annoqa</title>").unwrap();
    std::fs::write(dist.path().join("app.js"), "// the app").unwrap();
    let dist_dir = dist.path().to_path_buf();
    let s = Server::start_with(backend, move |settings| settings.dist = dist_dir).await;
    let ana = s.annotator("ana").await;
    let anonymous = s.anonymous();
    let long_name = format!("{}.png", "a".repeat(300));
    let long_path = format!("{}/x.png", ["abcdefgh"; 600].join("/"));
    let odd = [
        "x%00.png",
        "%00",
        "x.png%00.md",
        "..%2f..%2fetc%2fpasswd",
        "%2e%2e/%2e%2e/x.png",
        "demo/%2e%2e/%2e%2e/x.png",
        "..%5c..%5cx.png",
        "demo%5cnews-entities%5cguidelines.md",
        "%ff%fe.png",
        "%c0%ae%c0%ae/x.png",
        "%zz.png",
        "x%2.png",
        "demo/news-entities/guidelines.md/x.png",
        "app.js/x.png",
        &long_name,
        &long_path,
    ];
    let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"];
    let media = format!("/api/projects/{DEMO}/media/");
    for prefix in ["/static/", media.as_str(), "/"] {
        for path in odd {
            // A path through a file is no odd path for the app: a page it does not have, which
            // it may answer with itself; it must still never fail.
            let through_a_file = path.contains(".md/") || path.contains(".js/");
            let app_page = prefix == "/" && through_a_file;
            let uri = format!("{prefix}{path}");
            for method in methods {
                for client in [&ana, &anonymous] {
                    let answer = client.request(method, &uri, &[], None).await;
                    let fine =
                        if app_page { !answer.status.is_server_error() } else { answer.status.is_client_error() };
                    assert!(fine, "{method} {uri}: {} {}", answer.status, answer.body);
                }
            }
        }
    }
    // Plain paths still work: a static file, the app's files and its fallback page.
    ana.request("HEAD", "/static/demo/news-entities/guidelines.md", &[], None).await.expect(StatusCode::OK);
    ana.get("/app.js").await.expect(StatusCode::OK);
    assert!(ana.get("/projects/news-entities").await.expect(StatusCode::OK).body.contains("<title>annoqa"));
    s.finish().await;
}

/// Media uploads count against the project's quota (413 `media_quota_exceeded`, nothing kept);
/// another project's quota is its own.
async fn uploads_stay_within_the_project_quota(backend: Backend) {
    let png = annoqa_media::synthetic::png_rgb(8, 8).unwrap();
    let quota = 2 * png.len() as u64 + png.len() as u64 / 2;
    let s = Server::start_with(backend, move |settings| settings.media_quota_bytes = quota).await;
    let other = "test-card-boxes";
    let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO, other]).await;
    let upload = |project: &'static str, bytes: Vec<u8>, headers: Vec<(&'static str, String)>| {
        let coordinator = coordinator.clone();
        async move {
            let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            coordinator.request("POST", &api::media_upload_path(project), &headers, Some(bytes)).await
        }
    };
    upload(DEMO, png.clone(), vec![]).await.expect(StatusCode::CREATED);
    upload(DEMO, png.clone(), vec![]).await.expect(StatusCode::CREATED);
    let over = upload(DEMO, png.clone(), vec![]).await;
    over.refused(api::ApiErrorCode::MediaQuotaExceeded);
    // Announced too large: refused before the body is read.
    let announced = upload(DEMO, png.clone(), vec![("content-length", (quota + 1).to_string())]).await;
    announced.refused(api::ApiErrorCode::MediaQuotaExceeded);
    assert_eq!(files_under(&s.dir.path().join("media").join(DEMO)).len(), 2, "only the two accepted uploads");
    assert!(files_under(&s.dir.path().join("media/.incoming")).is_empty(), "nothing half-received is left");
    upload(other, png.clone(), vec![]).await.expect(StatusCode::CREATED);
    s.finish().await;
}

/// The app's files go out precompressed when the build left a `.gz` beside them (`cargo xtask
/// dist` does) and the browser accepts gzip; as they are otherwise, and the index page too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_files_are_sent_precompressed_to_browsers_that_accept_gzip() {
    let dist = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| std::fs::write(dist.path().join(name), body).unwrap();
    write("index.html", "<!doctype html><title>annoqa</title>");
    write("index.html.gz", "the index, compressed");
    write("app.wasm", "the module");
    write("app.wasm.gz", "the module, compressed");
    let dist_dir = dist.path().to_path_buf();
    let s = Server::start_with(Backend::Sqlite, move |settings| settings.dist = dist_dir).await;
    let browser = s.anonymous();
    let gzip = [("accept-encoding", "gzip, deflate, br")];
    for (path, plain, compressed) in [
        ("/app.wasm", "the module", "the module, compressed"),
        ("/", "<!doctype html><title>annoqa</title>", "the index, compressed"),
    ] {
        let sent = browser.request("GET", path, &gzip, None).await;
        sent.expect(StatusCode::OK);
        assert_eq!(sent.body, compressed, "{path}");
        assert_eq!(sent.headers.get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"), "{path}");
        let plain_answer = browser.request("GET", path, &[], None).await;
        assert_eq!(plain_answer.body, plain, "{path} without accept-encoding");
        assert!(plain_answer.headers.get("content-encoding").is_none(), "{path}");
    }
    let wasm = browser.request("GET", "/app.wasm", &gzip, None).await;
    assert_eq!(wasm.headers.get("content-type").map(|v| v.to_str().unwrap()), Some("application/wasm"));
    s.finish().await;
}

mod quota_and_paths {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn odd_paths_sqlite() {
        odd_paths_and_methods_are_answered_4xx(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn odd_paths_postgres() {
        odd_paths_and_methods_are_answered_4xx(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn upload_quota_sqlite() {
        uploads_stay_within_the_project_quota(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn upload_quota_postgres() {
        uploads_stay_within_the_project_quota(Backend::Postgres).await;
    }
}

both_backends! {
    async fn uploads_a_probe_refuses_are_answered_422_and_deleted(s) {
        let coordinator = s.user("coord", Role::Coordinator, None, &[DEMO]).await;
        let upload = |bytes: Vec<u8>| {
            let coordinator = coordinator.clone();
            async move { coordinator.request("POST", &api::media_upload_path(DEMO), &[], Some(bytes)).await }
        };
        // 60,000 × 60,000 pixels: 3.6 gigapixels, past the decompression-bomb guard.
        let bomb = upload(annoqa_media::synthetic::png_header_only(60_000, 60_000)).await;
        bomb.refused(api::ApiErrorCode::InvalidMedia);
        assert!(bomb.error().contains("exceeds the limit"), "{}", bomb.body);
        // A WAV whose data chunk claims 4 GB of the few bytes it has.
        let mut wav = annoqa_media::synthetic::wav_i16_mono(1, 8000);
        let data = wav.windows(4).position(|w| w == b"data").unwrap();
        wav[data + 4..data + 8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        wav[4..8].copy_from_slice(&0xFFFF_FFF8u32.to_le_bytes());
        let answer = upload(wav).await;
        answer.refused(api::ApiErrorCode::InvalidMedia);
        upload(b"<svg onload=alert(1)>".to_vec()).await.refused(api::ApiErrorCode::UnsupportedMediaType);
        assert!(files_under(&s.dir.path().join("media")).is_empty(), "a refused upload leaves no file");
        // The quota counted none of them.
        let counted: i64 = sqlx::query_scalar("SELECT media_bytes FROM projects WHERE id = $1")
            .bind(DEMO)
            .fetch_one(s.store.pool())
            .await
            .unwrap();
        assert_eq!(counted, 0);
    }

    async fn answers_never_show_server_paths(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let spec = serde_json::json!({"media": "image", "controls": [{"name": "objects", "type": "b_box", "labels": [{"value": "cat"}]}]});
        admin.post(api::PROJECTS, &serde_json::json!({"id": "pics", "title": "Pics", "spec": spec})).await.expect(StatusCode::CREATED);
        let root = s.dir.path().join("media/pics/img");
        std::fs::create_dir_all(root.join("folder.png")).unwrap();
        std::fs::write(root.join("broken.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
        std::fs::write(root.join("bomb.png"), annoqa_media::synthetic::png_header_only(60_000, 60_000)).unwrap();
        let import = |body: &'static str| {
            let admin = admin.clone();
            async move {
                admin.request("POST", &api::items_path("pics"), &[("content-type", "application/x-ndjson")], Some(body.as_bytes().to_vec())).await
            }
        };
        let answers = vec![
            import(r#"{"id": "a", "data": {"image": "img/broken.png"}}"#).await,
            import(r#"{"id": "b", "data": {"image": "img/bomb.png"}}"#).await,
            import(r#"{"id": "c", "media": {"type": "image", "src": "img/broken.png", "width": 1, "height": 1}}"#).await,
            import(r#"{"id": "d", "data": {"image": "img/folder.png"}}"#).await,
            admin.request("POST", &api::media_upload_path("pics"), &[], Some(annoqa_media::synthetic::png_header_only(60_000, 60_000))).await,
            admin.request("POST", &api::media_upload_path("pics"), &[], Some(b"nothing known".to_vec())).await,
            admin.get(&api::media_path("pics", "img/missing.png")).await,
            admin.get(&api::media_path("pics", "img/folder.png")).await,
            admin.get(&api::media_path("pics", "../../secret")).await,
            admin.get("/static/demo/missing.png").await,
            admin.get("/static/demo/news-entities/items.jsonl").await,
            // The app is not built in this test server: the page says so without naming the folder.
            admin.get("/").await,
        ];
        let server_paths = [
            s.dir.path().to_path_buf(),
            s.dir.path().canonicalize().unwrap(),
            repo_root().canonicalize().unwrap(),
        ];
        for answer in &answers {
            assert!(answer.status.is_client_error() || answer.status == StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
            for path in &server_paths {
                let path = path.display().to_string();
                assert!(!answer.body.contains(&path), "{} shows {path}: {}", answer.status, answer.body);
            }
        }
        assert!(answers[0].error().contains("media `img/broken.png` cannot be read"), "{}", answers[0].body);
    }
}

/// Every file under `dir` (none when it does not exist).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}
