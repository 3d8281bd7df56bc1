import { useEffect, useMemo, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, asApiError } from '../api/client';
import type { paths } from '../api/schema';
import { errorText, Field, Form, FormError, FormResult, TextField } from '../components/form';

type RuleLanguage = paths['/strategies/rule-language']['get']['responses'][200]['content']['application/json'];
type Preview = paths['/strategies/preview']['post']['responses'][200]['content']['application/json'];

/** The admin key lives in this tab's sessionStorage only (the runs page keeps it under the same name). */
const KEY = 'algo.adminKey';

/** One condition row: `left op right [for days days]`. */
interface ConditionRow {
  left: string;
  op: string;
  right: string;
  days: string;
}

interface ParamRow {
  name: string;
  default: string;
  min: string;
  max: string;
}

/** The builder's state: entry conditions all hold (BUY), any exit condition holds (SELL). */
interface Builder {
  name: string;
  description: string;
  params: ParamRow[];
  entry: ConditionRow[];
  exit: ConditionRow[];
}

const STARTER: Builder = {
  name: 'my_cross',
  description: 'SMA(fast) crossing SMA(slow)',
  params: [
    { name: 'fast', default: '10', min: '2', max: '100' },
    { name: 'slow', default: '30', min: '5', max: '300' },
  ],
  entry: [{ left: 'sma(fast)', op: 'crosses_above', right: 'sma(slow)', days: '' }],
  exit: [{ left: 'sma(fast)', op: 'crosses_below', right: 'sma(slow)', days: '' }],
};

const conditionText = (c: ConditionRow) =>
  `${c.left.trim()} ${c.op} ${c.right.trim()}${c.days.trim() ? ` for ${c.days.trim()} days` : ''}`;

/** The rule as the API takes it (POST /strategies, /strategies/preview): the builder's one output. */
function ruleOf(b: Builder) {
  return {
    name: b.name.trim(),
    description: b.description.trim(),
    parameters: Object.fromEntries(
      b.params
        .filter((p) => p.name.trim())
        .map((p) => [p.name.trim(), { default: Number(p.default), min: Number(p.min), max: Number(p.max) }]),
    ),
    // One condition is written alone: its words then read "BUY when ...", not "either ...".
    entry: b.entry.length === 1 ? conditionText(b.entry[0]) : { all: b.entry.map(conditionText) },
    exit: b.exit.length === 1 ? conditionText(b.exit[0]) : { any: b.exit.map(conditionText) },
  };
}

const CONDITION = /^(.+?)\s+(>=|<=|>|<|crosses_above|crosses_below)\s+(.+?)(?:\s+for\s+(\S+)\s+days?)?$/;

function rowsOf(raw: unknown): ConditionRow[] {
  const list =
    typeof raw === 'string'
      ? [raw]
      : ((raw as { all?: unknown[]; any?: unknown[] })?.all ?? (raw as { any?: unknown[] })?.any ?? []);
  return list.map((text) => {
    const m = CONDITION.exec(String(text).trim());
    return m
      ? { left: m[1], op: m[2], right: m[3], days: m[4] ?? '' }
      : { left: String(text), op: '>', right: '', days: '' };
  });
}

/** The builder from a shared link's `?rule=` (the JSON of {@link ruleOf}); the starter when absent or unreadable. */
function builderFromQuery(text: string | undefined): Builder {
  if (!text) return STARTER;
  try {
    const r = JSON.parse(text) as ReturnType<typeof ruleOf>;
    return {
      name: String(r.name ?? ''),
      description: String(r.description ?? ''),
      params: Object.entries(r.parameters ?? {}).map(([name, p]) => ({
        name,
        default: String(p.default),
        min: String(p.min),
        max: String(p.max),
      })),
      entry: rowsOf(r.entry),
      exit: rowsOf(r.exit),
    };
  } catch {
    return STARTER;
  }
}

