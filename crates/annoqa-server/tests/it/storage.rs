//! The storage layer itself: schema, pragmas, ids, both backends.

use annoqa_api::{self as api, ProjectSummary, ProjectView, Role};
use annoqa_server::{load_demo_projects, Backend, Store};
use axum::http::StatusCode;

use crate::both_backends;
use crate::support::*;

both_backends! {
    async fn demo_project_is_stored_with_its_guidelines_and_spec(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let projects: Vec<ProjectSummary> = admin.get(api::PROJECTS).await.json();
        let demo = projects.iter().find(|p| p.id == DEMO).unwrap();
        assert_eq!(demo.items, 40);
        let all_demo_items: i64 = std::fs::read_dir(repo_root().join("static/demo"))
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path().join("items.jsonl")).ok())
            .map(|text| text.lines().filter(|l| !l.trim().is_empty()).count() as i64)
            .sum();
        let view: ProjectView = admin.get(&api::project_path(DEMO)).await.json();
        assert!(view.guidelines.contains("{#person}"));
        assert_eq!(view.spec.controls.len(), 2);
        assert_eq!(s.count("items").await, all_demo_items);
        // The demo image, audio and video were probed on import and their metadata stored.
        let probed: Vec<(String, String)> = sqlx::query_as(
            "SELECT project_id, media_info FROM items WHERE media_info IS NOT NULL ORDER BY project_id",
        )
        .fetch_all(s.store.pool())
        .await
        .unwrap();
        let kinds: Vec<(String, String)> = probed
            .iter()
            .map(|(project, info)| {
                let info: serde_json::Value = serde_json::from_str(info).unwrap();
                (project.clone(), info["kind"].as_str().unwrap().to_string())
            })
            .collect();
        for (project, kind) in [("meeting-speech", "audio"), ("test-card-boxes", "image"), ("test-pattern-video", "video")] {
            assert!(kinds.contains(&(project.to_string(), kind.to_string())), "{project}: {kinds:?}");
        }
    }

    async fn numbered_placeholders_bind_by_number_on_both_backends(s) {
        // `$2` used before `$1`, and `$1` twice: SQLite must bind by number, not by position.
        let row: (String, i64, String) = sqlx::query_as("SELECT $2, $1, $2")
            .bind(7_i64)
            .bind("b")
            .fetch_one(s.store.pool())
            .await
            .unwrap();
        assert_eq!(row, ("b".to_string(), 7, "b".to_string()));
    }

    async fn a_bad_project_folder_is_refused_whole(s) {
        let folder = s.dir.path().join("demo/broken");
        std::fs::create_dir_all(&folder).unwrap();
        let source = repo_root().join("static/demo/news-entities");
        std::fs::copy(source.join("guidelines.md"), folder.join("guidelines.md")).unwrap();
        let project = std::fs::read_to_string(source.join("project.json")).unwrap().replace(DEMO, "broken");
        std::fs::write(folder.join("project.json"), project).unwrap();
        let mut lines: Vec<String> =
            std::fs::read_to_string(source.join("items.jsonl")).unwrap().lines().map(String::from).collect();
        // Break the gold of the first item: a span that ends past the end of the text.
        let mut first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        first["gold"]["answer"][0]["end"] = serde_json::json!(9999);
        lines[0] = first.to_string();
        std::fs::write(folder.join("items.jsonl"), lines.join("\n")).unwrap();
        let before = s.store.project_count().await.unwrap();
        let error = load_demo_projects(&s.store, &s.dir.path().join("demo"), 0).await.unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("items.jsonl:1: the gold answer itself is invalid"), "{message}");
        assert_eq!(s.store.project_count().await.unwrap(), before);
    }

    async fn a_spec_with_an_invalid_pattern_is_refused_by_import_and_demo_loader_alike(s) {
        // The same words as `annoqa validate` (annoqa-cli's tests): one spec check in core.
        const MESSAGE: &str =
            "invalid spec: rules[0].pattern: transcript rule: `[a-z` is not a valid regular expression";
        let spec = serde_json::json!({
            "media": "audio",
            "controls": [{"name": "speech", "type": "audio_segments", "transcript": true, "labels": [{"value": "speech"}]}],
            "rules": [{"rule": "transcript", "control": "speech", "pattern": "[a-z"}]
        });
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let before = s.store.project_count().await.unwrap();
        let answer = admin.post(api::PROJECTS, &serde_json::json!({"id": "talk", "title": "Talk", "spec": spec})).await;
        answer.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer.error().contains(MESSAGE), "{}", answer.body);

        let folder = s.dir.path().join("patterns/talk");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("guidelines.md"), "# Talk\n").unwrap();
        std::fs::write(folder.join("items.jsonl"), "").unwrap();
        let project = serde_json::json!({"id": "talk", "title": "Talk", "spec": spec});
        std::fs::write(folder.join("project.json"), project.to_string()).unwrap();
        let error = load_demo_projects(&s.store, &s.dir.path().join("patterns"), 0).await.unwrap_err();
        assert!(format!("{error:#}").contains(MESSAGE), "{error:#}");
        assert_eq!(s.store.project_count().await.unwrap(), before);
    }

    async fn password_hashes_are_argon2id_and_tokens_are_stored_hashed(s) {
        let ana = s.annotator("ana").await;
        let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'ana'")
            .fetch_one(s.store.pool())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        let Auth::Cookie { token, .. } = &ana.auth else { panic!("cookie login") };
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT token_hash FROM sessions").fetch_all(s.store.pool()).await.unwrap();
        assert_eq!(stored, [annoqa_server::token_hash(token)]);
        assert!(!stored[0].contains(token.as_str()));
    }
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_full_sync_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nested/dir/db.sqlite3")).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    let mut conn = store.pool().acquire().await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *conn).await.unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *conn).await.unwrap();
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *conn).await.unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
    // Foreign keys are enforced: an item of a project that does not exist is refused.
    let orphan =
        sqlx::query("INSERT INTO items (project_id, id, position, item, is_gold) VALUES ('nope', 'x', 0, '{}', FALSE)")
            .execute(&mut *conn)
            .await;
    assert!(orphan.is_err());
}

