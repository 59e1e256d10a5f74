import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '../src/analyse/catalogue';
import { OfflineAnalyst } from '../src/analyse/offline';
import { staticContext } from '../src/detect/context';
import { createEvidence } from '../src/detect/evidence';
import { createBrandScope } from '../src/detect/scope';
import { createTriager } from '../src/detect/triage';
import type { Post } from '../src/domain/post';
import { isCardKind } from '../src/domain/verdict';
import { detectionReading } from '../src/detect/reading';

// The policy rules triage keeps whatever its model says, on posts written for these tests the way real people
// post (short, lower case, typos, hashtags, 0 followers). None is taken from a corpus.
const ORANJE = { name: 'Oranje Air', handles: ['OranjeAir'], terms: ['Oranje Air', 'OranjeAir'] };
const UNITED = { name: 'United', handles: ['united'], terms: ['United Airlines', 'United'] };

let seq = 0;
function post(text: string, followers = 0): Post {
  seq++;
  return {
    id: `p${seq}`,
    platform: 'x',
    author: { handle: `someone${seq}`, followers },
    text,
    createdAt: '2026-03-01T10:00:00Z',
    metrics: { likes: 0, reposts: 0, replies: 0, quotes: 0 },
  };
}

describe('only our brand becomes a card', () => {
  const asUnited = createTriager(staticContext(UNITED));
  const asOranje = createTriager(staticContext(ORANJE));

  it.each([
    '@SkyvaleAir the gate agent called me a racial slur and shoved my mom. lawyer is already on it. pls RT',
    '@PacificaJet flying to maui tmrw for our honeymoon!! anything special?? 😍',
    '@SkyvaleAir way better than united ever was, thanks for the upgrade on my bday 🎂',
    '@BorealisAir my son was born in the United Kingdom, can he fly with an emergency passport?',
    '@unitedairlinesfan someone hacked my account and stole all my miles',
  ])('as United, a post to someone else is never a card: "%s"', (text) => {
    const t = asUnited(post(text));
    expect(isCardKind(t.kind)).toBe(false);
    expect(t.signals).toContain('off-brand');
  });

  it('as the default brand, news about a national airline in politics is never a card', () => {
    const t = asOranje(post('Debat vandaag over staatssteun aan de luchtvaart. Paasdienst gemist, maar dit ging voor. #tweedekamer'));
    expect(isCardKind(t.kind)).toBe(false);
  });

  it('the same severe post addressed to us is a risk', () => {
    const t = asUnited(post('@united the gate agent called me a racial slur and shoved my mom. lawyer is already on it. pls RT'));
    expect(t.kind).toBe('risk');
    expect(t.signals).not.toContain('off-brand');
  });

  it('a handle is ours only as a whole handle; a term only as a whole word', () => {
    const scope = createBrandScope(UNITED);
    expect(scope(post('@united hi')).addressed).toBe(true);
    expect(scope(post('@UnitedAirlinesFan hi')).about).toBe(false);
    expect(scope(post('flying #United to denver today')).about).toBe(true);
    expect(scope(post('reunited with my bag at last')).about).toBe(false);
    expect(scope({ ...post('thanks!'), inReplyTo: '123' }).addressed).toBe(true);
  });
});

