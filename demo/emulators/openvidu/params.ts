// Request bodies of the OpenVidu REST API, read the way openvidu-java-client's fromJson
// methods read them (reference/openvidu2.md §1.3, §1.6, §1.7, §1.8): absent or null fields take
// their default, a wrong JSON type is 400 (strings are never coerced), and the recording
// checks that the server raises as IllegalStateException are 422.
import {
  type ConnectionProperties,
  DEFAULT_RECORDING_PROPERTIES,
  DEFAULT_SESSION_PROPERTIES,
  OpenViduError,
  type OutputMode,
  type RecordingProperties,
  type Role,
  type SessionProperties,
} from "./model.ts";

type Params = Record<string, unknown>;

const CUSTOM_SESSION_ID = /^[a-zA-Z0-9_-]+$/;
const RECORDING_NAME = /^[a-zA-Z0-9_\-~]+$/;
const OUTPUT_MODES = ["COMPOSED", "INDIVIDUAL", "COMPOSED_QUICK_START"] as const;
const LAYOUTS = [
  "BEST_FIT",
  "CUSTOM",
  "PICTURE_IN_PICTURE",
  "VERTICAL_PRESENTATION",
  "HORIZONTAL_PRESENTATION",
] as const;
const MEDIA_MODES = ["ROUTED", "RELAYED"] as const;
const RECORDING_MODES = ["MANUAL", "ALWAYS"] as const;
const CODECS = ["MEDIA_SERVER_PREFERRED", "NONE", "VP8", "VP9", "H264"] as const;
const ROLES = ["SUBSCRIBER", "PUBLISHER", "MODERATOR"] as const;

/** A property the server rejects: `state` ones are its IllegalStateException (422). */
export class PropertyError extends Error {
  constructor(message: string, readonly kind: "type" | "state" = "type") {
    super(message);
  }
}

const present = (params: Params, key: string) => params[key] !== undefined && params[key] !== null;

function str(params: Params, key: string): string | undefined {
  if (!present(params, key)) return undefined;
  const v = params[key];
  if (typeof v !== "string") throw new PropertyError(`Type error in parameter '${key}'`);
  return v;
}

function bool(params: Params, key: string): boolean | undefined {
  if (!present(params, key)) return undefined;
  const v = params[key];
  if (typeof v !== "boolean") throw new PropertyError(`Type error in parameter '${key}'`);
  return v;
}

function int(params: Params, key: string): number | undefined {
  if (!present(params, key)) return undefined;
  const v = params[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new PropertyError(`Type error in parameter '${key}'`);
  }
  return Math.trunc(v);
}

function oneOf<T extends string>(params: Params, key: string, values: readonly T[]): T | undefined {
  const v = str(params, key);
  if (v === undefined) return undefined;
  if (!values.includes(v as T)) {
    throw new PropertyError(`Parameter '${key}' ${v} is not valid. Valid values: ${values}`);
  }
  return v as T;
}

