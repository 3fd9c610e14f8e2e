//! The bodies of requests and responses. All are JSON.

use annoqa_core::guidelines::GuidelineDocument;
use annoqa_core::{Finding, Gold, Item, MediaKind, Region, TaskSpec};
use serde::{Deserialize, Serialize};

use crate::GoldReveal;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ProjectSummary {
    pub id: String,
    pub title: String,
    pub media: MediaKind,
    pub items: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ProjectView {
    pub id: String,
    pub title: String,
    /// The guidelines' Markdown source.
    pub guidelines: String,
    /// The same guidelines parsed (`annoqa_core::guidelines::guideline_document`): what the app
    /// renders, so the browser needs no Markdown parser.
    pub guideline_document: GuidelineDocument,
    pub spec: TaskSpec,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Progress {
    /// Items this annotator has submitted in the project.
    pub done: u32,
    pub total: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NextItem {
    /// `None` when the annotator has done every item.
    pub item: Option<AssignedItem>,
    pub progress: Progress,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AssignedItem {
    pub item: Item,
    /// Present only for training gold, whose answer ships with the item. Honeypot gold is never
    /// sent here; its answer comes back in [`SubmitResponse::gold`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_gold: Option<Gold>,
    /// A model's regions for the item (pre-annotations), to start the draft from. Not gold:
    /// sent with any item that has them. Their ids are unique and not empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub predictions: Vec<Region>,
}

/// The submitter is the logged-in user, never a field of the request (an `annotator` field
/// sent by an older client is ignored).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SubmitRequest {
    pub lead_time_ms: u64,
    pub regions: Vec<Region>,
    /// What became of the item's predictions ([`AssignedItem::predictions`]). When present it
    /// lists each prediction id exactly once; the server refuses anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction_outcome: Option<PredictionOutcome>,
}

/// What an annotator did with an item's predictions, by prediction id: kept as they came,
/// edited (still in the answer under the same id, changed), or deleted (not in the answer).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct PredictionOutcome {
    pub kept: Vec<String>,
    pub edited: Vec<String>,
    pub deleted: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SubmitResponse {
    pub submission_id: i64,
    pub created_at_ms: i64,
    /// Warnings the annotator confirmed (errors are refused with 422).
    pub findings: Vec<Finding>,
    /// For a gold item: the answer and the server's score, computed after the submission was
    /// stored, with the same [`annoqa_core::score_gold`] the browser uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gold: Option<GoldReveal>,
}

/// What a user may do. Globally, `admin` may do everything; the other roles act in the projects
/// the user is a member of, with the role of that membership.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Annotator,
    Reviewer,
    Coordinator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Annotator => "annotator",
            Role::Reviewer => "reviewer",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Annotator, Role::Reviewer, Role::Coordinator, Role::Admin].into_iter().find(|r| r.as_str() == s)
    }
}

/// A user as the API shows one. There is deliberately no password hash here, nor anywhere in
/// this module: nothing that crosses HTTP can carry one (CVE-2023-47117).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// The annotation vendor an annotator works for; vendors never see each other's work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SessionView {
    pub user: UserView,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// When absent the server generates one and returns it once in [`CreatedUser`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CreatedUser {
    pub user: UserView,
    /// The generated password, present only when the request had none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CreatedToken {
    /// Send as `Authorization: Bearer <token>`. Shown once; the server keeps only its hash.
    pub token: String,
    /// The token's id in [`TokenView`] lists and for revoking it.
    #[serde(default)]
    pub id: i64,
    /// When the token stops working (ms since the epoch).
    #[serde(default)]
    pub expires_at_ms: i64,
}

/// An API token as lists show it. Neither the secret nor its hash is here.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TokenView {
    pub id: i64,
    pub created_at_ms: i64,
    /// When the token stops working; the server refuses it from then on.
    pub expires_at_ms: i64,
    /// When it was last used, to the minute; absent when never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at_ms: Option<i64>,
}

