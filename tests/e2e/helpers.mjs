// Shared by the end-to-end tests: serve dist/ on a free 127.0.0.1 port with Python's static
// server, launch headless Chromium (playwright-core, system binary), open the page with every
// console error, page error, failed request, CSP violation and request recorded, and check
// afterwards that nothing went wrong and nothing left the origin.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(ROOT, 'dist');
export const FIXTURES = path.join(ROOT, 'tests', 'fixtures');
export const SHOTS = path.join(ROOT, 'target', 'e2e');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitForServer(url, child) {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`http.server exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

/**
 * Serves dist/ on a free 127.0.0.1 port; returns { origin, url, close }. With `subPath`
 * (e.g. '/tools/eifscope') dist/ is served under that path of the host instead of at its
 * root, as on a shared static host, and `url` is the page's address there.
 */
export async function startServer({ subPath = '' } = {}) {
  assert.ok(existsSync(path.join(DIST, 'index.html')), 'dist/index.html missing: run `trunk build --release` first');
  let directory = DIST;
  if (subPath) {
    directory = await mkdtemp(path.join(tmpdir(), 'eifscope-host-'));
    const mount = path.join(directory, ...subPath.split('/').filter(Boolean));
    await mkdir(path.dirname(mount), { recursive: true });
    await symlink(DIST, mount, 'dir');
  }
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const url = `${origin}${subPath}/`;
  const server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', directory], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  await waitForServer(url, server);
  return {
    origin,
    url,
    async close() {
      server.kill();
      if (subPath) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Serves dist/ (see `startServer`) and launches Chromium; returns { origin, url, browser, close }. */
export async function startServerAndBrowser(options = {}) {
  const server = await startServer(options);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  return {
    origin: server.origin,
    url: server.url,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Registers node:test `before` / `after` hooks that serve dist/ and launch Chromium
 * (`options` as for startServerAndBrowser), create target/e2e/ for screenshots, and close it
 * all again. Returns the env ({ origin, url, browser }), filled in once the `before` hook ran.
 */
export function useServer(options = {}) {
  const env = {};
  before(async () => {
    Object.assign(env, await startServerAndBrowser(options));
    await mkdir(SHOTS, { recursive: true });
  });
  after(async () => {
    await env.close?.();
  });
  return env;
}

/**
 * Opens the page with every console error, page error, CSP violation and request recorded.
 * `options` go to the browser context, except `hash` (a fragment to open the page at, e.g. a
 * share link's `#r=…`) and `state` (the `data-state` to wait for, `idle` by default).
 */
export async function openPage(env, options = {}) {
  const { hash = '', state = 'idle', init, ...contextOptions } = options;
  const context = await env.browser.newContext({ viewport: { width: 1100, height: 720 }, ...contextOptions });
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    if (message.type() === 'warning') console.log(`(console warning: ${message.text()})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  context.on('request', (request) => requests.push(request.url()));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
    });
  });
  if (init) await page.addInitScript(init);
  await page.goto(`${env.url}${hash}`);
  await page.waitForFunction((state) => document.documentElement.dataset.state === state, state);
  await page.waitForFunction(() => document.documentElement.dataset.worker === 'ready');
  return { context, page, problems, requests, origin: env.origin };
}

/** Everything the page did must have stayed on the test server. */
export async function assertClean({ page, problems, requests, origin }) {
  const violations = await page.evaluate(() => window.__cspViolations);
  assert.deepEqual(violations, [], 'Content-Security-Policy violations');
  assert.deepEqual(problems, [], 'console errors, page errors or failed requests');
  assert.ok(requests.length >= 5, `only ${requests.length} requests recorded`);
  const foreign = requests.filter((url) => !url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url));
  assert.deepEqual(foreign, [], 'requests to other origins');
}

/** assertClean for each session, then closes their browser contexts. */
export async function closeClean(...sessions) {
  for (const session of sessions) await assertClean(session);
  for (const session of sessions) await session.context.close();
}

/** A DataTransfer (in the page) holding files built from local paths: [{ path, name? }]. */
export async function dataTransferOf(page, files) {
  const payload = [];
  for (const file of files) {
    const bytes = await readFile(file.path);
    payload.push({ base64: bytes.toString('base64'), name: file.name ?? path.basename(file.path) });
  }
  return page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const { base64, name } of items) {
      const raw = atob(base64);
      const data = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
      dt.items.add(new File([data], name, { type: 'application/octet-stream' }));
    }
    return dt;
  }, payload);
}

/** Dispatches dragenter, dragover and drop of `transfer` on `locator`. */
export async function dropOn(locator, transfer) {
  await locator.dispatchEvent('dragenter', { dataTransfer: transfer });
  await locator.dispatchEvent('dragover', { dataTransfer: transfer });
  await locator.dispatchEvent('drop', { dataTransfer: transfer });
}

/** The id of the page's current comparison (`<html data-job>`, 0 before the first). */
export async function jobOf(page) {
  return page.evaluate(() => Number(document.documentElement.dataset.job ?? 0));
}

/**
 * Waits until a comparison newer than job `after` has ended and returns how: 'done' or 'error'.
 * Job and state are read in the same poll, so a stale result of an earlier job (still on the
 * page for a moment after new files are picked) is never mistaken for this one.
 */
export async function waitForResult(page, after, timeout = 60000) {
  const handle = await page.waitForFunction((after) => {
    const { job, state } = document.documentElement.dataset;
    return Number(job ?? 0) > after && (state === 'done' || state === 'error') ? state : false;
  }, after, { timeout });
  return handle.jsonValue();
}

/** Runs `action` (which starts a comparison) and waits for that comparison's result. */
export async function resultOf(page, action, timeout = 60000) {
  const before = await jobOf(page);
  await action();
  return waitForResult(page, before, timeout);
}

/** An in-memory file for page.setInputFiles: `buffer` named `name`. */
export function fileOf(name, buffer) {
  return { name, mimeType: 'application/octet-stream', buffer };
}

/**
 * Picks `a` and `b` (what page.setInputFiles takes: paths, { name, mimeType, buffer }, or lists
 * of them) with the two file inputs and waits for that comparison's result: 'done' or 'error'.
 */
export async function compareFiles(page, a, b, timeout) {
  return resultOf(page, async () => {
    await page.setInputFiles('[data-testid=input-a]', a);
    await page.setInputFiles('[data-testid=input-b]', b);
  }, timeout);
}

/**
 * A newc cpio archive (what `cpio -o -H newc` writes) of `entries`:
 * [{ name, data?: Buffer|string, mode?: number (default 0o100644), mtime?: number }].
 * Used to build large or content-specific ramdisks inside a test.
 */
export function newcCpio(entries) {
  const parts = [];
  const pad = (n) => Buffer.alloc((4 - (n % 4)) % 4);
  const hex = (n) => (n >>> 0).toString(16).padStart(8, '0');
  const push = (name, data, mode, mtime, ino) => {
    const nameBytes = Buffer.from(`${name}\0`);
    const header = `070701${hex(ino)}${hex(mode)}${hex(0)}${hex(0)}${hex(1)}${hex(mtime)}${hex(data.length)}`
      + `${hex(0)}${hex(0)}${hex(0)}${hex(0)}${hex(nameBytes.length)}${hex(0)}`;
    parts.push(Buffer.from(header, 'ascii'), nameBytes, pad(110 + nameBytes.length), data, pad(data.length));
  };
  entries.forEach((entry, i) => {
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data ?? '');
    push(entry.name, data, entry.mode ?? 0o100644, entry.mtime ?? 1700000000, i + 1);
  });
  push('TRAILER!!!', Buffer.alloc(0), 0, 0, 0);
  return Buffer.concat(parts);
}
