// End-to-end test of the built page (dist/, from `trunk build --release`) in headless
// Chromium: file picker, a real drag-and-drop, swap, the worker handshake, no console errors,
// no CSP violations, no request leaving 127.0.0.1. Run with `node --test tests/e2e/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  FIXTURES, SHOTS, closeClean, jobOf, openPage as open, useServer, waitForResult,
} from './helpers.mjs';

const env = useServer();
const openPage = (options) => open(env, options);

test('pick, drop, swap; no errors and nothing leaves 127.0.0.1', async () => {
  const session = await openPage();
  const { page } = session;

  await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'eifscope' }).waitFor());
  assert.match(await page.textContent('body'), /files never leave your browser/i);
  assert.match(await page.textContent('[data-testid=file-a]'), /No file selected/);
  assert.ok(await page.isDisabled('[data-testid=swap]'), 'swap enabled with nothing to swap');

  // A: the file picker.
  await page.setInputFiles('[data-testid=input-a]', path.join(FIXTURES, 'basic-a.eif'));
  await page.waitForFunction(() => document.querySelector('[data-testid=file-a]').textContent.includes('basic-a.eif'));
  // One side alone is not a comparison: the page asks for the other.
  assert.equal(await page.evaluate(() => document.documentElement.dataset.state), 'idle');
  assert.match(await page.textContent('[data-testid=status]'), /Now add the deployed image/);
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
  const beforeDrop = await jobOf(page);
  await zoneB.dispatchEvent('drop', { dataTransfer: transfer });
  await page.waitForFunction(() => document.querySelector('[data-testid=file-b]').textContent.includes('basic-b.eif'));
  const fileB = await page.textContent('[data-testid=file-b]');
  assert.match(fileB, /35\.3 KiB/);
  assert.match(fileB, /\(36191 bytes\)/);
  assert.equal(await zoneB.evaluate((zone) => zone.classList.contains('dragging')), false, 'highlight stays after drop');
  // Both sides filled: the comparison runs.
  assert.equal(await waitForResult(page, beforeDrop), 'done');

  // Swap, and swap back.
  const beforeSwap = await jobOf(page);
  await page.click('[data-testid=swap]');
  assert.match(await page.textContent('[data-testid=file-a]'), /basic-b\.eif.*\(36191 bytes\)/);
  assert.match(await page.textContent('[data-testid=file-b]'), /basic-a\.eif.*\(36185 bytes\)/);
  await page.click('[data-testid=swap]');
  assert.match(await page.textContent('[data-testid=file-a]'), /basic-a\.eif/);
  assert.equal(await waitForResult(page, beforeSwap + 1), 'done');
  assert.match(await page.textContent('[data-testid=verdict]'), /Measurements differ: PCR0, PCR2/);

  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'shell.png'), fullPage: true });
  await closeClean(session);
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
  await closeClean(session);
});
