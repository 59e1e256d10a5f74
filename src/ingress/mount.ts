import type { Config } from '../config';
import type { CardStore, PostStore } from '../domain/ports';
import type { Post } from '../domain/post';
import type { Logger } from '../log';
import type { HttpService } from '../service/http';
import { GraphClient } from '../sources/meta/graph';
import { META_WEBHOOK_PATH, metaHandshake, metaReceiver } from '../sources/meta/webhook';
import { ingestHandler } from './ingest';

export interface IngressDeps {
  config: Pick<Config, 'ingest' | 'meta'>;
  store: Pick<PostStore, 'hasPost'> & Pick<CardStore, 'getOpportunityByPost' | 'audit' | 'actionsFor'>;
  /** Where pushed posts are kept before the answer, with the name of the source they came through (for the counts). */
  inbox: { accept(posts: readonly Post[], source: string): Promise<boolean[]> };
  log: Logger;
  now?: () => Date;
}

/**
 * Registers every push-in route that is configured on the one HTTP server: POST /ingest (KAIROS_WEBHOOK_SECRET) and
 * Meta's GET/POST /webhooks/meta (META_APP_SECRET). Returns the routes it mounted and, with Meta, its Graph client.
 */
export function mountIngress(http: Pick<HttpService, 'route'>, deps: IngressDeps): { routes: string[]; graph?: GraphClient } {
  const { config, log } = deps;
  const routes: string[] = [];
  if (config.ingest) {
    http.route('POST', '/ingest', ingestHandler({ secret: config.ingest.secret, accept: (posts) => deps.inbox.accept(posts, 'ingest'), log: log.child({ source: 'ingest' }), now: deps.now }));
    routes.push('POST /ingest');
  }
  let graph: GraphClient | undefined;
  if (config.meta) {
    const meta = config.meta;
    graph = new GraphClient({ baseUrl: meta.graphUrl, token: meta.pageToken });
    const mlog = log.child({ source: 'meta' });
    http.route('GET', META_WEBHOOK_PATH, metaHandshake({ meta, log: mlog }));
    http.route('POST', META_WEBHOOK_PATH, metaReceiver({ meta, graph, store: deps.store, accept: async (post) => (await deps.inbox.accept([post], `meta-${post.platform}`))[0] === true, log: mlog, now: deps.now }));
    routes.push(`GET ${META_WEBHOOK_PATH}`, `POST ${META_WEBHOOK_PATH}`);
  }
  if (routes.length) log.info({ routes }, 'receiving pushed posts');
  return { routes, graph };
}
