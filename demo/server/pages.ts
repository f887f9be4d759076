// The demo's HTML: Foxeo-like pages that host the elements the way Foxeo pages do, the QA
// home, and a page that embeds with one script tag. Values are escaped by hono/html.
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { clientName, CLIENTS, IDENTITIES, type Identity } from "./identities.ts";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** What the pages say about the running stack. */
export interface StackInfo {
  functionsUrl: string;
  /** Origin of the demo server, also the "project URL" of its development sessions. */
  demoUrl: string;
  database: string;
  storage: string;
  openvidu: { emulated: boolean; where: string };
  openai: { emulated: boolean; where: string };
}

/** The meeting list refreshes every 5 s in the demo (default 15 s) so QA sees changes fast. */
const LIST_POLL_SECONDS = 5;

/** JSON for a <script type="application/json">: `<` escaped so no tag can close it. */
function jsonScript(id: string, value: unknown): Html {
  return html`<script type="application/json" id="${id}">${
    raw(JSON.stringify(value).replace(/</g, "\\u003c"))
  }</script>`;
}

/** The <head> of a page run by one of the demo's scripts, with the config it reads. */
function demoHead(title: string, config: Record<string, unknown>, script: string): Html {
  return html`
    <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>${title}</title>
      <link rel="stylesheet" href="/assets/demo.css">
      ${jsonScript("demo-config", config)}
      <script type="module" src="${script}"></script>
    </head>
  `;
}

function pageConfig(stack: StackInfo, identity: Identity | null, extra: Record<string, unknown>) {
  return {
    functionsUrl: stack.functionsUrl,
    identity: identity?.key ?? null,
    clients: CLIENTS,
    emulated: { openvidu: stack.openvidu.emulated, openai: stack.openai.emulated },
    ...extra,
  };
}

function switcher(identity: Identity | null, next: string): Html {
  return html`
    <form class="switcher" method="post" action="/demo/identity" data-switcher>
      <label for="identity">Connecté en tant que</label>
      <select id="identity" name="identity">
          ${identity ? "" : html`<option value="" selected disabled>— choisir —</option>`}
          ${IDENTITIES.map((i) =>
            html`<option value="${i.key}" ${
              i.key === identity?.key ? "selected" : ""
            }>${i.name} · ${i.role === "operator" ? "Hub" : clientName(i.clientId)}</option>`
          )}
        </select>
      <input type="hidden" name="next" value="${next}">
      <button type="submit">Changer</button>
    </form>
  `;
}

function initials(name: string): string {
  return name.split(/\s+/).map((w) => w[0] ?? "").join("").slice(0, 2).toUpperCase();
}

/** A Foxeo page: the space's sidebar, a top bar with the identity switcher, the content. */
function foxeoShell(options: {
  title: string;
  identity: Identity;
  stack: StackInfo;
  path: string;
  crumbs: { label: string; href?: string }[];
  content: Html;
  config: Record<string, unknown>;
  aside?: Html;
}): Html {
  const { identity } = options;
  const spaceLabel = identity.role === "operator"
    ? "Hub"
    : `${identity.space} · ${clientName(identity.clientId)}`;
  return html`
    <!doctype html>
    <html lang="fr">
      ${demoHead(
        `${options.title} · Foxeo ${identity.role === "operator" ? "Hub" : identity.space}`,
        options.config,
        "/assets/host.js",
      )}
      <body class="foxeo space-${identity.role}">
        <a class="skip" href="#main">Aller au contenu</a>
        <aside class="sidebar" aria-label="Navigation Foxeo">
          <a class="brand"
            href="/modules/visio"><span class="brand-mark" aria-hidden="true"></span>foxeo<span class="brand-space">${identity
                .role === "operator"
              ? "Hub"
              : identity.space}</span></a>
          <p class="space-name">${spaceLabel}</p>
          <nav>
            <ul>
              <li><span class="nav-item" aria-disabled="true">Tableau de bord</span></li>
              <li><a class="nav-item" aria-current="page" href="/modules/visio">Visio</a></li>
              <li><span class="nav-item" aria-disabled="true">Documents</span></li>
            </ul>
          </nav>
          <a class="qa-link" href="/">Démo locale · QA</a>
        </aside>
        <div class="page">
          <header class="topbar">
            <nav aria-label="Fil d'Ariane" class="crumbs">
              <ol>${options.crumbs.map((c) =>
                c.href
                  ? html`<li><a href="${c.href}">${c.label}</a></li>`
                  : html`<li aria-current="page">${c.label}</li>`
              )}</ol>
            </nav>
            <div class="who">
            <span class="avatar" aria-hidden="true">${initials(identity.name)}</span>
            ${switcher(identity, options.path)}
          </div>
          </header>
          <div class="workspace${options.aside ? " with-aside" : ""}">
          <main id="main">
            ${options.content}
          </main>
          ${options.aside ?? ""}
        </div>
        </div>
      </body>
    </html>
  `;
}

