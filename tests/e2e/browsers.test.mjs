// Cross-browser smoke test of the built page (dist/) in the two engines the other e2e tests do
// not reach: Firefox (Gecko, Debian's firefox-esr, driven by puppeteer-core over WebDriver
// BiDi) and WebKit (Safari's engine: WebKitGTK's MiniBrowser under Xvfb, driven by Debian's
// WebKitWebDriver over classic WebDriver, plain HTTP calls). Each opens the app, picks
// basic-a.eif and basic-b.eif with the file inputs, checks the verdict and the PCR values
// against AWS's describe-eif JSON, that nothing failed or went wrong on the console, that no
// request was made after load, and then runs "Try a sample".
//
// Outside CI (`CI` unset) a test is skipped when its browser is not installed; in CI a
// missing browser fails. Run with `node --test tests/e2e/`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FIXTURES, freePort, startServer } from './helpers.mjs';

const FIREFOX = '/usr/bin/firefox-esr';
const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const XVFB = '/usr/bin/Xvfb';
const TIMEOUT = 60000;

const fixture = (name) => path.join(FIXTURES, name);
const measurements = async (name) => JSON.parse(await readFile(fixture(name), 'utf8')).Measurements;

/** Why the test cannot run here (a missing binary), or null. In CI that is a failure. */
function missing(binaries) {
  const absent = binaries.filter((binary) => !existsSync(binary));
  if (absent.length === 0) return null;
  const reason = `not installed: ${absent.join(', ')}`;
  if (process.env.CI && process.env.CI !== 'false') assert.fail(`${reason} (CI must test every browser; see .ci/lib.sh ensure_browsers)`);
  return reason;
}

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.close();
});

/** Polls the page until the expression `expression` is truthy; returns its value. */
async function until(driver, expression, what, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await driver.evaluate(expression);
    if (value) return value;
    if (Date.now() > deadline) {
      const status = await driver.evaluate(`document.querySelector('[data-testid=status]')?.textContent`);
      assert.fail(`timed out waiting for ${what} (status: ${status})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const JOB = 'Number(document.documentElement.dataset.job ?? 0)';

/** Runs `action` (which starts a comparison) and waits for its result: 'done' or 'error'. */
async function resultOf(driver, action) {
  const before = await driver.evaluate(JOB);
  await action();
  return until(driver, `(() => {
    const { job, state } = document.documentElement.dataset;
    return Number(job ?? 0) > ${before} && (state === 'done' || state === 'error') ? state : false;
  })()`, `the result of job ${before + 1}`);
}

/** The verdict and PCR values the page shows: { verdict, pcrs: { PCR0: { a, b }, … } }. */
function shown(driver) {
  return driver.evaluate(`({
    verdict: document.querySelector('[data-testid=verdict]')?.textContent,
    pcrs: Object.fromEntries([...document.querySelectorAll('[data-testid=pcr-table] tbody tr')].map((row) => [
      row.querySelector('th').textContent,
      { a: row.querySelector('[data-side=a]').textContent, b: row.querySelector('[data-side=b]').textContent },
    ])),
  })`);
}

/** Network requests (not data:/blob:) among `urls`. */
const network = (urls) => urls.filter((url) => !/^(data|blob):/.test(url));

/**
 * The same scenario in every browser. `driver`: evaluate(expression) → JSON value,
 * pickFile(testid, path), click(testid), requests() → URLs so far, problems() → strings.
 */
async function smoke(driver) {
  await until(driver, `document.documentElement.dataset.state === 'idle' && document.documentElement.dataset.worker === 'ready'`,
    'the app and its worker to be ready');
  const loaded = (await driver.requests()).length;

  const state = await resultOf(driver, async () => {
    await driver.pickFile('input-a', fixture('basic-a.eif'));
    await driver.pickFile('input-b', fixture('basic-b.eif'));
  });
  assert.equal(state, 'done', await driver.evaluate(`document.querySelector('[data-testid=status]')?.textContent`));
  const { verdict, pcrs } = await shown(driver);
  assert.equal(verdict, 'Measurements differ: PCR0, PCR2');
  const [wantA, wantB] = [await measurements('basic-a.describe.json'), await measurements('basic-b.describe.json')];
  for (const pcr of ['PCR0', 'PCR1', 'PCR2']) {
    assert.equal(pcrs[pcr]?.a, wantA[pcr], `${pcr} of A`);
    assert.equal(pcrs[pcr]?.b, wantB[pcr], `${pcr} of B`);
  }
  const all = await driver.requests();
  assert.ok(loaded >= 3, `only ${loaded} requests recorded while loading`);
  assert.deepEqual(network(all.slice(loaded)), [], 'requests after load');
  assert.deepEqual(await driver.problems(), [], 'errors while comparing local files');

  assert.equal(await resultOf(driver, () => driver.click('sample')), 'done');
  assert.equal((await shown(driver)).verdict, 'Measurements differ: PCR0, PCR2');
  const sampled = network((await driver.requests()).slice(all.length));
  assert.ok(sampled.some((url) => url.endsWith('/samples/basic-a.eif')), `sample not fetched: ${sampled}`);
  assert.deepEqual(sampled.filter((url) => !url.startsWith(`${server.origin}/`)), [], 'requests to other origins');
  assert.deepEqual(await driver.problems(), [], 'errors after "Try a sample"');
}

test('Firefox (firefox-esr, WebDriver BiDi): compare basic-a/basic-b, PCRs, no requests after load, sample', async (t) => {
  const absent = missing([FIREFOX]);
  if (absent) return t.skip(absent);
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: FIREFOX,
    headless: true,
    extraPrefsFirefox: { 'network.proxy.type': 0 },
  });
  try {
    t.diagnostic(await browser.version());
    const page = await browser.newPage();
    const problems = [];
    const requests = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
    });
    await page.evaluateOnNewDocument(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
      });
    });
    await page.goto(server.url);
    await smoke({
      evaluate: (expression) => page.evaluate(expression),
      async pickFile(testid, file) {
        await (await page.$(`[data-testid=${testid}]`)).uploadFile(file);
      },
      click: (testid) => page.click(`[data-testid=${testid}]`),
      requests: async () => [...requests],
      async problems() {
        const csp = await page.evaluate(() => window.__cspViolations);
        return [...problems, ...csp.map((violation) => `CSP: ${violation}`)];
      },
    });
  } finally {
    await browser.close();
  }
});

/** Starts Xvfb on a free display (it writes the number to fd 3); returns { display, process }. */
async function startXvfb() {
  const xvfb = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  const display = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Xvfb did not report a display')), 10000);
    let text = '';
    xvfb.stdio[3].on('data', (chunk) => {
      text += chunk;
      if (!text.includes('\n')) return;
      clearTimeout(timer);
      xvfb.stdio[3].destroy();
      resolve(`:${text.trim()}`);
    });
    xvfb.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}`));
    });
  });
  return { display, process: xvfb };
}

