import { ApiException, KubeConfig, KubernetesObject, KubernetesObjectApi, type V1APIResourceList } from '@kubernetes/client-node';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { keepAliveLike } from './target';

/**
 * What discovery found per API server (the resource lists of each apiVersion): the same for every
 * identity, so one attempt's client starts from what earlier ones learnt instead of asking again
 * (a kind not in the list is looked up afresh, so a newly served kind is still found).
 */
const discovered = new Map<string, Record<string, V1APIResourceList>>();

/** Which resource a kind is and whether it is namespaced: client-node's discovery, cached per API server. */
class Discovery extends KubernetesObjectApi {
  static for(kc: KubeConfig): Discovery {
    const discovery = kc.makeApiClient(Discovery);
    discovery.setDefaultNamespace(kc);
    const server = kc.getCurrentCluster()?.server ?? '';
    if (!discovered.has(server)) discovered.set(server, {});
    discovery.apiVersionResourceCache = discovered.get(server)!;
    return discovery;
  }

  uriOf(object: KubernetesObject, action: 'create' | 'read' | 'patch' | 'delete' | 'list'): Promise<string> {
    return this.specUriPath(structuredClone(object), action);
  }
}

export interface RawRequest {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

/** A list as the API server returns it. */
export interface ObjectList<T = KubernetesObject> {
  items: T[];
}

const MAX_RESPONSE_BYTES = 8 << 20;

/**
 * The API server's JSON as it is, in both directions. client-node's typed API serializes a request
 * body through its models, which silently drops fields they do not know (a student's misspelt
 * `imagee` would never reach the server's strict validation) and turns timestamps into Dates on the
 * way back; kadai needs the server to judge exactly what was written, and checks to see exactly
 * what the server stored. Errors are client-node's `ApiException`s (code, Status body).
 */
export class ObjectClient {
  private readonly discovery: Discovery;
  private readonly server: URL;
  private connecting?: Promise<RequestOptions>;

  constructor(private readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.discovery = Discovery.for(kc);
  }

  /** TLS agent and credentials, made once per client, connections kept open (a new one per request would repeat the TLS handshake). */
  private connection(): Promise<RequestOptions> {
    this.connecting ??= (async () => {
      const options: RequestOptions = {};
      await this.kc.applyToHTTPSOptions(options);
      const agent = keepAliveLike(options.agent);
      return agent ? { ...options, agent } : options;
    })();
    return this.connecting;
  }

  /** The URL path of an object (or of its kind's collection for `list`/`create`), by discovery. */
  uriOf(object: KubernetesObject, action: 'create' | 'read' | 'patch' | 'delete' | 'list'): Promise<string> {
    return this.discovery.uriOf(object, action);
  }

  /** One request; resolves with the parsed JSON body (text when the server sends text). */
  async request<T = unknown>(method: string, path: string, options: RawRequest = {}): Promise<T> {
    const url = new URL(this.server.toString().replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    const https = await this.connection();
    const headers: Record<string, string> = { accept: 'application/json, */*', ...(https.headers as Record<string, string> | undefined) };
    if (https.auth) headers.authorization = `Basic ${Buffer.from(https.auth).toString('base64')}`;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const req = send(url, { method, headers, agent: https.agent, ...(options.signal ? { signal: options.signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error(`the API server's answer to ${method} ${path} exceeds ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const json = /json/.test(res.headers['content-type'] ?? '');
          let parsed: unknown = text;
          if (json) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(parsed as T);
          else reject(new ApiException(status, `HTTP ${status} ${method} ${path}`, parsed, res.headers as Record<string, string>));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Server-side apply of one object as it was written; unknown or duplicate fields are refused (fieldValidation=Strict). */
  async apply<T extends KubernetesObject>(object: T, options: { fieldManager: string; force?: boolean; dryRun?: boolean; signal?: AbortSignal }): Promise<T> {
    const path = await this.uriOf(object, 'patch');
    return this.request<T>('PATCH', path, {
      query: { fieldManager: options.fieldManager, fieldValidation: 'Strict', force: options.force ? 'true' : undefined, dryRun: options.dryRun ? 'All' : undefined },
      body: object,
      contentType: 'application/apply-patch+yaml',
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** A JSON merge patch (what `kubectl patch --type merge`, `scale` and `set image` amount to). */
  async mergePatch<T extends KubernetesObject>(object: KubernetesObject, patch: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('PATCH', await this.uriOf(object, 'patch'), { body: patch, contentType: 'application/merge-patch+json', ...(signal ? { signal } : {}) });
  }

  async read<T extends KubernetesObject>(object: KubernetesObject, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', await this.uriOf(object, 'read'), signal ? { signal } : {});
  }

  /** Objects of a kind in a namespace, optionally only those with these labels. */
  async list<T extends KubernetesObject>(apiVersion: string, kind: string, namespace: string, options: { labelSelector?: string; fieldSelector?: string; signal?: AbortSignal; allNamespaces?: boolean } = {}): Promise<T[]> {
    const path = await this.uriOf({ apiVersion, kind, metadata: options.allNamespaces ? {} : { namespace } }, 'list');
    const list = await this.request<ObjectList<T>>('GET', path, { query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector }, ...(options.signal ? { signal: options.signal } : {}) });
    // items of a list carry no apiVersion/kind of their own
    return list.items.map((item) => ({ ...item, apiVersion, kind }));
  }

  async delete(object: KubernetesObject, options: { propagationPolicy?: 'Foreground' | 'Background'; gracePeriodSeconds?: number; signal?: AbortSignal } = {}): Promise<unknown> {
    return this.request('DELETE', await this.uriOf(object, 'delete'), {
      query: { propagationPolicy: options.propagationPolicy, gracePeriodSeconds: options.gracePeriodSeconds?.toString() },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
}
