// End-to-end tests of share links: the report packed into the URL fragment (#r=…) opens in a
// fresh browser context as a read-only shared report with the same verdict and causes, a tight
// budget says what it trimmed, and a damaged link is named in the status area. Nothing leaves
// the origin (assertClean), and the fragment is never sent to the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, SHOTS, closeClean, compareFiles, openPage, useServer } from './helpers.mjs';

const fixture = (name) => path.join(FIXTURES, name);

const env = useServer();

/** Compares basic-a with basic-b on a fresh page. */
async function comparedPage() {
  const session = await openPage(env);
  const { page } = session;
  const state = await compareFiles(page, fixture('basic-a.eif'), fixture('basic-b.eif'));
  assert.equal(state, 'done', await page.textContent('[data-testid=status]'));
  return session;
}

/** Clicks "Copy share link" and returns the link shown in the read-only field. */
async function shareLink(page) {
  await page.evaluate(() => {
    const field = document.querySelector('[data-testid=share-link]');
    if (field) field.value = '';
  });
  await page.click('[data-testid=copy-share-link]');
  await page.waitForFunction(() => document.querySelector('[data-testid=share-link]')?.value.includes('#r='));
  return page.inputValue('[data-testid=share-link]');
}

/** What a reader compares: verdict, counts, causes (id and title) and the PCR rows. */
async function summaryOf(page) {
  return {
    verdict: await page.textContent('[data-testid=verdict]'),
    counts: await page.textContent('[data-testid=counts]'),
    causes: await page.$$eval('[data-testid=causes] > li', (items) => items.map((li) => ({
      id: li.dataset.cause,
      title: li.querySelector('h3').textContent,
    }))),
    pcrs: await page.$$eval('[data-testid=pcr-table] tbody tr', (rows) => rows.map((row) => row.textContent)),
  };
}

/** Opens `link` in a new browser context and waits for `state`. */
async function openLink(link, state) {
  const url = new URL(link);
  assert.equal(url.origin, env.origin);
  return openPage(env, { hash: url.hash, state });
}

test('a share link opened in a fresh page shows the same verdict, causes and PCRs, read-only', async () => {
  const original = await comparedPage();
  const link = await shareLink(original.page);
  assert.match(link, new RegExp(`^${env.origin}/#r=1\\.[A-Za-z0-9_-]+$`));
  assert.match(await original.page.textContent('[data-testid=export-message]'), /Share link (copied|ready)/);
  await original.page.locator('#verdict').screenshot({ path: path.join(SHOTS, 'share-link.png') });
  const want = await summaryOf(original.page);
  assert.equal(want.verdict, 'Measurements differ: PCR0, PCR2');
  assert.deepEqual(want.causes.map((c) => c.id), ['different-source', 'file-permissions', 'file-timestamps']);

  const shared = await openLink(link, 'done');
  const { page } = shared;
  assert.deepEqual(await summaryOf(page), want);
  assert.match(await page.textContent('[data-testid=shared-banner]'), /^Shared report — the images are not included\./);
  assert.equal(await page.locator('[data-testid=zone-a]').count(), 0, 'drop zones shown in a shared report');
  assert.equal(await page.locator('[data-testid=trimmed]').count(), 0, 'nothing was trimmed');
  assert.match(await page.textContent('[data-testid=status]'), /^Shared report opened from the link/);
  // The content diff travelled with it.
  await page.click('[id="entry-rootfs_2fetc_2fapp.conf"]');
  const conf = page.locator('[data-testid=entry-detail][data-entry="entry-rootfs_2fetc_2fapp.conf"]');
  assert.match(await conf.locator('[data-testid=text-diff]').textContent(), /\+mode=test/);
  await page.screenshot({ path: path.join(SHOTS, 'share-opened.png') });

  // Evidence links (entry anchors) still work inside a shared report.
  await page.click('#causes a[href="#entry-rootfs_2fusr_2fbin_2fhello"]');
  assert.equal(await page.evaluate(() => location.hash), '#entry-rootfs_2fusr_2fbin_2fhello');
  assert.ok(await page.locator('[id="entry-rootfs_2fusr_2fbin_2fhello"]').isVisible());
  assert.equal(await page.textContent('[data-testid=verdict]'), want.verdict);

  // The fragment never reaches the server: no request carries the payload.
  const payload = new URL(link).hash.slice(1);
  assert.deepEqual(shared.requests.filter((url) => url.includes(payload.slice(0, 40))), []);

  // "Start a new comparison" leaves the shared report for the drop zones, and drops the link.
  await page.click('[data-testid=new-comparison]');
  await page.waitForFunction(() => document.documentElement.dataset.state === 'idle');
  assert.equal(await page.locator('[data-testid=report]').count(), 0);
  assert.equal(await page.locator('[data-testid=zone-a]').count(), 1);
  assert.equal(await page.evaluate(() => location.hash), '');

  // A link pasted into an open page (only the fragment changes) opens too.
  await page.evaluate((hash) => { location.hash = hash; }, new URL(link).hash);
  await page.waitForFunction(() => document.documentElement.dataset.state === 'done');
  assert.equal(await page.textContent('[data-testid=verdict]'), want.verdict);

  await closeClean(shared, original);
});

