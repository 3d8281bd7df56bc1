import fs from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '../../domain/errors';
import { isObjectKey, type ObjectStore, type StoredObject } from '../../domain/object-store';

/** Media types by extension, for serving what was stored (a file keeps no content type). */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.csv': 'text/csv; charset=utf-8',
};

/** {@link ObjectStore} over a directory (default `<dataDir>/reports`): each key is a file under it. */
export class FilesystemObjectStore implements ObjectStore {
  readonly kind = 'filesystem' as const;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async put(key: string, body: string | Uint8Array, _contentType: string): Promise<void> {
    const file = this.file(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Write then rename: a reader never sees half a report.
    const partial = `${file}.${process.pid}.${Date.now()}.partial`;
    await fs.writeFile(partial, body);
    await fs.rename(partial, file);
  }

  async get(key: string): Promise<StoredObject | null> {
    try {
      const body = await fs.readFile(this.file(key));
      return { body, contentType: CONTENT_TYPES[path.extname(key).toLowerCase()] ?? 'application/octet-stream' };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.file(key);
    await fs.rm(file).catch((err: NodeJS.ErrnoException) => {
      // Not there (nor could be, under a file): nothing to delete.
      if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') throw err;
    });
    // An emptied directory (`backtests/<id>/`) goes too: a directory per deleted result would pile up.
    const dir = path.dirname(file);
    if (dir === this.root) return;
    await fs.rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (!['ENOTEMPTY', 'EEXIST', 'ENOENT', 'ENOTDIR'].includes(err.code ?? '')) throw err;
    });
  }

  url(key: string): string {
    return this.file(key);
  }

  private file(key: string): string {
    if (!isObjectKey(key)) throw new BadInputError(`invalid object key ${JSON.stringify(key)}`);
    return path.join(this.root, ...key.split('/'));
  }
}
