// Builds the widget in library mode: dist/foxeo-visio.js registers every element for a
// <script type="module"> tag; the per-element entries and index serve npm consumers.
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    lib: {
      formats: ["es"],
      entry: {
        "foxeo-visio": "widget/src/define.ts",
        index: "widget/src/index.ts",
      },
    },
  },
});
