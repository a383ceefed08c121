/** Small building blocks every view uses: labelled fields, an error line, an async action. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useId, useState } from "preact/hooks";
import { messageOf } from "../api.ts";

/** Turns an enum value into words: "QUICK_FIX" → "Quick fix". Values stay as the API's own. */
export const words = (v: string) => v.charAt(0) + v.slice(1).toLowerCase().replaceAll("_", " ");

interface InputProps {
  label: string;
  value: string;
  onValue: (v: string) => void;
  hint?: string;
  /** The API's message for this field (fieldError), shown under it and tied to it for screen readers. */
  error?: string;
  type?: "text" | "email" | "password" | "url" | "date" | "search" | "number";
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
  placeholder?: string;
  autoComplete?: string;
  /** the id of a <datalist> of suggestions */
  list?: string;
}

/** The ids an input's aria-describedby lists: its hint, its error. */
const describedBy = (id: string, hint?: string, error?: string) => [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;

function FieldNotes({ id, hint, error }: { id: string; hint?: string; error?: string }) {
  return (
    <>
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      )}
    </>
  );
}

export function Field({ label, value, onValue, hint, error, type = "text", ...rest }: InputProps) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {/* preact types an input's ARIA roles by its type, one type at a time: these types share the same ones */}
      <input
        id={id}
        type={type as "text"}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
        aria-describedby={describedBy(id, hint, error)}
        aria-invalid={error ? true : undefined}
        {...rest}
      />
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

/** A checkbox with its label beside it (and a hint, an error, under it). */
export function Check({ label, checked, onChecked, hint, error }: { label: string; checked: boolean; onChecked: (v: boolean) => void; hint?: string; error?: string }) {
  const id = useId();
  return (
    <div class="field check">
      <div class="check-box">
        <input
          id={id}
          type="checkbox"
          checked={checked}
          onChange={(e) => onChecked(e.currentTarget.checked)}
          aria-describedby={describedBy(id, hint, error)}
          aria-invalid={error ? true : undefined}
        />
        <label for={id}>{label}</label>
      </div>
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

type Option<T extends string> = T | { value: T; label: string };

interface SelectProps<T extends string> {
  label: string;
  value: T | "";
  options: readonly Option<T>[];
  onValue: (v: T | "") => void;
  /** The label of an empty first option ("any", "none"); without it there is none. */
  empty?: string;
  disabled?: boolean;
  name?: string;
}

export function Select<T extends string>({ label, value, options, onValue, empty, disabled, name }: SelectProps<T>) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} name={name} value={value} disabled={disabled} onChange={(e) => onValue(e.currentTarget.value as T | "")}>
        {empty !== undefined && <option value="">{empty}</option>}
        {options.map((o) => {
          const { value: v, label: l } = typeof o === "string" ? { value: o, label: words(o) } : o;
          return (
            <option key={v} value={v}>
              {l}
            </option>
          );
        })}
      </select>
    </div>
  );
}

/** A failure's message; `byField` names the fields whose details their own Field shows (left out here). */
export function ErrorLine({ error, byField }: { error: unknown; byField?: readonly string[] }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {messageOf(error, byField)}
    </p>
  );
}

/** A Copy button for a text (a key, a config snippet); `what` completes its name for screen readers. */
export function CopyButton({ text, what }: { text: string; what: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => setCopied(false), [text]);
  const copy = () => void navigator.clipboard?.writeText(text).then(() => setCopied(true), () => setCopied(false));
  return (
    <button type="button" class="secondary" onClick={copy}>
      {copied ? "Copied" : "Copy"}
      <span class="sr-only"> {what}</span>
    </button>
  );
}

/**
 * A secret shown once, when it is made (a token, an editor key): "<name>: copy it now" above it, the value read-only (selected
 * on focus) with a Copy button, then `children` (what to do with it).
 */
export function OnceValue({ label, value, name, children }: { label: string; value: string; name: string; children?: ComponentChildren }) {
  const id = useId();
  return (
    <div class="once" role="status">
      <p>
        <strong>{name}</strong>: copy it now, it will not be shown again.
      </p>
      <div class="row">
        <label class="sr-only" for={id}>
          {label}
        </label>
        <input id={id} class="mono" readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={value} what={`the ${label.toLowerCase()}`} />
      </div>
      {children}
    </div>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

/**
 * An action a button or form starts: `run` wraps the promise, `busy` is true meanwhile, `error` holds the
 * failure to show (cleared on the next run).
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <T,>(work: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await work();
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, setError };
}

/** Data a view loads: reloaded when `deps` change, or by calling `reload`. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    load().then(
      (d) => live && setData(d),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data, setData, error, reload: () => setTick((t) => t + 1) };
}

/** Re-renders every `ms` (a running clock). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/**
 * A table that becomes cards on a narrow screen (`.cards` in styles.css): its column headers, a last column of
 * row actions (named for screen readers only), and its rows.
 */
export function CardTable({ name, columns, children }: { name: string; columns: readonly string[]; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table class={`${name} cards`}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

export function Section({ title, children, actions, id }: { title: string; children: ComponentChildren; actions?: ComponentChildren; id?: string }) {
  const hid = useId();
  return (
    <section class="card" aria-labelledby={hid} id={id}>
      <div class="card-head">
        <h2 id={hid}>{title}</h2>
        {actions && <div class="card-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

/** The Apply / Clear pair that ends every filter form (Apply submits the form; Clear resets it). */
export function FilterActions({ onClear }: { onClear: () => void }) {
  return (
    <div class="actions">
      <button type="submit">Apply</button>
      <button type="button" class="ghost" onClick={onClear}>
        Clear
      </button>
    </div>
  );
}
