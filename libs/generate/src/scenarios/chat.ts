/**
 * Topical-Chat at any size, in the JSON Lines shape the team had: messages.jsonl, one message
 * per line (conversation id, turn, agent, message, sentiment, knowledge_source[], turn_rating),
 * and conversations.jsonl, one line per conversation (article_url, config, conversation_rating).
 * Value frequencies follow valid_freq.json; messiness kept: empty turn_rating (0.25%), quotes,
 * backslashes and non-ASCII text in messages, a missing agent_2 rating now and then.
 * A conversation is written whole or not at all.
 */
import { Budget, Output } from '../output.js';
import { Random } from '../random.js';
import type { Scenario } from '../scenario.js';

export const SENTIMENTS = [
  ['Curious to dive deeper', 5027], ['Neutral', 2521], ['Surprised', 2030], ['Happy', 1670],
  ['Sad', 159], ['Disgusted', 136], ['Angry', 105], ['Fearful', 33],
] as const;
const RATINGS = [['Excellent', 5557], ['Good', 5201], ['Passable', 735], ['Not Good', 108], ['Poor', 51], ['', 29]] as const;
const SOURCES = [['["FS1"]', 2848], ['["FS2"]', 2242], ['["FS3"]', 2054], ['["Personal Knowledge"]', 1735], ['["AS1"]', 491],
  ['["FS1","Personal Knowledge"]', 408], ['["FS3","Personal Knowledge"]', 386], ['["AS1","FS1","FS3","Personal Knowledge"]', 120]] as const;
const WORDS = ('do you like football the game was great I think that is so cool did know they have a lot of fans ' +
  'music movies really interesting wow never heard about it yes no maybe players team season watch play ' +
  'café naïve 日本 über "quoted" back\\\\slash :) haha right agree wonder why').split(' ');
const TOPICS = ['football-insider', 'music', 'entertainment', 'politics', 'tech', 'sports'];

export const chat: Scenario = async ({ bytes, seed, dir }) => {
  const r = new Random(seed);
  const out = await Output.create(dir);
  const budget = new Budget(bytes);
  const messages = out.open('messages.jsonl', budget);
  const conversations = out.open('conversations.jsonl', budget);
  // Message texts, JSON-encoded once: a pool of 8192 drawn from the vocabulary.
  const texts = Array.from({ length: 8192 }, () => {
    let msg = '';
    for (let w = r.int(3, 25); w > 0; w--) msg += (msg ? ' ' : '') + r.pick(WORDS);
    return JSON.stringify(msg);
  });
  const perSentiment: Record<string, number> = {};
  let negThenPos = 0, afterNeg = 0;
  for (;;) {
    const id = `t_${r.uuid()}`;
    const turns = r.int(12, 30);
    let text = '', prev = '';
    const counted: string[] = [];
    let np = 0, an = 0;
    for (let t = 0; t < turns; t++) {
      const sentiment = r.weighted(SENTIMENTS);
      text += '{"conversation_id":"' + id + '","turn":' + t + (t % 2 ? ',"agent":"agent_2","message":' : ',"agent":"agent_1","message":') + r.pick(texts) +
        ',"sentiment":"' + sentiment + '","knowledge_source":' + r.weighted(SOURCES) + ',"turn_rating":"' + r.weighted(RATINGS) + '"}\n';
      counted.push(sentiment);
      if (NEGATIVE.has(prev)) { an++; if (POSITIVE.has(sentiment)) np++; }
      prev = sentiment;
    }
    const rating2 = r.chance(0.01) ? '' : `,"agent_2":"${r.weighted(RATINGS)}"`;
    const conv = `{"conversation_id":"${id}","article_url":"https://www.washingtonpost.com/news/${r.pick(TOPICS)}/wp/2018/0${r.int(1, 9)}/${r.int(10, 28)}/${r.uuid().slice(0, 8)}/",` +
      `"config":"${r.pick(['A', 'B', 'C', 'D'])}","conversation_rating":{"agent_1":"${r.weighted(RATINGS)}"${rating2}}}\n`;
    const nm = Buffer.byteLength(text), nc = Buffer.byteLength(conv);
    if (!budget.fits(nm + nc)) break;
    messages.put(text, turns); // both fit: checked together above
    conversations.put(conv);
    for (const s of counted) perSentiment[s] = (perSentiment[s] ?? 0) + 1;
    negThenPos += np; afterNeg += an;
    if (messages.full) await messages.flush();
    if (conversations.full) await conversations.flush();
  }
  const files = await out.close();
  return { files, totals: { perSentiment, repliesToNegative: afterNeg, positiveRepliesToNegative: negThenPos } };
};

/** As in examples/topical-chat's negative_then_positive report. */
export const NEGATIVE: ReadonlySet<string> = new Set(['Sad', 'Angry', 'Disgusted', 'Fearful']);
export const POSITIVE: ReadonlySet<string> = new Set(['Happy', 'Surprised', 'Curious to dive deeper']);
