import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../adapters/postgres/database';

/** GET /ready's checks of the API process's real clients: a query, a PING, Temporal's system info. */
export function dependencyChecks(clients: {
  db: Kysely<Database>;
  redis: Redis;
  temporal: Client;
}): Record<string, () => Promise<void>> {
  return {
    database: async () => {
      await sql`select 1`.execute(clients.db);
    },
    redis: async () => {
      await clients.redis.ping();
    },
    temporal: async () => {
      // Its own deadline: a server that is down must not hold the answer for gRPC's retries.
      await clients.temporal.withDeadline(Date.now() + 2_000, () => clients.temporal.workflowService.getSystemInfo({}));
    },
  };
}
