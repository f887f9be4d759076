/** The in-meeting view of <foxeo-meeting-room>: tiles in a grid that fits the count, and the controls. */
import { html, nothing, type TemplateResult } from "lit";
import { repeat } from "lit/directives/repeat.js";
import { styleMap } from "lit/directives/style-map.js";
import type { MeetingRoomMessages } from "../shared/i18n/meeting-room.js";
import { camIcon, camOffIcon, endIcon, leaveIcon, micIcon, micOffIcon, screenIcon } from "../shared/icons.js";
import type { MeetingRoomElement } from "./meeting-room.js";

interface Tile {
  key: string;
  connectionId: string;
  name: string;
  local: boolean;
  screen: boolean;
  audioActive: boolean;
  videoActive: boolean;
  /** Local tiles show our own stream; remote ones are attached by stream id. */
  stream?: MediaStream | null;
  streamId?: string;
}

export function renderToggle(t: MeetingRoomMessages, kind: "mic" | "cam", on: boolean, disabled: boolean, click: () => void) {
  const label = kind === "mic" ? t.mic : t.cam;
  const action = kind === "mic" ? (on ? t.micOn : t.micOff) : on ? t.camOn : t.camOff;
  const icon = kind === "mic" ? (on ? micIcon : micOffIcon) : on ? camIcon : camOffIcon;
  return html`<button class="ctrl ${on ? "" : "off"}" part="toggle-${kind}" aria-pressed=${on && !disabled ? "true" : "false"}
    title=${action} ?disabled=${disabled} @click=${click}>${icon}<span>${label}</span></button>`;
}

const initials = (name: string) =>
  name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0]!.toUpperCase()).join("") || "?";

function tiles(el: MeetingRoomElement, t: MeetingRoomMessages): Tile[] {
  const { session, media, name } = el.view;
  const out: Tile[] = [];
  if (session.screen) {
    out.push({ key: "local-screen", connectionId: "local-screen", name: t.yourScreen, local: true, screen: true, audioActive: false, videoActive: true, stream: session.screen.stream });
  }
  out.push({
    key: "local",
    connectionId: "local",
    name: t.you(name || t.participant),
    local: true,
    screen: false,
    audioActive: !!media.audioTrack && media.audioOn,
    videoActive: !!media.videoTrack && media.videoOn,
    stream: media.stream,
  });
  const withStream = new Set<string>();
  for (const s of session.streams.values()) {
    const p = session.participants.get(s.connectionId);
    if (session.isOwnScreen(p)) continue;
    withStream.add(s.connectionId);
    const who = p?.displayName || t.participant;
    const screen = p?.kind === "screen";
    out.push({
      key: s.streamId,
      connectionId: s.connectionId,
      name: screen ? t.screenOf(who) : who,
      local: false,
      screen,
      audioActive: s.hasAudio && s.audioActive,
      videoActive: s.hasVideo && s.videoActive,
      streamId: s.streamId,
    });
  }
  // People connected without publishing still count.
  for (const p of session.participants.values()) {
    if (withStream.has(p.connectionId) || p.kind === "screen") continue;
    out.push({ key: p.connectionId, connectionId: p.connectionId, name: p.displayName || t.participant, local: false, screen: false, audioActive: false, videoActive: false });
  }
  // Screens first: they get the room's width.
  return out.sort((a, b) => Number(b.screen) - Number(a.screen));
}

/** Columns for n tiles: 1, 2, 2×2, 3×…, 4×… (fewer in a narrow container). */
function columns(n: number): { wide: number; narrow: number } {
  const wide = n <= 1 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : 4;
  return { wide, narrow: n <= 2 ? 1 : 2 };
}

