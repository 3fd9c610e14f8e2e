//! The reviewer screen's keys, DOM-free: a key (and whether a reject is waiting for its code)
//! in, a command out. A verdict costs at most two keys: `A`, or `X` then the code's digit.

/// What a key on the reviewer screen does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewCommand {
    NextEntry,
    PreviousEntry,
    NextGroup,
    PreviousGroup,
    Accept,
    /// `X`: the next digit picks the error code.
    StartReject,
    /// Reject with the taxonomy's code at this index (the digit minus one).
    Reject(usize),
    CancelReject,
    /// Switch the annotator at this index (the digit minus one) on or off.
    Toggle(usize),
    /// Edit the submission in the workspace.
    Fix,
    /// Edit the consensus proposal in the workspace.
    FixFromConsensus,
    /// Write a note to the annotator about the focused group.
    Note,
    LoadMore,
    Help,
}

/// Every key, for the `?` help: key, what it does.
pub const REVIEW_KEYS: [(&str, &str); 13] = [
    ("J / K", "next / previous submission in the queue"),
    ("↓ / ↑", "next / previous region group"),
    ("A", "accept the submission"),
    ("X, then 1–9", "reject, with that error code on the focused group's region"),
    ("Esc", "cancel a reject, close a dialog, leave a fix"),
    ("1–5", "show or hide that annotator"),
    ("F", "fix: edit the submission in the workspace"),
    ("C", "fix starting from the consensus proposal"),
    ("Ctrl+Enter", "store the fix (accept the corrected version)"),
    ("M", "write a note to the annotator about the focused group"),
    ("L", "load more of the queue"),
    ("Tab", "move focus"),
    ("?", "this help"),
];

fn digit(key: &str) -> Option<usize> {
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c @ '1'..='9'), None) => c.to_digit(10).map(|d| d as usize - 1),
        _ => None,
    }
}

/// The command of `key` (a `KeyboardEvent.key`); `rejecting` after `X`.
pub fn review_command(key: &str, rejecting: bool) -> Option<ReviewCommand> {
    if rejecting {
        return match key {
            "Escape" | "x" | "X" => Some(ReviewCommand::CancelReject),
            _ => digit(key).map(ReviewCommand::Reject),
        };
    }
    let command = match key {
        "j" | "J" => ReviewCommand::NextEntry,
        "k" | "K" => ReviewCommand::PreviousEntry,
        "ArrowDown" => ReviewCommand::NextGroup,
        "ArrowUp" => ReviewCommand::PreviousGroup,
        "a" | "A" => ReviewCommand::Accept,
        "x" | "X" => ReviewCommand::StartReject,
        "f" | "F" => ReviewCommand::Fix,
        "c" | "C" => ReviewCommand::FixFromConsensus,
        "m" | "M" => ReviewCommand::Note,
        "l" | "L" => ReviewCommand::LoadMore,
        "?" => ReviewCommand::Help,
        other => return digit(other).filter(|&d| d < 5).map(ReviewCommand::Toggle),
    };
    Some(command)
}
