// ---------------------------------------------------------------------------------------------
// annoqa's TypeScript declarations, written by hand (crates/annoqa-wasm/src/annoqa.d.ts).
// Keys are annoqa's JSON names (snake_case), the same as in spec files, the server's API and
// the CLI's --json output; docs/formats.md describes every field.

/** What an annotation of one item consists of. */
export interface Spec {
  media: MediaKind;
  controls: Control[];
  /** Gold score (0–1) at or above which a gold item counts as passed; 0.8 when missing. */
  pass_threshold?: number;
  rules?: Rule[];
  reveal?: "score_only" | "hints" | "full_diff";
  limits?: Partial<Limits>;
}

export type MediaKind = "text" | "image" | "audio" | "video";

/** Upper bounds on one annotation, checked before validation. */
export interface Limits {
  regions: number;
  polygon_points: number;
  track_keyframes: number;
  transcript_chars: number;
}

export type ControlKind =
  | { type: "choice"; multiple?: boolean }
  | { type: "text_spans"; overlap?: "allowed" | "same_label_forbidden" | "all_forbidden" }
  | { type: "b_box" }
  | { type: "polygon" }
  | { type: "keypoint" }
  | { type: "audio_segments"; transcript?: boolean }
  | { type: "video_boxes" }
  | { type: "video_tracks" }
  | { type: "video_segments" }
  | { type: "pairwise"; allow_tie?: boolean; rationale_required?: boolean }
  | { type: "text_area" }
  | { type: "ranker"; buckets?: string[] };

/** One question the annotator answers about an item. */
export type Control = ControlKind & {
  name: string;
  prompt?: string;
  labels?: Label[];
  required?: boolean;
  guideline?: string;
  tolerance?: Tolerance;
  normalization?: Normalization;
  costs?: { expected: string; got: string; cost: number }[];
};

export interface Label {
  value: string;
  hotkey?: string;
  color?: string;
  guideline?: string;
  min_iou?: number;
  kappa?: number;
}

/** How far from gold an answer may be and still count as matched. */
export interface Tolerance {
  span_min_overlap?: number;
  span_boundary_chars?: number;
  min_iou?: number;
  min_oks?: number;
  keypoint_area?: number;
  collar_ms?: number;
  offset_length_ratio?: number;
  max_wer?: number;
  min_temporal_iou?: number;
}

/** How transcripts are normalised before WER/CER; unset fields are true (`fillers`: none). */
export interface Normalization {
  lowercase?: boolean;
  strip_punctuation?: boolean;
  collapse_whitespace?: boolean;
  /** Whole words to drop, e.g. "uh", "um". */
  fillers?: string[];
}

interface RuleCommon {
  severity?: Severity;
  message?: string;
  guideline?: string;
}

/** A declarative consistency rule (docs/formats.md, "Rules"). */
export type Rule = RuleCommon &
  (
    | { rule: "count"; control: string; label?: string; min?: number; max?: number }
    | { rule: "required_attribute"; control: string; label?: string; attribute: string; allowed?: string[] }
    | {
        rule: "conditional";
        when_control: string;
        when_label: string;
        then_control: string;
        then: "required" | "forbidden" | "empty";
      }
    | {
        rule: "min_size";
        control: string;
        label?: string;
        min_width?: number;
        min_height?: number;
        min_area?: number;
      }
    | { rule: "no_duplicates"; control: string; min_iou?: number }
    | { rule: "no_overlap"; control: string; scope?: "same_label" | "any"; max_iou?: number }
    | { rule: "token_boundaries"; control: string }
    | { rule: "segment_length"; control: string; label?: string; min?: number; max?: number }
    | {
        rule: "transcript";
        control: string;
        required?: boolean;
        charset?: string;
        pattern?: string;
        max_length?: number;
      }
    | { rule: "track_continuity"; control: string; max_gap_frames: number }
  );

/** One unit of work: what the annotator looks at. */
export interface Item {
  id: string;
  media: Media;
  /** The two candidates of a pairwise preference task. */
  candidates?: Media[];
}

