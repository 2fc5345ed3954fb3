"""Every notebook has an instructor guide (guides/NN_name.md) with the parts guides/README.md
lists, and every notebook section and explorer a guide names still exists."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
PARTS = ["## Plan for 50 minutes", "## Stops", "## Questions", "## Misconceptions"]


def headings(source):
    """The '## ' headings of a jupytext percent notebook's markdown cells."""
    return {m.group(1).strip() for m in re.finditer(r"^# ## (.+)$", source, re.M)}


def part(text, name):
    """The text of one '## ' part of a guide, up to the next part."""
    start = text.index(name) + len(name)
    following = [text.index(p) for p in PARTS if p in text and text.index(p) > start]
    return text[start:min(following, default=len(text))]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_guide_exists_with_every_part(notebook):
    guide = ROOT / "guides" / f"{notebook.stem}.md"
    assert guide.exists(), f"no instructor guide {guide.relative_to(ROOT)}"
    text = guide.read_text()
    assert text.startswith(f"# Instructor guide · {notebook.stem[:2]} ")
    assert "**Goal.**" in text.split("## ")[0]
    positions = [text.find(p) for p in PARTS]
    assert -1 not in positions and positions == sorted(positions), f"parts must be {PARTS}"

    rows = re.findall(r"^\|\s*(\d+)\s*\|", part(text, PARTS[0]), re.M)
    assert sum(map(int, rows)) == 50, f"the plan's minutes add up to {sum(map(int, rows))}"

    questions = re.findall(r"^\d+\. ", part(text, "## Questions"), re.M)
    assert 2 <= len(questions) <= 3
    assert part(text, "## Questions").count("**Answer.**") == len(questions)

    bullets = re.findall(r"^- .+(?:\n  .+)*", part(text, "## Misconceptions"), re.M)
    assert bullets and all("[§ " in b for b in bullets), "each misconception names its cell"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_named_section_and_explorer_exists(notebook):
    guide = ROOT / "guides" / f"{notebook.stem}.md"
    if not guide.exists():
        pytest.skip("no guide (the test above fails)")
    text, source = guide.read_text(), notebook.read_text()
    sections = headings(source)
    for name in re.findall(r"\[§ ([^\]]+)\]", text):
        assert name in sections, f"{guide.name} names a section the notebook lacks: {name!r}"
    explorers = re.findall(r"\[explorer: ([A-Za-z_][\w.]*)\]", text)
    assert explorers, f"{guide.name} names no explorer"
    for name in explorers:
        assert re.search(rf"\b{re.escape(name)}\b", source), \
            f"{guide.name} names an explorer the notebook does not show: {name!r}"
