import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "@hono/zod-openapi";

/** The closed set of error codes and the one status each maps to. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UPSTREAM_FAILED: 502,
  SERVICE_UNAVAILABLE: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  path: string;
  message: string;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, details: ErrorDetail[] = [], headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what = "Resource") => new ApiError("NOT_FOUND", `${what} not found.`);
export const conflict = (message: string) => new ApiError("CONFLICT", message);
export const forbidden = (message = "Your role in this team does not allow this action.") =>
  new ApiError("FORBIDDEN", message);
export const invalid = (path: string, message: string) =>
  new ApiError("VALIDATION_FAILED", "The request has invalid fields.", [{ path, message }]);

export function errorBody(err: ApiError, requestId: string) {
  return {
    error: {
      code: err.code,
      message: err.message,
      details: err.details,
      request_id: requestId,
    },
  };
}

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })),
      request_id: z.string(),
    }),
  })
  .openapi("Error");

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** Error responses every route declares, so the OpenAPI document lists them. */
export const commonErrors = {
  400: errorResponse("Malformed JSON or invalid fields; every invalid field is listed in details."),
  401: errorResponse("Missing, invalid, expired or revoked token."),
  404: errorResponse("Not found, or not visible to the caller."),
} as const;
export const writeErrors = {
  ...commonErrors,
  403: errorResponse("The caller's role in the team is too low."),
  409: errorResponse("A state or uniqueness conflict."),
  413: errorResponse("Body over 1 MiB."),
  415: errorResponse("Body is not application/json."),
} as const;
export { errorResponse };
