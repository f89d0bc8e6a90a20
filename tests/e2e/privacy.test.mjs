// Privacy and safety of the built page in headless Chromium: after load the app makes no
// network request at all, hostile file names and contents stay inert text (in the app and in
// the exported HTML), and the exported HTML report opens standalone from file:// with the
// same verdict. Run with `node --test tests/e2e/` (needs dist/ from `trunk build --release`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { FIXTURES, SHOTS, closeClean, compareFiles, fileOf, openPage, useServer } from './helpers.mjs';
import { newc } from './cpio.mjs';

const fixture = (name) => path.join(FIXTURES, name);

const env = useServer();

/** Downloads the HTML export of the shown report into target/e2e/`name`; returns its path. */
async function exportHtml(page, name) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-html]')]);
  const file = path.join(SHOTS, name);
  await writeFile(file, await readFile(await download.path()));
  return file;
}

/**
 * Opens a local HTML file in a fresh context and records every request and dialog.
 * `javaScriptEnabled: false` shows what a reader without scripts sees.
 */
async function openFile(file, javaScriptEnabled) {
  const context = await env.browser.newContext({ javaScriptEnabled });
  const page = await context.newPage();
  const requests = [];
  const dialogs = [];
  context.on('request', (request) => requests.push(request.url()));
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  const url = pathToFileURL(file).href;
  await page.goto(url);
  return { context, page, requests, dialogs, url };
}

test('after load, comparing and exporting make no network request at all', async () => {
  const session = await openPage(env);
  const { page, requests } = session;
  const loaded = requests.length;
  assert.equal(await compareFiles(page, fixture('basic-a.eif'), fixture('basic-b.eif')), 'done');
  await page.click('[data-testid=filter-all]').catch(() => {});
  await page.fill('[data-testid=search]', 'etc');
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-json]')]);
  assert.ok((await readFile(await json.path())).length > 1000);
  await exportHtml(page, 'basic.html');
  // A second comparison reuses the worker: still nothing on the wire.
  assert.equal(await compareFiles(page, fixture('meta-a.eif'), fixture('meta-b.eif')), 'done');
  const after = requests.slice(loaded).filter((url) => !/^(blob|data):/.test(url));
  assert.deepEqual(after, [], 'requests made after the page had loaded');
  await closeClean(session);
});

test('the exported HTML opens standalone from file:// with the same verdict, without scripts', async () => {
  const session = await openPage(env);
  const { page } = session;
  assert.equal(await compareFiles(page, fixture('basic-a.eif'), fixture('basic-b.eif')), 'done');
  const verdict = await page.textContent('[data-testid=verdict]');
  const file = await exportHtml(page, 'basic-export.html');
  const html = await readFile(file, 'utf8');
  assert.doesNotMatch(html, /<script|<link|@import|url\(/i, 'the export must be self-contained and script-free');

  const opened = await openFile(file, false);
  assert.equal((await opened.page.textContent('#verdict h2')).trim(), verdict.trim());
  assert.match(await opened.page.textContent('body'), /PCR0/);
  assert.deepEqual(opened.requests, [opened.url], 'the export loads nothing but itself');
  await opened.page.screenshot({ path: path.join(SHOTS, 'export-file-url.png') });
  await opened.context.close();
  await closeClean(session);
});

// Names and contents an attacker controls: markup, quotes, a right-to-left override, bytes
// that are not UTF-8, an ampersand entity. Every one must show up as text and nothing run.
const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '"><script>alert(2)</script>.txt',
  "it's'\"quoted\".conf",
  'invoice\u202Egnp.exe',
  'a&amp;b.txt',
];
// How the report shows a name: bidi controls become visible escapes (no spoofed extensions).
const shown = (name) => name.replaceAll('\u202E', '\\u{202e}');
const payload = (side) => `line one\n<script>alert('${side}')</script>\n<img src=x onerror=alert(4)>\n${side}\n`;

function hostileArchive(side) {
  return newc([
    { name: 'etc', mode: 0o040755 },
    ...HOSTILE.map((name) => ({ name: `etc/${name}`, data: payload(side) })),
    { name: Buffer.concat([Buffer.from('etc/raw-'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('.bin')]), data: Buffer.from([0, 1, 2, side === 'A' ? 3 : 4]) },
  ]);
}

test('hostile names and contents render inert in the app and in the exported HTML', async () => {
  const session = await openPage(env);
  const { page } = session;
  const dialogs = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  const scriptsBefore = await page.evaluate(() => document.scripts.length);
  const a = fileOf('<b>A</b>"\'.cpio', hostileArchive('A'));
  const b = fileOf('rootfs\u202Efdp.cpio', hostileArchive('B'));
  assert.equal(await compareFiles(page, a, b), 'done', await page.textContent('[data-testid=status]'));

  // The names are listed as text, literally.
  const files = await page.textContent('[data-testid=files]');
  for (const name of HOSTILE) assert.ok(files.includes(shown(name)), `file list lacks ${JSON.stringify(shown(name))}`);
  assert.ok(!files.includes('\u202E'), 'a raw right-to-left override reached the file list');
  assert.match(files, /raw-\\xff\\xfe\\x80\.bin|raw-\uFFFD/, 'a non-UTF-8 name is shown escaped');
  assert.match(await page.textContent('[data-testid=file-a]'), /<b>A<\/b>"'\.cpio/);

  // Select every entry in turn so each hostile name and content is rendered in the detail pane.
  const rows = page.locator('[data-testid=entry-row]');
  const count = await rows.count();
  assert.ok(count >= HOSTILE.length, `only ${count} entries listed`);
  let sawMarkup = false;
  for (let i = 0; i < count; i++) {
    await rows.nth(i).click();
    const detail = await page.textContent('[data-testid=entry-detail]');
    sawMarkup ||= detail.includes("<script>alert('A')</script>");
  }
  assert.ok(sawMarkup, 'the content diff shows the markup as text');

  // Nothing ran and nothing was injected.
  await page.waitForTimeout(300);
  assert.deepEqual(dialogs, [], 'a dialog opened');
  assert.equal(await page.evaluate(() => document.scripts.length), scriptsBefore, 'a script element was injected');
  assert.equal(await page.evaluate(() => document.querySelectorAll('[data-testid=report] img, [onerror]').length), 0);
  await page.screenshot({ path: path.join(SHOTS, 'hostile.png'), fullPage: true });

  // The export: the same names as text, no script element, nothing runs with scripts enabled.
  const file = await exportHtml(page, 'hostile-export.html');
  const html = await readFile(file, 'utf8');
  assert.doesNotMatch(html, /<script|<img/i);
  const opened = await openFile(file, true);
  const text = await opened.page.textContent('body');
  for (const name of HOSTILE) assert.ok(text.includes(shown(name)), `export lacks ${JSON.stringify(shown(name))}`);
  assert.ok(!text.includes('\u202E'), 'a raw right-to-left override reached the export');
  await opened.page.waitForTimeout(300);
  assert.deepEqual(opened.dialogs, [], 'a dialog opened in the export');
  assert.equal(await opened.page.evaluate(() => document.scripts.length), 0);
  assert.equal(await opened.page.evaluate(() => document.querySelectorAll('img, [onerror], [onload]').length), 0);
  await opened.context.close();

  await closeClean(session);
});
