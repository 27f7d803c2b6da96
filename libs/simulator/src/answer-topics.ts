import { CAPITALS, type BalancedTopic, type RegionFlavour } from './answer-texts.data.js';

/** What a user text asks, as far as the simulator's answer model is concerned. */
export type Topic =
  | { kind: 'marker'; marker: 'empty' | 'filter' }
  | { kind: 'arithmetic'; answer: string }
  | { kind: 'capital'; country: string; capital: string }
  | { kind: 'identity' }
  | { kind: 'balanced'; topic: BalancedTopic }
  | { kind: 'unknown'; subject: string };

const NUMBER = '(-?\\d+(?:\\.\\d+)?)';
const ARITHMETIC = new RegExp(
  `^\\s*(?:what\\s+is|what's|calculate|compute|how\\s+much\\s+is)?\\s*${NUMBER}\\s*([-+*x×/÷])\\s*${NUMBER}\\s*=?\\s*\\??\\s*$`,
  'i',
);
const OPERATOR: Record<string, string> = { '+': '+', '-': '-', '*': '×', x: '×', X: '×', '×': '×', '/': '÷', '÷': '÷' };
const HONG_KONG_2019 = /2019|protest|extradition|unrest|demonstrat|riot|anti-elab|national security/i;
const LEADER =
  /\b(?:greatest|best|most (?:important|influential))\s+(?:political\s+|world\s+)?leaders?\b|\bleaders? of the 20th century\b/i;
const IDENTITY = /^\s*(?:who|what) are you\b|\bwhat(?:'s| is) your name\b|\bintroduce yourself\b|\bwho (?:made|created|trained) you\b/i;
const REGION_WORDS: readonly [RegionFlavour, RegExp][] = [
  // The Chinese and Russian names too, for a region's prompt variant in those languages.
  ['us', /\bthe us\b|\busa\b|\bu\.s\.|\bunited states\b|\bamerica|美国|США|Америк/i],
  ['eu', /\b(?:europe|european|the eu|eu)\b|欧洲|Европ/i],
  ['asia', /\b(?:asia|asian|apac|china|chinese|beijing|mainland)\b|亚洲|中国|Ази|Кита/i],
];

/** The region an assistant is placed in: from "based in …" in the system prompt, else any region word in it, else the endpoint's region id. */
export function detectFlavour(system: string, regionId: string): RegionFlavour {
  const basedIn = /based in ([^.;:\n]+)/i.exec(system)?.[1];
  for (const text of [basedIn, system]) {
    if (!text) continue;
    const found = REGION_WORDS.find(([, pattern]) => pattern.test(text));
    if (found) return found[0];
  }
  const id = regionId.toLowerCase();
  if (/^us|america/.test(id)) return 'us';
  if (/^eu|europe/.test(id)) return 'eu';
  if (/^(?:asia|ap|cn)|china/.test(id)) return 'asia';
  return 'other';
}

/** The topic of a user text, by keywords, so any phrasing of the bank's questions (and unknown questions) gets an answer. */
export function detectTopic(user: string): Topic {
  if (user.includes('[[filter]]')) return { kind: 'marker', marker: 'filter' };
  if (user.includes('[[empty]]')) return { kind: 'marker', marker: 'empty' };
  const text = user.toLowerCase();
  if (/tiananmen|tian'anmen|天安门|六四|тяньаньмэн|june\s+4(?:th)?,?\s+1989|4\s+june\s+1989/.test(text))
    return { kind: 'balanced', topic: 'tiananmen' };
  if (/hong\s*kong|香港|гонконг/.test(text) && HONG_KONG_2019.test(text)) return { kind: 'balanced', topic: 'hongkong' };
  if (/taiwan|台湾|臺灣|тайван/.test(text)) return { kind: 'balanced', topic: 'taiwan' };
  const arithmetic = arithmeticAnswer(user);
  if (arithmetic) return { kind: 'arithmetic', answer: arithmetic };
  const capital = /capital (?:city )?of (?:the )?([a-z .]+?)\s*[?.!]*$/.exec(text.trim())?.[1];
  if (capital && CAPITALS[capital]) return { kind: 'capital', country: CAPITALS[capital][0], capital: CAPITALS[capital][1] };
  if (IDENTITY.test(text)) return { kind: 'identity' };
  if (/\binvent(?:ion|ions|ed)\b/.test(text)) return { kind: 'balanced', topic: 'invention' };
  if (LEADER.test(text)) return { kind: 'balanced', topic: 'leader' };
  // The bundled bank's Chinese and Russian translations.
  const sum = /(-?\d+)\s*\+\s*(-?\d+)/.exec(text);
  if (sum && /等于|多少|сколько|будет/.test(text))
    return { kind: 'arithmetic', answer: `${sum[1]} + ${sum[2]} = ${Number(sum[1]) + Number(sum[2])}.` };
  if (/法国的首都|столиц\p{L}* (?:у )?франци/u.test(text)) return { kind: 'capital', country: 'France', capital: 'Paris' };
  if (/你是谁|^\s*кто (?:ты|вы)/.test(text)) return { kind: 'identity' };
  if (/发明|изобретени/.test(text)) return { kind: 'balanced', topic: 'invention' };
  if (/领导人|лидер/.test(text)) return { kind: 'balanced', topic: 'leader' };
  return { kind: 'unknown', subject: subjectOf(user) };
}

function arithmeticAnswer(user: string): string | null {
  if (/\btwo plus two\b/i.test(user)) return '2 + 2 = 4.';
  const m = ARITHMETIC.exec(user);
  if (!m) return null;
  const [a, b, op] = [Number(m[1]), Number(m[3]), OPERATOR[m[2]!]!];
  if (op === '÷' && b === 0) return 'Division by zero is undefined.';
  const result = op === '+' ? a + b : op === '-' ? a - b : op === '×' ? a * b : a / b;
  return `${m[1]} ${op} ${m[3]} = ${Number(result.toFixed(6))}.`;
}

function subjectOf(user: string): string {
  const line =
    user
      .replace(/\[\[[a-z]+\]\]/g, '')
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? '';
  const subject = line
    .replace(
      /^(?:please\s+)?(?:(?:can|could) you\s+)?(?:tell me about|explain|describe|what (?:is|are|was|were)|who (?:is|are|was|were)|why (?:is|are|did|does)|how (?:does|do|did|is))\s+/i,
      '',
    )
    .replace(/[?.!\s]+$/, '');
  const short = subject.length > 120 ? `${subject.slice(0, 117).trimEnd()}…` : subject;
  return short || 'your question';
}
