import "./meeting-list/meeting-list.js";