/// A new password for a user. Your own needs the current one; an admin sets anyone else's
/// without it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PasswordChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password: Option<String>,
    pub new_password: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MemberRequest {
    pub role: Role,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MemberView {
    pub user: UserView,
    /// The user's role in this project.
    pub role: Role,
}

/// How a project hands out work.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AssignmentPolicy {
    /// How many annotators answer each non-gold item.
    #[serde(default = "default_overlap")]
    pub overlap: u32,
    /// How long an assigned item stays reserved for its annotator.
    #[serde(default = "default_lease_ms")]
    pub lease_ms: u64,
    /// Each annotator's first this-many items are gold (onboarding).
    #[serde(default)]
    pub gold_onboarding: u32,
    /// After onboarding, the share of items (0–1) that are gold: one in each run of `1 /
    /// gold_rate` items, at a place in the run and drawn from the honeypots in an order both
    /// random per annotator.
    #[serde(default)]
    pub gold_rate: f64,
    /// The share of the project's annotators (0–1) a honeypot may be shown to; one shown to
    /// more is listed by [`crate::gold_exposure_path`] for retirement.
    #[serde(default = "default_gold_max_exposure")]
    pub gold_max_exposure: f64,
}

fn default_gold_max_exposure() -> f64 {
    0.5
}

fn default_overlap() -> u32 {
    1
}

fn default_lease_ms() -> u64 {
    30 * 60 * 1000
}

impl Default for AssignmentPolicy {
    fn default() -> Self {
        AssignmentPolicy {
            overlap: default_overlap(),
            lease_ms: default_lease_ms(),
            gold_onboarding: 0,
            gold_rate: 0.0,
            gold_max_exposure: default_gold_max_exposure(),
        }
    }
}

/// `POST /api/projects` (admin): a new, empty project; items come through [`crate::items_path`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub guidelines: String,
    /// The task spec; or give `label_config` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<TaskSpec>,
    /// A Label Studio labeling config (XML), turned into the spec as `annoqa convert` does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_config: Option<String>,
    #[serde(default)]
    pub assignment: AssignmentPolicy,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SkipRequest {
    pub reason: String,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Stored, not reviewed yet.
    Submitted,
    Accepted,
    /// Refused by a reviewer; the item went back to the pool for another annotator.
    Rejected,
    /// A reviewer stored a corrected annotation beside this one.
    Fixed,
}

impl SubmissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Submitted => "submitted",
            SubmissionStatus::Accepted => "accepted",
            SubmissionStatus::Rejected => "rejected",
            SubmissionStatus::Fixed => "fixed",
        }
    }

    pub fn parse(s: &str) -> Option<SubmissionStatus> {
        [SubmissionStatus::Submitted, SubmissionStatus::Accepted, SubmissionStatus::Rejected, SubmissionStatus::Fixed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SubmissionView {
    pub id: i64,
    pub project_id: String,
    pub item_id: String,
    pub annotator: UserView,
    pub regions: Vec<Region>,
    pub lead_time_ms: u64,
    pub created_at_ms: i64,
    pub status: SubmissionStatus,
    /// The stored gold score; shown to reviewers and coordinators, and to the annotator (their
    /// own submission, so the answer is no longer secret to them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gold_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gold_passed: Option<bool>,
    /// What the annotator did with the item's predictions; absent when the item has none or
    /// the client did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction_outcome: Option<PredictionOutcome>,
}

/// One entry of the review queue.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReviewTask {
    pub submission: SubmissionView,
    pub item: Item,
    /// The item's predictions, which the submission's `prediction_outcome` refers to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub predictions: Vec<Region>,
}

/// `GET /api/projects/{project}/review-queue/page`: one page of the reviewer's queue.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReviewQueuePage {
    pub entries: Vec<ReviewQueueEntry>,
    /// Asks for the next page (`cursor=`); absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Submissions matching every filter but `status`: the reviewer's progress is `reviewed`
    /// of `total`.
    pub total: u64,
    /// Of `total`, those with a review.
    pub reviewed: u64,
    /// What the filters can choose from; on the first page only (no `cursor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facets: Option<ReviewQueueFacets>,
}

/// One submission in the reviewer's queue, without its regions (fetch the submission for
/// those).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReviewQueueEntry {
    pub submission_id: i64,
    pub item_id: String,
    /// The annotator's username.
    pub annotator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    pub submitted_at_ms: i64,
    pub status: SubmissionStatus,
    /// The item is gold, of any kind.
    pub gold: bool,
    /// The distinct labels of the submission's regions (a choice's included), sorted.
    pub labels: Vec<String>,
}

