// The built page served under a sub-path of a static host (as on shared internal hosting), and
// Cancel during a long comparison. Run with `node --test tests/e2e/` (needs dist/ from
// `trunk build --release`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import path from 'node:path';
import {
  FIXTURES, SHOTS, closeClean, compareFiles, jobOf, openPage, resultOf, useServer,
} from './helpers.mjs';
import { TRAILER, newcHeader } from './cpio.mjs';

const SUB_PATH = '/tools/eifscope';
const fixture = (name) => path.join(FIXTURES, name);

const env = useServer({ subPath: SUB_PATH });

test('under a sub-path: the page, its worker and the sample all load from that path', async () => {
  const session = await openPage(env);
  const { page, requests } = session;
  assert.equal(await resultOf(page, () => page.click('[data-testid=sample]')), 'done');
  assert.equal(await page.textContent('[data-testid=verdict]'), 'Measurements differ: PCR0, PCR2');
  assert.equal(await compareFiles(page, fixture('meta-a.eif'), fixture('meta-b.eif')), 'done');
  assert.match(await page.textContent('[data-testid=verdict]'), /same measurements/i);
  const outside = requests.filter((url) => /^https?:/.test(url) && !url.startsWith(`${env.origin}${SUB_PATH}/`));
  assert.deepEqual(outside, [], 'requests outside the sub-path');
  for (const asset of ['worker-loader.js', 'worker_bg.wasm', 'samples/basic-a.eif', 'boot.js']) {
    assert.ok(requests.some((url) => url === `${env.origin}${SUB_PATH}/${asset}`), `${asset} not loaded from the sub-path`);
  }
  await closeClean(session);
});

/**
 * A bare rootfs.cpio holding one file of `bytes` zero bytes (a multiple of 4), written sparse
 * (instant, no disk used): large enough that the worker is still busy when Cancel is pressed.
 */
async function hugeCpio(file, bytes) {
  const head = newcHeader({ name: 'big.bin', size: bytes });
  const trailer = newcHeader({ ...TRAILER, ino: 2, size: 0 });
  const handle = await open(file, 'w');
  try {
    await handle.write(head, 0, head.length, 0);
    await handle.write(trailer, 0, trailer.length, head.length + bytes);
  } finally {
    await handle.close();
  }
}

test('Cancel stops a long comparison; the next one runs', async () => {
  const big = path.join(SHOTS, 'huge.cpio');
  await hugeCpio(big, 0xC000_0000); // 3 GiB of zeros per side
  const session = await openPage(env);
  const { page } = session;
  const before = await jobOf(page);
  await page.setInputFiles('[data-testid=input-a]', big);
  await page.setInputFiles('[data-testid=input-b]', big);
  await page.waitForFunction((before) => {
    const { job, state } = document.documentElement.dataset;
    return Number(job) > before && state === 'working';
  }, before);
  // Progress in bytes for each side (one worker each), then cancel.
  await page.waitForSelector('[data-testid=read-a]');
  await page.waitForSelector('[data-testid=read-b]');
  assert.match(await page.textContent('[data-testid=read-a]'), /^Local build: [\d.]+ (MiB|GiB) of 3\.00 GiB$/);
  assert.match(await page.textContent('[data-testid=read-b]'), /^Deployed: [\d.]+ (MiB|GiB) of 3\.00 GiB$/);
  const done = await page.$eval('[data-testid=read-a] progress', (bar) => bar.value / bar.max);
  assert.ok(done > 0 && done < 1, `progress ${done}`);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.state), 'working');
  await page.click('[data-testid=cancel]');
  await page.waitForFunction(() => document.documentElement.dataset.state === 'idle');
  assert.match(await page.textContent('[data-testid=status]'), /Cancelled/);
  // The cancelled job never reports back.
  await page.waitForTimeout(1000);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.state), 'idle');
  await page.screenshot({ path: path.join(SHOTS, 'cancelled.png') });
  // A fresh worker takes the next comparison.
  assert.equal(await compareFiles(page, fixture('basic-a.eif'), fixture('basic-b.eif')), 'done');
  assert.equal(await page.textContent('[data-testid=verdict]'), 'Measurements differ: PCR0, PCR2');
  await closeClean(session);
});
