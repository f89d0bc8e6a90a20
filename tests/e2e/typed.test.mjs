// End-to-end test of the typed content views: two bare rootfs.cpio archives built here hold a
// .pyc (source mtime changed), a .tar.gz (gzip mtime changed; inside, one member changed, one
// added with a hostile name) and the fixtures' static ELF with its GNU build-id changed. The
// entry detail must show decoded pyc header fields, the gzip header, the nested archive member
// listing with the member's text diff, and the ELF build-ids / sections, as markup, not JSON,
// and with every name escaped. Run with `node --test tests/e2e/`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FIXTURES, SHOTS, closeClean, compareFiles, fileOf, newcCpio, openPage, useServer } from './helpers.mjs';

/** A ustar archive of [{ name, data }] (regular files, mode 0644, mtime 1700000000). */
function ustar(files) {
  const blocks = [];
  const octal = (n, width) => `${n.toString(8).padStart(width - 1, '0')}\0`;
  for (const { name, data } of files) {
    const body = Buffer.from(data);
    const h = Buffer.alloc(512);
    h.write(name, 0, 100);
    h.write(octal(0o644, 8), 100);
    h.write(octal(0, 8), 108);
    h.write(octal(0, 8), 116);
    h.write(octal(body.length, 12), 124);
    h.write(octal(1700000000, 12), 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    const sum = h.reduce((s, c) => s + c, 0);
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A CPython 3.11 timestamp-based .pyc: magic 3495, flags 0, source mtime and size, code. */
function pyc(mtime) {
  const h = Buffer.alloc(16);
  h.writeUInt16LE(3495, 0);
  h.write('\r\n', 2);
  h.writeUInt32LE(0, 4);
  h.writeUInt32LE(mtime, 8);
  h.writeUInt32LE(42, 12);
  return Buffer.concat([h, Buffer.from('\xe3\x00\x00\x00code object bytes', 'latin1')]);
}

/** The fixtures' static ELF `rootfs/usr/bin/hello` (824 bytes, read from the customer cpio). */
async function helloElf() {
  const cpio = gunzipSync(await readFile(path.join(FIXTURES, 'basic-customer-a.cpio.gz')));
  const at = cpio.indexOf(Buffer.from('rootfs/usr/bin/hello\0'));
  const header = cpio.subarray(at - 110, at).toString('ascii');
  const size = parseInt(header.slice(54, 62), 16);
  const nameSize = parseInt(header.slice(94, 102), 16);
  const start = Math.ceil((at + nameSize) / 4) * 4;
  return Buffer.from(cpio.subarray(start, start + size));
}

const HOSTILE = 'conf/<img src=x onerror=alert(1)>.txt';
const env = useServer();
let archives;
before(async () => {
  const elfA = await helloElf();
  assert.equal(elfA.subarray(0, 4).toString('latin1'), '\x7fELF');
  const elfB = Buffer.from(elfA);
  elfB[0xf8] ^= 0xff; // first byte of the GNU build-id descriptor (.note.gnu.build-id at 0xe8)
  const tarA = gzipSync(ustar([{ name: 'conf/a.txt', data: 'port=80\nmode=prod\n' }, { name: 'conf/b.txt', data: 'same\n' }]));
  const tarB = gzipSync(ustar([
    { name: 'conf/a.txt', data: 'port=80\nmode=test\n' }, { name: 'conf/b.txt', data: 'same\n' }, { name: HOSTILE, data: 'x\n' },
  ]));
  tarB.writeUInt32LE(1700000000, 4); // gzip header MTIME
  archives = {
    a: newcCpio([{ name: 'app/data.tar.gz', data: tarA }, { name: 'app/hello', data: elfA, mode: 0o100755 }, { name: 'app/mod.pyc', data: pyc(1700000000) }]),
    b: newcCpio([{ name: 'app/data.tar.gz', data: tarB }, { name: 'app/hello', data: elfB, mode: 0o100755 }, { name: 'app/mod.pyc', data: pyc(1700086400) }]),
  };
});

test('typed detail views: pyc header, gzip header, nested tar member listing, ELF build-id', async () => {
  const session = await openPage(env, { viewport: { width: 1280, height: 900 } });
  const { page } = session;
  const state = await compareFiles(page, fileOf('typed-a.cpio', archives.a), fileOf('typed-b.cpio', archives.b));
  assert.equal(state, 'done', await page.textContent('[data-testid=status]'));
  assert.match(await page.textContent('[data-testid=counts]'), /^3 changed · 0 added · 0 removed/);
  const detail = page.locator('[data-testid=entry-detail]');
  const noJson = async () => {
    assert.equal(await detail.locator('pre').count(), 0, 'no JSON dump');
    assert.ok(!(await detail.textContent()).includes('"header_a"'), 'no JSON field names');
  };

  // pyc: the source mtime decoded, side by side.
  await page.click('[id="entry-app_2fmod.pyc"]');
  const pycView = detail.locator('[data-testid=pyc-view]');
  assert.match(await pycView.textContent(), /python 3\.11 → 3\.11/);
  const mtime = pycView.locator('tr[data-field=source_mtime]');
  assert.equal(await mtime.locator('td.del').textContent(), '1700000000 (2023-11-14T22:13:20Z)');
  assert.equal(await mtime.locator('td.ins').textContent(), '1700086400 (2023-11-15T22:13:20Z)');
  await noJson();

  // tar.gz: the gzip header, then the tar member listing, then the member's own text diff.
  await page.click('[id="entry-app_2fdata.tar.gz"]');
  const gz = detail.locator('[data-testid=gzip-view]');
  assert.match(await gz.locator('tr[data-field=mtime] td.ins').textContent(), /^1700000000 \(2023-11-14T22:13:20Z\)$/);
  const members = detail.locator('[data-testid=archive-view]');
  assert.match(await members.locator('.diff-stats').textContent(), /^tar archive: a 2 entries, b 3 entries, 1 unchanged/);
  const listing = members.locator('[data-testid=member-list]');
  assert.equal(await listing.locator('tr[data-status=added] code').textContent(), HOSTILE, 'the hostile name is shown as text');
  assert.equal(await listing.locator('tr[data-status=changed] code').textContent(), 'conf/a.txt');
  assert.match(await listing.locator('tr[data-status=changed]').textContent(), /content/);
  assert.equal(await detail.locator('img').count(), 0, 'no markup from a member name');
  assert.equal(await detail.locator('[data-testid=text-diff] tr.del mark').first().textContent(), 'mode=prod');
  await noJson();
  await detail.screenshot({ path: path.join(SHOTS, 'app-typed-archive.png') });

  // ELF: only the build-id differs, said plainly; both ids; the note section in the table.
  await page.click('[id="entry-app_2fhello"]');
  const elf = detail.locator('[data-testid=elf-view]');
  assert.match(await elf.locator('.diff-stats').first().textContent(), /^elf64 little x86_64 executable, entry 0x/);
  const ids = elf.locator('[data-testid=build-id] td');
  assert.equal(await ids.first().textContent(), 'cd164b759ed2e6fe381196567258f4821b5be210');
  assert.equal(await ids.last().textContent(), '32164b759ed2e6fe381196567258f4821b5be210');
  assert.match(await detail.textContent(), /only the GNU build-id differs/);
  assert.equal(await elf.locator('[data-testid=elf-sections] tbody tr').count(), 1);
  assert.equal(await elf.locator('[data-testid=elf-sections] tbody th').textContent(), '.note.gnu.build-id');
  await noJson();
  await detail.screenshot({ path: path.join(SHOTS, 'app-typed-elf.png') });

  await closeClean(session);
});
