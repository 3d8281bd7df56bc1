import type { ComponentChildren, FormHTMLAttributes, PartialInputHTMLAttributes } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
import type { ApiError } from '../api/client';

/** Field errors by field name: `email`, `tickers`, `tickers.0` (the API's 400 names them). */
export type FieldErrors = Record<string, string>;

/**
 * The fields a 400 names, each with its sentence: the API gives one per field
 * under `errors` (src/api/errors.ts); an older answer only in its message,
 * `body.email: invalid email address; ...`, or a domain error's `tickers: give
 * at least one ticker`. Each is filed under its full path and its first
 * segment, so `tickers.0` shows next to the `tickers` field too. What names
 * no field of the form is under `''`.
 */
export function fieldErrors(error: ApiError | null | undefined, knownFields: readonly string[] = []): FieldErrors {
  const out: FieldErrors = {};
  if (!error) return out;
  const file = (field: string | undefined, message: string) => {
    if (field && (knownFields.length === 0 || knownFields.includes(field.split('.')[0]))) {
      out[field] ??= message;
      out[field.split('.')[0]] ??= message;
    } else {
      out[''] = out[''] ? `${out['']} ${message}` : message;
    }
  };
  if (error.errors?.length) {
    for (const e of error.errors) file(e.field, e.message);
    return out;
  }
  for (const part of error.message.split(/;\s+/)) {
    const m = /^(?:(?:body|query|params|querystring)\.)?([A-Za-z_][\w]*(?:\.[\w]+)*):\s*(.+)$/.exec(part.trim());
    // "invalid email address: "x"" names its field by its words.
    const field = m?.[1] ?? knownFields.find((f) => part.toLowerCase().includes(f.toLowerCase()));
    file(field, m?.[2] ?? part.trim());
  }
  return out;
}

/**
 * Enter on a checkbox or a radio button toggles it (as Space does) instead of
 * submitting the form, which a browser otherwise does there (implicit submission).
 */
function keepEnterOnChoices(event: KeyboardEvent): void {
  const target = event.target;
  if (event.key !== 'Enter' || !(target instanceof HTMLInputElement)) return;
  if (target.type !== 'checkbox' && target.type !== 'radio') return;
  event.preventDefault();
  target.click();
}

/** The app's `<form>`: every form of the app is one, so Enter on a checkbox never submits it. */
export function Form(props: FormHTMLAttributes<HTMLFormElement>) {
  const { onKeyDown, ...rest } = props;
  return (
    <form
      {...rest}
      onKeyDown={(event) => {
        keepEnterOnChoices(event);
        onKeyDown?.(event);
      }}
    />
  );
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

/** An API error as a person reads it: the sentence of the field it names (or its first), else its message. */
export function errorText(error: ApiError): string {
  const sentence = error.errors?.find((e) => e.field === error.field) ?? error.errors?.[0];
  return sentence?.message ?? error.message;
}

/** The errors of a form as one text: each sentence once (a field's error is filed under its path and its first segment). */
export function errorSummary(errors: FieldErrors | undefined): string | undefined {
  const sentences = [...new Set(Object.values(errors ?? {}).filter(Boolean))];
  return sentences.length ? sentences.join(' ') : undefined;
}

interface FormResultProps {
  /** What went right ("Added MSFT (sma_cross)."), shown when there is no error. */
  ok?: string;
  /** The error that names no field (or a whole answer's). */
  error?: string;
  /** The field errors, repeated here in one summary (each also shows at its field). */
  errors?: FieldErrors;
  /**
   * The count of finished submits: a result takes the focus only after one,
   * and the same message again after another submit takes it again.
   */
  attempt?: number;
  /** Take the focus when first shown (a page that replaces the form by its result). */
  focusOnMount?: boolean;
  testId?: string;
  /** Shown after a success's text (a link to what was made). */
  children?: ComponentChildren;
}

/**
 * The result of a submit, success or error, in one announced place (role
 * status, alert for an error): it takes the keyboard focus whenever a new
 * result arrives, so a screen reader reads it and the user continues from it.
 * Every form of the app shows its result through this.
 */
export function FormResult({
  ok,
  error,
  errors,
  attempt = 0,
  focusOnMount = false,
  testId,
  children,
}: FormResultProps) {
  const failed = error || errorSummary(errors);
  const text = failed || ok || '';
  const ref = useRef<HTMLDivElement>(null);
  // What was shown at the last render: the focus moves only when a new result arrives, not when the page opens.
  const shown = useRef<string | null>(focusOnMount ? null : `${attempt}:${text}`);
  useEffect(() => {
    const key = `${attempt}:${text}`;
    // Only a submit's result takes the focus (a result a shared link shows on opening does not).
    if (text && key !== shown.current && (attempt > 0 || focusOnMount)) ref.current?.focus();
    shown.current = key;
  }, [text, attempt]);
  return (
    <div
      ref={ref}
      tabIndex={-1}
      role={failed ? 'alert' : 'status'}
      class={`form-result${failed ? ' form-error' : text ? ' ok' : ''}`}
      data-testid={testId ?? 'form-result'}
    >
      {text}
      {!failed && text && children ? <> {children}</> : null}
    </div>
  );
}

/** The error that names no field, above the submit button: a {@link FormResult} of that error alone. */
export function FormError({ error, attempt }: { error?: string; attempt?: number }) {
  return <FormResult error={error} attempt={attempt} />;
}
