import { css } from "lit";
import { tokens } from "../shared/theme.js";

export const styles = [
  tokens,
  css`
    :host {
      container-type: inline-size;
      --_stage: var(--foxeo-room-background, #0f141c);
      --_speaking: var(--foxeo-speaking-color, #3ccb7f);
      --_gap: var(--foxeo-tile-gap, var(--_space-m));
    }
    h2 {
      margin: 0;
      font-size: 1.3em;
    }
    [part~="status"] {
      padding: var(--_space-l);
    }
    .end {
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--_surface-alt);
      text-align: center;
      display: grid;
      justify-items: center;
      gap: var(--_space-m);
      padding: calc(var(--_space-l) * 2) var(--_space-l);
    }
    .end p {
      margin: 0;
      font-size: 1.1em;
    }
    [part="prejoin"] {
      display: grid;
      grid-template-columns: minmax(0, 3fr) minmax(260px, 2fr);
      gap: var(--_space-l) calc(var(--_space-l) * 1.5);
      align-items: start;
    }
    .prejoin-head {
      grid-column: 1 / -1;
    }
    .prejoin-head [part~="status"] {
      margin: var(--_space-s) 0 0;
      padding: 0;
      color: var(--_muted);
    }
    @container (max-width: 680px) {
      [part="prejoin"] {
        grid-template-columns: minmax(0, 1fr);
      }
    }
    .preview-col {
      display: grid;
      gap: var(--_space-m);
    }
    .tile {
      position: relative;
      margin: 0;
      aspect-ratio: 16 / 9;
      border-radius: var(--_radius);
      overflow: hidden;
      background: #1d2533;
      color: #fff;
      min-width: 0;
    }
    video {
      display: block;
      width: 100%;
      height: 100%;
      object-fit: cover;
      background: #1d2533;
    }
    video[hidden] {
      display: none;
    }
    .tile-screen video,
    [part~="tile-screen"] video {
      object-fit: contain;
      background: #000;
    }
    .mirror {
      transform: scaleX(-1);
    }
    .placeholder,
    .avatar {
      position: absolute;
      inset: 0;
      display: grid;
      place-items: center;
      color: #e4e7ec;
      font-weight: 600;
    }
    .avatar {
      font-size: clamp(1.4em, 7cqi, 3em);
      background: #1d2533;
    }
    .no-video video {
      visibility: hidden;
    }
    .preview-controls {
      position: absolute;
      inset-inline: 0;
      bottom: var(--_space-m);
      display: flex;
      justify-content: center;
      gap: var(--_space-m);
    }
    .ctrl {
      display: inline-flex;
      flex-direction: column;
      align-items: center;
      gap: 2px;
      min-width: 72px;
      padding: 6px 10px;
      border: 0;
      border-radius: var(--_radius);
      background: #2b3545;
      color: #fff;
      font-size: 0.8em;
      font-weight: 600;
      cursor: pointer;
    }
    .ctrl:hover {
      background: #3a4659;
    }
    .ctrl.off {
      background: #b42318;
    }
    .ctrl.active {
      background: var(--_primary);
    }
    .ctrl.leave {
      background: #344054;
    }
    .ctrl.end {
      background: #b42318;
    }
    .ctrl[disabled] {
      opacity: 0.5;
      cursor: not-allowed;
    }
    .ctrl:focus-visible {
      outline-color: #93c5fd;
    }
    .level-row {
      display: flex;
      align-items: center;
      gap: var(--_space-m);
      color: var(--_muted);
    }
    .level-label svg {
      display: block;
      width: 18px;
      height: 18px;
    }
    [part="mic-level"] {
      flex: 1;
      height: 10px;
      border-radius: 4px;
      background: var(--_surface-alt);
      border: 1px solid var(--_border);
      overflow: hidden;
    }
    [part="mic-level"] .bar {
      display: block;
      height: 100%;
      width: 100%;
      background: var(--_success);
      transform-origin: left;
      transform: scaleX(var(--level, 0));
      transition: transform 60ms linear;
    }
    .form-col {
      display: grid;
      gap: var(--_space-s);
      align-content: start;
    }
    .form-col label {
      margin-top: var(--_space-m);
      font-weight: 600;
      font-size: 0.9em;
    }
    .form-col input,
    .form-col select {
      min-height: 38px;
      padding: 6px 10px;
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--_surface);
      width: 100%;
    }
    [part="recording-notice"] {
      margin: var(--_space-m) 0 0;
      padding: var(--_space-m) var(--_space-l);
      border-radius: var(--_radius);
      background: color-mix(in srgb, var(--_danger) 7%, var(--_surface));
      border: 1px solid color-mix(in srgb, var(--_danger) 35%, var(--_surface));
      font-size: 0.9em;
    }
    .rec-dot {
      display: inline-block;
      width: 10px;
      height: 10px;
      margin-inline-end: 8px;
      border-radius: 50%;
      background: #d92d20;
      vertical-align: -1px;
    }
    .join-row {
      display: flex;
      flex-wrap: wrap;
      gap: var(--_space-m);
      margin-top: var(--_space-m);
    }
    [part="join-button"] {
      min-height: 44px;
      font-size: 1.05em;
    }
    [part~="error"] {
      margin: var(--_space-m) 0 0;
    }
    [part~="error"] .btn {
      margin-top: var(--_space-m);
    }
    [part="room"] {
      display: grid;
      gap: var(--_space-m);
      padding: var(--_space-m);
      border-radius: var(--_radius);
      background: var(--_stage);
      color: #f2f4f7;
    }
    .room-header {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: var(--_space-s) var(--_space-l);
      padding: 0 var(--_space-s);
    }
    .room-header h2 {
      font-size: 1.1em;
      margin-inline-end: auto;
    }
    [part="recording-indicator"] {
      display: inline-flex;
      align-items: center;
      padding: 2px 10px;
      border-radius: 999px;
      background: #3d1512;
      color: #fecdca;
      font-size: 0.85em;
      font-weight: 700;
    }
    .count {
      color: #d0d5dd;
      font-size: 0.9em;
    }
    [part="reconnecting"] {
      margin: 0;
      padding: var(--_space-m) var(--_space-l);
      border-radius: var(--_radius);
      background: #4e1d09;
      color: #fedf89;
      font-weight: 600;
    }
    [part="room"] [part~="error"] {
      background: #3d1512;
      color: #fecdca;
      border-color: #f04438;
    }
    .grid {
      display: grid;
      grid-template-columns: repeat(var(--cols, 1), minmax(0, 1fr));
      gap: var(--_gap);
    }
    @container (max-width: 600px) {
      .grid {
        grid-template-columns: repeat(var(--cols-narrow, 1), minmax(0, 1fr));
      }
      [part="controls"] .ctrl {
        min-width: 0;
        flex: 1 1 0;
        padding: 6px 4px;
      }
      [part="controls"] .ctrl span {
        font-size: 0.85em;
      }
    }
    @container (max-width: 440px) {
      /* Phones: icon buttons (the text stays for screen readers), smaller name tags. */
      [part="controls"] .ctrl {
        min-height: 46px;
        justify-content: center;
      }
      [part="controls"] .ctrl span {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip: rect(0 0 0 0);
        white-space: nowrap;
      }
      figcaption {
        left: 4px;
        bottom: 4px;
        padding: 1px 6px;
        font-size: 0.72em;
      }
    }
    /* Someone shares a screen: it takes most of the room, the cameras line up beside it. */
    .split {
      display: grid;
      grid-template-columns: minmax(0, 3fr) minmax(0, 1fr);
      gap: var(--_gap);
      align-items: start;
    }
    .screens,
    .strip {
      display: grid;
      gap: var(--_gap);
      min-width: 0;
    }
    @container (max-width: 800px) {
      .split {
        grid-template-columns: minmax(0, 1fr);
      }
      .strip {
        grid-template-columns: repeat(2, minmax(0, 1fr));
      }
    }
    .tile.speaking {
      outline: 3px solid var(--_speaking);
      outline-offset: -3px;
    }
    figcaption {
      position: absolute;
      left: var(--_space-m);
      bottom: var(--_space-m);
      max-width: calc(100% - 2 * var(--_space-m));
      display: inline-flex;
      align-items: center;
      gap: 6px;
      padding: 2px 8px;
      border-radius: 6px;
      background: rgb(0 0 0 / 0.62);
      color: #fff;
      font-size: 0.85em;
      font-weight: 600;
    }
    .who {
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    [part="muted-indicator"] {
      display: inline-flex;
      color: #fda29b;
    }
    [part="muted-indicator"] svg {
      width: 16px;
      height: 16px;
    }
    [part="controls"] {
      display: flex;
      justify-content: center;
      flex-wrap: wrap;
      gap: var(--_space-m);
      padding-top: var(--_space-s);
    }
    .confirm {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      justify-content: center;
      gap: var(--_space-m);
      padding: var(--_space-m);
      border-radius: var(--_radius);
      background: #1d2533;
    }
    .confirm p {
      margin: 0;
      flex-basis: 100%;
      text-align: center;
      font-weight: 600;
    }
    .confirm .btn:not(.solid) {
      background: #2b3545;
      color: #fff;
      border-color: #475467;
    }
  `,
];
