import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from '../limits/redis-keys.js';

export type FilePurpose = 'batch' | 'batch_output';

/** OpenAI's File object, as `GET /files/{id}` answers it. */
export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  expires_at: number;
  filename: string;
  purpose: FilePurpose;
  status: 'processed';
  status_details: null;
}

export interface StoredFile {
  file: FileObject;
  ownerId: string;
}

export function newFileId(): string {
  return `file-${randomBytes(12).toString('hex')}`;
}

/**
 * Batch input and output files, kept in Redis for BACKGROUND_RESULT_TTL_SECONDS from their
 * creation (an output file: from the batch's end), then removed by Redis itself.
 */
export class FileStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly ttlSeconds: number,
  ) {}

  async create(o: { id?: string; ownerId: string; filename: string; purpose: FilePurpose; content: string }): Promise<FileObject> {
    const now = Math.floor(Date.now() / 1000);
    const file: FileObject = {
      id: o.id ?? newFileId(),
      object: 'file',
      bytes: Buffer.byteLength(o.content),
      created_at: now,
      expires_at: now + this.ttlSeconds,
      filename: o.filename,
      purpose: o.purpose,
      status: 'processed',
      status_details: null,
    };
    await this.redis
      .multi()
      .set(this.keys.fileContent(file.id), o.content, 'EX', this.ttlSeconds)
      .hset(this.keys.file(file.id), { meta: JSON.stringify(file), owner: o.ownerId })
      .expire(this.keys.file(file.id), this.ttlSeconds)
      .exec();
    return file;
  }

  /** The file, if it exists and belongs to `ownerId` (another client's file is not there for it). */
  async get(id: string, ownerId: string): Promise<FileObject | undefined> {
    const [meta, owner] = await this.redis.hmget(this.keys.file(id), 'meta', 'owner');
    if (meta === null || meta === undefined || owner !== ownerId) return undefined;
    return JSON.parse(meta) as FileObject;
  }

  async content(id: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.fileContent(id))) ?? undefined;
  }
}
