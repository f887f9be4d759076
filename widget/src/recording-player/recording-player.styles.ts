import { css } from "lit";
import { tokens } from "../shared/theme.js";

export const styles = [
  tokens,
  css`
    [part="base"] {
      container-type: inline-size;
      display: grid;
      gap: var(--_space-l);
    }
    h2 {
      margin: 0;
      font-size: 1.35em;
    }
    h3 {
      margin: 0;
      font-size: 1.05em;
    }
    [part="notice"]:empty {
      display: none;
    }
    [part="notice"] {
      margin: 0;
      padding: var(--_space-m) var(--_space-l);
      border-radius: var(--_radius);
      border-inline-start: 4px solid var(--_success);
      background: color-mix(in srgb, var(--_success) 8%, var(--_surface));
    }
    [part="notice"].error {
      border-inline-start-color: var(--_danger);
    }
    .layout {
      display: grid;
      grid-template-columns: minmax(0, 3fr) minmax(280px, 2fr);
      grid-template-areas: "main transcript" "history transcript";
      grid-template-rows: auto 1fr;
      gap: var(--_space-l);
      align-items: start;
    }
    .main {
      grid-area: main;
    }
    [part="transcript-panel"] {
      grid-area: transcript;
    }
    .history {
      grid-area: history;
    }
    @container (max-width: 760px) {
      .layout {
        grid-template-columns: minmax(0, 1fr);
        grid-template-areas: "main" "transcript" "history";
        grid-template-rows: auto;
      }
    }
    .main {
      display: grid;
      gap: var(--_space-m);
      min-width: 0;
    }
    .player {
      border-radius: var(--_radius);
      overflow: hidden;
      background: #000;
    }
    video {
      display: block;
      width: 100%;
      aspect-ratio: 16 / 9;
      background: #000;
    }
    [part="downloads"] {
      display: flex;
      flex-wrap: wrap;
      gap: var(--_space-m);
    }
    .size {
      font-weight: 400;
      color: var(--_muted);
    }
    .pending,
    [part="empty"],
    [part="loading"] {
      margin: 0;
      padding: var(--_space-l);
      border: 1px dashed var(--_border);
      border-radius: var(--_radius);
      color: var(--_muted);
    }
    nav h3 {
      margin-bottom: var(--_space-s);
      font-size: 0.95em;
    }
    [part="history"] {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: var(--_space-s);
    }
    .recording {
      width: 100%;
      display: grid;
      gap: 2px;
      padding: var(--_space-m) var(--_space-l);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--_surface);
      text-align: start;
      cursor: pointer;
    }
    .recording[aria-current="true"] {
      border-color: var(--_primary);
      box-shadow: inset 4px 0 0 var(--_primary);
    }
    .recording .when {
      font-weight: 600;
    }
    .recording .meta {
      font-size: 0.85em;
      color: var(--_muted);
    }
    [part="transcript-panel"] {
      display: grid;
      gap: var(--_space-m);
      padding: var(--_space-l);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--_surface);
      min-width: 0;
    }
    .panel-head {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: var(--_space-m);
    }
    [part="transcription-status"] {
      margin: 0;
      flex-basis: 100%;
      padding: var(--_space-m);
      border-radius: var(--_radius);
      background: var(--_surface-alt);
    }
    [part="transcription-status"].failed {
      color: var(--_danger);
      background: color-mix(in srgb, var(--_danger) 7%, var(--_surface));
    }
    .search {
      display: flex;
      align-items: center;
      gap: var(--_space-s);
      flex-wrap: wrap;
      position: relative;
    }
    .search-icon {
      position: absolute;
      left: 10px;
      top: 9px;
      color: var(--_muted);
      pointer-events: none;
    }
    .search-icon svg {
      width: 18px;
      height: 18px;
    }
    [part="search-input"] {
      flex: 1 1 160px;
      min-height: 36px;
      padding: 6px 10px 6px 34px;
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--_surface);
      min-width: 0;
    }
    [part="search-count"] {
      font-size: 0.85em;
      color: var(--_muted);
    }
    .btn.icon {
      min-width: 36px;
      padding: 4px 8px;
    }
    [part="transcript"] {
      position: relative;
      max-height: var(--foxeo-transcript-height, 420px);
      overflow-y: auto;
      overscroll-behavior: contain;
      border-radius: var(--_radius);
      border: 1px solid var(--_border);
      padding: var(--_space-s);
    }
    [part~="line"] {
      display: grid;
      grid-template-columns: 4.2em 1fr;
      gap: var(--_space-m);
      padding: 4px var(--_space-m);
      border-radius: 6px;
      cursor: pointer;
      content-visibility: auto;
      contain-intrinsic-size: auto 2.6em;
    }
    [part~="line"]:hover {
      background: var(--_surface-alt);
    }
    [part~="line-current"] {
      background: var(--foxeo-highlight-color, #e0e7ff);
      box-shadow: inset 3px 0 0 var(--_primary);
    }
    [part="transcript"]:focus-visible .active {
      outline: 2px solid var(--_focus);
      outline-offset: -2px;
    }
    .time {
      color: var(--_muted);
      font-variant-numeric: tabular-nums;
      font-size: 0.85em;
      padding-top: 0.15em;
    }
    mark {
      background: var(--foxeo-match-color, #fde68a);
      color: inherit;
      border-radius: 2px;
    }
  `,
];
