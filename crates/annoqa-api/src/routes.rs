//! The route table: every endpoint of the API once, with its method, path template, who may call
//! it, its bodies and its success status. The server's router registers exactly these routes,
//! the clients build their paths from the same templates, and `docs/api.md` documents them
//! (tests hold all three to the table).

use annoqa_core::{Item, ItemSource};

use crate::ReviewQueuePage;
use crate::{
    BadGoldEntry, BadGoldRequest, CreatedToken, CreatedUser, ErrorCode, ExportRow, FeedbackView, FlagRequest,
    GoldExposureReport, ImportReport, LoginRequest, MemberRequest, MemberView, NewProject, NewUser, NextItem,
    OverlayView, PasswordChange, ProjectSummary, ProjectView, PyramidView, ReviewRequest, ReviewTask, ReviewView,
    ReviewerFeedbackRequest, Role, ScorecardsData, SessionView, SkipRequest, SubmissionRevision, SubmissionView,
    SubmitRequest, SubmitResponse, TokenView, UnreadFeedback, UploadedMedia, UserView,
};

/// Path templates in axum's syntax: `{name}` is one segment, `{*name}` the rest of the path.
/// Each exists here once; the table and the path builders use these constants.
pub mod paths {
    pub const SESSION: &str = "/api/session";
    pub const USERS: &str = "/api/users";
    pub const USER: &str = "/api/users/{user}";
    pub const USER_TOKENS: &str = "/api/users/{user}/tokens";
    pub const USER_TOKEN: &str = "/api/users/{user}/tokens/{token}";
    pub const USER_PASSWORD: &str = "/api/users/{user}/password";
    pub const MY_FEEDBACK: &str = "/api/me/feedback";
    pub const MY_UNREAD_FEEDBACK: &str = "/api/me/feedback/unread";
    pub const MY_FEEDBACK_ACK: &str = "/api/me/feedback/{feedback}/ack";
    pub const PROJECTS: &str = "/api/projects";
    pub const PROJECT: &str = "/api/projects/{project}";
    pub const MEMBERS: &str = "/api/projects/{project}/members";
    pub const MEMBER: &str = "/api/projects/{project}/members/{user}";
    pub const NEXT: &str = "/api/projects/{project}/next";
    pub const ITEMS: &str = "/api/projects/{project}/items";
    pub const SKIP: &str = "/api/projects/{project}/items/{item}/skip";
    pub const OVERLAY: &str = "/api/projects/{project}/items/{item}/overlay";
    pub const SUBMISSIONS: &str = "/api/projects/{project}/items/{item}/submissions";
    pub const SUBMISSION: &str = "/api/projects/{project}/submissions/{submission}";
    pub const REVISIONS: &str = "/api/projects/{project}/submissions/{submission}/revisions";
    pub const SUBMISSION_ITEM: &str = "/api/projects/{project}/submissions/{submission}/item";
    pub const REVIEWS: &str = "/api/projects/{project}/submissions/{submission}/reviews";
    pub const REVIEW_QUEUE: &str = "/api/projects/{project}/review-queue";
    pub const REVIEW_QUEUE_PAGE: &str = "/api/projects/{project}/review-queue/page";
    pub const REVIEW: &str = "/api/projects/{project}/reviews/{review}";
    pub const TAXONOMY: &str = "/api/projects/{project}/taxonomy";
    pub const FLAGS: &str = "/api/projects/{project}/flags";
    pub const FEEDBACK: &str = "/api/projects/{project}/feedback";
    pub const FEEDBACK_ENTRY: &str = "/api/projects/{project}/feedback/{feedback}";
    pub const INBOX: &str = "/api/projects/{project}/inbox";
    pub const GOLD_EXPOSURE: &str = "/api/projects/{project}/gold-exposure";
    pub const SCORECARDS: &str = "/api/projects/{project}/scorecards";
    pub const BAD_GOLD: &str = "/api/projects/{project}/bad-gold";
    pub const BAD_GOLD_ITEM: &str = "/api/projects/{project}/bad-gold/{item}";
    pub const EXPORT: &str = "/api/projects/{project}/export";
    pub const MEDIA: &str = "/api/projects/{project}/media";
    pub const MEDIA_FILE: &str = "/api/projects/{project}/media/{*path}";
    pub const PYRAMID: &str = "/api/projects/{project}/pyramids/{*path}";
    pub const TILE: &str = "/api/projects/{project}/tiles/{version}/{level}/{column}/{row}/{*path}";
}

