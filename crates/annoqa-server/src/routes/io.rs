//! Item import and annotation export with the QA sidecar.

use std::collections::HashMap;

use annoqa_api::{ApiErrorCode, Endpoint, ExportRow, ImportReport, ReviewView};
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::{project_access, same_vendor, Path};
use crate::auth::Caller;
use crate::import::{read_items, ImportError, MediaRoot, MAX_IMPORT_ITEMS};
use crate::import_formats::{parse_format, read_formatted_items};
use crate::json::{require_content_type, stream_body};
use crate::{AppState, ServerError};

/// Imports items: all of them or, at the first bad one, none (400 naming its line or index).
/// The body is parsed as it arrives, one entry at a time, on a blocking thread (probing reads
/// files); nothing is stored until every entry has been checked. With `?format=ls|coco|cvat|annoqa`
/// the body is a whole file in that format, read by annoqa-interop as `annoqa convert` reads it.
pub(super) async fn import_items(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Result<(StatusCode, Json<ImportReport>), ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::ImportItems, "importing items")?;
    let Query(query) = query.map_err(|e| ServerError::bad_request(e.body_text()))?;
    let format = query.format.as_deref().map(parse_format).transpose().map_err(ServerError::bad_request)?;
    let content_types: &[&str] = match format {
        Some(_) => &["application/json", "application/xml", "text/xml", "application/x-ndjson", "application/jsonl"],
        None => &["application/json", "application/x-ndjson", "application/jsonl"],
    };
    let content_type = require_content_type(request.headers(), content_types)?;
    let json_lines = content_type != "application/json";
    let existing = state.store().existing_item_ids(access.id()).await?;
    let root = MediaRoot { root: super::media::media_root(&state, access.id()) };
    let project = access.settings.project.clone();
    let (body, feed) = stream_body(request, super::MAX_UPLOAD_BYTES);
    let read = tokio::task::spawn_blocking(move || match format {
        None => read_items(body, json_lines, &project, &existing, &root).map(|items| (items, Vec::new())),
        Some(format) => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut { body }, &mut bytes).map_err(ImportError::Read)?;
            let (items, diagnostics) = read_formatted_items(&bytes, format, &project, &existing, &root)?;
            Ok((items, diagnostics.to_string().lines().map(str::to_owned).collect()))
        }
    });
    let (fed, read) = tokio::join!(feed, read);
    // A body too large (or broken) is the answer even when the parser stopped on what it got.
    fed?;
    let (items, not_imported) = match read.map_err(|e| ServerError::Internal(e.into()))? {
        Ok(read) => read,
        Err(ImportError::Invalid(message)) => return Err(ServerError::bad_request(message)),
        Err(ImportError::TooManyItems) => {
            return Err(ServerError::new(
                ApiErrorCode::PayloadTooLarge,
                format!("an import holds at most {MAX_IMPORT_ITEMS} items: split it into several"),
            ))
        }
        Err(ImportError::Read(e)) => return Err(ServerError::bad_request(format!("the body could not be read: {e}"))),
    };
    if items.is_empty() {
        return Err(ServerError::bad_request("the import has no items"));
    }
    let count = u32::try_from(items.len()).unwrap_or(u32::MAX);
    state.store().append_items(access.id(), &items).await?;
    Ok((StatusCode::CREATED, Json(ImportReport { imported: count, not_imported })))
}

#[derive(Deserialize)]
pub(super) struct ImportQuery {
    #[serde(default)]
    format: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
}

