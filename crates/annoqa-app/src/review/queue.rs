//! The review queue's filters as the query of `GET …/review-queue/page`, DOM-free.

use annoqa_api::encode;

/// Entries asked for per page.
pub const PAGE_SIZE: u32 = 50;

/// What the reviewer narrowed the queue to; empty strings are "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueFilters {
    /// `random` (the server's default), `stratified` or `risk`.
    pub strategy: String,
    pub annotator: String,
    pub vendor: String,
    pub label: String,
    /// `gold` or `plain`.
    pub gold: String,
    /// `awaiting` (the server's default), `reviewed` or `all`.
    pub status: String,
}

impl QueueFilters {
    /// The query string (with its `?`) for the page after `cursor`.
    pub fn query(&self, cursor: Option<&str>, limit: u32) -> String {
        let mut parts = vec![format!("limit={limit}")];
        let named = [
            ("strategy", &self.strategy),
            ("annotator", &self.annotator),
            ("vendor", &self.vendor),
            ("label", &self.label),
            ("gold", &self.gold),
            ("status", &self.status),
        ];
        for (name, value) in named {
            if !value.is_empty() {
                parts.push(format!("{name}={}", encode(value)));
            }
        }
        if let Some(cursor) = cursor {
            parts.push(format!("cursor={}", encode(cursor)));
        }
        format!("?{}", parts.join("&"))
    }

    /// Sets the filter called `name` (the form's field names); unknown names change nothing.
    pub fn with(&self, name: &str, value: String) -> QueueFilters {
        let mut next = self.clone();
        match name {
            "strategy" => next.strategy = value,
            "annotator" => next.annotator = value,
            "vendor" => next.vendor = value,
            "label" => next.label = value,
            "gold" => next.gold = value,
            "status" => next.status = value,
            _ => {}
        }
        next
    }
}
