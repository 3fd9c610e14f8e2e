//! Login, logout, users, API tokens and project membership.

use annoqa_api::{
    ApiErrorCode, CreatedToken, CreatedUser, Endpoint, LoginRequest, MemberRequest, MemberView, NewUser,
    PasswordChange, Role, SessionView, TokenView, UserView,
};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{project_access, Path};
use crate::auth::{random_token, token_hash, Busy, Caller, ClientAddress, Credential};
use crate::json::{body_bytes, parse, require_content_type, JsonBody};
use crate::password_policy::check_password;
use crate::store::{new_id, Store, StoredToken, StoredUser, UserError};
use crate::{AppState, Passwords, ServerError};

/// The message for every failed login, whether the username exists or not.
const BAD_LOGIN: &str = "wrong username or password";

/// A refusal of the login path. One over a login limit says when to try again
/// (`Retry-After`, seconds); `busy` ones get theirs from [`ServerError`].
pub(super) struct Refusal {
    error: ServerError,
    retry_after_s: Option<i64>,
}

impl From<ServerError> for Refusal {
    fn from(error: ServerError) -> Refusal {
        Refusal { error, retry_after_s: None }
    }
}

impl From<Busy> for Refusal {
    fn from(busy: Busy) -> Refusal {
        ServerError::from(busy).into()
    }
}

impl From<anyhow::Error> for Refusal {
    fn from(error: anyhow::Error) -> Refusal {
        ServerError::from(error).into()
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(error: sqlx::Error) -> Refusal {
        ServerError::from(error).into()
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = self.error.into_response();
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

pub(super) async fn login(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    request: Request,
) -> Result<Response, Refusal> {
    let secure = state.settings().secure_cookies || came_over_tls(request.headers(), request.uri());
    require_content_type(request.headers(), &["application/json"])?;
    let bytes = body_bytes(request, &state).await?;
    let login: LoginRequest = parse(&bytes)?;
    let user = check_login(&state, &login.username, login.password, &client).await?;
    let token = random_token();
    let now = state.now_ms();
    let ttl = state.settings().session_ttl_ms;
    state.store().insert_session(&token_hash(&token), user.id, now, now.saturating_add(ttl)).await?;
    let mut cookie =
        format!("{}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}", annoqa_api::SESSION_COOKIE, ttl / 1000);
    if secure {
        cookie.push_str("; Secure");
    }
    let mut response = Json(SessionView { user: user.view() }).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| ServerError::Internal(e.into()))?);
    Ok(response)
}

/// Checks `username`'s `password` within the login limits and the hashing turns: the user, or
/// a refusal. A wrong password and an unknown username get the same answer after the same work.
async fn check_login(state: &AppState, username: &str, password: String, client: &str) -> Result<StoredUser, Refusal> {
    // No account has a malformed name, and its shape is no secret: refused without hashing,
    // it never reaches the attempts table either.
    if check_username(username).is_err() {
        return Err(ServerError::new(ApiErrorCode::InvalidCredentials, BAD_LOGIN).into());
    }
    let attempt = match state.limiter().begin(state.store(), username, client, state.now_ms()).await? {
        Ok(attempt) => attempt,
        Err(retry) => {
            let error = ServerError::new(ApiErrorCode::RateLimited, "too many login attempts; try again later");
            return Err(Refusal { error, retry_after_s: Some(retry.seconds()) });
        }
    };
    let user = state.store().user_by_name(username).await?;
    // argon2 runs whether or not the user exists, so timing tells nothing either.
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = match state.passwords().verify_in_turn(hash, password).await {
        Ok(matches) => matches,
        Err(Busy) => {
            attempt.not_checked(state.store()).await?;
            return Err(Busy.into());
        }
    };
    match user.filter(|_| matches) {
        Some(user) => {
            attempt.succeeded(state.store()).await?;
            Ok(user)
        }
        None => Err(ServerError::new(ApiErrorCode::InvalidCredentials, BAD_LOGIN).into()),
    }
}

/// TLS terminated here (an `https` URI) or by a proxy that says so.
fn came_over_tls(headers: &HeaderMap, uri: &axum::http::Uri) -> bool {
    uri.scheme_str() == Some("https")
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

pub(super) async fn current(caller: Caller) -> Json<SessionView> {
    Json(SessionView { user: caller.user.view() })
}

/// Ends what the caller came with: the session (and its cookie), or the API token, which is
/// revoked.
pub(super) async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ServerError> {
    match &caller.credential {
        Credential::Session(hash) => {
            state.store().delete_session(hash).await?;
            let expired = format!("{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0", annoqa_api::SESSION_COOKIE);
            let mut response = StatusCode::NO_CONTENT.into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_str(&expired).map_err(|e| ServerError::Internal(e.into()))?,
            );
            Ok(response)
        }
        Credential::Token(id) => {
            // Revoked by a request racing this one: this one changed nothing, so it says so.
            if !state.store().delete_api_token(caller.id(), *id).await? {
                return Err(ServerError::unauthorized("the API token was revoked already"));
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    }
}

fn require_admin(caller: &Caller) -> Result<(), ServerError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ServerError::forbidden("only an admin may manage users"))
    }
}

