/**
 * The validators several modules share: ids, instants, calendar days, URLs. Every module takes them from
 * here, so a rule (what an id is, what "in the future" allows) has one definition.
 */
import { z } from "@hono/zod-openapi";

/** Ids in paths and bodies: positive integers (a huge or non-numeric id is a 400, not a 500). */
export const Id = z.preprocess(
  (v) => (typeof v === "string" && /^[0-9]{1,16}$/.test(v) ? Number(v) : v),
  z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
);
export const IdParam = z.object({
  id: Id.openapi({ param: { name: "id", in: "path" }, example: 1 }),
});

export const Timestamp = z.iso
  .datetime({ offset: true })
  .transform((v) => new Date(v).toISOString())
  .openapi({ example: "2026-01-30T09:15:00.000Z" });

/**
 * A calendar day of a four-digit year whose neighbouring days and weeks are four-digit years too: day
 * arithmetic past 9999-12-31 yields "+010000-…" strings that parse to NaN (a 500), and JS maps years 0–99 to 1900s.
 */
export const Day = z.iso
  .date()
  .refine((d) => d >= "1000-01-01" && d <= "9998-12-31", { message: "Must be between 1000-01-01 and 9998-12-31." })
  .openapi({ example: "2026-01-30" });

const CLOCK_SKEW_MS = 1000;
const notInFuture = (v: string | undefined) => v === undefined || Date.parse(v) <= Date.now() + CLOCK_SKEW_MS;
/** An instant that has happened (a client clock up to 1 s ahead is tolerated). */
export const PastTimestamp = Timestamp.refine(notInFuture, { message: "Must not be in the future." });

/** http(s) URLs only: `javascript:`, `data:`, `ftp:` and friends are refused. */
export const HttpUrl = z.httpUrl({ message: "Must be an http or https URL." }).max(2048);