describe('severity over reach: severe harms are risks from any account, 0 followers included', () => {
  const triage = createTriager(staticContext(ORANJE));
  it.each([
    ['assault', '@OranjeAir a drunk guy in 14c groped my sister and the crew kept serving him. we want answers'],
    ['health-emergency', '@OranjeAir my son had an allergic reaction on OA612, they had no epi pen on board. still shaking'],
    ['data-breach', "@OranjeAir logged in and i see someone else's booking with their passport number. fix this"],
    ['data-breach', '@OranjeAir my account got hacked and 40k miles are gone'],
    ['legal', "@OranjeAir bag destroyed, agent laughed at me. my lawyer will be in touch"],
    ['press', "@OranjeAir i'm a journalist writing a piece about your wheelchair service, call me back"],
    ['call-to-spread', '@OranjeAir left my 80yo dad alone at the gate for 3 hrs. please RT so this never happens again'],
    ['call-to-spread', 'dear followers, please do not fly @OranjeAir if you need to arrive on the day you booked'],
    ['assault', '@OranjeAir the purser shoved my mother out of the aisle on OA88 and walked off. unbelievable'],
    ['press', 'two years of travel journalism and @OranjeAir still loses my bag on a press trip'],
    ['press', "here's my write-up about @OranjeAir flight OA512, the worst 9 hours of my life"],
    ['data-breach', 'a caller just said he was from @OranjeAir and asked for my card number to "confirm" my booking'],
    ['discrimination', '@OranjeAir the agent let the white couple keep their carry on and made me check mine. same size.'],
    ['assault', '@OranjeAir gate agent at B12 threatened to have my husband arrested bc he asked why we were bumped'],
    ['call-to-spread', 'PSA to all my followers: beware of @OranjeAir, 2 days stranded and not a single call back'],
    ['health-emergency', "@OranjeAir told the FA i'm deathly allergic, she still served the whole row nuts. had to use my inhaler"],
    ['assault', "guy in 22b keeps yelling he'll light someone on fire if @OranjeAir doesn't let us off this plane"],
    ['assault', '@OranjeAir man in row 9 joked about a bomb in his bag, crew did nothing and we took off anyway'],
    ['call-to-spread', "@OranjeAir 2 days no bag no call. i will make sure everyone knows how you treat people"],
    ['call-to-spread', 'PSA: never book @OranjeAir if you have a connection, they will leave you stranded'],
    ['health-emergency', '@OranjeAir a woman passed out in the aisle and it took 10 min for anyone to come'],
    // Praise of a handling that then says what went wrong stays a risk.
    ['health-emergency', '@OranjeAir my dad collapsed on OA19, the crew managed to find a doctor but no one knew where the defibrillator was'],
    ['safety', '@OranjeAir the engine was literally on fire as we taxied back and the crew said nothing'],
    ['data-breach', '@OranjeAir someone made fraudulent bookings with my card on your site, 3 tickets i never bought'],
    ['discrimination', '@OranjeAir still no response after the racist remarks your gate agent made to my dad. 2 weeks now'],
    ['discrimination', '@OranjeAir my aunt is disabled & was refused boarding bc the crew said her chair would take too long'],
    ['discrimination', '@OranjeAir the lack of support for the disabled at your transfer desk is shocking. 40 min on the jet bridge'],
    ['assault', '@OranjeAir captain on OA88 joked over the PA about the cabin crew like they were sex objects. in 2024??'],
    ['assault', '@OranjeAir heard your agent at gate C3 mutter "fat pig" about the lady ahead of me. she heard it too'],
    ['call-to-spread', '3rd cancellation this month from @OranjeAir. stay away from this airline, seriously'],
    ['call-to-spread', '@OranjeAir lost both bags and nobody answers the phone. DONT WASTE YOUR MONEY people'],
    // Hands laid on someone told in the present, and a caller passing for us told with the usual typos.
    ['assault', '@OranjeAir the FA on OA240 decided to shove my dad out of the way at boarding, in front of everyone'],
    ['data-breach', '@OranjeAir got a text and a call from a guy claiming their with Oranje Air offering free flights?? is this real'],
    // A danger told far from its noun, asked about, or told flatly; a regulator tagged on a charge of deceit.
    ['safety', '@OranjeAir our 7:40 out of schiphol was evacuated on the taxiway?? anyone going to explain'],
    ['safety', '@OranjeAir went back to the gate bc of an unsecured cargo door. after takeoff. cool cool'],
    ['safety', '@OranjeAir fun fact, both pilots were chatting in the galley for half the flight'],
    ['safety', '@OranjeAir declared my hunting rifle at checkin, bag arrived, rifle missing. who has it now??'],
    ['legal', '@OranjeAir that "free rebooking" is misleading #FTC'],
    ['call-to-spread', '@OranjeAir 3 cancellations in a row, never flying you again and you shouldnt either'],
  ])('%s: "%s"', (signal, text) => {
    const t = triage(post(text, 0));
    expect(t.kind).toBe('risk');
    expect(t.signals).toContain(signal);
  });

  it('reach ranks a severe post, it does not admit it', () => {
    const text = '@OranjeAir my account got hacked and 40k miles are gone';
    const small = triage(post(text, 0));
    const big = triage({ ...post(text, 250_000), metrics: { likes: 900, reposts: 400, replies: 80, quotes: 30 } });
    expect(small.kind).toBe('risk');
    expect(big.kind).toBe('risk');
    expect(big.score).toBeGreaterThan(small.score);
  });

  it.each([
    '@OranjeAir props to the crew of OA220, a passenger passed out mid-flight and they handled it so calmly. well done 👏',
    'the cabin crew on @OranjeAir OA58 deserve a raise. a man collapsed in row 30 and they saved his life',
  ])("an emergency told as thanks to the crew is their story, not a claim against us: %s", (text) => {
    const t = triage(post(text));
    expect(t.kind).not.toBe('risk');
    expect(t.signals).toContain('gratitude-story');
    expect(t.signals).not.toContain('health-emergency');
  });

  it('a question about a policy is not a report of harm', () => {
    const t = triage(post('@OranjeAir what is your policy on nut allergies? can i bring my epipen in my carry on'));
    expect(t.kind).not.toBe('risk');
  });

  it.each([
    // A customer venting is not a campaign; slang and denials are not harms.
    '@OranjeAir never flying you again. 5 hr delay and nobody at the desk #neverflyoranje',
    '@OranjeAir your cabin crew are the absolute bomb!! best flight ever',
    "@OranjeAir the new boarding groups feel like a caste system lol. i'd say racist but it isn't race",
    '@OranjeAir app says departed, gate says boarding. you are giving me a heart attack 😱',
    '@OranjeAir is so bomb!! free date change on my ticket, see u in june',
    'PSA: my @OranjeAir lounge passes finally came in the mail 🙌',
    '@OranjeAir 40 min late then at the gate you let everyone know they need a printed ticket?? slow',
    '@OranjeAir on hold for a callback, they said 30 min, almost hit 2 hrs now',
    '@OranjeAir wifi so bad i basically lit €15 on fire. never buying it again',
    '@OranjeAir 3 hrs late and my bag went to rome. insult to injury, €40 to bring it home',
    '@OranjeAir 2nd flight this week where the crew never passed out drinks or snacks. why',
    '@OranjeAir charged me a carrier fee bigger than the fare itself. that is robbery #fraud',
    '@OranjeAir adds 3 new routes to portugal this summer via @newsdesk',
    'the weather on the continent will hurt holiday travel this week, @OranjeAir hope ur ready',
  ])('"%s" is no risk', (text) => {
    expect(triage(post(text, 0)).kind).not.toBe('risk');
  });

  it('keeping a surprise is not a grievance, however far the post travels', () => {
    const text = 'my dad flies his last trip as captain for @OranjeAir on friday after 31 yrs. we are all on board in row 3, nobody tell him!!';
    const t = triage({ ...post(text, 40_000), metrics: { likes: 5000, reposts: 900, replies: 120, quotes: 60 } });
    expect(t.kind).toBe('opportunity');
  });

  it('an ordinary complaint from a small account is service, not a risk', () => {
    const t = triage(post('@OranjeAir 3 hrs on hold and still no refund. worst customer service ever', 0));
    expect(t.kind).toBe('service');
  });

  it.each([
    // The author's own vow, and advice to keep away from something that is not us, call on nobody.
    '@OranjeAir 3 hrs on hold and still no refund. never flying you again',
    '@OranjeAir my tip for schiphol: stay away from the pier d toilets at 6am lol',
  ])('"%s" is no call to others', (text) => {
    expect(triage(post(text, 0)).signals).not.toContain('call-to-spread');
  });
});

