import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { ROUTES } from '../routes';

/** Header with the nav (every route with a `nav` label), the page, a footer. */
export function Layout({ children }: { children: ComponentChildren }) {
  // preact-iso's path has no trailing slash (/app/ is /app).
  const { path } = useLocation();
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/app/">
          Algo Signals
        </a>
        <nav aria-label="Main">
          <ul>
            {ROUTES.filter((r) => r.nav).map((r) => (
              <li key={r.path}>
                <a href={r.path} aria-current={path === (r.path.replace(/\/+$/, '') || '/') ? 'page' : undefined}>
                  {r.nav}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer class="foot">
        Signals are not advice. <a href="/docs">API</a>
      </footer>
    </>
  );
}