/// The user `id` when the caller is that user or an admin; 404 otherwise, as for a missing one.
async fn own_or_admin(state: &AppState, caller: &Caller, id: i64) -> Result<StoredUser, ServerError> {
    if id != caller.id() && !caller.is_admin() {
        return Err(no_user(id));
    }
    state.store().user_by_id(id).await?.ok_or_else(|| no_user(id))
}

pub(super) async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<UserView>>, ServerError> {
    require_admin(&caller)?;
    Ok(Json(state.store().users().await?.iter().map(|u| u.view()).collect()))
}

pub(super) async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Result<(StatusCode, Json<CreatedUser>), Refusal> {
    require_admin(&caller)?;
    let new: NewUser = body.parse()?;
    let created = add_user(state.store(), state.passwords(), new, state.now_ms()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Creates a user; generates a password when `new` has none (returned once). Shared by the
/// admin endpoint and `annoqa user add`.
pub async fn add_user(
    store: &Store,
    passwords: &Passwords,
    new: NewUser,
    now_ms: i64,
) -> Result<CreatedUser, ServerError> {
    check_username(&new.username)?;
    if let Some(vendor) = &new.vendor {
        if vendor.trim().is_empty() || vendor.chars().count() > 64 || vendor.chars().any(char::is_control) {
            return Err(ServerError::invalid_request("vendor must be 1–64 characters without control characters"));
        }
    }
    let (password, generated) = match new.password {
        Some(p) => {
            check_password(&new.username, &p).map_err(weak_password)?;
            (p, None)
        }
        None => {
            let p = random_token();
            (p.clone(), Some(p))
        }
    };
    let hash = passwords.hash_in_turn(password).await??;
    let user =
        store.insert_user(&new.username, new.role, new.vendor.as_deref(), &hash, now_ms).await.map_err(
            |e| match e {
                UserError::Taken(_) => ServerError::new(ApiErrorCode::AlreadyExists, e.to_string()),
                UserError::Database(e) => e.into(),
            },
        )?;
    Ok(CreatedUser { user: user.view(), password: generated })
}

fn weak_password(problem: crate::password_policy::WeakPassword) -> ServerError {
    ServerError::new(ApiErrorCode::WeakPassword, problem.to_string())
}

/// Gives `user` a new password (checked by the password policy; generated when `password` is
/// `None`, and then returned) and ends their sessions but `keep`. Shared by the endpoint and
/// `annoqa user password`.
pub async fn set_password(
    store: &Store,
    passwords: &Passwords,
    user: &StoredUser,
    password: Option<String>,
    keep: Option<&str>,
) -> Result<Option<String>, ServerError> {
    let (password, generated) = match password {
        Some(p) => {
            check_password(&user.username, &p).map_err(weak_password)?;
            (p, None)
        }
        None => {
            let p = random_token();
            (p.clone(), Some(p))
        }
    };
    let hash = passwords.hash_in_turn(password).await??;
    if !store.set_password_hash(user.id, &hash).await? {
        return Err(no_user(user.id));
    }
    store.delete_sessions_except(user.id, keep).await?;
    Ok(generated)
}

/// Your own password needs the current one (checked like a login, within its limits); an admin
/// sets anyone else's without it. Every other session of the user ends.
pub(super) async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(client): ClientAddress,
    Path(id): Path<i64>,
    body: JsonBody,
) -> Result<StatusCode, Refusal> {
    let user = own_or_admin(&state, &caller, id).await?;
    let change: PasswordChange = body.parse()?;
    check_password(&user.username, &change.new_password).map_err(weak_password)?;
    if id == caller.id() {
        let Some(current) = change.current_password else {
            return Err(ServerError::invalid_request("current_password is needed to change your own password").into());
        };
        if let Err(refusal) = check_login(&state, &user.username, current, &client).await {
            // 401 would read as "log in again"; the session is fine, the current password is not.
            return Err(match refusal.error.code() {
                ApiErrorCode::InvalidCredentials => ServerError::forbidden("current_password is wrong").into(),
                _ => refusal,
            });
        }
    }
    let keep = match &caller.credential {
        Credential::Session(hash) if id == caller.id() => Some(hash.as_str()),
        _ => None,
    };
    set_password(state.store(), state.passwords(), &user, Some(change.new_password), keep).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn check_username(name: &str) -> Result<(), ServerError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(ServerError::invalid_request("username must be 1–64 characters of letters, digits, `.`, `_`, `-` and `@`"))
    }
}

