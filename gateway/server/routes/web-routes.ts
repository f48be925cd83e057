import type { FastifyInstance } from 'fastify';
import { indexPageHtml } from '../web/index-page.js';
import { arenaPageCsp, arenaPageHtml, arenaPageOptions } from '../web/arena-page.js';

/** `GET /`: the web page (leaderboard, comparison, run samples, live sessions). It calls the /v1 API. */
export async function webRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(indexPageHtml(app.evalgateConfig.server.auth)));
  app.get('/arena', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', arenaPageCsp)
      .send(arenaPageHtml(arenaPageOptions(app.evalgateConfig))),
  );
}
