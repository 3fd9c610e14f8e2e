// The browser entry of the `annoqa` package (and of any ES module loader that is not Node):
// fetches and instantiates the WebAssembly module next to this file before anything is
// exported, so `import { validate } from "annoqa"` is ready to call, as in Node.
import init from "./annoqa.js";

await init({ module_or_path: new URL("./annoqa_bg.wasm", import.meta.url) });

export * from "./annoqa.js";
