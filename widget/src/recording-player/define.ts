/** Registers <foxeo-recording-player> (once, however often this module is loaded). */
import { RecordingPlayerElement } from "./recording-player.js";

if (!customElements.get("foxeo-recording-player")) customElements.define("foxeo-recording-player", RecordingPlayerElement);

export { RecordingPlayerElement };
