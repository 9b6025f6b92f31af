import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ExecutionSummary, StepSummary } from '../api';
import { formatDuration } from '../format';
import { href } from '../router';
import type { TimelineRow } from '../timelineRows';
import { StatusBadge } from './StatusBadge';

/** Height of one step's row, in CSS pixels (styles.css `.timeline-row` agrees). */
export const ROW_HEIGHT = 30;
/** Rows drawn beyond the visible ones on each side, so that a fast scroll shows no gap. */
const OVERSCAN = 10;

/**
 * The steps as a waterfall: one row per step in start order (timelineRows.ts), its bar placed by
 * its start and length within the execution, its lane said in words: steps that ran in parallel
 * are in different lanes. A retry's tries and an expanded child execution's steps are indented
 * under their step; retries and skips are marked in words. Only the rows in view are in the
 * document: an execution of thousands of steps scrolls like one of ten. Arrow keys, Home and End
 * move between steps. Bars are placed through the CSSOM (`style` objects), which the page's
 * `style-src 'self'` allows, never through a style attribute in markup.
 */
export function Timeline({
  rows,
  startedAt,
  endedAt,
  selected,
  onSelect,
  onToggle,
}: {
  rows: TimelineRow[];
  startedAt: number;
  /** The execution's end, or now while it runs. */
  endedAt: number;
  selected: string | null;
  onSelect: (step: StepSummary) => void;
  /** Shows or hides a child execution's steps. */
  onToggle: (child: ExecutionSummary) => void;
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

  const selectedIndex = rows.findIndex((row) => row.kind === 'step' && row.step.id === selected);
  const scrollTo = (index: number) => {
    const element = viewport.current;
    if (!element || index === -1) return;
    const top = index * ROW_HEIGHT;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + ROW_HEIGHT > element.scrollTop + element.clientHeight) element.scrollTop = top + ROW_HEIGHT - element.clientHeight;
  };
  // A step selected elsewhere (the graph) is scrolled into view.
  useEffect(() => scrollTo(selectedIndex), [selectedIndex]);
  // The step moved to by keyboard is focused in the render that draws its row, before the browser
  // paints or reads the next key: after an effect (a frame later) the key pressed meanwhile went to
  // the page, the row it left (scrolled out of the drawn ones) having taken the focus with it.
  const pendingFocus = useRef<string | null>(null);
  useLayoutEffect(() => {
    const id = pendingFocus.current;
    const button =
      id === null ? null : viewport.current?.querySelector<HTMLButtonElement>(`[data-step="${CSS.escape(id)}"] > button:first-child`);
    if (!button) return;
    pendingFocus.current = null;
    button.focus();
  });

  const span = Math.max(1, endedAt - startedAt);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);

  const move = (event: KeyboardEvent) => {
    if ((event.target as HTMLElement).closest('.timeline-expand, .timeline-open')) return;
    const step = (from: number, by: number) => {
      for (let i = from; i >= 0 && i < rows.length; i += by) if (rows[i]!.kind === 'step') return i;
      return -1;
    };
    const to =
      event.key === 'ArrowDown'
        ? step(selectedIndex + 1, 1)
        : event.key === 'ArrowUp'
          ? step(Math.max(0, selectedIndex - 1), -1)
          : event.key === 'Home'
            ? step(0, 1)
            : event.key === 'End'
              ? step(rows.length - 1, -1)
              : null;
    if (to === null) return;
    event.preventDefault();
    const row = rows[to === -1 ? selectedIndex : to];
    if (!row || row.kind !== 'step') return;
    pendingFocus.current = row.step.id;
    scrollTo(rows.indexOf(row));
    // The rows drawn follow the scroll in this render, not at its event a frame later.
    if (viewport.current) setScrollTop(viewport.current.scrollTop);
    onSelect(row.step);
  };

  return (
    <div
      class="timeline"
      ref={viewport}
      onScroll={(event) => setScrollTop((event.currentTarget as HTMLDivElement).scrollTop)}
      onKeyDown={move}
    >
      <ol class="timeline-rows" style={{ height: `${rows.length * ROW_HEIGHT}px` }} aria-label="Steps in start order">
        {rows.slice(first, last).map((row, offset) => {
          const index = first + offset;
          const position = { top: `${index * ROW_HEIGHT}px` };
          if (row.kind === 'child') {
            return (
              <li
                key={row.key}
                data-child={row.child.id}
                class="timeline-row timeline-note timeline-child-row"
                style={position}
                aria-setsize={rows.length}
                aria-posinset={index + 1}
              >
                <span style={{ paddingLeft: `${row.depth * 1.25 + 3.5}rem` }}>
                  Child execution {row.number} of {row.of}: {row.child.workflowName || row.child.workflowId}
                </span>
                <span class="timeline-child">
                  <ChildLinks child={row.child} expanded={row.expanded} onToggle={onToggle} />
                </span>
              </li>
            );
          }
          if (row.kind === 'note') {
            return (
              <li key={row.key} class="timeline-row timeline-note" style={position} aria-setsize={rows.length} aria-posinset={index + 1}>
                <span style={{ paddingLeft: `${row.depth * 1.25 + 3.5}rem` }}>{row.text}</span>
              </li>
            );
          }
          return (
            <StepRow
              key={row.step.id}
              row={row}
              position={position}
              index={index}
              count={rows.length}
              selected={row.step.id === selected}
              bar={bar(row.step, startedAt, endedAt, span)}
              onSelect={onSelect}
              onToggle={onToggle}
            />
          );
        })}
      </ol>
    </div>
  );
}

