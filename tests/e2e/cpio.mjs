// Writes newc ("070701") cpio archives for end-to-end tests: the app accepts a bare
// rootfs.cpio(.gz) as an input, so tests can build exactly the archive they need (hostile
// names, huge files, many entries) without an EIF builder.
import { gzipSync } from 'node:zlib';

const hex8 = (n) => n.toString(16).padStart(8, '0');
const pad4 = (n) => (4 - (n % 4)) % 4;

/**
 * One newc archive, TRAILER!!! included. `entries`: [{ name, data?, mode?, uid?, gid?, mtime? }]
 * where `name` is a string or a Buffer (for names that are not UTF-8) and `data` a string or
 * Buffer. Directories: mode 0o040755 and no data.
 */
export function newc(entries) {
  const parts = [];
  let ino = 1;
  for (const entry of [...entries, TRAILER]) {
    const body = Buffer.isBuffer(entry.data ?? '') ? entry.data : Buffer.from(entry.data ?? '', 'utf8');
    parts.push(newcHeader({ ...entry, ino: ino++, size: body.length }), body, Buffer.alloc(pad4(body.length)));
  }
  return Buffer.concat(parts);
}

/** The trailer entry that ends every archive. */
export const TRAILER = Object.freeze({ name: 'TRAILER!!!', mode: 0 });

/**
 * One entry's header and name, padded so its data may follow: for writers that put the data
 * in place themselves (e.g. a sparse multi-GiB file). Data must then be padded to 4 bytes.
 */
export function newcHeader({ name, size, ino = 1, mode = 0o100644, uid = 0, gid = 0, mtime = 0, nlink = 1 }) {
  const nameBytes = Buffer.concat([Buffer.isBuffer(name) ? name : Buffer.from(name, 'utf8'), Buffer.from([0])]);
  const fields = [ino, mode, uid, gid, nlink, mtime, size, 0, 0, 0, 0, nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  return Buffer.concat([header, nameBytes, Buffer.alloc(pad4(header.length + nameBytes.length))]);
}

/** `newc(entries)`, gzip-compressed (a typical rootfs.cpio.gz). */
export function newcGz(entries) {
  return gzipSync(newc(entries));
}