/// The HTTP methods of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// Who may call an endpoint. Object-level rules on top (your own submission, the same vendor)
/// are in the endpoint's summary; what the caller may not see answers 404.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No login needed.
    Anyone,
    /// Any logged-in user.
    LoggedIn,
    /// Admins only.
    Admin,
    /// Any member of the project (and admins).
    AnyMember,
    /// Members of the project with one of these roles. Admins pass too, except where the roles
    /// are exactly `[Annotator]`: an admin does not annotate.
    Members(&'static [Role]),
}

impl Access {
    /// In words, as `docs/api.md` lists it: `project reviewer or coordinator`.
    pub fn describe(self) -> String {
        match self {
            Access::Anyone => "anyone".into(),
            Access::LoggedIn => "logged in".into(),
            Access::Admin => "admin".into(),
            Access::AnyMember => "project member".into(),
            Access::Members(roles) => {
                let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                format!("project {}", names.join(" or "))
            }
        }
    }
}

/// A body that is not JSON: file bytes (a media upload, a media file).
#[derive(Debug)]
pub enum RawBytes {}

/// One row of the route table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub endpoint: Endpoint,
    pub method: Method,
    /// The path template, as axum 0.8 reads it.
    pub path: &'static str,
    pub access: Access,
    /// The request body's type, `()` for none.
    pub request: &'static str,
    /// The response body's type, `()` for none.
    pub response: &'static str,
    /// The status of a successful answer.
    pub status: u16,
    /// The endpoint's doc comment, its lines joined.
    doc: &'static str,
}

macro_rules! endpoints {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident: $method:ident $path:ident, $access:expr, $request:ty => $status:literal $response:ty;
    )*) => {
        /// Every endpoint of the API.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Endpoint {
            $($(#[doc = $doc])* $name,)*
        }

        impl Endpoint {
            /// Every endpoint, in the order `docs/api.md` lists them.
            pub const ALL: &'static [Endpoint] = &[$(Endpoint::$name),*];

            /// The endpoint's row of the route table.
            pub fn route(self) -> Route {
                match self {
                    $(Endpoint::$name => Route {
                        endpoint: self,
                        method: Method::$method,
                        path: paths::$path,
                        access: $access,
                        request: stringify!($request),
                        response: stringify!($response),
                        status: $status,
                        doc: concat!($($doc),*),
                    },)*
                }
            }
        }

        // The body types named in the table exist.
        const _: fn() = || {
            $(let _: Option<($request, $response)> = None;)*
        };
    };
}

// Short names for the table.
const ANYONE: Access = Access::Anyone;
const LOGGED_IN: Access = Access::LoggedIn;
const ADMIN: Access = Access::Admin;
const ANY_MEMBER: Access = Access::AnyMember;
const ANNOTATOR: Access = Access::Members(&[Role::Annotator]);
const REVIEWER: Access = Access::Members(&[Role::Reviewer, Role::Coordinator]);
const COORDINATOR: Access = Access::Members(&[Role::Coordinator]);

