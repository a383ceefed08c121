import Papa from "papaparse";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../src/platform/errors";
import { exportFile, keysetPages, type ExportPage } from "../src/platform/export";
import { parseOrdering } from "../src/platform/pagination";
import { tasks } from "../src/db/schema";

/** The exporter on its own (the tasks tests cover it over HTTP): paging, streaming, CSV and JSON framing. */

type Row = { id: number; name: string; meta: unknown };
const serialize = (r: Row) => ({ id: r.id, name: r.name, meta: r.meta });

/** A fake keyset source of `total` rows in pages of `size`, recording each fetch. */
function source(total: number, size: number) {
  const calls: (string | null)[] = [];
  const fetchPage = vi.fn(async (cursor: string | null): Promise<ExportPage<Row>> => {
    calls.push(cursor);
    const start = cursor === null ? 0 : Number(cursor);
    const rows = Array.from({ length: Math.max(0, Math.min(size, total - start)) }, (_, i) => ({
      id: start + i + 1,
      name: `row ${start + i + 1}`,
      meta: { n: start + i },
    }));
    return { rows, nextCursor: start + size < total ? String(start + size) : null };
  });
  return { fetchPage, calls };
}

async function readAll(body: ReadableStream<Uint8Array>) {
  return new Response(body).text();
}

describe("platform: the exporter (pure)", () => {
  it("streams: the first chunk is out before later pages are read", async () => {
    const { fetchPage } = source(10_000, 100);
    const file = await exportFile({ filename: "rows", format: "csv", fetchPage, serialize, columns: ["id", "name", "meta"] });
    const reader = file.body.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value).split("\r\n")[0]).toBe("id,name,meta");
    expect(fetchPage.mock.calls.length).toBeLessThanOrEqual(3);
    await reader.cancel();
  });

  it("CSV: one header row, every page's rows once, nested values as JSON", async () => {
    const { fetchPage, calls } = source(250, 100);
    const file = await exportFile({ filename: "rows", format: "csv", fetchPage, serialize, columns: ["name", "id", "meta"] });
    expect(file.headers).toMatchObject({ "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": "attachment; filename=rows.csv" });
    const text = await readAll(file.body);
    expect(calls).toEqual([null, "100", "200"]);
    const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
    expect(parsed.meta.fields).toEqual(["name", "id", "meta"]);
    expect(parsed.data).toHaveLength(250);
    expect(parsed.data.map((r) => Number(r.id))).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(JSON.parse(parsed.data[249]!.meta!)).toEqual({ n: 249 });
    expect(text.endsWith("\r\n") && !text.endsWith("\r\n\r\n")).toBe(true);
  });

  it("JSON: one array across pages, with an empty last page too", async () => {
    // 200 rows in pages of 100: the third fetch returns no rows.
    const fetchPage = vi.fn(async (cursor: string | null): Promise<ExportPage<Row>> => {
      const start = cursor === null ? 0 : Number(cursor);
      const rows = start >= 200 ? [] : Array.from({ length: 100 }, (_, i) => ({ id: start + i + 1, name: "x", meta: null }));
      return { rows, nextCursor: start < 200 ? String(start + 100) : null };
    });
    const file = await exportFile({ filename: "rows", format: "json", fetchPage, serialize, columns: ["id"] });
    expect(file.headers["Content-Type"]).toBe("application/json; charset=utf-8");
    const parsed = JSON.parse(await readAll(file.body));
    expect(parsed).toHaveLength(200);
    expect(parsed[199]).toEqual({ id: 200, name: "x", meta: null });
    expect(fetchPage).toHaveBeenCalledTimes(3);
  });

  it("a bad format is a 400 naming format, before any row is read", async () => {
    const { fetchPage } = source(5, 5);
    const err = await exportFile({ filename: "rows", format: "xlsx", fetchPage, serialize, columns: ["id"] }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.details).toEqual([{ path: "format", message: "Must be csv or json." }]);
    expect(fetchPage).not.toHaveBeenCalled();
  });

  it("a failure on the first page throws (an error envelope); a later one aborts the stream", async () => {
    const failing = async () => {
      throw new Error("D1 down");
    };
    await expect(exportFile({ filename: "rows", format: "json", fetchPage: failing, serialize, columns: ["id"] })).rejects.toThrow("D1 down");

    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    let n = 0;
    const flaky = async (): Promise<ExportPage<Row>> => {
      if (n++ > 0) throw new Error("D1 down later");
      return { rows: [{ id: 1, name: "a", meta: null }], nextCursor: "1" };
    };
    const file = await exportFile({ filename: "rows", format: "json", fetchPage: flaky, serialize, columns: ["id"] });
    await expect(readAll(file.body)).rejects.toThrow("D1 down later");
    expect(spy.mock.calls.some(([line]) => String(line).includes("export aborted"))).toBe(true);
    spy.mockRestore();
  });

  it("keysetPages asks for one row more than a page and continues after the page's last row", async () => {
    const ordering = parseOrdering({ title: tasks.title }, "title");
    const query = vi.fn(async (cursor: string | undefined, limit: number) =>
      Array.from({ length: cursor ? 2 : limit }, (_, i) => ({ id: i + 1, title: `t${i}` })),
    );
    const pages = keysetPages(ordering, query, 3);
    const first = await pages(null);
    expect(query).toHaveBeenLastCalledWith(undefined, 4);
    expect(first.rows.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(JSON.parse(atob(first.nextCursor!.replace(/-/g, "+").replace(/_/g, "/")))).toEqual({ o: "title", v: "t2", id: 3 });
    const second = await pages(first.nextCursor);
    expect(query).toHaveBeenLastCalledWith(first.nextCursor, 4);
    expect(second).toEqual({ rows: [{ id: 1, title: "t0" }, { id: 2, title: "t1" }], nextCursor: null });
  });
});
