//! The one error type of the crate. Messages are lower-case, without a trailing period, and
//! name the thing that is wrong so a CLI can print them after a file name.

/// Why a statistic could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    #[error("need at least two coders, got {0}")]
    TooFewCoders(usize),
    #[error("no unit was rated by two or more coders")]
    NoPairableUnits,
    #[error("category {category} is out of range: there are {categories} categories")]
    CategoryOutOfRange { category: u32, categories: usize },
    #[error("need at least {min} categories, got {got}")]
    TooFewCategories { min: usize, got: usize },
    #[error("expected {expected} values, got {got}")]
    WrongLength { expected: usize, got: usize },
    /// Chance agreement (or expected disagreement) leaves nothing to correct for, typically
    /// because every rating is the same value.
    #[error("the coefficient is undefined: {0}")]
    Undefined(&'static str),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}