endpoints! {
    /// Logs in and sets the session cookie ([`crate::SESSION_COOKIE`]).
    Login: Post SESSION, ANYONE, LoginRequest => 200 SessionView;
    /// The logged-in user; 401 when nobody is.
    Session: Get SESSION, LOGGED_IN, () => 200 SessionView;
    /// Logs out: ends the session and expires the cookie; called with an API token, revokes that
    /// token (401 when it is revoked already: a 204 always means something ended).
    Logout: Delete SESSION, LOGGED_IN, () => 204 ();
    /// Every user.
    ListUsers: Get USERS, ADMIN, () => 200 Vec<UserView>;
    /// A new user; without a password in the request the server generates one and returns it once.
    CreateUser: Post USERS, ADMIN, NewUser => 201 CreatedUser;
    /// One user: yourself, or anyone for an admin.
    GetUser: Get USER, LOGGED_IN, () => 200 UserView;
    /// Sets the user's password: your own with the current one (checked like a login), anyone's
    /// for an admin. The password policy applies; the user's other sessions end.
    ChangePassword: Put USER_PASSWORD, LOGGED_IN, PasswordChange => 204 ();
    /// A new API token for the user (`Authorization: Bearer <token>`), shown once; it works for
    /// the server's token lifetime (90 days unless configured).
    CreateToken: Post USER_TOKENS, ADMIN, () => 201 CreatedToken;
    /// The user's API tokens (yourself, or anyone for an admin): id, creation, expiry and last
    /// use, never the secret or its hash.
    ListTokens: Get USER_TOKENS, LOGGED_IN, () => 200 Vec<TokenView>;
    /// Revokes every API token of the user (yourself, or anyone for an admin).
    RevokeTokens: Delete USER_TOKENS, LOGGED_IN, () => 204 ();
    /// Revokes one API token of the user (yourself, or anyone for an admin).
    RevokeToken: Delete USER_TOKEN, LOGGED_IN, () => 204 ();
    /// Feedback reviewers sent to the logged-in user, newest first.
    MyFeedback: Get MY_FEEDBACK, LOGGED_IN, () => 200 Vec<FeedbackView>;
    /// How many feedback entries to the logged-in user are not acknowledged (the header badge).
    UnreadFeedback: Get MY_UNREAD_FEEDBACK, LOGGED_IN, () => 200 UnreadFeedback;
    /// The recipient acknowledges a feedback entry; again is harmless (the first time is kept).
    AckFeedback: Post MY_FEEDBACK_ACK, LOGGED_IN, () => 200 FeedbackView;
    /// The projects the caller is a member of (every project for an admin).
    ListProjects: Get PROJECTS, LOGGED_IN, () => 200 Vec<ProjectSummary>;
    /// A new, empty project; its spec is checked first.
    CreateProject: Post PROJECTS, ADMIN, NewProject => 201 ProjectView;
    /// One project: guidelines and task spec.
    GetProject: Get PROJECT, ANY_MEMBER, () => 200 ProjectView;
    /// The project's members.
    ListMembers: Get MEMBERS, COORDINATOR, () => 200 Vec<MemberView>;
    /// Adds the user to the project or changes their role there.
    SetMember: Put MEMBER, COORDINATOR, MemberRequest => 204 ();
    /// Removes the user from the project.
    RemoveMember: Delete MEMBER, COORDINATOR, () => 204 ();
    /// The caller's next item, leased to them (the lease's end is in the `lease-expires-at-ms`
    /// header).
    NextItem: Get NEXT, ANNOTATOR, () => 200 NextItem;
    /// Imports items, all or nothing: a JSON array (`application/json`) or JSON lines
    /// (`application/x-ndjson`) of item sources or Label Studio tasks (`{"id", "data"}`).
    ImportItems: Post ITEMS, COORDINATOR, Vec<ItemSource> => 201 ImportReport;
    /// Gives a leased item back with a reason.
    Skip: Post SKIP, ANNOTATOR, SkipRequest => 204 ();
    /// Stores the caller's answer; needs an [`crate::IDEMPOTENCY_KEY`] header. The same key with
    /// the same body replays the first response.
    Submit: Post SUBMISSIONS, ANNOTATOR, SubmitRequest => 200 SubmitResponse;
    /// One submission: to its annotator, and to the project's reviewers and coordinators.
    GetSubmission: Get SUBMISSION, ANY_MEMBER, () => 200 SubmissionView;
    /// A submission's revisions, the original first, each with its diff to the original: to its
    /// annotator, and to the project's reviewers and coordinators.
    Revisions: Get REVISIONS, ANY_MEMBER, () => 200 Vec<SubmissionRevision>;
    /// The item a submission answers, never its gold: to whoever may see the submission.
    SubmissionItem: Get SUBMISSION_ITEM, ANY_MEMBER, () => 200 Item;
    /// The one review of a submission: accept, reject (the item goes back to the pool) or fix
    /// (a corrected annotation stored beside the original).
    Review: Post REVIEWS, REVIEWER, ReviewRequest => 201 ReviewView;
    /// Submissions awaiting review, sampled (`?strategy=random|stratified|risk&size=N&seed=S`).
    ReviewQueue: Get REVIEW_QUEUE, REVIEWER, () => 200 Vec<ReviewTask>;
    /// One page of the reviewer's queue in a seeded order (`random`, `stratified` by annotator,
    /// `risk` first), filtered by annotator, vendor, label, gold and status, with progress
    /// counts; pages follow each other by cursor.
    ReviewQueuePage: Get REVIEW_QUEUE_PAGE, REVIEWER, () => 200 ReviewQueuePage;
    /// An item with the latest submissions of up to five annotators, to draw together.
    Overlay: Get OVERLAY, REVIEWER, () => 200 OverlayView;
    /// One review: to the reviewed annotator, and to the project's reviewers and coordinators.
    GetReview: Get REVIEW, ANY_MEMBER, () => 200 ReviewView;
    /// The project's error taxonomy.
    GetTaxonomy: Get TAXONOMY, ANY_MEMBER, () => 200 Vec<ErrorCode>;
    /// Replaces the project's error taxonomy.
    SetTaxonomy: Put TAXONOMY, COORDINATOR, Vec<ErrorCode> => 200 Vec<ErrorCode>;
    /// An annotator flags an item they were given or a guideline section.
    Flag: Post FLAGS, ANNOTATOR, FlagRequest => 201 FeedbackView;
    /// A reviewer's note to the annotator of a submission.
    ReviewerFeedback: Post FEEDBACK, REVIEWER, ReviewerFeedbackRequest => 201 FeedbackView;
    /// One feedback entry: to its author, its recipient and the project's coordinators.
    GetFeedback: Get FEEDBACK_ENTRY, ANY_MEMBER, () => 200 FeedbackView;
    /// Flags and reviewer feedback of the project, newest first.
    Inbox: Get INBOX, COORDINATOR, () => 200 Vec<FeedbackView>;
    /// The honeypots shown to more than the project's `gold_max_exposure` share of its
    /// annotators, to retire.
    GoldExposure: Get GOLD_EXPOSURE, COORDINATOR, () => 200 GoldExposureReport;
    /// What the browser computes annotator scorecards and peer agreement from: per annotator
    /// their gold outcomes, review verdicts, error codes, lead times and pre-annotation edits;
    /// the gold items left out (pending a decision, retired); every choice answer.
    Scorecards: Get SCORECARDS, REVIEWER, () => 200 ScorecardsData;
    /// Gold items reliable annotators fail the same way, or flagged as wrong gold, or decided
    /// on, with the evidence and the decision.
    BadGold: Get BAD_GOLD, COORDINATOR, () => 200 Vec<BadGoldEntry>;
    /// A coordinator keeps (counts again) or retires (counts against nobody) a gold item.
    DecideBadGold: Post BAD_GOLD_ITEM, COORDINATOR, BadGoldRequest => 200 BadGoldEntry;
    /// Every submission with its QA sidecar (`?format=json|jsonl|csv`).
    Export: Get EXPORT, COORDINATOR, () => 200 Vec<ExportRow>;
    /// Uploads a media file (raw bytes: an image, audio or video recognised by its bytes).
    UploadMedia: Post MEDIA, COORDINATOR, RawBytes => 201 UploadedMedia;
    /// A file from the project's media root, typed by its bytes.
    GetMedia: Get MEDIA_FILE, ANY_MEMBER, () => 200 RawBytes;
    /// An image's tile pyramid: its levels and tiles, made on the first request and kept.
    GetPyramid: Get PYRAMID, ANY_MEMBER, () => 200 PyramidView;
    /// One PNG tile of an image's pyramid, for the version the pyramid names.
    GetTile: Get TILE, ANY_MEMBER, () => 200 RawBytes;
}

