/**
 * The one error registry. Every error that leaves the process (HTTP response,
 * WebSocket close or `error` event, CLI exit) carries one of these codes, so
 * that clients can branch on a stable string rather than on message text.
 * `tests/errors-registry.test.ts` keeps this table and docs/errors.md in step.
 */

/** One registry entry. */
export interface ErrorSpec {
  /** HTTP status used when the error ends a REST request. */
  readonly httpStatus: number;
  /** WebSocket close code used when the error ends a socket (RFC 6455 §7.4). */
  readonly wsCloseCode: number;
  /** Message template; `{name}` placeholders are filled from the error's params. */
  readonly message: string;
}

export const errorRegistry = {
  EVALGATE_ERR_BAD_INPUT: { httpStatus: 400, wsCloseCode: 1008, message: 'Invalid input: {detail}' },
  EVALGATE_ERR_CONFIG_INVALID: {
    httpStatus: 500,
    wsCloseCode: 1011,
    message: 'Invalid configuration in {source}: {detail}',
  },
  EVALGATE_ERR_CONFIG_NOT_FOUND: { httpStatus: 500, wsCloseCode: 1011, message: 'Configuration file not found: {path}' },
  EVALGATE_ERR_FILE_NOT_FOUND: {
    httpStatus: 404,
    wsCloseCode: 1008,
    message: 'File not found: {path}. Check the path (a relative path is read from {cwd}).',
  },
  EVALGATE_ERR_GATEWAY_UNREACHABLE: {
    httpStatus: 503,
    wsCloseCode: 1011,
    message: 'Cannot reach the gateway at {host}:{port} ({detail}): is `evalgate serve` running? Check --url.',
  },
  EVALGATE_ERR_API_KEY_REJECTED: {
    httpStatus: 401,
    wsCloseCode: 1008,
    message: 'The gateway at {url} refused the connection: {detail}. Set EVALGATE_API_KEY or --api-key (create a key with `evalgate keys create`).',
  },
  EVALGATE_ERR_PORT_IN_USE: {
    httpStatus: 500,
    wsCloseCode: 1011,
    message: 'Port {port} on {host} is already in use: stop what listens there, or pick another port with --port (0 picks a free one).',
  },
  EVALGATE_ERR_DB_UNAVAILABLE: { httpStatus: 503, wsCloseCode: 1011, message: 'Database unavailable: {detail}' },
  EVALGATE_ERR_DB_LOCKED: {
    httpStatus: 503,
    wsCloseCode: 1011,
    message: 'The embedded database {dir} is owned by {owner}: {detail}',
  },
  EVALGATE_ERR_MIGRATION_FAILED: {
    httpStatus: 500,
    wsCloseCode: 1011,
    message: 'Migration {migration} failed: {detail}. Fix the cause, then run `evalgate db migrate` again.',
  },
  EVALGATE_ERR_NOT_FOUND: { httpStatus: 404, wsCloseCode: 1008, message: '{what} not found: {id}' },
  EVALGATE_ERR_CONFLICT: { httpStatus: 409, wsCloseCode: 1008, message: 'Conflict: {detail}' },
  EVALGATE_ERR_ARENA_NOT_VOTABLE: { httpStatus: 409, wsCloseCode: 1008, message: 'Battle {id} cannot be voted on: {detail}' },
  EVALGATE_ERR_UNAUTHORIZED: {
    httpStatus: 401,
    wsCloseCode: 1008,
    message: 'Missing or invalid API key. Send `Authorization: Bearer <key>` (create one with `evalgate keys create`).',
  },
  EVALGATE_ERR_MEDIA_LINK_INVALID: {
    httpStatus: 401,
    wsCloseCode: 1008,
    message:
      'This signed media link is {problem}. Ask for fresh links (GET /v1/runs/:id/samples hands them out, valid for 5 minutes) or send `Authorization: Bearer <key>`.',
  },
  EVALGATE_ERR_FORBIDDEN: { httpStatus: 403, wsCloseCode: 1008, message: 'This key lacks the {scope} scope.' },
  EVALGATE_ERR_PAYLOAD_TOO_LARGE: {
    httpStatus: 413,
    wsCloseCode: 1009,
    message: 'Request body too large: {detail}',
  },
  EVALGATE_ERR_INSECURE_BIND: {
    httpStatus: 500,
    wsCloseCode: 1011,
    message:
      'Refusing to serve without authentication on {host}: anyone who can reach it could read references. Use --host 127.0.0.1, drop --no-auth, or pass --allow-unauthenticated-network if you really mean it.',
  },
  EVALGATE_ERR_RATE_LIMITED: { httpStatus: 429, wsCloseCode: 1013, message: 'Too many requests: {detail}' },
  EVALGATE_ERR_COMPUTE_TIMEOUT: {
    httpStatus: 503,
    wsCloseCode: 1011,
    message: '{what} took longer than {timeoutMs} ms and was stopped; ask for fewer runs or iterations',
  },
  EVALGATE_ERR_MANIFEST_INVALID: { httpStatus: 400, wsCloseCode: 1008, message: '{file}:{line}: {field}: {detail}' },
  EVALGATE_ERR_PATH_ESCAPE: {
    httpStatus: 400,
    wsCloseCode: 1008,
    message: 'Media path {path} escapes the dataset root {root}; use a path inside it.',
  },
  EVALGATE_ERR_MEDIA_NOT_FOUND: { httpStatus: 404, wsCloseCode: 1008, message: 'Media file not readable: {path}' },
  EVALGATE_ERR_MEDIA_DECODE_FAILED: {
    httpStatus: 422,
    wsCloseCode: 1007,
    message: 'Could not decode {path}: {detail}',
  },
  EVALGATE_ERR_FFMPEG_NOT_FOUND: {
    httpStatus: 500,
    wsCloseCode: 1011,
    message: 'No usable ffmpeg/ffprobe found ({detail}). Install ffmpeg, set FFMPEG_PATH/FFPROBE_PATH, or reinstall with npm ci.',
  },
  EVALGATE_ERR_MODEL_FILE_INVALID: {
    httpStatus: 500,
    wsCloseCode: 1011,
    message: 'Model file {path} is missing or invalid: {detail}',
  },
  EVALGATE_ERR_MODEL_NOT_CONFIGURED: {
    httpStatus: 404,
    wsCloseCode: 1008,
    message:
      'Model {id} is neither declared in the configuration nor a bundled preset (see `evalgate models list`; `evalgate doctor` shows which configuration is in use).',
  },
  EVALGATE_ERR_MODEL_UNAVAILABLE: {
    httpStatus: 503,
    wsCloseCode: 1011,
    message: 'Model {id} cannot run on this machine: {detail}',
  },
  EVALGATE_ERR_DEVICE_UNAVAILABLE: {
    httpStatus: 500,
    wsCloseCode: 1011,
    message: 'ONNX Runtime cannot run on {device} here: {detail}. See docs/experts.md ("Devices and threads"), or use --device cpu.',
  },
  EVALGATE_ERR_MODEL_CALL_FAILED: {
    httpStatus: 502,
    wsCloseCode: 1011,
    message: 'Model {model} call failed: {detail}',
  },
  EVALGATE_ERR_MODEL_TIMEOUT: { httpStatus: 504, wsCloseCode: 1011, message: 'Model {model} timed out after {timeoutMs} ms' },
  EVALGATE_ERR_MISSING_SECRET: {
    httpStatus: 500,
    wsCloseCode: 1011,
    message: 'Environment variable {env} (apiKeyEnv of model {model}) is not set.',
  },
  EVALGATE_ERR_DISTRIBUTED_NEEDS_POSTGRES: {
    httpStatus: 400,
    wsCloseCode: 1008,
    message: 'Distributed mode needs a shared PostgreSQL: set DATABASE_URL (the embedded PGlite database is single-process).',
  },
  EVALGATE_ERR_WS_MALFORMED_JSON: { httpStatus: 400, wsCloseCode: 1007, message: 'Malformed JSON: {detail}' },
  EVALGATE_ERR_WS_UNKNOWN_EVENT: { httpStatus: 400, wsCloseCode: 1008, message: 'Unknown event type: {type}' },
  EVALGATE_ERR_WS_BAD_AUDIO: { httpStatus: 400, wsCloseCode: 1007, message: 'Bad audio: {detail}' },
  EVALGATE_ERR_WS_BAD_IMAGE: { httpStatus: 400, wsCloseCode: 1007, message: 'Bad image: {detail}' },
  EVALGATE_ERR_WS_UNSUPPORTED_DATA: {
    httpStatus: 400,
    wsCloseCode: 1003,
    message: 'Unsupported frame: {detail}',
  },
  EVALGATE_ERR_WS_FRAME_TOO_LARGE: {
    httpStatus: 413,
    wsCloseCode: 1009,
    message: 'Frame of {bytes} bytes exceeds the limit of {limit} bytes',
  },
  EVALGATE_ERR_WS_OUT_OF_ORDER: { httpStatus: 409, wsCloseCode: 1008, message: 'Event out of order: {detail}' },
  EVALGATE_ERR_BUFFER_FULL: { httpStatus: 429, wsCloseCode: 1013, message: 'Buffer full: {detail}' },
  EVALGATE_ERR_SESSION_LIMIT: { httpStatus: 429, wsCloseCode: 1013, message: 'Session limit reached: {detail}' },
  EVALGATE_ERR_SHUTTING_DOWN: { httpStatus: 503, wsCloseCode: 1001, message: 'Server is shutting down' },
  EVALGATE_ERR_INTERNAL: { httpStatus: 500, wsCloseCode: 1011, message: 'Internal error: {detail}' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorRegistry;

/** Values that fill a message template. */
export type ErrorParams = Readonly<Record<string, string | number>>;

function render(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

/** An error with a stable code from the registry. */
export class EvalgateError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly wsCloseCode: number;
  readonly params: ErrorParams;

  constructor(code: ErrorCode, params: ErrorParams = {}, options?: { cause?: unknown }) {
    const spec: ErrorSpec = errorRegistry[code];
    super(render(spec.message, params), options);
    this.name = 'EvalgateError';
    this.code = code;
    this.httpStatus = spec.httpStatus;
    this.wsCloseCode = spec.wsCloseCode;
    this.params = params;
  }

  /** The JSON shape used in REST error bodies and `--json` CLI errors. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isEvalgateError(err: unknown): err is EvalgateError {
  return err instanceof EvalgateError;
}

/**
 * An error a peer sent on the wire (`{code, message}`), rebuilt with its own
 * code when the registry knows it, so a client relays the gateway's code and
 * message instead of wrapping them in EVALGATE_ERR_INTERNAL.
 */
export function errorFromWire(code: string, message: string): Error {
  if (!Object.hasOwn(errorRegistry, code)) return new Error(`${code}: ${message}`);
  // The message keeps its `CODE: ` prefix, as before, for callers that match on the text; the CLI prints it without.
  const err = new EvalgateError(code as ErrorCode);
  err.message = `${code}: ${message}`;
  return err;
}
