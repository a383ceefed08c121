// The dashboard's build: web/ → web/dist, the static assets the Worker serves at / (wrangler.toml [assets]).
// JSX by Vite's own transform (Oxc) with Preact's automatic runtime; no plugin.
import { cpSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * /api/docs loads the API reference UI from /vendor/scalar/standalone.js: the package's own browser bundle,
 * copied into the assets so the docs page renders with no CDN and offline.
 */
function vendorScalar(): Plugin {
  return {
    name: "devfocus-vendor-scalar",
    apply: "build",
    writeBundle(options) {
      // The package exports no path to its browser bundle: take it from node_modules (the one npm install made).
      const pkg = path.join(here, "..", "node_modules", "@scalar", "api-reference");
      const out = path.join(options.dir ?? path.join(here, "dist"), "vendor", "scalar");
      mkdirSync(out, { recursive: true });
      cpSync(path.join(pkg, "dist", "browser", "standalone.js"), path.join(out, "standalone.js"));
    },
  };
}

export default defineConfig({
  root: here,
  publicDir: false,
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: path.join(here, "dist"),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
  },
  plugins: [vendorScalar()],
  clearScreen: false,
});