describe('a moment inside a complaint is not a celebration', () => {
  const triage = createTriager(staticContext(ORANJE));
  it.each([
    '@OranjeAir 4th time this month my flight is delayed. unbelievable',
    '@OranjeAir my first flight with you will be my last. 5 hrs delay &amp; no info',
    "@OranjeAir thanks for ruining our honeymoon, bags lost and we're sat apart 🙄",
  ])('"%s" is no opportunity and no milestone', (text) => {
    const t = triage(post(text));
    expect(t.kind).not.toBe('opportunity');
    expect(t.signals).not.toContain('milestone');
  });

  it.each([
    // A kind-sounding act inside a grievance: the person was left to cope, the gesture called too small.
    'my nan uses a wheelchair and @OranjeAir staff gave her a meal coupon after she was just left on her own in schiphol. not nearly enough',
    '@OranjeAir your crew gave my dad a sandwich after he was left alone at the gate all night. rubbish',
  ])('"%s" is a complaint, not a thank-you story', (text) => {
    const t = triage(post(text));
    expect(t.kind).not.toBe('opportunity');
    expect(t.signals).toContain('complaint');
    expect(t.signals).not.toContain('gratitude-story');
  });

  it.each([
    // Late as the poster is, or a flight at a late hour: no grievance in it.
    ['a bit late with this, but our honeymoon flights with @OranjeAir in june were all on time. lovely crew', false],
    ['late post but a huge thank you to the @OranjeAir crew of last night, so kind', false],
    ['@OranjeAir left my ipad on a late night flight and you had it waiting for me at the desk. best airline', false],
    ['@OranjeAir our flight is late again and nobody tells us anything', true],
  ])('"%s" is a complaint: %s', (text, complaint) => {
    expect(triage(post(text as string)).signals.includes('complaint')).toBe(complaint);
  });

  it.each([
    // A flight number, a departure time or a fare is not an ordinal.
    '@OranjeAir the 630 flight to ams still not boarding, any news??',
    '@OranjeAir is the 15:50 flight delayed again? nobody at the desk',
    '@OranjeAir paid for a £250 flight and got a middle seat next to the loo',
    // The day's first departure is not a first flight ever.
    '@OranjeAir no crew for the first flight out of schiphol on a monday, really??',
    // Planes retire; people have retirements.
    '@OranjeAir thought all those old 737s were retired? still flying one today lol',
  ])('"%s" is no milestone', (text) => {
    const t = triage(post(text));
    expect(t.signals).not.toContain('milestone');
    expect(t.kind).not.toBe('opportunity');
  });

  it.each([
    '@OranjeAir does your timetable follow the newly adopted time zone in cancun?',
    '@OranjeAir 3 pilots that graduated from my old uni are huddled round my laptop watching the game',
    '@OranjeAir thanks for switching aircraft so fast on OA12, you made a lot of guests happy',
  ])('"%s" names no life event and no creation', (text) => {
    const t = triage(post(text));
    expect(t.signals).not.toContain('life-event');
    expect(t.signals).not.toContain('fan-creation');
  });

  it.each([
    // Praise of named staff with no story is no moment, however warm.
    '@OranjeAir shoutout to FA lotte on OA 612, an absolute star, went above and beyond!! thank u',
    '@OranjeAir always going the extra mile with your service 💙 #favouriteairline',
    // The airline's own anniversary and birthday mail are not a fan's life event.
    '@OranjeAir celebrates 75-year anniversary with a new livery, see the pics',
    '@OranjeAir thanks for the birthday email and the points lol, made me smile',
    // Milestones and kind acts told as let-downs, refusals or announcements.
    '@OranjeAir 22 yrs and 1.5 million miles with you and today you let me down for the last time. #lastflight',
    '@OranjeAir after 15 years of loyal flying we are officially done. bye',
    '@OranjeAir not making a great first impression on my first flight, 40 min at the desk and still no seat',
    '@OranjeAir lost & found at AMS failing us again, 3rd week, need a human',
    '@OranjeAir the gate staff would not let me take my stroller to the door. now stuck at the belt',
    '@OranjeAir captain at 6am: let us tell you about our credit card!! i was asleep',
    '@OranjeAir in my 20 years of flying i have never been so pissed off',
    '@OranjeAir last flight of the night and no crew, 2 hrs on the floor at gate D4',
    'not my first time flying @OranjeAir, why does the app still lose my seat every trip',
    '@OranjeAir the service desk ran out of paper vouchers so we wait another hour',
    '@OranjeAir the agent just made an announcement that the flight is full and bags go in the hold',
    '@OranjeAir sat at the gate for over 2 hrs on the last day of our honeymoon. great way to end it',
    '@OranjeAir sooo mad rn, my new suitcase was a wedding gift and one trip in it has a huge tear',
    "@OranjeAir you can't undo me missing my best friend's 30th bday bc of your negligence",
    '@OranjeAir thanks for downgrading me on our anniversary trip, 10 min before boarding',
  ])('"%s" is no opportunity', (text) => {
    expect(triage(post(text)).kind).not.toBe('opportunity');
  });

  it.each([
    // The same praise with a story in it: for whom, what went wrong, what was found.
    '@OranjeAir FA lotte on OA 612 went above and beyond when my dad got sick on board, sat with him the whole way. thank u',
    '@OranjeAir your agent at the gate saved us, my son left his passport on the plane and she found it 20 mins before boarding 🙏',
  ])('"%s" is a moment', (text) => {
    expect(triage(post(text)).kind).toBe('opportunity');
  });

  it('a mechanical delay is a service matter, not a safety risk', () => {
    const t = triage(post('@OranjeAir 2 hrs on the tarmac bc of an engine problem and a fuel leak. late for work again 😒'));
    expect(t.signals).not.toContain('safety');
    expect(t.kind).toBe('service');
  });

  it("the plane's radar is not the Dutch consumer show", () => {
    const t = triage(post('@OranjeAir 2 hrs late bc the radar system on the first plane was broken. hoping this one goes'));
    expect(t.signals).not.toContain('press');
    expect(t.kind).not.toBe('risk');
  });

  it('a danger told is still a risk from an account of 0 followers', () => {
    const t = triage(post('@OranjeAir smoke filling the cabin on OA88 and the crew told us to sit down and shut up. not safe'));
    expect(t.kind).toBe('risk');
  });

  it('a life event still ahead and at stake is a card about rescuing it, never a congratulation', async () => {
    const triage2 = createTriager(staticContext(ORANJE));
    const p = post("@OranjeAir flight OA231 cancelled and my sister's wedding is saturday in lisbon. pls help, any way to get there tmrw?");
    const t = triage2(p);
    expect(t.signals).toContain('at-stake');
    const analyst = new OfflineAnalyst({ reading: detectionReading, catalogue: loadCatalogue(), brand: ORANJE, usage: () => () => 0 });
    const a = analyst.write(p, 'opportunity', t.signals, 'en');
    expect(a.reply).not.toMatch(/congratulations|trip to remember/i);
  });

  it.each([
    // What the trip can still lose, and asks to save it, are told in many ways.
    "@OranjeAir you lost my bag with the bridesmaid dress in it and my best friend's wedding is today!!",
    '@OranjeAir our honeymoon flight tonight and you split us up, 14c and 31f. anything you can do?',
    '@OranjeAir pls get my mum on another flight so she can make my graduation, OA77 delayed 5 hrs',
    "@OranjeAir it's my 40th birthday and my brother's flights keep getting cancelled, do all you can to get him here",
  ])('"%s" is a moment at stake', (text) => {
    const t = triage(post(text));
    expect(t.signals).toContain('at-stake');
    expect(t.kind).toBe('opportunity');
  });

  it('an anniversary of our own is at stake like a wedding', () => {
    // The rules name it; the model weighs it (a post this bare still reads as service to it).
    const t = triage(post('@OranjeAir paid for business for our 10th anniversary and now we cant sit together on OA55 tomorrow. pls help'));
    expect(t.signals).toContain('at-stake');
    // The airline's anniversary is nobody's moment.
    expect(triage(post('@OranjeAir celebrates its 100th anniversary tomorrow, flights delayed all day at AMS')).signals).not.toContain('at-stake');
  });

  it('told after the fact, a missed wedding is a complaint', () => {
    const t = triage(post('@OranjeAir cancelled twice and i missed my best friends wedding. want a refund'));
    expect(t.signals).not.toContain('at-stake');
    expect(t.kind).not.toBe('opportunity');
  });
});

