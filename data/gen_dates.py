"""Regenerate data/dates/{train,test}.jsonl: dates written many ways -> ISO 8601.

Every line is one pair:

    {"src": "the 22nd of november 2026", "tgt": "2026-11-22", "format": "ordinal",
     "spans": {"year": [21, 25], "month": [10, 18], "day": [4, 8]}}

`spans` gives, for each field, the [start, end) character positions in `src` that write
it (a day's "nd" suffix belongs to the day). Inputs are lower case. The calendar dates
are split before any is written: a date in test.jsonl never appears in train.jsonl in any
format, so held-out pairs share no instance with training. Run:  make data
"""

import datetime
import json
import random
from pathlib import Path

SEED = 0
FIRST, LAST = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)
TRAIN_PAIRS, TEST_PAIRS = 10000, 1000
TEST_SHARE = 0.1
OUT = Path(__file__).with_name("dates")

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def ordinal(day):
    """22 -> '22nd', 11 -> '11th'."""
    if 11 <= day % 100 <= 13:
        return f"{day}th"
    return str(day) + {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


# Each format is a list of parts: a field name with how to write it, or a literal string.
FORMATS = {
    "dmy_short": [("day", "d"), " ", ("month", "mon"), " ", ("year", "yyyy")],
    "us_slash": [("month", "mm"), "/", ("day", "dd"), "/", ("year", "yyyy")],
    "dotted": [("day", "dd"), ".", ("month", "mm"), ".", ("year", "yyyy")],
    "us_long": [("month", "month"), " ", ("day", "d"), ", ", ("year", "yyyy")],
    "dmy_long": [("day", "d"), " ", ("month", "month"), " ", ("year", "yyyy")],
    "mon_first": [("month", "mon"), " ", ("day", "d"), " ", ("year", "yyyy")],
    "ordinal": ["the ", ("day", "ord"), " of ", ("month", "month"), " ", ("year", "yyyy")],
    "weekday_us": [("weekday", "weekday"), ", ", ("month", "month"), " ", ("day", "d"), ", ",
                   ("year", "yyyy")],
    "weekday_ordinal": [("weekday", "weekday"), " the ", ("day", "ord"), " of ",
                        ("month", "month"), ", ", ("year", "yyyy")],
    "compact": [("year", "yyyy"), ("month", "mm"), ("day", "dd")],
}
"""Format name -> its parts. Inputs run from 8 characters (compact) to over 35."""


def write_field(date, style):
    return {
        "d": str(date.day), "dd": f"{date.day:02d}", "ord": ordinal(date.day),
        "mm": f"{date.month:02d}", "mon": MONTHS[date.month - 1][:3],
        "month": MONTHS[date.month - 1], "yyyy": str(date.year),
        "weekday": WEEKDAYS[date.weekday()],
    }[style]


def render(date, format_name):
    """One pair as a dict (see the module docstring)."""
    src, spans = "", {}
    for part in FORMATS[format_name]:
        if isinstance(part, str):
            src += part
            continue
        field, style = part
        text = write_field(date, style)
        if field != "weekday":
            spans[field] = [len(src), len(src) + len(text)]
        src += text
    return {"src": src, "tgt": date.isoformat(), "format": format_name, "spans": spans}


def split_dates(seed=SEED):
    """(train dates, test dates): every calendar date in [FIRST, LAST] goes to one side."""
    rng = random.Random(seed)
    days = [FIRST + datetime.timedelta(i) for i in range((LAST - FIRST).days + 1)]
    rng.shuffle(days)
    n_test = int(len(days) * TEST_SHARE)
    return sorted(days[n_test:]), sorted(days[:n_test])


def make_pairs(dates, n, rng):
    """n pairs: distinct (date, format) instances drawn from `dates`."""
    names = sorted(FORMATS)
    seen, pairs = set(), []
    while len(pairs) < n:
        date, name = rng.choice(dates), rng.choice(names)
        if (date, name) not in seen:
            seen.add((date, name))
            pairs.append(render(date, name))
    return pairs


def write(path, pairs):
    path.parent.mkdir(exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for pair in pairs:
            f.write(json.dumps(pair, sort_keys=True) + "\n")


def main():
    rng = random.Random(SEED)
    train_dates, test_dates = split_dates()
    write(OUT / "train.jsonl", make_pairs(train_dates, TRAIN_PAIRS, rng))
    write(OUT / "test.jsonl", make_pairs(test_dates, TEST_PAIRS, rng))
    print(f"wrote dates/: {TRAIN_PAIRS} training and {TEST_PAIRS} held-out pairs")


if __name__ == "__main__":
    main()
