// How a ws:// or wss:// target is named in messages: without its query, which may hold a ticket.
export function describeWebSocketUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'the WebSocket URL';
  }
}