/// The values the queue's filters can take among the submissions the caller may see, each
/// list sorted.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ReviewQueueFacets {
    pub annotators: Vec<String>,
    pub vendors: Vec<String>,
    pub labels: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReviewVerdict {
    Accept,
    /// The item goes back to the pool for another annotator.
    Reject,
    /// The reviewer's corrected annotation is stored beside the original.
    Fix,
}

impl ReviewVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewVerdict::Accept => "accept",
            ReviewVerdict::Reject => "reject",
            ReviewVerdict::Fix => "fix",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewVerdict> {
        [ReviewVerdict::Accept, ReviewVerdict::Reject, ReviewVerdict::Fix].into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub verdict: ReviewVerdict,
    /// Required for `fix`, refused otherwise; validated like a submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<Region>>,
    /// Codes from the project's error taxonomy, for the annotation as a whole.
    #[serde(default)]
    pub error_codes: Vec<String>,
    /// Errors found in particular regions (or, without a region, in the annotation as a whole),
    /// each with a code from the project's taxonomy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RegionError>,
    #[serde(default)]
    pub comment: String,
}

/// One error a reviewer found. `region` names a region of the reviewed submission or, for a
/// `fix`, of the corrected regions (a `missing_region` points at the region the fix added).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RegionError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// A code of the project's error taxonomy.
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReviewView {
    pub id: i64,
    pub submission_id: i64,
    pub reviewer: UserView,
    pub verdict: ReviewVerdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<Region>>,
    pub error_codes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RegionError>,
    pub comment: String,
    pub created_at_ms: i64,
}

/// Which regions a revision added, removed or changed, by region id, each list sorted.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct RegionDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl RegionDiff {
    /// The diff from `original` to `revised`, matching regions by id: a region whose control,
    /// value or attributes differ is changed.
    pub fn between(original: &[Region], revised: &[Region]) -> RegionDiff {
        let before: std::collections::BTreeMap<&str, &Region> = original.iter().map(|r| (r.id.as_str(), r)).collect();
        let after: std::collections::BTreeMap<&str, &Region> = revised.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut diff = RegionDiff::default();
        for (id, region) in &after {
            match before.get(id) {
                None => diff.added.push(id.to_string()),
                Some(old) if old != region => diff.changed.push(id.to_string()),
                Some(_) => {}
            }
        }
        diff.removed = before.keys().filter(|id| !after.contains_key(*id)).map(|id| id.to_string()).collect();
        diff
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// One version of a submission's regions: revision 1 is what the annotator submitted, each
/// reviewer's fix adds the next.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SubmissionRevision {
    pub revision: u32,
    pub author: UserView,
    pub regions: Vec<Region>,
    /// From revision 1 to this one; empty for revision 1.
    pub diff: RegionDiff,
    /// The review (a `fix`) that made this revision; absent for revision 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_id: Option<i64>,
    pub created_at_ms: i64,
}

/// How many annotators' submissions an item's overlay shows at most.
pub const OVERLAY_ANNOTATORS: usize = 5;

/// `GET /api/projects/{project}/items/{item}/overlay`: an item with the latest submissions of
/// up to [`OVERLAY_ANNOTATORS`] annotators, to draw together. Never the item's gold.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OverlayView {
    pub item: Item,
    /// Latest first.
    pub annotations: Vec<OverlayAnnotation>,
}

/// One annotator's submission of the overlay's item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OverlayAnnotation {
    pub annotator: UserView,
    pub submission_id: i64,
    pub status: SubmissionStatus,
    pub regions: Vec<Region>,
    pub submitted_at_ms: i64,
}

/// One entry of a project's error taxonomy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ErrorCode {
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Guideline section anchor; must exist in the project's guidelines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    Unclear,
    WrongGold,
    BadMedia,
}

impl FlagReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::Unclear => "unclear",
            FlagReason::WrongGold => "wrong_gold",
            FlagReason::BadMedia => "bad_media",
        }
    }

    pub fn parse(s: &str) -> Option<FlagReason> {
        [FlagReason::Unclear, FlagReason::WrongGold, FlagReason::BadMedia].into_iter().find(|v| v.as_str() == s)
    }
}

/// An annotator's flag on an item or a guideline section (at least one of the two).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlagRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
    pub reason: FlagReason,
    pub text: String,
}

/// A reviewer's note to the annotator of a submission.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReviewerFeedbackRequest {
    pub submission_id: i64,
    pub error_codes: Vec<String>,
    pub text: String,
    /// What in the submission the note is about; absent for the whole of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<FeedbackAnchor>,
    /// A guideline section anchor the note points to; must exist in the project's guidelines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
}

