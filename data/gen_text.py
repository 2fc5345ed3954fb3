"""Regenerate data/{sentiment,entities,qa,headlines}/{train,test}.jsonl (notebook 11).

Four small word-level text tasks, written from templates with a seeded random.Random, so
`make data` rewrites every file byte for byte. Text is lower case, words and punctuation
separated by single spaces: `text.split()` gives the tokens, and every position below is
a token index. Every record has

    "template": the name of the template it was written from, and
    "heldout":  what it holds out from training: "none" in train.jsonl; in test.jsonl
                "none" (a fresh sentence from training templates and words) or one of
                the shifts named per task below.

A test record with heldout "template" comes from a template that train.jsonl never uses
and contains at least one word that train.jsonl never contains.

sentiment: {"text": "the film was not bad", "label": 1, "kind": "negated",
            "focus": [3, 4], "template": "was", "heldout": "none"}
    label 1 = positive, 0 = negative. kind: "plain", "negated" ("not" before the
    adjective flips it) or "contrast" ("A but B": the clause after "but" decides).
    focus: the positions that decide the label: the adjective (plain), "not" and the
    adjective (negated), the words after "but" (contrast). Test shifts: "template";
    "negation": adjectives that training shows only un-negated (NEVER_NEGATED), negated.
entities:  {"text": "anna lopez joined acme labs in oslo", "tags": ["PER", "PER", "O",
            "ORG", "ORG", "O", "LOC"], ...}
    one tag per token: O, PER, ORG, LOC or DATE. An entity is a maximal run of one tag
    (no two entities of the same type touch). Test shift: "template" (unseen templates,
    verbs, names, organisations and places; dates use the same months and years).
qa:        {"question": "where is zenith bank based ?", "passage": "omar chen is at zenith
            bank , based in lima since 2004 .", "answer": [8, 9], "answer_text": "lima", ...}
    answer: [start, end) token positions in the passage (end exclusive). A passage names
    one person, organisation, city and year; the question asks for one of them (and
    names another). Test shifts: "template" (unseen passage and question templates,
    unseen cities); "roles": training templates asking for a city that is a word
    training shows only as a person's first name (ROLE_WORDS).
headlines: {"source": "on monday the council of oslo approved a new budget <end>",
            "headline": "oslo council approved budget <end>", "copy": [5, 3, 6, 9, 10], ...}
    every headline word is copied from the source: copy[t] is the source position of
    headline word t. Both end with the token "<end>", so stopping is a copy too.
    Test shifts: "words" (training templates, every slot filled with words training
    never uses); "template" (unseen templates and words).
Run:  make data
"""

import json
import random
from pathlib import Path

SEED = 0
OUT = Path(__file__).parent
TRAIN, TEST = 2000, 200  # records per train file, and per held-out kind in a test file

# ---------------------------------------------------------------- sentiment

POSITIVE = ["good", "great", "fun", "lovely", "clever", "charming", "fresh"]
NEGATIVE = ["bad", "dull", "boring", "awful", "weak", "messy", "bland"]
NEVER_NEGATED = ["fresh", "bland"]
"""Adjectives training uses only un-negated; held-out "negation" records negate them."""
SENT_NOUNS = {"train": ["film", "book", "show", "meal", "song", "game", "hotel", "play"],
              "test": ["novel", "album", "cafe", "series"]}
ADVERBS = ["very", "really", "quite", "rather", "a bit"]
SENT_TEMPLATES = {
    "train": {"was": "the {n} was {a}", "is": "this {n} is {a}",
              "thought": "i thought the {n} was {a}", "my": "my {n} was {a}"},
    "test": {"felt": "honestly the {n} felt {a}", "found": "we found this {n} {a}"},
}
"""Each template's {a} is one adjective phrase: [not] [adverb] adjective."""


