// Browser benchmark (issue #5): the release web app in headless Chromium compares the generated
// large pair (same as bench/run.sh) from the moment both files are picked to the moment the
// verdict and the file list are shown, as a ratio to the floor measured in the same run
// (libdeflate-gunzip of both customer ramdisks + sha384sum of both EIFs, one core). Also prints
// when the first summary (verdict, PCRs) appeared and each worker's peak wasm memory.
// Targets: ratio <= 3x, <= 256 MB per worker, first summary before the full diff.
//
// Usage: node bench/browser.mjs [RUNS]  (needs dist/ and the pair: run bench/run.sh once, or
//        `cargo run --release --example make_large_pair target/bench`). Env: BENCH_DIR.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, jobOf, openPage, startServerAndBrowser, waitForResult } from '../tests/e2e/helpers.mjs';

const runs = Number(process.argv[2] ?? 3);
const dir = path.resolve(ROOT, process.env.BENCH_DIR ?? 'target/bench');
const [A, B, GA, GB] = ['A.eif', 'B.eif', 'A.rootfs.gz', 'B.rootfs.gz'].map((f) => path.join(dir, f));
for (const f of [A, B, GA, GB]) {
  if (!existsSync(f)) throw new Error(`${f} missing: run bench/run.sh (or make_large_pair) first`);
}

function seconds(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}
const pinned = (cmd, args) => execFileSync('taskset', ['-c', '0', cmd, ...args], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
function floor() {
  return seconds(() => {
    pinned('libdeflate-gunzip', ['-c', GA]);
    pinned('libdeflate-gunzip', ['-c', GB]);
    pinned('sha384sum', [A, B]);
  });
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];

const env = await startServerAndBrowser();
const floors = [];
const totals = [];
const firsts = [];
const earlies = [];
const memories = [];
try {
  execFileSync('cat', [A, B, GA, GB], { stdio: ['ignore', 'ignore', 'inherit'] }); // warm the page cache
  for (let i = 1; i <= runs; i++) {
    floors.push(floor());
    // When each kind of message first came from the coordinator worker (page clock).
    const init = () => {
      const Native = window.Worker;
      window.__phases = {};
      window.Worker = class extends Native {
        constructor(...args) {
          super(...args);
          this.addEventListener('message', (event) => {
            const d = event.data;
            if (!d || typeof d !== 'object' || !d.type) return;
            const label = d.type === 'progress' ? d.phase : d.type;
            window.__phases[label] ??= performance.now();
          });
        }
      };
    };
    const session = await openPage(env, { init });
    const { page } = session;
    // Timestamps (page clock) of the first verdict on screen and of the file list.
    await page.evaluate(() => {
      window.__bench = {};
      const seen = () => {
        const now = performance.now();
        if (!window.__bench.verdict && document.querySelector('[data-testid=verdict]')) {
          window.__bench.verdict = now;
          // Shown before the full diff: the page was still working (comparing contents).
          window.__bench.early = document.documentElement.dataset.state === 'working';
        }
        if (!window.__bench.files && document.querySelector('[data-testid=files]') && document.documentElement.dataset.state === 'done') window.__bench.files = now;
      };
      new MutationObserver(seen).observe(document.documentElement, { subtree: true, childList: true, attributes: true });
    });
    const before = await jobOf(page);
    const t0 = await page.evaluate(() => performance.now());
    await page.setInputFiles('[data-testid=input-a]', A);
    await page.setInputFiles('[data-testid=input-b]', B);
    const state = await waitForResult(page, before, 600000);
    if (state !== 'done') throw new Error(`ended in ${state}: ${await page.textContent('[data-testid=status]')}`);
    await page.waitForFunction(() => window.__bench.files);
    const { verdict, files, early } = await page.evaluate(() => window.__bench);
    const phases = await page.evaluate(() => window.__phases);
    const at = (label) => (phases[label] === undefined ? '-' : ((phases[label] - t0) / 1000).toFixed(2));
    // "waiting": the coordinator has read A; "comparing": B's image has arrived and is decoded.
    console.error(`  phases: A read ${at('waiting')} s, B in ${at('comparing')} s, summary ${at('summary')} s, ` +
      `contents ${at('contents')} s, report ${at('report')} s, files shown ${((files - t0) / 1000).toFixed(2)} s`);
    const total = (files - t0) / 1000;
    const first = (verdict - t0) / 1000;
    // Every worker, the nested helper included (Playwright lists it too), reports its memory.
    const workers = (await Promise.all(page.workers().map((w) => w.evaluate(() => self.eifscopeWasmMemory?.buffer.byteLength ?? 0))))
      .filter((bytes) => bytes > 0);
    const peak = Math.max(...workers) / (1 << 20);
    // Bytes each worker read from the files (counted since the page opened: this run only).
    const read = (await Promise.all(page.workers().map((w) => w.evaluate(() => self.eifscopeBytesRead ?? 0)))).filter((bytes) => bytes > 0);
    console.error(`  read from the files: ${read.map((b) => (b / 1e6).toFixed(1)).join(' / ')} MB per worker`);
    console.error(`run ${i}: floor ${floors.at(-1).toFixed(2)} s, browser ${total.toFixed(2)} s (first summary ${first.toFixed(2)} s, ${early ? 'while still working' : 'NOT before the full diff'}), ` +
      `${workers.length} wasm instance(s), peak wasm memory ${workers.map((b) => (b / (1 << 20)).toFixed(0)).join(' / ')} MB`);
    totals.push(total);
    firsts.push(first);
    earlies.push(early);
    memories.push(peak);
    await session.context.close();
  }
} finally {
  await env.close();
}
const f = median(floors);
const t = median(totals);
console.log(`floor ${f.toFixed(2)} s, browser ${t.toFixed(2)} s, ratio ${(t / f).toFixed(2)}x (target <= 3x), ` +
  `first summary at ${median(firsts).toFixed(2)} s (${earlies.every(Boolean) ? 'before' : 'NOT always before'} the full diff), ` +
  `peak wasm memory per worker ${Math.max(...memories).toFixed(0)} MB (target <= 256 MB)`);
