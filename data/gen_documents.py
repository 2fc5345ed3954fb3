"""Regenerate data/documents/{train,test}.jsonl: short cinema reviews whose label one sentence decides.

Every line is one document:

    {"sentences": ["we went on a monday", "the popcorn was awful", "the film was great"],
     "label": 1, "decisive": 2, "filler": "distracting"}

`sentences` are lower-case strings (3 to 6 per document, 4 to 6 words each); `label` is
the sentiment of the one sentence about the film (1 positive, 0 negative); `decisive` is
that sentence's index in `sentences`; `filler` says what the other sentences are:

- "neutral": things that happened, with no sentiment ("we went on a monday");
- "distracting": sentiment about something other than the film ("the popcorn was
  awful"), drawn independently of the label, in the same frames as the film sentence
  and with the same adjectives. Only the word naming what is judged tells them apart.

Each split holds DOCS_PER_KIND documents of each filler kind. The held-out split
(test.jsonl) writes every sentence in a frame that training never shows ("honestly the
film seemed dull") and fills it with filler words training never shows (other things to
judge, other days, friends, places); the film words and the adjectives are shared, since
a model cannot learn what an unseen adjective means. Run:  make data
"""

import json
import random
from pathlib import Path

SEED = 0
DOCS_PER_KIND = {"train": 800, "test": 200}
OUT = Path(__file__).with_name("documents")

FILM = ["film", "movie", "plot", "acting", "story", "script", "cast", "ending"]
"""What the decisive sentence judges: the film or a part of it (both splits)."""

ADJECTIVES = {
    1: ["great", "wonderful", "brilliant", "superb", "moving", "clever"],
    0: ["awful", "boring", "dull", "terrible", "weak", "clumsy"],
}
"""Sentiment words by label (both splits): the film sentence and distractors share them."""

# Frames of a judgement: {what} is judged {adj}. The held-out frames use words training never has.
JUDGE_FRAMES = {
    "train": ["the {what} was {adj}", "i thought the {what} was {adj}",
              "the {what} felt {adj} to me", "we found the {what} {adj}"],
    "test": ["honestly the {what} seemed {adj}", "everyone agreed the {what} looked {adj}"],
}

THINGS = {
    "train": ["popcorn", "seats", "parking", "staff", "snacks", "tickets", "weather",
              "drinks", "trailers", "heating"],
    "test": ["coffee", "queue", "lobby", "carpet"],
}
"""What the distracting sentences judge instead of the film: disjoint between splits."""

NEUTRAL_FRAMES = {
    "train": ["we went on a {day}", "my {friend} came with me", "the cinema is near the {place}",
              "we took the bus home", "we arrived at the {place} early"],
    "test": ["afterwards we walked to the {place}", "it was a quiet {day} evening",
             "my {friend} drove us there"],
}
NEUTRAL_WORDS = {
    "day": {"train": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "test": ["saturday", "sunday"]},
    "friend": {"train": ["sister", "brother", "cousin", "neighbour"],
               "test": ["uncle", "aunt"]},
    "place": {"train": ["station", "park", "market", "library"],
              "test": ["harbour", "museum"]},
}


def judgement(split, what, label, rng):
    """One sentence judging `what` with an adjective of sentiment `label`."""
    frame = rng.choice(JUDGE_FRAMES[split])
    return frame.format(what=what, adj=rng.choice(ADJECTIVES[label]))


def neutral(split, rng):
    frame = rng.choice(NEUTRAL_FRAMES[split])
    fill = {slot: rng.choice(words[split]) for slot, words in NEUTRAL_WORDS.items()}
    return frame.format(**fill)


def document(split, filler, rng):
    """One record (see the module docstring)."""
    n = rng.randint(3, 6)
    decisive, label = rng.randrange(n), rng.randint(0, 1)
    sentences = []
    for i in range(n):
        if i == decisive:
            sentences.append(judgement(split, rng.choice(FILM), label, rng))
        elif filler == "neutral":
            sentences.append(neutral(split, rng))
        else:
            sentences.append(judgement(split, rng.choice(THINGS[split]), rng.randint(0, 1), rng))
    return {"sentences": sentences, "label": label, "decisive": decisive, "filler": filler}


def make_documents(split, rng):
    return [document(split, filler, rng)
            for filler in ("neutral", "distracting") for _ in range(DOCS_PER_KIND[split])]


def write(path, records):
    path.parent.mkdir(exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for record in records:
            f.write(json.dumps(record, sort_keys=True) + "\n")


def main():
    rng = random.Random(SEED)
    for split in ("train", "test"):
        write(OUT / f"{split}.jsonl", make_documents(split, rng))
    counts = ", ".join(f"{2 * n} {split}" for split, n in DOCS_PER_KIND.items())
    print(f"wrote documents/: {counts} documents (half neutral, half distracting filler)")


if __name__ == "__main__":
    main()