def sentiment_record(rng, split, template, kind, heldout):
    nouns = SENT_NOUNS[split]
    pattern = SENT_TEMPLATES[split][template]
    polarity = rng.randrange(2)
    adjectives = POSITIVE if polarity else NEGATIVE
    if kind == "negated":
        pool = [a for a in adjectives if (a in NEVER_NEGATED) == (heldout == "negation")]
    else:
        pool = adjectives
    adjective = rng.choice(pool)
    prefix = pattern.split("{a}")[0].format(n=rng.choice(nouns)).split()
    if kind == "plain":
        phrase = (rng.choice(ADVERBS).split() if rng.random() < 0.3 else []) + [adjective]
        tokens, label, focus = prefix + phrase, polarity, [len(prefix) + len(phrase) - 1]
    elif kind == "negated":
        tokens, label = prefix + ["not", adjective], 1 - polarity
        focus = [len(prefix), len(prefix) + 1]
    else:  # contrast: "A but B", B of the other polarity decides
        first = rng.choice(NEGATIVE if polarity else POSITIVE)
        second = rng.choice(ADVERBS).split() + [adjective]
        tokens = prefix + [first, "but"] + second
        label, focus = polarity, list(range(len(prefix) + 2, len(tokens)))
    return {"text": " ".join(tokens), "label": label, "kind": kind, "focus": focus,
            "template": template, "heldout": heldout}


def sentiment(rng):
    kinds = ["plain", "negated", "contrast"]
    train = [sentiment_record(rng, "train", rng.choice(sorted(SENT_TEMPLATES["train"])),
                              kinds[i % 3], "none") for i in range(TRAIN)]
    test = []
    for heldout, split in (("none", "train"), ("template", "test")):
        test += [sentiment_record(rng, split, rng.choice(sorted(SENT_TEMPLATES[split])),
                                  kinds[i % 3], heldout) for i in range(TEST)]
    test += [sentiment_record(rng, "train", rng.choice(sorted(SENT_TEMPLATES["train"])),
                              "negated", "negation") for _ in range(TEST)]
    return train, test


# ---------------------------------------------------------------- entities and QA words

FIRST = {"train": ["anna", "omar", "lucia", "peter", "mei", "ivan", "sara", "tom", "jordan",
                   "florence"],
         "test": ["nadia", "kofi", "elena", "hugo"]}
LAST = {"train": ["lopez", "chen", "novak", "smith", "okafor", "berg", "costa", "ito"],
        "test": ["haddad", "silva", "kowal", "mensah"]}
ORG_NAMES = {"train": ["acme", "zenith", "nordic", "summit", "delta", "apex"],
             "test": ["orbit", "harbor", "crown"]}
ORG_KINDS = ["labs", "bank", "group", "media"]
CITIES = {"train": ["oslo", "lima", "paris", "lagos", "cairo", "delhi", "madrid", "seoul"],
          "test": ["quito", "hanoi", "accra", "riga"]}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]
YEARS = {"train": [str(y) for y in range(1990, 2026)], "test": [str(y) for y in range(1990, 2026)]}
"""Years are numbers, not names: held-out sentences use the same ones."""


def person(rng, split):
    if rng.random() < 0.7:
        return [rng.choice(FIRST[split]), rng.choice(LAST[split])]
    return [rng.choice(FIRST[split])]


def org(rng, split):
    return [rng.choice(ORG_NAMES[split]), rng.choice(ORG_KINDS)]


def date(rng, split):
    year = rng.choice(YEARS[split])
    if rng.random() < 0.5:
        return [str(rng.randint(1, 28)), rng.choice(MONTHS), year]
    return [rng.choice(MONTHS), year]


