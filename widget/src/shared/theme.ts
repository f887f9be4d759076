/**
 * Theme tokens: every element reads `--foxeo-*` custom properties set by the host page, with
 * these fallbacks. Private `--_*` names keep the fallbacks in one place.
 */
import { css } from "lit";

export const tokens = css`
  :host {
    --_font: var(--foxeo-font-family, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
    --_text: var(--foxeo-color-text, #1d2130);
    --_muted: var(--foxeo-color-text-muted, #545b6b);
    --_surface: var(--foxeo-color-surface, #ffffff);
    --_surface-alt: var(--foxeo-color-surface-alt, #f3f4f7);
    --_border: var(--foxeo-color-border, #d5d8e0);
    --_primary: var(--foxeo-color-primary, #4338ca);
    --_on-primary: var(--foxeo-color-on-primary, #ffffff);
    --_danger: var(--foxeo-color-danger, #b42318);
    --_success: var(--foxeo-color-success, #05603a);
    --_warning: var(--foxeo-color-warning, #93370d);
    --_radius: var(--foxeo-radius, 8px);
    --_space-s: var(--foxeo-space-s, 4px);
    --_space-m: var(--foxeo-space-m, 8px);
    --_space-l: var(--foxeo-space-l, 16px);
    --_focus: var(--foxeo-focus-color, #2563eb);
    display: block;
    font-family: var(--_font);
    font-size: var(--foxeo-font-size, 15px);
    line-height: 1.45;
    color: var(--_text);
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  :focus-visible {
    outline: 3px solid var(--_focus);
    outline-offset: 2px;
  }
  button,
  input,
  select,
  textarea {
    font: inherit;
    color: inherit;
  }
  .btn {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: var(--_space-s);
    min-height: 36px;
    padding: 6px 14px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_text);
    font-weight: 600;
    text-decoration: none;
    cursor: pointer;
    white-space: nowrap;
  }
  .btn:hover {
    background: var(--_surface-alt);
  }
  .btn[disabled] {
    opacity: 0.55;
    cursor: not-allowed;
  }
  .btn.primary {
    background: var(--_primary);
    border-color: var(--_primary);
    color: var(--_on-primary);
  }
  .btn.primary:hover {
    filter: brightness(1.1);
  }
  .btn.danger {
    color: var(--_danger);
    border-color: currentColor;
  }
  .btn.danger.solid {
    background: var(--_danger);
    border-color: var(--_danger);
    color: #fff;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  [part~="error"] {
    padding: var(--_space-m) var(--_space-l);
    border: 1px solid var(--_danger);
    border-radius: var(--_radius);
    background: color-mix(in srgb, var(--_danger) 6%, var(--_surface));
    color: var(--_danger);
  }
  .ref {
    display: block;
    font-size: 0.8em;
    color: var(--_muted);
  }
`;
