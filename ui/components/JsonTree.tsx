import type { ComponentChildren } from 'preact';

/** What flowtrail's capture stores in place of a value: src/capture/redact.ts and truncate.ts. */
const REDACTED = '[REDACTED]';

interface Truncated {
  _truncated: true;
  _originalSize: number;
  _originalSizeIsLowerBound?: true;
  _preview: string;
}

/** Capture's truncation marker, as the store's lost-data check reads it: stored data that only looks like one is shown as data. */
function isTruncated(value: unknown): value is Truncated {
  if (typeof value !== 'object' || value === null) return false;
  const marker = value as { _truncated?: unknown; _originalSize?: unknown; _preview?: unknown };
  return marker._truncated === true && typeof marker._originalSize === 'number' && typeof marker._preview === 'string';
}

/**
 * Captured JSON as a tree of native disclosure widgets (keyboard and screen-reader ready). Every
 * key and value is a text node: a stored `<script>` shows as those characters. A redacted value
 * and a payload cut at maxDataSize are marked as such, not shown as the data they replaced.
 */
export function JsonTree({ value, label }: { value: unknown; label?: string }) {
  return (
    <div class="json-tree">
      <Node value={value} name={label} depth={0} />
    </div>
  );
}

function Node({ value, name, depth }: { value: unknown; name?: string; depth: number }) {
  const key = name === undefined ? null : <span class="json-key">{name}: </span>;
  if (isTruncated(value)) {
    return (
      <div class="json-row">
        {key}
        <span class="marker marker-truncated" title="Larger than maxDataSize when captured: only its beginning was stored">
          truncated
        </span>{' '}
        <span class="json-note">
          {value._originalSizeIsLowerBound ? 'over ' : ''}
          {value._originalSize.toLocaleString()} bytes; preview:
        </span>
        <pre class="json-preview">{String(value._preview)}</pre>
      </div>
    );
  }
  if (value === REDACTED) {
    return (
      <div class="json-row">
        {key}
        <span class="marker marker-redacted" title="Redacted when captured: the value was never stored">
          redacted
        </span>
      </div>
    );
  }
  if (Array.isArray(value) || (typeof value === 'object' && value !== null)) {
    const entries: [string, unknown][] = Array.isArray(value) ? value.map((item, i) => [String(i), item]) : Object.entries(value);
    const typeName =
      !Array.isArray(value) && typeof (value as { _type?: unknown })._type === 'string' ? (value as { _type: string })._type : null;
    const summary: ComponentChildren = Array.isArray(value)
      ? `[${entries.length} item${entries.length === 1 ? '' : 's'}]`
      : `{${entries.length} key${entries.length === 1 ? '' : 's'}}`;
    if (entries.length === 0) {
      return (
        <div class="json-row">
          {key}
          <span class="json-punct">{Array.isArray(value) ? '[]' : '{}'}</span>
        </div>
      );
    }
    return (
      <details class="json-branch" open={depth < 2}>
        <summary>
          {key}
          {typeName !== null && <span class="json-type">{typeName} </span>}
          <span class="json-punct">{summary}</span>
        </summary>
        <div class="json-children">
          {entries.map(([childKey, child]) => (
            <Node key={childKey} name={childKey} value={child} depth={depth + 1} />
          ))}
        </div>
      </details>
    );
  }
  return (
    <div class="json-row">
      {key}
      <Scalar value={value} />
    </div>
  );
}

function Scalar({ value }: { value: unknown }) {
  if (typeof value === 'string') return <span class="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === 'number') return <span class="json-number">{String(value)}</span>;
  if (typeof value === 'boolean') return <span class="json-boolean">{String(value)}</span>;
  return <span class="json-null">null</span>;
}