function renderTile(tile: Tile, el: MeetingRoomElement, t: MeetingRoomMessages): TemplateResult {
  const { session } = el.view;
  const speaking = session.speaking.has(tile.connectionId) && session.activeSpeaker === tile.connectionId;
  const part = ["tile", tile.local ? "tile-local" : "", tile.screen ? "tile-screen" : "", speaking ? "tile-speaking" : ""].filter(Boolean).join(" ");
  const video = tile.stream !== undefined
    ? html`<video .srcObject=${tile.stream} class=${tile.local && !tile.screen ? "mirror" : ""} muted autoplay playsinline></video>`
    : tile.streamId
    ? html`<video data-stream=${tile.streamId} autoplay playsinline></video>`
    : nothing;
  return html`<figure part=${part} class="tile ${tile.videoActive ? "" : "no-video"} ${speaking ? "speaking" : ""}"
    data-connection=${tile.connectionId}>
    ${video}
    ${tile.videoActive ? nothing : html`<div class="avatar" aria-hidden="true">${initials(tile.name)}</div>`}
    <figcaption part="name">
      <span class="who">${tile.name}</span>
      ${speaking ? html`<span class="visually-hidden">, ${t.speaking}</span>` : nothing}
      ${!tile.screen && !tile.audioActive ? html`<span part="muted-indicator" role="img" aria-label=${t.muted}>${micOffIcon}</span>` : nothing}
      ${!tile.screen && !tile.videoActive ? html`<span class="visually-hidden">, ${t.cameraOff}</span>` : nothing}
    </figcaption>
  </figure>`;
}

export function renderRoom(el: MeetingRoomElement, t: MeetingRoomMessages): TemplateResult {
  const v = el.view;
  const { session, media } = v;
  const list = tiles(el, t);
  const screens = list.filter((x) => x.screen);
  const people = list.filter((x) => !x.screen);
  const cols = columns(people.length);
  const count = 1 + [...session.participants.values()].filter((p) => p.kind !== "screen").length;
  return html`<div part="room">
    <header class="room-header">
      <h2>${v.meeting?.title ?? ""}</h2>
      ${session.recording
        ? html`<span part="recording-indicator" role="status"><span class="rec-dot" aria-hidden="true"></span>${t.recording}</span>`
        : nothing}
      <span class="count">${t.participants(count)}</span>
    </header>
    ${session.reconnecting ? html`<p part="reconnecting" role="alert">${t.reconnecting}</p>` : nothing}
    ${v.roomError
      ? html`<p part="error" role="alert">${v.roomError.text} ${v.explain(v.roomError.error)}</p>`
      : nothing}
    ${screens.length
      ? html`<div part="grid" class="split">
          <div class="screens">${repeat(screens, (x) => x.key, (x) => renderTile(x, el, t))}</div>
          <div class="strip">${repeat(people, (x) => x.key, (x) => renderTile(x, el, t))}</div>
        </div>`
      : html`<div part="grid" class="grid" style=${styleMap({ "--cols": String(cols.wide), "--cols-narrow": String(cols.narrow) })}>
          ${repeat(list, (x) => x.key, (x) => renderTile(x, el, t))}
        </div>`}
    ${v.confirmingEnd
      ? html`<div class="confirm" role="group" aria-label=${t.end}>
          <p>${t.confirmEnd}</p>
          <button class="btn danger solid" @click=${() => el.endMeeting()}>${t.confirmEndYes}</button>
          <button class="btn" @click=${() => v.askEnd(false)}>${t.keep}</button>
        </div>`
      : nothing}
    <div part="controls" role="toolbar" aria-label=${t.controls}>
      ${renderToggle(t, "mic", media.audioOn, !media.audioTrack, () => v.toggle("mic"))}
      ${renderToggle(t, "cam", media.videoOn, !media.videoTrack, () => v.toggle("cam"))}
      <button class="ctrl ${session.screen ? "active" : ""}" part="toggle-screen" aria-pressed=${session.screen ? "true" : "false"}
        @click=${() => el.shareScreen()}>${screenIcon}<span>${session.screen ? t.stopShare : t.share}</span></button>
      <button class="ctrl leave" part="leave-button" @click=${() => el.leave()}>${leaveIcon}<span>${t.leave}</span></button>
      ${v.isOperator
        ? html`<button class="ctrl end" part="end-button" ?disabled=${v.ending} aria-busy=${v.ending}
            @click=${() => v.askEnd(true)}>${endIcon}<span>${t.end}</span></button>`
        : nothing}
    </div>
  </div>`;
}
