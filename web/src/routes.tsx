import type { AnyComponent } from 'preact';
import { lazy } from 'preact-iso';

/**
 * Every page of the web app, one line each: its path under /app/ (the paths
 * emails link to are src/domain/subscriptions.ts APP_PATHS), the page module
 * (loaded lazily: a page's code and its libraries, e.g. the chart, are fetched
 * only when it is shown), and a nav label when it belongs in the top bar.
 * To add a page: create web/src/pages/<name>.tsx with a default export and add its line here.
 */
export interface RouteEntry {
  path: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  component: AnyComponent<any>;
  /** Shown in the nav when set. */
  nav?: string;
}

export const ROUTES: RouteEntry[] = [
  { path: '/app/', component: lazy(() => import('./pages/home')), nav: 'Home' },
  { path: '/app/dev/components', component: lazy(() => import('./pages/dev-components')) },
  // -- subscriber pages (helper web); confirm/unsubscribe/manage are the links in emails (APP_PATHS)
  { path: '/app/subscribe', component: lazy(() => import('./pages/subscribe')), nav: 'Subscribe' },
  { path: '/app/confirm', component: lazy(() => import('./pages/confirm')) },
  { path: '/app/unsubscribe', component: lazy(() => import('./pages/unsubscribe')) },
  { path: '/app/manage', component: lazy(() => import('./pages/manage')) },
  // -- research pages (ticker, signal, track record, runs)
  // -- playground pages (backtest, compare, sweep, recommendation)
];