/** Where the API's `field` (`entry.all[1].right`, `parameters.fast`, `name`) shows: `entry.1.right`, `param.fast`, `name`. */
function fieldKey(field: string | undefined): string {
  if (!field) return '';
  const condition = /^(entry|exit)(?:\.(?:all|any)\[(\d+)\])?(?:\.(left|right|days))?/.exec(field);
  if (condition) return `${condition[1]}.${condition[2] ?? 0}.${condition[3] ?? 'left'}`;
  const param = /^parameters\.([^.[]+)/.exec(field);
  if (param) return `param.${param[1]}`;
  return field.split(/[.[]/)[0];
}

/** Operand suggestions from the rule language: prices, the parameters, each indicator with its arguments and outputs. */
function operandChoices(language: RuleLanguage | null, params: readonly ParamRow[]): string[] {
  if (!language) return [];
  const example: Record<string, string> = { n: '20', fast: '12', slow: '26', signal: '9', k: '2', x: 'close' };
  const indicators = language.indicators.flatMap((i) => {
    const call = `${i.name}(${i.args.map((a) => example[a] ?? '14').join(', ')})`;
    return i.outputs.length ? i.outputs.map((o) => `${call}.${o}`) : [call];
  });
  return [...language.prices, ...params.map((p) => p.name).filter(Boolean), ...indicators];
}

/**
 * /app/strategies/new: write a rule strategy without code. Operands and
 * operators come from the API's rule language; the rule is previewed in
 * words as it is typed (POST /strategies/preview), each error next to its
 * field; the whole rule lives in the page's URL (share it), and an admin
 * saves it as a named strategy (POST /strategies) that backtests, sweeps and
 * subscriptions then offer like a built-in.
 */
export default function RuleBuilderPage() {
  const { query, route } = useLocation();
  const [builder, setBuilder] = useState<Builder>(() => builderFromQuery(query.rule));
  const [language, setLanguage] = useState<RuleLanguage | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<{ key: string; message: string } | null>(null);
  const [adminKey, setAdminKey] = useState<string>(() => sessionStorage.getItem(KEY) ?? '');
  const [saveError, setSaveError] = useState<{ key: string; message: string } | null>(null);
  const [saved, setSaved] = useState<{ name: string; version: number } | null>(null);
  const rule = useMemo(() => ruleOf(builder), [builder]);
  const [ticker, setTicker] = useState('AAPL');
  const [backtestError, setBacktestError] = useState<{ key: string; message: string } | null>(null);
  const [starting, setStarting] = useState(false);
  const [saveAttempt, setSaveAttempt] = useState(0);
  const [backtestAttempt, setBacktestAttempt] = useState(0);

  useEffect(() => {
    void api.GET('/strategies/rule-language').then(({ data }) => data && setLanguage(data));
  }, []);

  // Live preview, and the rule kept in the URL, a moment after the last keystroke.
  useEffect(() => {
    const timer = setTimeout(() => {
      history.replaceState(null, '', `/app/strategies/new?rule=${encodeURIComponent(JSON.stringify(rule))}`);
      void api
        .POST('/strategies/preview', { body: rule as never })
        .then(({ data, error: err }) => {
          if (data) {
            setPreview(data);
            setError(null);
          } else {
            const field = (err as { field?: string } | undefined)?.field;
            setError({ key: fieldKey(field), message: errorText(asApiError(err)) });
          }
        })
        .catch((e: unknown) => setError({ key: '', message: asApiError(e).message }));
    }, 250);
    return () => clearTimeout(timer);
  }, [rule]);

  const errorAt = (key: string) =>
    error?.key === key
      ? error.message
      : saveError?.key === key
        ? saveError.message
        : backtestError?.key === key
          ? backtestError.message
          : undefined;
  const update = (change: (b: Builder) => Builder) => {
    setSaved(null);
    setSaveError(null);
    setBacktestError(null);
    setBuilder((b) => change(structuredClone(b)));
  };
  const choices = operandChoices(language, builder.params);
  const operators = language
    ? [...language.comparators, ...language.crosses]
    : ['>', '>=', '<', '<=', 'crosses_above', 'crosses_below'];

  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(null);
    setSaveError(null);
    try {
      await saveRule();
    } finally {
      setSaveAttempt((n) => n + 1);
    }
  };
  const saveRule = async () => {
    if (!adminKey.trim()) return setSaveError({ key: 'adminKey', message: 'Enter the admin key to save.' });
    const {
      data,
      error: err,
      response,
    } = await api.POST('/strategies', {
      body: rule as never,
      headers: { 'x-api-key': adminKey.trim() },
    });
    if (response.status === 401) {
      sessionStorage.removeItem(KEY);
      return setSaveError({
        key: 'adminKey',
        message: 'That key was refused: check api.apiKey (API_KEY) of this install.',
      });
    }
    if (!data) {
      const field = (err as { field?: string } | undefined)?.field;
      return setSaveError({
        key: response.status === 409 ? 'name' : fieldKey(field),
        message: errorText(asApiError(err)),
      });
    }
    sessionStorage.setItem(KEY, adminKey.trim());
    setSaveError(null);
    setSaved({ name: data.name, version: data.version });
  };

  /** The public playground backtest of the rule as it stands (no key, nothing saved); its result page is the link to share. */
  const backtestRule = async () => {
    setBacktestError(null);
    setStarting(true);
    try {
      const { data, error: err } = await api.POST('/playground/backtests', {
        body: { ticker: ticker.trim(), rule } as never,
      });
      if (!data) {
        const field = (err as { field?: string } | undefined)?.field ?? '';
        // The API names the rule's fields under `rule.`; the form names them as the preview does.
        const key = field === 'ticker' ? 'ticker' : field.startsWith('rule.') ? fieldKey(field.slice(5)) : '';
        return setBacktestError({ key, message: errorText(asApiError(err)) });
      }
      // 202 has no schema in the OpenAPI document: its body is `{ id, links }`, as the playground page reads it.
      const started = data as unknown as { id: string };
      route(`/app/backtest?id=${encodeURIComponent(started.id)}`);
    } catch (e) {
      setBacktestError({ key: '', message: asApiError(e).message });
    } finally {
      setStarting(false);
      setBacktestAttempt((n) => n + 1);
    }
  };

  const conditionRows = (side: 'entry' | 'exit', legend: string) => (
    <fieldset>
      <legend>{legend}</legend>
      {builder[side].map((c, i) => (
        <div class="rule-row" key={`${side}-${i}`} data-testid={`${side}-${i}`}>
          <Field
            label={`${side === 'entry' ? 'Entry' : 'Exit'} ${i + 1}: left operand`}
            name={`${side}.${i}.left`}
            error={errorAt(`${side}.${i}.left`)}
          >
            {(a) => (
              <input
                type="text"
                list="rule-operands"
                value={c.left}
                {...a}
                onInput={(e) => update((b) => ((b[side][i].left = e.currentTarget.value), b))}
              />
            )}
          </Field>
          <Field label={`${side === 'entry' ? 'Entry' : 'Exit'} ${i + 1}: operator`} name={`${side}.${i}.op`}>
            {(a) => (
              <select value={c.op} {...a} onChange={(e) => update((b) => ((b[side][i].op = e.currentTarget.value), b))}>
                {operators.map((o) => (
                  <option key={o} value={o}>
                    {o.replace('_', ' ')}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label={`${side === 'entry' ? 'Entry' : 'Exit'} ${i + 1}: right operand`}
            name={`${side}.${i}.right`}
            error={errorAt(`${side}.${i}.right`)}
          >
            {(a) => (
              <input
                type="text"
                list="rule-operands"
                value={c.right}
                {...a}
                onInput={(e) => update((b) => ((b[side][i].right = e.currentTarget.value), b))}
              />
            )}
          </Field>
          <Field
            label={`${side === 'entry' ? 'Entry' : 'Exit'} ${i + 1}: for days (optional)`}
            name={`${side}.${i}.days`}
            error={errorAt(`${side}.${i}.days`)}
          >
            {(a) => (
              <input
                type="text"
                inputMode="numeric"
                value={c.days}
                {...a}
                onInput={(e) => update((b) => ((b[side][i].days = e.currentTarget.value), b))}
              />
            )}
          </Field>
          {builder[side].length > 1 && (
            <button type="button" class="secondary" onClick={() => update((b) => (b[side].splice(i, 1), b))}>
              Remove {side} condition {i + 1}
            </button>
          )}
        </div>
      ))}
      <button
        type="button"
        class="secondary"
        onClick={() => update((b) => (b[side].push({ left: 'close', op: '>', right: 'sma(20)', days: '' }), b))}
      >
        Add {side === 'entry' ? 'an entry' : 'an exit'} condition
      </button>
    </fieldset>
  );

  return (
    <section>
      <h1>Rule builder</h1>
      <p>
        Write a strategy as rules: BUY when every entry condition holds, SELL when any exit condition holds. The link of
        this page carries the rule: share it. An admin saves it as a named strategy, which backtests, sweeps and
        subscriptions then offer like a built-in.
      </p>
      <datalist id="rule-operands">
        {choices.map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>
      <Form onSubmit={save} noValidate>
        <TextField
          label="Strategy name"
          name="name"
          value={builder.name}
          error={errorAt('name')}
          hint="lower case letters, digits and underscores, starting with a letter"
          onInput={(e) => update((b) => ((b.name = e.currentTarget.value), b))}
        />
        <TextField
          label="Description"
          name="description"
          value={builder.description}
          error={errorAt('description')}
          onInput={(e) => update((b) => ((b.description = e.currentTarget.value), b))}
        />
        <fieldset>
          <legend>Parameters</legend>
          {builder.params.map((p, i) => (
            <div class="rule-row" key={`param-${i}`}>
              <TextField
                label={`Parameter ${i + 1}: name`}
                name={`param.${p.name}`}
                value={p.name}
                error={errorAt(`param.${p.name}`)}
                onInput={(e) => update((b) => ((b.params[i].name = e.currentTarget.value), b))}
              />
              {(['default', 'min', 'max'] as const).map((k) => (
                <TextField
                  key={k}
                  type="number"
                  label={`Parameter ${i + 1}: ${k}`}
                  name={`param.${p.name}.${k}`}
                  value={p[k]}
                  onInput={(e) => update((b) => ((b.params[i][k] = e.currentTarget.value), b))}
                />
              ))}
              <button type="button" class="secondary" onClick={() => update((b) => (b.params.splice(i, 1), b))}>
                Remove parameter {i + 1}
              </button>
            </div>
          ))}
          <button
            type="button"
            class="secondary"
            onClick={() => update((b) => (b.params.push({ name: '', default: '14', min: '2', max: '100' }), b))}
          >
            Add a parameter
          </button>
        </fieldset>
        {conditionRows('entry', 'BUY when all of these hold')}
        {conditionRows('exit', 'SELL when any of these holds')}

        <h2>In words</h2>
        <p data-testid="rule-words" aria-live="polite">
          {error ? 'Fix the field marked above to see the rule in words.' : (preview?.rules ?? '…')}
        </p>
        {!error && preview && <p class="hint">Version {preview.version} (changes when the definition changes).</p>}
        <FormError error={error?.key === '' ? error.message : undefined} />

        <h2>Backtest this rule</h2>
        <p class="hint">
          Anyone can: the rule runs as written, nothing is saved, and the result&apos;s page is a link to share.{' '}
          <a href={`/app/backtest?rule=${encodeURIComponent(JSON.stringify(rule))}`}>Open it in the playground</a> to
          choose dates, parameters and costs.
        </p>
        <TextField
          label="Ticker to backtest on"
          name="ticker"
          value={ticker}
          error={errorAt('ticker')}
          onInput={(e) => setTicker(e.currentTarget.value.toUpperCase())}
        />
        <FormResult error={backtestError?.message} attempt={backtestAttempt} />
        <button type="button" onClick={() => void backtestRule()} disabled={starting}>
          {starting ? 'Starting…' : 'Backtest this rule'}
        </button>

        <h2>Save as a strategy (admin)</h2>
        <Field label="Admin key" name="adminKey" error={errorAt('adminKey')}>
          {(a) => (
            <input
              type="password"
              autoComplete="off"
              value={adminKey}
              {...a}
              onInput={(e) => setAdminKey(e.currentTarget.value)}
            />
          )}
        </Field>
        <FormResult
          ok={saved ? `Saved ${saved.name} (version ${saved.version}).` : undefined}
          error={saveError?.message}
          attempt={saveAttempt}
          testId="saved"
        >
          {saved && <a href={`/app/backtest?strategy=${encodeURIComponent(saved.name)}`}>Backtest it</a>}
        </FormResult>
        <button type="submit">Save strategy</button>
      </Form>
    </section>
  );
}
