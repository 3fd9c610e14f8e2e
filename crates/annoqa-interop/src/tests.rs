//! Unit tests, one module per format; real third-party files come from the interop corpus.

mod coco;
mod crowdkit;
mod cvat;
mod ls;
mod yolo;

use std::path::PathBuf;

/// `../shared/interop-corpus` beside the workspace (or `$ANNOQA_INTEROP_CORPUS`); `None`, with a
/// note on stderr, where it is absent, as on a user's clone.
pub(crate) fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ANNOQA_INTEROP_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/interop-corpus"),
    };
    if dir.join("SOURCES.md").is_file() {
        Some(dir)
    } else {
        eprintln!("note: interop corpus not found at {}: corpus checks skipped", dir.display());
        None
    }
}

#[test]
fn a_derived_spec_takes_each_controls_flags_from_all_its_regions() {
    let line = |regions: &str| {
        format!(
            r#"{{"item": {{"id": "a", "media": {{"type": "audio", "src": "a.wav", "duration": 9}}}}, "annotator": "x", "source": "annotation", "regions": {regions}}}"#
        )
    };
    let first =
        line(r#"[{"id": "s1", "control": "speech", "type": "audio_segment", "start": 0, "end": 1, "label": "talk"}]"#);
    let second = line(
        r#"[{"id": "s2", "control": "speech", "type": "audio_segment", "start": 2, "end": 3, "label": "talk", "transcript": "hello"}]"#,
    );
    let jsonl = format!("{first}\n{second}\n");
    let converted = crate::record::read_jsonl(jsonl.as_bytes(), &crate::ReadOptions::default()).unwrap();
    let spec = converted.spec.unwrap();
    assert_eq!(spec.controls[0].kind, annoqa_core::model::ControlKind::AudioSegments { transcript: true });
}
