// End-to-end tests of the file list at scale: two bare rootfs.cpio archives built here (newc,
// 50 000 files each, no name in common) give a report with 100 000 entry differences. The list
// must stay virtualised (a bounded number of rows in the DOM), count everything, scroll to the
// last entry, search the whole list, follow permalinks to far entries (at load and on
// hashchange) and let j / k walk to rows that were not rendered. Timings are printed, not
// asserted. Run with `node --test tests/e2e/`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { closeClean, compareFiles, fileOf, newcCpio, openPage, useServer } from './helpers.mjs';

const N = 50_000;
const name = (side, i) => `${side}/${String(i).padStart(6, '0')}`;
const anchor = (path) => `entry-${path.replace(/\//g, '_2f')}`;
/** Most rows a virtualised list of this page may hold in the DOM. */
const MAX_ROWS = 200;

const env = useServer();
let archives;
before(async () => {
  const started = performance.now();
  archives = {
    a: newcCpio(Array.from({ length: N }, (_, i) => ({ name: name('a', i), data: `${i} only in a\n` }))),
    b: newcCpio(Array.from({ length: N }, (_, i) => ({ name: name('b', i), data: `${i} only in b\n` }))),
  };
  console.log(`# built two cpio archives of ${N} files (${archives.a.length} + ${archives.b.length} bytes) in ${(performance.now() - started).toFixed(0)} ms`);
});

const rowCount = (page) => page.locator('[data-testid=entry-list] .vrow').count();
const ms = (t0) => `${(performance.now() - t0).toFixed(0)} ms`;

async function compareBig(page) {
  const t0 = performance.now();
  const state = await compareFiles(page, fileOf('big-a.cpio', archives.a), fileOf('big-b.cpio', archives.b), 300_000);
  assert.equal(state, 'done', await page.textContent('[data-testid=status]'));
  await page.locator('[data-testid=entry-list]').waitFor();
  console.log(`# compare + render of 100000 entry differences: ${ms(t0)}`);
}

