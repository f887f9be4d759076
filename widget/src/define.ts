// The script-tag entry (dist/foxeo-visio.js): registers every element, safely if loaded twice.
import "./meeting-list/define.js";
import "./meeting-room/define.js";
import "./recording-player/define.js";
export * from "./index.js";
