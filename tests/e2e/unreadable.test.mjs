// End-to-end tests of a comparison where one side cannot be read: the page names the file, the
// problem and the byte offset, and still shows the readable side on its own (its PCRs checked
// against AWS's describe-eif JSON, its sections). Run with `node --test tests/e2e/`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { FIXTURES, SHOTS, assertClean, openPage, startServerAndBrowser, resultOf } from './helpers.mjs';

const fixture = (name) => path.join(FIXTURES, name);
const describe = async (name) => JSON.parse(await readFile(fixture(name), 'utf8')).Measurements;

let env;
before(async () => {
  env = await startServerAndBrowser();
  await mkdir(SHOTS, { recursive: true });
});
after(async () => {
  await env?.close();
});

/** basic-a.eif with num_sections (header offset 26) set to 65535: a fatal header error. */
async function corrupt() {
  const bytes = Buffer.from(await readFile(fixture('basic-a.eif')));
  bytes.writeUInt16BE(0xffff, 26);
  return { name: 'corrupt.eif', mimeType: 'application/octet-stream', buffer: bytes };
}

/** The PCR values the readable side's table shows: { PCR0: hex, … }. */
async function shownPcrs(page, side) {
  return page.$$eval(`[data-testid=side-summary][data-side=${side}] [data-testid=side-pcr-table] tbody tr`, (rows, side) => Object.fromEntries(
    rows.map((row) => [row.querySelector('th').textContent, row.querySelector(`[data-side=${side}]`).textContent]),
  ), side);
}

for (const [bad, good, goodFixture] of [['a', 'b', 'basic-b'], ['b', 'a', 'single-a']]) {
  test(`${bad.toUpperCase()} corrupt, ${good.toUpperCase()} fine: the error names file and offset, ${good.toUpperCase()}'s PCRs stay visible`, async () => {
    const session = await openPage(env);
    const { page } = session;
    const state = await resultOf(page, async () => {
      // single-a comes with its PCR file, which is still checked against it.
      const goodFiles = goodFixture === 'single-a' ? [fixture('single-a.eif'), fixture('single-a.pcrs')] : fixture(`${goodFixture}.eif`);
      const files = { [bad]: await corrupt(), [good]: goodFiles };
      await page.setInputFiles('[data-testid=input-a]', files.a);
      await page.setInputFiles('[data-testid=input-b]', files.b);
    });
    assert.equal(state, 'error', await page.textContent('[data-testid=status]'));
    const failure = page.locator(`[data-testid=failure-${bad}]`);
    assert.equal(await failure.getAttribute('data-offset'), '26');
    const text = await failure.textContent();
    assert.match(text, /corrupt\.eif/);
    assert.match(text, /byte offset 26 \(0x1a\)/);
    assert.match(text, /num_sections/);
    assert.equal(await page.locator(`[data-testid=failure-${good}]`).count(), 0);

    const summary = page.locator('[data-testid=side-summary]');
    assert.equal(await summary.getAttribute('data-side'), good);
    assert.equal(await summary.locator('[data-testid=side-name]').textContent(), `${goodFixture}.eif`);
    assert.equal(await summary.locator('[data-testid=side-kind]').textContent(), 'EIF');
    const want = await describe(`${goodFixture}.describe.json`);
    const shown = await shownPcrs(page, good);
    for (const pcr of ['PCR0', 'PCR1', 'PCR2']) assert.equal(shown[pcr], want[pcr], pcr);
    const sections = await summary.locator('[data-testid=side-sections] tbody th').allTextContents();
    assert.equal(sections[0], 'Kernel');
    assert.ok(sections.includes('Ramdisk[0]'), sections.join(', '));
    assert.equal(await page.locator('[data-testid=verdict]').count(), 0, 'no verdict without two images');
    if (goodFixture === 'single-a') {
      assert.match(await summary.locator('[data-testid=pcr-file-check]').textContent(), /single-a\.pcrs \(.*\) matches A/);
    }
    await page.screenshot({ path: path.join(SHOTS, `unreadable-${bad}.png`), fullPage: true });
    await assertClean(session);
    await session.context.close();
  });
}

test('both sides corrupt: both errors are shown, no side on its own', async () => {
  const session = await openPage(env);
  const { page } = session;
  const state = await resultOf(page, async () => {
    await page.setInputFiles('[data-testid=input-a]', await corrupt());
    await page.setInputFiles('[data-testid=input-b]', { ...(await corrupt()), name: 'also-corrupt.eif' });
  });
  assert.equal(state, 'error');
  assert.match(await page.textContent('[data-testid=failure-a]'), /corrupt\.eif, at byte offset 26/);
  assert.match(await page.textContent('[data-testid=failure-b]'), /also-corrupt\.eif, at byte offset 26/);
  assert.equal(await page.locator('[data-testid=side-summary]').count(), 0);
  await assertClean(session);
  await session.context.close();
});
