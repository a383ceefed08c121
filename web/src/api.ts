/**
 * The dashboard's one way to the API: the typed client (client/index.ts) on the page's own origin. The
 * session cookie rides every same-origin request and the browser adds `Origin` to unsafe ones, which is
 * what the server's CSRF check wants: no token, no header of ours.
 */
import { createApiClient, isErrorEnvelope, type ErrorCode, type Middleware } from "../../client/index.ts";

/** A refused or failed call, with the API's own message (and field details) to show. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: ErrorCode | "NETWORK";
  readonly details: { path: string; message: string }[];

  constructor(status: number, code: ErrorCode | "NETWORK", message: string, details: { path: string; message: string }[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

type SignedOut = () => void;
const signedOutListeners = new Set<SignedOut>();

/** Called when a request answers 401: the cookie expired or was revoked elsewhere. */
export function onSignedOut(listener: SignedOut): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

const expiredSession: Middleware = {
  onResponse({ request, response }) {
    // Signing in with a wrong password is a 401 too, and says nothing about the current session.
    if (response.status === 401 && !new URL(request.url).pathname.startsWith("/api/auth/session")) {
      for (const l of signedOutListeners) l();
    }
    return response;
  },
};

export const api = createApiClient({ baseUrl: location.origin, middleware: [expiredSession] });

/** What openapi-fetch answers: data on success, the parsed error body otherwise. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful answer, or an ApiFailure carrying the error envelope's message. */
export async function ok<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch (err) {
    throw new ApiFailure(0, "NETWORK", `The API could not be reached (${err instanceof Error ? err.message : String(err)}).`);
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  if (isErrorEnvelope(error)) {
    const e = error.error;
    throw new ApiFailure(response.status, e.code, e.message, e.details ?? []);
  }
  throw new ApiFailure(response.status, "INTERNAL", `The API answered ${response.status}.`);
}

/** A readable line for any error a view catches; the details of the fields in `shownByField` are left out. */
export function messageOf(err: unknown, shownByField: readonly string[] = []): string {
  if (err instanceof ApiFailure) {
    const fields = err.details.filter((d) => !shownByField.includes(d.path)).map((d) => (d.path ? `${d.path}: ${d.message}` : d.message));
    return fields.length ? `${err.message} (${fields.join("; ")})` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** What the API said about one field of a refused request (its error envelope's details), to show by the field. */
export function fieldError(err: unknown, path: string): string | undefined {
  if (!(err instanceof ApiFailure)) return undefined;
  return err.details.filter((d) => d.path === path).map((d) => d.message).join(" ") || undefined;
}

/** Saves a Blob the API answered (an export) under a file name, as a download. */
export function download(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The file name from a Content-Disposition header, else the fallback. */
export function attachmentName(response: Response, fallback: string): string {
  const header = response.headers.get("Content-Disposition") ?? "";
  return /filename="?([^";]+)"?/.exec(header)?.[1] ?? fallback;
}