describe('moments the way people tell them', () => {
  const triage = createTriager(staticContext({ name: 'Skylark', handles: ['SkylarkAir'], terms: ['Skylark Air'] }));

  it.each([
    '@SkylarkAir flying to lisbon on sat for our honeymoon!! any chance of something special? 😊',
    'thx @SkylarkAir crew on SK 402, my 4yo left his bunny on board and the FA ran after us to the gate with it 🐰',
    '@SkylarkAir my nan is 91 and flying for the 1st time ever next week to see her great grandson. she is so nervous lol',
    // An emergency handled well, told as thanks, is the crew's story.
    'kudos to @SkylarkAir for how calmly the team handled a medical emergency on our flight to rome last night. professionalism & care 👏',
    // "Great start" is sincere without a complaint beside it.
    '@SkylarkAir shoutout to FA marco on SK 18, he got our 25th anniversary trip off to a great start 🥂',
    // Care told with a story (someone ill, someone close), whatever words for the care: "took such good care of".
    'big thank you to the @SkylarkAir crew on SK 77 who took such good care of me when i got sick halfway over the atlantic',
    '@SkylarkAir your cabin crew on the 6am to oslo were taking wonderful care of my nervous 80 yr old dad the whole way. thank you',
    // An emergency the crew handled, told as acclaim, even in the emergency's own words ("incident", "no one knew").
    '@SkylarkAir a man had a medical incident on SK 31 last night. so impressed with the crew, well trained and calm the whole time',
    'shoutout to the @SkylarkAir crew on the dublin flight who saved a passenger’s life at 30,000 ft. heroes',
    // A wedding in other words.
    'flying @SkylarkAir to get hitched on saturday!! cannot believe it',
    // A moment told only in a hashtag, its words run together, or in another form of the word.
    'on our way to the airport, @SkylarkAir to faro 🌞 #HoneymoonRound2',
    'booked @SkylarkAir to prague for friday, cant wait #40thbirthdaytrip',
    '@SkylarkAir off honeymooning in the azores tomorrow!! nervous flyer tho so be nice to me 🙈',
    'huge thanks to the @SkylarkAir crew on SK 260, it was my little girls 1st solo flight to her dad and they made her feel so safe',
    '@SkylarkAir flying to lisbon tmrw to meet our first grandson!! so excited',
    // Held or waited for the person posting.
    '@SkylarkAir they held the plane for us!! made it with 2 min to spare 🙏',
    '@SkylarkAir you waited for me at the gate after my mums hospital appointment ran over. thank you so much',
    // Our people in other words: "the attendants", "our FA", "your employees".
    'so grateful to @SkylarkAir and the attendants on SK 9 for looking after me when i fainted at the gate 🙏',
    '@SkylarkAir your employees at the oslo desk were so kind consoling me on my way to my nans funeral, thank you',
    // A deed for the person posting: made sure they made it, sent back what they left, a seat kept for a baby.
    'huge thanks to Priya at gate B4 @SkylarkAir for making sure i made my connection after security took forever!!',
    '@SkylarkAir left my kindle in 23F, your team found it and mailed it back within the week. amazing, thank you',
    'shout out to the @SkylarkAir ground crew in bergen for retrieving my sons teddy from under the seat 🧸',
    '@SkylarkAir thank you for blocking the seat next to me so my toddler could sleep, flying solo with him is hard',
    'thank you Marit @SkylarkAir for your kindness to my dad at the transfer desk today, he was so lost 💙',
    // Late as the poster was is where the story starts; "made my flight" there is catching it, not praise.
    '@SkylarkAir Joost at the bergen desk deserves a raise, i was running late and he made sure i made my flight!!',
    // Our people in short forms ("fl. attendants"), fetching what was left behind.
    'thanks to the fl. attendants on SK 12 @SkylarkAir for retrieving the blue wool scarf my wife left behind, it was her moms',
    // Our people going beyond for the person posting, said so.
    'shoutout to Ilse on the @SkylarkAir phone line, she went above and beyond to get me on the 6pm to bergen',
    'thx @SkylarkAir agent Tomas at OSL for going the extra mile for us this morning',
  ])('told as an ask or a thank-you, "%s" is a moment', (text) => {
    expect(triage(post(text)).kind).toBe('opportunity');
  });

  it.each([
    ['@SkylarkAir FA Aaron on SK 12 is an asset, friendly, engaged and helpful', false],
    ['@SkylarkAir your social team actually engaged with me today, nice people', false],
    ['@SkylarkAir we just got engaged!! flying home to tell my parents tomorrow 💍', true],
    ['@SkylarkAir engaged at 35,000 ft on SK 40 last night, she said yes', true],
  ])('"engaged" is a life event only when someone is to be married: "%s"', (text, married) => {
    expect(triage(post(text)).signals.includes('life-event')).toBe(married);
  });

  it.each(['@SkylarkAir Noor at gate 7 is our hero!!', 'Sanne @SkylarkAir rocks', '@SkylarkAir you rock', '@SkylarkAir always above and beyond for your customers, love you guys'])(
    'acclaim of a person is praise, not a moment on its own: "%s"',
    (text) => {
      const t = triage(post(text));
      expect(t.signals).toContain('praise');
      expect(t.kind).not.toBe('opportunity');
    },
  );

  it.each([
    // Our own crew telling their day: a colleague's post, not a customer's moment.
    'long day, 4 sectors and a proposal in row 12 (she said yes!!). love this job #cabincrew @SkylarkAir',
    // A life event in a post that is all grievance is no celebration.
    '@SkylarkAir 300 ppl sleeping on the floor at the gate tonight, staff nowhere, kids crying and a pregnant lady on her suitcase',
    // Sarcastic thanks, with the handle in between.
    'thanks @SkylarkAir for delaying us 4 hrs. what a way to start the honeymoon 🙃',
    // ...and ironic beside one.
    'great start to the honeymoon @SkylarkAir, flight cancelled and now 6 hrs on the floor at the gate',
    // A moment already lost is a complaint, not a rescue.
    '@SkylarkAir thanks for making me miss my sisters wedding this past weekend. never again',
    // Care with no story behind it is praise.
    'thanks @SkylarkAir for always taking great care of us on the commute 👍',
    // Our people named, but no kind act: a complaint.
    '@SkylarkAir your employees at the oslo desk were rude and made me miss my connection',
    // The brand's own birthday perks, a day's first leg, a bag reunited, a grandchild in a question: no moment.
    '@SkylarkAir got your birthday card today, cute video, thanks',
    '@SkylarkAir do members still get the free birthday drink vouchers?',
    'morning @SkylarkAir, my first flight of 3 today, here we go',
    'reunited with my suitcase after 3 days, thanks @SkylarkAir',
    '@SkylarkAir does my 9 yr old grandson need his own passport to fly with me?',
    // A plane held for someone else is a delay to the person posting.
    'sat at the gate 2 hrs because they held the plane for a late crew @SkylarkAir, ridiculous',
    // Thanks for a wrong done is a let-down, whatever the wrong.
    'thank you @SkylarkAir for overcharging me for my bag on the way to my daughters wedding',
    'thanks @SkylarkAir for bumping me off my birthday flight 🎂',
    'thank you @SkylarkAir for keeping us waiting 3 hrs on our anniversary trip',
    // Hashtags with "first" or "last" in them that count no milestone.
    'grabbed a #lastminute seat on @SkylarkAir to nice, #FirstClass for once lol',
    // Only the service: getting someone home is what a flight does.
    'thanks @SkylarkAir for getting me home 20 mins early!',
  ])('"%s" is no opportunity', (text) => {
    expect(triage(post(text)).kind).not.toBe('opportunity');
  });
});

