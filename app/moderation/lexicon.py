"""The words and patterns of the local policy engine (the rules that combine them: local.py).

Everything here matches *canonical* text (normalize.py): lower-case words separated by single
spaces, apostrophes dropped (I'm -> im, ex's -> exs), numbers kept. Phrases use brace expansion
("kill{,s,ed,ing}" -> kill, kills, killed, killing) so inflections stay readable.

Two kinds of feature:
- anchors: without one of them no rule of their category can fire. Their words are the quick
  screen's trigger set: a message containing none of them is allowed without running any rule;
- modifiers (intent, instruction-seeking, persons, ages ...): only consulted once an anchor hit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product


def expand(spec: str) -> list[str]:
    """Brace expansion, no nesting: "pipe{ ,}bomb{,s}" -> pipe bomb, pipe bombs, pipebomb ..."""
    m = re.search(r"\{([^{}]*)\}", spec)
    if m is None:
        return [" ".join(spec.split())]
    head, tail = spec[: m.start()], spec[m.end() :]
    return [x for alt in m.group(1).split(",") for x in expand(head + alt + tail)]


def phrases(*specs: str) -> list[str]:
    out: list[str] = []
    for spec in specs:
        out.extend(p for p in expand(spec) if p)
    return out


_Node = dict[str, "_Node"]


def _trie(items: Iterable[str]) -> str:
    """A regex matching exactly the given literals, as a prefix tree: Python's re tries the
    alternatives of a flat alternation one by one at every position (~65 us for 200 literals on
    200 characters); a tree rejects most positions at the first character (~4 us)."""
    root: _Node = {}
    for item in items:
        node = root
        for ch in item:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Node) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        body = "(?:" + "|".join(branches) + ")"
        return body + "?" if "" in node else body

    return "(?:" + build(root) + ")"


def group(items: Iterable[str]) -> str:
    """A non-capturing group matching any of the literal phrases (no word boundaries)."""
    return _trie(sorted(set(items)))


def alternation(items: Iterable[str]) -> str:
    """Any of the literal phrases, as whole words."""
    return r"\b" + group(items) + r"\b"


# Words too common to pick as the key of a requirement (any word of a requirement would do; a
# rare one makes the quick screen's first set intersection more selective).
COMMON = frozenset(
    "out off over back end all life live here dead die look looks fall fire take put go run "
    "a an the my your his her their our its this that these those of to in on at for with by "
    "from up down into onto about every some any and or is are was be been do does did have "
    "has had get got me you him them us it i we he she they someone somebody people person how "
    "what where which who why when can could would should will make making made give".split()
    # frequent in chat, and words of the second round's requirements that are frequent too
    + "just work good send long really together watch time day night today tonight tomorrow "
    "home mom dad friend love want need know think like see come going gonna new old first "
    "next then now one two way much more well still again never always right little big best "
    "better sister brother so but not dont cant wont im ill if while after before until than "
    "too very also only even".split()
)

# Words that must all be in a text for an anchor to be possible. For a phrase, its words in
# order; otherwise the first word is the distinctive one (the index looks it up first).
Requirement = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Anchor:
    """A feature without which no rule of its category fires.

    `requirements` lists the word sets of which at least one is present whenever `pattern`
    matches: the quick screen (local.py) asks the rules only about texts that meet one. A
    test checks the screen against the full rules on the whole corpus.
    """

    name: str
    pattern: str
    requirements: tuple[Requirement, ...]
    # Words of which every match contains one: the pattern is not even run without one.
    gate: frozenset[str] | None = None
    # Requirements are contiguous phrases (checked as phrases, not as scattered words).
    is_phrase: bool = False
    # The requirements say when the category's rules can fire, not when the pattern can match
    # (a gun is only a concern next to "felon", "without a background check" ...): the pattern
    # itself is then gated by `gate` alone.
    category_only: bool = False


def key_word(words: Iterable[str]) -> str:
    """The word of a set most likely to be rare: not a common word, then the longest."""
    return max(sorted(set(words)), key=lambda w: (w not in COMMON, len(w)))


def phrase_anchor(name: str, items: list[str]) -> Anchor:
    unique = sorted(set(items))
    return Anchor(
        name,
        alternation(unique),
        tuple(tuple(p.split()) for p in unique),
        frozenset(key_word(p.split()) for p in unique),
        is_phrase=True,
    )


def regex_anchor(
    name: str,
    pattern: str,
    *,
    words: Iterable[str] = (),
    pairs: Iterable[tuple[Iterable[str], Iterable[str]]] = (),
    sets: Iterable[Requirement] = (),
    gate: Iterable[str] | None = None,
    category_only: bool = False,
) -> Anchor:
    reqs: list[Requirement] = [(w,) for w in words]
    for left, right in pairs:
        reqs.extend(product(list(left), list(right)))
    reqs.extend(sets)
    return Anchor(
        name,
        pattern,
        tuple(reqs),
        None if gate is None else frozenset(gate),
        category_only=category_only,
    )


# fmt: off
# =========================================================================== shared modifiers

# Instruction-seeking: asking how to do something, or for steps, recipes, places to buy.
INSTRUCTION = (
    r"\b(?:how (?:do|can|could|would|should|does|did|might) (?:i|we|you|u|ya|one|someone|"
    r"somebody|people|a person|me)|how to|how much|how many|how long (?:does|do|would|will) it"
    r"|(?:what|whats|what is) the (?:ratio|mix|proportions?|amount|dose|dosage|quantity)"
    r"|(?:can|could|should|would|do) (?:i|we) (?:mix|make|build|combine|use|get|buy|create|"
    r"cook|brew|grow|hide|ship|order|find|obtain)"
    r"|(?:best|easiest|simplest|quickest|fastest|cheapest|safest|surest|most effective|"
    r"most painless|good|effective|proper|right|ideal) (?:way|ways|method|methods|technique|"
    r"techniques|place|places|spot|spots|target|targets|time|recipe|site|sites|website|"
    r"websites|shop|shops|vendor|vendors|market|markets|source|sources|plug)"
    r"|(?:easiest|simplest|cheapest|quickest|best|strongest) (?:\w+ ){1,2}?(?:to|for)"
    r"|step by step|steps? (?:to|for|on)|step (?:one|1)|instructions?|directions for|"
    r"(?:a |the )?guide (?:to|for|on)|tutorial|manual (?:for|on)|recipe|ingredients|formula"
    r"|teach me|show me how|explain (?:how|step|to me)|tell me (?:how|where|what|which)"
    r"|help me|walk me through"
    r"|what (?:do|would|should|will) (?:i|we|you|one) (?:need|use)"
    r"|where (?:can|could|do|should|would|to|might) (?:i|we|you|one|u)?"
    r"|(?:can|could|would|will) (?:you|u) (?:tell|show|teach|explain|give|help|write|list)"
    r"|give me (?:a |the |some )?(?:recipe|instructions|steps|guide|formula|method|methods|"
    r"tips|list|plan|way|ways)"
    r"|i (?:want|need|wanna|would like) (?:to )?(?:know|learn) how"
    r"|is there (?:a|any) way to|any tips|tips (?:on|for)|what is the best|whats the best"
    r"|which (?:\w+ ){0,2}(?:is|are|works|would)"
    r")\b"
)

# First-person intent ("I'm going to", "we will", "let's") or a bare "gonna ..." opening a message.
_ADVERBS = (
    r"(?: (?:am|are|m|re|really|just|totally|seriously|literally|definitely|actually|honestly|"
    r"still|also|so|gonna|fucking|finally|gladly|personally|swear|swear i|promise|promise i))*"
)
INTENT = (
    r"(?:\b(?:i|we)" + _ADVERBS + r" (?:going to|gonna|will|shall|want to|wanna|plan to|"
    r"planning to|intend to|intending to|about to|need to|have to|gotta|got to|must|should|"
    r"would like to|d like to|like to|love to|would love to|cant wait to|am going to|"
    r"m going to|re going to|are going to|ll|will definitely|will really|wish i could)\b"
    r"|\b(?:im|ill|id|ive|lets|let us|imma|ima|finna|were going to|were gonna|were about to|"
    r"were planning to)" + _ADVERBS + r"\b"
    r"|^(?:gonna|going to|will|wanna|about to|planning to|plan to|finna|imma|want to|"
    r"tomorrow i|tonight i)\b)"
)

# A person (or people) as the object of a verb.
PERSON_NOUNS = phrases(
    "wife{,s}", "husband{,s}", "boss{,es}", "neighbo{r,ur}{,s}", "ex", "exs", "ex wife",
    "ex husband", "ex girlfriend", "ex boyfriend", "girlfriend{,s}", "boyfriend{,s}", "mom{,s}",
    "mother{,s}", "dad{,s}", "father{,s}", "brother{,s}", "sister{,s}", "son{,s}", "daughter{,s}",
    "teacher{,s}", "coworker{,s}", "co worker{,s}", "classmate{,s}", "roommate{,s}", "landlord{,s}",
    "mayor", "president", "senator{,s}", "governor", "cop{,s}", "police", "policeman",
    "officer{,s}", "judge{,s}", "doctor{,s}", "family", "famil{y,ies}", "kid{,s}", "child",
    "children", "baby", "babies", "friend{,s}", "partner{,s}", "fiance{,e}", "colleague{,s}",
    "manager{,s}", "student{,s}", "guy{,s}", "girl{,s}", "boy{,s}", "man", "men", "woman", "women",
    "lady", "ladies", "dude{,s}", "bull{y,ies}", "stepdad", "stepmom", "uncle", "aunt",
    "cousin{,s}", "grandma", "grandpa", "customer{,s}", "victim{,s}", "parents", "people", "person",
    "human{,s}", "everyone", "everybody", "classmates", "neighbours", "employees", "employer",
    "coach", "pastor", "priest", "imam", "rabbi", "worker{,s}", "nurse{,s}", "stranger{,s}",
    "target",
    # insults name a person too ("strangle that bitch")
    "bitch{,es}", "bastard{,s}", "asshole{,s}", "prick{,s}", "snitch{,es}", "traitor{,s}",
    "slut{,s}", "whore{,s}", "cunt{,s}", "fucker{,s}", "motherfucker{,s}", "scumbag{,s}",
)
GROUPS = phrases(
    "immigrant{,s}", "jew{,s}", "muslim{,s}", "christian{,s}", "black{,s}", "black people",
    "white{,s}", "white people", "gay{,s}", "gay people", "trans people", "trans", "foreigner{,s}",
    "infidel{,s}", "refugee{,s}", "mexican{,s}", "asian{,s}", "arab{,s}", "hindu{,s}", "sikh{,s}",
    "atheist{,s}", "liberal{,s}", "conservative{,s}", "republican{,s}", "democrat{,s}", "cops",
    "police", "americans", "jews", "gypsies", "migrants", "homeless people", "catholics",
    "protestants", "women", "men", "feminists",
)
_DETERMINER = r"(?:my|your|his|her|their|our|the|that|this|a|an|some|those|these|all|every)"
PERSON = (
    r"\b(?:you|u|ya|him|her|them|someone|somebody|anyone|anybody|everyone|everybody|"
    r"people|a person|a human|humans|a man|a woman|"
    + _DETERMINER
    + r"(?: \w+)? "
    + group(PERSON_NOUNS)
    + r"|"
    + group(GROUPS)
    + r")\b"
)

# Hyperbole among friends: a threat with one of these is flagged, not blocked.
HYPERBOLE = r"\b(?:lol|lmao|lmfao|rofl|haha\w*|hehe\w*|jk|just kidding|kidding|jokingly|xd)\b"

# =========================================================================== child safety

SEXUAL_TERMS = phrases(
    "sex", "sexy", "sexual", "sexually", "sexualiz{e,ed,ing}", "sexualis{e,ed,ing}",
    "sext{,s,ed,ing}", "naked", "nude{,s}", "nudity", "porn{,o,ography,ographic}", "erotic{,a}",
    "orgasm{,s}", "cum", "cumming", "horny", "aroused", "arousing", "masturbat{e,es,ed,ing,ion}",
    "jerk{,ing} off", "jack{,ing} off", "genital{,s}", "penis", "vagina", "pussy", "boobs", "tits",
    "breasts", "nipples", "blowjob{,s}", "handjob{,s}", "rape{,s,d}", "raping",
    "molest{,s,ed,ing,ation}", "grope{,s,d}", "groping", "fondl{e,es,ed,ing}",
    "undress{,es,ed,ing}", "stripping", "striptease", "strip tease", "strip for me", "lingerie",
    "seduc{e,es,ed,ing,tive,tion}", "intercourse", "smut{,ty}", "hentai", "lewd", "kinky", "fetish",
    "bdsm", "talk dirty", "dirty talk", "make love", "making love", "have sex", "having sex",
    "take off {your,her,his,their} clothes", "spread {your,her} legs", "private parts", "privates",
    "nsfw", "xxx", "onlyfans", "blow job", "hand job", "oral sex", "sex scene", "sex story",
    "sexting", "nudes", "virginity", "lose {my,her,his} virginity",
)
# "sex ed" is not sexual content; it is the one phrase that contains "sex" and is exempt.
SEXUAL_EXEMPT = (
    r"\bsex (?:ed|education|educator|offenders?|offences?|offenses?|trafficking)\b"
    r"|\b(?:our|my|your|his|her|their) sex (?:life|lives|drive)\b"
    # a parent or teacher talking to a child about sex is education, not sexual content
    r"|\b(?:talk|talking|speak|speaking|explain|explaining|teach|teaching|educate|discuss|"
    r"discussing|conversation|chat) (?:to |with )?(?:my|our|a|the|your) (?:\w+ )?(?:kid|kids|"
    r"child|children|son|sons|daughter|daughters|teen|teens|teenager|teenagers|students?|"
    r"class) about (?:sex|sexuality|puberty|consent|sexual health)\b"
)
# Words that are sexual only next to a minor signal (flirting is fine between adults).
SUGGESTIVE_TERMS = phrases(
    "sensual{,ly}", "intimate{,ly}", "flirt{,s,ed,ing,y}", "kink{,s,y}",
    "{without,with no} {any ,}clothes", "no clothes on", "unclothed", "topless", "bottomless",
    "underwear", "panties", "bra", "make out", "making out", "hook up", "hooking up", "seductive",
    "lick{,s,ing}", "touch{,ing} {her,him,them} {down there,there,everywhere}", "hot body",
    "body pics", "spicy pics", "steamy", "racy", "raunchy", "sultry", "x rated",
)
# Intimacy that is innocent between a parent and a child but not between a child and an adult
# stranger, a teacher, or the companion in a roleplay: counts only with one of those (local.py).
INTIMACY_TERMS = phrases(
    "fall{,s,ing} in love", "fell in love", "in love with", "love story", "romance",
    "romantic{,ally}", "dating", "date me", "go out with me", "be my {girlfriend,boyfriend}",
    "sleep together", "slept together", "sleeping together", "touch {me,you,her,him}",
    "touching {me,you,her,him}", "kiss me", "kissing me", "cuddle in bed", "marry me",
    "relationship with {me,an adult,a grown man,a grown woman,her teacher,his teacher}",
    "we kiss", "we kissed", "kiss you", "kissing you", "kiss each other", "kissing each other",
    "love scene{,s}", "romantic scene{,s}", "make out scene{,s}", "first kiss scene",
    "{act as,be,pretend to be,play,you are,youre,ur} my {girlfriend,boyfriend,lover,wife,husband,"
    "crush,date}",
)
ADULT_PARTY = (
    r"\b(?:grown (?:man|woman|men|women|up|ups)|adult (?:man|woman|men|women)|an adult|adults|"
    r"older (?:man|woman|men|women|guy|guys)|(?:[2-9][0-9]|forty|fifty|thirty) year old "
    r"(?:man|woman|guy)|teacher|coach|stepdad|stepfather|stepmom|stepmother|boss|pastor|priest)\b"
)
# The speaker's own adult age ("I'm 35 and dating a 15 year old"): an adult party unless the
# minor is the speaker's child ("I'm 35 and my 15 year old son is dating a girl").
ADULT_SELF = (
    r"\b(?:im|i am) (?:[2-9][0-9]|thirty|forty|fifty|sixty)\b(?! (?:percent|minutes?|mins?|"
    r"dollars|bucks|miles|km|pounds|kg)\b)"
)
PARENTAL = (
    r"\bmy (?:\w+ ){0,3}(?:son|sons|daughter|daughters|kid|kids|child|children|stepson|"
    r"stepdaughter|nephew|niece|teen|teenager|boy|girl|grandson|granddaughter)\b"
)
ROLEPLAY = (
    r"\b(?:roleplay|role play|rp|pretend|act as|be my|youre my|you are my|ur my|imagine you|"
    r"lets play|play (?:a|the|my)|scenario|as my)\b"
)
# Someone trying to keep a child safe, not asking for content.
PROTECTIVE = (
    r"\b(?:protect|protecting|keep (?:her|him|them|my \w+) safe|report|reporting|prevent|"
    r"preventing|warning signs|signs of|groom(?:ing|ed|ers?)|predators?|abuser|police|"
    r"therapist|counsel(?:l)?or|cps|child protective|is this normal|should i be worried|"
    r"worried|how do i stop)\b"
)
EXPOSURE_TERMS = phrases(
    "{changing,change,getting} {into,out of} {her,his,your,their} {pajamas,pyjamas,clothes,"
    "swimsuit,bathing suit,nightgown,nightie}",
    "{changing,getting} {clothes,dressed,undressed,changed}", "undressing", "undress",
    "in the {shower,bath,bathtub,tub}", "taking a {shower,bath}", "bath time", "bathtime",
    "{her,his,your,their} body", "{her,his,your,their} bodies", "developing", "developed",
    "growing breasts", "in {her,his,your} underwear", "in {her,his,your} pajamas",
)
# Asking to see or have described.
VISUAL_REQUEST = (
    r"\b(?:describe|describing|show me|picture|pictures|pic|pics|photo|photos|image|images|"
    r"video|videos|for me|look at|what (?:her|his|their|your) (?:body|bodies) (?:looks?|look) "
    r"like|what (?:she|he|they) (?:looks?|look) like)\b"
)
CSAM_TERMS = phrases(
    "child porn{,o,ography}", "kiddie porn", "kiddy porn", "csam", "child sexual abuse material",
    "pedo porn", "preteen porn", "preteen nudes", "jailbait", "lolicon", "shotacon", "loli hentai",
    "shota hentai", "cp links", "underage porn", "teen porn",
)
_AGE_WORD = (
    r"(?:1[0-7]|[0-9]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen)"
)
_TENS = "".join(
    f"(?<!{t} )" for t in "twenty thirty forty fifty sixty seventy eighty ninety".split()
)
_NOT_A_UNIT = (
    r"(?! (?:min|mins|minute|minutes|hour|hours|hr|hrs|sec|secs|second|seconds|day|days|week|"
    r"weeks|month|months|percent|dollar|dollars|bucks|euros?|pounds?|times|inch|inches|cm|mm|"
    r"feet|foot|ft|kg|kgs|lb|lbs|mile|miles|km|am|pm|oclock|k|points?|pages?|items?|of|out|"
    r"stars|degrees|grand|hundred|thousand|million|tries|shots|rounds|episodes|chapters|"
    r"seasons|games|to|or|and \d|x|by|drinks|beers|glasses|shots in|cups|slices|bites)\b)"
)
_MINOR_STRONG_PARTS = [
    # "14 year old", "13 yo", "15 y o", "twelve-year-old" (not "twenty-one year old")
    _TENS + r"\b" + _AGE_WORD + r" ?(?:yo|y o|yr old|yrs old|yrold|years? old|year olds|yrs|yr|"
    r"y)\b",
    # "I'm 15", "she is 13", "the characters are 15", "aged 12", "turned 14"
    r"\b(?:im|i am|shes|she is|hes|he is|youre|you are|theyre|they are|we are|is only|are only|"
    r"aged?|turned|turning|just turned|(?:girl|boy|kid|child|daughter|son|niece|nephew|student|"
    r"sister|brother|character|neighbou?r|cousin|she|he|her|him|they)s?"
    r"(?: (?:is|are|was|were|of|aged|age|only))?|u r|ur|u are|you r|youre only|ur only)"
    r"(?: (?:canonically|literally|actually|just|barely|only|like|about|around|almost|nearly|"
    r"maybe|probably|supposed to be|meant to be))? " + _TENS + _AGE_WORD + r"\b" + _NOT_A_UNIT,
    r"\bi was " + _AGE_WORD + r"\b" + _NOT_A_UNIT,
    r"\bunder (?:the age of )?(?:1[0-8]|eighteen)\b(?! (?:min|minutes|hours|dollars|bucks)\b)",
    r"\b(?:underage|under age|preteens?|pre teens?|prepubescents?|pubescent|middle schoolers?|"
    r"middle school|elementary school(?:er|ers)?|grade schoolers?|junior high|"
    r"high school (?:freshman|freshmen|sophomore|sophomores|junior|juniors)|"
    r"(?:freshman|sophomore|junior) in high school|tweens?|"
    r"lolis?|shotas?|jailbait)\b",
    r"\b(?:[1-8](?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth) "
    r"grader?s?\b",
    r"\b(?:9th|10th|11th|ninth|tenth|eleventh) grader?s?\b",
    r"\b(?:a|the|with|of|underage|is|are|being|as|for) minor\b(?! (?:detail|details|issue|issues|"
    r"problem|problems|change|changes|key|chord|injury|injuries|league|role|mistake|thing|things|"
    r"part|parts|bug|bugs|edit|edits|update|adjustment|surgery|offense|offence|setback|"
    r"inconvenience|character|characters|scratch|cut)\b)",
    r"\bminors\b",
]
MINOR_STRONG = "|".join(f"(?:{p})" for p in _MINOR_STRONG_PARTS)
# Every match of MINOR_STRONG contains one of these tokens (numbers are tokens of their own).
MINOR_STRONG_GATE = frozenset(
    [str(n) for n in range(19)]
    + [f"{n}{suffix}" for n in range(1, 9) for suffix in ("st", "nd", "rd", "th")]
    + (
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen underage under preteen preteens pre prepubescent "
        "prepubescents pubescent middle elementary grade junior high freshman tween tweens "
        "loli lolis shota shotas jailbait minor minors grader graders schoolers schooler below "
        "9th 10th 11th ninth tenth eleventh sophomore sophomores juniors "
        "first second third fourth fifth sixth seventh eighth"
    ).split()
)
MINOR_WEAK_TERMS = phrases(
    "child", "children", "childs", "kid{,s,do,die,dies}", "toddler{,s}", "infant{,s}",
    "little girl{,s}", "little boy{,s}", "young girl{,s}", "young boy{,s}", "schoolgirl{,s}",
    "schoolboy{,s}", "school girl{,s}", "school boy{,s}", "teen{,s}", "teenage{,r,rs}",
    "high schooler{,s}", "highschooler{,s}", "baby girl", "newborn{,s}", "prepubescent",
    "boy scout{,s}", "girl scout{,s}", "minor",
)
FUCK_MINOR = (
    r"\b(?:fuck|fucked|fuk|fuckin|fucking|screw|screwing|bang|banging) (?:a |an |the |this |"
    r"that |my |your |his |her |some |little |young )?"
    r"(?:child|children|kid|kids|minor|minors|toddler|little girl|little boy|teen|teens|"
    r"preteen|preteens|underage)\b"
)
# A person telling what happened to them, not asking for content: not child sexual content.
DISCLOSURE = (
    r"\bi was (?:\w+ ){0,2}(?:abused|molested|raped|assaulted|groomed|touched)\b"
    r"|\b(?:abused|molested|raped|groomed) me when i was\b"
)
REQUEST = (
    r"\b(?:describe|write|roleplay|role play|pretend|imagine|show|tell me|story|scene|fanfic|"
    r"picture|pictures|pics|photos?|images?|video|videos|send|detail|details|explicit)\b"
)

# =========================================================================== terrorism

EXPLOSIVES = phrases(
    "pipe{ ,}bomb{,s}", "car bomb{,s}", "truck bomb{,s}", "nail bomb{,s}", "dirty bomb{,s}",
    "pressure cooker bomb{,s}", "fertili{z,s}er bomb{,s}", "letter bomb{,s}", "suicide vest{,s}",
    "suicide belt{,s}", "suicide bomb{,s,er,ers,ing}", "ied{,s}", "explosive{,s}",
    "explosive device{,s}", "tatp", "hmtd", "anfo", "ammonium nitrate", "black powder", "gunpowder",
    "detonator{,s}", "blasting cap{,s}", "det cord", "detonation cord", "semtex", "c4", "thermite",
    "napalm", "molotov{,s}", "molotov cocktail{,s}", "grenade{,s}", "nitroglycerin{,e}",
    "landmine{,s}", "rdx", "petn", "chlorine gas", "sarin", "ricin", "anthrax", "nerve agent{,s}",
    "mustard gas", "bioweapon{,s}", "chemical weapon{,s}", "incendiary device{,s}", "bomb vest",
    "fuse", "poison gas", "nerve gas", "fertili{z,s}er {and,to,with,plus} {diesel,fuel oil}",
    "fuel oil",
)
# "bomb" on its own, but not a bath bomb, a photobomb, "the bomb" (great) or a bomb-ass dinner.
BOMB = (
    r"(?<!bath )(?<!photo )(?<!\bf )(?<!\bda )(?<!is the )(?<!was the )(?<!s the )"
    r"(?<!re the )(?<!are the )(?<!its the )\bbombs?\b(?! ass\b| dot\b| diggity\b)"
)
ASSEMBLY = (
    r"\b(?:pack|packing|fill|filling|mix|mixing|combine|seal|insert|attach|wire|wiring|"
    r"connect|heat|heating|crush|crushing|dissolve|grind|measure|add|stir|boil|filter|drain|"
    r"evaporate|distill|cook|light|ignite|place|tape|solder|pour|stuff|soak|drill|screw)\b"
)
PROCEDURE = r"\b(?:step (?:\d+|one|two|three)|first|then|next|finally|after that|once done)\b"
DEFUSE = r"\b(?:defuse|defused|defusing|disarm|disarmed|detect|detecting|survive|report|spot)\b"
MAKE = (
    r"\b(?:make|making|made|build|building|built|cook|cooking|assemble|assembling|create|"
    r"construct|rig|rigging|mix|prepare|produce|synthesi[sz]e|manufacture|detonate|set off|plant|"
    r"throw|use|need|get|buy|wire|pack|print|convert|obtain|acquire|order|smuggle|hide|carry)\b"
)
TERROR_ORGS = phrases(
    "isis", "isil", "daesh", "islamic state", "al qaeda", "alqaeda", "al qaida", "al shabaab",
    "boko haram", "hamas", "hezbollah", "hizbollah", "taliban", "lashkar e taiba", "atomwaffen",
    "jihad", "jihadi{,s}", "jihadist{,s}", "caliphate", "mujahideen", "ira",
)
SUPPORT = (
    r"\b(?:apply|applying|application|accept me|enlist|sign up|reach out|notice me|"
    r"join|joining|joined|pledge|pledging|allegiance|fight for|fight with|fighting for|"
    r"recruit|recruits|recruiter|recruiters|recruiting|recruitment|get in touch|contact|"
    r"support|supporting|donate|send money|become a member|member of|martyr|martyrs|"
    r"martyrdom|armed wing|wage|holy war|carry out|swear|sworn|travel to|cell)\b"
)
ATTACK_VERBS = phrases(
    "attack{,s,ing}", "bomb{,ing}", "blow up", "blowing up", "blow it up", "shoot up",
    "shooting up", "shoot everyone", "mass shooting", "massacre", "drive a {truck,car,van} into",
    "ram {a,the} {truck,car,van} into", "gas", "poison the water", "hijack{,ing}", "take hostages",
    "hostage{,s}", "behead{,ing}", "open fire", "stab everyone",
)
VEHICLES = "truck car van vehicle suv lorry bus".split()
VEHICLE_TARGETS = (
    "crowd crowds people market parade protesters protestors festival pedestrians march rally "
    "concert mosque church synagogue school students kids children worshippers shoppers"
).split()
VEHICLE_RAM = (
    r"\b(?:drive|driving|drove|ram|ramming|plow|plowing|plough|ploughing|crash|crashing|steer|"
    r"steering|smash|smashing) (?:\w+ ){0,2}(?:truck|car|van|vehicle|suv|lorry|bus) (?:in)?to "
    r"(?:the |a |that |those |this )?(?:\w+ )?" + group(VEHICLE_TARGETS) + r"\b"
)
TARGETS = phrases(
    "crowd{,s,ed}", "civilians", "subway", "metro", "train", "station", "stadium", "concert{,s}",
    "parade", "school{,s}", "college", "campus", "mall", "church{,es}", "mosque{,s}",
    "synagogue{,s}", "temple", "embassy", "airport", "plane", "government", "parliament",
    "congress", "capitol", "white house", "police station", "festival", "market", "marketplace",
    "nightclub", "club", "courthouse", "hospital", "bus", "population", "city", "tourists",
    "people", "building", "office", "rally", "arena", "water supply", "everyone", "bridge",
)
ATTACK_TARGETS = alternation(TARGETS)
MASS_CASUALTY = phrases(
    "mass casualt{y,ies}", "maximum casualties", "max casualties", "most casualties",
    "maximum damage", "as many people as possible", "kill as many", "mass shooting{,s}",
    "mass murder", "body count", "killing spree",
)
_TEXTS = (
    r"(?:manifesto|propaganda|recruitment (?:video|post|message|poster|pitch)|call to arms|"
    r"speech|sermon|pamphlet|flyer|leaflet|post|video|message|letter|tweet|thread|poem|song|"
    r"article|essay|script)"
)
PROPAGANDA = (
    r"\b(?:write|create|make|draft|generate|design|produce|post|spread|compose)\b(?: \w+){0,4} "
    + _TEXTS
    + r"\b"
)
PROPAGANDA_ANCHOR = r"\b" + _TEXTS + r"\b"
# A call to violence, not a topic: "an essay on the history of jihad" is fine.
PROPAGANDA_GOAL = (
    r"\b(?:radicali[sz]e|radicali[sz]ing|holy war|wage jihad|join (?:the )?jihad|violent jihad|"
    r"martyrdom|become martyrs?|take up arms|call(?:ing|s)? for (?:\w+ ){0,2}(?:attacks?|"
    r"violence|jihad|war|killing|bombings?)|incite|inciting|recruit(?:ing)? (?:for|fighters|"
    r"jihadists|members|soldiers)|recruit jihadists|terror attacks? on|kill (?:the |all )?"
    r"(?:infidels|nonbelievers|unbelievers))\b"
)
# =========================================================================== violence

# Harm verbs. Not threats: "shoot you a text", "hit me up", "hit on her", "beat you at chess",
# "hang out with", "take out", "break up" (break/smash/snap only count with a body part below).
_OBJ = r"(?:you|me|him|her|them|us|u|ya)"
HARM_WORDS = (
    "kill kills killed killing murder murders murdered murdering stab stabs stabbed stabbing "
    "shoot shoots shot shooting strangle strangled strangling choke choked choking poison "
    "poisons poisoned poisoning drown drowned drowning suffocate suffocated suffocating "
    "smother smothered behead beheaded torture tortured torturing hurt hurting harm harming "
    "injure injuring maim maiming beat beats beating punch punching hit lynch lynched lynching "
    "hang assassinate assassinated assassinating bludgeon bludgeoned kidnap kidnapped "
    "kidnapping rape raped raping abduct abducted execute executed slaughter slaughtered "
    "butcher butchered knifed stomp curb strangulate electrocute dismember castrate mutilate "
    "disembowel decapitate gun mow shank shanked"
).split()
_HARM_PLAIN = (
    "kill kills killed killing murder murders murdered murdering stab stabs stabbed stabbing "
    "shoots shot shooting strangle strangled strangling choke choked choking poison poisons "
    "poisoned poisoning drown drowned drowning suffocate suffocated suffocating smother "
    "smothered behead beheaded torture tortured torturing hurt hurting harm harming injure "
    "injuring maim maiming beats beating punch punching lynch lynched lynching assassinate "
    "assassinated assassinating bludgeon bludgeoned kidnap kidnapped kidnapping rape raped "
    "raping abduct abducted execute executed slaughter slaughtered butcher butchered knifed "
    "stomp strangulate electrocute dismember castrate mutilate disembowel decapitate shank "
    "shanked"
).split()
_HARM_PLAIN.extend(("curb stomp", "gun down", "mow down"))
HARM = (
    r"\b(?:"
    + group(_HARM_PLAIN)
    + r"|shoot(?! "
    + _OBJ
    + r"(?: (?:a|an|over|some|back))? ?(?:text|message|msg|email|mail|"
    r"dm|line|note|pm|picture|photo|pic|call|invite|link|quick|look|smile|glance|wink)\b)"
    r"|beat(?! " + _OBJ + r" (?:at|in|to|on|by)\b)"
    r"|hit(?! " + _OBJ + r" (?:up|back)\b)(?! (?:on|up)\b)"
    r"|hang(?! (?:out|around|up|on|with|in|tight|loose|over)\b)"
    r"|end(?= (?:him|her|them|you|u|ya)\b))\b"
)
BODY_VERBS = "break snap smash crack slit cut bash cave shatter gouge rip stomp crush pull".split()
BODY_PARTS = phrases(
    "leg{,s}", "arm{,s}", "neck{,s}", "jaw{,s}", "nose", "finger{,s}", "rib{,s}", "skull{,s}",
    "bone{,s}", "kneecap{,s}", "knee{,s}", "teeth", "face{,s}", "throat{,s}", "head{,s}", "eye{,s}",
    "spine", "wrist{,s}",
)
PROPERTY = "house home car place apartment shop store".split()
BODY_HARM = (
    r"\b" + group(BODY_VERBS) + r"(?: \w+){0,3} " + group(BODY_PARTS) + r"\b"
    r"|\b(?:burn|torch) (?:your|his|her|their|our|the|my \w+) (?:house|home|car|place|apartment|"
    r"shop|store)\b|\bburn (?:you|him|her|them) alive\b"
)
THREAT_MARKERS = phrases(
    "i know where you live", "i know where you work", "you{re,r,are} dead",
    "you{re,r,are} going to die", "you will die", "youll die", "watch your back",
    "sleep with one eye open", "you wont see tomorrow", "you will pay for this",
    "your days are numbered", "you{re,are} next", "count your days",
    "{never,wont,will not,not} {see,sees,live to see} {another,the next} {sunrise,day,birthday,"
    "christmas,summer}",
    "make sure {she,he,they,you} {never,wont} {wake,wakes} up",
)
# Weak alone (a villain may say it): a threat only together with a weapon.
THREAT_WEAK = phrases(
    "{will,gonna,going to} regret {it,this,everything,crossing me,the day}",
    "{will,gonna,going to} pay for {this,it,what}", "this isnt over",
)
DESERVE_MODALS = "deserve deserves deserved should ought need needs".split()
DESERVE_FATES = (
    "shot killed murdered hanged hung lynched gassed executed die burn burned stabbed beaten "
    "exterminated"
).split()
DESERVE = (
    r"\b(?:deserves?|deserved|should|ought to|needs? to) (?:to )?(?:be )?"
    + group(DESERVE_FATES)
    + r"\b"
)
DESERVE_TARGET = (
    r"\b(?:everyone|everybody|all|all of them|they|them|people|those|these)\b|"
    + alternation(GROUPS)
)
STEALTH_DEATH = phrases(
    "get{,ting} away with {murder,killing,a murder,manslaughter,killing him,killing her}",
    "look like {an accident,a suicide,suicide,natural causes,self defense,self defence,"
    "an overdose,a heart attack}",
    "{dispose of,get rid of,hide,bury,dissolve} {a,the,his,her,my,their} {,dead }body",
    "{undetectable,untraceable,tasteless,odorless,odourless} poison{,s}",
    "poison that {is,cant be} {undetectable,untraceable,traced,detected}",
)
# "make my husband's accident look natural", not "make my makeup look natural"
STAGED_EVENTS = "accident accidents death overdose fall drowning fire crash".split()
STAGED = (
    r"\b(?:accident|accidents|death|overdose|fall|drowning|fire|crash) (?:\w+ ){0,2}"
    r"(?:look|seem|appear) (?:natural|accidental|like an accident|like natural causes)\b"
    r"|\b(?:stage|staged|staging|fake|faking) (?:an |a |his |her |their )?(?:accident|suicide|"
    r"overdose)\b"
)
POISON_AUTOPSY = r"\bpoisons? (?:\w+ ){0,4}(?:autopsy|tox screen|toxicology|undetectable)\b"
QUESTION = (
    r"\b(?:what|which|how|where|is there|are there|name|list|give me|tell me|recommend|"
    r"suggest)\b"
)
QUANTITY = (
    r"\bhow (?:much|many) (?:\w+ ){1,4}(?:to|does it take to|would it take to|would|will|do i "
    r"need to|is needed to|is enough to|it takes to|would i need to|needed to) (?:kill|poison|"
    r"knock out|murder|put down) (?:a |an |my |the )?(?:\w+ )?(?:person|human|man|woman|adult|"
    r"someone|somebody|him|her|people|child|kid|husband|wife|boss)\b"
    r"|\blethal dose (?:of \w+ )?(?:for|to kill) (?:a |an |my )?(?:person|human|man|woman|him|"
    r"her|husband|wife|adult|boss)\b"
)
INCITE_VERBS = (
    "kill shoot hang lynch gas exterminate burn murder slaughter behead stab attack eliminate "
    "wipe rid execute assassinate beat bomb hurt"
).split()
INCITE_MODALS = "all every each should must needs need ought has have gotta oughta".split()
INCITE = (
    r"\b(?:kill|shoot|hang|lynch|gas|exterminate|burn|murder|slaughter|behead|stab|attack|"
    r"eliminate|wipe out|get rid of|deport and kill|execute) (?:all|every|each) (?:the |of the |"
    r"of those |those |these |of )?(?:\w+ )?(?:" + group(GROUPS) + r"|them|of them|"
    r"you|people|" + group(PERSON_NOUNS) + r")\b"
    r"|\bdeath to (?:all |the )*(?:\w+ )?(?:" + group(GROUPS) + r"|them|infidels|"
    r"america|israel|the west)\b"
    r"|\b(?:someone|somebody|anyone|people|we|you|everyone|u) (?:should|must|needs to|need to|"
    r"ought to|has to|have to|gotta|oughta) (?:\w+ )?(?:kill|shoot|stab|hang|lynch|murder|"
    r"assassinate|attack|beat|burn|bomb|hurt|execute|gas|behead|slaughter) "
    r"(?:all |every )?(?:\w+ )?(?:"
    + group(GROUPS)
    + r"|them|him|her|"
    + group(PERSON_NOUNS)
    + r")\b"
)
PURPOSE_VERBS = (
    "hurt kill harm poison injure maim gas incapacitate knock paralyze blind sicken".split()
)
PURPOSE_HARM = (
    r"\b(?:to|that|which|for|could|can|will|would|and) (?:hurt|kill|harm|poison|injure|maim|gas|"
    r"incapacitate|knock out|paralyze|blind|sicken) " + PERSON[2:]
)
# =========================================================================== illegal activity

DRUGS = phrases(
    "meth", "methamphetamine", "crystal meth", "crack cocaine", "cocaine", "heroin", "fentanyl",
    "carfentanil", "lsd", "mdma", "ecstasy pills", "ghb", "ketamine", "dmt", "pcp", "oxycodone",
    "oxycontin", "opium", "psilocybin", "magic mushrooms", "shrooms", "mescaline",
    "amphetamine{,s}", "krokodil", "desomorphine", "xanax", "percocet{,s}", "drugs", "hard drugs",
    "opioids", "freebase", "crack rock{,s}", "meth lab",
)
# "crack" is a drug only next to another drug word ("making crack from cocaine").
CRACK = r"\bcrack\b"
# Street names that are ordinary words elsewhere ("molly" is a name, a "coke run" is soda).
SLANG_ACTIONS = (
    "buy get getting order score cop purchase obtain make cook brew homemade where"
).split()
SLANG_DRUGS = phrases(
    "oxy", "oxys", "oxies", "molly", "coke", "percs", "xans", "xanny", "xannies", "lean", "tina",
    "addy", "addies", "bars", "blues", "ice", "crystal", "speed", "smack", "dope",
)
HOMEMADE = r"\b(?:at home|my own|homemade|home made|in my kitchen|in my garage|from scratch|diy)\b"
PRECURSORS = phrases(
    "pseudoephedrine", "ephedrine", "red phosphorus", "lithium strips", "anhydrous ammonia",
    "methylamine", "p2p", "phenylacetone", "safrole", "iodine crystals", "ergotamine",
    "muriatic acid", "camp fuel", "coleman fuel",
)
DRUG_MAKE = (
    r"\b(?:make|making|made|cook|cooking|synthesi[sz]e|synthesi[sz]ing|synthesis|produce|"
    r"producing|manufacture|manufacturing|extract|extracting|extraction|grow|growing|brew|"
    r"refine|refining|purify|crystallize|turn|convert|lab|recipe|formula)\b"
)
DRUG_BUY = (
    r"\bwhere (?:can|could|do|should|would|to|might) (?:i|we|you|one|u)? ?(?:buy|get|find|order|"
    r"score|purchase|cop|source|pick up)\b"
    r"|\b(?:buy|order|purchase|score|cop|get|getting|obtain)\b(?: \w+){0,4} (?:online|"
    r"on the dark ?web|"
    r"dark ?web|darknet|deep web|on telegram|without (?:a )?prescription|no prescription|"
    r"in bulk|from a dealer)\b"
    r"|\b(?:darknet|dark ?web|deep web|onion) (?:market|markets|vendor|vendors|site|sites|shop|"
    r"shops|link|links|plug)\b"
)
DRUG_TRADE = (
    r"\b(?:smuggle|smuggling|traffic|trafficking|sell|selling|deal|dealing|ship|shipping|"
    r"import|distribute|distributing|push|pushing|stash|hide)\b"
)
WEAPONS_ILLEGAL = phrases(
    "ghost gun{,s}", "untraceable {gun,guns,firearm,firearms,weapon,weapons,pistol,rifle}",
    "silencer{,s}", "suppressor{,s}", "full auto", "fully automatic", "auto sear{,s}",
    "drop in auto sear", "machine gun{,s}", "zip gun{,s}", "glock switch{,es}",
    "3d print{,ed} {a ,an ,}{gun,guns,firearm,pistol,rifle,receiver}", "80 lower",
    "{file,grind,scratch} off the serial number{,s}",
    "remove the serial number{,s} from {a,my,the} {gun,pistol,rifle,firearm,glock}",
    "bump stock{,s}", "sawed off", "sawn off", "binary trigger",
)
WEAPON_ACTION = (
    r"\b(?:make|making|build|building|print|printing|convert|converting|modify|modifying|"
    r"manufacture|machine|assemble|file|remove|grind|buy|get|obtain|order|install|turn|sell|"
    r"3d|add)\b"
)
GUNS = phrases(
    "gun{,s}", "firearm{,s}", "pistol{,s}", "rifle{,s}", "ar 15", "ar15", "ak 47", "ak47",
    "glock{,s}", "handgun{,s}", "shotgun{,s}", "ammo", "ammunition",
)
GUN_ACQUIRE = r"\b(?:buy|buying|get|getting|obtain|purchase|order|own|carry|acquire)\b"
GUN_RESTRICTION_WORDS = (
    "without felon convicted restraining 18 minor underage illegally black books questions "
    "background straw untraceable"
).split() + [f"1{d}" for d in range(8)]
GUN_RESTRICTION = (
    r"\b(?:without (?:a )?(?:background check|license|licence|permit|id|paperwork)|felon|"
    r"convicted|restraining order|under 18|im 1[0-7]|minor|underage|illegally|black market|"
    r"off the books|no questions asked|no background check|straw purchase|untraceable)\b"
)
# Acts that are crimes in themselves: asking how (or saying you will) is enough.
FRAUD_ACTS = phrases(
    "money laundering", "launder{,ing} money", "launder", "laundering", "identity theft",
    "steal {someone,someones,a persons,their,peoples} identit{y,ies}", "shoplift{,ing}", "hotwire",
    "hot wire", "hack into", "hacking into",
    "hack {his,her,my exs,someones,their,my ex,my wifes,my husbands,my girlfriends,"
    "my boyfriends} {account,email,phone,instagram,facebook,snapchat,icloud,gmail,bank}",
    "break into {his,her,someones,my exs,their,my wifes,my husbands} {account,email,phone,"
    "instagram,facebook,snapchat,icloud,gmail}",
    "scam{,ming} {old people,the elderly,elderly people,elderly,seniors,grandma,grandpa,"
    "old folks,retirees,tourists,people out of}", "ponzi scheme", "tax evasion", "evade taxes",
    "evading taxes", "skim{,ming} cards", "skim credit cards", "pickpocket{,ing}",
    "pick pocket{,ing}", "insurance fraud", "wire fraud", "bank fraud", "embezzle{,ment}",
    "embezzling", "bribe a {cop,judge,official,officer,inspector}", "extort{,ion}", "sextortion",
    "dox{,x}{,ing}", "steal a car", "steal cars", "steal {passwords,credit cards,money from}",
    "steal my roommates passwords", "break into a {house,home,car}", "sim swap{,ping}", "ddos",
    "swatting", "swat someone",
    "counterfeit {money,bills,cash,currency,notes,dollars,100 bills,20 bills,50 bills}",
    "counterfeiting", "forge a {signature,check,cheque,prescription,document,passport,id,note}",
    "forge {his,her,my,someones,their} {signature,name}", "forge a doctors {note,prescription}",
    "forged {checks,cheques,prescriptions,documents,passports}",
    "fake {reviews,invoices,checks,cheques} scam", "credit card fraud", "carding", "cook the books",
    "avoid paying taxes illegally", "rob a {bank,store,house,gas station}",
    "clone a {credit card,card,debit card,sim,sim card,phone,key fob}", "card cloning",
    "clone credit cards",
)
# Getting into another person's phone or account behind their back.
COVERT_ACCESS = (
    r"\b(?:get|break|hack|log|sneak|spy|read|access|look) (?:in|into|on|through)? ?(?:my|his|her|"
    r"their|someones|a|an) (?:\w+ )?(?:phone|account|email|messages|texts|instagram|facebook|"
    r"snapchat|whatsapp|icloud|laptop|computer|dms)\b"
)
COVERT_WORDS = "knowing noticing finding permission consent".split()
COVERT = (
    r"\bwithout (?:her|him|them|anyone|my \w+|their|his) (?:knowing|noticing|finding out|"
    r"permission|consent)\b|\bsecretly\b|\bbehind (?:her|his|their) back\b"
)
# Phishing by description: posing as an institution to ask for credentials.
INSTITUTIONS = (
    "irs bank paypal amazon apple microsoft google netflix police government office hmrc fedex "
    "ups dhl usps security medicare"
).split()
IMPERSONATE = (
    r"\b(?:pretend|pretending|posing|pose|impersonat\w*|appears? to be|look like it s|looks like "
    r"its|spoof\w*) (?:to be |as )?(?:from )?(?:the |a |your )?(?:irs|bank|paypal|amazon|apple|"
    r"microsoft|google|netflix|police|government|tax office|hmrc|fedex|ups|dhl|usps|"
    r"social security|medicare|their bank|his bank|her bank)\b"
)
IMPERSONATE_VERBS = (
    "pretend pretending posing pose impersonate impersonating impersonation appears appear "
    "look looks spoof spoofing spoofed spoofs"
).split()
CREDENTIALS = (
    r"\b(?:ssns?|social security numbers?|passwords?|bank details|card details|credit cards?|"
    r"card numbers?|logins?|pins?|2fa codes?|verification codes?|account numbers?|"
    r"routing numbers?|security questions?)\b"
)
# Things that are crimes to make, buy or use: need an action word too.
FRAUD_OBJECTS = phrases(
    "stolen {credit card,credit cards,card,cards,identity,identities,account,accounts,data}",
    "credit card numbers", "card numbers", "cc numbers", "cvv{,s}", "cc dumps", "dumps", "fullz",
    "phishing", "phishing {email,emails,page,site,website,kit,link,text,sms}", "ransomware",
    "keylogger{,s}", "malware", "botnet{,s}", "trojan", "spyware", "stalkerware", "counterfeit",
    "fake id{,s}", "fake passport{,s}", "fake license", "fake licence", "fake driver{s,} license",
    "card skimmer{,s}", "skimmer{,s}", "credit card generator", "fake money", "counterfeit money",
    "exploit kit",
)
FRAUD_ACTION = (
    r"\b(?:write|writing|create|creating|make|making|generate|generating|code|coding|build|"
    r"building|draft|design|develop|program|produce|set up|setup|deploy|spread|buy|buying|"
    r"sell|selling|use|using|commit|pull off|launch|print|printing|install|get|find|obtain)\b"
)
IMPERATIVE = (
    r"^(?:please |pls |now |ok |okay |hey |so )?(?:write|create|make|generate|code|build|draft|"
    r"set up|"
    r"design|develop|give me|send me|list|explain|describe|tell me|show me|produce|compose)\b"
)

# =========================================================================== self-harm

SELF_HARM = (
    r"\b(?:kill|killing|hurt|hurting|harm|harming|cut|cutting|cuts|burn|burning|starve|"
    r"starving|hang|hanging|shoot|poison|poisoning|drown|drowning|off) (?:my ?self|myself)\b"
    # idioms: "killing myself laughing", "killing myself with overwork"
    r"(?! (?:with|laughing|over|trying|at|for|to get|working|studying|to finish|to make))"
    r"|\b(?:end|ending|ended|take|taking|took) my (?:own )?life\b|\bend it all\b"
    r"|\bsuicid(?:e|al)\b(?! (?:squad|bomb|bomber|bombers|bombing|vest|belt|attack|attacks|"
    r"mission|doors|note app))|\bkms\b"
    r"|\b(?:want|wanna|wanted|ready|going|wish i could|wish i was|wish i were|deserve) "
    r"(?:to )?(?:die|be dead|not exist|not wake up)\b"
    r"|\b(?:dont|do not|no longer) want to (?:live|be alive|exist|wake up|be here)\b"
    r"(?! (?:early|at|before|for|to|in|so|on|with|without|alone|yet|right now|today|"
    r"this morning)\b)"
    r"|\bbetter off (?:without me|dead|if i (?:was|were) (?:dead|gone))\b"
    r"|\bno reason to live\b|\bself ?harm(?:ing)?\b|\boverdose on purpose\b"
    r"|\bpainless way to (?:die|go)\b"
    r"|\b(?:to|and|so i|i) (?:not|never) wake up\b|\bgoodbye (?:letters?|notes?)\b"
    r"|\bsuicide notes?\b|\bhow many (?:\w+ ){0,2}pills (?:\w+ ){0,3}(?:die|overdose|end it)\b"
)

# =========================================================================== generalised rules
# Words and patterns of the second round (docs/MODERATION.md "Generalised rules"): threats with
# words between the intent and the act, harm phrases that carry their own victim, instructions
# given rather than asked, fraud and weapon how-tos, grooming, self-harm paraphrases.

_PERSON_CORE = PERSON[len(r"\b(?:") : -len(r")\b")]
PERSON_SLOT = r"(?:" + _PERSON_CORE + r")"
# Whose body part: "your head", "his throat", "my bosss head" (possessive, apostrophe dropped).
_POSS = (
    r"(?:your|ur|yo|his|her|their|someones|somebodys|(?:my|that|the|this) (?:\w+ )?\w+s)"
)

# Base forms of the harm verbs: after "I'm going to ... and" only an infinitive continues the
# speaker's intent ("... and stab you"); "... you killed him" is someone else's past act.
HARM_BASE = frozenset(
    "kill murder stab shoot strangle choke poison drown suffocate smother behead torture hurt "
    "harm injure maim beat punch hit lynch hang assassinate bludgeon kidnap rape abduct execute "
    "slaughter butcher stomp strangulate electrocute dismember castrate mutilate disembowel "
    "decapitate shank end gun mow curb".split()
)
# Harm that names its own victim ("put a bullet in your head", "make him bleed").
_NOT_FOOD = r"(?! (?:food|times?|coffee|drinks?|dinner|lunch|meal|reason|luck|measure|cause)\b)"
HARM_PHRASE = (
    r"\b(?:put (?:a |one |two |some |the )?(?:bullet|bullets|round|slug|hole|knife|blade) "
    r"(?:in|into|through|between) " + _POSS + r" (?:head|skull|brain|brains|face|chest|heart|"
    r"eyes|back|gut|stomach|neck)"
    r"|put " + PERSON_SLOT + r" (?:in|into|under) (?:the ground|the grave|a grave|an early grave|"
    r"the hospital|a coffin|a body bag|a wheelchair|the morgue|the dirt)"
    r"|put " + PERSON_SLOT + r" six feet under"
    r"|(?:send|sent) " + PERSON_SLOT + r" to (?:the morgue|the hospital|an early grave|the grave|"
    r"the icu)"
    r"|blow " + _POSS + r" (?:brains|head|face) (?:out|off)"
    r"|blow " + PERSON_SLOT + r" brains out"
    r"|make " + PERSON_SLOT + r" bleed"
    r"|beat " + PERSON_SLOT + r" (?:to death|to a pulp|senseless|half to death|unconscious|"
    r"bloody)"
    r"|(?:take out|finish off|knock out|put down) "
    + PERSON_SLOT
    + r" (?:permanently|forever)"
    + r"|(?:take|knock|finish|put) "
    + PERSON_SLOT
    + r" (?:out|off|down) (?:permanently|forever)"
    + r"|run "
    + PERSON_SLOT
    + r" off the road"
    r"|be the (?:one|last person|last thing \w+ \w+) (?:who|that|to) (?:kills?|ends?|stabs?|"
    r"shoots?|murders?|buries|bury|hurts?) " + PERSON_SLOT
    + r"|end (?:your|ur|his|her|their|that \w+s|my \w+s) (?:miserable |pathetic |worthless )?"
    r"(?:life|lives)"
    r")\b"
)
HARM_PHRASE_PAIRS = (
    (("put",), ("bullet", "bullets", "round", "slug", "hole", "knife", "blade", "ground",
                "grave", "hospital", "coffin", "bag", "wheelchair", "morgue", "dirt", "six")),
    (("morgue", "hospital", "grave", "icu"), ("send", "sent")),
    (("blow",), ("brains", "head", "face")),
    (("make",), ("bleed",)),
    (("permanently", "forever"), ("out", "off", "down")),
    (("beat",), ("death", "pulp", "senseless", "unconscious", "bloody")),
    (("road",), ("run",)),
    (("kills", "kill", "ends", "end", "stabs", "stab", "shoots", "shoot", "murders", "murder",
      "buries", "bury", "hurts", "hurt"), ("be",)),
    (("end",), ("life", "lives")),
)  # fmt: skip

# Second-person fates: idioms that mean "you will be dead" ("end up in a ditch").
THREAT_FATE = (
    r"\b(?:you|u|ya|youre|ur|you are|youll|you will|hes|shes|theyre|he|she|they|he will|"
    r"she will|they will|theyll)(?: (?:gonna|going to|will|are going to|is going to|about to|"
    r"gon))? (?:(?:end up|wind up|be found|turn up|wash up) (?:dead in \w+ \w+|"
    r"dead(?! (?:tired|broke|drunk|last|asleep|serious|wrong|beat|set|center|even|ass|end)\b)|"
    r"in (?:a|the) (?:ditch|body bag|coffin|morgue|river|trunk|dumpster|grave)|six feet under|"
    r"in pieces|face down in \w+ \w+)|(?:be|go) (?:in (?:a|the) (?:ditch|body bag|coffin|morgue|"
    r"dumpster|grave)|six feet under))\b"
    r"|\b(?:sleep|sleeping|swim|swimming|sleeps) with the fishes\b"
    r"|\b(?:youre|ur|you are|hes|shes|theyre|is|are|you) (?:so |fucking |pretty much )?"
    r"dead meat\b"
)
FATE_WORDS = "ditch bag coffin morgue river trunk dumpster grave six pieces fishes meat".split()
# "... if you talk to the cops": a fate on condition of speaking up is intimidation.
SILENCE = (
    r"\bif (?:you|u|ya) (?:ever )?(?:talk|tell|speak|snitch|rat|testify|say a word|say anything|"
    r"open your mouth|go to the (?:cops|police)|call the (?:cops|police)|report)\b"
)
# Threats against the listener's family ("coming for you and your family").
FAMILY_TARGET = (
    r"\b(?:(?:come|coming|comes) (?:for|after)|(?:go|going|goes) after) (?:you and )?(?:your|ur) "
    r"(?:whole |entire |little )?(?:family|kids|children|wife|husband|mom|mother|dad|father|"
    r"daughter|son|sister|brother|girlfriend|boyfriend|parents)\b"
    r"|\bi know where (?:your|ur) (?:kids|children|family|wife|husband|daughter|son|mom|parents) "
    r"(?:live|lives|go|goes|sleep|sleeps|work|works)\b"
)
# Bringing a weapon to a school or a workplace.
WEAPON_TO_PLACE = (
    r"\b(?:bring|bringing|take|taking|carry|carrying|brought) (?:a |my |the |an |his |her |some |"
    r"\w+s )?(?:\w+ )?(?:gun|guns|knife|knives|rifle|rifles|pistol|glock|shotgun|ar 15|ar15|"
    r"weapon|weapons|machete|bomb|ammo) (?:to|into|in to) (?:school|work|class|the office|"
    r"church|campus|the mall|my school|my work|my office|the school|the meeting|the party|"
    r"practice|the game)\b"
)
WEAPON_WORDS = (
    "gun guns knife knives rifle rifles pistol glock shotgun ar15 weapon weapons machete bomb "
    "ammo"
).split()
# Breath play between adults ("choke me", "I'm going to choke you while I kiss your neck") is
# adult content, not a threat: these verbs do not make a threat in an erotic text.
KINK_VERBS = frozenset("choke choking choked strangle".split())
EROTIC_WORDS = frozenset(
    "kiss kissing kisses moan moaning bed naked daddy babe baby neck lips sexy horny hard wet "
    "cum spank spanking safeword".split()
)
# A story's frame: a threat inside it is flagged, not blocked (instructions are still blocked).
FICTION_FRAME = (
    r"\b(?:in (?:my|the|this|our|a|his|her) (?:\w+ )?(?:story|novel|book|thriller|screenplay|"
    r"script|film|movie|show|series|game|campaign|fanfic|fic|comic|chapter|scene|play|poem|"
    r"western|noir|horror)"
    r"|chapter (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)"
    r"|the (?:villain|hero|heroine|detective|gangster|killer|assassin|mob boss|boss|protagonist|"
    r"antagonist|character|narrator|soldier|witch|wizard|knight|dragon|pirate|outlaw|gunslinger|"
    r"sheriff|monster|vampire|cult leader|warlord|spy|hitman|thug|henchman|bandit|villainess|"
    r"captain|king|queen|stranger|mobster|cowboy|demon|ghost|orc|sorcerer)s? (?:\w+ )?(?:said|"
    r"says|hissed|hisses|growled|growls|snarled|snarls|sneered|sneers|whispered|whispers|"
    r"shouted|yelled|smiled|leaned|leans|laughed|swore|swears|muttered|replied|threatened|"
    r"warned|screamed|spat|roared|roars)"
    r"|write (?:a|the|me a|an) (?:\w+ )?(?:story|scene|chapter|poem|script|monologue|dialogue))\b"
)
# A result that means lasting harm to someone else ("so he can't get up", "so she bleeds out").
HARM_OUTCOME = (
    r"\b(?:so|until|and) (?:that )?(?:he|she|they|someone|somebody|the person|the guy|the victim|"
    r"it|my \w+|the \w+)(?: \w+)? (?:bleeds? out|dies|die|stops breathing|stop breathing|cant "
    r"breathe|passes out|pass out|blacks out|black out|cant fight back|cant get up|doesnt get up|"
    r"never wakes up|never wake up|stays down|stay down|goes limp|go limp|cant move|cant scream)\b"
    r"|\b(?:bleed|bleeds) out\b"
)
# Drugging someone's drink.
DRUGGING = (
    r"\b(?:spike|spiking|spiked|drug|drugging|roofie|roofy|dose|dosing|lace|lacing) (?:" + _POSS
    + r"|a|the|someones|her|his|their|my \w+s) (?:\w+ )?(?:drink|drinks|food|coffee|tea|water|"
    r"wine|beer|cocktail|soda|juice)\b"
    r"|\b(?:roofie|roofy) (?:her|him|them|someone|somebody|a girl|a guy|my \w+)\b"
    r"|\b(?:slip|put|drop|pour) (?:something|some pills|pills|a roofie|roofies|drugs|sleeping "
    r"pills|ghb|xanax|rohypnol) (?:in|into) " + _POSS + r" (?:drink|drinks|food|coffee|tea|"
    r"water|wine|beer|cocktail)\b"
)
# "make it look like he lost control": staging someone's death or injury.
STAGED_ACT = (
    r"\b(?:make|making|made) it (?:look|seem|appear) like (?:he|she|they|it was|it) (?:\w+ )?"
    r"(?:lost control|fell|slipped|tripped|killed (?:himself|herself|themselves)|did it|"
    r"overdosed|drowned|committed suicide|an accident|a suicide|a robbery|a break in|"
    r"self defen[cs]e|natural causes|a heart attack)\b"
)
# Someone urging another to harm a person: subject + obligation ("someone needs to").
INCITE_MODAL = (
    r"\b(?:someone|somebody|anyone|anybody|people|we|you|everyone|u|yall|they|society|"
    r"the government|the cops) (?:really |seriously |just |should just |all )?(?:should|must|"
    r"needs to|need to|ought to|has to|have to|gotta|oughta)(?: really| just| finally| go)?\b"
)
# "should all be rounded up and shot": a fate wished on people, a few words away.
DESERVE_WIDE = (
    r"\b(?:deserves?|deserved|should|ought to|needs? to|must) (?:all |each |every one |"
    r"\w+ )?(?:to )?(?:be )?(?:\w+ ){1,3}and (?:then )?" + group(DESERVE_FATES) + r"\b"
)
# Instructions presented, not asked for: what a reply (or a pasted recipe) looks like.
PRESENT = (
    r"\b(?:here is how|heres how|this is how|thats how|that is how|here are the steps|"
    r"here are (?:the |your )?(?:instructions|directions|ingredients|materials)|"
    r"follow these steps|(?:youll|you will|youd|you would) need|all you need|what you need|"
    r"you need (?:the following|these|a few things|to get)|the (?:trick|key|secret) is|"
    r"start by|begin by|first (?:you|get|take|mix|fill|buy|make|grab|put|pack|add|drill|cut)|"
    r"to (?:make|build|cook|assemble|create|turn|convert|mill|print) (?:a|an|the|it|your|some|"
    r"one|this)|step (?:\d+|one|two|three)|(?:then|next|after that|now|once (?:that|its|it is|"
    r"done)) (?:you )?(?:add|mix|fill|pack|heat|put|take|attach|insert|light|seal|pour|stir|"
    r"drill|cut|wire|connect|screw|thread|crush|dissolve|cook|boil)"
    r"|(?:^|then |first |next |and )you (?:mix|add|heat|cook|combine|pack|fill|crush|dissolve|"
    r"stir|pour|attach|insert|wire|drill|light|seal)"
    r"|^(?:mix|combine|add|pack|fill|heat|pour|stir|crush|dissolve|attach|insert|wire|drill|"
    r"mill|grab|get|buy))\b"
)
# The request after its object, pointing back to it ("pipe bomb, how do I make one?").
PRO_FORM = r"\b(?:one|ones|it|that|this|them|those|some)\b"
# An amount of a material ("two pounds of", "a 94 to 6 ratio").
QUANTITY_MAT = (
    r"\b(?:\d+|a few|one|two|three|four|five|ten|half a|a half|a couple of) ?(?:g|grams?|mg|kg|"
    r"kilos?|ml|l|liters?|litres?|oz|ounces?|lbs?|pounds?|cups?|tablespoons?|tbsp|teaspoons?|tsp|"
    r"parts?|percent|gallons?)\b|\b\d+ to \d+ ratio\b|\bratio\b"
)
# Words that make a how-to into a game or a cooking recipe.
GAME = (
    r"\b(?:game|games|gaming|boss fight|level|levels|quest|npc|npcs|enemy|enemies|dungeon|raid|"
    r"respawn|player|players|minecraft|zelda|elden ring|dark souls|skyrim|fortnite|"
    r"call of duty|gta|mario|pokemon|d d|dnd|campaign|final boss|hp|xp|speedrun)\b"
)
# Terrorism: an attack being planned against a public place, with a weapon or at a busy time.
ATTACK_SOFT = (
    r"\b(?:hit|storm|raid|strike|target|light up|shoot up|attack|bomb|blow up|"
    r"plant (?:a |the |this |my |our )?(?:device|package|bag|backpack|bomb|bombs|explosives|"
    r"charge|charges)) (?:the |a |that |this |our |their |your |my )?(?:\w+ )?"
    + group(TARGETS)
    + r"\b"
)
ATTACK_SOFT_STRONG = frozenset("attack bomb blow plant shoot".split())
ATTACK_SOFT_VERBS = "hit storm raid strike target attack bomb blow plant".split()
CROWD_TIME = (
    r"\b(?:when (?:its|it is|theyre|they are|everyone is) (?:packed|crowded|full|busy)|"
    r"during (?:\w+ )?(?:prayers|prayer|service|services|mass|rush hour|the parade|the concert|"
    r"the game|the match|the festival|assembly|lunch|graduation)|rush hour|at (?:its )?"
    r"(?:busiest|peak)|most people|packed|crowded)\b"
)
# Calls to kill unbelievers or to rise up: what makes a post propaganda.
PROPAGANDA_GOAL_WIDE = (
    r"\b(?:kill|slaughter|murder|behead|exterminate|attack|fight|butcher|massacre|punish|"
    r"strike down|wipe out) (?:the |all |all the |every )?(?:infidels|nonbelievers|unbelievers|"
    r"kuffar|kafir|kafirs|crusaders|apostates|disbelievers|polytheists|zionists)\b"
    r"|\brise up and (?:kill|slaughter|attack|fight|strike|take up arms)\b"
)
PROPAGANDA_GOAL_WORDS = (
    "infidels nonbelievers unbelievers kuffar kafir kafirs crusaders apostates disbelievers "
    "polytheists zionists"
).split()

# Illegal activity.
# "cook crack", "sell crack": the drug, not an egg, a joke or a safe.
CRACK_DRUG = (
    r"\b(?:cook|cooking|cooked|make|making|rock up|smoke|smoking|sell|selling|buy|buying|"
    r"score|scoring) crack\b(?! (?:a|an|the|open|up|down|jokes?|eggs?|nuts?|it|that|this|my|your|"
    r"his|her|on|of|at|into|under|codes?|passwords?|safes?|some|their|skulls?|whips?|windows?|"
    r"smiles?)\b)"
    r"|\bcrack (?:pipe|pipes|rock|rocks|house|houses|head|heads|cocaine|dealer|dealers)\b"
)
CRACK_WORDS = (
    "cook cooking cooked make making rock smoke smoking sell selling buy buying score scoring "
    "pipe pipes rocks house houses head heads dealer dealers"
).split()
# Account takeover: breaking into someone else's account ("brute force my ex's Gmail").
_OTHERS = (
    r"(?:his|her|their|someones|somebodys|a persons|peoples|other peoples|my (?:\w+ )?(?:exs|"
    r"wifes|husbands|girlfriends|boyfriends|gfs|bfs|moms|dads|bosss|roommates|coworkers|"
    r"neighbors|neighbours|sisters|brothers|friends|partners|teachers|exgirlfriends|"
    r"exboyfriends)|(?:an|the|this|that) (?:\w+ )?(?:exs|ex s))"
)
ACCOUNT_TAKEOVER = (
    r"\b(?:hack|hacking|crack|cracking|brute force|brute forcing|bruteforce|guess|guessing|"
    r"bypass|bypassing|phish|phishing|steal|stealing|hijack|hijacking|take over|reset) "
    r"(?:into )?" + _OTHERS + r" (?:\w+ )?(?:password|passwords|passcode|pin|account|accounts|"
    r"email|gmail|icloud|instagram|facebook|snapchat|tiktok|whatsapp|phone|iphone|login|"
    r"2fa|bank account|apple id|onlyfans|discord)\b"
)
ACCOUNT_VERBS = (
    "hack hacking crack cracking brute bruteforce guess guessing bypass bypassing phish "
    "phishing steal stealing hijack hijacking take reset"
).split()
# Stealing credentials or card data with software ("a script that steals saved passwords").
CRED_THEFT = (
    r"\b(?:steal|steals|stealing|stole|grab|grabs|grabbing|harvest|harvests|harvesting|dump|"
    r"dumps|dumping|exfiltrate|exfiltrates|sniff|sniffs|sniffing|scrape|scrapes|"
    r"capture|captures|capturing) (?:\w+ ){0,3}?(?:passwords|"
    r"credentials|logins|session cookies|browser cookies|auth cookies|login cookies|"
    r"session tokens|auth tokens|card numbers|credit card numbers|"
    r"credit cards|2fa codes|seed phrases?|keystrokes|what (?:people|they|users|victims) type)\b"
)
CRED_WORDS = (
    "passwords credentials logins cookies tokens keystrokes seed numbers cards codes type"
).split()
CRED_VERBS = (
    "steal steals stealing stole grab grabs grabbing harvest harvests harvesting dump dumps "
    "dumping exfiltrate exfiltrates sniff sniffs sniffing scrape scrapes capture captures "
    "capturing"
).split()
# Phishing pages by description: a fake sign-in page.
PHISHING_PAGE = (
    r"\b(?:fake|cloned|clone|spoofed|spoof|copycat|lookalike|look alike|replica|phony|bogus) "
    r"(?:\w+ ){0,2}(?:login|log in|sign in|signin|logon|log on|checkout|payment) (?:page|pages|"
    r"site|website|form|portal|screen)\b"
)
PHISHING_WORDS = (
    "fake cloned clone spoofed spoof copycat lookalike look replica phony bogus".split()
)
PHISHING_PAGE_WORDS = "login log sign signin logon checkout payment".split()
# Counterfeit money by description.
FAKE_MONEY = (
    r"\b(?:fake|counterfeit|phony|bogus|funny) (?:\d+ |twenty |fifty |hundred |ten )?(?:dollar )?"
    r"(?:bills|notes|cash|money|currency|twenties|fifties|hundreds|tens|banknotes)\b"
    r"|\bpass (?:the|a) (?:counterfeit )?(?:pen|marker) test\b"
)
FAKE_MONEY_WORDS = (
    "bills notes cash money currency twenties fifties hundreds tens banknotes pen marker".split()
)
# Laundering and hiding crime proceeds.
LAUNDER = (
    r"\b(?:wash|washing|clean|cleaning|launder|laundering) (?:(?:the|my|our|dirty|drug|all the|"
    r"this|his|her|their) ){0,2}(?:cash|money|profits|proceeds)"
    r"(?! (?:machine|register|drawer|bag|jar)\b)"
    r"|\b(?:without|so) (?:the )?(?:bank|banks|irs|feds|cops|police|taxman|hmrc) "
    r"(?:doesnt |dont |wont |cant |never |wouldnt )?(?:flag|flagging|flags|notice|noticing|find "
    r"out|finding out|track|tracking|trace|report|reporting|see|seeing)\b"
)
LAUNDER_WORDS = "wash washing clean cleaning launder laundering without so".split()
PROCEEDS = r"\b(?:cash|money|profits|proceeds|dealing|drug money|deposits?|income)\b"
# Evading detection for a crime: "... and not get caught".
EVADE = (
    r"\b(?:without (?:getting|being) (?:caught(?! up\b)|noticed|arrested|traced|tracked)|"
    r"(?:and|to) not get (?:caught|arrested|traced)|without anyone (?:noticing|knowing|finding "
    r"out)|get away with it|without (?:a trace|leaving a trace|leaving evidence)|undetected)\b"
)
CRIME = (
    r"\b(?:steal|stealing|stole|(?<!got )(?<!was )(?<!were )(?<!been )(?<!get )stolen|"
    r"shoplift\w*|rob|robbing|burglar\w*|break into|embezzl\w*|"
    r"launder\w*|smuggl\w*|forge|forging|forged|counterfeit\w*|pickpocket\w*|scam\w*|fraud\w*|"
    r"poach\w*|fence|fencing|sell (?:drugs|weed|coke|pills)|deal drugs|dealing drugs|"
    r"return fraud|shoplifted|skim\w*)\b"
)
# Weapon modification and untraceable builds.
WEAPON_MOD = phrases(
    "solvent trap{,s}", "oil filter suppressor{,s}", "oil filter silencer{,s}",
    "lightning link{,s}", "auto key card", "drop in auto sear{,s}", "forced reset trigger{,s}",
    "polymer 80", "80 percent lower", "unfinished receiver{,s}", "unfinished lower{,s}",
    "ghost gun{,s}", "untraceable gun{,s}", "untraceable rifle{,s}",
    "untraceable pistol{,s}", "convert {it,a glock,my glock,a rifle,an ar,my ar} to full auto",
    "make it full auto", "make it fully automatic",
)
SERIAL_FREE = phrases(
    "no serial number{,s}", "without a serial number", "without serial numbers", "unserialized",
    "unserialised", "serial number removed", "remove the serial", "file off the serial",
    "no paper trail", "without a tax stamp", "without the atf", "no tax stamp",
)
WEAPON_BUILD = (
    r"\b(?:mill|milling|milled|machine|machining|finish|finishing|drill|drilling|drill out|"
    r"jig|router|cnc|print|printing|3d print|convert|converting|turn|turning|make|making|build|"
    r"building|assemble|assembling|thread|threading|bore|index|indexing|install|installing|"
    r"buy|order|get|obtain)\b"
)
DRUG_PRESS = r"\b(?:press|pressing|pill press|pill presses|lace|lacing|cut|cutting)\b"
# Asking for software ("write me a script that ...").
TOOL_REQUEST = (
    r"\b(?:write|code|build|make|create|develop|program|give me|send me|need) (?:me )?(?:a |an |"
    r"the |some )?(?:\w+ )?(?:script|program|tool|app|extension|bot|code|malware|payload|exe|"
    r"plugin|macro|virus|trojan)\b"
)
# Asking in order to defend against it ("how do I spot a fake login page").
DEFENSIVE = (
    r"\b(?:protect|protecting|prevent|preventing|defend|detect|detecting|stop|avoid|avoiding|"
    r"secure|report|reporting|remove|spot|recognize|recognise|identify|scan for|check for|"
    r"know if|tell if|tell whether|is this|was this|got|received|fell for|victim of|scammed)\b"
)
# Grooming a child: secrecy, isolating contact, flattery, next to a stated minor.
SECRECY = phrases(
    "dont tell {anyone,anybody,your mom,your mother,your dad,your father,your parents,"
    "your teacher,your family,your friends,your sister,your brother,mom,dad}",
    "{our,a} little secret", "our secret", "just between {us,you and me,the two of us}",
    "keep {this,it,us,our chats,our talks} {a secret,secret,between us,to yourself,quiet}",
    "delete {our,these,the,this,my,all our} {chats,chat,messages,texts,conversation,dms,pics,"
    "photos,pictures}",
    "so your {mom,mother,dad,father,parents,mum} {doesnt,dont,wont,cant,never} {see,know,find}",
    "no one {needs to,has to,will,can,should} know",
    "nobody {needs to,has to,will,can,should} know",
    "your parents {dont,wont,shouldnt,cant} {know,find out,understand}",
    "{where,when} no one can see",
    "keep {her,his,their,your} parents from finding out",
    "{her,his,their,your} parents {dont,wont,cant,never,shouldnt} find out",
    "trust me more than your {parents,mom,dad,mother,father}",
    "when {they,your parents,your mom,your dad,your mum} {are,re,is} {asleep,sleeping,gone,out,"
    "at work,not home}",
    "theyre asleep", "they are asleep",
)
GROOM_CONTACT = (
    r"\b(?:(?:lets|we should|can we|i want to|wanna|we could|want to|we can) meet|meet (?:me|up)|"
    r"pick you up|video chat|facetime|snap me|dm me|call me|text me|"
    r"come (?:over|to my (?:place|house|car|room|hotel))|(?:send|show) me (?:a |some |"
    r"more )?(?:pic|pics|picture|pictures|photo|photos|selfie|selfies|video|videos)|video call|"
    r"come alone|just us|just the two of us|where do you live|what school do you go to|"
    r"are your parents home|sneak out|after school)\b"
)
GROOM_FLATTERY = phrases(
    "mature for your age", "so mature", "{so,very,really} grown up", "not like other {girls,kids}",
    "older than you look", "{only,just} 1{0,1,2,3,4,5,6,7} but",
)
# Self-harm: methods with intent, despair, finality.
SELF_HARM_WIDE = (
    r"\b(?:im going to|im gonna|gonna|i will|ill|i want to|i wanna|thinking about|thinking of|"
    r"thought about|planning to|plan to|about to|going to|want to|might|could just|should just|"
    r"urge to|tempted to) (?:just |finally )?(?:jump|leap|throw myself|jumping|leaping|"
    r"throwing myself) (?:off|from) (?:the |a |this |that |my )?(?:\w+ )?(?:bridge|roof|rooftop|"
    r"building|balcony|overpass|tower|ledge|cliff|parking garage|window)\b"
    r"(?!(?: \w+){0,6} (?:into|in) (?:the |a )?(?:water|lake|sea|pool|river|ocean)\b)"
    r"|\b(?:thinking about|thinking of|thought about|want to|going to|gonna|might|could just|"
    r"urge to|tempted to|planning to|keep imagining) (?:just )?(?:step|stepping|jump|jumping|"
    r"walk|walking|throw myself|throwing myself|lie|lying|lay) (?:down )?(?:in front of "
    r"(?:a |the |an )?(?:\w+ )?(?:train|trains|bus|truck|car|traffic|one|subway|lorry)|"
    r"(?:onto|on) (?:the )?(?:train |railway |subway )?(?:tracks|rails|highway|freeway))\b"
    r"|\b(?:saved up|saving up|stockpiling|stockpiled|hoarding|collected|collecting|saved) "
    r"(?:enough|all (?:my |the |of my )?|every one of my) ?(?:pills|meds|medication|painkillers|"
    r"pain killers|sleeping pills)\b"
    r"|\b(?:stockpiling|stockpiled|hoarding|hoarded) (?:my |the |up |up my |some )?(?:pills|meds|"
    r"medication|painkillers|pain killers|sleeping pills)\b"
    r"|\benough (?:pills|meds|sleeping pills|painkillers) to (?:die|end it|not wake up|"
    r"never wake up|overdose|kill myself|do it)\b"
    r"|\b(?:no|dont see the|dont see any|do not see the|cant see the|cant see any|there is no|"
    r"theres no) (?:point|reason) (?:in |to |of )?(?:living|going on|being alive|go on|keep going|"
    r"keeping going|life|being here|trying anymore|anything anymore)\b"
    r"|\bcant (?:go on|keep going|live like this) any ?more\b"
    r"|\b(?:tired|sick) of (?:living|being alive|existing|life)\b(?! (?:in|at|with|on|under|"
    r"near|from|out of|paycheck|here|there|like a)\b)"
    r"|\b(?:if i|when i|i) (?:just |finally )?(?:disappeared|disappear|vanished|vanish|was gone|"
    r"were gone|am gone|died|was dead|were dead) (?:for good|forever|permanently)\b"
    r"|\beveryone (?:would be|will be|is) (?:happier|better off|better) (?:without me|"
    r"(?:if|when) i (?:was|were|am|m) (?:gone|dead|not here|not around|never born)|"
    r"(?:if|when) i (?:disappeared|didnt exist|wasnt here|wasnt around|never existed|died))\b"
    r"|\b(?:wont|will not|wont even) be (?:here|around|alive) much longer\b"
    r"|\b(?:wont|wont even) be (?:here|around|alive) (?:by morning|for long)\b"
    r"|\b(?:wont|will not) be alive\b"
    r"|\b(?:tied|tying|made|making|bought) (?:a|the|my) noose\b"
)
SELF_HARM_WIDE_PAIRS = (
    (("jump", "leap", "jumping", "leaping", "throw", "throwing"), ("bridge", "roof", "rooftop",
     "building", "balcony", "overpass", "tower", "ledge", "cliff", "garage", "window")),
    (("front", "tracks", "rails", "highway", "freeway"), ("step", "stepping", "jump", "jumping",
                                                          "walk", "walking",
                                   "throw", "throwing", "lie", "lying", "lay")),
    (("pills", "meds", "medication", "painkillers", "killers"), ("saved", "saving",
     "stockpiling", "stockpiled", "hoarding", "hoarded", "collected", "collecting", "enough")),
    (("point", "reason"), ("living", "going", "alive", "go", "keep", "keeping", "life", "here",
                           "trying", "anything")),
    (("anymore", "more"), ("cant",)),
    (("tired", "sick"), ("living", "alive", "existing", "life")),
    (("disappeared", "disappear", "vanished", "vanish", "gone", "died", "dead"),
     ("good", "forever", "permanently")),
    (("happier", "better"), ("everyone",)),
    (("longer", "alive"), ("wont", "will")),
    (("wont",), ("morning", "long")),
)  # fmt: skip

# Recipes: materials that together make a weapon, an explosive or a drug. A recipe fires when
# `need` of its term classes (one of them a key class) occur within `window` tokens of each
# other and the text reads as instructions (cooccur.py). Key classes are the distinctive words
# (the quick screen's triggers); the other classes are everyday words that only count next to
# a key ("bottle", "rag", "nails").
RECIPE_TERMS: dict[str, list[str]] = {
    # incendiary bottle
    "fuel": phrases("gasoline", "petrol", "kerosene", "lighter fluid", "turpentine",
                    "paint thinner", "motor oil and gasoline"),
    # a lamp has a wick and a chimney; a fire-bomb a rag stuffed in a bottle, and is thrown
    "bottle": phrases("bottle{,s}", "glass bottle{,s}", "wine bottle{,s}", "beer bottle{,s}",
                      "liquor bottle{,s}"),
    "wick": phrases("rag{,s}", "cloth", "tampon{,s}", "sock{,s}", "t shirt", "cloth wick",
                    "rag wick"),
    "ignite": phrases("light it", "lit", "ignite", "ignites", "igniting", "throw it",
                      "throw them", "toss it", "hurl it", "set it on fire", "throw", "toss",
                      "hurl"),
    # pipe and pressure-cooker bombs
    "powder": phrases("black powder", "gunpowder", "gun powder", "smokeless powder",
                      "flash powder", "match heads", "potassium chlorate",
                      "potassium perchlorate", "pyrodex"),
    "pipe": phrases("steel pipe{,s}", "metal pipe{,s}", "galvanized pipe{,s}",
                    "pipe nipple{,s}", "pvc pipe{,s}", "iron pipe{,s}", "pipe"),
    "end_cap": phrases("end cap{,s}", "endcap{,s}", "caps", "cap"),
    "fuse": phrases("fuse{,s}", "cannon fuse", "visco fuse", "igniter{,s}",
                    "model rocket igniter{,s}", "detonator{,s}", "blasting cap{,s}",
                    "christmas lights", "drill a hole"),
    "pressure_cooker": phrases("pressure cooker{,s}"),
    "shrapnel": phrases("nails", "ball bearings", "shrapnel", "bbs", "nuts and bolts",
                        "metal scraps", "razor blades"),
    "trigger": phrases("kitchen timer", "egg timer", "cell phone trigger", "remote detonator",
                       "detonator{,s}", "blasting cap{,s}", "igniter{,s}", "phone as a trigger"),
    # ammonium nitrate and fuel oil
    "nitrate": phrases("ammonium nitrate", "fertilizer", "fertiliser", "instant cold packs",
                       "cold packs", "urea nitrate"),
    "fuel_oil": phrases("fuel oil", "diesel", "kerosene", "motor oil"),
    "anfo_step": phrases("mix", "mixing", "ratio", "soak", "prill{,s}", "booster",
                         "blasting cap{,s}", "detonator{,s}", "pack it", "barrel{,s}", "drum{,s}"),
    # peroxide explosives
    "peroxide": phrases("hydrogen peroxide", "peroxide"),
    "acetone": phrases("acetone", "nail polish remover"),
    "acid": phrases("sulfuric acid", "sulphuric acid", "hydrochloric acid", "battery acid",
                    "muriatic acid"),
    # methamphetamine
    "meth_precursor": phrases("pseudoephedrine", "ephedrine", "sudafed", "p2p",
                              "phenylacetone", "methylamine"),
    "red_p": phrases("red phosphorus", "iodine", "iodine crystals", "hydriodic acid",
                     "matchbox strikers", "striker plates"),
    "birch": phrases("lithium", "lithium strips", "anhydrous ammonia", "sodium metal"),
    "one_pot": phrases("lye", "drain cleaner", "camp fuel", "coleman fuel", "starter fluid",
                       "ammonium nitrate", "cold packs", "ether", "toluene"),
    "meth_acid": phrases("muriatic acid", "hydrochloric acid", "sulfuric acid", "hcl gas",
                         "gas it"),
    # cocaine base
    "cocaine": phrases("cocaine", "powder cocaine", "coke"),
    "cocaine_key": phrases("cocaine", "powder cocaine"),
    "base": phrases("baking soda", "sodium bicarbonate", "bicarb", "ammonia"),
    "heat": phrases("heat", "heat it", "microwave", "boil", "boiling", "cook", "cook it", "spoon",
                    "rock", "rocks up", "let it cool"),
    # untraceable guns and home-made suppressors
    "receiver": phrases("80 lower{,s}", "80 percent lower{,s}", "polymer 80", "p80",
                        "unfinished receiver{,s}", "unfinished lower{,s}", "unfinished frame{,s}",
                        "lower receiver{,s}", "stripped lower{,s}"),
    "jig": phrases("jig", "router", "drill press", "end mill", "mill", "milling", "cnc",
                   "ghost gunner", "milling machine", "drill out"),
    "untraceable": phrases("no serial number{,s}", "without a serial number", "unserialized",
                           "unserialised", "untraceable", "off the books", "no paperwork",
                           "without paperwork", "no background check"),
    "gun": phrases("gun{,s}", "rifle{,s}", "pistol{,s}", "glock{,s}", "ar 15", "ar15",
                   "handgun{,s}", "firearm{,s}"),
    "solvent_trap": phrases("solvent trap{,s}", "oil filter{,s}", "fuel filter{,s}", "maglite",
                            "wipes", "freeze plugs", "freeze plug"),
    "bore_tool": phrases("drill out", "drill through", "drill a hole", "bore", "index",
                         "indexing", "drill bit", "cups", "baffle{,s}", "center punch"),
    "muzzle": phrases("muzzle", "threaded barrel", "thread adapter", "muzzle device",
                      "barrel threads", "suppressor", "silencer", "can", "rifle", "pistol",
                      "gun", "glock"),
}
# (name, category, key classes, other classes, distinct classes needed, window in tokens)
RECIPES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], int, int], ...] = (
    ("incendiary_bottle", "terrorism", ("fuel",), ("bottle", "wick", "ignite"), 3, 40),
    ("pipe_bomb", "terrorism", ("powder",), ("pipe", "end_cap", "fuse", "shrapnel"), 3, 40),
    ("pressure_cooker_bomb", "terrorism", ("pressure_cooker",),
     ("shrapnel", "powder", "trigger"), 3, 40),
    ("anfo", "terrorism", ("nitrate",), ("fuel_oil", "anfo_step"), 3, 30),
    ("peroxide_explosive", "terrorism", ("peroxide", "acetone"), ("peroxide", "acetone", "acid"),
     3, 30),
    ("meth", "illegal_activity", ("meth_precursor",), ("red_p", "birch", "one_pot", "meth_acid"),
     2, 40),
    ("cocaine_base", "illegal_activity", ("cocaine_key",), ("base", "heat"), 3, 30),
    ("ghost_gun", "illegal_activity", ("receiver",), ("jig", "untraceable", "gun"), 2, 30),
    ("suppressor", "illegal_activity", ("solvent_trap",), ("bore_tool", "muzzle"), 3, 30),
)  # fmt: skip


def recipe_keys(category: str) -> list[str]:
    """Every key-class phrase of a category's recipes (the anchor the quick screen looks for)."""
    out: set[str] = set()
    for _, cat, keys, _, _, _ in RECIPES:
        if cat == category:
            for k in keys:
                out.update(RECIPE_TERMS[k])
    return sorted(out)


