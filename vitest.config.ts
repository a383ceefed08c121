import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: { TEST_MIGRATIONS: await readD1Migrations("migrations") },
        compatibilityFlags: ["service_binding_extra_handlers"],
        // Only GitHub and the Analytics Engine SQL API are faked (by spying on fetch); anything else fails loudly.
        outboundService: (request: Request) =>
          new Response(`Unexpected outbound request in tests: ${request.method} ${request.url}`, { status: 599 }),
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/setup.ts"],
    testTimeout: 30_000,
    // Request log lines are printed for every request; show them only for failing tests.
    silent: "passed-only" as const,
    hookTimeout: 30_000,
  },
}));
