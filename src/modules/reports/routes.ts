import { createRoute, z } from "@hono/zod-openapi";
import { commonErrors, writeErrors } from "../../platform/errors";
import { ExportFormatQuery } from "../../platform/export";
import { pageSchema } from "../../platform/pagination";
import { bearer, createRouter, ctx, jsonBody, jsonContent } from "../../platform/router";
import { IdParam } from "../../platform/validators";
import { Insight } from "../insights/schemas";
import * as requests from "./requests";
import {
  AsyncDailyBody,
  CreateReportRequestBody,
  DailyBody,
  Report,
  ReportListQuery,
  ReportRequest,
  ReportRequestListQuery,
  WeeklyBody,
} from "./schemas";
import * as svc from "./service";

const tags = ["reports"];
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

export const reportsRouter = createRouter()
  .openapi(list, async (c) => c.json(await svc.listReports(ctx(c), { ...c.req.valid("query"), url: c.req.url }), 200))
  .openapi(exportRoute, async (c) => {
    const file = await svc.exportReports(ctx(c), c.req.valid("query"));
    return c.body(file.body, 200, file.headers);
  })
  .openapi(get, async (c) => c.json(await svc.getReport(ctx(c), c.req.valid("param").id), 200))
  .openapi(daily, async (c) => c.json(await svc.createDailyReport(ctx(c), (c.req.valid("json") ?? {}) as z.infer<typeof DailyBody>), 201))
  .openapi(weekly, async (c) => c.json(await svc.createWeeklyReport(ctx(c), (c.req.valid("json") ?? {}) as z.infer<typeof WeeklyBody>), 201))
  .openapi(dailyAsync, async (c) => {
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof AsyncDailyBody>;
    const row = await requests.createReportRequest(ctx(c), { type: "DAILY", day: body.date });
    c.header("Location", `/api/report-requests/${row.id}/`);
    return c.json(row, 202);
  });

const rrTags = ["report-requests"];
const rrList = createRoute({
  method: "get", path: "/", tags: rrTags, security: bearer, summary: "Your report requests",
  request: { query: ReportRequestListQuery },
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
  .openapi(rrList, async (c) => c.json(await requests.listReportRequests(ctx(c), { ...c.req.valid("query"), url: c.req.url }), 200))
  .openapi(rrCreate, async (c) => {
    const row = await requests.createReportRequest(ctx(c), c.req.valid("json"));
    c.header("Location", `/api/report-requests/${row.id}/`);
    return c.json(row, 201);
  })
  .openapi(rrGet, async (c) => c.json(await requests.getReportRequest(ctx(c), c.req.valid("param").id), 200));
