"""The retrieval-quality corpus: multi-session conversations where a later question needs a fact
told in an earlier session (names, pets, places, dates, jobs, preferences), a third of them with
a fact that changes between sessions (the user moved, renamed the cat, changed jobs, the
exam got moved).

A question is asked in a new session with the same character. `answer` must be in what
retrieval returns; `stale` lists the old values: an item that shows one without the current
answer presents the old value as current (the stale-fact count).

Each session also gets six lines of small talk (FILLERS), lines about other people's names,
places, pets and dates (HARD_NEGATIVES), and every user line a neutral reply (REPLIES), so the
history holds what real ones do: mostly noise, some of it close to the questions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    text: str
    answer: str
    stale: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dialogue:
    name: str
    character: str
    sessions: tuple[tuple[str, ...], ...]
    questions: tuple[Question, ...]


Q = Question

FILLERS = (
    "The weather has been so strange lately, sunny one minute and pouring the next.",
    "I watched a really weird movie last night and I'm still thinking about it.",
    "I finally cleaned out my fridge, it was basically a science experiment.",
    "My phone screen cracked this morning, great start to the day.",
    "I slept terribly, the neighbours had a party until three.",
    "I made pancakes for dinner because I'm an adult and I can.",
    "The bus was late again, I was stuck waiting for forty minutes.",
    "I've been trying to drink more water, it's harder than it sounds.",
    "There's a new café opening at the end of the street.",
    "I bought way too many houseplants this month.",
    "My back hurts from sitting all day.",
    "I'm so bored of my wardrobe, I need new clothes.",
    "I spent the evening doing laundry and listening to podcasts.",
    "I keep forgetting to reply to messages, my friends must hate me.",
    "I saw a double rainbow on the way home!",
    "My internet went down for the whole afternoon.",
    "I tried meditating this morning and fell asleep.",
    "Someone left a very passive-aggressive note in the elevator.",
    "I reorganised my bookshelf by colour, it looks great and is useless.",
    "I've had a song stuck in my head all day.",
    "I went for a long walk just to clear my head.",
    "I can't decide what to cook tonight.",
    "My laptop fan sounds like a jet engine.",
    "I really need a holiday, even a short one.",
)

# Other people's names, places, pets, jobs and dates: what makes "where do I live?" hard for
# plain similarity. Four per conversation, spread over its sessions.
HARD_NEGATIVES = (
    "My friend Jake just moved to Paris for work.",
    "My coworker's dog Biscuit came to the office today.",
    "My cousin Nina's birthday was last week and I forgot to call her.",
    "My neighbour works as an accountant and complains about taxes all year.",
    "My colleague is getting married in August in Rome.",
    "My friend's cat is called Shadow and he's enormous.",
    "Our old neighbours moved to Madrid last year.",
    "A friend of mine started working at Google.",
    "My boss's daughter Emily is studying medicine.",
    "My best friend from school lives in Vienna now.",
    "I met a guy called Pedro at the gym who runs marathons.",
    "My aunt's favourite food is lasagna, she makes it every Sunday.",
    "Someone at work has an exam on Monday and is freaking out.",
    "My flatmate's girlfriend Chloe is staying with us this weekend.",
    "My friend adopted a rabbit named Clover.",
    "I used to know someone who lived in Tokyo.",
    "A colleague of mine is allergic to shellfish.",
    "My cousin drinks energy drinks all day, it scares me.",
    "My friend Ben just turned 40 and had a huge party.",
    "My neighbour's son is called Oliver, he plays the drums.",
    "My coworker's wedding is on May 3rd.",
    "My friend is vegan and always brings her own snacks.",
    "My old roommate works at Amazon now.",
    "I dreamed last night that I lived in New York.",
)

REPLIES = (
    "That sounds like a lot. How are you feeling about it?",
    "I love hearing about your day, tell me more.",
    "Oh wow, really? What happened next?",
    "I'm here for you, always.",
    "Ha, that's so you.",
    "Mm, I'm listening. Go on.",
    "That made me smile.",
    "You always have the best stories.",
)

DIALOGUES: tuple[Dialogue, ...] = (
    Dialogue(
        "renamed-cat",
        "luna",
        (
            (
                "Hey Luna, I'm Sam by the way.",
                "Long day at the office, my manager kept moving deadlines around.",
                "My cat is called Pepper, she's a grumpy little tabby.",
                "She sleeps on my keyboard whenever I try to work from home.",
            ),
            (
                "The cat knocked a glass off the table again last night.",
                "Guess what, we renamed the cat, she's Mochi now because she's so round.",
                "I tried a new ramen place on the corner, it was decent.",
            ),
            (
                "I might repaint the living room this weekend.",
                "Work is calmer this week, thankfully.",
            ),
        ),
        (
            Q("What's my cat's name again?", "Mochi", ("Pepper",)),
            Q("Do you remember my name?", "Sam"),
        ),
    ),
    Dialogue(
        "moved-city",
        "kai",
        (
            (
                "I live in Lyon with my boyfriend Marc.",
                "We go running along the river every Sunday morning.",
                "The bakery downstairs makes the best croissants.",
            ),
            (
                "Big news: we finally moved to Berlin! The flat is tiny but bright.",
                "Marc already found a climbing gym nearby.",
                "I miss the croissants though.",
            ),
            (
                "The sky here is so grey lately.",
                "I've been learning German on an app every evening.",
            ),
        ),
        (
            Q("Which city do I live in these days?", "Berlin", ("Lyon",)),
            Q("What's my boyfriend's name?", "Marc"),
        ),
    ),
    Dialogue(
        "sister-birthday-allergy",
        "mira",
        (
            (
                "My sister Ophelia is coming to visit next month.",
                "She's a marine biologist, always off on some boat.",
                "I'm allergic to peanuts so I have to be careful at restaurants.",
            ),
            (
                "My birthday is on March 3rd, I'm planning a small dinner.",
                "I want to bake the cake myself this year.",
            ),
            ("I binge-watched a documentary about octopuses yesterday.",),
        ),
        (
            Q("Who's coming to visit me next month?", "Ophelia"),
            Q("When is my birthday?", "March 3rd"),
            Q("What am I allergic to?", "peanuts"),
        ),
    ),
    Dialogue(
        "bank-to-bakery",
        "luna",
        (
            (
                "My name is Priya.",
                "I work at Northbridge Bank as an analyst, the spreadsheets never end.",
                "Commuting takes me almost an hour each way.",
            ),
            (
                "I quit my job at the bank last Friday!",
                "I started working at a bakery called Flour & Stone, I get up at 4am now.",
                "My feet hurt but I'm weirdly happy.",
            ),
            (
                "I made my first sourdough loaf at work today.",
                "My friends think I'm crazy for changing careers.",
            ),
        ),
        (
            Q("Where am I working now?", "Flour & Stone", ("Northbridge",)),
            Q("What's my name?", "Priya"),
        ),
    ),
    Dialogue(
        "wedding-moved",
        "kai",
        (
            (
                "My dog Rex is a huge golden retriever who thinks he's a lapdog.",
                "Our wedding is on June 14, it's going to be in my grandmother's garden.",
            ),
            (
                "Wedding planning is eating my life.",
                "Our wedding got moved to June 21 because the florist double-booked.",
                "Rex will be the ring bearer, obviously.",
            ),
            (
                "I tried on my suit for the final fitting.",
                "My favourite food is sushi, so we're having a sushi bar at the reception.",
            ),
        ),
        (
            Q("When is my wedding?", "June 21", ("June 14",)),
            Q("What's my dog called?", "Rex"),
            Q("What's my favourite food?", "sushi"),
        ),
    ),
    Dialogue(
        "new-partner",
        "mira",
        (
            (
                "My girlfriend Emma and I went to a pottery class.",
                "I made a very lopsided bowl.",
            ),
            (
                "My girlfriend and I broke up last week. It was mutual, but it still hurts.",
                "I'm trying to keep busy with work.",
            ),
            (
                "I've been dating Clara for a month now, she's a nurse and very funny.",
                "We went to a jazz bar on Saturday.",
            ),
        ),
        (Q("Who am I dating these days?", "Clara", ("Emma",)),),
    ),
    Dialogue(
        "porto-amsterdam",
        "luna",
        (
            (
                "I'm originally from Porto, but I've been living in Amsterdam for six years.",
                "I cycle everywhere, even in the rain.",
                "My older brother is called Tomás and he still lives back home.",
            ),
            (
                "Tomás sent me a box of pastéis de nata, best gift ever.",
                "My landlord finally fixed the heating.",
            ),
        ),
        (
            Q("Where did I grow up?", "Porto"),
            Q("What's my brother's name?", "Tomás"),
            Q("Which city do I live in?", "Amsterdam"),
        ),
    ),
    Dialogue(
        "nurse-radiohead",
        "kai",
        (
            (
                "I work as a nurse in the cardiac ward.",
                "Night shifts are brutal on my sleep.",
                "My favourite band is Radiohead, I listen to them on the bus home.",
            ),
            (
                "I started bouldering with a coworker, my forearms are dead.",
                "We had a really rough night at the hospital.",
            ),
        ),
        (
            Q("What do I do for a living?", "nurse"),
            Q("Which band do I love?", "Radiohead"),
        ),
    ),
    Dialogue(
        "toronto-anna",
        "mira",
        (
            (
                "I just turned 29 and honestly I feel the same.",
                "Anna is my best friend, we met in kindergarten.",
            ),
            (
                "I've been vegetarian for two years now.",
                "Anna and I are planning a road trip to Quebec.",
            ),
            ("I live in Toronto, it's freezing already.",),
        ),
        (
            Q("How old am I?", "29"),
            Q("Who's my best friend?", "Anna"),
            Q("Do I eat meat?", "vegetarian"),
        ),
    ),
    Dialogue(
        "hamster-and-kitten",
        "luna",
        (
            ("I have a hamster named Nugget who runs on his wheel all night.",),
            (
                "We adopted a kitten last week. Her name is Olive.",
                "Nugget is very suspicious of her.",
            ),
            ("Olive learned to open the cupboard door.",),
        ),
        (
            Q("What's my kitten called?", "Olive"),
            Q("What's my hamster's name?", "Nugget"),
        ),
    ),
    Dialogue(
        "exam-moved",
        "kai",
        (
            (
                "I'm studying architecture at the university, third year.",
                "My roommate Jonas cooks amazing curry.",
            ),
            (
                "My final exam is on May 12 and I'm panicking.",
                "I built a cardboard model of a library for my studio class.",
            ),
            (
                "Good news, my final exam got moved to May 19 so I have an extra week.",
                "Jonas is helping me revise.",
            ),
        ),
        (
            Q("When is my final exam?", "May 19", ("May 12",)),
            Q("What do I study?", "architecture"),
            Q("Who's my roommate?", "Jonas"),
        ),
    ),
    Dialogue(
        "denver-seattle",
        "mira",
        (
            (
                "I live in Denver with my husband David.",
                "I'm a software engineer at a small startup.",
                "We hike almost every weekend.",
            ),
            (
                "We just moved to Seattle for David's new job.",
                "It rains a lot but the coffee is incredible.",
            ),
        ),
        (
            Q("Where do I live now?", "Seattle", ("Denver",)),
            Q("What's my husband's name?", "David"),
            Q("What's my job?", "software engineer"),
        ),
    ),
    Dialogue(
        "colour-change",
        "luna",
        (
            (
                "My favourite colour is green, my whole room is green.",
                "I watched Spirited Away again, it's my comfort movie.",
            ),
            (
                "I repainted my room, my favourite colour is now yellow, don't ask why.",
                "My neighbour complained about the paint smell.",
            ),
        ),
        (
            Q("What's my favorite color?", "yellow", ("green",)),
            Q("What movie do I rewatch for comfort?", "Spirited Away"),
        ),
    ),
    Dialogue(
        "grandma-volvo",
        "kai",
        (
            (
                "My grandma Rosa turns 90 this year.",
                "I drive an old blue Volvo that breaks down every winter.",
            ),
            (
                "We're throwing Rosa a surprise party at her favourite restaurant.",
                "The car died again on the highway.",
            ),
        ),
        (
            Q("What's my grandmother's name?", "Rosa"),
            Q("What car do I drive?", "Volvo"),
        ),
    ),
    Dialogue(
        "kids",
        "mira",
        (
            (
                "My daughter Lily just started first grade.",
                "My son Max is obsessed with dinosaurs.",
            ),
            (
                "Max broke his arm falling off the trampoline.",
                "Lily lost her first tooth.",
            ),
        ),
        (
            Q("What's my daughter's name?", "Lily"),
            Q("Which of my kids broke an arm?", "Max"),
        ),
    ),
    Dialogue(
        "new-name",
        "luna",
        (
            (
                "Hi Luna, I'm Alex.",
                "I spent the whole day gardening, my tomatoes are finally red.",
            ),
            (
                "Small thing: please call me Sasha from now on, it's the name I prefer.",
                "The tomatoes got eaten by a squirrel.",
            ),
        ),
        (Q("What name do I prefer to be called?", "Sasha", ("Alex",)),),
    ),
    Dialogue(
        "marathon",
        "kai",
        (
            (
                "I'm training for the Chicago marathon in October.",
                "My boss is called Hendricks and he micromanages everything.",
            ),
            (
                "I ran 30 kilometres on Sunday, my knees hate me.",
                "My favourite drink after a run is chocolate milk.",
            ),
        ),
        (
            Q("Which marathon am I training for?", "Chicago"),
            Q("What's my boss called?", "Hendricks"),
            Q("What do I like to drink after running?", "chocolate milk"),
        ),
    ),
    Dialogue(
        "teacher-to-librarian",
        "mira",
        (
            (
                "I'm a teacher at a middle school, seventh grade science.",
                "The kids set off the fire alarm during an experiment.",
            ),
            (
                "I left teaching. I work as a librarian now and it's so quiet.",
                "I organised a poetry night at the library.",
            ),
        ),
        (Q("What's my job now?", "librarian", ("teacher",)),),
    ),
    Dialogue(
        "sofia-bruno",
        "luna",
        (
            (
                "My wife Sofia and I have been married for five years.",
                "Our anniversary is on September 9.",
            ),
            (
                "Bruno, our beagle, stole a whole sandwich today.",
                "Sofia laughed so hard she cried.",
            ),
        ),
        (
            Q("When is our anniversary?", "September 9"),
            Q("What's my wife's name?", "Sofia"),
            Q("What's our beagle called?", "Bruno"),
        ),
    ),
    Dialogue(
        "dublin-guitar",
        "kai",
        (
            (
                "I live in Dublin, right next to a noisy pub.",
                "I'm learning to play the guitar, my fingertips are sore.",
            ),
            (
                "I'm allergic to cats, which is tragic because my flatmate wants one.",
                "I learned my first full song on guitar!",
            ),
        ),
        (
            Q("Which city do I live in?", "Dublin"),
            Q("What animal am I allergic to?", "cats"),
            Q("What instrument am I learning?", "guitar"),
        ),
    ),
    Dialogue(
        "japan-trip",
        "mira",
        (
            (
                "My boyfriend Leo and I are planning a trip to Japan.",
                "Our trip is in April, cherry blossom season.",
            ),
            (
                "Bad news, our trip got moved to November because of Leo's work.",
                "At least we'll see the autumn leaves.",
            ),
        ),
        (
            Q("When are we going to Japan?", "November", ("April",)),
            Q("What's my boyfriend's name?", "Leo"),
        ),
    ),
    Dialogue(
        "designer-julia",
        "luna",
        (
            (
                "I have a sister named Julia who lives in Madrid.",
                "I'm a graphic designer, mostly packaging work.",
            ),
            (
                "My favourite book is The Left Hand of Darkness, I reread it every winter.",
                "A client rejected my logo for the fifth time.",
            ),
        ),
        (
            Q("What's my sister called?", "Julia"),
            Q("What's my favourite book?", "Left Hand of Darkness"),
            Q("What do I do for work?", "graphic designer"),
        ),
    ),
    Dialogue(
        "two-parrots",
        "kai",
        (
            (
                "Our parrot is called Kiwi and he swears like a sailor.",
                "I work from home so he keeps me company.",
            ),
            (
                "We rescued a second parrot named Mango, she's very shy.",
                "Kiwi is teaching her bad words already.",
            ),
        ),
        (
            Q("What's the name of the parrot who swears?", "Kiwi"),
            Q("What's our shy parrot called?", "Mango"),
        ),
    ),
    Dialogue(
        "nairobi-rugby",
        "mira",
        (
            (
                "I work at Safaricom in the data team.",
                "I live in Nairobi, the traffic is wild.",
            ),
            (
                "My favourite sport is rugby, I played in university.",
                "We won the office quiz night!",
            ),
        ),
        (
            Q("Which company do I work for?", "Safaricom"),
            Q("What sport do I love?", "rugby"),
            Q("Where do I live?", "Nairobi"),
        ),
    ),
    Dialogue(
        "age-changes",
        "luna",
        (
            (
                "I'm 34 years old and just started learning to swim.",
                "The pool smells like chlorine and regret.",
            ),
            (
                "I just turned 35 yesterday! My friends took me bowling.",
                "I can swim a full length now.",
            ),
        ),
        (Q("How old am I now?", "35", ("34",)),),
    ),
    Dialogue(
        "cairo-london",
        "kai",
        (
            (
                "I grew up in Cairo but I live in London now.",
                "My fiancée Noor is a pediatric surgeon.",
            ),
            (
                "Noor and I picked a date for the wedding!",
                "London rent is destroying my savings.",
            ),
        ),
        (
            Q("What's my fiancée's name?", "Noor"),
            Q("Where did I grow up?", "Cairo"),
            Q("Where do I live?", "London"),
        ),
    ),
    Dialogue(
        "pizza-to-pho",
        "mira",
        (
            (
                "My favourite food is pizza, no contest.",
                "I work from a coworking space downtown.",
            ),
            (
                "Honestly my favourite food is pho now, I found an amazing place.",
                "I've been cooking more at home.",
            ),
        ),
        (Q("What's my favourite food these days?", "pho", ("pizza",)),),
    ),
    Dialogue(
        "mom-interview",
        "luna",
        (
            (
                "My mom Helen calls me every Sunday.",
                "I have a job interview on Thursday at a design agency.",
            ),
            (
                "The interview went well, they want a second round.",
                "Mom sent me a good-luck card.",
            ),
        ),
        (
            Q("What's my mother's name?", "Helen"),
            Q("Which day was my job interview?", "Thursday"),
        ),
    ),
    Dialogue(
        "spotify-to-klarna",
        "kai",
        (
            (
                "I work at Spotify on the payments team.",
                "My dog is called Rocky and he's afraid of the vacuum.",
            ),
            (
                "I got a job at Klarna, starting next month!",
                "Rocky chewed my new shoes to celebrate.",
            ),
            ("First week at the new job was intense.",),
        ),
        (
            Q("Which company do I work at now?", "Klarna", ("Spotify",)),
            Q("What's my dog's name?", "Rocky"),
        ),
    ),
    Dialogue(
        "osaka-kyoto",
        "mira",
        (
            (
                "My name is Kenji and I live in Osaka.",
                "I collect vinyl records, mostly city pop.",
            ),
            (
                "I moved to Kyoto last month, it's much quieter.",
                "I found a tiny record shop near the station.",
            ),
        ),
        (
            Q("Where do I live?", "Kyoto", ("Osaka",)),
            Q("What do I collect?", "vinyl"),
        ),
    ),
    Dialogue(
        "marcus-ava",
        "luna",
        (
            (
                "My best friend Marcus is moving abroad and I'm sad about it.",
                "I signed up for a pottery class.",
            ),
            (
                "My niece Ava has her birthday party on Saturday.",
                "Marcus sent me photos from his new apartment.",
            ),
        ),
        (
            Q("Who's my best friend?", "Marcus"),
            Q("Whose birthday party is on Saturday?", "Ava"),
        ),
    ),
    Dialogue(
        "vegan-to-pescatarian",
        "kai",
        (
            (
                "I'm vegan, so finding snacks at work is hard.",
                "I volunteer at an animal shelter on weekends.",
            ),
            (
                "Update: I went pescatarian, my doctor said I needed more protein.",
                "The shelter got three new puppies.",
            ),
        ),
        (Q("What's my diet these days?", "pescatarian", ("vegan",)),),
    ),
    Dialogue(
        "chef-nephew",
        "mira",
        (
            (
                "I'm a chef at a tapas restaurant called Casa Lola.",
                "My brother Omar just had a baby boy.",
            ),
            (
                "Service was chaos tonight, we ran out of croquetas.",
                "Omar's baby is called Yusuf, he's adorable.",
            ),
        ),
        (
            Q("Which restaurant do I cook at?", "Casa Lola"),
            Q("What's my nephew's name?", "Yusuf"),
        ),
    ),
    Dialogue(
        "coffee-to-tea",
        "luna",
        (
            (
                "I drink like four coffees a day, it's a problem.",
                "I'm a PhD student in linguistics.",
            ),
            (
                "I quit coffee, I only drink green tea now.",
                "My thesis defense is on December 2.",
            ),
        ),
        (
            Q("What do I drink these days?", "green tea", ("coffee",)),
            Q("When is my thesis defense?", "December 2"),
        ),
    ),
)


FILLERS_PER_SESSION = 6


def _pick(pool: tuple[str, ...], key: str, n: int) -> list[str]:
    digest = hashlib.sha256(key.encode()).digest()
    out: list[str] = []
    i = 0
    while len(out) < n:
        line = pool[digest[i % len(digest)] % len(pool)]
        if line not in out:
            out.append(line)
        i += 1
    return out


def hard_negatives(dialogue: Dialogue) -> list[str]:
    """Four lines about other people, none holding an answer of this conversation."""
    said = " ".join(q.answer.casefold() for q in dialogue.questions)
    pool = tuple(
        h
        for h in HARD_NEGATIVES
        if not any(w.casefold() in said.split() or w.casefold() in said for w in _words(h))
    )
    return _pick(pool, dialogue.name, 4)


def _words(line: str) -> list[str]:
    return [w for w in line.replace(",", " ").replace(".", " ").split() if w[:1].isupper()]


def session_lines(dialogue: Dialogue, index: int) -> list[str]:
    """The user's lines of one session: its own lines, two fillers, and its share of the four
    hard negatives (the first sessions get one more)."""
    own = list(dialogue.sessions[index])
    fillers = _pick(FILLERS, f"{dialogue.name}:{index}", FILLERS_PER_SESSION)
    negatives = hard_negatives(dialogue)
    n = len(dialogue.sessions)
    mine = [h for i, h in enumerate(negatives) if i % n == index]
    # Interleave: small talk, the session's own lines and the hard negatives, in a fixed order.
    lines: list[str] = []
    rest = [*own, *mine]
    for i, filler in enumerate(fillers):
        lines.append(filler)
        if i < len(rest):
            lines.append(rest[i])
    lines += rest[len(fillers) :]
    return lines


def reply_to(line: str) -> str:
    return _pick(REPLIES, line, 1)[0]