test('a link made under a tight budget says what it trimmed and keeps the counts', async () => {
  const original = await comparedPage();
  const { page } = original;
  const whole = new URL(await shareLink(page)).hash.slice('#r='.length);
  // One character less than the whole report needs: the content diff has to go.
  await page.evaluate((budget) => { document.documentElement.dataset.shareBudget = String(budget); }, whole.length - 1);
  const link = await shareLink(page);
  const payload = new URL(link).hash.slice('#r='.length);
  assert.ok(payload.length < whole.length, `${payload.length} >= ${whole.length}`);
  const note = `Trimmed to fit a ${whole.length - 1}-character link: 1 content diff, 0 entries omitted.`;
  assert.ok((await page.textContent('[data-testid=export-message]')).endsWith(note));
  const want = await summaryOf(page);

  const shared = await openLink(link, 'done');
  assert.equal(await shared.page.textContent('[data-testid=trimmed]'), note);
  assert.deepEqual(await summaryOf(shared.page), want);
  assert.match(want.counts, /^3 changed · 1 added · 1 removed · 0 moved/);
  assert.equal(await shared.page.locator('[id="entry-rootfs_2fetc_2fapp.conf"] [data-testid=text-diff]').count(), 0);
  await shared.page.screenshot({ path: path.join(SHOTS, 'share-trimmed.png') });

  // A budget too small for any report is said plainly, no link is offered.
  await page.evaluate(() => { document.documentElement.dataset.shareBudget = '100'; });
  await page.click('[data-testid=copy-share-link]');
  await page.waitForFunction(() => document.querySelector('[data-testid=export-message]')?.textContent.includes('budget of 100'));
  assert.equal(await page.locator('[data-testid=share-link]').count(), 0);

  await closeClean(shared, original);
});

test('a tampered or truncated link shows a clear error, no report and no console error', async () => {
  const original = await comparedPage();
  const link = await shareLink(original.page);
  await closeClean(original);
  const hash = new URL(link).hash;
  const at = Math.floor(hash.length / 2);
  const flipped = hash.slice(0, at) + (hash[at] === 'A' ? 'B' : 'A') + hash.slice(at + 1);
  // Cut so that the base64 length is impossible (4k + 1 symbols), and cut so it is possible.
  const body = hash.length - '#r=1.'.length;
  const impossible = hash.slice(0, '#r=1.'.length + 4 * Math.floor(body / 8) + 1);
  const cut = hash.slice(0, '#r=1.'.length + 4 * Math.floor(body / 8));
  const cases = [
    [flipped, /^Error: share link: checksum mismatch; the link was changed or cut short$/],
    [impossible, /^Error: share link: base64 length \d+ is impossible; the link was cut short$/],
    [cut, /^Error: share link: checksum mismatch; the link was changed or cut short$/],
    [`${hash.slice(0, 60)}!${hash.slice(61)}`, /^Error: share link: not valid base64 at position 57 \('!'\)$/],
    [`#r=7.${hash.slice(5)}`, /^Error: share link: unsupported version 7 \(this eifscope reads version 1\)$/],
  ];
  for (const [damaged, message] of cases) {
    const session = await openPage(env, { hash: damaged, state: 'error' });
    const { page } = session;
    assert.match(await page.textContent('[data-testid=status]'), message);
    assert.equal(await page.locator('[data-testid=report]').count(), 0);
    assert.equal(await page.locator('[data-testid=shared-banner]').count(), 0);
    // The page still works: the drop zones are there for a real comparison.
    assert.equal(await page.locator('[data-testid=zone-a]').count(), 1);
    if (damaged === flipped) await page.screenshot({ path: path.join(SHOTS, 'share-tampered.png') });
    await closeClean(session);
  }
});
