// The package's declarations as a TypeScript user meets them: `tsc --strict` (tsconfig.json
// here) must accept every call below and reject each line marked `@ts-expect-error`, which it
// does only if the inputs and outputs are typed precisely rather than `any`.
import {
  aggregate,
  agreement,
  fromLabelStudio,
  toLabelStudio,
  peaks,
  peaksDat,
  score,
  validate,
  type AgreementReport,
  type Finding,
  type GoldReport,
  type Region,
  type Spec,
  type Item,
} from "annoqa";

const spec: Spec = {
  media: "text",
  controls: [
    { name: "entities", type: "text_spans", labels: [{ value: "PERSON" }] },
    { name: "sentiment", type: "choice", required: true, labels: [{ value: "positive" }] },
  ],
  rules: [{ rule: "count", control: "entities", max: 10, severity: "warning" }],
};
const item: Item = { id: "s01", media: { type: "text", text: "Maria Costa opened a library." } };
const regions: Region[] = [
  { id: "r1", control: "entities", type: "text_span", start: 0, end: 11, label: "PERSON" },
  { id: "r2", control: "sentiment", type: "choice", labels: ["positive"] },
];

const findings: Finding[] = validate(spec, item, regions);
const blocking: boolean = findings.some((f) => f.severity === "error");
const report: GoldReport = score(spec, item, { mode: "training", answer: regions }, regions);
for (const verdict of report.verdicts) {
  if (verdict.verdict === "wrong_label") {
    const got: string = verdict.got;
    console.log(got);
  }
}
const alpha: AgreementReport = agreement([{ item: "u1", annotator: "A", label: 1 }], {
  metric: "krippendorff",
  level: "ordinal",
});
const value: number | null = alpha.value;
const consensus = aggregate([{ item: 1, annotator: "A", label: "cat" }]);
const firstLabel: string | null | undefined = consensus.results[0]?.label;
const waveform = peaks(new Uint8Array(44), { zoom: 256, bits: 8 });
const pixels: number = waveform.length;
const dat: Uint8Array = peaksDat(new Uint8Array(44));
console.log(blocking, value, firstLabel, pixels, dat.byteLength);

const converted = fromLabelStudio("<View/>", { data: { text: "hi" }, annotations: [{ result: [] }] });
for (const record of converted.records) {
  if (converted.spec !== null) validate(converted.spec, record.item, record.regions);
}
const kinds: string[] = converted.diagnostics.map((d) => d.kind);
const back = toLabelStudio(converted.spec, converted.records);
const xml: string = back.config;
const firstTask: Record<string, unknown> = back.tasks[0].data;
console.log(kinds, xml, firstTask);

// @ts-expect-error: a region needs an id
validate(spec, item, [{ control: "entities", type: "text_span", start: 0, end: 1, label: "PERSON" }]);
// @ts-expect-error: a text span has no `labels`
validate(spec, item, [{ id: "r", control: "entities", type: "text_span", labels: ["PERSON"] }]);
// @ts-expect-error: "kappa" is not a metric
agreement([], { metric: "kappa" });
// @ts-expect-error: a spec needs media
validate({ controls: [] }, item, []);
// @ts-expect-error: findings are not numbers
const wrong: number = validate(spec, item, regions)[0].severity;
// @ts-expect-error: bits are 8 or 16
peaks(new Uint8Array(44), { bits: 12 });
// @ts-expect-error: records, not regions
toLabelStudio(spec, regions);
console.log(wrong);