# =========================================================================== anchors
# Per category: the features without which none of its rules fire, with the word sets the quick
# screen looks for. Only patterns are listed here; how they combine is in local.py.

_FUCK = ("fuck", "fucked", "fuk", "fuckin", "fucking", "screw", "screwing", "bang", "banging")
_PRONOUNS = ("him", "her", "them", "you", "u", "ya", "someone", "people")

CHILD_SAFETY_ANCHORS = (
    phrase_anchor("sexual", SEXUAL_TERMS),
    phrase_anchor("suggestive", SUGGESTIVE_TERMS),
    phrase_anchor("intimacy", INTIMACY_TERMS),
    phrase_anchor("csam", CSAM_TERMS),
    regex_anchor("fuck_minor", FUCK_MINOR, words=_FUCK, gate=_FUCK),
    phrase_anchor("grooming", SECRECY + GROOM_FLATTERY),
    phrase_anchor("exposure", EXPOSURE_TERMS),
)
TERRORISM_ANCHORS = (
    phrase_anchor("explosive", EXPLOSIVES),
    regex_anchor("bomb", BOMB, words=("bomb", "bombs"), gate=("bomb", "bombs")),
    phrase_anchor("terror_org", TERROR_ORGS),
    regex_anchor(
        "attack",
        alternation(ATTACK_VERBS),
        sets=[
            (key_word(a.split()), *a.split(), t.split()[-1])
            for a in ATTACK_VERBS
            for t in TARGETS
        ],
        gate=[key_word(a.split()) for a in ATTACK_VERBS],
        category_only=True,
    ),
    regex_anchor(
        "vehicle_ram", VEHICLE_RAM, pairs=[(VEHICLES, VEHICLE_TARGETS)], gate=VEHICLES
    ),
    phrase_anchor("mass_casualty", MASS_CASUALTY),
    regex_anchor(
        "propaganda",
        PROPAGANDA_GOAL + "|" + PROPAGANDA_GOAL_WIDE,
        words=(
            "radicalize radicalise radicalizing radicalising jihad martyrdom martyr martyrs "
            "incite inciting recruit recruiting jihadists infidels nonbelievers unbelievers"
        ).split() + PROPAGANDA_GOAL_WORDS,
        pairs=[
            (("rise",), ("up",)),
            (("holy",), ("war",)),
            (("arms",), ("take",)),
            (("call", "calling", "calls"), ("attacks", "attack", "violence", "war", "killing",
                                            "bombings", "bombing")),
            (("terror",), ("attack", "attacks")),
        ],
    ),
    regex_anchor(
        "attack_soft",
        ATTACK_SOFT,
        pairs=[(ATTACK_SOFT_VERBS, [t.split()[-1] for t in TARGETS])],
        # "shoot up", "light up": not every photo shoot at a station
        sets=[(v, "up", t.split()[-1]) for v in ("shoot", "light") for t in TARGETS],
        gate=[*ATTACK_SOFT_VERBS, "shoot", "light"],
    ),
    phrase_anchor("recipe_terrorism", recipe_keys("terrorism")),
)  # fmt: skip
VIOLENCE_ANCHORS = (
    regex_anchor(
        "harm",
        HARM,
        words=HARM_WORDS,
        pairs=[(("end",), ("him", "her", "them", "you", "u", "ya"))],
        gate=[*HARM_WORDS, "end"],
    ),
    regex_anchor(
        "body_harm",
        BODY_HARM,
        pairs=[(BODY_VERBS, BODY_PARTS), (("burn", "torch"), PROPERTY), (("burn",), ("alive",))],
        gate=[*BODY_VERBS, "burn", "torch"],
    ),
    phrase_anchor("threat", THREAT_MARKERS),
    phrase_anchor("threat_weak", THREAT_WEAK),
    phrase_anchor("stealth", STEALTH_DEATH),
    regex_anchor(
        "staged",
        STAGED,
        pairs=[
            (STAGED_EVENTS, ("look", "seem", "appear")),
            (("stage", "staged", "staging", "fake", "faking"), ("accident", "suicide", "overdose")),
        ],
        gate=[*STAGED_EVENTS, "stage", "staged", "staging", "fake", "faking"],
    ),
    regex_anchor(
        "poison_autopsy",
        POISON_AUTOPSY,
        pairs=[(("poison", "poisons"), ("autopsy", "tox", "toxicology", "undetectable"))],
        gate=("poison", "poisons"),
    ),
    regex_anchor(
        "quantity",
        QUANTITY,
        pairs=[(("kill", "poison", "knock", "murder", "put"), ("much", "many")),
               (("lethal",), ("dose",))],
        gate=("much", "many", "lethal"),
    ),
    regex_anchor(
        "incite",
        INCITE,
        pairs=[(INCITE_VERBS, INCITE_MODALS), (("death",), ("to",))],
        gate=[*INCITE_VERBS, "death"],
    ),
    regex_anchor(
        "purpose",
        PURPOSE_HARM,
        words=[w for w in PURPOSE_VERBS if w not in ("knock", "blind")],
        pairs=[(("knock",), ("out",)), (("blind",), _PRONOUNS)],
        gate=PURPOSE_VERBS,
    ),
    regex_anchor(
        "deserve", DESERVE, pairs=[(DESERVE_FATES, DESERVE_MODALS)], gate=DESERVE_FATES
    ),
    regex_anchor(
        "deserve_wide", DESERVE_WIDE, pairs=[(DESERVE_FATES, ("and",))], gate=DESERVE_FATES
    ),
    regex_anchor(
        "harm_phrase",
        HARM_PHRASE,
        pairs=HARM_PHRASE_PAIRS,
        gate=("put", "send", "sent", "blow", "make", "beat", "take", "finish", "knock", "run",
              "be", "end"),
    ),
    regex_anchor(
        "fate",
        THREAT_FATE,
        words=("ditch", "coffin", "morgue", "dumpster", "grave", "fishes"),
        pairs=[(("bag",), ("body",)), (("river", "trunk", "pieces", "dead"), ("end", "wind",
               "found", "turn", "wash")), (("six",), ("feet",)), (("meat",), ("dead",)),
               (("face",), ("down",))],
        gate=("ditch", "bag", "coffin", "morgue", "river", "trunk", "dumpster", "grave", "six",
              "pieces", "fishes", "meat", "face", "dead"),
    ),
    regex_anchor(
        "family_target",
        FAMILY_TARGET,
        sets=[(t, v) for v in ("come", "coming", "comes", "going", "go", "goes")
              for t in ("family", "kids", "children", "wife", "husband", "mom", "mother", "dad",
                        "father", "daughter", "son", "sister", "brother", "girlfriend",
                        "boyfriend", "parents")] + [("know", "where", "your")],
    ),
    regex_anchor(
        "weapon_to_place",
        WEAPON_TO_PLACE,
        pairs=[([*WEAPON_WORDS, "ar"], ("school", "work", "class", "office", "church", "campus",
                                        "mall",
                               "meeting", "party", "practice", "game"))],
        gate=[*WEAPON_WORDS, "ar"],
    ),
    regex_anchor(
        "drugging",
        DRUGGING,
        words=("roofie", "roofy"),
        pairs=[(("spike", "spiking", "spiked", "drug", "drugging", "dose", "dosing", "lace",
                 "lacing", "slip", "put", "drop", "pour"),
                ("drink", "drinks", "food", "coffee", "tea", "water", "wine", "beer", "cocktail",
                 "soda", "juice"))],
    ),
    regex_anchor(
        "staged_act",
        STAGED_ACT,
        sets=[(m, v, "like", "it") for m in ("make", "making", "made")
              for v in ("look", "seem", "appear")],
        gate=("make", "making", "made"),
    ),
    regex_anchor(
        "outcome",
        HARM_OUTCOME,
        pairs=[(("bleed", "bleeds"), ("out",)), (("breathing", "breathe"), ("stop", "stops",
               "cant")), (("pass", "passes", "black", "blacks"), ("out",)),
               (("fight",), ("back",)), (("cant", "doesnt"), ("up",)),
               (("wakes", "wake"), ("never",)),
               (("down",), ("stays", "stay")), (("move", "scream"), ("cant",)),
               (("dies", "die"), ("so", "until", "and")), (("limp",), ("go", "goes"))],
    ),
)  # fmt: skip
ILLEGAL_ACTIVITY_ANCHORS = (
    phrase_anchor("drug", DRUGS),
    regex_anchor(
        "slang_drug",
        alternation(SLANG_DRUGS),
        pairs=[(SLANG_DRUGS, SLANG_ACTIONS)],
        gate=SLANG_DRUGS,
        category_only=True,
    ),
    phrase_anchor("precursor", PRECURSORS),
    phrase_anchor("weapon_illegal", WEAPONS_ILLEGAL),
    regex_anchor(
        "gun",
        alternation(GUNS),
        sets=[(*g.split(), r) for g in GUNS for r in GUN_RESTRICTION_WORDS],
        gate=[key_word(g.split()) for g in GUNS],
        category_only=True,
    ),
    phrase_anchor("fraud_act", FRAUD_ACTS),
    phrase_anchor("fraud_object", FRAUD_OBJECTS),
    regex_anchor(
        "covert",
        COVERT,
        words=("secretly",),
        pairs=[(COVERT_WORDS, ("without",)), (("behind",), ("back",))],
        gate=("without", "secretly", "behind"),
    ),
    regex_anchor(
        "impersonate",
        IMPERSONATE,
        pairs=[(INSTITUTIONS, IMPERSONATE_VERBS)],
        gate=IMPERSONATE_VERBS,
    ),
    regex_anchor(
        "crack_drug", CRACK_DRUG, pairs=[(("crack",), CRACK_WORDS)], gate=("crack",)
    ),
    regex_anchor(
        "account_takeover",
        ACCOUNT_TAKEOVER,
        pairs=[(ACCOUNT_VERBS, ("password", "passwords", "passcode", "pin", "account",
                                "accounts", "email", "gmail", "icloud", "instagram", "facebook",
                                "snapchat", "tiktok", "whatsapp", "phone", "iphone", "login",
                                "2fa", "id", "onlyfans", "discord"))],
        gate=ACCOUNT_VERBS,
    ),
    regex_anchor(
        "cred_theft", CRED_THEFT, pairs=[(CRED_VERBS, CRED_WORDS)], gate=CRED_VERBS
    ),
    regex_anchor(
        "phishing_page",
        PHISHING_PAGE,
        pairs=[(PHISHING_WORDS, PHISHING_PAGE_WORDS)],
        gate=[*PHISHING_WORDS, "look"],
    ),
    regex_anchor(
        "fake_money",
        FAKE_MONEY,
        pairs=[(("fake", "counterfeit", "phony", "bogus", "funny"), FAKE_MONEY_WORDS),
               (("pen", "marker"), ("test",))],
        gate=("fake", "counterfeit", "phony", "bogus", "funny", "pass"),
    ),
    regex_anchor(
        "launder",
        LAUNDER,
        pairs=[(("wash", "washing", "clean", "cleaning", "launder", "laundering"),
                ("cash", "money", "profits", "proceeds")),
               (("bank", "banks", "irs", "feds", "cops", "police", "taxman", "hmrc"),
                ("flag", "flagging", "flags", "notice", "noticing", "find", "finding", "track",
                 "tracking", "trace", "report", "reporting", "see", "seeing"))],
        gate=("wash", "washing", "clean", "cleaning", "launder", "laundering", "without", "so"),
    ),
    regex_anchor(
        "evade",
        EVADE,
        words=("caught", "noticed", "arrested", "traced", "tracked", "noticing", "undetected",
               "trace", "evidence"),
        pairs=[(("away",), ("get",)), (("knowing",), ("anyone",)), (("finding",), ("out",))],
    ),
    phrase_anchor("weapon_mod", WEAPON_MOD),
    phrase_anchor("serial_free", SERIAL_FREE),
    phrase_anchor("recipe_illegal", recipe_keys("illegal_activity")),
)  # fmt: skip
SELF_HARM_ANCHORS = (
    regex_anchor(
        "self_harm_wide", SELF_HARM_WIDE, words=("noose",), pairs=SELF_HARM_WIDE_PAIRS
    ),
    regex_anchor(
        "self_harm",
        SELF_HARM,
        words=("myself", "suicide", "suicidal", "kms", "selfharm", "painless"),
        pairs=[
            (("self",), ("my", "harm", "harming")),
            (("life",), ("end", "ending", "ended", "take", "taking", "took")),
            (("end",), ("all",)),
            (("die", "dead", "exist"), ("want", "wanna", "wanted", "ready", "going", "wish",
                                        "deserve", "better")),
            (("live", "alive", "exist", "here", "wake"), ("want",)),
            (("live",), ("reason",)),
            (("wake",), ("not", "never")),
            (("better",), ("off",)),
            (("overdose",), ("purpose",)),
            (("goodbye",), ("letter", "letters", "note", "notes")),
            (("suicide",), ("note", "notes")),
            (("pills",), ("many",)),
        ],
    ),
)  # fmt: skip
# fmt: on