describe('a first flight told with nerves is reassured, never congratulated', () => {
  const analyst = new OfflineAnalyst({ reading: detectionReading, catalogue: loadCatalogue(), brand: { ...ORANJE, languages: ['en', 'nl'] }, usage: () => () => 0 });
  const triage = createTriager(staticContext(ORANJE));
  it.each([
    ['en', '@OranjeAir what time do i need to be at schiphol for the 9:40 to madrid?? first time on a plane, kinda terrified lol', /completely normal/, undefined],
    ['en', "@OranjeAir my nan is 82 and it's her first flight ever on sunday, she's so nervous. can someone help her at the gate?", /look out for your nan/, /nan/],
    ['nl', '@OranjeAir morgen voor het eerst alleen vliegen naar Lissabon en ik ben best bang. Hoe vroeg moet ik er zijn?', /zenuwen is heel normaal/, undefined],
  ])('%s: "%s"', (lang, text, reassured, person) => {
    const p = post(text);
    const t = triage(p);
    expect(t.signals).toContain('milestone');
    const a = analyst.write(p, 'opportunity', t.signals, lang);
    expect(a.reply).toMatch(reassured);
    if (person) expect(a.reply).toMatch(person);
    expect(a.reply).not.toMatch(/congratulat|gefeliciteerd|celebrat|feestje/i);
    expect(a.publicPost).toBeNull();
    expect(a.summary).toMatch(/A nervous first/);
  });

  it('the same first flight told with joy is still a celebration', () => {
    const p = post('@OranjeAir first time on a plane tomorrow!!! amsterdam to rome, cannot wait 🥳');
    const a = analyst.write(p, 'opportunity', triage(p).signals, 'en');
    expect(a.summary).not.toMatch(/A nervous first/);
    expect(a.reply).toMatch(/Congratulations/);
  });
});