/// Every submission with its QA sidecar: gold score, review verdict, error codes and a fix's
/// corrected regions. JSON (an array), JSON lines or CSV.
pub(super) async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ServerError> {
    let access = project_access(&state, &caller, &project).await?;
    access.require(Endpoint::Export, "exporting")?;
    let Query(query) = query.map_err(|e| ServerError::bad_request(e.body_text()))?;
    let format = query.format.unwrap_or_else(|| "json".into());
    let mut latest: HashMap<i64, ReviewView> = HashMap::new();
    for review in state.store().reviews(access.id()).await? {
        latest.insert(review.submission_id, review);
    }
    let rows: Vec<ExportRow> = state
        .store()
        .submissions(access.id(), None)
        .await?
        .into_iter()
        .filter(|s| same_vendor(&caller, s.annotator.vendor.as_deref()))
        .map(|s| {
            let review = latest.remove(&s.id);
            ExportRow {
                submission_id: s.id,
                item_id: s.item_id,
                annotator: s.annotator.username,
                vendor: s.annotator.vendor,
                regions: s.regions,
                lead_time_ms: s.lead_time_ms,
                created_at_ms: s.created_at_ms,
                status: s.status,
                gold_score: s.gold_score,
                gold_passed: s.gold_passed,
                verdict: review.as_ref().map(|r| r.verdict),
                error_codes: review.as_ref().map(|r| r.error_codes.clone()).unwrap_or_default(),
                corrected_regions: review.and_then(|r| r.regions),
                prediction_outcome: s.prediction_outcome,
            }
        })
        .collect();
    let (content_type, extension, body) = match format.as_str() {
        "json" => ("application/json", "json", to_json(&rows)?),
        "jsonl" => {
            let mut out = String::new();
            for row in &rows {
                out.push_str(&to_json(row)?);
                out.push('\n');
            }
            ("application/x-ndjson", "jsonl", out)
        }
        "csv" => ("text/csv; charset=utf-8", "csv", csv(&rows).map_err(|e| ServerError::Internal(e.into()))?),
        other => return Err(ServerError::bad_request(format!("format `{other}` is not one of json, jsonl, csv"))),
    };
    let disposition = format!("attachment; filename=\"{}-export.{extension}\"", access.id());
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(|e| ServerError::Internal(e.into()))?,
            ),
        ],
        body,
    )
        .into_response())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ServerError> {
    serde_json::to_string(value).map_err(|e| ServerError::Internal(e.into()))
}

const CSV_HEADER: [&str; 14] = [
    "submission_id",
    "item_id",
    "annotator",
    "vendor",
    "status",
    "lead_time_ms",
    "created_at_ms",
    "gold_score",
    "gold_passed",
    "verdict",
    "error_codes",
    "regions",
    "corrected_regions",
    "prediction_outcome",
];

fn csv(rows: &[ExportRow]) -> serde_json::Result<String> {
    let mut out = String::new();
    out.push_str(&CSV_HEADER.join(","));
    out.push_str("\r\n");
    for row in rows {
        let fields = [
            row.submission_id.to_string(),
            row.item_id.clone(),
            row.annotator.clone(),
            row.vendor.clone().unwrap_or_default(),
            row.status.as_str().to_string(),
            row.lead_time_ms.to_string(),
            row.created_at_ms.to_string(),
            row.gold_score.map(|s| s.to_string()).unwrap_or_default(),
            row.gold_passed.map(|p| p.to_string()).unwrap_or_default(),
            row.verdict.map(|v| v.as_str().to_string()).unwrap_or_default(),
            row.error_codes.join(";"),
            serde_json::to_string(&row.regions)?,
            row.corrected_regions.as_ref().map(serde_json::to_string).transpose()?.unwrap_or_default(),
            row.prediction_outcome.as_ref().map(serde_json::to_string).transpose()?.unwrap_or_default(),
        ];
        let cells: Vec<String> = fields.iter().map(|f| csv_cell(f)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// What a spreadsheet starts a formula with: `=`, `+`, `-`, `@` and their full-width forms, which
/// some spreadsheets read as the same.
const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];

/// RFC 4180 quoting, and a leading `'` on cells a spreadsheet would run as a formula — item ids
/// and usernames come from users: a formula character first, or after leading whitespace
/// (spaces, tabs, line breaks, which spreadsheets skip), or a cell starting with a tab or line
/// break at all. Numbers (`-5`) stay numbers.
pub(crate) fn csv_cell(value: &str) -> String {
    let formula_like = value.trim_start().starts_with(FORMULA_STARTS) || value.starts_with(['\t', '\r', '\n']);
    let guarded = if formula_like && value.parse::<f64>().is_err() { format!("'{value}") } else { value.to_string() };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}
