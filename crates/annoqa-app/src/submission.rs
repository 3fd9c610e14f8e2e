//! One submission and its retries: the idempotency key that names it and when to send it again.
//!
//! A submission gets a fresh random key when the annotator submits. If the answer does not come
//! back (network error, a proxy's 502) or the server says the key is still being processed
//! (`in_flight`), the same key and the very same body go again, so the server stores the answer at most
//! once and replays its first response. Changing the annotation makes a new submission with a
//! new key.

use annoqa_api::{ApiErrorCode, SubmitRequest};
use annoqa_core::Region;

/// How many times one submission is sent before the app gives up and shows the error.
pub const MAX_ATTEMPTS: u32 = 4;

/// Bytes of randomness in a key: 128 bits, as a UUID v4 has (122).
const KEY_BYTES: usize = 16;

/// A submission as sent, kept until the server has answered it for good.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingSubmission {
    pub item_id: String,
    /// The `Idempotency-Key` of every attempt.
    pub key: String,
    /// The body of every attempt, lead time included, so a retry is byte-for-byte the same
    /// request (the server answers 422 to a reused key with another body).
    pub request: SubmitRequest,
    /// Attempts sent with this key so far.
    pub attempts: u32,
    /// Attempts since the annotator last pressed submit; automatic retries stop at
    /// [`MAX_ATTEMPTS`].
    pub round_attempts: u32,
}

impl PendingSubmission {
    /// The submission to send for `item_id` with `regions`: `previous` again when it is the same
    /// item and the same answer (a retry), else a new one with `new_key()` and `request()`.
    /// `None` only when a new key is needed and `new_key` has none.
    pub fn next(
        previous: Option<&PendingSubmission>,
        item_id: &str,
        regions: &[Region],
        new_key: impl FnOnce() -> Option<String>,
        request: impl FnOnce() -> SubmitRequest,
    ) -> Option<PendingSubmission> {
        match previous {
            Some(previous) if previous.item_id == item_id && previous.request.regions == regions => {
                Some(previous.clone())
            }
            _ => Some(PendingSubmission {
                item_id: item_id.to_string(),
                key: new_key()?,
                request: request(),
                attempts: 0,
                round_attempts: 0,
            }),
        }
    }

    /// The annotator submitted (again): a new round of automatic retries.
    pub fn begin_round(&mut self) {
        self.round_attempts = 0;
    }

    /// An attempt is about to be sent.
    pub fn record_attempt(&mut self) {
        self.attempts += 1;
        self.round_attempts += 1;
    }
}

/// What a failed attempt calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Send the same submission again after this many milliseconds.
    After(u32),
    /// Show the error; the annotator decides.
    GiveUp,
}

/// Why an attempt failed, as far as retrying cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// `None` when no answer came.
    pub status: Option<u16>,
    /// The server's reason; `None` when no answer came or something in between answered.
    pub code: Option<ApiErrorCode>,
    pub retry_after_ms: Option<u32>,
}

/// Whether to send `submission` again after `failure`.
///
/// - No answer, or 502/503/504 from something in between (no code): the server may or may not
///   have stored it; the same key makes resending safe.
/// - `in_flight`: an earlier attempt with this key is still being stored; its response will be
///   replayed.
/// - Anything else is an answer, not a glitch (`already_submitted`, `lease_lost`, …).
pub fn retry_after(submission: &PendingSubmission, failure: Failure) -> Retry {
    if submission.round_attempts >= MAX_ATTEMPTS {
        return Retry::GiveUp;
    }
    let transient = match (failure.code, failure.status) {
        (Some(code), _) => code == ApiErrorCode::InFlight,
        (None, status) => matches!(status, None | Some(502..=504)),
    };
    if !transient {
        return Retry::GiveUp;
    }
    // 0.5 s, 1 s, 2 s: the whole sequence stays under four seconds.
    let backoff = 500 * 2u32.pow(submission.round_attempts.saturating_sub(1).min(5));
    Retry::After(failure.retry_after_ms.map_or(backoff, |server| server.clamp(backoff, 10_000)))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// A new idempotency key: 128 random bits from `crypto.getRandomValues`, in hex. `None` when
/// the browser has no Web Crypto (then nothing can be submitted safely).
pub fn random_key() -> Option<String> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let mut bytes = [0u8; KEY_BYTES];
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(hex(&bytes))
}
