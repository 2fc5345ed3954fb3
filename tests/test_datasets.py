"""Part II's data: each generator reproduces its committed files byte for byte, and the
records say what their docstrings promise."""

import datetime
import importlib.util
from pathlib import Path

import pytest
import torch

from attnlib import data

DATA = Path(__file__).resolve().parent.parent / "data"


def generator(name):
    spec = importlib.util.spec_from_file_location(name, DATA / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dates_regenerate_byte_for_byte(tmp_path, monkeypatch):
    gen = generator("gen_dates")
    monkeypatch.setattr(gen, "OUT", tmp_path / "dates")
    gen.main()
    for split in ("train", "test"):
        assert (tmp_path / "dates" / f"{split}.jsonl").read_bytes() == \
            (DATA / "dates" / f"{split}.jsonl").read_bytes()


def test_date_records_are_right_and_held_out_dates_are_unseen():
    train, test = data.load_dates("train"), data.load_dates("test")
    for record in train[:500] + test:
        date = datetime.date.fromisoformat(record["tgt"])
        spans = {f: record["src"][a:b] for f, (a, b) in record["spans"].items()}
        assert str(date.year) == spans["year"]
        assert spans["day"].rstrip("stndrh").lstrip("0") == str(date.day)
        assert spans["month"] in (f"{date.month:02d}", date.strftime("%B").lower(),
                                  date.strftime("%b").lower())
    assert not {r["tgt"] for r in train} & {r["tgt"] for r in test}
    lengths = [len(r["src"]) for r in train]
    assert min(lengths) == 8 and max(lengths) >= 35
    with pytest.raises(ValueError, match="split must be"):
        data.load_dates("valid")


def test_reverse_task_and_char_vocab():
    src, lengths = data.reverse_task(64, 8, 24, torch.Generator().manual_seed(0))
    assert src.shape == (64, 24) and lengths.min() >= 8 and lengths.max() <= 24
    assert torch.equal((src >= 0).sum(1), lengths)
    vocab = data.CharVocab(["22 nov 2026", "2026-11-22"])
    ids, n = vocab.encode(["22 nov 2026", "2026"], start=True, end=True)
    assert ids.shape == (2, 13) and n.tolist() == [13, 6] and ids[1, 6:].eq(0).all()
    assert vocab.decode(ids[0, 1:]) == "22 nov 2026"
