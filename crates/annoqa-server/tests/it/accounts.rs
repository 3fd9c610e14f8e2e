//! Login, sessions, API tokens, CSRF, rate limits and bounded password hashing, users, the
//! password policy.

use std::net::SocketAddr;

use annoqa_api::{
    self as api, CreatedToken, CreatedUser, LoginRequest, NewUser, PasswordChange, Role, SessionView, TokenView,
    UserView,
};
use annoqa_server::{Backend, LoginLimiter, LoginLimits, PasswordCost, Store};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;

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

    async fn repeated_failed_logins_are_rate_limited(s) {
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
    let s = Server::start(Backend::Sqlite).await;
    let password = annoqa_server::ensure_admin(&s.state).await.unwrap().expect("empty database: admin created");
    assert_eq!(annoqa_server::ensure_admin(&s.state).await.unwrap(), None, "only once");
    let admin = s.login("admin", &password).await;
    assert_eq!(admin.user.as_ref().unwrap().role, Role::Admin);
    // The password is random, not a default from the source.
    let other = Server::start(Backend::Sqlite).await;
    let second = annoqa_server::ensure_admin(&other.state).await.unwrap().unwrap();
    assert_ne!(password, second);
    other.finish().await;
    s.finish().await;
}

/// A login sent from `from` (the socket address the limits count by), outside the harness's
/// clients, which all come from one unknown address.
async fn login_from(app: Router, from: [u8; 4], username: &str, password: &str) -> Answer {
    let body = serde_json::to_vec(&LoginRequest { username: username.into(), password: password.into() }).unwrap();
    let mut request = Request::builder()
        .method("POST")
        .uri(api::SESSION)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from((from, 40000))));
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

#[track_caller]
fn assert_retry_after(answer: &Answer) {
    let seconds: i64 = answer
        .headers
        .get("retry-after")
        .unwrap_or_else(|| panic!("no Retry-After: {answer:?}"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&seconds), "Retry-After: {seconds}");
}

