import { ErrorBoundary, LocationProvider, Route, Router } from 'preact-iso';
import { Layout } from './components/layout';
import { NotFound } from './pages/not-found';
import { ROUTES } from './routes';

/** The app: one router over {@link ROUTES}, inside the layout; links outside /app/ are left to the browser. */
export function App() {
  return (
    <LocationProvider scope="/app">
      <Layout>
        <ErrorBoundary>
          <Router>
            {[
              ...ROUTES.map((r) => <Route key={r.path} path={r.path} component={r.component} />),
              <Route key="404" default component={NotFound} />,
            ]}
          </Router>
        </ErrorBoundary>
      </Layout>
    </LocationProvider>
  );
}
