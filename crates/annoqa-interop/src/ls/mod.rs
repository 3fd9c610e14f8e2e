//! Label Studio: labeling configs (XML) to and from specs, JSON exports to and from records.
