// Open TCP connections on a local port, from the kernel's tables: lets a test wait until a client
// has really let go of a server (Xspice and QEMU take one SPICE client at a time) instead of
// sleeping for a while after closing it.
import { readFileSync } from 'node:fs';

const ESTABLISHED = '01';

function tableLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(1);
  } catch {
    return []; // no IPv6 on this machine
  }
}

/** Established TCP connections with `port` at either end (both ends count on loopback). */
export function tcpConnectionsOn(port: number): number {
  let count = 0;
  for (const line of [...tableLines('/proc/net/tcp'), ...tableLines('/proc/net/tcp6')]) {
    // "  sl  local_address rem_address   st ...": addresses as HEXIP:HEXPORT.
    const [, local, remote, state] = line.trim().split(/\s+/);
    if (state !== ESTABLISHED || !local || !remote) continue;
    const localPort = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    const remotePort = parseInt(remote.slice(remote.lastIndexOf(':') + 1), 16);
    if (localPort === port || remotePort === port) count++;
  }
  return count;
}
