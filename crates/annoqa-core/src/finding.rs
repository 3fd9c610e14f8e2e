//! What validation reports: one [`Finding`] per problem, with a severity. Plain data that
//! depends on nothing else in the crate but `de` (a `Deserialize` helper).

use serde::{Deserialize, Serialize};

use crate::unit_enum;

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks submitting.
    Error,
    /// Submitting needs a confirmation.
    Warning,
}

unit_enum!(Severity { Error = "error", Warning = "warning" });

/// One problem with an annotation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    /// Stable machine name of the rule, e.g. `span_whitespace_edge`.
    pub code: String,
    /// What is wrong, in words the annotator can act on.
    pub message: String,
    /// The control the finding concerns, when it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// Ids of the regions involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Guideline section that explains the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guideline: Option<String>,
}

/// Whether any finding blocks submitting.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