export type Media =
  | { type: "text"; text: string }
  | { type: "image"; src: string; width: number; height: number }
  | { type: "audio"; src: string; duration: number; sample_rate?: number; channels?: number }
  | { type: "video"; src: string; width: number; height: number; frame_rate: number; frame_count: number };

export interface Keyframe {
  frame: number;
  x: number;
  y: number;
  width: number;
  height: number;
  rotation?: number;
  outside?: boolean;
}

/** Geometry and label of a region. Pixels of the media, seconds, or text offsets in Unicode
 * scalar values (half-open `[start, end)`). */
export type RegionValue =
  | { type: "choice"; labels: string[] }
  | { type: "text_span"; start: number; end: number; label: string }
  | { type: "b_box"; x: number; y: number; width: number; height: number; rotation?: number; label: string }
  | { type: "polygon"; points: [number, number][]; label: string }
  | { type: "keypoint"; x: number; y: number; label: string }
  | { type: "audio_segment"; start: number; end: number; label: string; transcript?: string }
  | {
      type: "video_box";
      frame: number;
      x: number;
      y: number;
      width: number;
      height: number;
      rotation?: number;
      label: string;
    }
  | { type: "video_track"; label: string; keyframes: Keyframe[] }
  | { type: "video_segment"; start_frame: number; end_frame: number; label: string }
  | { type: "pairwise"; choice: "A" | "B" | "Tie"; rationale?: string }
  | { type: "text_area"; text: string[] }
  | { type: "ranking"; order?: string[]; buckets?: Record<string, string[]> };

/** One answer to one control. */
export type Region = RegionValue & {
  /** Unique within an annotation; findings and verdicts point at regions by id. */
  id: string;
  control: string;
  attributes?: Record<string, string>;
};

/** A known answer for an item. */
export interface Gold {
  mode: "training" | "honeypot";
  answer: Region[];
  /** Per-control tolerance overrides, keyed by control name. */
  tolerance?: Record<string, Tolerance>;
  explanation?: string;
  guideline?: string;
}

export type Severity = "error" | "warning";

/** One problem with an annotation. */
export interface Finding {
  severity: Severity;
  /** Stable machine name of the rule, e.g. `span_whitespace_edge`. */
  code: string;
  message: string;
  control?: string;
  regions?: string[];
  guideline?: string;
}

export type Direction =
  | "starts_too_early"
  | "starts_too_late"
  | "ends_too_early"
  | "ends_too_late"
  | "too_small"
  | "too_large"
  | "shifted";

export interface Offsets {
  start: number;
  end: number;
  unit: "chars" | "ms" | "frames";
}

export type Verdict =
  | { verdict: "matched"; offsets?: Offsets }
  | { verdict: "missed" }
  | { verdict: "extra" }
  | { verdict: "wrong_label"; expected?: string; got: string }
  | { verdict: "boundary_off"; offsets?: Offsets; overlap?: number; directions?: Direction[] }
  | { verdict: "low_overlap"; overlap?: number; directions?: Direction[] }
  | { verdict: "transcript_off"; wer?: number; cer?: number };

/** The verdict on an annotated region, a gold region, or a pair of them. */
export type RegionVerdict = Verdict & {
  control: string;
  region?: string;
  gold_region?: string;
};

export interface ControlScore {
  control: string;
  score: number;
  /** Kind-specific measures behind the score, e.g. `event_f1`, `wer`, `mota`, `idf1`. */
  metrics?: Record<string, number>;
}

export interface Feedback {
  message: string;
  hint?: string;
  guideline?: string;
}

/** The result of checking one annotation against gold. */
export interface GoldReport {
  passed: boolean;
  /** 0–1: the mean of the scored controls' scores. */
  score: number;
  pass_threshold: number;
  controls: ControlScore[];
  verdicts: RegionVerdict[];
  explanation?: { text: string; guideline?: string };
  feedback: Feedback[];
}

/** One row of a long table: an annotator's label for an item; `null`, missing or `""` is no
 * label. Numbers are taken as their decimal text. */
