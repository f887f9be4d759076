// Classes and types, without registering any tag: for subclassing or a custom registry. The
// entries `foxeo-visio.js`, `meeting-list.js`, `meeting-room.js` and `recording-player.js`
// register the tags.
export { MeetingListElement } from "./meeting-list/meeting-list.js";
export type { ClientInfo } from "./meeting-list/meeting-list.js";
export { MeetingRoomElement } from "./meeting-room/meeting-room.js";
export type * from "./meeting-room/room-connection.js";
export { RecordingPlayerElement } from "./recording-player/recording-player.js";
export { WidgetError } from "./shared/errors.js";
export type { FieldIssue, WidgetErrorCode } from "./shared/errors.js";
export * from "./shared/events.js";
export type * from "./shared/api-types.js";
export type { AccessTokenGetter, SupabaseAuthClient } from "./shared/token-source.js";
