import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isContainmentProblem, openContainedMedia } from '../../../datasets/contain-media-path.js';
import { FIVE_LEVEL_VOTES, type FiveLevelVote } from '../../../scorers/arena/arena-vote.js';
import { parseBattleBodyInWorker, workerParseFromBytes } from '../../arena/battle-body-parser.js';
import type { BattleEvent, BattleSide } from '../../arena/battle-events.js';
import { BattleEvents } from '../../arena/battle-events.js';
import { publicVoterKey } from '../../arena/battle-keyless.js';
import { createBattleLinks, type BattleLinks } from '../../arena/battle-links.js';
import { arenaMediaRoot, BattleMediaStore, type BattleMedia } from '../../arena/battle-media-store.js';
import { BattleRateLimiter } from '../../arena/battle-rate-limiter.js';
import { BattleService, type CreateBattleInput } from '../../arena/battle-service.js';
import { battleView, mediaViews, type BattleView } from '../../arena/battle-view.js';
import { castBattleVote } from '../../arena/battle-vote.js';
import { EvalgateError } from '../../errors.js';
import { findArenaBattle, findBattleVote, listArenaAnswers, type StoredArenaAnswer, type StoredArenaBattle } from '../../store/arena-battle-repo.js';
import { findDataset } from '../../store/dataset-repo.js';
import { scopeAllows } from '../auth/scopes.js';

/** Options of the arena routes (tests inject model factories, clocks and secrets). */
export interface ArenaBattleRoutesOptions {
  /** Overrides of the battle service (model factory, retry policy, timeouts). */
  readonly service?: Partial<Pick<ConstructorParameters<typeof BattleService>[0], 'createModel' | 'retry' | 'timeoutMs' | 'dbOutageMaxMs' | 'randomIndex'>>;
  /** Token and media-link signer (default: a random secret). */
  readonly links?: BattleLinks;
  /** Interval of SSE keep-alive comments, ms (default 15 000). */
  readonly keepAliveMs?: number;
  /** Interval at which a stream polls the database for a battle answered by another process, ms (default 1000). */
  readonly pollMs?: number;
}

/** Who is calling, as the arena sees it. */
interface ArenaCaller {
  /** `creator_key`/`voter_key` of this caller. */
  readonly identity: string;
  /** Keyless (arena.public): battles are reached with their token. */
  readonly keyless: boolean;
  /** Admin keys (and everyone with auth off) may read any battle. */
  readonly isAdmin: boolean;
  /** May create battles and vote. */
  readonly mayVote: boolean;
}

const tokenHeader = 'x-arena-token';
const maxSseBufferBytes = 1024 * 1024;
/** Battle media up to this size is read whole before it is sent (uploads are at most arena.maxUploadBytes). */
const maxBufferedMediaBytes = 64 * 1024 * 1024;
/** All battle media held in memory at once by those reads, per server; more answers 429 with Retry-After. */
const maxBufferedMediaTotalBytes = 256 * 1024 * 1024;

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;

const knownFields: Readonly<Record<string, readonly string[]>> = {
  '': ['modality', 'prompt', 'media', 'preset'],
  media: ['mime', 'dataBase64'],
  preset: ['dataset'],
};

/** Refuses a battle body with fields the API does not define (a typo would otherwise be ignored). */
function rejectUnknownFields(body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  for (const [where, allowed] of Object.entries(knownFields)) {
    const o = where === '' ? body : (body as Record<string, unknown>)[where];
    if (o === null || typeof o !== 'object' || Array.isArray(o)) continue;
    const extra = Object.keys(o).filter((k) => !allowed.includes(k));
    if (extra.length > 0) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
        detail: `${where || 'body'} has unknown field(s) ${extra.join(', ')}; allowed: ${allowed.join(', ')}`,
      });
    }
  }
}