impl Route {
    /// What the endpoint does, in a sentence or two.
    pub fn summary(&self) -> &'static str {
        self.doc.trim()
    }

    /// The template's parameters in order: `["project", "item"]`.
    pub fn params(&self) -> Vec<&'static str> {
        params(self.path)
    }

    /// The path with `args` in place of the parameters, in order, each percent-encoded (a
    /// `{*rest}` parameter keeps its `/`s). `None` when the count of `args` does not match.
    pub fn fill(&self, args: &[&str]) -> Option<String> {
        fill(self.path, args)
    }
}

/// The parameters of `template` in order.
pub(crate) fn params(template: &'static str) -> Vec<&'static str> {
    template
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| name.trim_start_matches('*'))
        .collect()
}

/// `template` with `args` in place of its parameters; see [`Route::fill`].
pub(crate) fn fill(template: &str, args: &[&str]) -> Option<String> {
    let mut args = args.iter();
    let mut segments = Vec::new();
    for segment in template.split('/') {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) if name.starts_with('*') => {
                let rest: Vec<String> = args.next()?.split('/').map(encode).collect();
                segments.push(rest.join("/"));
            }
            Some(_) => segments.push(encode(args.next()?)),
            None => segments.push(segment.to_string()),
        }
    }
    args.next().is_none().then(|| segments.join("/"))
}

