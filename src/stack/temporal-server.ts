/**
 * The self-hosted Temporal Service (production mode, `temporal.server:
 * postgres`): the server release every mode runs, the one docker-compose.yml
 * pins, and where its Go modules come from.
 */

/** The Temporal server release of production mode and of docker-compose.yml; change it here and there together. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';

/** The Go packages of the server and of its schema tool (`temporal-sql-tool`), built with `go install`. */
export const TEMPORAL_SERVER_PACKAGES = {
  server: 'go.temporal.io/server/cmd/server',
  sqlTool: 'go.temporal.io/server/cmd/tools/sql',
} as const;
