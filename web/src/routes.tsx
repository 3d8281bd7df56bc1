import type { AnyComponent } from 'preact';
import { lazy } from 'preact-iso';

/**
 * Every page of the web app, one line each: its path under /app/ (the paths
 * emails link to are src/domain/subscriptions/links.ts APP_PATHS), the page module
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
  { path: '/app/tickers', component: lazy(() => import('./pages/tickers')), nav: 'Tickers' },
  { path: '/app/tickers/:ticker', component: lazy(() => import('./pages/ticker')) },
  { path: '/app/signals/:ticker/:strategy/:date', component: lazy(() => import('./pages/signal')) },
  { path: '/app/track-record', component: lazy(() => import('./pages/track-record')), nav: 'Track record' },
  { path: '/app/runs', component: lazy(() => import('./pages/runs')), nav: 'Runs' },
  // -- playground pages (backtest, compare, sweep, recommendation)
  { path: '/app/backtest', component: lazy(() => import('./pages/backtest')), nav: 'Backtest' },
  { path: '/app/strategies/new', component: lazy(() => import('./pages/rule-builder')), nav: 'Rule builder' },
  { path: '/app/compare', component: lazy(() => import('./pages/compare')) },
  { path: '/app/sweeps', component: lazy(() => import('./pages/sweeps')), nav: 'Sweeps' },
  { path: '/app/sweeps/:id', component: lazy(() => import('./pages/sweeps')) },
  { path: '/app/recommendations', component: lazy(() => import('./pages/recommendation')), nav: 'Recommendations' },
  { path: '/app/recommendations/:ticker', component: lazy(() => import('./pages/recommendation')) },
];
