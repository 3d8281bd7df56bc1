import fs from 'node:fs';
import type { AppConfig } from '../../config/config';

/**
 * Connection options shared by the client and the worker, from config: the
 * same code runs against the local dev server, a self-hosted cluster (mTLS)
 * or Temporal Cloud (API key).
 */
export function temporalConnectionOptions(config: AppConfig) {
  const { address, tls, apiKey } = config.temporal;
  const read = (file?: string) => (file ? fs.readFileSync(file) : undefined);
  const tlsOptions =
    typeof tls === 'object'
      ? {
          serverNameOverride: tls.serverNameOverride,
          serverRootCACertificate: read(tls.serverRootCaCertPath),
          clientCertPair:
            tls.clientCertPath && tls.clientKeyPath
              ? { crt: read(tls.clientCertPath)!, key: read(tls.clientKeyPath)! }
              : undefined,
        }
      : tls || apiKey
        ? true
        : undefined;
  return {
    address,
    tls: tlsOptions,
    apiKey,
    metadata: apiKey ? { 'temporal-namespace': config.temporal.namespace } : undefined,
  };
}
