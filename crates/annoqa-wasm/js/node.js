// The Node entry of the `annoqa` package: Node's `fetch` cannot read `file:` URLs, so the
// WebAssembly module is read from disk and instantiated synchronously.
import { readFileSync } from "node:fs";
import { initSync } from "./annoqa.js";

initSync({ module: readFileSync(new URL("./annoqa_bg.wasm", import.meta.url)) });

export * from "./annoqa.js";
