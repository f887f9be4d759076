// A small selective forwarding unit on werift for the OpenVidu emulator: browsers publish one
// stream each (audio and/or video) and subscribe to other streams; RTP is forwarded without
// decoding, the way OpenVidu's Kurento pipelines carry it between WebRtcEndpoints.
//
// The relay knows nothing of JSON-RPC or sessions. The signalling layer maps OpenVidu's
// requests onto it (see NOTES.md): publishVideo → publish, prepareReceiveVideoFrom →
// prepareSubscribe, receiveVideoFrom → completeSubscribe (or subscribe when the browser
// offers), onIceCandidate → addRemoteCandidate, unpublishVideo → unpublish,
// unsubscribeFromVideo → unsubscribe.

import { machineAddresses } from "./ice_policy.ts";
import { Publication } from "./publication.ts";
import type { CandidateInit, PeerCallbacks, RelayLogger } from "./relay_peer.ts";
import { RelayError } from "./relay_error.ts";
import {
  DEFAULT_VIDEO_CODECS,
  type MediaKind,
  narrowPublisherOffer,
  type VideoCodecName,
} from "./sdp_codecs.ts";
import { Subscription } from "./subscription.ts";

export type { CandidateInit, PeerCallbacks, PeerState, RelayLogger } from "./relay_peer.ts";
export { RelayError } from "./relay_error.ts";
export type { RelayErrorCode } from "./relay_error.ts";

export interface MediaRelayOptions {
  log: RelayLogger;
  /** Video codecs accepted from publishers, best first. Default VP8, then H.264. */
  videoCodecs?: readonly VideoCodecName[];
}

/**
 * Which peer a browser candidate belongs to. openvidu-browser names it by connection id
 * (`endpointName`): its own id for its publisher, the publisher's id for a subscription;
 * the signalling layer resolves that to a stream id (and the caller as subscriber).
 */
export type EndpointRef = { streamId: string; subscriberId?: string };

export interface RelayStats {
  publications: number;
  subscriptions: number;
  streams: Record<string, {
    kinds: MediaKind[];
    codecs: Record<string, string>;
    state: string;
    packetsReceived: Record<MediaKind, number>;
    keyframeRequests: number;
    keyframesReceived: number;
    subscribers: Record<string, { state: string; packetsSent: Record<MediaKind, number> }>;
  }>;
}

export class MediaRelay {
  #log: RelayLogger;
  #videoCodecs: readonly VideoCodecName[];
  #machine: ReadonlySet<string>;
  #publications = new Map<string, Publication>();
  /** streamId → subscriberId → subscription. */
  #subscriptions = new Map<string, Map<string, Subscription>>();
  #closed = false;

  constructor(options: MediaRelayOptions) {
    this.#log = options.log;
    this.#videoCodecs = options.videoCodecs ?? DEFAULT_VIDEO_CODECS;
    this.#machine = machineAddresses();
  }

  /**
   * Answers a browser's publish offer. Publishing again under a live stream id (OpenVidu's
   * `reconnectStream` for a publisher) replaces the ingest and keeps its subscribers.
   */
  async publish(
    streamId: string,
    sdpOffer: string,
    callbacks: PeerCallbacks = {},
  ): Promise<{ sdpAnswer: string }> {
    this.#assertOpen();
    const narrowed = narrowPublisherOffer(sdpOffer, this.#videoCodecs);
    // Registered before negotiating: the browser trickles candidates as soon as it has sent
    // its offer, and werift keeps those that arrive before the remote description.
    const publication = new Publication(streamId, narrowed.codecs, {
      machine: this.#machine,
      log: this.#log,
      callbacks,
    });
    const previous = this.#publications.get(streamId);
    this.#publications.set(streamId, publication);
    if (previous) {
      // openvidu-browser has already dropped the old PeerConnection before it re-publishes.
      await previous.close();
      await this.#moveSubscriptions(previous, publication);
    }
    try {
      const sdpAnswer = await publication.answer(narrowed.sdp);
      this.#assertOpen();
      this.#log.info("stream published", {
        streamId,
        codecs: Object.fromEntries([...publication.codecs].map(([k, c]) => [k, c.name])),
        republished: previous !== undefined,
      });
      return { sdpAnswer };
    } catch (error) {
      if (this.#publications.get(streamId) === publication) await this.unpublish(streamId);
      else await publication.close();
      throw error;
    }
  }

  /** Server-offer subscription (mediasoup flow): returns the relay's sendonly offer. */
  async prepareSubscribe(
    subscriberId: string,
    streamId: string,
    callbacks: PeerCallbacks = {},
  ): Promise<{ sdpOffer: string }> {
    const subscription = await this.#newSubscription(subscriberId, streamId, callbacks);
    try {
      return { sdpOffer: await subscription.createOffer() };
    } catch (error) {
      await this.#dropSubscription(subscription);
      throw error;
    }
  }

  /** Completes {@link prepareSubscribe} with the browser's answer. */
  async completeSubscribe(subscriberId: string, streamId: string, sdpAnswer: string) {
    this.#assertOpen();
    const subscription = this.#subscriptions.get(streamId)?.get(subscriberId);
    if (!subscription) {
      throw new RelayError(
        "unknown_endpoint",
        `No subscription of ${subscriberId} to ${streamId} is being prepared`,
      );
    }
    await subscription.acceptAnswer(sdpAnswer);
  }

  /** Client-offer subscription (Kurento flow): answers the browser's recvonly offer. */
  async subscribe(
    subscriberId: string,
    streamId: string,
    sdpOffer: string,
    callbacks: PeerCallbacks = {},
  ): Promise<{ sdpAnswer: string }> {
    const subscription = await this.#newSubscription(subscriberId, streamId, callbacks);
    try {
      return { sdpAnswer: await subscription.answerOffer(sdpOffer) };
    } catch (error) {
      await this.#dropSubscription(subscription);
      throw error;
    }
  }

