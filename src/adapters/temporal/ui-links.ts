import type { AppConfig } from '../../config/config';

/** The port of the Web UI `algo stack up` serves: the dev server's, or production mode's UI server's. */
export function localTemporalUiPort(config: Pick<AppConfig, 'temporal'>): number {
  const { server, devServer, production } = config.temporal;
  return server === 'postgres' ? production.uiPort : devServer.uiPort;
}

/** The Temporal Web UI's base URL: `temporal.uiUrl`, else the UI `algo stack up` serves. */
export function temporalUiBase(config: Pick<AppConfig, 'temporal'>): string {
  const { uiUrl, address } = config.temporal;
  if (uiUrl) return uiUrl.replace(/\/+$/, '');
  return `http://${address.split(':')[0]}:${localTemporalUiPort(config)}`;
}

/** The page of one workflow run in the Temporal Web UI. */
export function temporalWorkflowUrl(config: Pick<AppConfig, 'temporal'>, workflowId: string, runId: string): string {
  const ns = encodeURIComponent(config.temporal.namespace);
  return `${temporalUiBase(config)}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

/** The Temporal Web UI's list of the runs of one workflow type. */
export function temporalWorkflowListUrl(config: Pick<AppConfig, 'temporal'>, workflowType: string): string {
  const ns = encodeURIComponent(config.temporal.namespace);
  return `${temporalUiBase(config)}/namespaces/${ns}/workflows?query=${encodeURIComponent(`WorkflowType="${workflowType}"`)}`;
}
