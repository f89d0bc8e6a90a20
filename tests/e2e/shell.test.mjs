// End-to-end test of the built page (dist/, from `trunk build --release`) in headless
// Chromium: file picker, a real drag-and-drop, swap, the worker handshake, no console errors,
// no CSP violations, no request leaving 127.0.0.1. Run with `node --test tests/e2e/`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'dist');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures');
const SHOTS = path.join(ROOT, 'target', 'e2e');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

let server;
let browser;
let origin;

function freePort() {
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

before(async () => {
  assert.ok(existsSync(path.join(DIST, 'index.html')), 'dist/index.html missing: run `trunk build --release` first');
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', DIST], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  await waitForServer(`${origin}/`, server);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

/** Opens the page with every console error, page error, CSP violation and request recorded. */
async function openPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, ...options });
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
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => document.documentElement.dataset.state === 'idle');
  await page.waitForFunction(() => document.documentElement.dataset.worker === 'ready');
  return { context, page, problems, requests };
}

/** Everything the page did must have stayed on the test server. */
async function assertClean({ page, problems, requests }) {
  const violations = await page.evaluate(() => window.__cspViolations);
  assert.deepEqual(violations, [], 'Content-Security-Policy violations');
  assert.deepEqual(problems, [], 'console errors, page errors or failed requests');
  assert.ok(requests.length >= 5, `only ${requests.length} requests recorded`);
  const foreign = requests.filter((url) => !url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url));
  assert.deepEqual(foreign, [], 'requests to other origins');
}

test('pick, drop, swap; no errors and nothing leaves 127.0.0.1', async () => {
  const session = await openPage();
  const { page } = session;

  await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'eifscope' }).waitFor());
  assert.match(await page.textContent('body'), /files never leave your browser/i);
  assert.match(await page.textContent('[data-testid=file-a]'), /No file selected/);
  assert.ok(await page.isDisabled('[data-testid=swap]'), 'swap enabled with nothing to swap');

  // A: the file picker.
  await page.setInputFiles('[data-testid=input-a]', path.join(FIXTURES, 'basic-a.eif'));
  await page.waitForFunction(() => document.documentElement.dataset.state === 'done');
  const fileA = await page.textContent('[data-testid=file-a]');
  assert.match(fileA, /basic-a\.eif/);
  assert.match(fileA, /35\.3 KiB/);
  assert.match(fileA, /\(36185 bytes\)/);

  // B: a real drag-and-drop of a File holding the fixture's bytes.
  const bytes = await readFile(path.join(FIXTURES, 'basic-b.eif'));
  const transfer = await page.evaluateHandle(({ base64, name }) => {
    const raw = atob(base64);
    const data = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
    const dt = new DataTransfer();
    dt.items.add(new File([data], name, { type: 'application/octet-stream' }));
    return dt;
  }, { base64: bytes.toString('base64'), name: 'basic-b.eif' });
  const zoneB = page.locator('[data-testid=zone-b]');
  await zoneB.dispatchEvent('dragenter', { dataTransfer: transfer });
  await zoneB.dispatchEvent('dragover', { dataTransfer: transfer });
  await page.waitForSelector('[data-testid=zone-b].dragging');
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'shell-dragover.png') });
  await zoneB.dispatchEvent('drop', { dataTransfer: transfer });
  await page.waitForFunction(() => document.querySelector('[data-testid=file-b]').textContent.includes('basic-b.eif'));
  const fileB = await page.textContent('[data-testid=file-b]');
  assert.match(fileB, /35\.3 KiB/);
  assert.match(fileB, /\(36191 bytes\)/);
  assert.equal(await zoneB.evaluate((zone) => zone.classList.contains('dragging')), false, 'highlight stays after drop');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.state), 'done');

  // Swap, and swap back.
  await page.click('[data-testid=swap]');
  assert.match(await page.textContent('[data-testid=file-a]'), /basic-b\.eif.*\(36191 bytes\)/);
  assert.match(await page.textContent('[data-testid=file-b]'), /basic-a\.eif.*\(36185 bytes\)/);
  await page.click('[data-testid=swap]');
  assert.match(await page.textContent('[data-testid=file-a]'), /basic-a\.eif/);
  assert.match(await page.textContent('[data-testid=status]'), /Both sides selected/);

  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'shell.png'), fullPage: true });
  await assertClean(session);
  await session.context.close();
});

test('dark mode and keyboard focus render without errors', async () => {
  const session = await openPage({ colorScheme: 'dark' });
  const { page } = session;
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, 'rgb(15, 20, 25)', 'dark theme not applied');
  // Tab to the first file picker: its label must show a focus outline.
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => {
    const label = document.querySelector('label[for=input-a]');
    return document.activeElement?.id === 'input-a' ? getComputedStyle(label).outlineStyle : 'not focused';
  });
  assert.equal(outline, 'solid');
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'shell-dark.png'), fullPage: true });
  await assertClean(session);
  await session.context.close();
});
