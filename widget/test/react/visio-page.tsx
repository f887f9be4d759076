// Type-checked by `npm test` (lint suite, `tsc`): the elements used from a React 19 / Next.js
// client component, as the README shows. Lines marked @ts-expect-error must stay errors.
import type {} from "../../src/react.js";
import type { FoxeoJoinEvent } from "../../src/index.js";

const clients = [{ id: "11111111-1111-4111-8111-111111111111", name: "Atelier Dupont" }];

export function VisioHub({ token, go }: { token: string; go: (path: string) => void }) {
  return (
    <>
      <foxeo-meeting-list
        functions-url="https://ref.supabase.co/functions/v1"
        accessToken={token}
        clients={clients}
        room-url="/modules/visio/{id}"
        poll-interval={15}
        onfoxeo-join={(e: FoxeoJoinEvent) => {
          e.preventDefault();
          go(`/modules/visio/${e.detail.meetingId}`);
        }}
        onfoxeo-error={(e) => console.error(e.detail.code, e.detail.message)}
      />
      <foxeo-meeting-room
        functionsUrl="https://ref.supabase.co/functions/v1"
        meeting-id="5eed0000-0000-4000-8000-0000000000a2"
        getAccessToken={async () => token}
        onfoxeo-meeting-ended={(e) => e.detail.byMe}
        onfoxeo-left={(e) => e.detail.reason === "connection-lost"}
        className="room"
        style={{ height: "100%" }}
      />
      <foxeo-recording-player
        supabase-url="https://ref.supabase.co"
        supabase-key="anon"
        meeting-id="5eed0000-0000-4000-8000-0000000000a1"
        lang="en"
      />
      {/* @ts-expect-error clients is a list of {id, name} */}
      <foxeo-meeting-list clients="Atelier Dupont" />
      {/* @ts-expect-error the join event carries a meetingId, nothing else */}
      <foxeo-meeting-list onfoxeo-join={(e) => e.detail.title} />
      {/* @ts-expect-error connectTimeout is a number of seconds */}
      <foxeo-meeting-room connectTimeout="soon" />
    </>
  );
}
