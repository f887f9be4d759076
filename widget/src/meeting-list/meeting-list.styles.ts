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
    [part="toolbar"] {
      display: flex;
      flex-wrap: wrap;
      align-items: end;
      gap: var(--_space-m) var(--_space-l);
    }
    h2 {
      margin: 0;
      margin-inline-end: auto;
      font-size: 1.35em;
    }
    .filters {
      display: flex;
      flex-wrap: wrap;
      gap: var(--_space-m);
    }
    .filters label {
      display: grid;
      gap: 2px;
      font-size: 0.85em;
      color: var(--_muted);
      font-weight: 600;
    }
    select,
    input,
    textarea {
      min-height: 36px;
      padding: 6px 10px;
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--_surface);
      color: var(--_text);
      font-weight: 400;
      font-size: 1rem;
      max-width: 100%;
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
      background: color-mix(in srgb, var(--_danger) 7%, var(--_surface));
    }
    .stale {
      margin: 0;
      color: var(--_warning);
      font-size: 0.9em;
    }
    [part="list"] {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: var(--foxeo-list-gap, var(--_space-m));
    }
    [part="meeting"] {
      /* Long lists: rows off screen skip layout and paint. */
      content-visibility: auto;
      contain-intrinsic-size: auto 86px;
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      justify-content: space-between;
      gap: var(--_space-m) var(--_space-l);
      padding: var(--_space-l);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--_surface);
    }
    [part="meeting"][data-status="in_progress"] {
      border-color: color-mix(in srgb, var(--_success) 55%, var(--_border));
      box-shadow: inset 4px 0 0 var(--_success);
    }
    .summary {
      display: grid;
      grid-template-columns: auto 1fr;
      align-items: center;
      gap: 2px var(--_space-m);
      min-width: 0;
      flex: 1 1 280px;
    }
    [part="meeting-title"] {
      margin: 0;
      font-size: 1.05em;
      overflow-wrap: anywhere;
    }
    .badge {
      justify-self: start;
      padding: 1px 8px;
      border-radius: 999px;
      font-size: 0.8em;
      font-weight: 700;
      white-space: nowrap;
    }
    .badge.scheduled {
      background: #dbeafe;
      color: #1e3a8a;
    }
    .badge.in_progress {
      background: #d1fadf;
      color: #054f31;
    }
    .badge.in_progress::before {
      content: "";
      display: inline-block;
      width: 7px;
      height: 7px;
      margin-inline-end: 5px;
      border-radius: 50%;
      background: currentColor;
      vertical-align: 1px;
    }
    .badge.completed {
      background: #e4e7ec;
      color: #344054;
    }
    .badge.cancelled {
      background: #fef0c7;
      color: #7a2e0e;
    }
    .meta {
      grid-column: 1 / -1;
      margin: 0;
      display: flex;
      flex-wrap: wrap;
      gap: 0 var(--_space-l);
      color: var(--_muted);
      font-size: 0.9em;
    }
    .client {
      font-weight: 600;
    }
    [part="actions"],
    [part="confirm"] {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: var(--_space-m);
    }
    [part="confirm"] p {
      margin: 0;
      flex-basis: 100%;
      font-weight: 600;
    }
    [part="loading"] {
      display: grid;
      gap: var(--_space-m);
    }
    .skeleton {
      height: 76px;
      border-radius: var(--_radius);
      background: linear-gradient(90deg, var(--_surface-alt) 25%, color-mix(in srgb, var(--_surface-alt) 40%, var(--_surface)) 50%, var(--_surface-alt) 75%);
      background-size: 200% 100%;
      animation: shimmer 1.4s linear infinite;
    }
    @keyframes shimmer {
      to {
        background-position: -200% 0;
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .skeleton {
        animation: none;
      }
    }
    [part="empty"] {
      margin: 0;
      padding: var(--_space-l);
      border: 1px dashed var(--_border);
      border-radius: var(--_radius);
      color: var(--_muted);
      text-align: center;
    }
    [part="error"] p {
      margin: 0 0 var(--_space-m);
    }
    [part="load-more"] {
      justify-self: center;
    }
    [part="create-form"] fieldset {
      margin: 0;
      padding: var(--_space-l);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      background: var(--_surface-alt);
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));
      gap: var(--_space-m) var(--_space-l);
    }
    legend {
      padding: 0 var(--_space-s);
      font-weight: 700;
    }
    .field {
      display: grid;
      gap: 2px;
      align-content: start;
    }
    .field input,
    .field select,
    .field textarea {
      width: 100%;
    }
    .field label {
      font-weight: 600;
      font-size: 0.9em;
    }
    .wide {
      grid-column: 1 / -1;
    }
    [aria-invalid="true"] {
      border-color: var(--_danger);
    }
    .field-error {
      color: var(--_danger);
      font-size: 0.85em;
    }
    .form-actions {
      display: flex;
      gap: var(--_space-m);
    }
    @container (max-width: 520px) {
      [part="meeting"] {
        padding: var(--_space-m) var(--_space-l);
      }
      [part="actions"] {
        width: 100%;
      }
      [part="actions"] .btn {
        flex: 1 1 auto;
      }
      .filters,
      .filters label,
      .filters select {
        width: 100%;
      }
    }
  `,
];
