// Which handler acts on a port, by the port's name: one line per port spicedesk uses, each handler
// in a file of its own. Any other name is linked and left alone.
import type { PortContext, PortHandler, PortHandlerFactory, PortIo } from './port-handler.ts';
import { PRINT_PORT_NAME, PrintPort } from './print-port.ts';
import { QMP_PORT_NAME, QmpPort } from './qmp-port.ts';
import { SERIAL_CONSOLE_PORT_NAME, SerialConsolePort } from './serial-console.ts';
import { WEBDAV_PORT_NAME, WebdavMux } from './webdav-mux.ts';

export const portHandlerTable: Readonly<Record<string, PortHandlerFactory>> = {
  [QMP_PORT_NAME]: (io) => new QmpPort(io),
  [WEBDAV_PORT_NAME]: (io, ctx) => new WebdavMux(io, ctx.webdav),
  [SERIAL_CONSOLE_PORT_NAME]: (io) => new SerialConsolePort(io),
  [PRINT_PORT_NAME]: (io, ctx) => new PrintPort(io, ctx.print),
};

/** The handler for a port of this name, or null for a port spicedesk leaves alone. */
export function portHandlerFor(name: string, io: PortIo, ctx: PortContext): PortHandler | null {
  const factory = Object.hasOwn(portHandlerTable, name) ? portHandlerTable[name] : undefined;
  return factory ? factory(io, ctx) : null;
}
