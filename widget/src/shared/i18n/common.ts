import type { WidgetErrorCode } from "../errors.js";
import type { Catalog } from "./locale.js";

const fr = {
  errors: {
    network: "Le service Visio est injoignable. Vérifiez votre connexion.",
    timeout: "Le service Visio ne répond pas. Réessayez dans un instant.",
    unauthorized: "Votre session n’est pas valide ou a expiré. Reconnectez-vous.",
    forbidden: "Vous n’avez pas le droit de faire cela.",
    "not-found": "Introuvable : elle n’existe pas ou vous n’y avez pas accès.",
    "invalid-state": "Ce n’est plus possible dans l’état actuel de la réunion.",
    "invalid-request": "Certaines informations sont invalides.",
    upstream: "Le serveur de visioconférence ne répond pas correctement. Réessayez dans un instant.",
    server: "Le service Visio a rencontré une erreur.",
    config: "Le composant est mal configuré.",
    "media-denied": "L’accès à la caméra ou au micro a été refusé.",
    "media-unavailable": "Aucune caméra ni aucun micro utilisable.",
    "screen-share-failed": "Le partage d’écran n’a pas pu démarrer.",
    "connection-failed": "La connexion à la réunion n’a pas pu s’établir.",
    "connection-lost": "La connexion à la réunion a été perdue.",
    "playback-failed": "La vidéo ne peut pas être lue.",
  } satisfies Record<WidgetErrorCode, string>,
  retry: "Réessayer",
  reference: (id: string) => `Référence : ${id}`,
  status: {
    scheduled: "Planifiée",
    in_progress: "En cours",
    completed: "Terminée",
    cancelled: "Annulée",
  },
  loading: "Chargement…",
};

export type CommonMessages = typeof fr;

export const common: Catalog<CommonMessages> = {
  fr,
  en: {
    errors: {
      network: "The Visio service cannot be reached. Check your connection.",
      timeout: "The Visio service is not answering. Try again in a moment.",
      unauthorized: "Your session is not valid or has expired. Sign in again.",
      forbidden: "You are not allowed to do this.",
      "not-found": "Not found: it does not exist or you have no access to it.",
      "invalid-state": "This is no longer possible in the meeting's current state.",
      "invalid-request": "Some details are not valid.",
      upstream: "The video conferencing server is not answering properly. Try again in a moment.",
      server: "The Visio service ran into an error.",
      config: "The component is not configured properly.",
      "media-denied": "Access to the camera or microphone was refused.",
      "media-unavailable": "No usable camera or microphone.",
      "screen-share-failed": "Screen sharing could not start.",
      "connection-failed": "The connection to the meeting could not be opened.",
      "connection-lost": "The connection to the meeting was lost.",
      "playback-failed": "The video cannot be played.",
    },
    retry: "Try again",
    reference: (id) => `Reference: ${id}`,
    status: {
      scheduled: "Scheduled",
      in_progress: "In progress",
      completed: "Completed",
      cancelled: "Cancelled",
    },
    loading: "Loading…",
  },
};
