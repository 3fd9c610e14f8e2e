// The cases of cases.js in Node, through the package's "node" entry (`cargo xtask npm` links
// the built package as node_modules/annoqa here).
import { test } from "node:test";
import * as annoqa from "annoqa";
import { cases } from "./cases.js";

for (const c of cases) {
  test(c.name, () => c.run(annoqa));
}
