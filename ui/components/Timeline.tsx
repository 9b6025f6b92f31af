import { useEffect, useRef, useState } from 'preact/hooks';
import type { StepSummary } from '../api';
import { formatDuration } from '../format';
import { StatusBadge } from './StatusBadge';

/** Height of one step's row, in CSS pixels (styles.css `.timeline-row` agrees). */
export const ROW_HEIGHT = 30;
/** Rows drawn beyond the visible ones on each side, so that a fast scroll shows no gap. */
const OVERSCAN = 10;

/**
 * The steps as a waterfall: one row per step in start order, its bar placed by its start and
 * length within the execution, so that steps that ran in parallel overlap and retries and skips
 * stand out by colour and word. Only the rows in view are in the document: an execution of
 * thousands of steps scrolls like one of ten. Arrow keys, Home and End move between steps.
 */
export function Timeline({
  steps,
  startedAt,
  endedAt,
  selected,
  onSelect,
}: {
  steps: StepSummary[];
  startedAt: number;
  /** The execution's end, or now while it runs. */
  endedAt: number;
  selected: string | null;
  onSelect: (stepId: string) => void;
}) {
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  useEffect(() => {
    const element = viewport.current;
    if (!element) return undefined;
    const measure = () => setHeight(element.clientHeight || 400);
    measure();
    addEventListener('resize', measure);
    return () => removeEventListener('resize', measure);
  }, []);

  const span = Math.max(1, endedAt - startedAt);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(steps.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const selectedIndex = steps.findIndex((step) => step.id === selected);

  const move = (event: KeyboardEvent) => {
    const to =
      event.key === 'ArrowDown'
        ? selectedIndex + 1
        : event.key === 'ArrowUp'
          ? selectedIndex - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? steps.length - 1
              : null;
    if (to === null) return;
    event.preventDefault();
    const step = steps[Math.max(0, Math.min(steps.length - 1, to))];
    if (!step) return;
    onSelect(step.id);
    const element = viewport.current;
    const index = steps.indexOf(step);
    if (element) {
      const top = index * ROW_HEIGHT;
      if (top < element.scrollTop) element.scrollTop = top;
      else if (top + ROW_HEIGHT > element.scrollTop + element.clientHeight) element.scrollTop = top + ROW_HEIGHT - element.clientHeight;
    }
    // The row is drawn on the next render: focus it then.
    requestAnimationFrame(() => viewport.current?.querySelector<HTMLButtonElement>(`[data-step="${step.id}"] button`)?.focus());
  };

  return (
    <div
      class="timeline"
      ref={viewport}
      onScroll={(event) => setScrollTop((event.currentTarget as HTMLDivElement).scrollTop)}
      onKeyDown={move}
    >
      <ol class="timeline-rows" style={{ height: `${steps.length * ROW_HEIGHT}px` }} aria-label="Steps in start order">
        {steps.slice(first, last).map((step, offset) => {
          const index = first + offset;
          const end = step.completedAt ?? (step.status === 'running' ? endedAt : step.startedAt);
          const left = ((step.startedAt - startedAt) / span) * 100;
          const width = Math.max(0, ((end - step.startedAt) / span) * 100);
          return (
            <li
              key={step.id}
              data-step={step.id}
              class={`timeline-row${step.id === selected ? ' selected' : ''}`}
              style={{ top: `${index * ROW_HEIGHT}px` }}
              aria-setsize={steps.length}
              aria-posinset={index + 1}
            >
              <button type="button" aria-current={step.id === selected ? 'true' : undefined} onClick={() => onSelect(step.id)}>
                <span class="timeline-index">{step.stepIndex}</span>
                <span class="timeline-name">{step.nodeName || step.nodeId}</span>
                <span class="timeline-type">{step.nodeType}</span>
                <StatusBadge status={step.status} />
                <span class="timeline-duration">{step.status === 'running' ? 'running' : formatDuration(step.durationMs)}</span>
                <span class="timeline-track" aria-hidden="true">
                  <span
                    class={`timeline-bar bar-${step.status}`}
                    style={{ left: `${Math.min(100, left)}%`, width: `max(2px, ${Math.min(100 - left, width)}%)` }}
                  />
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
