//! Size limits of one annotation ([`crate::Limits`]), checked before anything else looks at
//! it: the cost of validation and scoring grows with these sizes, so a hostile submission is
//! refused on its size alone.

use std::fmt;

use super::rules::grouped;
use crate::{Region, RegionValue, TaskSpec};

/// The first limit an annotation exceeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitExceeded {
    /// The field of `limits` in the spec, e.g. `polygon_points`.
    pub limit: &'static str,
    pub allowed: usize,
    pub found: usize,
    /// The region that exceeds it, for per-region limits.
    pub region: Option<String>,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match (self.limit, &self.region) {
            ("regions", None) => "regions",
            ("regions", Some(_)) => "ids and buckets in one ranking",
            ("polygon_points", _) => "points in one polygon",
            ("track_keyframes", _) => "keyframes in one track",
            _ => "characters in one transcript, rationale or text area",
        };
        let region = self.region.as_ref().map(|r| format!(" (region `{}`)", truncated(r))).unwrap_or_default();
        write!(
            f,
            "{} {what}{region}; this project allows at most {} (limits.{})",
            grouped(self.found),
            grouped(self.allowed),
            self.limit
        )
    }
}

/// Ids quoted in a message are cut short: a hostile id could be megabytes long.
pub(super) fn truncated(id: &str) -> String {
    if id.chars().count() > 40 {
        format!("{}…", id.chars().take(40).collect::<String>())
    } else {
        id.to_string()
    }
}

/// `Err` with the first limit of `spec.limits` that `regions` exceed. Linear in the input,
/// never allocating by what it holds.
pub fn check_limits(spec: &TaskSpec, regions: &[Region]) -> Result<(), LimitExceeded> {
    let limits = &spec.limits;
    if regions.len() > limits.regions {
        return Err(LimitExceeded { limit: "regions", allowed: limits.regions, found: regions.len(), region: None });
    }
    for region in regions {
        let exceeded = |limit, allowed, found| LimitExceeded { limit, allowed, found, region: Some(region.id.clone()) };
        match &region.value {
            RegionValue::Polygon { points, .. } if points.len() > limits.polygon_points => {
                return Err(exceeded("polygon_points", limits.polygon_points, points.len()));
            }
            RegionValue::VideoTrack { keyframes, .. } if keyframes.len() > limits.track_keyframes => {
                return Err(exceeded("track_keyframes", limits.track_keyframes, keyframes.len()));
            }
            // Bytes bound characters from above, so most texts are judged without counting.
            RegionValue::AudioSegment { transcript: Some(text), .. }
            | RegionValue::Pairwise { rationale: Some(text), .. }
                if text.len() > limits.transcript_chars && text.chars().count() > limits.transcript_chars =>
            {
                return Err(exceeded("transcript_chars", limits.transcript_chars, text.chars().count()));
            }
            RegionValue::TextArea { text } => {
                // The lines joined by "\n", as scoring compares them.
                let newlines = text.len().saturating_sub(1);
                let bytes = text.iter().map(String::len).sum::<usize>() + newlines;
                if bytes > limits.transcript_chars {
                    let chars = text.iter().map(|line| line.chars().count()).sum::<usize>() + newlines;
                    if chars > limits.transcript_chars {
                        return Err(exceeded("transcript_chars", limits.transcript_chars, chars));
                    }
                }
            }
            RegionValue::Ranking { order, buckets } => {
                let entries = order.len() + buckets.len() + buckets.values().map(Vec::len).sum::<usize>();
                if entries > limits.regions {
                    return Err(exceeded("regions", limits.regions, entries));
                }
            }
            _ => {}
        }
    }
    Ok(())
}
