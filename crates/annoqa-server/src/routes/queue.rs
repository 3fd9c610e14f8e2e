//! The reviewer's paged review queue (`GET …/review-queue/page`): its query, its cursor, and
//! the page. The order and the reading are `store::queue`'s.

use annoqa_api::{Endpoint, ReviewQueueEntry, ReviewQueueFacets, ReviewQueuePage};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use base64::Engine;
use serde::Deserialize;

use super::{project_access, same_vendor, Path};
use crate::auth::Caller;
use crate::store::{GoldMean, QueueEntryRow, QueueOrder, QueuePosition, QueueScope, QueueStatus, QueueStrategy};
use crate::{AppState, ServerError};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

/// The query string as sent; every value is checked by [`PageRequest::parse`]. An empty value
/// counts as absent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PageQuery {
    strategy: Option<String>,
    seed: Option<String>,
    annotator: Option<String>,
    vendor: Option<String>,
    label: Option<String>,
    gold: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// A checked query.
#[derive(Debug)]
struct PageRequest {
    order: QueueOrder,
    annotator: Option<String>,
    vendor: Option<String>,
    label: Option<String>,
    gold: Option<bool>,
    status: QueueStatus,
    cursor: Option<String>,
    limit: usize,
}

fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

impl PageRequest {
    fn parse(query: PageQuery) -> Result<PageRequest, ServerError> {
        let strategy = match given(query.strategy).as_deref() {
            None | Some("random") => QueueStrategy::Random,
            Some("stratified") => QueueStrategy::Stratified,
            Some("risk") => QueueStrategy::Risk,
            Some(other) => return Err(not_one_of("strategy", other, "random, stratified, risk")),
        };
        let seed = match given(query.seed) {
            None => 0,
            Some(seed) => seed.parse::<u64>().map_err(|_| {
                ServerError::bad_request(format!("seed `{seed}` is not a whole number from 0 to {}", u64::MAX))
            })?,
        };
        let gold = match given(query.gold).as_deref() {
            None | Some("any") => None,
            Some("gold") => Some(true),
            Some("plain") => Some(false),
            Some(other) => return Err(not_one_of("gold", other, "any, gold, plain")),
        };
        let status = match given(query.status).as_deref() {
            None | Some("awaiting") => QueueStatus::Awaiting,
            Some("reviewed") => QueueStatus::Reviewed,
            Some("all") => QueueStatus::All,
            Some(other) => return Err(not_one_of("status", other, "awaiting, reviewed, all")),
        };
        let limit = match given(query.limit) {
            None => DEFAULT_LIMIT,
            Some(limit) => limit.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                ServerError::bad_request(format!("limit `{limit}` is not a whole number from 1 to {MAX_LIMIT}"))
            })?,
        };
        Ok(PageRequest {
            order: QueueOrder { strategy, seed },
            annotator: given(query.annotator),
            vendor: given(query.vendor),
            label: given(query.label),
            gold,
            status,
            cursor: given(query.cursor),
            limit,
        })
    }

    /// What a cursor must match: the order and the filters, not the page size.
    fn fingerprint(&self) -> u64 {
        let text = format!(
            "{:?}\n{}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            self.order.strategy, self.order.seed, self.annotator, self.vendor, self.label, self.gold, self.status
        );
        // FNV-1a: a cursor is no secret, this only catches one reused with another query.
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    }
}

fn not_one_of(parameter: &str, value: &str, allowed: &str) -> ServerError {
    ServerError::bad_request(format!("{parameter} `{value}` is not one of {allowed}"))
}

/// Where a walk stands between pages: the time of its first page and the last entry listed.
#[derive(Debug, PartialEq)]
struct Cursor {
    as_of_ms: i64,
    position: QueuePosition,
}

const CURSOR_VERSION: u8 = 1;
const CURSOR_BYTES: usize = 1 + 8 * 5;

