// What a Foxeo page does to host the elements: load them (one module, the same bundle as the
// script tag), give them a token source and the clients, and react to their events. The token
// comes from the demo server (development tokens); in Foxeo it is the signed-in Supabase
// session's access token.
import "/dist/foxeo-visio.js";
import { startEmulatorPanel } from "/assets/emulator.js";
import { enhanceSwitchers } from "/assets/switcher.js";

const config = JSON.parse(document.getElementById("demo-config").textContent);

let token = null;
/** Called by the elements before each request: a cached token until a minute before expiry. */
async function getAccessToken() {
  if (token && token.expires_at * 1000 - Date.now() > 60_000) return token.access_token;
  const res = await fetch("/demo/token", { credentials: "same-origin", cache: "no-store" });
  if (!res.ok) throw new Error(`The demo server gave no token (HTTP ${res.status})`);
  token = await res.json();
  return token.access_token;
}

for (const el of document.querySelectorAll("foxeo-meeting-list, foxeo-meeting-room, foxeo-recording-player")) {
  el.getAccessToken = getAccessToken;
}

const list = document.querySelector("foxeo-meeting-list");
if (list) list.clients = config.clients;

const room = document.querySelector("foxeo-meeting-room");
if (room) {
  const after = document.querySelector("[data-after-room]");
  const show = () => (after.hidden = false);
  room.addEventListener("foxeo-left", show);
  room.addEventListener("foxeo-meeting-ended", show);
}

document.addEventListener("foxeo-error", (e) => console.warn(`[foxeo-error] ${e.detail.code}: ${e.detail.message}`));

enhanceSwitchers();
const panel = document.querySelector("[data-emulator-panel]");
if (panel) startEmulatorPanel(panel);