export function meetingsPage(stack: StackInfo, identity: Identity): Html {
  const operator = identity.role === "operator";
  return foxeoShell({
    title: "Visio",
    identity,
    stack,
    path: "/modules/visio",
    crumbs: [{ label: "Visio" }],
    config: pageConfig(stack, identity, { page: "list" }),
    content: html`
      <h1>Visio</h1>
      <p class="lead">${operator
        ? "Les réunions de tous vos clients : planifiez, démarrez, rejoignez et terminez-les."
        : "Les réunions avec votre équipe Foxeo : rejoignez celles qui sont en cours."}</p>
      <foxeo-meeting-list
        functions-url="${stack.functionsUrl}"
        room-url="/modules/visio/{id}"
        recordings-url="/modules/visio/{id}/recordings"
        poll-interval="${LIST_POLL_SECONDS}"></foxeo-meeting-list>
    `,
  });
}

export function roomPage(stack: StackInfo, identity: Identity, meetingId: string): Html {
  const path = `/modules/visio/${meetingId}`;
  return foxeoShell({
    title: "Réunion",
    identity,
    stack,
    path,
    crumbs: [{ label: "Visio", href: "/modules/visio" }, { label: "Réunion" }],
    config: pageConfig(stack, identity, { page: "room", meetingId }),
    content: html`
      <h1 class="visually-hidden">Réunion</h1>
      <foxeo-meeting-room functions-url="${stack
        .functionsUrl}" meeting-id="${meetingId}"></foxeo-meeting-room>
      <p class="after-room" data-after-room hidden>
        <a href="/modules/visio">Retour aux réunions</a>
        <a href="${path}/recordings">Voir les enregistrements</a>
      </p>
    `,
    aside: stack.openvidu.emulated ? emulatorPanel(meetingId) : undefined,
  });
}

export function recordingsPage(stack: StackInfo, identity: Identity, meetingId: string): Html {
  const path = `/modules/visio/${meetingId}/recordings`;
  return foxeoShell({
    title: "Enregistrements",
    identity,
    stack,
    path,
    crumbs: [
      { label: "Visio", href: "/modules/visio" },
      { label: "Réunion", href: `/modules/visio/${meetingId}` },
      { label: "Enregistrements" },
    ],
    config: pageConfig(stack, identity, { page: "recordings", meetingId }),
    content: html`
      <h1 class="visually-hidden">Enregistrements de la réunion</h1>
      <foxeo-recording-player functions-url="${stack.functionsUrl}"
        meeting-id="${meetingId}"></foxeo-recording-player>
    `,
  });
}

/** QA controls of the OpenVidu emulator for one meeting's session (not part of Foxeo). */
function emulatorPanel(meetingId: string): Html {
  return html`
    <aside class="qa-panel" aria-labelledby="qa-title" data-emulator-panel
      data-session="visio-${meetingId}">
      <h2 id="qa-title">Outils QA <span class="tag">émulateur OpenVidu</span></h2>
      <p class="qa-note">Pas dans Foxeo : ces boutons pilotent l'émulateur local.</p>
      <p data-session-state aria-live="polite">Session OpenVidu : …</p>
      <ul class="qa-participants" data-participants></ul>
      <div class="qa-actions">
        <button type="button" data-action="join">Un participant simulé rejoint</button>
        <button type="button" data-action="stop-recording" disabled>L'enregistrement se termine</button>
      </div>
      <p class="qa-result" data-result role="status"></p>
    </aside>
  `;
}

