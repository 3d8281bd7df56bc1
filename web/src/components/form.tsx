import type { ComponentChildren, PartialInputHTMLAttributes } from 'preact';
import { useId } from 'preact/hooks';
import type { ApiError } from '../api/client';

/** Field errors by field name: `email`, `tickers`, `tickers.0` (the API's 400 names them). */
export type FieldErrors = Record<string, string>;

/**
 * The fields a 400 names. The API's validation message reads
 * `body.email: invalid email address; body.tickers.0: not a ticker symbol ...`
 * (src/api/errors.ts); domain errors read `tickers: give at least one ticker`.
 * Each is filed under its full path and its first segment, so `tickers.0`
 * shows next to the `tickers` field too. What names no field is under `''`.
 */
export function fieldErrors(error: ApiError | null | undefined, knownFields: readonly string[] = []): FieldErrors {
  const out: FieldErrors = {};
  if (!error) return out;
  for (const part of error.message.split(/;\s+/)) {
    const m = /^(?:(?:body|query|params|querystring)\.)?([A-Za-z_][\w]*(?:\.[\w]+)*):\s*(.+)$/.exec(part.trim());
    let field = m?.[1];
    let message = m?.[2] ?? part.trim();
    if (!m) {
      // "invalid email address: "x"" names its field by its words.
      field = knownFields.find((f) => part.toLowerCase().includes(f.toLowerCase()));
      message = part.trim();
    }
    if (field && (knownFields.length === 0 || knownFields.includes(field.split('.')[0]))) {
      out[field] ??= message;
      out[field.split('.')[0]] ??= message;
    } else {
      out[''] = out[''] ? `${out['']}; ${message}` : message;
    }
  }
  return out;
}

interface FieldProps {
  label: string;
  /** The field's name (as the API names it in errors). */
  name: string;
  error?: string;
  hint?: ComponentChildren;
  /** Render the control given its id and the aria attributes linking label, hint and error. */
  children: (a: {
    id: string;
    name: string;
    'aria-invalid'?: 'true';
    'aria-describedby'?: string;
  }) => ComponentChildren;
}

/** A labelled control with its hint and its error right under it, linked for screen readers. */
export function Field({ label, name, error, hint, children }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <label for={id}>{label}</label>
      {hint && (
        <div id={hintId} class="hint">
          {hint}
        </div>
      )}
      {children({
        id,
        name,
        ...(error ? { 'aria-invalid': 'true' as const } : {}),
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
      })}
      {error && (
        <div id={errorId} class="field-error" role="alert" data-field-error={name}>
          {error}
        </div>
      )}
    </div>
  );
}

/** A text input inside a {@link Field}. */
export function TextField(
  props: Omit<FieldProps, 'children'> &
    Omit<PartialInputHTMLAttributes<HTMLInputElement>, 'label' | 'name' | 'children' | 'role'> & {
      type?: 'text' | 'email' | 'search' | 'number' | 'date';
    },
) {
  const { label, name, error, hint, ...input } = props;
  return (
    <Field label={label} name={name} error={error} hint={hint}>
      {(a) => <input type="text" {...(input as Record<string, unknown>)} {...a} />}
    </Field>
  );
}

/** The error that names no field, above the submit button. */
export function FormError({ error }: { error?: string }) {
  if (!error) return null;
  return (
    <p class="form-error" role="alert">
      {error}
    </p>
  );
}