/**
 * The arena's battle routes (docs/api.md "Arena"). Registered outside the
 * viewer-scoped /v1 group: with `arena.public` a caller without a key may
 * create, read and vote on its own battles (the auth plugin lets those
 * requests through as anonymous, gateway/arena/battle-keyless.ts), so every
 * handler here decides who the caller is and what it may reach.
 */
export async function arenaBattleRoutes(app: FastifyInstance, opts: ArenaBattleRoutesOptions = {}): Promise<void> {
  let bufferedMediaBytes = 0;
  const config = app.evalgateConfig;
  const links = opts.links ?? createBattleLinks();
  const events = new BattleEvents();
  const media = new BattleMediaStore(arenaMediaRoot(config.cacheDir));
  const service = new BattleService({
    config,
    db: app.store.db,
    media,
    events,
    log: { warn: (o, m) => app.log.warn(o, m), error: (o, m) => app.log.error(o, m) },
    ...opts.service,
  });
  const battleLimiter = new BattleRateLimiter({ perMinute: config.arena.rateLimit.battlesPerMinute });
  const voteLimiter = new BattleRateLimiter({ perMinute: config.arena.rateLimit.votesPerMinute });
  const keepAliveMs = opts.keepAliveMs ?? 15_000;
  const pollMs = opts.pollMs ?? 1000;
  const streams = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const end of streams) end();
    await service.close();
  });

  // Large bodies (uploads) are parsed and their base64 decoded in a worker thread (battle-body-parser.ts);
  // small ones by fastify's own JSON parser. Only these routes: the change stays in this plugin.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const buf = body as Buffer;
    if (buf.length < workerParseFromBytes) {
      void defaultJson(request, buf.toString('utf8'), done);
      return;
    }
    parseBattleBodyInWorker(buf, config.arena.maxUploadBytes).then(
      (parsed) => done(null, parsed),
      (err: unknown) => done(err as Error, undefined),
    );
  });

  const callerOf = (request: FastifyRequest): ArenaCaller => {
    const { keyId, scopes } = request.auth ?? { keyId: null, scopes: [] };
    if (!config.server.auth) return { identity: 'local', keyless: false, isAdmin: true, mayVote: true };
    if (keyId) return { identity: keyId, keyless: false, isAdmin: scopeAllows(scopes, 'admin'), mayVote: scopeAllows(scopes, 'submitter') };
    if (!config.arena.public) throw new EvalgateError('EVALGATE_ERR_UNAUTHORIZED');
    return { identity: publicVoterKey(request.ip), keyless: true, isAdmin: false, mayVote: true };
  };

  const limit = (limiter: BattleRateLimiter, caller: ArenaCaller, reply: FastifyReply, what: string): void => {
    const took = limiter.take(caller.identity);
    if (took.ok) return;
    void reply.header('retry-after', String(took.retryAfterS));
    throw new EvalgateError('EVALGATE_ERR_RATE_LIMITED', {
      detail: `too many arena ${what} from this ${caller.keyless ? 'address' : 'key'}; retry in ${took.retryAfterS} s`,
    });
  };

  /** The battle, if this caller may reach it; otherwise 404 (another key's battle is not confirmed to exist). */
  const accessible = async (request: FastifyRequest<{ Params: { id: string } }>, caller: ArenaCaller): Promise<StoredArenaBattle> => {
    const { id } = request.params;
    const notFound = new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Battle', id });
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound;
    const battle = await findArenaBattle(app.store.db, id);
    if (!battle) throw notFound;
    if (caller.keyless) {
      const token = request.headers[tokenHeader];
      if (!links.checkToken(battle.id, typeof token === 'string' ? token : undefined)) throw notFound;
    } else if (battle.creator_key !== caller.identity && !caller.isAdmin) throw notFound;
    return battle;
  };

  const presetName = async (battle: StoredArenaBattle): Promise<string | undefined> =>
    battle.preset_dataset_id ? (await findDataset(app.store.db, battle.preset_dataset_id))?.name : undefined;

  const currentView = async (battle: StoredArenaBattle): Promise<BattleView> => {
    const [answers, vote, presetDataset] = await Promise.all([
      listArenaAnswers(app.store.db, battle.id),
      findBattleVote(app.store.db, battle.id),
      presetName(battle),
    ]);
    return battleView({ battle, answers, vote, live: events.sides(battle.id), ...(presetDataset ? { presetDataset } : {}) }, links);
  };

  app.post<{ Body: CreateBattleInput }>(
    '/arena/battles',
    {
      // The upload travels as base64 inside the JSON body.
      bodyLimit: Math.ceil(config.arena.maxUploadBytes / 3) * 4 + 64 * 1024,
      // Who may create, and the per-caller rate limit, are decided before the body is read: an upload may be tens
      // of megabytes, parsed in a worker queue shared by every caller, which a limited caller must not fill.
      preParsing: async (request, reply, payload) => {
        const caller = callerOf(request);
        if (!caller.mayVote) throw new EvalgateError('EVALGATE_ERR_FORBIDDEN', { scope: 'submitter' });
        limit(battleLimiter, caller, reply, 'battles');
        return payload;
      },
      // fastify's validator drops unknown fields silently; a misspelt field must be an error instead.
      preValidation: async (request) => rejectUnknownFields(request.body),
      schema: {
        body: {
          type: 'object',
          required: ['modality'],
          additionalProperties: false,
          properties: {
            modality: { type: 'string', enum: ['text', 'audio', 'image', 'video'] },
            prompt: { type: 'string', maxLength: 8000 },
            media: {
              type: 'object',
              required: ['mime', 'dataBase64'],
              additionalProperties: false,
              properties: { mime: { type: 'string', minLength: 1, maxLength: 200 }, dataBase64: { type: 'string' } },
            },
            preset: { type: 'object', additionalProperties: false, properties: { dataset: { type: 'string', minLength: 1, maxLength: 200 } } },
          },
        },
      },
    },
    async (request, reply) => {
      // Allowed and counted against the rate limit in preParsing, before the body was read.
      const caller = callerOf(request);
      const { battle } = await service.create(request.body, { identity: caller.identity, isAdmin: caller.isAdmin });
      const body = {
        id: battle.id,
        modality: battle.modality,
        prompt: { text: battle.prompt_text, media: mediaViews(links, battle.id, 'prompt', battle.prompt_media) },
        sides: { A: { status: 'pending' }, B: { status: 'pending' } },
        eventsUrl: `/v1/arena/battles/${battle.id}/events`,
        ...(caller.keyless ? { token: links.token(battle.id) } : {}),
      };
      return reply.status(201).send(body);
    },
  );

  app.get<{ Params: { id: string } }>('/arena/battles/:id', { schema: { params: idParams } }, async (request) => {
    const battle = await accessible(request, callerOf(request));
    return currentView(battle);
  });

  app.post<{ Params: { id: string }; Body: { vote: FiveLevelVote; bothBad?: boolean } }>(
    '/arena/battles/:id/vote',
    {
      schema: {
        params: idParams,
        body: {
          type: 'object',
          required: ['vote'],
          additionalProperties: false,
          properties: { vote: { type: 'string', enum: [...FIVE_LEVEL_VOTES] }, bothBad: { type: 'boolean' } },
        },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      if (!caller.mayVote) throw new EvalgateError('EVALGATE_ERR_FORBIDDEN', { scope: 'submitter' });
      const battle = await accessible(request, caller);
      // An admin may read another key's battle, never vote in its place.
      if (!caller.keyless && config.server.auth && battle.creator_key !== caller.identity) {
        throw new EvalgateError('EVALGATE_ERR_FORBIDDEN', { scope: 'the battle creator' });
      }
      limit(voteLimiter, caller, reply, 'votes');
      return castBattleVote(app.store.db, battle, caller.identity, request.body, {
        maxVotesPerDay: config.arena.maxVotesPerDay,
        ...(config.arena.identityWords ? { identityWords: config.arena.identityWords } : {}),
      });
    },
  );

  app.get<{ Params: { id: string; name: string }; Querystring: { expires?: number; sig?: string } }>(
    '/arena/battles/:id/media/:name',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 }, name: { type: 'string', pattern: '^(prompt|A|B)-[0-9]{1,3}$' } } },
        querystring: {
          type: 'object',
          properties: { expires: { type: 'integer', minimum: 0 }, sig: { type: 'string', maxLength: 128 } },
          additionalProperties: false,
        },
      },
      // Same reasons as the dataset media route: never sniffed, never run in this origin.
      onSend: async (_request, reply, payload) => {
        void reply.header('x-content-type-options', 'nosniff').header('content-security-policy', 'sandbox');
        return payload;
      },
    },
    async (request, reply) => {
      const { id, name } = request.params;
      const notFound = (): EvalgateError => new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Media', id: `${id}/${name}` });
      let battle: StoredArenaBattle | undefined;
      if (request.query.sig !== undefined) {
        const check = links.checkMedia(id, name, request.query.expires, request.query.sig);
        if (check !== 'ok')
          throw new EvalgateError('EVALGATE_ERR_MEDIA_LINK_INVALID', { problem: check === 'bad-signature' ? 'not valid (bad signature)' : check });
        battle = /^[0-9a-f-]{36}$/i.test(id) ? await findArenaBattle(app.store.db, id) : undefined;
      } else {
        battle = await accessible(request, callerOf(request));
      }
      if (!battle) throw notFound();
      const [prefix, indexText] = name.split('-') as [string, string];
      let list: readonly BattleMedia[] = [];
      if (prefix === 'prompt') list = battle.prompt_media as BattleMedia[];
      else list = ((await listArenaAnswers(app.store.db, battle.id)).find((a) => a.side === prefix)?.output_media ?? []) as BattleMedia[];
      const entry = list[Number(indexText)];
      if (!entry) throw notFound();
      // Only the file the battle recorded: its real path inside the arena folder, its size unchanged.
      const opened = await openContainedMedia(media.root, entry.path);
      if (isContainmentProblem(opened) || (entry.sizeBytes !== undefined && opened.sizeBytes !== entry.sizeBytes)) {
        if (!isContainmentProblem(opened)) await opened.handle.close();
        request.log.warn({ battleId: id, name, problem: isContainmentProblem(opened) ? opened.problem : 'size' }, 'arena media refused');
        throw notFound();
      }
      reply.header('content-length', opened.sizeBytes);
      reply.type(entry.mime);
      if (opened.sizeBytes > maxBufferedMediaBytes) return reply.send(opened.handle.createReadStream());
      // Read whole (asynchronously) below that size: a FileHandle read stream sent here was seen, in about one
      // run in two, to write every byte and never end, so the response stayed open (tests/arena/battle-media.test.ts).
      // The bytes held at once by such reads are bounded: signed links need no key, so parallel GETs of a large
      // file would otherwise hold one copy each.
      if (bufferedMediaBytes + opened.sizeBytes > maxBufferedMediaTotalBytes) {
        await opened.handle.close();
        void reply.header('retry-after', '1');
        throw new EvalgateError('EVALGATE_ERR_RATE_LIMITED', { detail: 'too many arena media files are being read at once; retry in a moment' });
      }
      bufferedMediaBytes += opened.sizeBytes;
      try {
        return await reply.send(await opened.handle.readFile());
      } finally {
        bufferedMediaBytes -= opened.sizeBytes;
        await opened.handle.close();
      }
    },
  );

  app.get<{ Params: { id: string } }>('/arena/battles/:id/events', { schema: { params: idParams } }, async (request, reply) => {
    const battle = await accessible(request, callerOf(request));
    // Subscribe before reading the stored state; events that arrive while it
    // is read are already in the live state the snapshot is built from.
    const queue: BattleEvent[] = [];
    let write: ((e: BattleEvent) => void) | undefined;
    const unsubscribe = events.subscribe(battle.id, (e) => (write ? write(e) : queue.push(e)));
    let view: BattleView | undefined;
    for (let tries = 0; tries < 5 && !view; tries++) {
      const v = await currentView(battle);
      const live = events.sides(battle.id);
      // A side this process finished after the rows were read: read again.
      const stale = live && (['A', 'B'] as const).some((s) => live[s].status !== 'pending' && v.sides[s].status === 'pending');
      if (!stale) {
        view = v;
        queue.length = 0;
      }
    }
    view ??= await currentView(battle);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    let ended = false;
    const timers: NodeJS.Timeout[] = [];
    const end = (): void => {
      if (ended) return;
      ended = true;
      unsubscribe?.();
      for (const t of timers) clearInterval(t);
      streams.delete(end);
      res.end();
    };
    streams.add(end);
    request.raw.on('close', end);
    res.on('close', end);
    const send = (event: string, data: unknown): void => {
      if (ended) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      // A client that does not read is dropped rather than buffered without bound.
      if (res.writableLength > maxSseBufferBytes) {
        request.log.warn({ battleId: battle.id }, 'arena event stream dropped: the client does not read');
        res.destroy();
        end();
      }
    };
    const sendEvent = (e: BattleEvent): void => {
      const { type, ...data } = e;
      if (e.type === 'answer.done') {
        send(type, {
          ...data,
          media: mediaViews(
            links,
            battle.id,
            e.side,
            e.media.map((m) => ({ ...m, path: '', sha256: '' })),
          ),
        });
      } else send(type, data);
      if (e.type === 'battle.ready') end();
    };
    send('battle.state', view);
    const settled = (v: BattleView): boolean => v.sides.A.status !== 'pending' && v.sides.B.status !== 'pending';
    if (settled(view)) {
      send('battle.ready', { votable: view.votable });
      end();
      return;
    }
    timers.push(setInterval(() => !ended && res.write(': keep-alive\n\n'), keepAliveMs));
    if (unsubscribe) {
      write = sendEvent;
      return;
    }
    // Answered by another process (or one that restarted): follow the stored rows.
    const seen = new Set<BattleSide>((['A', 'B'] as const).filter((s) => view.sides[s].status !== 'pending'));
    const poll = async (): Promise<void> => {
      const rows: StoredArenaAnswer[] = await listArenaAnswers(app.store.db, battle.id);
      for (const row of rows) {
        if (seen.has(row.side)) continue;
        seen.add(row.side);
        if (row.status === 'ok') {
          const text = row.output_text ?? '';
          send('answer.done', {
            side: row.side,
            status: 'ok',
            text,
            media: mediaViews(links, battle.id, row.side, row.output_media),
            latencyFirstTokenMs: row.latency_first_token_ms,
            latencyTotalMs: row.latency_total_ms,
          });
        } else send('answer.failed', { side: row.side, status: 'failed', error: { code: row.error?.code ?? 'EVALGATE_ERR_MODEL_CALL_FAILED' } });
      }
      if (seen.size === 2) {
        send('battle.ready', { votable: rows.every((r) => r.status === 'ok') && !(await findBattleVote(app.store.db, battle.id)) });
        end();
      }
    };
    // Bounded: a battle whose answering process died stays pending, and its follower stops after 10 minutes.
    const pollUntilMs = Date.now() + 10 * 60_000;
    let polling = false;
    timers.push(
      setInterval(() => {
        if (ended || polling) return;
        if (Date.now() > pollUntilMs) {
          end();
          return;
        }
        polling = true;
        // A database outage while polling is only a missed beat.
        poll()
          .catch((err: unknown) => request.log.debug({ err }, 'arena event poll failed'))
          .finally(() => (polling = false));
      }, pollMs),
    );
  });
}
