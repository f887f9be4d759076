// Builds the widget in library mode:
// - dist/foxeo-visio.js registers all three elements, for a <script type="module"> tag;
// - dist/meeting-list.js, meeting-room.js, recording-player.js register one element each;
// - dist/index.js exports the classes without registering anything.
// Everything is bundled (Lit included) so the script tag needs nothing else. openvidu-browser
// and supabase-js are reached only through dynamic imports and land in their own chunks,
// fetched when someone joins a meeting / when `supabase-url` is used.
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    minify: true,
    lib: {
      formats: ["es"],
      entry: {
        "foxeo-visio": "widget/src/define.ts",
        index: "widget/src/index.ts",
        "meeting-list": "widget/src/meeting-list/define.ts",
        "meeting-room": "widget/src/meeting-room/define.ts",
        "recording-player": "widget/src/recording-player/define.ts",
      },
    },
    rolldownOptions: {
      output: {
        // Library mode keeps whitespace for downstream minifiers; these files also go straight
        // into script tags, so minify them fully.
        minify: true,
        entryFileNames: "[name].js",
        chunkFileNames: "chunks/[name]-[hash].js",
      },
    },
  },
});