impl Cursor {
    /// Version, the query's fingerprint, the time, then three numbers whose meaning the
    /// strategy fixes; base64url.
    fn encode(&self, request: &PageRequest) -> String {
        let numbers = match self.position {
            QueuePosition::Random { id } => [id, 0, 0],
            QueuePosition::Risk { mean, id } => [mean.micros, mean.scored, id],
            QueuePosition::Stratified { round, annotator } => [i64::try_from(round).unwrap_or(i64::MAX), annotator, 0],
        };
        let mut bytes = Vec::with_capacity(CURSOR_BYTES);
        bytes.push(CURSOR_VERSION);
        bytes.extend(request.fingerprint().to_be_bytes());
        bytes.extend(self.as_of_ms.to_be_bytes());
        for n in numbers {
            bytes.extend(n.to_be_bytes());
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn decode(text: &str, request: &PageRequest) -> Result<Cursor, ServerError> {
        let malformed = || ServerError::bad_request("cursor is not one this queue gave: start again without one");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).map_err(|_| malformed())?;
        if bytes.len() != CURSOR_BYTES || bytes[0] != CURSOR_VERSION {
            return Err(malformed());
        }
        let word = |n: usize| -> [u8; 8] {
            let mut word = [0; 8];
            word.copy_from_slice(&bytes[1 + 8 * n..9 + 8 * n]);
            word
        };
        if u64::from_be_bytes(word(0)) != request.fingerprint() {
            return Err(ServerError::bad_request(
                "cursor belongs to another strategy, seed or filters: start again without one",
            ));
        }
        let [as_of_ms, a, b, c] = [1, 2, 3, 4].map(|n| i64::from_be_bytes(word(n)));
        let position = match request.order.strategy {
            QueueStrategy::Random => QueuePosition::Random { id: a },
            QueueStrategy::Risk if b >= 1 => QueuePosition::Risk { mean: GoldMean { micros: a, scored: b }, id: c },
            QueueStrategy::Stratified if a >= 0 => QueuePosition::Stratified { round: a.unsigned_abs(), annotator: b },
            _ => return Err(malformed()),
        };
        Ok(Cursor { as_of_ms, position })
    }
}

/// One page of the reviewer's queue; see docs/api.md.
pub(super) async fn review_queue_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<ReviewQueuePage>, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::ReviewQueuePage, "reviewing")?;
    let Query(query) = query.map_err(|e| ServerError::bad_request(e.body_text()))?;
    let request = PageRequest::parse(query)?;
    let cursor = request.cursor.as_deref().map(|c| Cursor::decode(c, &request)).transpose()?;
    let caller_vendor = if caller.is_admin() { None } else { caller.user.vendor.clone() };
    let mut scope = QueueScope {
        project_id: access.id().to_string(),
        caller_id: caller.id(),
        caller_vendor,
        annotator: None,
        vendor: request.vendor.clone(),
        label: request.label.clone(),
        gold: request.gold,
        as_of_ms: cursor.as_ref().map_or_else(|| state.now_ms(), |c| c.as_of_ms),
        uncounted_gold: Vec::new(),
    };
    if request.order.strategy == QueueStrategy::Risk {
        scope.uncounted_gold = super::trust::uncounted_gold(&state, access.id(), &access.settings.project.spec).await?;
    }
    let facets = match cursor {
        None => Some(facets(&state, &scope).await?),
        Some(_) => None,
    };
    if let Some(name) = &request.annotator {
        // Someone the caller may not see lists nothing, exactly as someone unknown.
        let user = state.store().user_by_name(name).await?;
        match user.filter(|u| u.id != caller.id() && same_vendor(&caller, u.vendor.as_deref())) {
            Some(user) => scope.annotator = Some(user.id),
            None => {
                return Ok(Json(ReviewQueuePage {
                    entries: Vec::new(),
                    next_cursor: None,
                    total: 0,
                    reviewed: 0,
                    facets,
                }))
            }
        }
    }
    let after = cursor.map(|c| c.position);
    let slice = state.store().queue_page(&scope, request.status, request.order, after, request.limit).await?;
    let entries = state.store().queue_entries(&scope.project_id, &slice.ids).await?;
    let next_cursor = slice.next.map(|position| Cursor { as_of_ms: scope.as_of_ms, position }.encode(&request));
    Ok(Json(ReviewQueuePage {
        entries: entries.into_iter().map(entry).collect(),
        next_cursor,
        total: slice.total,
        reviewed: slice.reviewed,
        facets,
    }))
}

