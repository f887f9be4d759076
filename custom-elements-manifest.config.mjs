// `cem analyze` reads the elements' JSDoc and Lit decorators into dist/custom-elements.json
// (the `customElements` field of package.json points at it; editors and docs tools read it).
export default {
  globs: ["widget/src/**/*.ts"],
  exclude: ["widget/src/**/*.test.ts", "widget/src/react.ts"],
  outdir: "dist",
  litelement: true,
  plugins: [
    {
      // The analyzer guesses event names from `dispatchEvent(new X(arg))` calls; our events are
      // classes, so keep only the `foxeo-*` names the JSDoc `@fires` tags declare.
      name: "foxeo-events-from-jsdoc",
      moduleLinkPhase({ moduleDoc }) {
        for (const d of moduleDoc.declarations ?? []) {
          if (!d.events) continue;
          const seen = new Set();
          d.events = d.events.filter((e) => e.name?.startsWith("foxeo-") && !seen.has(e.name) && seen.add(e.name));
        }
      },
    },
  ],
};