  /** Gives a browser's trickled candidate to the peer it belongs to. */
  async addRemoteCandidate(endpoint: EndpointRef, candidate: CandidateInit): Promise<void> {
    this.#assertOpen();
    const target = endpoint.subscriberId === undefined
      ? this.#publications.get(endpoint.streamId)
      : this.#subscriptions.get(endpoint.streamId)?.get(endpoint.subscriberId);
    if (!target) {
      const what = endpoint.subscriberId === undefined
        ? `stream ${endpoint.streamId}`
        : `subscription of ${endpoint.subscriberId} to ${endpoint.streamId}`;
      throw new RelayError("unknown_endpoint", `No ${what} to add an ICE candidate to`);
    }
    await target.addRemoteCandidate(candidate);
  }

  /**
   * Stops a stream and every subscription to it (their browsers see the tracks end).
   * Returns the ids of the subscribers that were cut, for `participantUnpublished`.
   */
  async unpublish(streamId: string): Promise<string[]> {
    const publication = this.#publications.get(streamId);
    const subscribers = this.#subscriptions.get(streamId) ?? new Map();
    this.#publications.delete(streamId);
    this.#subscriptions.delete(streamId);
    await Promise.all([publication?.close(), ...[...subscribers.values()].map((s) => s.close())]);
    if (publication) this.#log.info("stream unpublished", { streamId });
    return [...subscribers.keys()];
  }

  /** Ends one subscription; unknown ones are ignored (leaving twice is not an error). */
  async unsubscribe(subscriberId: string, streamId: string): Promise<void> {
    const subscription = this.#subscriptions.get(streamId)?.get(subscriberId);
    if (subscription) await this.#dropSubscription(subscription);
  }

  /** Ends everything a participant publishes and subscribes to (it left the session). */
  async leave(participantStreamIds: readonly string[], subscriberId: string): Promise<void> {
    const subscribed = [...this.#subscriptions.entries()]
      .filter(([, subs]) => subs.has(subscriberId)).map(([streamId]) => streamId);
    await Promise.all([
      ...participantStreamIds.map((id) => this.unpublish(id)),
      ...subscribed.map((id) => this.unsubscribe(subscriberId, id)),
    ]);
  }

  stats(): RelayStats {
    const streams: RelayStats["streams"] = {};
    let subscriptions = 0;
    for (const [streamId, publication] of this.#publications) {
      const subscribers: RelayStats["streams"][string]["subscribers"] = {};
      for (const [id, s] of this.#subscriptions.get(streamId) ?? []) {
        subscribers[id] = { state: s.connectionState, packetsSent: { ...s.packetsSent } };
        subscriptions++;
      }
      streams[streamId] = {
        kinds: publication.kinds,
        codecs: Object.fromEntries([...publication.codecs].map(([k, c]) => [k, c.name])),
        state: publication.connectionState,
        packetsReceived: { ...publication.packetsReceived },
        keyframeRequests: publication.keyframeRequests,
        keyframesReceived: publication.keyframesReceived,
        subscribers,
      };
    }
    return { publications: this.#publications.size, subscriptions, streams };
  }

  /** Closes every PeerConnection (sockets, DTLS, timers). Later calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const all = [
      ...this.#publications.values(),
      ...[...this.#subscriptions.values()].flatMap((subs) => [...subs.values()]),
    ];
    this.#publications.clear();
    this.#subscriptions.clear();
    await Promise.all(all.map((peer) => peer.close()));
  }

  async #newSubscription(
    subscriberId: string,
    streamId: string,
    callbacks: PeerCallbacks,
  ): Promise<Subscription> {
    this.#assertOpen();
    const publication = this.#publications.get(streamId);
    if (!publication) {
      throw new RelayError("unknown_stream", `Stream ${streamId} is not published`);
    }
    const subs = this.#subscriptions.get(streamId) ?? new Map<string, Subscription>();
    this.#subscriptions.set(streamId, subs);
    // Subscribing again replaces the old leg: openvidu-browser does this to reconnect
    // (`reconnectStream`), after it has already dropped its own PeerConnection.
    const previous = subs.get(subscriberId);
    const subscription = new Subscription(subscriberId, publication, {
      machine: this.#machine,
      log: this.#log,
      callbacks,
    });
    subs.set(subscriberId, subscription);
    if (previous) await previous.close();
    return subscription;
  }

  async #dropSubscription(subscription: Subscription): Promise<void> {
    const streamId = subscription.publication.streamId;
    const subs = this.#subscriptions.get(streamId);
    if (subs?.get(subscription.subscriberId) === subscription) {
      subs.delete(subscription.subscriberId);
      if (subs.size === 0) this.#subscriptions.delete(streamId);
    }
    await subscription.close();
  }

  /**
   * After a publisher reconnects, its subscribers keep their legs (no renegotiation): the
   * new ingest is spliced into them when the codecs are the same.
   */
  async #moveSubscriptions(from: Publication, to: Publication): Promise<void> {
    const subs = this.#subscriptions.get(to.streamId);
    if (!subs) return;
    for (const subscription of [...subs.values()]) {
      if (subscription.publication !== from) continue;
      if (!subscription.retarget(to)) {
        // Another codec cannot be spliced into a negotiated leg: the subscriber must
        // subscribe again, as it would after a Kurento pipeline was rebuilt.
        await this.#dropSubscription(subscription);
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new RelayError("closed", "The media relay is closed");
  }
}