export interface TableRow {
  item: string | number;
  annotator: string | number;
  label?: string | number | null;
}

export type Metric = "percent" | "cohen" | "scott" | "fleiss" | "krippendorff" | "gwet" | "bp";

export interface AgreementOptions {
  metric: Metric;
  /** Krippendorff's α only; ordinal, interval and ratio need numeric labels (or `labels`). */
  level?: "nominal" | "ordinal" | "interval" | "ratio";
  /** Partial credit for near-misses between ordered labels (not for Krippendorff's α). */
  weights?: "linear" | "quadratic";
  /** The labels in order, for ordered labels that are not numbers. */
  labels?: string[];
  /** Also each label's agreement against all others (Fleiss' κ, one-vs-rest). */
  per_label?: boolean;
  /** Bootstrap resamples for an interval of Krippendorff's α; 0 (the default) for none. */
  bootstrap?: number;
  /** Confidence level of the bootstrap interval; 0.95 by default. */
  confidence?: number;
  /** Seed of the bootstrap; 1 by default. */
  seed?: number;
}

/** What `annoqa agreement --json` prints. */
export interface AgreementReport {
  metric: Metric;
  items: number;
  annotators: number;
  labels: string[];
  value: number | null;
  observed?: number;
  chance?: number;
  level?: "nominal" | "ordinal" | "interval" | "ratio";
  observed_disagreement?: number;
  expected_disagreement?: number;
  pairable_values?: number;
  interval?: {
    confidence: number;
    low: number;
    high: number;
    resamples: number;
    seed: number;
    "p_below_0.667": number;
    "p_below_0.8": number;
  };
  weights?: "linear" | "quadratic";
  aggregate?: "mean of pairs";
  pairs?: { a: string; b: string; value: number | null; items: number }[];
  per_label?: { label: string; value: number | null }[];
}

export type AggregateMethod = "mv" | "ds" | "one-coin-ds";

export interface AggregateOptions {
  /** Majority vote, Dawid–Skene (the default) or one-coin Dawid–Skene. */
  method?: AggregateMethod;
  /** Known answers: their labels are fixed, and they anchor the annotators' error rates. */
  gold?: { item: string | number; label: string | number }[];
  /** Majority vote's tie policy; "first" by default. */
  ties?: "first" | "random" | "none";
  /** Seed for `ties: "random"`; 1 by default. */
  seed?: number;
  /** Dawid–Skene stops when the evidence lower bound per answer rises by less; 1e-5. */
  tolerance?: number;
  /** Dawid–Skene's iteration cap; 100. */
  max_iterations?: number;
  /** Pseudo-count added to every confusion-matrix cell; 0. */
  smoothing?: number;
  /** Smallest expected count of a confusion-matrix cell; 1e-10. */
  floor?: number;
}

/** What `annoqa aggregate --json` prints, plus its notes. */
export interface AggregateReport {
  method: AggregateMethod;
  items: number;
  annotators: number;
  labels: string[];
  priors: number[];
  results: { item: string; label: string | null; confidence: number | null; posterior: number[] }[];
  iterations?: number;
  converged?: boolean;
  log_likelihood?: number;
  confusion_rows?: "true label";
  confusion_columns?: "given label";
  /** Per annotator: `[true label][given label]` probabilities, labels in `labels` order. */
  confusion?: Record<string, number[][]>;
  /** Gold items without answers, Dawid–Skene stopped before converging. */
  notes: string[];
}

/** The options of `annoqa peaks`. */
export interface PeaksOptions {
  /** Samples per pixel (audiowaveform's `--zoom`), at least 2; 256 by default. */
  zoom?: number;
  /** Pixels per second instead of a zoom. */
  pixels_per_second?: number;
  /** Bits per value: 8 or 16 (the default). */
  bits?: 8 | 16;
  /** One waveform per channel instead of the channels mixed down to one. */
  split_channels?: boolean;
}

/** audiowaveform's JSON format, version 2: min/max per pixel per channel, interleaved. */
export interface Waveform {
  version: 2;
  channels: number;
  sample_rate: number;
  samples_per_pixel: number;
  bits: 8 | 16;
  length: number;
  data: number[];
}

