import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { BadInputError } from '../../domain/errors';
import { isObjectKey, type ObjectStore, type StoredObject } from '../../domain/object-store';

/** Settings of an S3-compatible store (AWS S3, MinIO, ...). */
export interface S3ObjectStoreOptions {
  bucket: string;
  region: string;
  /** Endpoint of an S3-compatible server (MinIO: `http://127.0.0.1:9000`); omitted: AWS S3. */
  endpoint?: string;
  /** Omitted: the SDK's default chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** `bucket` in the path rather than the host name (MinIO needs it). */
  forcePathStyle: boolean;
  /** Base URL that reports are linked under (a CDN or a public bucket URL); default the endpoint's bucket URL. */
  publicUrl?: string;
  /** Key prefix inside the bucket (e.g. `reports/`); default none. */
  prefix?: string;
  /** Create the bucket on the first write when it does not exist (default true). */
  createBucket?: boolean;
}

/** {@link ObjectStore} over an S3-compatible bucket, with the maintained AWS SDK v3 client. */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  private bucketReady: Promise<void> | undefined;

  constructor(private readonly options: S3ObjectStoreOptions) {
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      // S3-compatible servers (MinIO releases, test servers) do not all accept the SDK's default CRC32 trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    };
    this.client = new S3Client(config);
  }

  async put(key: string, body: string | Uint8Array, contentType: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.ensureBucket();
    await this.client.send(
      new PutObjectCommand({ Bucket: this.options.bucket, Key, Body: body, ContentType: contentType }),
    );
  }

  async get(key: string): Promise<StoredObject | null> {
    const Key = this.objectKey(key);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key }));
      if (!response.Body) return null;
      const bytes = await response.Body.transformToByteArray();
      return { body: Buffer.from(bytes), contentType: response.ContentType ?? 'application/octet-stream' };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      // S3 answers 204 for a key that is not there: deleting twice is safe.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  url(key: string): string {
    const path = this.objectKey(key).split('/').map(encodeURIComponent).join('/');
    if (this.options.publicUrl) return `${this.options.publicUrl.replace(/\/+$/, '')}/${path}`;
    const { bucket, region, endpoint, forcePathStyle } = this.options;
    if (endpoint) {
      const base = new URL(endpoint);
      const root = base.toString().replace(/\/+$/, '');
      if (forcePathStyle) return `${root}/${encodeURIComponent(bucket)}/${path}`;
      return `${base.protocol}//${bucket}.${base.host}/${path}`;
    }
    return forcePathStyle
      ? `https://s3.${region}.amazonaws.com/${encodeURIComponent(bucket)}/${path}`
      : `https://${bucket}.s3.${region}.amazonaws.com/${path}`;
  }

  /** Close the client's sockets. */
  close(): void {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    if (!isObjectKey(key)) throw new BadInputError(`invalid object key ${JSON.stringify(key)}`);
    return `${this.options.prefix ?? ''}${key}`;
  }

  /** Once per store: create the bucket if it is missing (a fresh MinIO has none). */
  private ensureBucket(): Promise<void> {
    if (this.options.createBucket === false) return Promise.resolve();
    this.bucketReady ??= (async () => {
      const Bucket = this.options.bucket;
      try {
        await this.client.send(new HeadBucketCommand({ Bucket }));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        try {
          await this.client.send(new CreateBucketCommand({ Bucket }));
        } catch (createErr) {
          // Another worker may have created it in between.
          const name = (createErr as { name?: string }).name;
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw createErr;
        }
      }
    })().catch((err: unknown) => {
      // A failed check is retried by the next write rather than remembered.
      this.bucketReady = undefined;
      throw err;
    });
    return this.bucketReady;
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e?.name === 'NoSuchKey' ||
    e?.name === 'NotFound' ||
    e?.name === 'NoSuchBucket' ||
    e?.$metadata?.httpStatusCode === 404
  );
}