/** A classic WebDriver client: call('POST', '/url', body) → value, in one session. */
function webDriver(base) {
  let session = '';
  async function call(method, route, body) {
    const response = await fetch(`${base}${route.startsWith('/session') ? route : `/session/${session}${route}`}`, {
      method,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const { value } = await response.json();
    if (!response.ok) throw new Error(`WebDriver ${method} ${route}: ${value?.error}: ${value?.message}`);
    return value;
  }
  return {
    call,
    async open(capabilities) {
      const value = await call('POST', '/session', { capabilities: { alwaysMatch: capabilities } });
      session = value.sessionId;
      return value.capabilities;
    },
    async close() {
      if (session) await call('DELETE', `/session/${session}`);
    },
  };
}

async function waitForDriver(base, child) {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/status`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('WebKitWebDriver did not come up');
}

// What the page records in WebKit, where classic WebDriver has no console or network events:
// errors, rejections and CSP violations from the moment it is installed (after load, so a load
// error shows only as the app never becoming ready), CSP reports buffered since load, and the
// page's resource timing (every fetch of the page and its scripts; a worker's own fetches
// would not show, the app's workers fetch nothing after starting).
const RECORDER = `
  window.__problems = [];
  const push = (text) => window.__problems.push(text);
  const error = console.error.bind(console);
  console.error = (...args) => { push('console error: ' + args.join(' ')); error(...args); };
  window.addEventListener('error', (event) => push('page error: ' + event.message));
  window.addEventListener('unhandledrejection', (event) => push('unhandled rejection: ' + event.reason));
  document.addEventListener('securitypolicyviolation', (event) =>
    push('CSP: ' + event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline')));
  if (window.ReportingObserver) {
    window.__reports = new ReportingObserver((reports) => {
      for (const report of reports) push('report: ' + report.type + ' ' + JSON.stringify(report.body));
    }, { buffered: true });
    window.__reports.observe();
  }
  return true;
`;

test('WebKit (WebKitGTK MiniBrowser, WebKitWebDriver under Xvfb): compare basic-a/basic-b, PCRs, no requests after load, sample', async (t) => {
  const absent = missing([WEBKIT_DRIVER, MINIBROWSER, XVFB]);
  if (absent) return t.skip(absent);
  const xvfb = await startXvfb();
  const port = await freePort();
  const driverProcess = spawn(WEBKIT_DRIVER, [`--port=${port}`], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, DISPLAY: xvfb.display, WAYLAND_DISPLAY: '' },
  });
  const base = `http://127.0.0.1:${port}`;
  const driver = webDriver(base);
  try {
    await waitForDriver(base, driverProcess);
    const capabilities = await driver.open({
      'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
    });
    t.diagnostic(`${capabilities.browserName} ${capabilities.browserVersion}`);
    await driver.call('POST', '/url', { url: server.url });
    const evaluate = (expression) => driver.call('POST', '/execute/sync', { script: `return (${expression});`, args: [] });
    await driver.call('POST', '/execute/sync', { script: RECORDER, args: [] });
    const element = async (testid) => {
      const found = await driver.call('POST', '/element', { using: 'css selector', value: `[data-testid=${testid}]` });
      return Object.values(found)[0];
    };
    await smoke({
      evaluate,
      async pickFile(testid, file) {
        await driver.call('POST', `/element/${await element(testid)}/value`, { text: file });
      },
      async click(testid) {
        await driver.call('POST', `/element/${await element(testid)}/click`, {});
      },
      requests: () => evaluate(`[location.href, ...performance.getEntriesByType('resource').map((entry) => entry.name)]`),
      async problems() {
        await evaluate(`window.__reports?.takeRecords().forEach((report) =>
          window.__problems.push('report: ' + report.type + ' ' + JSON.stringify(report.body)))`);
        return evaluate('window.__problems');
      },
    });
  } finally {
    await driver.close().catch(() => {});
    driverProcess.kill();
    xvfb.process.kill();
  }
});
