/** What chat handlers get: the conversation services (no SQL, no HTTP in handlers). */
import type { InboundMessage } from '../src/chat/router';
import type { ConversationService, Actor } from '../src/domain/conversation/service';
import type { RecheckService } from '../src/domain/recheck/service';
import type { MonitoringChat } from '../src/domain/monitoring/chat';

export interface HandlerDeps {
  conversation: ConversationService;
  /** Automatic re-checks (null: turned off). */
  recheck?: RecheckService | null;
  /** Monitoring orders from the chat (转工单); absent: those handlers are not registered. */
  monitoring?: MonitoringChat;
}

export function actorOf(deps: HandlerDeps, m: InboundMessage): Promise<Actor> {
  return deps.conversation.actor(m.fromUserid, m.id);
}

/** A work-order code as users type it: 2022-0001 (full-width digits and dashes accepted). */
export const CODE = /^\d{4}[-－—]\d{1,8}$/;

export function normalizeCode(s: string): string {
  return s.normalize('NFKC').replace(/[—－]/g, '-');
}

/** Splits "命令 编号 其余" into the code (when the first word is one) and the rest. */
export function splitCommand(text: string, command: string): { code: string | null; rest: string } {
  const body = text.trim().slice(command.length).replace(/^[\s:：,，]+/, '');
  const [first] = body.split(/\s+/);
  const f = normalizeCode(first ?? '');
  if (first && CODE.test(f)) return { code: f, rest: body.slice(first.length).trim() };
  return { code: null, rest: body.trim() };
}

export const isText = (m: InboundMessage) => m.msgType === 'text' && m.content !== null;
