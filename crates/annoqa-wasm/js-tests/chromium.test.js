// The cases of cases.js in headless Chromium: serve.js serves page.html, which loads the
// package's browser entry through an import map, runs every case and POSTs a report back.
// Each case becomes one Node test here, so both runs print the same names.
//
// CHROMIUM names the browser (default /usr/bin/chromium).

import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cases } from "./cases.js";
import { serve } from "./serve.js";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TIMEOUT_MS = 90_000;

const server = await serve();
const profile = await mkdtemp(join(tmpdir(), "annoqa-chromium-"));
const browser = spawn(
  CHROMIUM,
  [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile}`,
    `${server.url}/page.html`,
  ],
  { stdio: ["ignore", "ignore", "pipe"] },
);
let browserLog = "";
browser.stderr.on("data", (chunk) => (browserLog += chunk));
const exited = new Promise((resolve) => {
  browser.on("exit", (code, signal) => resolve(`Chromium exited (${signal ?? code}) before reporting`));
  browser.on("error", (err) => resolve(`cannot start ${CHROMIUM}: ${err.message}`));
});
let timer;
const timedOut = new Promise((resolve) => {
  timer = setTimeout(() => resolve(`no report from Chromium within ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS);
});
const outcome = await Promise.race([server.results, exited, timedOut]);
clearTimeout(timer);

after(async () => {
  browser.kill();
  // Chromium writes to its profile while it shuts down, and its helper processes may still
  // write after the main one exits: remove the profile after that, retrying while it fills.
  await exited;
  await server.close();
  await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const failure = typeof outcome === "string" ? outcome : outcome.loadError;
if (failure) {
  test("the page loads the package in Chromium", () => {
    throw new Error(`${failure}\n--- Chromium's stderr ---\n${browserLog}`);
  });
} else {
  test(`the page ran in ${outcome.userAgent}`, () => {});
  for (const c of cases) {
    test(c.name, () => {
      const result = outcome.results.find((r) => r.name === c.name);
      if (!result) throw new Error("the page did not report this case");
      if (!result.ok) throw new Error(result.error);
    });
  }
}
