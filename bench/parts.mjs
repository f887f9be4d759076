// The bench parts and the targets their figures are held to (issues 4, 5 and 7). A part is a
// command that receives an output JSON path and writes
// { "<key>": { "value": number, "unit": string, "label": string } } there.
export const PARTS = [
  {
    name: "widget",
    what: "widget weight and speed in Chromium (builds dist/ first)",
    cmd: "node bench/widget.mjs",
  },
  {
    name: "api",
    what: "meetings API over loopback HTTP, PGlite and PostgreSQL, 100 000 meetings; join tokens",
    cmd: "npx deno run -A bench/api.ts",
  },
  {
    name: "webhook",
    what: "OpenVidu webhook: a burst of 1 000 events, PGlite and PostgreSQL",
    cmd: "npx deno run -A bench/webhook.ts",
  },
  {
    name: "pipeline",
    what: "recording pipeline on a generated 1 GB recording (PostgreSQL)",
    cmd: "npx deno run -A bench/pipeline.ts",
  },
];

const KB = 1024;

/** key → { max } or { min }: the figure must stay at or under max / at or over min. */
export const TARGETS = {
  // Issue 5: JavaScript to first render, gzip, Lit included.
  widget_list_js_gzip: { max: 20 * KB },
  widget_room_js_gzip: { max: 35 * KB },
  widget_player_js_gzip: { max: 30 * KB },
  // Issue 7: widget speed.
  widget_list_500_first_render_ms: { max: 50 },
  widget_transcript_highlight_ms: { max: 1 },
  // Issue 7: GET /meetings on PostgreSQL, both pages, both roles: p99 ≤ 25 ms and ≤ 3× the
  // same SQL run directly (a deep page costs what the first does).
  ...Object.fromEntries(
    ["operator", "client"].flatMap((who) =>
      ["first", "deep"].flatMap((depth) => [
        [`api_pg_list_${who}_${depth}_p99`, { max: 25 }],
        [`api_pg_list_${who}_${depth}_vs_sql`, { max: 3 }],
      ])
    ),
  ),
  // Issue 7: join tokens against a zero-latency emulator, one at a time and 50 concurrent.
  api_pg_token_single_p99: { max: 15 },
  api_pg_token_p99: { max: 15 },
  // Issue 7: webhook burst: p99 ≤ 20 ms, nothing lost or stored twice (both databases).
  webhook_pg_p99: { max: 20 },
  webhook_pg_lost: { max: 0 },
  webhook_pg_doubled: { max: 0 },
  webhook_pglite_lost: { max: 0 },
  webhook_pglite_doubled: { max: 0 },
  // Issue 4: the worker's peak RSS on the 1 GB recording, with its V8 flags and with V8's
  // defaults (Supabase Edge and Deno Deploy take no V8 flags).
  pipeline_worker_peak_rss: { max: 150 },
  pipeline_worker_peak_rss_default_v8: { max: 150 },
  pipeline_video_streams_sent: { max: 0 },
};