/// Percent-encodes everything but unreserved characters, for ids in paths and queries.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A path builder's template filled with arguments whose count the builder's signature fixes.
fn path(template: &str, args: &[&str]) -> String {
    fill(template, args).unwrap_or_else(|| template.to_string())
}

/// `GET` — the project: [`Endpoint::GetProject`].
pub fn project_path(project: &str) -> String {
    path(paths::PROJECT, &[project])
}

/// [`Endpoint::NextItem`].
pub fn next_path(project: &str) -> String {
    path(paths::NEXT, &[project])
}

/// [`Endpoint::Submit`].
pub fn submit_path(project: &str, item: &str) -> String {
    path(paths::SUBMISSIONS, &[project, item])
}

/// [`Endpoint::Skip`].
pub fn skip_path(project: &str, item: &str) -> String {
    path(paths::SKIP, &[project, item])
}

/// [`Endpoint::GetUser`].
pub fn user_path(user: i64) -> String {
    path(paths::USER, &[&user.to_string()])
}

/// [`Endpoint::CreateToken`], [`Endpoint::ListTokens`] and [`Endpoint::RevokeTokens`].
pub fn user_tokens_path(user: i64) -> String {
    path(paths::USER_TOKENS, &[&user.to_string()])
}

/// [`Endpoint::RevokeToken`].
pub fn user_token_path(user: i64, token: i64) -> String {
    path(paths::USER_TOKEN, &[&user.to_string(), &token.to_string()])
}

/// [`Endpoint::ChangePassword`].
pub fn user_password_path(user: i64) -> String {
    path(paths::USER_PASSWORD, &[&user.to_string()])
}

/// [`Endpoint::ListMembers`].
pub fn members_path(project: &str) -> String {
    path(paths::MEMBERS, &[project])
}

/// [`Endpoint::ImportItems`].
pub fn items_path(project: &str) -> String {
    path(paths::ITEMS, &[project])
}

/// [`Endpoint::GetSubmission`].
pub fn submission_path(project: &str, submission: i64) -> String {
    path(paths::SUBMISSION, &[project, &submission.to_string()])
}

/// [`Endpoint::Revisions`].
pub fn revisions_path(project: &str, submission: i64) -> String {
    path(paths::REVISIONS, &[project, &submission.to_string()])
}