export function homePage(stack: StackInfo, identity: Identity | null, next: string | null): Html {
  const service = (name: string, what: string, emulated?: boolean) =>
    html`
      <tr>
        <th scope="row">${name}</th>
        <td>${what}${emulated === undefined ? "" : emulated
          ? html`
            <span class="tag emulated">ÉMULÉ</span>
          `
          : html`
            <span class="tag real">réel</span>
          `}</td>
      </tr>
    `;
  return html`
    <!doctype html>
    <html lang="fr">
      ${demoHead(
        "Foxeo Visio · démo locale",
        pageConfig(stack, identity, { page: "home", next }),
        "/assets/home.js",
      )}
      <body class="qa-home">
        <main id="main">
        <header class="qa-header">
          <h1><span class="brand-mark" aria-hidden="true"></span>Foxeo Visio <small>démo locale · QA</small></h1>
          ${identity ? switcher(identity, "/") : ""}
        </header>

        <section aria-labelledby="who">
          <h2 id="who">Qui êtes-vous ?</h2>
          <p>Jetons de développement signés avec le secret JWT local, par ce serveur de démo uniquement.</p>
          <ul class="identities">
            ${IDENTITIES.map((i) =>
              html`
                <li>
                  <form method="post" action="/demo/identity" data-switcher>
                    <input type="hidden" name="identity" value="${i.key}">
                    <input type="hidden" name="next" value="${next ?? "/modules/visio"}">
                    <button type="submit" class="identity${i.key === identity?.key
                      ? " current"
                      : ""}">
                      <span class="avatar" aria-hidden="true">${initials(i.name)}</span>
                      <span><strong>${i.name}</strong><br><small>${i.description}</small></span>
                    </button>
                  </form>
                </li>
              `
            )}
          </ul>
        </section>

        <section aria-labelledby="pages">
          <h2 id="pages">Pages</h2>
          <ul class="pages">
            <li><a href="/modules/visio">Visio</a> : la liste des réunions, vue Hub pour MiKL, vue client pour Camille et Bruno ; chaque réunion mène à sa salle <code>/modules/visio/&lt;id&gt;</code> et à ses enregistrements <code>/modules/visio/&lt;id&gt;/recordings</code>.</li>
            <li><a href="/embed">Intégration par une seule balise script</a> : la liste sur une page HTML sans rien d'autre que <code>&lt;script type="module" src="/dist/foxeo-visio.js"&gt;</code>, avec la session Supabase de la page.</li>
          </ul>
        </section>

        <section aria-labelledby="services">
          <h2 id="services">Services</h2>
          <table class="services">
            <tbody>
              ${service("Fonctions", stack.functionsUrl)}
              ${service("Base de données", stack.database)}
              ${service("Stockage", stack.storage)}
              ${service("OpenVidu", stack.openvidu.where, stack.openvidu.emulated)}
              ${service("OpenAI (transcription)", stack.openai.where, stack.openai.emulated)}
            </tbody>
          </table>
        </section>

        ${stack.openvidu.emulated
          ? html`
            <section aria-labelledby="sessions" data-emulator-sessions>
              <h2 id="sessions">Émulateur OpenVidu : sessions</h2>
              <p>Les sessions ouvertes par les réunions en cours, leurs participants et leur enregistrement.</p>
              <div data-sessions>
                <p>…</p>
              </div>
              <p class="qa-result" data-result role="status"></p>
            </section>
          `
          : ""}
        ${stack.openai.emulated
          ? html`
            <section aria-labelledby="openai">
              <h2 id="openai">Émulateur OpenAI : pannes</h2>
              <p>La prochaine requête de transcription reçoit cette réponse ; le worker réessaie ensuite.</p>
              <div class="qa-actions">
                <button type="button" data-fault="429">429 (limite de débit)</button>
                <button type="button" data-fault="500">500 (erreur serveur)</button>
              </div>
              <p class="qa-result" data-fault-result role="status"></p>
            </section>
          `
          : ""}
      </main>
      </body>
    </html>
  `;
}

/**
 * The whole integration with a script tag and markup: no other script on the page. The
 * element reads the page's Supabase session (persisted by the identity switcher, as
 * supabase-js persists a sign-in) through `supabase-url` and `supabase-key`; the "project URL"
 * is this page's own origin, where the demo server answers supabase-js's session refresh.
 */
export function embedPage(stack: StackInfo, origin: string): Html {
  return html`
    <!doctype html>
    <html lang="fr">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Visio · intégration par balise script</title>
        <script type="module" src="/dist/foxeo-visio.js"></script>
        <style>
        body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
      </style>
      </head>
      <body>
        <h1>Visio</h1>
        <p>Cette page n'a qu'une balise <code>&lt;script type="module"&gt;</code>. Identité : la session
        enregistrée par le sélecteur de la <a href="/">démo</a>.</p>
        <foxeo-meeting-list
          functions-url="${stack.functionsUrl}"
          supabase-url="${origin}"
          supabase-key="demo-anon-key"
          room-url="/modules/visio/{id}"
          recordings-url="/modules/visio/{id}/recordings"></foxeo-meeting-list>
      </body>
    </html>
  `;
}

export function notFoundPage(message: string): Html {
  return html`
    <!doctype html>
    <html lang="fr">
      <head>
        <meta charset="utf-8">
        <title>Introuvable</title>
        <link rel="stylesheet" href="/assets/demo.css">
      </head>
      <body class="qa-home">
        <main>
          <h1>Introuvable</h1>
          <p>${message}</p>
          <p><a href="/">Accueil de la démo</a></p>
        </main>
      </body>
    </html>
  `;
}