/** Everything inconsistent about `regions` as an answer to `item` under `spec`.
 * @throws Error naming the argument and field when an input is malformed, or when the
 * regions exceed the spec's limits. */
export function validate(spec: Spec, item: Item, regions: Region[]): Finding[];

/** How far `regions` are from `gold`, region by region. @throws Error as `validate`. */
export function score(spec: Spec, item: Item, gold: Gold, regions: Region[]): GoldReport;

/** An agreement coefficient over a long table. @throws Error naming the row or option. */
export function agreement(table: TableRow[], options: AgreementOptions): AgreementReport;

/** The consensus label of every item of a long table. @throws Error naming the row or option. */
export function aggregate(table: TableRow[], options?: AggregateOptions): AggregateReport;

/** Waveform peaks of a WAV file's bytes (a Node `Buffer` is a `Uint8Array`).
 * @throws Error when the bytes are not a WAV file annoqa reads. */
export function peaks(wav: Uint8Array | ArrayBuffer, options?: PeaksOptions): Waveform;

/** Waveform peaks of a WAV file's bytes as audiowaveform's binary `.dat` file. */
export function peaksDat(wav: Uint8Array | ArrayBuffer, options?: PeaksOptions): Uint8Array;

/** One annotator's (or one model's) regions for one item, as `annoqa convert --to annoqa`
 * writes them. */
export interface AnnotationRecord {
  item: Item;
  /** An annotator's name or id (Label Studio's `completed_by`), or a prediction's model version. */
  annotator: string;
  source: "annotation" | "prediction";
  regions: Region[];
  /** A prediction's overall confidence. */
  score?: number;
}

/** What a conversion could not represent, by kind and reason, and in which tasks. */
export interface ConversionDiagnostic {
  kind: string;
  reason: string;
  count: number;
  tasks: string[];
}

export interface FromLabelStudioOptions {
  /** The size of every image or video frame, for results without `original_width/height`. */
  media_size?: { width: number; height: number };
}

/** Label Studio JSON as annoqa reads it. */
export interface FromLabelStudioResult {
  /** The labeling config's spec; without a config, the spec derived from the results. */
  spec: Spec | null;
  records: AnnotationRecord[];
  diagnostics: ConversionDiagnostic[];
}

/** A Label Studio task: `data`, and `annotations` or `predictions` with their `result` lists
 * (labelstud.io's "Label Studio JSON format"). */
export interface LabelStudioTask {
  id?: number | string;
  data: Record<string, unknown>;
  annotations?: { id?: number; completed_by?: number; result: Record<string, unknown>[] }[];
  predictions?: { model_version?: string; score?: number; result: Record<string, unknown>[] }[];
  [key: string]: unknown;
}

export interface ToLabelStudioResult {
  /** The tasks, one per item, as Label Studio imports them. */
  tasks: LabelStudioTask[];
  /** The labeling config (XML) the tasks fit. */
  config: string;
  diagnostics: ConversionDiagnostic[];
}

/** annoqa records and spec of Label Studio JSON: one task, a task list (an export), a webhook
 * payload or an ML backend's prediction list, read with the labeling config `config` (XML
 * text) when given. Percentages become pixels (docs/interop.md, "Label Studio").
 * @throws Error naming the JSON path (`task: $.annotations[0].result[1].value.x: …`) or the
 * config element that is malformed. */
export function fromLabelStudio(
  config: string | null | undefined,
  task: LabelStudioTask | LabelStudioTask[] | Record<string, unknown> | Record<string, unknown>[],
  options?: FromLabelStudioOptions,
): FromLabelStudioResult;

/** Label Studio tasks holding `records`. `spec` is an annoqa spec, a Label Studio labeling
 * config (XML text, whose names, data keys and per-region controls are kept) or `null` (the
 * spec is derived from the records). */
export function toLabelStudio(spec: Spec | string | null, records: AnnotationRecord[]): ToLabelStudioResult;
