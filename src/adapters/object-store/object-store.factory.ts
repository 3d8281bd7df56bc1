import type { AppConfig } from '../../config/config';
import type { ObjectStore } from '../../domain/object-store';
import { FilesystemObjectStore } from './filesystem-object.store';
import { S3ObjectStore } from './s3-object.store';

/** The configured report store (`backtests.reports`): a directory by default, an S3-compatible bucket when `store: s3`. */
export function createObjectStore(config: Pick<AppConfig, 'backtests' | 'dataDir'>): ObjectStore & { close?(): void } {
  const reports = config.backtests.reports;
  if (reports.store === 's3') {
    const s3 = reports.s3;
    return new S3ObjectStore({
      bucket: s3.bucket,
      region: s3.region,
      endpoint: s3.endpoint,
      credentials:
        s3.accessKeyId && s3.secretAccessKey
          ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
          : undefined,
      forcePathStyle: s3.forcePathStyle,
      publicUrl: s3.publicUrl,
    });
  }
  return new FilesystemObjectStore(reports.dir ?? `${config.dataDir}/reports`);
}
