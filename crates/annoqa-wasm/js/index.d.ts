// Both entries (index.js for browsers, node.js for Node) export the same functions, already
// initialised; their declarations are in annoqa.d.ts.
export * from "./annoqa.js";
