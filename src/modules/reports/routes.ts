import { createRoute, z } from "@hono/zod-openapi";
import { commonErrors, writeErrors } from "../../platform/errors";
import { exportFile, ExportFormatQuery } from "../../platform/export";
import { listQuery, pageSchema } from "../../platform/pagination";
import { bearer, createRouter, jsonBody, jsonContent } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import { Insight, serializeInsight } from "../insights/schemas";
import { requireRole } from "../teams/access";
import { getReport, listReports, REPORT_ORDERING, reportPages } from "./queries";
import * as requests from "./requests";
import {
  AsyncDailyBody,
  CreateReportRequestBody,
  DailyBody,
  Report,
  REPORT_CSV_COLUMNS,
  REPORT_FILTERS,
  ReportRequest,
  serializeReport,
  serializeReportRequest,
  WeeklyBody,
} from "./schemas";
import { generateDaily, generateInsights, generateWeekly, prefsOf, today, type ReportOwner } from "./service";

const tags = ["reports"];
const ReportListQuery = listQuery(REPORT_ORDERING, "-period_start").extend(REPORT_FILTERS.shape);
const GeneratedReport = Report.extend({ insights: z.array(Insight) }).openapi("GeneratedReport");

const list = createRoute({
  method: "get", path: "/", tags, security: bearer, summary: "Your reports and your teams' reports",
  request: { query: ReportListQuery },
  responses: { 200: jsonContent(pageSchema(Report, "ReportPage"), "Reports."), ...commonErrors },
});
const exportRoute = createRoute({
  method: "get", path: "/export", tags, security: bearer, summary: "Every matching report as CSV or JSON (streamed)",
  request: { query: ReportListQuery.omit({ page_size: true, cursor: true }).extend(ExportFormatQuery.shape) },
  responses: { 200: { description: "A file download (text/csv or application/json)." }, ...commonErrors },
});
const get = createRoute({
  method: "get", path: "/{id}", tags, security: bearer, summary: "A report",
  request: { params: IdParam },
  responses: { 200: jsonContent(Report, "The report."), ...commonErrors },
});
const daily = createRoute({
  method: "post", path: "/daily", tags, security: bearer,
  summary: "Generate (or regenerate) a daily report and its insights now; team reports need ADMIN+",
  request: jsonBody(DailyBody, false),
  responses: { 201: jsonContent(GeneratedReport, "The report with its insights."), ...writeErrors },
});
const weekly = createRoute({
  method: "post", path: "/weekly", tags, security: bearer,
  summary: "Generate (or regenerate) a weekly report now, with a per-day breakdown and the change against the week before",
  request: jsonBody(WeeklyBody, false),
  responses: { 201: jsonContent(GeneratedReport, "The report."), ...writeErrors },
});
const dailyAsync = createRoute({
  method: "post", path: "/daily-async", tags, security: bearer,
  summary: "Queue a daily report; poll the returned report request",
  request: jsonBody(AsyncDailyBody, false),
  responses: { 202: jsonContent(ReportRequest, "Queued (status PENDING)."), ...writeErrors },
});

/** The owner a generation request is for: the caller, or a team they administer. */
async function ownerFor(c: { var: { db: Parameters<typeof requireRole>[0]; actor: Parameters<typeof requireRole>[1] } }, team?: number): Promise<ReportOwner> {
  if (team === undefined) return { kind: "user", id: c.var.actor.id };
  await requireRole(c.var.db, c.var.actor, team, "administer");
  return { kind: "team", id: team };
}

export const reportsRouter = createRouter()
  .openapi(list, async (c) => c.json(await listReports(c.var.db, c.var.actor, c.req.valid("query"), c.req.url), 200))
  .openapi(exportRoute, async (c) => {
    const q = c.req.valid("query");
    const { pages } = await reportPages(c.var.db, c.var.actor, q);
    const file = await exportFile({ filename: "reports", format: q.format, fetchPage: pages, serialize: serializeReport, columns: REPORT_CSV_COLUMNS });
    return c.body(file.body, 200, file.headers);
  })
  .openapi(get, async (c) => c.json(serializeReport(await getReport(c.var.db, c.var.actor, c.req.valid("param").id)), 200))
  .openapi(daily, async (c) => {
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof DailyBody>;
    const prefs = prefsOf(c.var.actor);
    const owner = await ownerFor(c, body.team);
    const report = await generateDaily(c.env, c.var.db, owner, prefs, body.date ?? today(prefs));
    const insights = await generateInsights(c.env, c.var.db, report);
    return c.json({ ...serializeReport(report), insights: insights.map(serializeInsight) }, 201);
  })
  .openapi(weekly, async (c) => {
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof WeeklyBody>;
    const prefs = prefsOf(c.var.actor);
    const owner = await ownerFor(c, body.team);
    const report = await generateWeekly(c.env, c.var.db, owner, prefs, body.week_of ?? today(prefs));
    return c.json({ ...serializeReport(report), insights: [] }, 201);
  })
  .openapi(dailyAsync, async (c) => {
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof AsyncDailyBody>;
    const row = await requests.createReportRequest(c.env, c.var.db, c.var.actor, { type: "DAILY", day: body.date });
    c.header("Location", `/api/report-requests/${row.id}/`);
    return c.json(serializeReportRequest(row), 202);
  });

const rrTags = ["report-requests"];
const rrList = createRoute({
  method: "get", path: "/", tags: rrTags, security: bearer, summary: "Your report requests",
  request: { query: listQuery(requests.REQUEST_ORDERING, "-created_at") },
  responses: { 200: jsonContent(pageSchema(ReportRequest, "ReportRequestPage"), "Requests."), ...commonErrors },
});
const rrCreate = createRoute({
  method: "post", path: "/", tags: rrTags, security: bearer, summary: "Queue a DAILY or WEEKLY report for a day (default today)",
  request: jsonBody(CreateReportRequestBody),
  responses: { 201: jsonContent(ReportRequest, "Queued (status PENDING)."), ...writeErrors },
});
const rrGet = createRoute({
  method: "get", path: "/{id}", tags: rrTags, security: bearer, summary: "A report request: PENDING → RUNNING → DONE (result_report) or FAILED (error_message)",
  request: { params: IdParam },
  responses: { 200: jsonContent(ReportRequest, "The request."), ...commonErrors },
});

export const reportRequestsRouter = createRouter()
  .openapi(rrList, async (c) => c.json(await requests.listReportRequests(c.var.db, c.var.actor, c.req.valid("query"), c.req.url), 200))
  .openapi(rrCreate, async (c) => {
    const row = await requests.createReportRequest(c.env, c.var.db, c.var.actor, c.req.valid("json"));
    c.header("Location", `/api/report-requests/${row.id}/`);
    return c.json(serializeReportRequest(row), 201);
  })
  .openapi(rrGet, async (c) => c.json(serializeReportRequest(await requests.getReportRequest(c.var.db, c.var.actor, c.req.valid("param").id)), 200));
