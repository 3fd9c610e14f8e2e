// A small static file server on 127.0.0.1 for the browser tests and the example page:
//   /pkg/…      the built package (node_modules/annoqa here, linked by `cargo xtask npm`)
//   /example/…  crates/annoqa-wasm/example
//   /…          this folder (page.html, cases.js)
// and `POST /results`, where the test page sends its report.
//
// Run it by hand to try the example page: `node crates/annoqa-wasm/js-tests/serve.js [port]`,
// then open http://127.0.0.1:8000/example/ (port 8000 by default).

import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
};

/** The folder of the built package, found as Node resolves `annoqa` from here. */
export function packageDir() {
  return dirname(fileURLToPath(import.meta.resolve("annoqa")));
}

/** `url_path` under `root`, or null when it would leave `root`. */
function inside(root, urlPath) {
  const file = normalize(join(root, decodeURIComponent(urlPath)));
  return file === root || file.startsWith(root + sep) ? file : null;
}

function fileFor(urlPath) {
  const routes = [
    ["/pkg/", packageDir()],
    ["/example/", join(HERE, "..", "example")],
    ["/", HERE],
  ];
  for (const [prefix, root] of routes) {
    if (urlPath.startsWith(prefix)) {
      const rest = urlPath.slice(prefix.length);
      return inside(normalize(root), rest === "" || rest.endsWith("/") ? rest + "index.html" : rest);
    }
  }
  return null;
}

async function sendFile(response, file) {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error("not a file");
    const body = await readFile(file);
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    response.end(body);
  } catch {
    response.writeHead(404, { "content-type": "text/plain" });
    response.end("not found\n");
  }
}

/**
 * Starts the server on `port` (0: any free port). Resolves to `{ url, close, results }`, where
 * `results` is a promise of the first report POSTed to /results.
 */
export function serve(port = 0) {
  let deliver;
  const results = new Promise((resolve) => (deliver = resolve));
  const server = createServer((request, response) => {
    const url = new URL(request.url, "http://127.0.0.1");
    if (request.method === "POST" && url.pathname === "/results") {
      const chunks = [];
      request.on("data", (chunk) => chunks.push(chunk));
      request.on("end", () => {
        response.writeHead(204);
        response.end();
        try {
          deliver(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch (err) {
          deliver({ loadError: `the page sent a report that is not JSON: ${err}`, results: [] });
        }
      });
      return;
    }
    const file = request.method === "GET" ? fileFor(url.pathname) : null;
    if (file === null) {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("not found\n");
      return;
    }
    sendFile(response, file);
  });
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address();
      resolve({
        url: `http://127.0.0.1:${bound}`,
        results,
        close: () =>
          new Promise((done) => {
            server.close(done);
            // Browsers keep connections alive; without this, close waits for them.
            server.closeAllConnections();
          }),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const port = Number(process.argv[2] ?? 8000);
  const { url } = await serve(port);
  console.log(`serving on ${url}: the example page is ${url}/example/, the browser tests ${url}/page.html`);
}
