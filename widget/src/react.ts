/**
 * JSX typings for React 19 (and Next.js): `<foxeo-meeting-list functionsUrl=… onfoxeo-join={…}>`
 * type-checks. React 19 sets a prop as a property when the element has it (so `clients`,
 * `accessToken` and `getAccessToken` go in as values) and adds `on<event>` props as listeners.
 * Bring them in once, e.g. in a `.d.ts` of the app: `import type {} from "@foxeo/visio/react";`
 * (types only: there is nothing to run).
 */
import type { DetailedHTMLProps, HTMLAttributes } from "react";
import type { MeetingListElement } from "./meeting-list/meeting-list.js";
import type { MeetingRoomElement } from "./meeting-room/meeting-room.js";
import type { RecordingPlayerElement } from "./recording-player/recording-player.js";
import type {
  FoxeoErrorEvent,
  FoxeoJoinedEvent,
  FoxeoJoinEvent,
  FoxeoLeftEvent,
  FoxeoMeetingChangedEvent,
  FoxeoMeetingEndedEvent,
  FoxeoOpenRecordingsEvent,
} from "./shared/events.js";

type Html<E> = Omit<DetailedHTMLProps<HTMLAttributes<E>, E>, "onError">;
type Num = number | `${number}`;

/** What all three take: the service and the token source. */
interface VisioProps {
  functionsUrl?: string;
  "functions-url"?: string;
  accessToken?: string | null;
  getAccessToken?: MeetingListElement["getAccessToken"];
  supabase?: MeetingListElement["supabase"];
  supabaseUrl?: string;
  "supabase-url"?: string;
  supabaseKey?: string;
  "supabase-key"?: string;
  "onfoxeo-error"?: (event: FoxeoErrorEvent) => void;
}

export interface MeetingListProps extends Html<MeetingListElement>, VisioProps {
  clients?: MeetingListElement["clients"];
  status?: string;
  clientId?: string;
  "client-id"?: string;
  roomUrl?: string;
  "room-url"?: string;
  recordingsUrl?: string;
  "recordings-url"?: string;
  pageSize?: number;
  "page-size"?: Num;
  pollInterval?: number;
  "poll-interval"?: Num;
  "onfoxeo-join"?: (event: FoxeoJoinEvent) => void;
  "onfoxeo-open-recordings"?: (event: FoxeoOpenRecordingsEvent) => void;
  "onfoxeo-meeting-changed"?: (event: FoxeoMeetingChangedEvent) => void;
}

export interface MeetingRoomProps extends Html<MeetingRoomElement>, VisioProps {
  meetingId?: string;
  "meeting-id"?: string;
  displayName?: string;
  "display-name"?: string;
  connectTimeout?: number;
  "connect-timeout"?: Num;
  pollInterval?: number;
  "poll-interval"?: Num;
  connectionFactory?: MeetingRoomElement["connectionFactory"];
  "onfoxeo-joined"?: (event: FoxeoJoinedEvent) => void;
  "onfoxeo-left"?: (event: FoxeoLeftEvent) => void;
  "onfoxeo-meeting-ended"?: (event: FoxeoMeetingEndedEvent) => void;
}

export interface RecordingPlayerProps extends Html<RecordingPlayerElement>, VisioProps {
  meetingId?: string;
  "meeting-id"?: string;
  recordingId?: string;
  "recording-id"?: string;
  pollInterval?: number;
  "poll-interval"?: Num;
}

declare module "react" {
  namespace JSX {
    interface IntrinsicElements {
      "foxeo-meeting-list": MeetingListProps;
      "foxeo-meeting-room": MeetingRoomProps;
      "foxeo-recording-player": RecordingPlayerProps;
    }
  }
}
