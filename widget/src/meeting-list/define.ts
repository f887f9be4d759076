/** Registers <foxeo-meeting-list> (once, however often this module is loaded). */
import { MeetingListElement } from "./meeting-list.js";

if (!customElements.get("foxeo-meeting-list")) customElements.define("foxeo-meeting-list", MeetingListElement);

export { MeetingListElement };
export type { ClientInfo } from "./meeting-list.js";
