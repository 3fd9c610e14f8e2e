// Starts the app from files only: the server's Content-Security-Policy allows no inline
// script, so Trunk's usual inline loader is replaced (Trunk.toml `pattern_script`) by a tag
// that loads this file and names the hashed wasm-bindgen glue and Wasm module.
const tag = document.querySelector("script[data-annoqa-wasm]");
const { default: init } = await import(tag.dataset.annoqaJs);
await init({ module_or_path: tag.dataset.annoqaWasm });
