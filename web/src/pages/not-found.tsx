import { useLocation } from 'preact-iso';

export function NotFound() {
  const { path } = useLocation();
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{path}</code>. <a href="/app/">Go to the start page</a>.
      </p>
    </section>
  );
}
