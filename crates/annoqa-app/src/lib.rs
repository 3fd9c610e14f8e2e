//! annoqa browser app.