NER_TEMPLATES = {
    "train": {
        "joined": "{PER} joined {ORG} in {LOC} on {DATE}",
        "met": "{PER} met {PER} in {LOC}",
        "opened": "{ORG} opened an office in {LOC} in {DATE}",
        "visited": "on {DATE} {PER} visited {LOC}",
        "works": "{PER} works for {ORG} in {LOC}",
        "hired": "{ORG} hired {PER} on {DATE}",
        "moved": "in {DATE} {PER} moved from {LOC} to {LOC}",
    },
    "test": {
        "left": "{PER} left {ORG} on {DATE}",
        "founded": "in {LOC} , {PER} founded {ORG}",
        "said": "{ORG} said on {DATE} that {PER} will lead it",
    },
}
"""Templates of entities records; a {TYPE} slot is one entity of that type."""


def ner_record(rng, split, template, heldout):
    tokens, tags = [], []
    fill = {"PER": person, "ORG": org, "LOC": lambda r, s: [r.choice(CITIES[s])], "DATE": date}
    for part in NER_TEMPLATES[split][template].split():
        if part.startswith("{"):
            kind = part[1:-1]
            words = fill[kind](rng, split)
            tokens += words
            tags += [kind] * len(words)
        else:
            tokens.append(part)
            tags.append("O")
    return {"text": " ".join(tokens), "tags": tags, "template": template, "heldout": heldout}


def entities(rng):
    train = [ner_record(rng, "train", rng.choice(sorted(NER_TEMPLATES["train"])), "none")
             for _ in range(TRAIN)]
    test = [ner_record(rng, "train", rng.choice(sorted(NER_TEMPLATES["train"])), "none")
            for _ in range(TEST)]
    test += [ner_record(rng, "test", rng.choice(sorted(NER_TEMPLATES["test"])), "template")
             for _ in range(TEST)]
    return train, test


QA_PASSAGES = {
    "train": {"works": "{P} works at {O} in {L} . it opened in {Y} .",
              "is": "{P} is at {O} , based in {L} since {Y} ."},
    "test": {"joined": "in {Y} , {P} joined {O} , an office in {L} ."},
}
"""A passage names one person, organisation, city and year."""
QA_QUESTIONS = {
    "train": {"P": ["who works at {O} ?", "who is at {O} ?"],
              "O": ["where does {P} work ?", "which company has {P} ?"],
              "L": ["which city is {O} in ?", "where is {O} based ?"],
              "Y": ["when did {O} open ?", "since what year is {O} there ?"]},
    "test": {"P": ["name the person at {O} ?"], "O": ["what firm employs {P} ?"],
             "L": ["in what city does {O} sit ?"], "Y": ["in which year did {P} start ?"]},
}
"""Questions by the slot they ask for; each names another slot of the passage."""
ROLE_WORDS = ["jordan", "florence"]
"""Words training uses only as first names; "roles" records use them as cities."""


def qa_record(rng, split, heldout):
    who = person(rng, "train")
    while heldout == "roles" and who[0] in ROLE_WORDS:  # not a person and a city at once
        who = person(rng, "train")
    pool = ROLE_WORDS if heldout == "roles" else CITIES[split]
    filled = {"P": who, "O": org(rng, "train"), "L": [rng.choice(pool)],
              "Y": [rng.choice(YEARS["train"])]}
    template = rng.choice(sorted(QA_PASSAGES[split]))
    passage, spans = [], {}
    for part in QA_PASSAGES[split][template].split():
        if part.startswith("{"):
            spans[part[1]] = [len(passage), len(passage) + len(filled[part[1]])]
            passage += filled[part[1]]
        else:
            passage.append(part)
    slot = "L" if heldout == "roles" else rng.choice("POLY")
    k = rng.randrange(len(QA_QUESTIONS[split][slot]))
    question = QA_QUESTIONS[split][slot][k]
    for named in "PO":
        question = question.replace("{" + named + "}", " ".join(filled[named]))
    start, end = spans[slot]
    return {"question": question, "passage": " ".join(passage), "answer": [start, end],
            "answer_text": " ".join(passage[start:end]), "template": f"{template}:{slot}{k}",
            "heldout": heldout}


