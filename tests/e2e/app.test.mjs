// End-to-end tests of the comparison in the built page (dist/): files go to the worker as File
// handles, the report is rendered, checked against the fixtures' ground truth (AWS's
// describe-eif JSON, fixtures/README.md's planted differences), exported, and errors are shown
// plainly. Screenshots land in target/e2e/. Run with `node --test tests/e2e/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  FIXTURES, SHOTS, closeClean, compareFiles, dataTransferOf, dropOn, fileOf, openPage, resultOf, useServer,
} from './helpers.mjs';

const PLANTED = [
  'rootfs/etc/app.conf',
  'rootfs/usr/bin/hello',
  'rootfs/usr/local/bin/start.sh',
  'rootfs/etc/added.txt',
  'rootfs/etc/removed.txt',
];
const fixture = (name) => path.join(FIXTURES, name);
const describe = async (name) => JSON.parse(await readFile(fixture(name), 'utf8')).Measurements;

const env = useServer();

/** Picks `a` and `b` (lists of fixture names) with the file inputs and waits for the end. */
async function compare(page, a, b, end = 'done') {
  const state = await compareFiles(page, a.map(fixture), b.map(fixture));
  if (state !== end) {
    assert.fail(`ended in ${state}: ${await page.textContent('[data-testid=status]')}`);
  }
}

/** The PCR values the page shows: { PCR0: { a, b }, … }. */
async function shownPcrs(page) {
  return page.$$eval('[data-testid=pcr-table] tbody tr', (rows) => Object.fromEntries(rows.map((row) => [
    row.querySelector('th').textContent,
    { a: row.querySelector('[data-side=a]').textContent, b: row.querySelector('[data-side=b]').textContent },
  ])));
}

