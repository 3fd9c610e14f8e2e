//! Login, sessions, API tokens, CSRF, rate limiting, users.

use annoqa_api::{self as api, CreatedToken, CreatedUser, LoginRequest, NewUser, Role, SessionView, UserView};
use axum::http::StatusCode;

use crate::both_backends;
use crate::support::*;

both_backends! {
    async fn login_sets_a_strict_http_only_cookie_and_logout_ends_the_session(s) {
        s.user("ana", Role::Annotator, Some("acme"), &[DEMO]).await;
        let answer = s.anonymous().post(api::SESSION, &LoginRequest { username: "ana".into(), password: PASSWORD.into() }).await;
        answer.expect(StatusCode::OK);
        let cookie = answer.headers.get("set-cookie").unwrap().to_str().unwrap();
        assert!(cookie.starts_with("annoqa_session="), "{cookie}");
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
        }
        assert!(!cookie.contains("Secure"), "plain HTTP: no Secure flag");
        let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
        // 256 random bits, base64url without padding.
        assert_eq!(token.len(), 43);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let session: SessionView = answer.json();
        assert_eq!((session.user.username.as_str(), session.user.role, session.user.vendor.as_deref()), ("ana", Role::Annotator, Some("acme")));
        assert!(!answer.body.contains("argon2"), "no hash in the body: {}", answer.body);

        let ana = Client { server: &s, auth: Auth::Cookie { token: token.into(), csrf: true }, user: Some(session.user) };
        let me: SessionView = ana.get(api::SESSION).await.json();
        assert_eq!(me.user.username, "ana");
        ana.request("DELETE", api::SESSION, &[], None).await.expect(StatusCode::NO_CONTENT);
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = $1")
            .bind(annoqa_server::token_hash(token))
            .fetch_one(s.store.pool())
            .await
            .unwrap();
        assert_eq!(left, 0, "the session row is deleted");
        ana.get(api::SESSION).await.expect(StatusCode::UNAUTHORIZED);
        ana.get(api::PROJECTS).await.expect(StatusCode::UNAUTHORIZED);
    }

    async fn cookies_are_secure_behind_tls(s) {
        s.user("ana", Role::Annotator, None, &[]).await;
        let body = serde_json::to_vec(&LoginRequest { username: "ana".into(), password: PASSWORD.into() }).unwrap();
        let answer = s
            .anonymous()
            .request("POST", api::SESSION, &[("content-type", "application/json"), ("x-forwarded-proto", "https")], Some(body))
            .await;
        answer.expect(StatusCode::OK);
        assert!(answer.headers.get("set-cookie").unwrap().to_str().unwrap().contains("; Secure"));
    }

    async fn wrong_password_and_unknown_user_get_the_same_401(s) {
        s.annotator("ana").await;
        let wrong = s.anonymous().post(api::SESSION, &LoginRequest { username: "ana".into(), password: "nope".into() }).await;
        let unknown = s.anonymous().post(api::SESSION, &LoginRequest { username: "nobody".into(), password: "nope".into() }).await;
        wrong.refused(api::ApiErrorCode::InvalidCredentials);
        unknown.refused(api::ApiErrorCode::InvalidCredentials);
        assert_eq!(wrong.body, unknown.body);
        assert!(wrong.headers.get("set-cookie").is_none());
    }

    async fn repeated_failed_logins_are_rate_limited_per_user_and_address(s) {
        s.annotator("ana").await;
        let attempt = |password: &'static str| {
            let client = s.anonymous();
            async move { client.post(api::SESSION, &LoginRequest { username: "ana".into(), password: password.into() }).await }
        };
        for _ in 0..5 {
            attempt("wrong").await.refused(api::ApiErrorCode::InvalidCredentials);
        }
        // Even the right password is refused while limited.
        attempt(PASSWORD).await.refused(api::ApiErrorCode::RateLimited);
        s.advance(61_000);
        attempt(PASSWORD).await.expect(StatusCode::OK);
    }

    async fn the_login_limit_is_per_user_and_address_and_shared_by_replicas(s) {
        // Two limiters on one database stand for two `annoqa serve` replicas: the failures
        // counted are the database's, not a process's.
        let (replica_a, replica_b) = (annoqa_server::LoginLimiter::default(), annoqa_server::LoginLimiter::default());
        let store = &s.store;
        for t in 0..5 {
            let limiter = if t % 2 == 0 { &replica_a } else { &replica_b };
            assert!(limiter.allows(store, "Ana", "10.0.0.1", T0 + t).await.unwrap());
            limiter.record_failure(store, "Ana", "10.0.0.1", T0 + t).await.unwrap();
        }
        assert!(!replica_a.allows(store, "ana", "10.0.0.1", T0 + 10).await.unwrap(), "usernames compare case-insensitively");
        assert!(!replica_b.allows(store, "ANA", "10.0.0.1", T0 + 10).await.unwrap(), "every replica sees the failures");
        assert!(replica_a.allows(store, "ana", "10.0.0.2", T0 + 10).await.unwrap(), "per address");
        assert!(replica_a.allows(store, "bob", "10.0.0.1", T0 + 10).await.unwrap(), "per username");
        assert!(replica_a.allows(store, "ana", "10.0.0.1", T0 + 60_001).await.unwrap(), "the window slides");
        // The periodic purge drops failures older than the window.
        assert_eq!(s.count("login_failures").await, 5);
        store.purge_expired(T0 + 60_003, 0, T0 + 60_003 - 60_000).await.unwrap();
        assert_eq!(s.count("login_failures").await, 2);
        replica_b.clear(store, "ana", "10.0.0.1").await.unwrap();
        assert_eq!(s.count("login_failures").await, 0);
        assert!(replica_a.allows(store, "ana", "10.0.0.1", T0 + 11).await.unwrap());
    }

    async fn api_tokens_authenticate_scripts_without_csrf_header(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let ana = s.annotator("ana").await;
        let created: CreatedToken = admin.post(&api::user_tokens_path(ana.id()), &serde_json::json!({})).await.json();
        assert_eq!(s.count("api_tokens").await, 1);
        let stored: String = sqlx::query_scalar("SELECT token_hash FROM api_tokens").fetch_one(s.store.pool()).await.unwrap();
        assert_eq!(stored, annoqa_server::token_hash(&created.token));
        let script = Client { server: &s, auth: Auth::Bearer(created.token.clone()), user: ana.user.clone() };
        let me: SessionView = script.get(api::SESSION).await.json();
        assert_eq!(me.user.username, "ana");
        let item = script.next(DEMO).await.unwrap();
        script.submit(DEMO, &item, valid_answer(&item)).await.expect(StatusCode::OK);
        let forged = Client { server: &s, auth: Auth::Bearer("not-a-token".into()), user: None };
        forged.get(api::PROJECTS).await.expect(StatusCode::UNAUTHORIZED);
        // Only admins mint tokens.
        ana.post(&api::user_tokens_path(ana.id()), &serde_json::json!({})).await.expect(StatusCode::FORBIDDEN);
    }

    async fn cookie_writes_without_the_csrf_header_are_forbidden(s) {
        let ana = s.annotator("ana").await;
        let item = ana.next(DEMO).await.unwrap();
        let answer = ana.without_csrf().submit(DEMO, &item, valid_answer(&item)).await;
        answer.refused(api::ApiErrorCode::MissingCsrfHeader);
        assert!(answer.error().contains("X-Requested-With"), "{}", answer.body);
        ana.without_csrf().request("DELETE", api::SESSION, &[], None).await.refused(api::ApiErrorCode::MissingCsrfHeader);
        assert_eq!(s.count("submissions").await, 0);
        // GETs need no header.
        ana.without_csrf().get(api::PROJECTS).await.expect(StatusCode::OK);
    }

    async fn admins_create_users_and_no_user_json_carries_a_hash(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let created: CreatedUser = admin
            .post(api::USERS, &NewUser { username: "vera".into(), role: Role::Reviewer, vendor: Some("acme".into()), password: None })
            .await
            .json();
        let password = created.password.clone().expect("a generated password is returned once");
        assert!(password.len() >= 40);
        s.login("vera", &password).await;
        admin
            .post(api::USERS, &NewUser { username: "vera".into(), role: Role::Reviewer, vendor: None, password: None })
            .await
            .refused(api::ApiErrorCode::AlreadyExists);
        admin
            .post(api::USERS, &NewUser { username: "bad name".into(), role: Role::Reviewer, vendor: None, password: None })
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        admin
            .post(api::USERS, &NewUser { username: "short".into(), role: Role::Reviewer, vendor: None, password: Some("2short".into()) })
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        let list = admin.get(api::USERS).await;
        let users: Vec<UserView> = list.json();
        assert_eq!(users.len(), 2);
        for body in [&list.body, &admin.get(&api::user_path(created.user.id)).await.body, &admin.get(api::SESSION).await.body] {
            assert!(!body.contains("argon2") && !body.contains("hash"), "{body}");
        }
    }
}

#[tokio::test]
async fn the_first_start_creates_an_admin_with_a_one_time_password() {
    let s = Server::start(annoqa_server::Backend::Sqlite).await;
    let password = annoqa_server::ensure_admin(&s.state).await.unwrap().expect("empty database: admin created");
    assert_eq!(annoqa_server::ensure_admin(&s.state).await.unwrap(), None, "only once");
    let admin = s.login("admin", &password).await;
    assert_eq!(admin.user.as_ref().unwrap().role, Role::Admin);
    // The password is random, not a default from the source.
    let other = Server::start(annoqa_server::Backend::Sqlite).await;
    let second = annoqa_server::ensure_admin(&other.state).await.unwrap().unwrap();
    assert_ne!(password, second);
    other.finish().await;
    s.finish().await;
}