both_backends! {
    async fn thirty_parallel_wrong_passwords_for_one_user_check_at_most_the_limit(s) {
        s.annotator("ana").await;
        let checked_before = s.state.passwords().verifications();
        let attempts: Vec<_> = (0..30)
            .map(|n| {
                let login = LoginRequest { username: "ana".into(), password: format!("wrong password {n}") };
                s.anonymous().spawn_json("POST", api::SESSION.into(), &login)
            })
            .collect();
        let mut answers = Vec::new();
        for attempt in attempts {
            answers.push(attempt.await.unwrap());
        }
        let checked = s.state.passwords().verifications() - checked_before;
        let limit = LoginLimits::default().per_account;
        assert_eq!(checked, limit as u64, "exactly the first {limit} of the parallel attempts are checked");
        let wrong = answers.iter().filter(|a| a.status == StatusCode::UNAUTHORIZED).count();
        assert_eq!(wrong as u64, checked, "every checked attempt answered 401");
        for limited in answers.iter().filter(|a| a.status != StatusCode::UNAUTHORIZED) {
            limited.refused(api::ApiErrorCode::RateLimited);
            assert_retry_after(limited);
        }
        // The failures stay counted; the refused attempts are not.
        assert_eq!(s.count("login_attempts").await, wrong as i64);
    }

    async fn the_per_address_limit_ignores_the_username(s) {
        s.annotator("ana").await;
        let limits = LoginLimits::default();
        for n in 0..limits.per_address {
            login_from(s.app.clone(), [10, 0, 0, 1], &format!("nobody-{n}"), "wrong password").await.expect(StatusCode::UNAUTHORIZED);
        }
        let limited = login_from(s.app.clone(), [10, 0, 0, 1], "yet-another-name", "wrong password").await;
        limited.refused(api::ApiErrorCode::RateLimited);
        assert_retry_after(&limited);
        let checked = s.state.passwords().verifications();
        login_from(s.app.clone(), [10, 0, 0, 1], "ana", PASSWORD).await.refused(api::ApiErrorCode::RateLimited);
        assert_eq!(s.state.passwords().verifications(), checked, "a limited attempt is not checked");
        // Another address is not limited, and the right password still works there.
        login_from(s.app.clone(), [10, 0, 0, 2], "ana", PASSWORD).await.expect(StatusCode::OK);
        s.advance(limits.window_ms + 1);
        login_from(s.app.clone(), [10, 0, 0, 1], "ana", PASSWORD).await.expect(StatusCode::OK);
    }

    async fn the_per_account_limit_counts_every_address(s) {
        s.annotator("ana").await;
        for n in 0..5 {
            login_from(s.app.clone(), [10, 0, 1, n], "ana", "wrong password").await.expect(StatusCode::UNAUTHORIZED);
        }
        // Case does not make another account.
        login_from(s.app.clone(), [10, 0, 1, 9], "ANA", PASSWORD).await.refused(api::ApiErrorCode::RateLimited);
        login_from(s.app.clone(), [10, 0, 1, 9], "ana", PASSWORD).await.refused(api::ApiErrorCode::RateLimited);
        s.advance(60_001);
        login_from(s.app.clone(), [10, 0, 1, 9], "ana", PASSWORD).await.expect(StatusCode::OK);
    }

    async fn the_login_limits_are_shared_by_replicas_through_the_database(s) {
        // Two limiters on one database stand for two `annoqa serve` replicas: the attempts
        // counted are the database's, not a process's.
        let (replica_a, replica_b) = (LoginLimiter::new(LoginLimits::default()), LoginLimiter::new(LoginLimits::default()));
        let store = &s.store;
        for t in 0..5 {
            let limiter = if t % 2 == 0 { &replica_a } else { &replica_b };
            let attempt = limiter.begin(store, "Ana", &format!("10.0.0.{t}"), T0 + t).await.unwrap();
            assert!(attempt.is_ok(), "attempt {t} is within the limit");
        }
        let limited = replica_b.begin(store, "ANA", "10.0.0.9", T0 + 10).await.unwrap();
        assert_eq!(limited.unwrap_err().seconds(), 60, "every replica sees the attempts; the oldest leaves in a minute");
        assert_eq!(s.count("login_attempts").await, 5, "a refused attempt is not counted");
        let bob = replica_a.begin(store, "bob", "10.0.0.9", T0 + 10).await.unwrap().expect("per username");
        bob.succeeded(store).await.unwrap();
        assert_eq!(s.count("login_attempts").await, 5, "a success is not counted");
        assert!(replica_a.begin(store, "ana", "10.0.0.9", T0 + 60_001).await.unwrap().is_ok(), "the window slides");
        // The periodic purge drops attempts older than the window.
        store.purge_expired(T0 + 60_003, 0, T0 + 60_003 - 60_000).await.unwrap();
        assert_eq!(s.count("login_attempts").await, 3);
    }

    async fn unknown_usernames_cost_a_full_check_in_reused_memory(s) {
        s.annotator("ana").await;
        let passwords = s.state.passwords();
        let before = passwords.verifications();
        let unknown = s.anonymous().post(api::SESSION, &LoginRequest { username: "nobody".into(), password: "nope".into() }).await;
        unknown.refused(api::ApiErrorCode::InvalidCredentials);
        assert_eq!(passwords.verifications(), before + 1, "an unknown username is checked like a known one");
        let logins: Vec<_> = (0..24)
            .map(|n| {
                let login = LoginRequest { username: format!("ghost-{n}"), password: "nope".into() };
                s.anonymous().spawn_json("POST", api::SESSION.into(), &login)
            })
            .collect();
        for login in logins {
            login.await.unwrap().refused(api::ApiErrorCode::InvalidCredentials);
        }
        let at_once = s.state.settings().password_hashes_at_once;
        assert!(passwords.peak_at_once() <= at_once, "{} hashes ran at once; {at_once} turns", passwords.peak_at_once());
        assert!(passwords.buffers_made() <= at_once, "{} argon2 buffers for {at_once} turns", passwords.buffers_made());
    }

    async fn api_tokens_are_listed_without_their_secret(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let ana = s.annotator("ana").await;
        let bob = s.annotator("bob").await;
        let first: CreatedToken = admin.post(&api::user_tokens_path(ana.id()), &serde_json::json!({})).await.json();
        s.advance(1000);
        let second: CreatedToken = admin.post(&api::user_tokens_path(ana.id()), &serde_json::json!({})).await.json();
        let lifetime = s.state.settings().api_token_lifetime_ms;
        assert_eq!(first.expires_at_ms, T0 + lifetime);
        let script = Client { server: &s, auth: Auth::Bearer(first.token.clone()), user: ana.user.clone() };
        s.advance(1000);
        script.get(api::SESSION).await.expect(StatusCode::OK);

        let listed = ana.get(&api::user_tokens_path(ana.id())).await;
        let tokens: Vec<TokenView> = listed.json();
        assert_eq!(
            tokens,
            [
                TokenView { id: first.id, created_at_ms: T0, expires_at_ms: T0 + lifetime, last_used_at_ms: Some(T0 + 2000) },
                TokenView { id: second.id, created_at_ms: T0 + 1000, expires_at_ms: T0 + 1000 + lifetime, last_used_at_ms: None },
            ]
        );
        for secret in [&first.token, &second.token, &annoqa_server::token_hash(&first.token), &annoqa_server::token_hash(&second.token)] {
            assert!(!listed.body.contains(secret.as_str()), "{}", listed.body);
        }
        assert_eq!(admin.get(&api::user_tokens_path(ana.id())).await.json::<Vec<TokenView>>().len(), 2);
        bob.get(&api::user_tokens_path(ana.id())).await.refused(api::ApiErrorCode::NotFound);
    }

    async fn api_tokens_expire(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let ana = s.annotator("ana").await;
        let created: CreatedToken = admin.post(&api::user_tokens_path(ana.id()), &serde_json::json!({})).await.json();
        let script = Client { server: &s, auth: Auth::Bearer(created.token.clone()), user: ana.user.clone() };
        s.advance(s.state.settings().api_token_lifetime_ms - 1);
        script.get(api::SESSION).await.expect(StatusCode::OK);
        s.advance(1);
        let expired = script.get(api::SESSION).await;
        expired.refused(api::ApiErrorCode::Unauthorized);
        assert!(expired.error().contains("expired"), "{}", expired.body);
        // The periodic purge deletes it.
        s.store.purge_expired(s.state.now_ms(), 0, 0).await.unwrap();
        assert_eq!(s.count("api_tokens").await, 0);
    }

    async fn api_tokens_are_revoked_one_or_all(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let ana = s.annotator("ana").await;
        let bob = s.annotator("bob").await;
        let mint = || async { admin.post(&api::user_tokens_path(ana.id()), &serde_json::json!({})).await.json::<CreatedToken>() };
        let (one, two, three) = (mint().await, mint().await, mint().await);
        let as_script = |token: &CreatedToken| Client { server: &s, auth: Auth::Bearer(token.token.clone()), user: ana.user.clone() };
        // Someone else may not revoke them, nor learn they exist.
        bob.request("DELETE", &api::user_token_path(ana.id(), one.id), &[], None).await.refused(api::ApiErrorCode::NotFound);
        as_script(&one).get(api::SESSION).await.expect(StatusCode::OK);
        // Their owner revokes one.
        ana.request("DELETE", &api::user_token_path(ana.id(), one.id), &[], None).await.expect(StatusCode::NO_CONTENT);
        as_script(&one).get(api::SESSION).await.refused(api::ApiErrorCode::Unauthorized);
        as_script(&two).get(api::SESSION).await.expect(StatusCode::OK);
        ana.request("DELETE", &api::user_token_path(ana.id(), one.id), &[], None).await.refused(api::ApiErrorCode::NotFound);
        // An admin revokes the rest.
        admin.request("DELETE", &api::user_tokens_path(ana.id()), &[], None).await.expect(StatusCode::NO_CONTENT);
        for token in [&two, &three] {
            as_script(token).get(api::SESSION).await.refused(api::ApiErrorCode::Unauthorized);
        }
        assert_eq!(s.count("api_tokens").await, 0);
    }

    async fn logout_with_a_bearer_token_revokes_that_token(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let ana = s.annotator("ana").await;
        let kept: CreatedToken = admin.post(&api::user_tokens_path(ana.id()), &serde_json::json!({})).await.json();
        let ended: CreatedToken = admin.post(&api::user_tokens_path(ana.id()), &serde_json::json!({})).await.json();
        let script = Client { server: &s, auth: Auth::Bearer(ended.token.clone()), user: ana.user.clone() };
        script.request("DELETE", api::SESSION, &[], None).await.expect(StatusCode::NO_CONTENT);
        script.get(api::SESSION).await.refused(api::ApiErrorCode::Unauthorized);
        // A second logout changes nothing, so it is no 204.
        script.request("DELETE", api::SESSION, &[], None).await.refused(api::ApiErrorCode::Unauthorized);
        let left: Vec<TokenView> = ana.get(&api::user_tokens_path(ana.id())).await.json();
        assert_eq!(left.iter().map(|t| t.id).collect::<Vec<_>>(), [kept.id], "only that token went");
        // The cookie session is untouched.
        ana.get(api::SESSION).await.expect(StatusCode::OK);
    }

    async fn weak_passwords_are_refused_wherever_a_password_is_chosen(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let create = |username: &str, password: &str| {
            let new = NewUser { username: username.into(), role: Role::Annotator, vendor: None, password: Some(password.into()) };
            let admin = &admin;
            async move { admin.post(api::USERS, &new).await }
        };
        for (password, words) in [
            ("short", "12 to 1024"),
            ("            ", "only spaces"),
            ("\t \u{3000}\u{a0}          ", "only spaces"),
            ("Password1234", "common"),
            ("  QWERTY123456 ", "common"),
            ("annoqaannoqa", "common"),
            ("Vera.Reviewer", "username"),
        ] {
            let refused = create("vera.reviewer", password).await;
            refused.refused(api::ApiErrorCode::WeakPassword);
            assert!(refused.error().contains(words), "{password:?}: {}", refused.body);
        }
        assert_eq!(s.count("users").await, 1, "no user was stored");
        create("vera.reviewer", "a long and unusual passphrase").await.expect(StatusCode::CREATED);
        // Length stays the main rule: a long password of one repeated character that is on no
        // list passes.
        create("zed", "zzzzzzzzzzzzzzzz").await.expect(StatusCode::CREATED);
    }

    async fn changing_a_password_needs_the_current_one_and_a_strong_new_one(s) {
        let admin = s.user("root", Role::Admin, None, &[]).await;
        let ana = s.annotator("ana").await;
        let other_session = s.login("ana", PASSWORD).await;
        let path = api::user_password_path(ana.id());
        let change = |current: Option<&str>, new: &str| PasswordChange { current_password: current.map(String::from), new_password: new.into() };
        ana.put(&path, &change(None, "a new long passphrase")).await.refused(api::ApiErrorCode::InvalidRequest);
        ana.put(&path, &change(Some("not my password"), "a new long passphrase")).await.refused(api::ApiErrorCode::Forbidden);
        ana.put(&path, &change(Some(PASSWORD), "password1234")).await.refused(api::ApiErrorCode::WeakPassword);
        ana.put(&path, &change(Some(PASSWORD), "a new long passphrase")).await.expect(StatusCode::NO_CONTENT);
        ana.get(api::SESSION).await.expect(StatusCode::OK);
        other_session.get(api::SESSION).await.refused(api::ApiErrorCode::Unauthorized);
        s.anonymous().post(api::SESSION, &LoginRequest { username: "ana".into(), password: PASSWORD.into() }).await.refused(api::ApiErrorCode::InvalidCredentials);
        s.login("ana", "a new long passphrase").await;
        // An admin sets anyone's without the current one, within the same policy.
        admin.put(&path, &change(None, "            ")).await.refused(api::ApiErrorCode::WeakPassword);
        admin.put(&path, &change(None, "an admin's choice of phrase")).await.expect(StatusCode::NO_CONTENT);
        s.login("ana", "an admin's choice of phrase").await;
        // Nobody else may, nor learn that the user exists.
        let bob = s.annotator("bob").await;
        bob.put(&path, &change(None, "bob's takeover attempt")).await.refused(api::ApiErrorCode::NotFound);
    }
}