/** The bar's place in the track, in percent of the execution's span. */
function bar(step: StepSummary, startedAt: number, endedAt: number, span: number): { left: string; width: string } {
  const end = step.completedAt ?? (step.status === 'running' ? endedAt : step.startedAt);
  const left = Math.max(0, ((step.startedAt - startedAt) / span) * 100);
  const width = Math.max(0, ((end - step.startedAt) / span) * 100);
  return { left: `${Math.min(100, left)}%`, width: `max(2px, ${Math.min(100 - left, width)}%)` };
}

function StepRow({
  row,
  position,
  index,
  count,
  selected,
  bar,
  onSelect,
  onToggle,
}: {
  row: Extract<TimelineRow, { kind: 'step' }>;
  position: { top: string };
  index: number;
  count: number;
  selected: boolean;
  bar: { left: string; width: string };
  onSelect: (step: StepSummary) => void;
  onToggle: (child: ExecutionSummary) => void;
}) {
  const { step, child } = row;
  // Marks are words, so that a retry or a skip does not rest on colour alone.
  const mark =
    row.attempt !== null
      ? `try ${row.attempt}`
      : row.tries > 1
        ? `${row.tries} tries`
        : row.tries === 1
          ? '1 try'
          : step.status === 'skipped'
            ? 'not taken'
            : '';
  const name = step.nodeName || step.nodeId;
  return (
    <li
      data-step={step.id}
      data-lane={row.lane}
      data-depth={row.depth}
      class={`timeline-row row-${step.status}${row.attempt !== null ? ' row-try' : ''}${selected ? ' selected' : ''}`}
      style={position}
      aria-setsize={count}
      aria-posinset={index + 1}
    >
      <button type="button" aria-current={selected ? 'true' : undefined} onClick={() => onSelect(step)}>
        <span class="timeline-index">{step.stepIndex}</span>
        <span class="timeline-lane">lane {row.lane + 1}</span>
        <span class="timeline-name" style={{ paddingLeft: `${row.depth * 1.25}rem` }}>
          {name}
        </span>
        <span class="timeline-type">
          {mark && <strong class="timeline-mark">{mark}</strong>} {step.nodeType}
        </span>
        <StatusBadge status={step.status} />
        <span class="timeline-duration">{step.status === 'running' ? 'running' : formatDuration(step.durationMs)}</span>
        <span class="timeline-track" aria-hidden="true">
          <span class={`timeline-bar bar-${step.status}`} style={bar} />
        </span>
      </button>
      <span class="timeline-child">{child && <ChildLinks child={child} expanded={row.expanded} onToggle={onToggle} />}</span>
    </li>
  );
}

/** A child execution's disclosure (its steps shown in place) and the link to its own page. */
function ChildLinks({
  child,
  expanded,
  onToggle,
}: {
  child: ExecutionSummary;
  expanded: boolean;
  onToggle: (child: ExecutionSummary) => void;
}) {
  return (
    <>
      <button
        type="button"
        class="timeline-expand small"
        aria-expanded={expanded ? 'true' : 'false'}
        aria-label={`${expanded ? 'Hide' : 'Show'} the steps of child execution ${child.workflowName || child.workflowId}`}
        onClick={() => onToggle(child)}
      >
        {expanded ? '▾ child' : '▸ child'}
      </button>
      <a class="timeline-open" href={href(`/executions/${encodeURIComponent(child.id)}`)} aria-label={`Open child execution ${child.id}`}>
        open
      </a>
    </>
  );
}