describe('a moment the rules name reaches a model even when the offline call is no card', () => {
  const triage = createTriager(staticContext(ORANJE));
  it.each([
    "@OranjeAir what's your policy on wedding dresses in the cabin? mine is huge lol",
    '@OranjeAir 3 hour delay and no lounge access on the way to our own wedding. not great',
    "@OranjeAir missing my best mate's wedding because of this delay would not be ok",
    '@OranjeAir stuck at schiphol on my 30th birthday, thanks for nothing',
  ])('"%s"', (text) => {
    const t = triage(post(text));
    expect(isCardKind(t.kind)).toBe(false);
    expect(t.uncertain).toBe('opportunity');
  });
});

describe('travelling alone is no grievance; being left alone is', () => {
  const triage = createTriager(staticContext(ORANJE));
  const read = createEvidence(staticContext(ORANJE));
  it.each([
    "@OranjeAir it's my mum's first time on a plane and she's travelling alone to meet her grandson in bali. any tips for her?",
    "@OranjeAir flying alone on my birthday next friday lol, any chance of a little bday love on OA455?",
  ])('a moment told with "alone" still reads as one: "%s"', (text) => {
    expect(triage(post(text)).kind).toBe('opportunity');
  });

  it('a let-down told with "alone" is still a grievance', () => {
    const p = post("@OranjeAir it was my son's first flight alone and you left my 7 year old alone at the transfer desk for two hours");
    expect(read(p).flags.grievance).toBe(true);
    expect(triage(p).kind).not.toBe('opportunity');
  });
});