test('basic-a vs basic-b: verdict, PCRs from describe-eif, the five planted differences, diffs', async () => {
  const session = await openPage(env, { viewport: { width: 1280, height: 900 }, colorScheme: 'dark', acceptDownloads: true });
  const { page } = session;
  await compare(page, ['basic-a.eif'], ['basic-b.eif']);

  const verdict = await page.textContent('[data-testid=verdict]');
  assert.equal(verdict, 'Measurements differ: PCR0, PCR2');

  const [wantA, wantB] = [await describe('basic-a.describe.json'), await describe('basic-b.describe.json')];
  const shown = await shownPcrs(page);
  for (const pcr of ['PCR0', 'PCR1', 'PCR2']) {
    assert.equal(shown[pcr].a, wantA[pcr], `${pcr} of A`);
    assert.equal(shown[pcr].b, wantB[pcr], `${pcr} of B`);
  }
  assert.match(await page.textContent('[data-testid=pcr-PCR1]'), /equal/);
  assert.match(await page.textContent('[data-testid=pcr-PCR0]'), /differs/);

  const files = await page.textContent('[data-testid=files]');
  for (const planted of PLANTED) assert.ok(files.includes(planted), `${planted} not listed`);
  assert.match(await page.textContent('[data-testid=counts]'), /3 changed · 1 added · 1 removed · 0 moved/);

  // Selecting an entry shows its detail: the text diff of app.conf with the changed line
  // highlighted, and start.sh's mode change.
  const detail = page.locator('[data-testid=entry-detail]');
  await page.click('[id="entry-rootfs_2fetc_2fapp.conf"]');
  const conf = page.locator('[data-testid=entry-detail][data-entry="entry-rootfs_2fetc_2fapp.conf"]');
  const diff = await conf.locator('[data-testid=text-diff]').textContent();
  assert.match(diff, /−mode=prod/);
  assert.match(diff, /\+mode=test/);
  assert.equal(await conf.locator('tr.del mark').textContent(), 'mode=prod');
  await page.click('[id="entry-rootfs_2fusr_2flocal_2fbin_2fstart.sh"]');
  assert.equal(await detail.getAttribute('data-entry'), 'entry-rootfs_2fusr_2flocal_2fbin_2fstart.sh');
  const mode = await detail.locator('tr[data-field=mode]').textContent();
  assert.equal(mode, 'mode01007550100700');
  await page.click('[id="entry-rootfs_2fetc_2fapp.conf"]');

  await page.screenshot({ path: path.join(SHOTS, 'app-summary.png') });
  await page.screenshot({ path: path.join(SHOTS, 'app-full.png'), fullPage: true });
  await conf.screenshot({ path: path.join(SHOTS, 'app-file-diff.png') });
  await page.locator('[data-testid=files]').screenshot({ path: path.join(SHOTS, 'app-files.png') });

  // An evidence link jumps to the entry's anchor.
  await page.click('#causes a[href="#entry-rootfs_2fusr_2fbin_2fhello"]');
  assert.equal(await page.evaluate(() => location.hash), '#entry-rootfs_2fusr_2fbin_2fhello');
  assert.ok(await page.locator('[id="entry-rootfs_2fusr_2fbin_2fhello"]').isVisible());
  // The detail pane follows the hash on `hashchange`, a task after the click: wait for it.
  await page.locator('[data-testid=entry-detail][data-entry="entry-rootfs_2fusr_2fbin_2fhello"]').waitFor({ timeout: 5000 });
  assert.equal(await detail.getAttribute('data-entry'), 'entry-rootfs_2fusr_2fbin_2fhello');

  // j / k step through the differences in page order.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('j');
  const first = await page.$eval('[data-diff].current', (el) => el.id);
  assert.equal(first, 'layer-header');
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  assert.equal(await page.$eval('[data-diff].current', (el) => el.id), first);
  // Past the last differing layer, j walks into the file list; k from its first entry goes back.
  const layerStops = await page.locator('[data-diff]').count();
  for (let i = 1; i < layerStops; i++) await page.keyboard.press('j');
  assert.equal(await page.$eval('[data-diff].current', (el) => el.id), await page.locator('[data-diff]').last().getAttribute('id'));
  await page.keyboard.press('j');
  const firstRow = await page.locator('[data-testid=entry-row]').first().getAttribute('id');
  assert.equal(await detail.getAttribute('data-entry'), firstRow);
  assert.equal(await page.locator('[data-diff].current').count(), 0);
  await page.keyboard.press('j');
  const secondRow = await page.locator('[data-testid=entry-row]').nth(1).getAttribute('id');
  assert.equal(await page.$eval('.entry-row.selected', (el) => el.id), secondRow);
  await page.keyboard.press('k');
  await page.keyboard.press('k');
  assert.equal(await page.$eval('[data-diff].current', (el) => el.id), await page.locator('[data-diff]').last().getAttribute('id'));

  // "Hide noise" hides the mtime-only entry and the inode note, never content or mode changes.
  await page.check('[data-testid=hide-noise]');
  const quiet = await page.textContent('[data-testid=files]');
  assert.ok(!quiet.includes('rootfs/usr/bin/hello'), 'mtime-only entry still shown');
  assert.ok(!quiet.includes('inode/device numbering'), 'inode note still shown');
  for (const kept of PLANTED.filter((p) => p !== 'rootfs/usr/bin/hello')) assert.ok(quiet.includes(kept), `${kept} hidden`);
  await page.uncheck('[data-testid=hide-noise]');

  // Filter chips and search.
  await page.click('[data-testid=filter-added]');
  const added = await page.textContent('[data-testid=files]');
  assert.ok(added.includes('rootfs/etc/added.txt') && !added.includes('rootfs/etc/removed.txt'));
  await page.click('[data-testid=filter-all]');
  await page.fill('[data-testid=search]', 'start.sh');
  assert.equal(await page.locator('[data-testid=files] [data-testid=entry-row]').count(), 1);
  await page.fill('[data-testid=search]', '');

  // Exports: the HTML report and the JSON report download.
  const [html] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-html]')]);
  assert.match(html.suggestedFilename(), /^eifscope-basic-a-vs-basic-b\.html$/);
  const htmlText = await readFile(await html.path(), 'utf8');
  assert.match(htmlText, /Measurements differ: PCR0, PCR2/);
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-json]')]);
  const report = JSON.parse(await readFile(await json.path(), 'utf8'));
  assert.deepEqual(report.verdict.pcrs_differ, ['PCR0', 'PCR2']);

  await closeClean(session);
});

