// The package's programmatic API. The CLI (`evalgate`) covers most uses;
// these are the pieces other tools embed: the native-protocol client, the
// scorers, the model contract and factory, and the server.

export { StreamClient } from './client/stream-client.js';
export type { StreamClientOptions, StreamFinal, StreamLatency, StreamSampleRef, StreamServerMessage, StreamSummary } from './client/stream-client.js';

export { scoreTask } from '../scorers/score-task.js';
export type { ScoreItem, ScoreTaskOptions, ScoreTaskResult } from '../scorers/score-task.js';
export { getNormalizer, NORMALIZER_NAMES } from '../scorers/normalizers/normalizer-registry.js';
export { frameIndices } from '../scorers/frames/frame-indices.js';

export type { ModelV1, ModelRequest, ModelResult, ModelStreamEvent, ModelCapabilities, ModelInputPart } from './models/spec/model-v1.js';
export type { RealtimeModelV1, RealtimeConnection, RealtimeUpstreamEvent } from './models/spec/realtime-model-v1.js';
export { ModelCallError } from './models/spec/model-call-error.js';
export { createModel, createRealtimeModel } from './models/create-model.js';

export { loadConfig } from './config/load-config.js';
export type { EvalgateConfig, ModelConfig } from './config/config-schema.js';
export { openStore } from './store/open-store.js';
export type { Store } from './store/open-store.js';
export { createApp } from './server/create-app.js';
export { serveGateway } from './server/serve-gateway.js';
export { liveGateway, shutdownLiveSessions } from './live/live-gateway.js';
// The live routes liveGateway registers (`liveGateway(app, { routes: [realtimeRoute, streamRoute] })`).
export { realtimeRoute } from './server/routes/realtime-route.js';
export { streamRoute } from './server/routes/stream-route.js';
export { registerLiveModelProvider } from './live/live-model.js';
export { EvalgateError, errorRegistry } from './errors.js';
export type { ErrorCode } from './errors.js';