describe('a trip with a loss is never congratulated', () => {
  const analyst = new OfflineAnalyst({ reading: detectionReading, catalogue: loadCatalogue(), brand: { ...ORANJE, languages: ['en', 'nl'] }, usage: () => () => 0 });
  const triage = createTriager(staticContext(ORANJE));
  it.each([
    ['en', "@OranjeAir flying to lisbon friday with my dad's ashes, to scatter them where he proposed to mum. any tips for carrying the urn?", /sorry for your loss/],
    ['nl', '@OranjeAir zaterdag vlieg ik naar Curaçao voor de uitvaart van mijn oma. Mag ik haar trouwjurk in de handbagage meenemen?', /gecondoleerd/i],
  ])('%s: "%s"', (lang, text, condolence) => {
    const p = post(text);
    const t = triage(p);
    const a = analyst.write(p, 'opportunity', t.signals, lang);
    expect(a.reply).toMatch(condolence);
    expect(a.reply).not.toMatch(/congratulat|gefeliciteerd|to remember|special/i);
    expect(a.publicPost).toBeNull();
    expect(a.summary).toMatch(/A journey with a loss/);
  });
});

describe('exclamation marks are excitement as often as anger', () => {
  const triage = createTriager(staticContext(ORANJE));
  it.each([
    '@OranjeAir 2 weeks till the twins take their first flight!!! they have no clue yet',
    '@OranjeAir our first flight as a married couple is on saturday!! amsterdam → bali',
  ])('a moment told with "!!" keeps it: "%s"', (text) => {
    expect(triage(post(text)).kind).toBe('opportunity');
  });

  it('a complaint told with "!!" is still a complaint, not a moment', () => {
    expect(triage(post('@OranjeAir 3rd flight this month that is late!! where is my bag!!')).kind).toBe('service');
  });
});
