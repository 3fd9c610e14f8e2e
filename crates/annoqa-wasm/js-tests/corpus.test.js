// Label Studio's own frontend examples (the shared interop corpus, read at test time, never
// copied into the repository) through the npm module, as a front end would use it: each
// example's config and annotation converted, then validated. Skips with a note when the corpus
// is absent. The corpus is `../shared/interop-corpus` beside the workspace root, or
// $ANNOQA_INTEROP_CORPUS.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as annoqa from "annoqa";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CORPUS = process.env.ANNOQA_INTEROP_CORPUS || join(ROOT, "..", "shared", "interop-corpus");
const EXAMPLES = join(CORPUS, "ls-frontend", "examples");

/** What some examples hold, counted by hand from their annotation files: the records' sources
 * (annotations, then predictions), regions read, and the kinds reported as not representable. */
const EXPECTED = {
  // One Date span.
  named_entity: { sources: ["annotation"], regions: 1, reported: [] },
  // One box annotated, and one box in each of two predictions.
  image_bbox: { sources: ["annotation", "prediction", "prediction"], regions: 3, reported: [] },
  // An ellipse (no annoqa region) and the whole-image choice "Space".
  image_ellipses: { sources: ["annotation"], regions: 1, reported: ["ellipselabels"] },
  pairwise: { sources: ["annotation"], regions: 1, reported: [] },
};

if (!existsSync(EXAMPLES)) {
  test("Label Studio frontend examples", (t) => t.skip(`no interop corpus at ${EXAMPLES}`));
} else {
  for (const name of readdirSync(EXAMPLES).sort()) {
    const dir = join(EXAMPLES, name);
    const configFile = join(dir, "config.xml");
    const annotations = join(dir, "annotations");
    if (!existsSync(configFile) || !existsSync(annotations)) continue;
    test(`Label Studio frontend example ${name}: converted and validated`, () => {
      const config = readFileSync(configFile, "utf8");
      for (const file of readdirSync(annotations).filter((f) => f.endsWith(".json"))) {
        const task = JSON.parse(readFileSync(join(annotations, file), "utf8"));
        // Images in these examples carry no pixel size (corpus ambiguity 1): give one.
        const converted = annoqa.fromLabelStudio(config, task, { media_size: { width: 1000, height: 1000 } });
        if (converted.spec === null) throw new Error("no spec from the config");
        for (const record of converted.records) {
          const findings = annoqa.validate(converted.spec, record.item, record.regions);
          if (!Array.isArray(findings)) throw new Error("validate returned no list");
        }
        const expected = EXPECTED[name];
        if (expected) {
          const sources = converted.records.map((r) => r.source);
          if (JSON.stringify(sources) !== JSON.stringify(expected.sources)) {
            throw new Error(`records from ${JSON.stringify(sources)}, expected ${JSON.stringify(expected.sources)}`);
          }
          const regions = converted.records.reduce((n, r) => n + r.regions.length, 0);
          if (regions !== expected.regions) throw new Error(`${regions} regions, expected ${expected.regions}`);
          const reported = converted.diagnostics.map((d) => d.kind).sort();
          if (JSON.stringify(reported) !== JSON.stringify(expected.reported)) {
            throw new Error(`reported ${JSON.stringify(converted.diagnostics)}, expected kinds ${expected.reported}`);
          }
        }
      }
    });
  }
}
