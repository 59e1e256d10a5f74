import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { eld } from 'eld/small';
import { afterAll, describe, expect, it } from 'vitest';
import { builtDetector, eldFiles, eldKey, eldParts, ngramScores, packNgrams, readNgramsTable, tableScorer, type NgramsData } from '../src/detect/eld-table';

const files = eldFiles()!;
const { ngramsData } = (await import(pathToFileURL(files.data).href)) as { ngramsData: NgramsData };
const key = eldKey(files);
const table = packNgrams(ngramsData, key);
const dir = mkdtempSync(join(tmpdir(), 'kairos-eld-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Written for this test: posts as fans write them, in the languages and scripts eld knows and some it does not,
// with what its text cleanup removes (links, addresses, codes), emoji, and texts past its 1,000-character cut.
const TEXTS = [
  'Where is my suitcase, I have been waiting three hours at the belt',
  'Waar is mijn koffer gebleven, ik wacht al drie uur bij de band',
  'Vuelo a Boston con retraso de dos horas, no hay nadie en el mostrador para ayudar',
  'Mon vol pour Lyon est annulé et personne ne répond au téléphone depuis ce matin',
  'Mein Flug nach München wurde gestrichen, und niemand hilft uns am Schalter weiter',
  'Il mio volo per Roma è in ritardo di tre ore, che disastro questa compagnia',
  'O meu voo para Lisboa foi cancelado e ninguém me explica o que aconteceu',
  'Uçağım üç saat rötarlı ve kimse bir açıklama yapmıyor, çok üzgünüm',
  'Mój lot do Krakowa jest opóźniony o dwie godziny, gdzie jest obsługa?',
  'Min flyg till Stockholm är försenat och ingen svarar i telefonen',
  'Flyet mitt til Oslo er kansellert og ingen svarer på telefonen',
  'Mit fly til København er aflyst, og ingen tager telefonen',
  'Lentoni Helsinkiin on myöhässä kolme tuntia eikä kukaan vastaa',
  'Zborul meu spre București a fost anulat și nimeni nu răspunde',
  'Penerbangan saya ke Jakarta ditunda tiga jam tanpa penjelasan',
  'Ang flight ko papuntang Maynila ay naantala ng tatlong oras',
  'Мой рейс в Москву задержан на три часа, никто ничего не объясняет',
  'Мій рейс до Києва затримано на три години, ніхто нічого не пояснює',
  'Полетът ми за София е отменен и никой не отговаря на телефона',
  'Η πτήση μου για την Αθήνα καθυστερεί τρεις ώρες και κανείς δεν απαντά',
  'رحلتي إلى دبي متأخرة ثلاث ساعات ولا أحد يجيب على الهاتف',
  'הטיסה שלי לתל אביב מתעכבת שלוש שעות ואף אחד לא עונה',
  'मेरी दिल्ली की उड़ान तीन घंटे देर से है और कोई जवाब नहीं दे रहा',
  '我的航班延误了三个小时，没有人给我们任何解释',
  '東京行きの便が三時間遅れていますが、誰も説明してくれません',
  '서울행 비행기가 세 시간 지연되었는데 아무도 설명해 주지 않아요',
  'เที่ยวบินของฉันไปกรุงเทพล่าช้าสามชั่วโมง',
  'Chuyến bay của tôi đến Hà Nội bị hoãn ba tiếng mà không ai giải thích',
  'Ni fi kọja wakati mẹta ti ọkọ ofurufu mi ti pẹ',
  'Nire hegaldia hiru ordu atzeratu da eta inork ez du ezer esaten',
  'El meu vol cap a Barcelona s’ha cancel·lat i ningú no respon',
  'Let do Prahy má zpoždění tři hodiny a nikdo nic neříká',
  'A budapesti járatom három órát késik, és senki sem válaszol',
  'Mano skrydis į Vilnių vėluoja tris valandas ir niekas neatsako',
  'Check https://example.com/status?id=123 and mail me at fan@example.org, code AB12CD, flight 4521 😡😡',
  '@SomeAirline #fail #delayed ✈️✈️ 🙃 lol',
  'ok',
  '😂😂😂',
  '',
  '     ',
  'KLM KL1234 AMS-JFK 12:45 gate D7',
  'Great crew on the flight home, thank you so much! Bedankt voor alles, echt top 🙏',
  'koffer kwijt',
  // Words past eld's 70 bytes, whose last n-gram runs to the word's end.
  'thisisthelongestwordieverwroteinatweetaboutmyflightfromamsterdamtonewyorkcity and then some',
  'достопримечательностиавиакомпанииаэропортшереметьево задержка',
  'bag lost?',
  `${'Long story about my trip, the lounge, the seats and the food. '.repeat(25)}Mais à la fin tout allait bien.`,
  `${'ääääöööüüü ßßß '.repeat(40)}`,
  'Ẓ̴̡͓̈a̷̛͔l̸̨̈́g̶̙̈ő̷̝ text with combining marks and \u0000 a nul, \uD83D a lone surrogate',
];

/** eld's answer, all of it that can be read off a result. */
const answer = (detector: { detect(text: string): { language: string; isReliable(): boolean; getScores(): Record<string, number> } }, text: string) => {
  const r = detector.detect(text);
  return { language: r.language, reliable: r.isReliable(), scores: r.getScores() };
};

describe("eld's n-gram data as a table", () => {
  it('answers every n-gram of the data as the data does, and no other', () => {
    const read = readNgramsTable(table)!;
    expect(read.key).toBe(key);
    expect(read.type).toBe(ngramsData.type);
    expect(read.languages).toEqual(ngramsData.languages);
    const grams = Object.keys(ngramsData.ngrams);
    expect(grams.length).toBeGreaterThan(50_000);
    const differ = grams.filter((gram) => JSON.stringify(ngramScores(read, gram)) !== JSON.stringify(ngramsData.ngrams[gram]));
    expect(differ).toEqual([]);
    // Strings the data has no n-gram for: of every length, too long, beyond a byte.
    const absent = ['qqqqqq', 'zxq', 'a', '', 'toolongforany', 'ab€d', ' xq7 ', 'Lé4Lé4L'].filter((gram) => !Object.hasOwn(ngramsData.ngrams, gram));
    expect(absent.length).toBeGreaterThanOrEqual(6);
    for (const gram of absent) expect(ngramScores(read, gram)).toBeUndefined();
  });

  it("answers as eld's own module, with and without its text cleanup", async () => {
    const mine = tableScorer(readNgramsTable(table)!, await eldParts(files));
    for (const cleanup of [true, false]) {
      mine.enableTextCleanup(cleanup);
      eld.enableTextCleanup(cleanup);
      for (const text of TEXTS) expect({ text, ...answer(mine, text) }).toEqual({ text, ...answer(eld, text) });
    }
    eld.enableTextCleanup(false);
    // The texts reach many languages: the comparison is not of one answer over and over.
    expect(new Set(TEXTS.map((t) => answer(mine, t).language)).size).toBeGreaterThan(25);
  });

  it('is used only when it was built from the installed eld, and only when whole', async () => {
    const right = join(dir, 'right.bin');
    writeFileSync(right, table);
    const detector = await builtDetector(pathToFileURL(right));
    expect(detector?.detect(TEXTS[2]!).language).toBe('es');
    const other = join(dir, 'other.bin');
    writeFileSync(other, packNgrams(ngramsData, 'another eld'));
    expect(await builtDetector(pathToFileURL(other))).toBeUndefined();
    const cut = join(dir, 'cut.bin');
    writeFileSync(cut, table.subarray(0, table.length - 2));
    expect(await builtDetector(pathToFileURL(cut))).toBeUndefined();
    expect(await builtDetector(pathToFileURL(join(dir, 'absent.bin')))).toBeUndefined();
    expect(readNgramsTable(Buffer.alloc(2))).toBeUndefined();
  });

  it('refuses data that does not fit a table, saying which n-gram', () => {
    const data = (ngrams: NgramsData['ngrams']): NgramsData => ({ type: 't', languages: { 0: 'en' }, ngrams });
    expect(() => packNgrams(data({ abcdefg: { 0: 60 } }), 'k')).toThrow(/"abcdefg" does not fit/);
    expect(() => packNgrams(data({ ' ab€ ': { 0: 60 } }), 'k')).toThrow(/does not fit/);
    expect(() => packNgrams(data({ ' abc ': { 0: 300 } }), 'k')).toThrow(/beyond a byte/);
    expect(ngramScores(readNgramsTable(packNgrams(data({ ' abc ': { 0: 60 } }), 'k'))!, ' abc ')).toEqual({ 0: 60 });
  });
});
