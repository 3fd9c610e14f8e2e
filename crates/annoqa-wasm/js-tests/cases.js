// The npm module's test cases, run twice with the same code: in Node (`node.test.mjs`, through
// the package's "node" entry) and in headless Chromium (`chromium.test.mjs` opens `page.html`,
// which loads the package's browser entry). Each case takes the module and throws on failure;
// the small assertions below work in both places (Node's `assert` does not exist in a page).

// ---------------------------------------------------------------------------------------------
// Assertions

function fail(message) {
  throw new Error(message);
}

function show(value) {
  return JSON.stringify(value);
}

function equal(got, want, what) {
  if (got !== want) fail(`${what}: got ${show(got)}, want ${show(want)}`);
}

function close(got, want, tolerance, what) {
  if (typeof got !== "number" || !(Math.abs(got - want) <= tolerance)) {
    fail(`${what}: got ${show(got)}, want ${want} ± ${tolerance}`);
  }
}

function deepEqual(got, want, what) {
  if (show(got) !== show(want)) fail(`${what}: got ${show(got)}, want ${show(want)}`);
}

/** Runs `f`, which must throw an `Error` whose message matches `pattern`; returns the message. */
function throwsError(f, pattern, what) {
  let thrown;
  try {
    f();
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) fail(`${what}: did not throw`);
  if (!(thrown instanceof Error)) fail(`${what}: threw ${show(thrown)}, not an Error`);
  if (!pattern.test(thrown.message)) fail(`${what}: message ${show(thrown.message)} does not match ${pattern}`);
  return thrown.message;
}

// ---------------------------------------------------------------------------------------------
// Data

/** The news-entities demo's spec (static/demo/news-entities/project.json), trimmed. */
const NEWS_SPEC = {
  media: "text",
  pass_threshold: 0.8,
  controls: [
    {
      name: "entities",
      type: "text_spans",
      overlap: "all_forbidden",
      guideline: "entities",
      tolerance: { span_boundary_chars: 1 },
      labels: [{ value: "PERSON" }, { value: "ORG" }, { value: "PLACE" }],
    },
    {
      name: "sentiment",
      prompt: "Overall tone of the sentence",
      type: "choice",
      required: true,
      labels: [{ value: "positive" }, { value: "neutral" }, { value: "negative" }],
    },
  ],
};

const NEWS_ITEM = {
  id: "s01",
  media: {
    type: "text",
    text: "Maria Costa opened a free community library in Porto on Saturday, and hundreds of children turned up on the first day.",
  },
};

const NEWS_GOLD = {
  mode: "training",
  answer: [
    { id: "g1", control: "entities", type: "text_span", start: 0, end: 11, label: "PERSON" },
    { id: "g2", control: "entities", type: "text_span", start: 47, end: 52, label: "PLACE" },
    { id: "g9", control: "sentiment", type: "choice", labels: ["positive"] },
  ],
  explanation: "Maria Costa is a named person and Porto is a city.",
};

/** Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: observers
 * A–D × 12 units, values 1–5, 0 for a missing value (the same rows as annoqa-stats'
 * `KRIPPENDORFF_2011` test data). */
const KRIPPENDORFF_2011 = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3],
  [0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0],
];

function krippendorffTable() {
  const rows = [];
  KRIPPENDORFF_2011.forEach((values, observer) => {
    values.forEach((value, unit) => {
      rows.push({ item: `u${unit + 1}`, annotator: "ABCD"[observer], label: value === 0 ? null : value });
    });
  });
  return rows;
}

/** Dawid & Skene (1979), Table 1: per patient, observer 1's three answers, then observers 2–5
 * (the same rows as annoqa-stats' `ANAESTHETISTS` test data). */
