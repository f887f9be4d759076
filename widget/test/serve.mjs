// A small static server for the build test, the benchmark and the screenshots: files from the
// repository (dist/ above all) and HTML pages given as strings, on a free loopback port.
import { readFile } from "node:fs/promises";
import http from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const TYPES = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".html": "text/html; charset=utf-8",
  ".css": "text/css",
  ".mp4": "video/mp4",
};

/**
 * `pages`: path → HTML string, or a function of the request URL returning one, or
 * `{ type, body }` for any other content served from memory.
 */
export async function startStatic({ pages = {}, root = ROOT } = {}) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://local");
    const page = pages[url.pathname];
    if (page !== undefined) {
      const { type, body } = typeof page === "object" ? page : { type: TYPES[".html"], body: typeof page === "function" ? page(url) : page };
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
      return;
    }
    const path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!path.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(path);
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
