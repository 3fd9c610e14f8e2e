//! Login, logout, users, API tokens and project membership.

use std::net::SocketAddr;

use annoqa_api::{
    ApiErrorCode, CreatedToken, CreatedUser, Endpoint, LoginRequest, MemberRequest, MemberView, NewUser, Role,
    SessionView, UserView,
};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{project_access, Path};
use crate::auth::{random_token, token_hash, Caller};
use crate::json::{body_bytes, parse, require_content_type, JsonBody};
use crate::store::{Store, UserError};
use crate::{AppState, Passwords, ServerError};

/// The message for every failed login, whether the username exists or not.
const BAD_LOGIN: &str = "wrong username or password";

pub(super) async fn login(State(state): State<AppState>, request: Request) -> Result<Response, ServerError> {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |ConnectInfo(addr)| addr.ip().to_string());
    let secure = state.settings().secure_cookies || came_over_tls(request.headers(), request.uri());
    require_content_type(request.headers(), &["application/json"])?;
    let bytes = body_bytes(request, &state).await?;
    let login: LoginRequest = parse(&bytes)?;
    let now = state.now_ms();
    if !state.limiter().allows(state.store(), &login.username, &client, now).await? {
        return Err(ServerError::new(ApiErrorCode::RateLimited, "too many failed logins; wait a minute and try again"));
    }
    let user = state.store().user_by_name(&login.username).await?;
    // argon2 runs whether or not the user exists, so timing tells nothing either.
    let verifier = state.clone();
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let password = login.password.clone();
    let ok = tokio::task::spawn_blocking(move || verifier.passwords().verify(hash.as_deref(), &password))
        .await
        .map_err(|e| ServerError::Internal(e.into()))?;
    let Some(user) = user.filter(|_| ok) else {
        state.limiter().record_failure(state.store(), &login.username, &client, now).await?;
        return Err(ServerError::new(ApiErrorCode::InvalidCredentials, BAD_LOGIN));
    };
    state.limiter().clear(state.store(), &login.username, &client).await?;
    let token = random_token();
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

pub(super) async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ServerError> {
    if let Some(hash) = &caller.session_hash {
        state.store().delete_session(hash).await?;
    }
    let expired = format!("{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0", annoqa_api::SESSION_COOKIE);
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_str(&expired).map_err(|e| ServerError::Internal(e.into()))?);
    Ok(response)
}

fn require_admin(caller: &Caller) -> Result<(), ServerError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ServerError::forbidden("only an admin may manage users"))
    }
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
) -> Result<(StatusCode, Json<CreatedUser>), ServerError> {
    require_admin(&caller)?;
    let new: NewUser = body.parse()?;
    let passwords = state.clone();
    let now = state.now_ms();
    let created = add_user(state.store(), passwords.passwords(), new, now).await?;
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
            if p.chars().count() < 12 || p.len() > 1024 {
                return Err(ServerError::invalid_request("password must be 12 to 1024 characters"));
            }
            (p, None)
        }
        None => {
            let p = random_token();
            (p.clone(), Some(p))
        }
    };
    let hash = passwords.hash(&password)?;
    let user =
        store.insert_user(&new.username, new.role, new.vendor.as_deref(), &hash, now_ms).await.map_err(
            |e| match e {
                UserError::Taken(_) => ServerError::new(ApiErrorCode::AlreadyExists, e.to_string()),
                UserError::Database(e) => e.into(),
            },
        )?;
    Ok(CreatedUser { user: user.view(), password: generated })
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

/// A new API token for the user, returned once; only its hash is stored.
pub async fn create_api_token(store: &Store, user_id: i64, now_ms: i64) -> Result<String, ServerError> {
    let token = random_token();
    store.insert_api_token(&token_hash(&token), user_id, now_ms).await?;
    Ok(token)
}

fn no_user(id: i64) -> ServerError {
    ServerError::not_found(format!("no user {id}"))
}

pub(super) async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<UserView>, ServerError> {
    if id != caller.id() && !caller.is_admin() {
        return Err(no_user(id));
    }
    let user = state.store().user_by_id(id).await?.ok_or_else(|| no_user(id))?;
    Ok(Json(user.view()))
}

pub(super) async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<CreatedToken>), ServerError> {
    if id != caller.id() && !caller.is_admin() {
        return Err(no_user(id));
    }
    require_admin(&caller)?;
    state.store().user_by_id(id).await?.ok_or_else(|| no_user(id))?;
    let token = create_api_token(state.store(), id, state.now_ms()).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token })))
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