const ANAESTHETISTS = [
  [1, 1, 1, 1, 1, 1, 1], [3, 3, 3, 4, 3, 3, 4], [1, 1, 2, 2, 1, 2, 2], [2, 2, 2, 3, 1, 2, 1],
  [2, 2, 2, 3, 2, 2, 2], [2, 2, 2, 3, 3, 2, 2], [1, 2, 2, 2, 1, 1, 1], [3, 3, 3, 3, 4, 3, 3],
  [2, 2, 2, 2, 2, 2, 3], [2, 3, 2, 2, 2, 2, 3], [4, 4, 4, 4, 4, 4, 4], [2, 2, 2, 3, 3, 4, 3],
  [1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 3, 2, 1, 2], [1, 2, 1, 1, 1, 1, 1], [1, 1, 1, 2, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2, 1], [2, 2, 2, 1, 3, 2, 2],
  [2, 2, 2, 2, 2, 2, 2], [2, 2, 2, 2, 2, 2, 1], [2, 2, 2, 3, 2, 2, 2], [2, 2, 1, 2, 2, 2, 2],
  [1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1], [2, 3, 2, 2, 2, 2, 2], [1, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 1], [1, 1, 2, 1, 1, 2, 1], [1, 1, 1, 1, 1, 1, 1], [3, 3, 3, 3, 2, 3, 3],
  [1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2, 2], [2, 2, 2, 3, 2, 3, 2], [4, 3, 3, 4, 3, 4, 3],
  [2, 2, 1, 2, 2, 3, 2], [2, 3, 2, 3, 2, 3, 3], [3, 3, 3, 3, 4, 3, 2], [1, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 1], [1, 2, 1, 2, 1, 1, 1], [2, 3, 2, 2, 2, 2, 2], [1, 2, 1, 1, 1, 1, 1],
  [2, 2, 2, 2, 2, 2, 2],
];

function anaesthetistTable() {
  const observers = [1, 1, 1, 2, 3, 4, 5];
  const rows = [];
  ANAESTHETISTS.forEach((answers, patient) => {
    answers.forEach((label, i) => rows.push({ item: `p${patient + 1}`, annotator: `o${observers[i]}`, label }));
  });
  return rows;
}

/** A mono 16-bit PCM WAV file of `samples` at `sampleRate`, built byte by byte. */
function wavFile(samples, sampleRate, channels = 1) {
  const dataBytes = samples.length * 2;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (offset, text) => [...text].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  samples.forEach((s, i) => view.setInt16(44 + 2 * i, s, true));
  return bytes;
}

/** A Label Studio labeling config: boxes on an image and a required whole-image choice. */
const LS_CONFIG = `<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="objects" toName="image">
    <Label value="car"/>
    <Label value="person"/>
  </RectangleLabels>
  <Choices name="weather" toName="image" required="true">
    <Choice value="sunny"/>
    <Choice value="rainy"/>
  </Choices>
</View>`;

