// The network between the simulated devices and the server: a `fetch` per device that
// calls the current server's app through app.inject (no sockets, so a run is the same
// every time), with the faults a phone's network has, each drawn from the seed:
// - offline: every request fails before it leaves the device;
// - a dropped request: the server never sees it, the device gets a network error;
// - a dropped response: the server acts on it, the device gets a network error;
// - a duplicated request: the server gets it twice, the device the second answer;
// - a delayed push: held back (the device gets a network error, as on a timeout) and
//   delivered later, after newer requests, to whatever server is there by then.
import type { Random } from '../seeded-random.ts';
import type { SimServer } from './sim-server.ts';

export class SimulatedNetworkError extends TypeError {
  constructor(what: string) {
    super(`simulated network failure: ${what}`);
    this.name = 'SimulatedNetworkError';
  }
}

export interface LinkFaults {
  offline: boolean;
  dropRequest: number;
  dropResponse: number;
  duplicate: number;
  delayPush: number;
}

export const CALM: LinkFaults = { offline: false, dropRequest: 0, dropResponse: 0, duplicate: 0, delayPush: 0 };

interface SimRequest {
  device: string;
  method: string;
  url: string;
  contentType: string | undefined;
  body: string | Uint8Array | undefined;
}

export interface SimNetwork {
  fetchFor(device: string): typeof globalThis.fetch;
  setLink(device: string, faults: LinkFaults): void;
  link(device: string): LinkFaults;
  /** Pushes held back, oldest first. */
  held: SimRequest[];
  /** Delivers one held push now; its answer goes nowhere (the device gave up on it). */
  deliverHeld(index: number): Promise<void>;
  /** Answers the server gave with a 5xx status: a bug in the server, reported by the checker. */
  serverErrors: string[];
}

const describe = (request: SimRequest) => `${request.method} ${request.url.split('?')[0] ?? ''}`;

export function createSimNetwork(random: Random, server: () => SimServer, trace: (line: string) => void): SimNetwork {
  const links = new Map<string, LinkFaults>();
  const held: SimRequest[] = [];
  const serverErrors: string[] = [];

  async function deliver(request: SimRequest): Promise<Response> {
    const current = server();
    const headers: Record<string, string> = { authorization: `Bearer ${current.token}` };
    if (request.contentType) headers['content-type'] = request.contentType;
    const answer = await current.app.inject({
      method: request.method as 'GET',
      url: request.url,
      headers,
      ...(request.body !== undefined ? { payload: typeof request.body === 'string' ? request.body : Buffer.from(request.body) } : {}),
    });
    if (answer.statusCode >= 500) serverErrors.push(`${describe(request)} from ${request.device} answered ${answer.statusCode}: ${answer.body.slice(0, 500)}`);
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (typeof value === 'string') responseHeaders.set(name, value);
      else if (typeof value === 'number') responseHeaders.set(name, String(value));
    }
    const empty = answer.statusCode === 204 || answer.statusCode === 304;
    return new Response(empty ? null : new Uint8Array(answer.rawPayload), { status: answer.statusCode, headers: responseHeaders });
  }

  function fetchFor(device: string): typeof globalThis.fetch {
    return async (input, init) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const headers = new Headers(init?.headers);
      const body = init?.body;
      if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        throw new Error('the simulated network carries only string and byte bodies');
      }
      const request: SimRequest = {
        device,
        method: init?.method ?? 'GET',
        url: url.pathname + url.search,
        contentType: headers.get('content-type') ?? undefined,
        body: body ?? undefined,
      };
      const faults = links.get(device) ?? CALM;
      if (faults.offline) throw new SimulatedNetworkError(`${device} is offline`);
      if (request.method === 'POST' && url.pathname.endsWith('/sync/push') && random.chance(faults.delayPush)) {
        held.push(request);
        trace(`  net: ${device} ${describe(request)} held back (the device times out)`);
        throw new SimulatedNetworkError(`${describe(request)} timed out`);
      }
      if (random.chance(faults.dropRequest)) {
        trace(`  net: ${device} ${describe(request)} dropped before the server`);
        throw new SimulatedNetworkError(`${describe(request)} was lost`);
      }
      let response = await deliver(request);
      if (random.chance(faults.duplicate)) {
        trace(`  net: ${device} ${describe(request)} delivered twice`);
        response = await deliver(request);
      }
      if (random.chance(faults.dropResponse)) {
        trace(`  net: ${device} ${describe(request)} answered ${response.status}, answer lost`);
        throw new SimulatedNetworkError(`the answer to ${describe(request)} was lost`);
      }
      return response;
    };
  }

  return {
    fetchFor,
    setLink: (device, faults) => links.set(device, faults),
    link: (device) => links.get(device) ?? CALM,
    held,
    async deliverHeld(index) {
      const [request] = held.splice(index, 1);
      if (!request) return;
      const answer = await deliver(request);
      trace(`  net: held ${describe(request)} from ${request.device} delivered late: ${answer.status}`);
    },
    serverErrors,
  };
}
