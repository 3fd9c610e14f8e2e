//! Pages and their URL hashes: `#/` lists projects, `#/p/PROJECT_ID` annotates one, `#/inbox`
//! is the feedback reviewers sent the user, `#/review/PROJECT_ID` is the reviewer's queue and
//! overlay and `#/quality/PROJECT_ID` the coordinator's scorecards, bad gold and error
//! taxonomy, `#/note/PROJECT_ID/FEEDBACK_ID` a reviewer's note shown on its item (those three
//! are in the review bundle, served at `/review/`).
//!
//! The page lives in the hash so the server serves one `index.html` for everything and a
//! reload keeps the page.

use annoqa_api::encode;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Projects,
    Project(String),
    Inbox,
    Review(String),
    Quality(String),
    /// A reviewer's note (project, feedback id) shown on its item, for its recipient.
    Note(String, i64),
}

impl Route {
    pub fn hash(&self) -> String {
        match self {
            Route::Projects => "#/".to_string(),
            Route::Project(id) => format!("#/p/{}", encode(id)),
            Route::Inbox => "#/inbox".to_string(),
            Route::Review(id) => format!("#/review/{}", encode(id)),
            Route::Quality(id) => format!("#/quality/{}", encode(id)),
            Route::Note(project, id) => format!("#/note/{}/{id}", encode(project)),
        }
    }

    /// Whether the page is in the review bundle rather than the annotator's.
    pub fn in_review_bundle(&self) -> bool {
        matches!(self, Route::Review(_) | Route::Quality(_) | Route::Note(..))
    }

    /// The page's address from either bundle: the review bundle's pages under `/review/`,
    /// the others at `/`.
    pub fn href(&self) -> String {
        if self.in_review_bundle() {
            format!("/review/{}", self.hash())
        } else {
            format!("/{}", self.hash())
        }
    }
}

/// The page for a location hash (with or without the leading `#`). Hashes that are not
/// routes, like a `#g-section` anchor, give `None`: they do not change the page.
pub fn parse_hash(hash: &str) -> Option<Route> {
    let path = hash.strip_prefix('#').unwrap_or(hash);
    if path.is_empty() || path == "/" {
        return Some(Route::Projects);
    }
    let rest = path.strip_prefix('/')?;
    if rest == "inbox" {
        return Some(Route::Inbox);
    }
    match rest.split_once('/') {
        Some(("p", id)) if !id.is_empty() && !id.contains('/') => Some(Route::Project(percent_decode(id))),
        Some(("review", id)) if !id.is_empty() && !id.contains('/') => Some(Route::Review(percent_decode(id))),
        Some(("quality", id)) if !id.is_empty() && !id.contains('/') => Some(Route::Quality(percent_decode(id))),
        Some(("note", rest)) => match rest.split_once('/') {
            Some((project, id)) if !project.is_empty() => match id.parse() {
                Ok(id) => Some(Route::Note(percent_decode(project), id)),
                Err(_) => Some(Route::Projects),
            },
            _ => Some(Route::Projects),
        },
        _ => Some(Route::Projects),
    }
}

/// Decodes `%XX` escapes; text that does not decode to UTF-8 is kept as it is.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                // Both digits are below 16, so the byte fits.
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}
