export { MeetingListElement } from "./meeting-list/meeting-list.js";