async fn facets(state: &AppState, scope: &QueueScope) -> Result<ReviewQueueFacets, ServerError> {
    let facets = state.store().queue_facets(scope).await?;
    Ok(ReviewQueueFacets { annotators: facets.annotators, vendors: facets.vendors, labels: facets.labels })
}

fn entry(row: QueueEntryRow) -> ReviewQueueEntry {
    ReviewQueueEntry {
        submission_id: row.id,
        item_id: row.item_id,
        annotator: row.annotator,
        vendor: row.vendor,
        submitted_at_ms: row.created_at_ms,
        status: row.status,
        gold: row.gold,
        labels: row.labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(strategy: &str, seed: &str) -> PageRequest {
        let query = PageQuery {
            strategy: Some(strategy.into()),
            seed: Some(seed.into()),
            annotator: None,
            vendor: None,
            label: Some("PERSON".into()),
            gold: None,
            status: None,
            cursor: None,
            limit: None,
        };
        PageRequest::parse(query).unwrap()
    }

    #[test]
    fn a_cursor_reads_back_as_written_for_its_own_query_only() {
        let positions = [
            (query("random", "7"), QueuePosition::Random { id: 42 }),
            (query("risk", "7"), QueuePosition::Risk { mean: GoldMean { micros: 250_000, scored: 3 }, id: 9 }),
            (query("stratified", "7"), QueuePosition::Stratified { round: 12, annotator: 77 }),
        ];
        for (request, position) in &positions {
            let cursor = Cursor { as_of_ms: 1_700_000_000_000, position: *position };
            let text = cursor.encode(request);
            assert_eq!(Cursor::decode(&text, request).unwrap(), cursor);
            let other = query("random", "8");
            assert!(Cursor::decode(&text, &other).is_err(), "another seed refuses it");
        }
        for junk in ["", "x", "AAAA", "not base64!", &"A".repeat(55)] {
            assert!(Cursor::decode(junk, &positions[0].0).is_err(), "{junk}");
        }
    }

    fn parse_with(set: impl FnOnce(&mut PageQuery)) -> Result<(), String> {
        let mut query = PageQuery {
            strategy: None,
            seed: None,
            annotator: None,
            vendor: None,
            label: None,
            gold: None,
            status: None,
            cursor: None,
            limit: None,
        };
        set(&mut query);
        PageRequest::parse(query).map(|_| ()).map_err(|e| e.to_string())
    }

    #[test]
    fn bad_parameters_are_named() {
        assert_eq!(parse_with(|_| {}), Ok(()));
        assert_eq!(parse_with(|q| q.strategy = Some(String::new())), Ok(()), "empty is absent");
        let refused = |set: fn(&mut PageQuery), prefix: &str| {
            let error = parse_with(set).unwrap_err();
            assert!(error.starts_with(prefix), "{error}");
        };
        refused(|q| q.strategy = Some("psychic".into()), "strategy `psychic`");
        refused(|q| q.seed = Some("-1".into()), "seed `-1`");
        refused(|q| q.gold = Some("silver".into()), "gold `silver`");
        refused(|q| q.status = Some("done".into()), "status `done`");
        refused(|q| q.limit = Some("0".into()), "limit `0`");
        refused(|q| q.limit = Some("501".into()), "limit `501`");
        refused(|q| q.limit = Some("ten".into()), "limit `ten`");
    }
}