#[tokio::test]
async fn a_database_url_that_is_neither_sqlite_nor_postgres_is_refused() {
    let error = Store::connect("mysql://localhost/x").await.unwrap_err();
    assert!(error.to_string().contains("neither a sqlite:// nor a postgres://"), "{error}");
    let error = Store::connect("sqlite::memory:").await.unwrap_err();
    assert!(error.to_string().contains("must be a file"), "{error}");
}

#[tokio::test]
async fn the_app_shell_explains_itself_when_not_built_and_static_files_are_served() {
    let s = Server::start(Backend::Sqlite).await;
    let anonymous = s.anonymous();
    let answer = anonymous.get("/").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.body.contains("cargo xtask run"));
    let answer = anonymous.get("/static/demo/news-entities/guidelines.md").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.contains("{#entities}"));
    assert_ne!(anonymous.get("/static/../Cargo.toml").await.status, StatusCode::OK, "no traversal out of static/");
    s.finish().await;
}

#[tokio::test]
async fn static_files_never_include_the_demo_gold() {
    let s = Server::start(Backend::Sqlite).await;
    for path in ["/static/demo/news-entities/items.jsonl", "/static/demo/news-entities/project.json"] {
        let answer = s.anonymous().get(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}: {}", answer.body);
    }
    s.finish().await;
}