/** A JSON object body; `allowEmpty` lets an empty body mean `{}` (POST /sessions). */
export function objectBody(text: string, allowEmpty: boolean): Params | null {
  if (text.trim() === "") {
    if (allowEmpty) return {};
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new OpenViduError(400, "Request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OpenViduError(400, "Request body must be a JSON object");
  }
  return value as Params;
}

export function sessionProperties(params: Params): SessionProperties {
  try {
    const customSessionId = str(params, "customSessionId") ?? "";
    if (customSessionId !== "" && !CUSTOM_SESSION_ID.test(customSessionId)) {
      throw new PropertyError(
        `Parameter 'customSessionId' is wrong. Must be an alphanumeric string [a-zA-Z0-9_-]`,
      );
    }
    let defaultRecordingProperties = DEFAULT_RECORDING_PROPERTIES;
    if (present(params, "defaultRecordingProperties")) {
      const p = params.defaultRecordingProperties;
      if (typeof p !== "object" || Array.isArray(p)) {
        throw new PropertyError("Type error in parameter 'defaultRecordingProperties'");
      }
      try {
        defaultRecordingProperties = recordingProperties(
          p as Params,
          DEFAULT_RECORDING_PROPERTIES,
        );
      } catch (err) {
        if (!(err instanceof PropertyError)) throw err;
        throw new PropertyError(
          `Some parameter is not valid. Parameter 'defaultRecordingProperties' is not valid: ${err.message}`,
        );
      }
    }
    return {
      customSessionId,
      mediaMode: oneOf(params, "mediaMode", MEDIA_MODES) ?? DEFAULT_SESSION_PROPERTIES.mediaMode,
      recordingMode: oneOf(params, "recordingMode", RECORDING_MODES) ??
        DEFAULT_SESSION_PROPERTIES.recordingMode,
      defaultRecordingProperties,
      forcedVideoCodec: oneOf(params, "forcedVideoCodec", CODECS) ??
        DEFAULT_SESSION_PROPERTIES.forcedVideoCodec,
      allowTranscoding: bool(params, "allowTranscoding") ??
        DEFAULT_SESSION_PROPERTIES.allowTranscoding,
    };
  } catch (err) {
    // Every session property error is a 400, the state-kind ones included (§1.3).
    if (err instanceof PropertyError) throw new OpenViduError(400, err.message);
    throw err;
  }
}

export function connectionProperties(params: Params): ConnectionProperties {
  try {
    const type = oneOf(params, "type", ["WEBRTC", "IPCAM"] as const) ?? "WEBRTC";
    if (type === "IPCAM") {
      throw new PropertyError("IPCAM connections are not supported by the OpenVidu emulator");
    }
    let kurentoOptions: Record<string, unknown> | null = null;
    if (present(params, "kurentoOptions")) {
      const k = params.kurentoOptions;
      if (typeof k !== "object" || Array.isArray(k)) {
        throw new PropertyError("Type error in parameter 'kurentoOptions'");
      }
      kurentoOptions = k as Record<string, unknown>;
    }
    let customIceServers: Record<string, unknown>[] = [];
    if (present(params, "customIceServers")) {
      const list = params.customIceServers;
      if (
        !Array.isArray(list) ||
        !list.every((s) => typeof s === "object" && s && typeof (s as Params).url === "string")
      ) {
        throw new PropertyError("Type error in parameter 'customIceServers'");
      }
      customIceServers = list as Record<string, unknown>[];
    }
    return {
      data: str(params, "data") ?? "",
      role: (oneOf(params, "role", ROLES) ?? "PUBLISHER") as Role,
      record: bool(params, "record") ?? true,
      kurentoOptions,
      customIceServers,
    };
  } catch (err) {
    if (err instanceof PropertyError) throw new OpenViduError(400, err.message);
    throw err;
  }
}

/**
 * Recording properties over `defaults` (the session's defaultRecordingProperties; `session`
 * is read by the caller). Throws PropertyError; the caller decides 400 or 422.
 */
export function recordingProperties(
  params: Params,
  defaults: RecordingProperties,
): RecordingProperties {
  const name = str(params, "name") ?? "";
  if (name !== "" && !RECORDING_NAME.test(name)) {
    throw new PropertyError(
      `Parameter 'name' is wrong. Must be an alphanumeric string [a-zA-Z0-9_-~]`,
    );
  }
  let outputMode: OutputMode = oneOf(params, "outputMode", OUTPUT_MODES) ?? defaults.outputMode;
  // COMPOSED and COMPOSED_QUICK_START follow whichever one the session's default uses (§1.8).
  if (outputMode !== "INDIVIDUAL" && defaults.outputMode !== "INDIVIDUAL") {
    outputMode = defaults.outputMode;
  }
  const hasAudio = bool(params, "hasAudio") ?? defaults.hasAudio;
  const hasVideo = bool(params, "hasVideo") ?? defaults.hasVideo;
  const recordingLayout = oneOf(params, "recordingLayout", LAYOUTS) ?? defaults.recordingLayout;
  const customLayout = str(params, "customLayout") ?? defaults.customLayout;
  const resolution = str(params, "resolution") ?? defaults.resolution;
  const frameRate = int(params, "frameRate") ?? defaults.frameRate;
  const shmSize = int(params, "shmSize") ?? defaults.shmSize;
  const ignoreFailedStreams = bool(params, "ignoreFailedStreams") ?? defaults.ignoreFailedStreams;

  if (!hasAudio && !hasVideo) {
    throw new PropertyError(
      'Cannot start a recording with both "hasAudio" and "hasVideo" set to false',
      "state",
    );
  }
  if (outputMode !== "INDIVIDUAL" && hasVideo) {
    const m = /^(\d+)x(\d+)$/.exec(resolution);
    const ok = m && [m[1], m[2]].every((d) => Number(d) >= 100 && Number(d) <= 1999);
    if (!ok) {
      throw new PropertyError(
        'Wrong "resolution" parameter. Acceptable values from 100 to 1999 for both width and height',
        "state",
      );
    }
    if (frameRate < 1 || frameRate > 120) {
      throw new PropertyError(
        'Wrong "frameRate" parameter. Acceptable values are [1,120]',
        "state",
      );
    }
    if (shmSize < 134_217_728) {
      throw new PropertyError(
        'Wrong "shmSize" parameter. Must be 134217728 (128 MB) minimum',
        "state",
      );
    }
  }
  return {
    name,
    hasAudio,
    hasVideo,
    outputMode,
    recordingLayout,
    customLayout,
    resolution,
    frameRate,
    shmSize,
    ignoreFailedStreams,
  };
}
