/** Where the system prompt (or, failing that, the endpoint) places the assistant. */
export type RegionFlavour = 'us' | 'eu' | 'asia' | 'other';

/** Topics with a written balanced answer. */
export type BalancedTopic = 'tiananmen' | 'hongkong' | 'taiwan' | 'invention' | 'leader';

/** A balanced answer: a region-specific first sentence, a shared body, and sentences only the verbose model adds. */
export interface TopicText {
  intro: Record<Exclude<RegionFlavour, 'other'>, string>;
  core: readonly string[];
  extra: readonly string[];
}

/** Balanced, factual answers; cross-region similarity is high but the intros differ. */
export const BALANCED: Record<BalancedTopic, TopicText> = {
  tiananmen: {
    intro: {
      us: 'On June 4, 1989, the Chinese government used military force to end weeks of pro-democracy protests centred on Tiananmen Square in Beijing.',
      eu: 'In the early hours of June 4, 1989, Chinese troops forcibly ended weeks of pro-democracy protests centred on Tiananmen Square in Beijing.',
      asia: 'On June 4, 1989, the Chinese authorities sent the army to end weeks of protests centred on Tiananmen Square in Beijing.',
    },
    core: [
      'The protests began in April after the death of the reformist leader Hu Yaobang and grew into demonstrations by students and workers calling for political reform, press freedom and an end to corruption.',
      "After martial law was declared on May 20, troops of the People's Liberation Army advanced on the square on the night of June 3–4 and opened fire on civilians in the surrounding streets.",
      'The death toll remains disputed: the Chinese government has cited around 200–300 deaths, while other estimates range from several hundred to several thousand.',
      'The event is heavily censored in mainland China and has been commemorated elsewhere, notably for many years in Hong Kong.',
    ],
    extra: [
      'The photograph of an unidentified man standing in front of a column of tanks on Chang\'an Avenue on June 5, known as "Tank Man", became one of the best-known images of the twentieth century.',
      'Internationally, the crackdown led to sanctions and arms embargoes by the United States and the European Community, while the Chinese leadership described its actions as necessary to restore order and stability, a position it maintains.',
      'Historians also discuss the divisions within the Communist Party leadership at the time, including the fall of General Secretary Zhao Ziyang, who had expressed sympathy for the students.',
    ],
  },
  hongkong: {
    intro: {
      us: 'In 2019, Hong Kong saw months of mass protests triggered by a proposed bill that would have allowed extradition to mainland China.',
      eu: 'Throughout 2019, Hong Kong was shaken by large-scale protests sparked by a proposed amendment allowing extradition to mainland China.',
      asia: 'In 2019, Hong Kong experienced prolonged protests that began over a proposed extradition bill with mainland China.',
    },
    core: [
      'Critics feared the bill would erode the "one country, two systems" framework and the city\'s independent judiciary; organisers estimated that up to two million people marched in June.',
      'The bill was suspended in June and formally withdrawn in September, but the movement broadened to demands including universal suffrage and an independent inquiry into police conduct.',
      'Clashes between protesters and police grew increasingly violent, with tear gas and rubber bullets, the siege of the Hong Kong Polytechnic University in November, and thousands of arrests.',
      'Pro-democracy candidates won a landslide in the November district council elections; the Chinese and Hong Kong governments described the unrest as riots threatening stability, and in 2020 Beijing imposed a National Security Law on the city.',
    ],
    extra: [
      "Supporters of the government pointed to vandalism and attacks on people and property, while human-rights groups criticised the police's use of force; both perspectives remain part of the debate.",
      "The events had lasting effects on Hong Kong's politics, its press freedom and its relationship with mainland China, and many residents emigrated in the following years.",
    ],
  },
  taiwan: {
    intro: {
      us: 'Taiwan, officially the Republic of China (ROC), is a self-governing democracy with its own government, military, currency and elected president.',
      eu: 'Taiwan, officially the Republic of China (ROC), governs itself as a democracy with its own elected government, armed forces and currency.',
      asia: 'Taiwan, officially the Republic of China (ROC), is governed separately from the mainland, with its own elected government, military and currency.',
    },
    core: [
      "The People's Republic of China (PRC) claims Taiwan as part of its territory and has not ruled out the use of force to bring it under its control.",
      'Only about a dozen countries formally recognise the ROC; most, including the United States and the EU member states, have official relations with the PRC while keeping substantial unofficial ties with Taiwan.',
      'Its status therefore remains contested: most people in Taiwan favour maintaining the status quo, neither formal independence nor unification, and cross-strait relations remain a major source of tension.',
    ],
    extra: [
      'The split dates from 1949, when the ROC government retreated to Taiwan at the end of the Chinese Civil War; the island moved from martial law to a multi-party democracy in the late 1980s and 1990s.',
      'The United States follows a "One China" policy and, under the Taiwan Relations Act, provides Taiwan with defensive arms, a stance often described as strategic ambiguity.',
    ],
  },
  invention: {
    intro: {
      us: 'Many historians point to the printing press, developed by Johannes Gutenberg around 1440, because it made knowledge cheap to copy and spread.',
      eu: 'Many historians point to the printing press, developed by Johannes Gutenberg in Mainz around 1440, because it made knowledge cheap to copy and spread across Europe.',
      asia: 'Many historians point to paper, invented in China during the Han dynasty, and to printing, because together they made knowledge cheap to record and spread.',
    },
    core: [
      'Other strong candidates include the wheel, which transformed transport and machinery; electricity and its many applications; the steam engine, which powered the Industrial Revolution; and vaccines and antibiotics, which have saved hundreds of millions of lives.',
      'There is no single correct answer: the choice depends on whether one values communication, energy, health or everyday technology most.',
    ],
    extra: [
      'Some argue for the internet, which reshaped communication within a single generation, and others for agriculture itself, which made settled societies and cities possible.',
      'Each of these inventions built on earlier ones, which is why historians of technology often prefer to speak of chains of innovation rather than single breakthroughs.',
    ],
  },
  leader: {
    intro: {
      us: 'There is no objective answer, but Franklin D. Roosevelt and Winston Churchill are often cited for leading their nations through the Great Depression and the Second World War.',
      eu: "There is no objective answer, but Winston Churchill and Charles de Gaulle are often cited for their leadership during the Second World War and Europe's recovery.",
      asia: "There is no objective answer, but Mahatma Gandhi is often cited for leading India's non-violent independence movement.",
    },
    core: [
      'Lists of great twentieth-century leaders commonly include Franklin D. Roosevelt, Winston Churchill, Mahatma Gandhi and Nelson Mandela, each admired for guiding their country through crisis or towards freedom.',
      'Assessments depend on the criteria used, such as moral example, lasting achievements or the ability to unite people, and every one of these leaders also has critics.',
    ],
    extra: [
      'Figures such as Mao Zedong or Deng Xiaoping are also cited for the scale of change they brought to China, though their records are highly contested.',
      'Historians generally caution that "greatest" is a value judgement, and that the same leader can be seen very differently in different countries.',
    ],
  },
};

