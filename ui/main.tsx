import { render } from 'preact';
import { ComparePage } from './pages/ComparePage';
import { ExecutionPage } from './pages/ExecutionPage';
import { ExecutionsPage } from './pages/ExecutionsPage';
import { StatsPage } from './pages/StatsPage';
import { decodeSegment, href, interceptLinks, usePlace } from './router';

function App() {
  const place = usePlace();
  const execution = /^\/executions\/([^/]+)$/.exec(place.path);
  const id = execution ? decodeSegment(execution[1]!) : null;
  let page;
  if (execution && id === null) {
    page = (
      <main>
        <h1>Not found</h1>
        <p class="error" role="alert">
          This address names no execution: its id is not valid percent-encoding.
        </p>
        <p>
          <a href={href('/')}>Executions</a>
        </p>
      </main>
    );
  } else if (id !== null) {
    page = <ExecutionPage key={id} id={id} place={place} />;
  } else if (place.path === '/') {
    page = <ExecutionsPage place={place} />;
  } else if (place.path === '/compare') {
    page = <ComparePage place={place} />;
  } else if (place.path === '/stats') {
    page = <StatsPage place={place} />;
  } else {
    page = (
      <main>
        <h1>Not found</h1>
        <p>
          <a href={href('/')}>Executions</a>
        </p>
      </main>
    );
  }
  return (
    <>
      <header class="top">
        <a class="brand" href={href('/')}>
          flowtrail
        </a>
        <nav aria-label="Pages">
          <a href={href('/')} aria-current={place.path === '/' ? 'page' : undefined}>
            Executions
          </a>
          <a href={href('/compare')} aria-current={place.path === '/compare' ? 'page' : undefined}>
            Compare
          </a>
          <a href={href('/stats')} aria-current={place.path === '/stats' ? 'page' : undefined}>
            Stats
          </a>
        </nav>
      </header>
      {place.ignored.length > 0 && (
        <p class="error ignored" role="alert">
          Ignored from the address, as it is not valid percent-encoding: {place.ignored.join(', ')}.
        </p>
      )}
      {page}
    </>
  );
}

const root = document.getElementById('app')!;
interceptLinks(root);
render(<App />, root);