/// The part of a submission a reviewer's note is about.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FeedbackAnchor {
    /// A region of the submission (or of a fix of it), by id.
    Region { region: String },
    /// A stretch of an audio or video item, in seconds from its start: `start_s <= end_s`.
    Time { start_s: f64, end_s: f64 },
    /// Frames `first` to `last` (inclusive, 0-based) of a video item.
    Frames { first: u64, last: u64 },
}

/// `GET /api/me/feedback/unread`: how many feedback entries to the caller are not acknowledged.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnreadFeedback {
    pub unread: u32,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// From an annotator about an item or guideline section.
    Flag,
    /// From a reviewer to an annotator.
    Review,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct FeedbackView {
    pub id: i64,
    pub project_id: String,
    pub kind: FeedbackKind,
    pub author: UserView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<UserView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<FlagReason>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<String>,
    pub text: String,
    /// What in the submission a reviewer's note is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<FeedbackAnchor>,
    pub created_at_ms: i64,
    /// When the recipient acknowledged it (the first time); absent while it is unread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at_ms: Option<i64>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ImportReport {
    pub imported: u32,
    /// What an import in another tool's format held that was not imported (its annotations,
    /// kinds annoqa cannot represent), one line per kind with counts and item ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_imported: Vec<String>,
}

/// One exported annotation with its QA sidecar.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ExportRow {
    pub submission_id: i64,
    pub item_id: String,
    pub annotator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    pub regions: Vec<Region>,
    pub lead_time_ms: u64,
    pub created_at_ms: i64,
    pub status: SubmissionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gold_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gold_passed: Option<bool>,
    /// The latest review's verdict, error codes and corrected regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<ReviewVerdict>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_regions: Option<Vec<Region>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction_outcome: Option<PredictionOutcome>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct UploadedMedia {
    /// Path inside the project's media root; fetch it with [`crate::media_path`].
    pub path: String,
    pub content_type: String,
}

/// `GET /api/projects/{project}/pyramids/{*path}`: an image's tile pyramid. Level 0 is the
/// image at full size; each next level halves it (rounding up) until one tile holds it. Tiles
/// are `tile_size` square but at the right and bottom edges, in stored-pixel orientation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PyramidView {
    pub width: u32,
    pub height: u32,
    pub tile_size: u32,
    pub levels: Vec<PyramidLevel>,
    /// Names this version of the file in tile paths ([`crate::tile_path`]): a tile path never
    /// changes meaning, so tiles may be cached for good.
    pub version: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PyramidLevel {
    pub width: u32,
    pub height: u32,
    pub columns: u32,
    pub rows: u32,
}

/// `GET /api/projects/{project}/gold-exposure` (coordinator): the honeypots shown to more than
/// the project's `gold_max_exposure` share of its annotators, candidates to retire: annotators
/// comparing notes could have spotted them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GoldExposureReport {
    /// The project's annotators: its annotator members and everyone ever given one of its items.
    pub workforce: u32,
    /// The project's `gold_max_exposure`.
    pub max_share: f64,
    /// Most shown first.
    pub over_exposed: Vec<GoldExposure>,
}

/// How many annotators one honeypot was shown to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GoldExposure {
    pub item_id: String,
    pub shown_to: u32,
    /// `shown_to / workforce`.
    pub share: f64,
}

/// `GET /api/projects/{project}/scorecards` (reviewer, coordinator): what the browser computes
/// annotator scorecards from with `annoqa_stats::trust::scorecard`, and peer agreement with
/// annoqa-stats' κ and α. Counts and lists only: no statistic is computed on the server.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ScorecardsData {
    /// The annotators with at least one submission in the project (a caller with a vendor sees
    /// only that vendor's), by username.
    pub annotators: Vec<ScorecardRow>,
    /// Gold items found or flagged as bad that a coordinator has not decided on yet: leave them
    /// out of accuracy and the qualification test (`scorecard`'s `pending`). Sorted.
    pub pending_gold: Vec<String>,
    /// Gold items a coordinator retired: leave them out too. Sorted.
    pub retired_gold: Vec<String>,
    pub qualification: QualificationSettings,
    /// One entry per choice control of the spec, in spec order.
    pub choices: Vec<ChoiceAnswers>,
}