/// One turn to hash and no queue: of parallel logins, those that find the turn taken answer
/// `busy` with `Retry-After`, unchecked and uncounted.
async fn logins_beyond_the_hashing_turns_answer_busy(backend: Backend) {
    let busy = Server::start_with(backend, |settings| {
        settings.password_cost = PasswordCost { memory_kib: 4096, passes: 3 };
        settings.password_hashes_at_once = 1;
        settings.password_queue_timeout_ms = 0;
    })
    .await;
    let logins: Vec<_> = (0..12u8)
        .map(|n| {
            let app = busy.app.clone();
            tokio::spawn(async move { login_from(app, [10, 0, 2, n], &format!("ghost-{n}"), "nope").await })
        })
        .collect();
    let mut answers = Vec::new();
    for login in logins {
        answers.push(login.await.unwrap());
    }
    let refused: Vec<&Answer> = answers.iter().filter(|a| a.status != StatusCode::UNAUTHORIZED).collect();
    assert!(!refused.is_empty(), "one turn and no queue: parallel logins are turned away");
    for answer in &refused {
        answer.refused(api::ApiErrorCode::Busy);
        assert_retry_after(answer);
    }
    assert_eq!(busy.state.passwords().peak_at_once(), 1);
    let checked = (answers.len() - refused.len()) as i64;
    assert_eq!(busy.count("login_attempts").await, checked, "an attempt that was not checked is not counted");
    busy.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_beyond_the_hashing_turns_answer_busy_on_sqlite() {
    logins_beyond_the_hashing_turns_answer_busy(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_beyond_the_hashing_turns_answer_busy_on_postgres() {
    logins_beyond_the_hashing_turns_answer_busy(Backend::Postgres).await;
}

/// A database from before token lifetimes (migrations 1–4) with two API tokens and a failed
/// login upgrades: each token gets an id of its own and ends 90 days after it was made, and the
/// failure still counts toward the limits.
async fn tokens_and_failed_logins_survive_the_upgrade(backend: Backend) {
    let (url, pool, pg, _dir) = crate::storage::old_database(backend, 4).await;
    let (first, second) = (annoqa_server::token_hash("made-before-1"), annoqa_server::token_hash("made-before-2"));
    sqlx::query(
        "INSERT INTO users (id, username, password_hash, role, created_at_ms) VALUES (1, 'ana', 'x', 'annotator', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO api_tokens (token_hash, user_id, created_at_ms) VALUES ($1, 1, $2), ($3, 1, $4)")
        .bind(&first)
        .bind(T0)
        .bind(&second)
        .bind(T0 + 1)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO login_failures (username, client, at_ms) VALUES ('ana', '10.0.0.1', $1)")
        .bind(T0)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let store = Store::connect(&url).await.unwrap();
    let tokens = store.api_tokens(1).await.unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(tokens[0].id > 0 && tokens[1].id > 0 && tokens[0].id != tokens[1].id, "{tokens:?}");
    for (token, made) in tokens.iter().zip([T0, T0 + 1]) {
        assert_eq!(
            (token.created_at_ms, token.expires_at_ms),
            (made, made + annoqa_server::DEFAULT_API_TOKEN_LIFETIME_MS)
        );
    }
    let (user, token) = store.token_user(&first).await.unwrap().expect("the old token still works");
    assert_eq!((user.username.as_str(), token.id), ("ana", tokens[0].id));
    assert_eq!(store.login_attempts_by_username("ana", T0 - 1).await.unwrap().0, 1);
    // New tokens get random ids beside the numbered old ones.
    annoqa_server::create_api_token(&store, 1, T0, 1000).await.unwrap();
    assert_eq!(store.api_tokens(1).await.unwrap().len(), 3);
    store.close().await;
    if let Some(pg) = pg {
        pg.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_failed_logins_survive_the_upgrade_on_sqlite() {
    tokens_and_failed_logins_survive_the_upgrade(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_failed_logins_survive_the_upgrade_on_postgres() {
    tokens_and_failed_logins_survive_the_upgrade(Backend::Postgres).await;
}
