// Topical-Chat: the reports' figures against counts made here from the raw JSON. The real
// valid_freq.json through examples/topical-chat/dataset.yaml (sentiment per agent, negative →
// positive transitions), and generated JSON Lines (messages + conversations) through jsonl.yaml,
// where loaded + rejected = the generator's records as well.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NEGATIVE, POSITIVE, generateExample } from '@copyfleet/generate';
import { REPO_ROOT } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e } from '../helpers.js';
import { loadExample, loadSingle, readJson } from './sources.js';

const t = e2e();
afterAll(() => t.close());

interface Message { conversation_id: string; turn: number; agent: string; sentiment: string; turn_rating: string }

function expected(messages: Message[]) {
  const perAgent = new Map<string, number>();
  const byConv = new Map<string, Message[]>();
  for (const m of messages) {
    perAgent.set(`${m.agent}|${m.sentiment}`, (perAgent.get(`${m.agent}|${m.sentiment}`) ?? 0) + 1);
    if (!byConv.has(m.conversation_id)) byConv.set(m.conversation_id, []);
    byConv.get(m.conversation_id)![m.turn] = m;
  }
  let replies = 0, positive = 0;
  for (const turns of byConv.values()) {
    for (let i = 1; i < turns.length; i++) {
      if (turns[i - 1] && turns[i] && NEGATIVE.has(turns[i - 1]!.sentiment)) { replies++; if (POSITIVE.has(turns[i]!.sentiment)) positive++; }
    }
  }
  return { perAgent, replies, positive, byConv };
}

const asMap = (rows: { agent: string; sentiment: string; messages: number }[]) =>
  new Map(rows.map((r) => [`${r.agent}|${r.sentiment}`, Number(r.messages)]));

describe('topical-chat', () => {
  it('valid_freq.json: sentiment per agent and negative → positive equal counts over the raw JSON', async () => {
    const file = join(REPO_ROOT, '..', 'shared', 'data', 'real', 'topical-chat', 'valid_freq.json');
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { content: Omit<Message, 'conversation_id' | 'turn'>[] }>;
    const messages = Object.entries(raw).flatMap(([id, c]) => c.content.map((m, turn) => ({ ...m, conversation_id: id, turn })));
    const e = expected(messages);
    const loaded = await loadSingle(t, 'topical-chat', 'dataset.yaml', file);
    expect([loaded.loaded, loaded.rejected]).toEqual([11_681, 0]);
    const out = loaded.reports;
    expect(asMap(readJson(out, 'messages_per_agent_sentiment.json'))).toEqual(e.perAgent);
    expect(readJson(out, 'negative_then_positive.json')).toEqual([{ positive_replies: e.positive, replies_to_negative: e.replies }]);
    expect(e.replies).toBeGreaterThan(100);
  });

  it('generated JSON Lines: messages and conversations load whole; the three reports equal counts over the raw lines', async () => {
    const dir = join(t.dir, 'gen-chat');
    const m = await generateExample('topical-chat', { bytes: 2 << 20, seed: 5, dir });
    const run = await loadExample(t, 'topical-chat', 'jsonl.yaml', dir);
    const { messages, conversations } = run.counts;
    expect([messages!.loaded + messages!.rejected, conversations!.loaded + conversations!.rejected]).toEqual(m.files.map((f) => f.records));
    expect(messages!.rejected + conversations!.rejected).toBe(0);
    const rawMessages = readFileSync(join(dir, 'messages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Message);
    const e = expected(rawMessages);
    expect(m.totals).toMatchObject({ repliesToNegative: e.replies, positiveRepliesToNegative: e.positive });
    const out = run.reports;
    expect(asMap(readJson(out, 'sentiment_per_agent.json'))).toEqual(e.perAgent);
    expect(readJson(out, 'negative_then_positive.json')).toEqual([{ positive_replies: e.positive, replies_to_negative: e.replies }]);
    const perConv = readJson<{ conversation_id: string; rating_agent_2: string | null; messages: number; well_rated_turns: number }[]>(out, 'messages_and_ratings_per_conversation.json');
    expect(perConv).toHaveLength(conversations!.loaded);
    const convs = new Map(readFileSync(join(dir, 'conversations.jsonl'), 'utf8').trim().split('\n').map((l) => {
      const c = JSON.parse(l) as { conversation_id: string; conversation_rating: { agent_2?: string } };
      return [c.conversation_id, c] as const;
    }));
    for (const row of perConv) {
      const turns = e.byConv.get(row.conversation_id)!;
      expect(row.messages).toBe(turns.length);
      expect(row.well_rated_turns).toBe(turns.filter((x) => x.turn_rating === 'Excellent' || x.turn_rating === 'Good').length);
      expect(row.rating_agent_2).toBe(convs.get(row.conversation_id)!.conversation_rating.agent_2 ?? null);
    }
  });
});
