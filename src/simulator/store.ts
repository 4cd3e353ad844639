/**
 * The embedded simulator's history in the database (simulator_messages, simulator_media): the
 * fake WeCom journals what it delivers and what cards become, the chat page what users send, and
 * both are restored when the service starts again.
 */
import type { Knex } from 'knex';
import type { UserAction } from './callback-client';
import type { FakeJournal, FakeMedia, FakeMessage } from './fake-wecom';

/** One thing a simulated user sent (text, a screenshot, a button click), as the page shows it. */
export interface SentByUser {
  id: string;
  userid: string;
  at: number;
  kind: UserAction['kind'];
  text: string | null;
  mediaId: string | null;
  status: number;
}

/** A simulator_messages row as the drivers return it (see src/db/tables.ts). */
interface SimulatorMessageRow {
  id: number;
  /** in: received by the user; out: sent by the user. */
  direction: string;
  /** Nullable in the schema; every row this store writes has one. */
  msgid: string;
  touser: string;
  msgtype: string;
  /** JSON (in) or text/label (out). */
  body: string | null;
  at: number;
  response_code: string | null;
  replaced_name: string | null;
  chatid: string | null;
  media_id: string | null;
  status: number | null;
}

interface SimulatorMediaRow {
  media_id: string;
  mime: string;
  name: string;
  data: Buffer;
  created_at: number;
}

export class SimulatorStore implements FakeJournal {
  constructor(private readonly db: Knex) {}

  async messageAdded(m: FakeMessage): Promise<void> {
    await this.db<SimulatorMessageRow>('simulator_messages').insert({
      direction: 'in',
      msgid: m.msgid,
      touser: m.touser,
      msgtype: m.msgtype,
      body: JSON.stringify(m.body),
      at: m.at,
      response_code: m.responseCode,
      replaced_name: m.replacedName,
      chatid: m.chatid,
    });
  }

  async messageUpdated(m: FakeMessage): Promise<void> {
    await this.db<SimulatorMessageRow>('simulator_messages')
      .where({ direction: 'in', msgid: m.msgid })
      .update({ body: JSON.stringify(m.body), replaced_name: m.replacedName });
  }

  /** A screenshot a user sent (the fake keeps it in memory for media/get). */
  async mediaAdded(mediaId: string, m: FakeMedia, at: number): Promise<void> {
    await this.db<SimulatorMediaRow>('simulator_media').insert({ media_id: mediaId, mime: m.mime, name: m.name, data: m.data, created_at: at });
  }

  /** Screenshots dropped to keep the simulator's store bounded. */
  async mediaRemoved(mediaIds: string[]): Promise<void> {
    for (let i = 0; i < mediaIds.length; i += 500) {
      await this.db<SimulatorMediaRow>('simulator_media').whereIn('media_id', mediaIds.slice(i, i + 500)).del();
    }
  }

  async userSent(e: SentByUser): Promise<void> {
    await this.db<SimulatorMessageRow>('simulator_messages').insert({
      direction: 'out',
      msgid: e.id,
      touser: e.userid,
      msgtype: e.kind,
      body: e.text,
      at: e.at,
      media_id: e.mediaId,
      status: e.status,
    });
  }

  async load(): Promise<{ received: FakeMessage[]; sent: SentByUser[]; media: Map<string, FakeMedia> }> {
    const rows = await this.db<SimulatorMessageRow>('simulator_messages').orderBy('id');
    const received: FakeMessage[] = [];
    const sent: SentByUser[] = [];
    for (const r of rows) {
      if (r.direction === 'in') {
        received.push({
          msgid: r.msgid,
          touser: r.touser,
          msgtype: r.msgtype,
          // Written by messageAdded from the message's body object.
          body: JSON.parse(r.body ?? '{}') as Record<string, unknown>,
          at: Number(r.at),
          responseCode: r.response_code ?? null,
          replacedName: r.replaced_name ?? null,
          chatid: r.chatid ?? null,
        });
      } else {
        sent.push({
          id: r.msgid,
          userid: r.touser,
          at: Number(r.at),
          // Written by userSent from the action's kind.
          kind: r.msgtype as UserAction['kind'],
          text: r.body ?? null,
          mediaId: r.media_id ?? null,
          status: Number(r.status),
        });
      }
    }
    const media = new Map<string, FakeMedia>();
    // Oldest first, as they were added: the bound drops from the front.
    for (const m of await this.db<SimulatorMediaRow>('simulator_media').orderBy([{ column: 'created_at' }, { column: 'media_id' }])) {
      media.set(m.media_id, { mime: m.mime, name: m.name, data: Buffer.from(m.data) });
    }
    return { received, sent, media };
  }
}