/// A database with only the first `count` migrations applied: its URL, the pool (closed by the
/// caller before `Store::connect` upgrades it), and what keeps it alive.
pub(crate) async fn old_database(
    backend: Backend,
    count: usize,
) -> (String, sqlx::AnyPool, Option<PgDatabase>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = match backend {
        Backend::Sqlite => (annoqa_server::sqlite_url(&dir.path().join("old.sqlite3")) + "?mode=rwc", None),
        Backend::Postgres => {
            let (db, url) = PgDatabase::create().await;
            (url, Some(db))
        }
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let mut old = sqlx::migrate!("./migrations");
    old.migrations = std::borrow::Cow::Owned(old.migrations[..count].to_vec());
    old.run(&pool).await.unwrap();
    (url, pool, pg, dir)
}

/// A database made by the first migration alone (a release before `is_full` and
/// `login_failures`), with a finished and an open item, upgrades on `Store::connect` without
/// losing a row, and its finished item is marked full.
async fn upgrade_from_the_first_migration(backend: Backend) {
    let (url, pool, pg, _dir) = old_database(backend, 1).await;
    let item = |id: &str| {
        let mut source = demo_items().into_iter().next().unwrap().item;
        source.id = id.to_string();
        serde_json::to_string(&source).unwrap()
    };
    for statement in [
        "INSERT INTO users (id, username, password_hash, role, created_at_ms) VALUES (1, 'ana', 'x', 'annotator', 0), (2, 'bob', 'x', 'annotator', 0)",
        "INSERT INTO projects (id, title, guidelines, spec, overlap, lease_ms, gold_onboarding, gold_rate, created_at_ms)
         VALUES ('p', 'P', '', '{}', 1, 60000, 0, 0.0, 0)",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    for (position, id) in ["done", "open"].into_iter().enumerate() {
        sqlx::query("INSERT INTO items (project_id, id, position, item, is_gold) VALUES ('p', $1, $2, $3, FALSE)")
            .bind(id)
            .bind(position as i64)
            .bind(item(id))
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO assignments (project_id, item_id, user_id, seq, state, leased_at_ms, expires_at_ms)
         VALUES ('p', 'done', 1, 0, 'submitted', 0, 60000)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = Store::connect(&url).await.unwrap();
    let full: Vec<(String, i64)> =
        sqlx::query_as("SELECT id, CAST(CASE WHEN is_full THEN 1 ELSE 0 END AS BIGINT) FROM items ORDER BY position")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(full, [("done".to_string(), 1), ("open".to_string(), 0)]);
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assignments").fetch_one(store.pool()).await.unwrap();
    assert_eq!(kept, 1);
    // Overlap 1: bob is given the open item, not the finished one.
    let policy = api::AssignmentPolicy {
        overlap: 1,
        lease_ms: 60_000,
        gold_onboarding: 0,
        gold_rate: 0.0,
        ..Default::default()
    };
    let (lease, _) = store.next_item("p", 2, &policy, 1_000).await.unwrap();
    assert_eq!(lease.unwrap().item.item.id, "open");
    store.close().await;
    if let Some(pg) = pg {
        pg.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrades_from_the_first_migration() {
    upgrade_from_the_first_migration(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_upgrades_from_the_first_migration() {
    upgrade_from_the_first_migration(Backend::Postgres).await;
}

/// Before reviews were guarded, reviews racing each other could all be stored. Upgrading keeps
/// one per submission — the one whose verdict the submission's status shows, not merely the
/// latest — and from then on the database refuses a second.
async fn duplicate_reviews_are_reduced_to_the_one_in_effect(backend: Backend) {
    let (url, pool, pg, _dir) = old_database(backend, 3).await;
    let item = serde_json::to_string(&demo_items().into_iter().next().unwrap().item).unwrap();
    for statement in [
        "INSERT INTO users (id, username, password_hash, role, created_at_ms) VALUES (1, 'ana', 'x', 'annotator', 0), (2, 'rev', 'x', 'reviewer', 0)",
        "INSERT INTO projects (id, title, guidelines, spec, overlap, lease_ms, gold_onboarding, gold_rate, created_at_ms)
         VALUES ('p', 'P', '', '{}', 1, 60000, 0, 0.0, 0)",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    for (position, id) in ["a", "b"].into_iter().enumerate() {
        sqlx::query("INSERT INTO items (project_id, id, position, item, is_gold) VALUES ('p', $1, $2, $3, FALSE)")
            .bind(id)
            .bind(position as i64)
            .bind(&item)
            .execute(&pool)
            .await
            .unwrap();
    }
    // Submission 10 was rejected by the race's last writer; submission 20 was reviewed once.
    for (id, item, status) in [(10, "a", "rejected"), (20, "b", "accepted")] {
        sqlx::query(
            "INSERT INTO submissions (id, project_id, item_id, user_id, regions, lead_time_ms, created_at_ms, status)
             VALUES ($1, 'p', $2, 1, '[]', 0, 0, $3)",
        )
        .bind(id as i64)
        .bind(item)
        .bind(status)
        .execute(&pool)
        .await
        .unwrap();
    }
    let insert_review =
        "INSERT INTO reviews (id, project_id, submission_id, reviewer_id, verdict, error_codes, comment, created_at_ms)
                         VALUES ($1, 'p', $2, 2, $3, '[]', '', $4)";
    for (id, submission, verdict, at) in
        [(1, 10, "accept", 1), (2, 10, "reject", 2), (3, 10, "accept", 3), (4, 20, "accept", 1)]
    {
        sqlx::query(insert_review)
            .bind(id as i64)
            .bind(submission as i64)
            .bind(verdict)
            .bind(at as i64)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    let store = Store::connect(&url).await.unwrap();
    let kept: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, submission_id FROM reviews ORDER BY id").fetch_all(store.pool()).await.unwrap();
    assert_eq!(kept, [(2, 10), (4, 20)], "one review per submission, the rejection that took effect");
    let second =
        sqlx::query(insert_review).bind(5_i64).bind(20_i64).bind("reject").bind(9_i64).execute(store.pool()).await;
    assert!(second.is_err(), "the database refuses a second review of a submission");
    store.close().await;
    if let Some(pg) = pg {
        pg.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_one_review_per_submission_on_upgrade() {
    duplicate_reviews_are_reduced_to_the_one_in_effect(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_one_review_per_submission_on_upgrade() {
    duplicate_reviews_are_reduced_to_the_one_in_effect(Backend::Postgres).await;
}