/** A Label Studio task as its frontend stores it: box geometry in percent of the image. */
const LS_TASK = {
  id: 7,
  data: { image: "/data/street.jpg" },
  annotations: [
    {
      id: 1,
      completed_by: 3,
      result: [
        {
          id: "a1", from_name: "objects", to_name: "image", type: "rectanglelabels",
          original_width: 800, original_height: 600, image_rotation: 0,
          value: { x: 10, y: 20, width: 25, height: 50, rotation: 0, rectanglelabels: ["car"] },
        },
        {
          id: "a2", from_name: "objects", to_name: "image", type: "rectanglelabels",
          original_width: 800, original_height: 600, image_rotation: 0,
          value: { x: 95, y: 90, width: 10, height: 5, rotation: 0, rectanglelabels: ["person"] },
        },
      ],
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// Cases

export const cases = [
  {
    name: "validate: a span with white space at its edge and a missing required answer",
    run(annoqa) {
      const regions = [{ id: "r1", control: "entities", type: "text_span", start: 0, end: 12, label: "PERSON" }];
      const findings = annoqa.validate(NEWS_SPEC, NEWS_ITEM, regions);
      const edge = findings.find((f) => f.code === "span_whitespace_edge");
      if (!edge) fail(`no span_whitespace_edge finding in ${show(findings)}`);
      equal(edge.severity, "error", "severity");
      deepEqual(edge.regions, ["r1"], "regions of the finding");
      equal(edge.control, "entities", "control of the finding");
      equal(edge.guideline, "entities", "guideline of the finding");
      const required = findings.find((f) => f.code === "required");
      if (!required) fail(`no required finding in ${show(findings)}`);
      equal(required.message, "answer required: Overall tone of the sentence", "message");
      // The corrected answer is clean.
      const fixed = [
        { id: "r1", control: "entities", type: "text_span", start: 0, end: 11, label: "PERSON" },
        { id: "r2", control: "sentiment", type: "choice", labels: ["positive"] },
      ];
      deepEqual(annoqa.validate(NEWS_SPEC, NEWS_ITEM, fixed), [], "findings of the corrected answer");
    },
  },
  {
    name: "score: a wrong label against gold, then the gold answer itself",
    run(annoqa) {
      const regions = [
        { id: "r1", control: "entities", type: "text_span", start: 0, end: 11, label: "PERSON" },
        { id: "r2", control: "entities", type: "text_span", start: 47, end: 52, label: "ORG" },
        { id: "r3", control: "sentiment", type: "choice", labels: ["positive"] },
      ];
      const report = annoqa.score(NEWS_SPEC, NEWS_ITEM, NEWS_GOLD, regions);
      const wrong = report.verdicts.find((v) => v.verdict === "wrong_label");
      if (!wrong) fail(`no wrong_label verdict in ${show(report.verdicts)}`);
      equal(wrong.region, "r2", "region");
      equal(wrong.gold_region, "g2", "gold region");
      equal(wrong.expected, "PLACE", "expected label");
      equal(wrong.got, "ORG", "given label");
      if (!(report.score < 1)) fail(`score ${report.score} should be below 1`);
      equal(report.pass_threshold, 0.8, "pass threshold");
      equal(report.explanation.text, NEWS_GOLD.explanation, "explanation");
      const perfect = annoqa.score(NEWS_SPEC, NEWS_ITEM, NEWS_GOLD, NEWS_GOLD.answer);
      equal(perfect.score, 1, "score of gold itself");
      equal(perfect.passed, true, "gold itself passes");
    },
  },
  {
    name: "agreement: Krippendorff's 2011 example, nominal α = 0.743",
    run(annoqa) {
      const report = annoqa.agreement(krippendorffTable(), { metric: "krippendorff" });
      // Published: .743; R irrCAC prints 0.74342 for the same data.
      close(report.value, 0.743, 0.0005, "α as published");
      close(report.value, 0.74342, 5e-6, "α as irrCAC");
      equal(report.level, "nominal", "level");
      equal(report.pairable_values, 40, "pairable values");
      equal(report.items, 12, "items");
      equal(report.annotators, 4, "annotators");
      const interval = annoqa.agreement(krippendorffTable(), { metric: "krippendorff", level: "interval" });
      close(interval.value, 0.849, 0.0005, "interval α as published");
      const fleiss = annoqa.agreement(krippendorffTable(), { metric: "fleiss" });
      close(fleiss.value, 0.76117, 5e-6, "Fleiss' κ as irrCAC");
    },
  },
  {
    name: "agreement: Cohen's κ of two annotators is 0.4 on the textbook 2×2 table",
    run(annoqa) {
      // 50 items: both yes 20, A yes B no 5, A no B yes 10, both no 15; po = 0.7, pe = 0.5.
      const cells = [["yes", "yes", 20], ["yes", "no", 5], ["no", "yes", 10], ["no", "no", 15]];
      const table = [];
      let item = 0;
      for (const [a, b, n] of cells) {
        for (let i = 0; i < n; i++, item++) {
          table.push({ item, annotator: "A", label: a }, { item, annotator: "B", label: b });
        }
      }
      const report = annoqa.agreement(table, { metric: "cohen" });
      close(report.value, 0.4, 1e-12, "κ");
      close(report.observed, 0.7, 1e-12, "observed agreement");
      close(report.chance, 0.5, 1e-12, "chance agreement");
      deepEqual(report.pairs, [{ a: "A", b: "B", value: report.value, items: 50 }], "pairs");
    },
  },
  {
    name: "aggregate: Dawid–Skene on Dawid & Skene's (1979) anaesthetists",
    run(annoqa) {
      const report = annoqa.aggregate(anaesthetistTable(), { method: "ds" });
      // Table 4 of the paper: the estimated class of every patient.
      const labels = report.results.map((r) => r.label).join("");
      equal(labels, "142222132243121111222222112111131224233111212", "classes");
      equal(report.converged, true, "converged");
      const patient7 = report.results[6];
      equal(patient7.item, "p7", "item name");
      close(patient7.confidence, 0.98, 0.01, "patient 7's probability of class 1");
      const one = report.labels.indexOf("1");
      close(report.confusion.o1[one][one], 0.89, 0.01, "observer 1 answers 1 when it is 1");
      const vote = annoqa.aggregate(anaesthetistTable(), { method: "mv" });
      equal(vote.method, "mv", "method");
      equal(vote.results[0].label, "1", "majority vote of patient 1");
      equal(vote.confusion, undefined, "majority vote has no confusion matrices");
    },
  },
  {
    name: "peaks: min and max per pixel of a generated WAV, JSON and .dat",
    run(annoqa) {
      // 1000 samples at 8 kHz: a sawtooth from -5000 to 4900 every 100 samples.
      const samples = Array.from({ length: 1000 }, (_, i) => (i % 100) * 100 - 5000);
      const wav = wavFile(samples, 8000);
      const waveform = annoqa.peaks(wav, { zoom: 100 });
      equal(waveform.version, 2, "version");
      equal(waveform.channels, 1, "channels");
      equal(waveform.sample_rate, 8000, "sample rate");
      equal(waveform.samples_per_pixel, 100, "samples per pixel");
      equal(waveform.bits, 16, "bits");
      equal(waveform.length, 10, "pixels");
      deepEqual(waveform.data.slice(0, 4), [-5000, 4900, -5000, 4900], "first two pixels");
      // 8 bits: divided by 256, truncated toward zero as audiowaveform does.
      const eight = annoqa.peaks(wav, { pixels_per_second: 16, bits: 8 });
      equal(eight.samples_per_pixel, 500, "8000 Hz / 16 pixels per second");
      deepEqual(eight.data, [-19, 19, -19, 19], "8-bit peaks");
      // The same bytes as an ArrayBuffer, as `fetch(…).arrayBuffer()` gives them.
      deepEqual(annoqa.peaks(wav.buffer, { zoom: 100 }).data, waveform.data, "peaks of an ArrayBuffer");
      const dat = annoqa.peaksDat(wav, { zoom: 100 });
      if (!(dat instanceof Uint8Array)) fail(".dat is not a Uint8Array");
      const view = new DataView(dat.buffer, dat.byteOffset, dat.byteLength);
      equal(view.getUint32(0, true), 1, ".dat version (one channel)");
      equal(view.getUint32(12, true), 100, ".dat samples per pixel");
      equal(view.getUint32(16, true), 10, ".dat length");
      equal(dat.byteLength, 20 + 10 * 2 * 2, ".dat size");
      equal(view.getInt16(20, true), -5000, ".dat first min");
    },
  },
  {
    name: "Label Studio: a task's results become regions in pixels, are validated, and go back",
    run(annoqa) {
      const converted = annoqa.fromLabelStudio(LS_CONFIG, LS_TASK);
      equal(converted.spec.media, "image", "media kind of the config");
      deepEqual(converted.spec.controls.map((c) => [c.name, c.type]), [["objects", "b_box"], ["weather", "choice"]], "controls");
      equal(converted.records.length, 1, "records");
      const [record] = converted.records;
      equal(record.source, "annotation", "source");
      equal(record.annotator, "3", "annotator (completed_by)");
      deepEqual(record.item.media, { type: "image", src: "/data/street.jpg", width: 800, height: 600 }, "media");
      // 10 % of 800 px and so on (docs/interop.md, ambiguity 1).
      const car = record.regions.find((r) => r.id === "a1");
      deepEqual([car.type, car.x, car.y, car.width, car.height, car.label], ["b_box", 80, 120, 200, 300, "car"], "the car box");
      deepEqual(converted.diagnostics, [], "nothing unrepresentable");
      // The live check a Label Studio front end wants: the person box leaves the frame, and
      // the required weather answer is missing.
      const findings = annoqa.validate(converted.spec, record.item, record.regions);
      deepEqual(findings.map((f) => f.code).sort(), ["outside_media", "required"], "findings");
      deepEqual(findings.find((f) => f.code === "outside_media").regions, ["a2"], "the box outside");
      // And back: the same config, percentages again.
      const back = annoqa.toLabelStudio(LS_CONFIG, converted.records);
      equal(back.config, LS_CONFIG, "config kept");
      equal(back.tasks.length, 1, "tasks");
      const result = back.tasks[0].annotations[0].result.find((r) => r.id === "a1");
      equal(result.from_name, "objects", "from_name");
      close(result.value.x, 10, 1e-9, "x in percent");
      close(result.value.height, 50, 1e-9, "height in percent");
      deepEqual(result.value.rectanglelabels, ["car"], "labels");
      // Without a config, a spec's own config is written.
      const own = annoqa.toLabelStudio(converted.spec, converted.records);
      if (!own.config.includes("<RectangleLabels")) fail(`no RectangleLabels in ${own.config}`);
      throwsError(
        () => annoqa.fromLabelStudio("<View><Labels></View>", LS_TASK),
        /^config: line 1: malformed XML: .*`<\/Labels>`/,
        "a malformed config",
      );
      const broken = { ...LS_TASK, annotations: [{ result: [{ ...LS_TASK.annotations[0].result[0], value: { x: "left" } }] }] };
      throwsError(() => annoqa.fromLabelStudio(LS_CONFIG, broken), /^task: \$\.annotations\[0\]\.result\[0\]/, "a malformed result");
    },
  },
  {
    name: "errors: bad input throws an Error naming what is wrong, and the module keeps working",
    run(annoqa) {
      const noMedia = { controls: [] };
      throwsError(() => annoqa.validate(noMedia, NEWS_ITEM, []), /^spec: missing field `media`/, "spec without media");
      throwsError(
        () => annoqa.validate(NEWS_SPEC, NEWS_ITEM, [{ id: "r1", control: "entities", type: "text_span", start: "zero" }]),
        /^regions\[0\]: invalid type: string "zero", expected usize$/,
        "a region with a string offset",
      );
      throwsError(() => annoqa.validate(NEWS_SPEC, NEWS_ITEM, "not a list"), /^regions: /, "regions not a list");
      throwsError(
        () => annoqa.agreement(krippendorffTable(), { metric: "kappa" }),
        /^options\.metric: unknown variant `kappa`/,
        "an unknown metric",
      );
      throwsError(
        () => annoqa.agreement([{ item: "u1", annotator: "A", label: "x" }], { metric: "fleiss" }),
        /^table: agreement needs at least two annotators, found 1$/,
        "one annotator",
      );
      // 8200 items × 8200 annotators would be 269 MB of ratings.
      const sparse = Array.from({ length: 8200 }, (_, i) => ({ item: i, annotator: `a${i}`, label: "x" }));
      throwsError(
        () => annoqa.agreement(sparse, { metric: "fleiss" }),
        /^table: 8200 items × 8200 annotators is too large a rating matrix for agreement \(at most 67108864 cells\)$/,
        "a rating matrix too large",
      );
      throwsError(() => annoqa.peaks(new Uint8Array([1, 2, 3, 4]), {}), /^wav: /, "bytes that are not a WAV file");
      throwsError(() => annoqa.peaks("RIFF"), /^wav: expected the bytes of a WAV file as a Uint8Array or an ArrayBuffer$/, "a string");
      throwsError(() => annoqa.peaks(wavFile([0, 1], 8000), { zoom: 1 }), /^wav: .*minimum is 2/, "zoom 1");
      throwsError(() => annoqa.peaks(wavFile([0, 1], 8000), { zoom: 2, colour: "red" }), /^options\.colour: unknown field `colour`, expected one of/, "unknown option");
      const limited = { ...NEWS_SPEC, limits: { regions: 1 } };
      const two = [
        { id: "r1", control: "sentiment", type: "choice", labels: ["positive"] },
        { id: "r2", control: "sentiment", type: "choice", labels: ["neutral"] },
      ];
      throwsError(() => annoqa.validate(limited, NEWS_ITEM, two), /^regions: too large: 2 regions; .*limits\.regions/, "over the limits");
      // After every error above the module still answers.
      deepEqual(annoqa.validate(NEWS_SPEC, NEWS_ITEM, [two[0]]), [], "findings after the errors");
    },
  },
];