test('100 000 entry differences: bounded DOM, counts, scroll to the end, search, permalinks, j / k', async () => {
  const session = await openPage(env);
  const { page } = session;
  await compareBig(page);

  // Counts cover everything; the DOM holds only the window.
  assert.match(await page.textContent('[data-testid=counts]'), /0 changed · 50000 added · 50000 removed · 0 moved/);
  assert.equal(await page.textContent('[data-testid=filter-all]'), 'All 100000');
  assert.equal(await page.textContent('[data-testid=shown-count]'), '100000 of 100000 differences shown');
  assert.equal(await page.getAttribute('[data-testid=entry-list]', 'data-rows'), '100002');
  const initialRows = await rowCount(page);
  assert.ok(initialRows > 10 && initialRows < MAX_ROWS, `${initialRows} rows in the DOM`);
  assert.equal(await page.locator('[data-testid=entry-row]').first().getAttribute('id'), anchor(name('b', 0)));
  const height = await page.$eval('[data-testid=entry-list]', (el) => el.scrollHeight);
  assert.equal(height, 100002 * 28, 'scroll height of all rows');

  // Scroll to the bottom: the last entry (removed a/049999) is rendered and visible.
  let t0 = performance.now();
  await page.$eval('[data-testid=entry-list]', (el) => { el.scrollTop = el.scrollHeight; });
  const last = page.locator(`[id="${anchor(name('a', N - 1))}"]`);
  await last.waitFor({ state: 'visible' });
  console.log(`# scroll to the bottom and render: ${ms(t0)}`);
  assert.ok(await rowCount(page) < MAX_ROWS);
  // A burst of scrolling through the middle stays bounded.
  t0 = performance.now();
  for (let step = 1; step <= 20; step++) {
    await page.$eval('[data-testid=entry-list]', (el, f) => { el.scrollTop = el.scrollHeight * f; }, step / 21);
    await page.waitForFunction(() => document.querySelector('[data-testid=entry-list] .vrow') !== null);
  }
  console.log(`# 20 scroll jumps: ${ms(t0)}`);
  assert.ok(await rowCount(page) < MAX_ROWS);

  // Search operates on the whole list.
  t0 = performance.now();
  await page.fill('[data-testid=search]', 'a/04999');
  await page.waitForFunction(() => document.querySelector('[data-testid=shown-count]')?.textContent === '10 of 100000 differences shown');
  console.log(`# search over 100000 entries: ${ms(t0)}`);
  assert.equal(await page.locator('[data-testid=entry-row]').count(), 10);
  assert.match(await page.textContent('[data-testid=entry-list]'), /Removed \(10\)/);
  await page.fill('[data-testid=search]', '');
  await page.waitForFunction(() => document.querySelector('[data-testid=shown-count]')?.textContent === '100000 of 100000 differences shown');

  // Filter chip: only the added ones.
  await page.click('[data-testid=filter-added]');
  assert.equal(await page.textContent('[data-testid=shown-count]'), '50000 of 100000 differences shown');
  await page.click('[data-testid=filter-all]');

  // A permalink to a far entry (hashchange) selects it, renders it and scrolls it into view,
  // even when a search hides it first.
  await page.fill('[data-testid=search]', 'a/');
  const far = name('b', 31337);
  t0 = performance.now();
  await page.evaluate((id) => { location.hash = `#${id}`; }, anchor(far));
  const farRow = page.locator(`[id="${anchor(far)}"]`);
  await farRow.waitFor({ state: 'visible' });
  console.log(`# permalink to entry 31337: ${ms(t0)}`);
  assert.match(await farRow.getAttribute('class'), /selected/);
  assert.equal(await page.getAttribute('[data-testid=entry-detail]', 'data-entry'), anchor(far));
  assert.match(await page.textContent('[data-testid=entry-detail]'), /Only in B/);
  assert.equal(await page.inputValue('[data-testid=search]'), '', 'the filter that hid the entry was cleared');
  assert.ok(await farRow.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const list = el.closest('[data-testid=entry-list]').getBoundingClientRect();
    return box.top >= list.top && box.bottom <= list.bottom && box.top >= 0 && box.bottom <= innerHeight;
  }), 'the entry is inside the list box and the viewport');

  // j / k from there, after scrolling the list away so the next entry is not rendered.
  await page.$eval('[data-testid=entry-list]', (el) => { el.scrollTop = 0; });
  await page.waitForFunction((id) => !document.getElementById(id), anchor(name('b', 31338)));
  t0 = performance.now();
  await page.keyboard.press('j');
  const next = page.locator(`[id="${anchor(name('b', 31338))}"]`);
  await next.waitFor({ state: 'visible' });
  console.log(`# j to an entry that was not rendered: ${ms(t0)}`);
  assert.match(await next.getAttribute('class'), /selected/);
  await page.keyboard.press('k');
  await page.keyboard.press('k');
  await page.locator(`[id="${anchor(name('b', 31336))}"].selected`).waitFor({ state: 'visible' });
  assert.equal(await page.getAttribute('[data-testid=entry-detail]', 'data-entry'), anchor(name('b', 31336)));
  assert.ok(await rowCount(page) < MAX_ROWS);

  await closeClean(session);
});

test('a URL fragment naming a far entry opens it once the report is shown', async () => {
  const session = await openPage(env);
  const { page } = session;
  const far = name('a', 45678);
  await page.evaluate((id) => { history.replaceState(null, '', `#${id}`); }, anchor(far));
  await compareBig(page);
  const row = page.locator(`[id="${anchor(far)}"]`);
  await row.waitFor({ state: 'visible' });
  assert.match(await row.getAttribute('class'), /selected/);
  assert.equal(await page.getAttribute('[data-testid=entry-detail]', 'data-entry'), anchor(far));
  assert.match(await page.textContent('[data-testid=entry-detail]'), /Only in A/);
  assert.ok(await rowCount(page) < MAX_ROWS);
  await closeClean(session);
});
