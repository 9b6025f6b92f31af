import { render } from 'preact';
import { ComparePage } from './pages/ComparePage';
import { ExecutionPage } from './pages/ExecutionPage';
import { ExecutionsPage } from './pages/ExecutionsPage';
import { StatsPage } from './pages/StatsPage';
import { href, interceptLinks, usePlace } from './router';

function App() {
  const place = usePlace();
  const execution = /^\/executions\/([^/]+)$/.exec(place.path);
  let page;
  if (execution) {
    const id = decodeURIComponent(execution[1]!);
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
      {page}
    </>
  );
}

const root = document.getElementById('app')!;
interceptLinks(root);
render(<App />, root);