/// A new API token for the user that lives `lifetime_ms`, returned once; only its hash is
/// stored.
pub async fn create_api_token(
    store: &Store,
    user_id: i64,
    now_ms: i64,
    lifetime_ms: i64,
) -> Result<CreatedToken, ServerError> {
    let token = random_token();
    let stored = StoredToken {
        id: new_id(),
        created_at_ms: now_ms,
        expires_at_ms: now_ms.saturating_add(lifetime_ms),
        last_used_at_ms: None,
    };
    store.insert_api_token(&token_hash(&token), &stored, user_id).await?;
    Ok(CreatedToken { token, id: stored.id, expires_at_ms: stored.expires_at_ms })
}

fn no_user(id: i64) -> ServerError {
    ServerError::not_found(format!("no user {id}"))
}

pub(super) async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<UserView>, ServerError> {
    Ok(Json(own_or_admin(&state, &caller, id).await?.view()))
}

pub(super) async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<CreatedToken>), ServerError> {
    own_or_admin(&state, &caller, id).await?;
    require_admin(&caller)?;
    let lifetime = state.settings().api_token_lifetime_ms;
    let created = create_api_token(state.store(), id, state.now_ms(), lifetime).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub(super) async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<TokenView>>, ServerError> {
    own_or_admin(&state, &caller, id).await?;
    Ok(Json(state.store().api_tokens(id).await?.iter().map(StoredToken::view).collect()))
}

pub(super) async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, token)): Path<(i64, i64)>,
) -> Result<StatusCode, ServerError> {
    own_or_admin(&state, &caller, id).await?;
    if state.store().delete_api_token(id, token).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ServerError::not_found(format!("user {id} has no API token {token}")))
    }
}

pub(super) async fn revoke_tokens(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ServerError> {
    own_or_admin(&state, &caller, id).await?;
    state.store().delete_api_tokens(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> Result<Json<Vec<MemberView>>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::ListMembers, "listing members")?;
    Ok(Json(state.store().members(access.id()).await?))
}

pub(super) async fn set_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, user)): Path<(String, i64)>,
    body: JsonBody,
) -> Result<StatusCode, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::SetMember, "managing members")?;
    let request: MemberRequest = body.parse()?;
    if request.role == Role::Admin {
        return Err(ServerError::invalid_request("a project role is annotator, reviewer or coordinator"));
    }
    let target = state.store().user_by_id(user).await?.ok_or_else(|| no_user(user))?;
    // A coordinator tied to a vendor manages only that vendor's people.
    if !super::same_vendor(&caller, target.vendor.as_deref()) {
        return Err(no_user(user));
    }
    state.store().set_member(access.id(), user, request.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, user)): Path<(String, i64)>,
) -> Result<StatusCode, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::RemoveMember, "managing members")?;
    let target = state.store().user_by_id(user).await?.ok_or_else(|| no_user(user))?;
    if !super::same_vendor(&caller, target.vendor.as_deref()) {
        return Err(no_user(user));
    }
    if state.store().remove_member(access.id(), user).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ServerError::not_found(format!("user {user} is not a member of `{project}`")))
    }
}