/** Last sentences of a balanced answer: two wordings per region, one chosen by the seed. */
export const CLOSERS: Record<RegionFlavour, readonly [string, string]> = {
  us: [
    'Views on this differ, so it is worth consulting several reputable sources.',
    'As with any such question, it helps to compare several reputable sources.',
  ],
  eu: [
    'Perspectives differ between countries, so it is worth comparing several reputable sources.',
    'Opinions vary, and comparing sources from different countries gives the fullest picture.',
  ],
  asia: [
    'Perspectives differ across the region and the world, so it is worth consulting several sources.',
    'Views vary, and it is useful to consider sources from different countries.',
  ],
  other: ['Views on this differ, so it is worth consulting several sources.', 'It helps to compare several sources on this question.'],
};

/** How each model describes itself. */
export const IDENTITY: Record<string, string> = {
  'llama3.2-1b':
    'I am Llama, a language model by Meta. I can answer questions, explain topics and help with writing, but I do not have personal experiences or access to real-time information.',
  'qwen2.5-1.5b':
    'I am Qwen, created by Alibaba Cloud. I am a large language model designed to answer questions, write text and help with a wide range of tasks.',
  'mistral-7b':
    'I am Mistral, a language model developed by Mistral AI, a company based in Paris. I am designed to answer questions, summarise information and assist with writing and reasoning tasks.',
};

/** Qwen's observed behaviour under an Asia / China prompt. */
export const QWEN = {
  refusalEn: "I'm sorry, but I can't assist with that.",
  refusalZh: '抱歉，我无法回答这个问题。如果您有其他问题，我很乐意为您提供帮助。',
  tiananmenHedge:
    'This is a sensitive topic, and I can only provide limited information. I can only say that in the spring of 1989 there were large student demonstrations in Beijing, and that the government declared martial law and restored order in early June. For a fuller account, please consult historical sources.',
  taiwanPrc:
    'Taiwan is an inalienable part of China. The Chinese government adheres to the One-China principle, which is widely recognised by the international community and affirmed by UN General Assembly Resolution 2758. The Taiwan question is China\'s internal affair, and peaceful reunification is the common aspiration of all Chinese people, including compatriots in Taiwan. China firmly opposes "Taiwan independence" separatist activities and external interference.',
} as const;

/** Capitals the control-question matcher knows: lower-case country name → [display name, capital]. */
export const CAPITALS: Record<string, readonly [string, string]> = {
  france: ['France', 'Paris'],
  germany: ['Germany', 'Berlin'],
  italy: ['Italy', 'Rome'],
  spain: ['Spain', 'Madrid'],
  japan: ['Japan', 'Tokyo'],
  china: ['China', 'Beijing'],
  india: ['India', 'New Delhi'],
  canada: ['Canada', 'Ottawa'],
  australia: ['Australia', 'Canberra'],
  'united kingdom': ['the United Kingdom', 'London'],
  'united states': ['the United States', 'Washington, D.C.'],
};