test('two images dropped at once fill A and B in order', async () => {
  const session = await openPage(env);
  const { page } = session;
  const transfer = await dataTransferOf(page, [{ path: fixture('basic-a.eif') }, { path: fixture('basic-b.eif') }]);
  assert.equal(await resultOf(page, () => dropOn(page.locator('[data-testid=zone-a]'), transfer)), 'done');
  assert.match(await page.textContent('[data-testid=file-a]'), /basic-a\.eif/);
  assert.match(await page.textContent('[data-testid=file-b]'), /basic-b\.eif/);
  assert.equal(await page.textContent('[data-testid=verdict]'), 'Measurements differ: PCR0, PCR2');
  await closeClean(session);
});

test('meta-a vs meta-b: same measurements, different bytes', async () => {
  const session = await openPage(env);
  const { page } = session;
  await compare(page, ['meta-a.eif'], ['meta-b.eif']);
  assert.match(await page.textContent('[data-testid=verdict]'), /^Same measurements, different bytes/);
  const [wantA, wantB] = [await describe('meta-a.describe.json'), await describe('meta-b.describe.json')];
  const shown = await shownPcrs(page);
  for (const pcr of ['PCR0', 'PCR1', 'PCR2']) {
    assert.equal(shown[pcr].a, wantA[pcr]);
    assert.equal(shown[pcr].b, wantB[pcr]);
  }
  await closeClean(session);
});

test('single-a.eif with its enclave.pcrs: the PCR file is sniffed and matches A', async () => {
  const session = await openPage(env);
  const { page } = session;
  // Both files on one side; the .pcrs is told apart by its content.
  await compare(page, ['single-a.pcrs', 'single-a.eif'], ['single-b.eif']);
  assert.match(await page.textContent('[data-testid=file-a]'), /single-a\.pcrs PCR file/);
  const check = await page.textContent('[data-testid=pcr-file-check]');
  assert.match(check, /single-a\.pcrs \(.*\) matches A/);
  await closeClean(session);
});

test('a file that is not an image: a clear error naming file, problem and offset', async () => {
  const session = await openPage(env);
  const { page } = session;
  const readme = await readFile(fixture('README.md'));
  assert.equal(await compareFiles(page, fileOf('x.eif', readme), fixture('basic-b.eif')), 'error');
  const status = await page.textContent('[data-testid=status]');
  assert.match(status, /^Error: Local build \(A\): x\.eif, at byte offset 0 \(0x0\): not an eif \(magic 23204549, expected 2e656966\)/);
  await page.screenshot({ path: path.join(SHOTS, 'app-error.png') });
  // Replacing the bad file recovers.
  assert.equal(await resultOf(page, () => page.setInputFiles('[data-testid=input-a]', fixture('basic-a.eif'))), 'done');
  await closeClean(session);
});

test('a truncated EIF is reported, not crashed on', async () => {
  const session = await openPage(env);
  const { page } = session;
  const whole = await readFile(fixture('basic-a.eif'));
  const state = await compareFiles(page, fileOf('cut.eif', whole.subarray(0, 20000)), fixture('basic-b.eif'));
  const text = state === 'done' ? await page.textContent('#diagnostics') : await page.textContent('[data-testid=status]');
  assert.match(text, /trunc|past the end|short|end of/i, `no word about the truncation in: ${text}`);
  await closeClean(session);
});

test('"Try a sample" fetches the built-in pair from this origin', async () => {
  const session = await openPage(env);
  const { page } = session;
  assert.equal(await resultOf(page, () => page.click('[data-testid=sample]')), 'done');
  assert.equal(await page.textContent('[data-testid=verdict]'), 'Measurements differ: PCR0, PCR2');
  assert.ok(session.requests.some((url) => url.endsWith('/samples/basic-a.eif')));
  await closeClean(session);
});
