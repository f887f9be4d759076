// Where the browser tests and end-to-end runs find Chromium. Test tools that download their
// own browser cannot work on a machine with no internet, so a system Chromium is used.
import { accessSync, constants } from "node:fs";

const CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

export const CHROMIUM_HELP =
  "Chromium was not found. Install it (Debian/Ubuntu: `sudo apt-get install -y chromium`) " +
  "or point CHROME_PATH at a Chrome or Chromium binary.";

/** The Chromium binary, or null. CHROME_PATH wins when set. */
export function findChromium() {
  const fromEnv = process.env.CHROME_PATH;
  for (const path of fromEnv ? [fromEnv] : CANDIDATES) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** Flags for a headless run on a closed network, with fake camera and microphone. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--autoplay-policy=no-user-gesture-required",
];