/// One annotator's counts and lists, as stored.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ScorecardRow {
    pub annotator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Every gold item they submitted, in submission order, passed as the project's pass rule
    /// (the spec's `pass_threshold`) said when it was scored.
    pub gold: Vec<GoldOutcome>,
    /// Their submissions a reviewer accepted as they were.
    pub accepted: u64,
    /// Accepted after the reviewer corrected them.
    pub fixed: u64,
    pub rejected: u64,
    /// Every error code reviewers recorded on their submissions, once per occurrence: the
    /// review's codes for the whole annotation and each region-level error's code, in review
    /// order.
    pub error_codes: Vec<String>,
    /// One per submission, in no particular order.
    pub lead_times_ms: Vec<u64>,
    /// Pre-annotated regions (predictions) they kept as they came, edited and deleted, over the
    /// submissions that reported a `prediction_outcome`.
    pub pre_kept: u64,
    pub pre_edited: u64,
    pub pre_deleted: u64,
    pub submissions: u64,
}

/// One scored gold submission.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GoldOutcome {
    pub item: String,
    pub passed: bool,
}

/// The qualification test (Wald's SPRT: accuracy `p1` passes, `p0` fails, with error rates
/// `alpha` and `beta`) and the confidence of accuracy intervals.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct QualificationSettings {
    pub p0: f64,
    pub p1: f64,
    pub alpha: f64,
    pub beta: f64,
    pub confidence: f64,
}

/// Every answer to one choice control, as dense indices for annoqa-stats' agreement functions.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ChoiceAnswers {
    pub control: String,
    /// Item ids in order of first answer.
    pub items: Vec<String>,
    /// Usernames in order of first answer.
    pub annotators: Vec<String>,
    /// `[item index, annotator index, label index]`, one per submission that answered the
    /// control, annotator by annotator (by username).
    pub answers: Vec<[u32; 3]>,
    /// The control's labels in spec order, then any other answer in order of first use: a
    /// multiple choice's set of labels is one answer, its labels sorted and joined by ` + `.
    pub labels: Vec<String>,
}

/// A coordinator's decision on a gold item found or flagged as bad.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BadGoldDecision {
    /// The gold answer is right: the item counts again.
    Keep,
    /// The gold answer is wrong: the item counts against nobody.
    Retire,
}

impl BadGoldDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            BadGoldDecision::Keep => "keep",
            BadGoldDecision::Retire => "retire",
        }
    }

    pub fn parse(s: &str) -> Option<BadGoldDecision> {
        [BadGoldDecision::Keep, BadGoldDecision::Retire].into_iter().find(|d| d.as_str() == s)
    }
}

/// `POST /api/projects/{project}/bad-gold/{item}` (coordinator).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BadGoldRequest {
    pub decision: BadGoldDecision,
}

/// A gold item found bad (reliable annotators fail it the same way), flagged as wrong gold by
/// annotators, or decided on by a coordinator; with the evidence and the decision.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct BadGoldEntry {
    pub item_id: String,
    /// Present when the detection finds the item suspect now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<BadGoldEvidence>,
    /// Annotators' "wrong gold" flags on the item, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<GoldFlag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<BadGoldDecision>,
    /// The coordinator who decided, by username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at_ms: Option<i64>,
}

/// Why a gold item is suspect: `annoqa_stats::trust::SuspectGold` with names.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct BadGoldEvidence {
    /// The answer the reliable annotators agree on instead of gold (an answer key: see
    /// docs/api.md).
    pub answer: String,
    /// The reliable annotators who gave that answer, with their record on their other gold.
    pub witnesses: Vec<BadGoldWitness>,
    /// The other answers of reliable annotators who failed the item, most frequent first:
    /// how far the failures agree with each other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_failures: Vec<BadGoldAnswerCount>,
    /// Annotators who submitted the item, and how many of them passed it.
    pub attempts: u64,
    pub passed: u64,
}

/// A reliable annotator who failed the item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BadGoldWitness {
    pub annotator: String,
    pub answer: String,
    /// Of their other gold items, how many they passed and how many they did.
    pub other_passed: u64,
    pub other_items: u64,
}

/// How many reliable failures gave one answer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BadGoldAnswerCount {
    pub answer: String,
    pub count: u64,
}

/// An annotator's "wrong gold" flag on the item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct GoldFlag {
    pub annotator: String,
    pub text: String,
    pub at_ms: i64,
}
