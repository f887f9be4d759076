/** Registers <foxeo-meeting-room> (once, however often this module is loaded). */
import { MeetingRoomElement } from "./meeting-room.js";

if (!customElements.get("foxeo-meeting-room")) customElements.define("foxeo-meeting-room", MeetingRoomElement);

export { MeetingRoomElement };
export type * from "./room-connection.js";
