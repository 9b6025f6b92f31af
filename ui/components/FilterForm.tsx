import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../http';
import { href, navigate } from '../router';

/** Filters with one value each: the API's parameters under the same names (the CLI's flags). */
const SINGLE = ['workflow', 'status', 'trigger', 'since', 'until'] as const;
/** Filters that repeat: every `tag=` and `where=` of the URL must hold. */
const REPEATED = ['tag', 'where'] as const;
/** Parameters only a link sets (a trace id, a page size, step filters): kept as they are when the form is applied. */
const KEPT = ['trace', 'limit', 'node', 'node-type', 'step-status'];

type Single = (typeof SINGLE)[number];
type Repeated = (typeof REPEATED)[number];
interface Values {
  single: Record<Single, string>;
  repeated: Record<Repeated, string[]>;
  kept: [string, string][];
}

function valuesOf(search: URLSearchParams): Values {
  return {
    single: Object.fromEntries(SINGLE.map((name) => [name, search.get(name) ?? ''])) as Record<Single, string>,
    // One field per value in the URL, and one empty field when there is none; "+" adds more.
    repeated: { tag: atLeastOne(search.getAll('tag')), where: atLeastOne(search.getAll('where')) },
    kept: [...search].filter(([name]) => KEPT.includes(name)),
  };
}

function atLeastOne(values: string[]): string[] {
  return values.length > 0 ? values : [''];
}

const REPEATED_LABELS: Record<Repeated, { label: string; placeholder: string; add: string }> = {
  tag: { label: 'Tag', placeholder: 'tenant=acme', add: 'Add a tag filter' },
  where: { label: 'Where', placeholder: 'output.code=05', add: 'Add a where filter' },
};

/**
 * The Executions page's filter form: its fields start from the URL, and applying it puts them
 * back in the URL, with what the form does not show (trace, limit, step filters) kept.
 */
export function FilterForm({ search, error }: { search: URLSearchParams; error: ApiError | null }) {
  const [values, setValues] = useState(() => valuesOf(search));
  useEffect(() => setValues(valuesOf(search)), [search.toString()]);
  const setSingle = (name: Single) => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement | HTMLSelectElement).value;
    setValues((old) => ({ ...old, single: { ...old.single, [name]: value } }));
  };
  const setRepeated = (name: Repeated, at: number) => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement).value;
    setValues((old) => ({ ...old, repeated: { ...old.repeated, [name]: old.repeated[name].map((v, i) => (i === at ? value : v)) } }));
  };
  // The field "+" added, to move the focus there once it is drawn.
  const [added, setAdded] = useState<string | null>(null);
  useEffect(() => {
    if (added !== null) document.getElementById(added)?.focus();
  }, [added]);
  const addField = (name: Repeated) => {
    setAdded(`filter-${name}-${values.repeated[name].length}`);
    setValues((old) => ({ ...old, repeated: { ...old.repeated, [name]: [...old.repeated[name], ''] } }));
  };
  const dropKept = (at: number) => setValues((old) => ({ ...old, kept: old.kept.filter((_, i) => i !== at) }));

  const apply = (event: Event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const name of SINGLE) if (values.single[name].trim() !== '') params.set(name, values.single[name].trim());
    for (const name of REPEATED) for (const value of values.repeated[name]) if (value.trim() !== '') params.append(name, value.trim());
    for (const [name, value] of values.kept) params.append(name, value);
    const text = params.toString();
    navigate(text ? `/?${text}` : '/');
  };

  const field = (name: Single, label: string, placeholder: string) => (
    <label>
      <span>{label}</span>
      <input
        name={name}
        value={values.single[name]}
        placeholder={placeholder}
        onInput={setSingle(name)}
        aria-invalid={error?.field === name ? 'true' : undefined}
      />
    </label>
  );
  const repeated = (name: Repeated) => {
    const { label, placeholder, add } = REPEATED_LABELS[name];
    const fields = values.repeated[name];
    return (
      <>
        {fields.map((value, i) => (
          <label key={`${name}-${i}`}>
            <span>{i === 0 ? label : `${label} ${i + 1}`}</span>
            <input
              id={`filter-${name}-${i}`}
              name={name}
              value={value}
              placeholder={placeholder}
              onInput={setRepeated(name, i)}
              aria-invalid={error?.field === name ? 'true' : undefined}
            />
          </label>
        ))}
        <button type="button" class="add-filter" aria-label={add} title={add} onClick={() => addField(name)}>
          +
        </button>
      </>
    );
  };

  return (
    <form class="filters" role="search" aria-label="Filter executions" onSubmit={apply}>
      {field('workflow', 'Workflow', 'order-sync')}
      <label>
        <span>Status</span>
        <select name="status" value={values.single.status} onChange={setSingle('status')}>
          <option value="">any</option>
          <option value="running">running</option>
          <option value="success">success</option>
          <option value="error">error</option>
          <option value="interrupted">interrupted</option>
        </select>
      </label>
      {field('trigger', 'Trigger', 'webhook')}
      {field('since', 'Since', '24h or 2026-01-31')}
      {field('until', 'Until', '1h or 2026-02-01')}
      {repeated('tag')}
      {repeated('where')}
      {values.kept.map(([name, value], i) => (
        <span class="kept" key={`${name}=${value}`}>
          {name}: <span class="kept-value">{value}</span>
          <button type="button" class="small" aria-label={`Remove ${name} ${value}`} onClick={() => dropKept(i)}>
            ×
          </button>
        </span>
      ))}
      <button type="submit">Apply</button>
      <a class="button" href={href('/')}>
        Clear
      </a>
    </form>
  );
}
