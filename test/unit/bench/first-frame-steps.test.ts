import { describe, expect, it } from 'vitest';
import { parseGatewaySteps, parsePageSteps } from '../../bench/first-frame-steps.ts';

const since = (epochMs: number): number => epochMs - 1_000_000;
const line = (o: object): string => JSON.stringify({ level: 20, ...o });

describe("the first-frame split's steps", () => {
  it("reads the gateway's --debug lines, the first of each kind, on the split's clock", () => {
    const steps = parseGatewaySteps(
      [
        line({ time: 1_000_200, msg: 'gateway listening', processStart: 1_000_010, port: 4000 }),
        'a warning that is not JSON',
        line({ time: 1_000_900, msg: 'request', launch: true }),
        line({ time: 1_000_920, msg: 'request', file: '/' }),
        line({ time: 1_001_000, msg: 'request', file: 'main.js' }),
        line({ time: 1_001_050, msg: 'request', file: 'main.js.map' }),
        line({ time: 1_001_100, msg: 'page WebSocket open' }),
        line({ time: 1_001_200, msg: 'page HELLO', page: 1 }),
        line({ time: 1_001_230, msg: 'linked', channel: 'main' }),
        line({ time: 1_001_290, msg: 'linked', channel: 'display' }),
        line({ time: 1_001_300, msg: 'first display message to the page' }),
        line({ time: 1_009_000, msg: 'page WebSocket open' }),
      ],
      since,
    );
    expect(steps).toEqual({
      'gateway: Node process started': 10,
      'gateway: listening': 200,
      "gateway: browser's first request (launch link)": 900,
      'gateway: page HTML requested': 920,
      'gateway: main.js requested': 1000,
      'gateway: page WebSocket open': 1100,
      'gateway: page HELLO': 1200,
      'gateway: main channel linked': 1230,
      'gateway: display channel linked': 1290,
      'gateway: first display message sent': 1300,
    });
  });

  it("skips lines without a time or that are not objects", () => {
    expect(parseGatewaySteps(['42', 'null', line({ msg: 'page HELLO' }), line({ time: 'soon', msg: 'page HELLO' })], since)).toEqual({});
  });

  it("puts the page's marks, resources and navigation on the split's clock, the worker's forwarded marks as the worker's", () => {
    const steps = parsePageSteps(
      {
        page: {
          timeOrigin: 1_000_800,
          entries: [
            { name: 'http://127.0.0.1:1/tok/', entryType: 'navigation', startTime: 0, responseEnd: 150 },
            { name: 'http://127.0.0.1:1/tok/main.js', entryType: 'resource', startTime: 160, responseEnd: 200 },
            { name: 'http://127.0.0.1:1/tok/favicon', entryType: 'resource', startTime: 160, responseEnd: 210 },
            { name: 'spicedesk:main-start', entryType: 'mark', startTime: 300 },
            { name: 'spicedesk:worker-wasm-ready', entryType: 'mark', startTime: 320.5 },
            { name: 'other:mark', entryType: 'mark', startTime: 1 },
            { name: 'first-contentful-paint', entryType: 'paint', startTime: 330 },
          ],
        },
      },
      since,
    );
    expect(steps).toEqual({
      'page: navigation started': 800,
      'page: HTML received': 950,
      'page: main.js received': 1000,
      'page: main-start': 1100,
      'worker: wasm-ready': 1120.5,
      'page: first contentful paint': 1130,
    });
  });
});