def qa(rng):
    train = [qa_record(rng, "train", "none") for _ in range(TRAIN)]
    test = [qa_record(rng, "train", "none") for _ in range(TEST)]
    test += [qa_record(rng, "test", "template") for _ in range(TEST)]
    test += [qa_record(rng, "train", "roles") for _ in range(TEST)]
    return train, test


# ---------------------------------------------------------------- headlines

HEAD_WORDS = {
    "train": {"day": ["monday", "tuesday", "friday", "sunday"],
              "body": ["council", "bank", "club", "union", "court"],
              "verb": ["approved", "rejected", "opened", "closed", "sold"],
              "thing": ["budget", "bridge", "school", "market", "museum", "stadium"],
              "city": CITIES["train"], "first": FIRST["train"], "last": LAST["train"]},
    "test": {"day": ["wednesday", "thursday"], "body": ["board", "agency"],
             "verb": ["cancelled", "delayed"], "thing": ["airport", "library"],
             "city": CITIES["test"], "first": FIRST["test"], "last": LAST["test"]},
}
HEAD_TEMPLATES = {
    "train": {
        "on_day": ("on {day} the {body} of {city} {verb} a new {thing}",
                   "{city} {body} {verb} {thing}"),
        "mayor": ("{first} {last} , the mayor of {city} , {verb} the {thing} today",
                  "{last} {verb} {thing}"),
        "after": ("after a long debate the {city} {body} {verb} its {thing} plan",
                  "{city} {body} {verb} {thing}"),
        "said": ("the {body} said on {day} that it {verb} the old {thing} in {city}",
                 "{body} {verb} {city} {thing}"),
    },
    "test": {
        "late": ("late on {day} officials in {city} {verb} the {thing} of the {body}",
                 "{city} {verb} {body} {thing}"),
        "leader": ("{body} leader {first} {last} {verb} the {thing} in {city}",
                   "{last} {verb} {city} {thing}"),
    },
}
"""(source, headline): every {slot} of a headline is written once in its source."""


def headline_record(rng, split, template, heldout):
    source, head = HEAD_TEMPLATES["test" if heldout == "template" else "train"][template]
    words = HEAD_WORDS[split]
    filled = {slot: rng.choice(words[slot]) for slot in sorted(words)}
    src = source.format(**filled).split() + ["<end>"]
    tgt = head.format(**filled).split() + ["<end>"]
    where = {}
    for pos, part in enumerate(source.split() + ["<end>"]):
        where[part] = pos
    copy = [where[part] for part in head.split() + ["<end>"]]
    assert [src[c] for c in copy] == tgt
    return {"source": " ".join(src), "headline": " ".join(tgt), "copy": copy,
            "template": template, "heldout": heldout}


def headlines(rng):
    names = {s: sorted(HEAD_TEMPLATES[s]) for s in HEAD_TEMPLATES}
    train = [headline_record(rng, "train", rng.choice(names["train"]), "none") for _ in range(TRAIN)]
    test = [headline_record(rng, "train", rng.choice(names["train"]), "none") for _ in range(TEST)]
    test += [headline_record(rng, "test", rng.choice(names["train"]), "words")
             for _ in range(TEST)]
    test += [headline_record(rng, "test", rng.choice(names["test"]), "template")
             for _ in range(TEST)]
    return train, test


# ---------------------------------------------------------------- files

DATASETS = {"sentiment": sentiment, "entities": entities, "qa": qa, "headlines": headlines}


def write(path, records):
    path.parent.mkdir(exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for record in records:
            f.write(json.dumps(record, sort_keys=True) + "\n")


def main():
    for name, make in DATASETS.items():
        train, test = make(random.Random(f"{SEED}:{name}"))
        write(OUT / name / "train.jsonl", train)
        write(OUT / name / "test.jsonl", test)
        print(f"wrote {name}/: {len(train)} training and {len(test)} test records")


if __name__ == "__main__":
    main()