/// [`Endpoint::SubmissionItem`].
pub fn submission_item_path(project: &str, submission: i64) -> String {
    path(paths::SUBMISSION_ITEM, &[project, &submission.to_string()])
}

/// [`Endpoint::Overlay`].
pub fn overlay_path(project: &str, item: &str) -> String {
    path(paths::OVERLAY, &[project, item])
}

/// [`Endpoint::AckFeedback`].
pub fn feedback_ack_path(feedback: i64) -> String {
    path(paths::MY_FEEDBACK_ACK, &[&feedback.to_string()])
}

/// [`Endpoint::ReviewQueue`].
pub fn review_queue_path(project: &str) -> String {
    path(paths::REVIEW_QUEUE, &[project])
}

/// [`Endpoint::ReviewQueuePage`], without its query.
pub fn review_queue_page_path(project: &str) -> String {
    path(paths::REVIEW_QUEUE_PAGE, &[project])
}

/// [`Endpoint::Review`].
pub fn reviews_path(project: &str, submission: i64) -> String {
    path(paths::REVIEWS, &[project, &submission.to_string()])
}

/// [`Endpoint::GetReview`].
pub fn review_path(project: &str, review: i64) -> String {
    path(paths::REVIEW, &[project, &review.to_string()])
}

/// [`Endpoint::GetTaxonomy`] and [`Endpoint::SetTaxonomy`].
pub fn taxonomy_path(project: &str) -> String {
    path(paths::TAXONOMY, &[project])
}

/// [`Endpoint::Flag`].
pub fn flags_path(project: &str) -> String {
    path(paths::FLAGS, &[project])
}

/// [`Endpoint::ReviewerFeedback`].
pub fn feedback_path(project: &str) -> String {
    path(paths::FEEDBACK, &[project])
}

/// [`Endpoint::GetFeedback`].
pub fn feedback_entry_path(project: &str, feedback: i64) -> String {
    path(paths::FEEDBACK_ENTRY, &[project, &feedback.to_string()])
}

/// [`Endpoint::Inbox`].
pub fn inbox_path(project: &str) -> String {
    path(paths::INBOX, &[project])
}

/// [`Endpoint::GoldExposure`].
pub fn gold_exposure_path(project: &str) -> String {
    path(paths::GOLD_EXPOSURE, &[project])
}

/// [`Endpoint::Scorecards`].
pub fn scorecards_path(project: &str) -> String {
    path(paths::SCORECARDS, &[project])
}

/// [`Endpoint::BadGold`].
pub fn bad_gold_path(project: &str) -> String {
    path(paths::BAD_GOLD, &[project])
}

/// [`Endpoint::DecideBadGold`].
pub fn bad_gold_item_path(project: &str, item: &str) -> String {
    path(paths::BAD_GOLD_ITEM, &[project, item])
}

/// [`Endpoint::Export`].
pub fn export_path(project: &str) -> String {
    path(paths::EXPORT, &[project])
}

/// [`Endpoint::GetMedia`]: `file` is a path inside the media root; each of its segments is
/// encoded.
pub fn media_path(project: &str, file: &str) -> String {
    path(paths::MEDIA_FILE, &[project, file])
}

/// [`Endpoint::UploadMedia`].
pub fn media_upload_path(project: &str) -> String {
    path(paths::MEDIA, &[project])
}

/// [`Endpoint::GetPyramid`] of the image at `file` in the media root.
pub fn pyramid_path(project: &str, file: &str) -> String {
    path(paths::PYRAMID, &[project, file])
}

/// [`Endpoint::GetTile`]: tile `column`, `row` of `level` (0 is full size) of the image's
/// pyramid `version` ([`crate::PyramidView::version`]).
pub fn tile_path(project: &str, version: &str, level: u32, column: u32, row: u32, file: &str) -> String {
    let numbers = [level.to_string(), column.to_string(), row.to_string()];
    path(paths::TILE, &[project, version, &numbers[0], &numbers[1], &numbers[2], file])
}
