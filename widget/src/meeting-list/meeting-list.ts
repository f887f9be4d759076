import { css, html, LitElement } from "lit";
import { customElement, property } from "lit/decorators.js";

/**
 * Placeholder until the meeting list lands.
 * @summary Foxeo Visio meeting list.
 */
@customElement("foxeo-meeting-list")
export class MeetingListElement extends LitElement {
  static override styles = css`
    :host { display: block; }
    :host([hidden]) { display: none; }
  `;

  @property({ attribute: "functions-url" }) functionsUrl = "";

  override render() {
    return html`<p part="empty">Aucune réunion</p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "foxeo-meeting-list": MeetingListElement;
  }
}
