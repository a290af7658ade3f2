import { describe, expect, it } from 'vitest';
import { BridgeDisplaySink, countJoinedView, headsNeedDisplayBytes } from '../../../../src/main/host/bridge-display-sink.ts';

describe('BridgeDisplaySink', () => {
  it('hands the body on as the same view, not a copy, and nothing after close', () => {
    const got: [number, number, bigint, Uint8Array][] = [];
    const sink = new BridgeDisplaySink((channelId, type, serial, body) => got.push([channelId, type, serial, body]));
    const chunk = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const body = chunk.subarray(2, 5);
    sink.submit(1, 302, body, 77n);
    expect(got).toHaveLength(1);
    expect(got[0].slice(0, 3)).toEqual([1, 302, 77n]);
    expect(got[0][3]).toBe(body);
    sink.close();
    sink.submit(1, 302, body, 78n);
    expect(got).toHaveLength(1);
  });
});

describe('headsNeedDisplayBytes', () => {
  it('wants MONITORS_CONFIG (317) always, other messages only while a view is joined', () => {
    const group = {};
    expect(headsNeedDisplayBytes(group, 317)).toBe(true);
    expect(headsNeedDisplayBytes(group, 302)).toBe(false);
    countJoinedView(group, 1);
    countJoinedView(group, 1);
    expect(headsNeedDisplayBytes(group, 302)).toBe(true);
    countJoinedView(group, -1);
    expect(headsNeedDisplayBytes(group, 302)).toBe(true);
    countJoinedView(group, -1);
    expect(headsNeedDisplayBytes(group, 302)).toBe(false);
    expect(headsNeedDisplayBytes({}, 302)).toBe(false);
  });

  it('does not go below zero when a view ends twice', () => {
    const group = {};
    countJoinedView(group, -1);
    countJoinedView(group, 1);
    expect(headsNeedDisplayBytes(group, 302)).toBe(true);
  });
});
