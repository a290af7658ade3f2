// Links a channel of a running session again. A view of a guest head that joins a session late has
// none of the surfaces, images or GLZ window its display messages build on; a newly linked display
// channel makes the server send every surface whole (SURFACE_CREATE, the drawing, MARK), and a
// newly linked cursor channel sends the current shape (CURSOR_INIT). The old channel is closed
// first: spice-server refuses a second link of a channel a client already has, and only once the
// old one is gone does it drop the old image cache and GLZ dictionary, so the new channel starts
// from nothing as the views do.
import type { SpiceChannel } from '../../protocol/channel/channel.ts';
import type { UsbredirChannel } from '../../protocol/channels/usbredir/usbredir-channel.ts';
import { ChannelType } from '../../protocol/link/constants.ts';
import type { Logger } from '../../protocol/logger.ts';
import { channelFactories } from '../../protocol/session/channel-factories.ts';
import type { Session } from '../../protocol/session/session.ts';

/** About 5 s: on a loaded machine the server can take seconds to let go of the old channel. */
const ATTEMPTS = 50;
const RETRY_MS = 100;
/**
 * A server serving a new channel speaks at once (spice-server pushes SET_ACK as it starts the
 * channel client); on a loaded machine its worker may take a second or two.
 */
const SILENT_MS = 5000;
/** Links the server accepted but never served, before giving up. */
const MAX_SILENT_LINKS = 3;

/** Whether the server says anything on `channel` within `ms` ('spoke'), nothing ('silent'), or closed it without a byte ('closed'). */
async function serverSpeaks(channel: SpiceChannel, ms: number): Promise<'spoke' | 'silent' | 'closed'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silent = new Promise<'silent'>((resolve) => (timer = setTimeout(() => resolve('silent'), ms)));
  try {
    return await Promise.race([channel.whenServerSpeaks().then((spoke) => (spoke ? 'spoke' : 'closed')), silent]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes the session's channel `type:id` and links a new one in its place (with a few retries while
 * the server lets go of the old one, and again when the server accepts a link but sends nothing on it
 * within `silentMs`). The old channel is closed before the first wait: nothing of it arrives after
 * the turn this was called in. Resolves with the new channel, or null when there
 * was none to relink or it could not be linked (logged; the session goes on without it).
 */
export async function relinkChannel(session: Session, type: number, id: number, log: Logger, silentMs = SILENT_MS): Promise<SpiceChannel | null> {
  const key = `${type}:${id}`;
  const old = session.channels.get(key);
  const factory = channelFactories[type];
  if (!old || old.state !== 'ready' || !factory) return null;
  old.close();
  let lastError = '';
  let silentLinks = 0;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // The session's own context: a display channel linked again keeps the profile's codec order.
    const channel = factory(session, id, session.channelContext());
    session.channels.set(key, channel);
    try {
      await channel.connect(session.main.info.sessionId);
    } catch (e) {
      channel.close();
      lastError = e instanceof Error ? e.message : String(e);
      if (session.main.state !== 'ready') break;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      continue;
    }
    // spice-server may answer the link with success while it still holds the old channel, and then
    // never serve the new one (docs/protocol.md, "Linking a channel again"): a channel the server
    // says nothing on is closed and linked once more.
    const heard = await serverSpeaks(channel, silentMs);
    if (heard === 'closed') {
      // A server that still holds the old channel for this client can answer the new link and then
      // close it (spice-server's char-device channels take one client at a time): try again, as
      // for a refused link, once it has let go.
      lastError = `the server closed the new ${channel.name} channel at once`;
      await channel.close();
      if (session.main.state !== 'ready') break;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      continue;
    }
    if (heard === 'silent') {
      lastError = `the server sent nothing on the new ${channel.name} channel within ${silentMs} ms`;
      log.warn({ channel: channel.name, id, attempt }, `${lastError}; linking it again`);
      await channel.close();
      if (++silentLinks >= MAX_SILENT_LINKS || session.main.state !== 'ready') break;
      continue;
    }
    session.status.set(key, { state: 'linked' });
    session.events.emit('channel-linked', channel);
    channel.run().catch((e: Error) => {
      if (session.channels.get(key) === channel && channel.state !== 'closed') log.warn({ channel: channel.name, err: e.message }, 'a relinked channel failed');
    });
    log.info({ channel: channel.name, id, attempt }, 'channel linked again');
    return channel;
  }
  session.status.set(key, { state: 'failed', error: new Error(lastError) });
  log.warn({ channel: key, err: lastError }, 'the channel could not be linked again; the views go without it');
  return null;
}

/**
 * A usbredir slot whose server did not confirm a detach: its channel is closed (QEMU runs the
 * device's disconnect when the chardev closes) and linked again, so the slot comes back empty
 * (the session's 'channel-linked' hands the new channel to the USB redirector). True when it is back.
 */
export async function relinkUsbSlot(session: Session, channel: UsbredirChannel, log: Logger): Promise<boolean> {
  if (session.channels.get(`${ChannelType.USBREDIR}:${channel.id}`) !== channel) {
    await channel.close();
    return false;
  }
  const again = await relinkChannel(session, ChannelType.USBREDIR, channel.id, log);
  if (channel.state !== 'closed') await channel.close();
  return again !== null;
}
