"""Each citation in the shipped trees reads cleanly: a part of a source is named once, in the section.

A citation is shown as "title, section". A title that names parts of its source ("Care Act 2014,
sections 42 (...) and 45 (...)") followed by a section that names one of them again read
"Care Act 2014, sections 42 (...) and 45 (...), section 42" on the first screens of an adult's case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from sharewise.model import Citation
from sharewise.trees.library import Library

SHIPPED = ("when-to-share", "how-much-to-share", "ico-10-step")
_KIND = r"(section|step|golden rule|principle|paragraph|article|schedule)s?"
# a kind, then numbers (each perhaps with a bracketed description) joined by commas, "and" or "to"
_PART = re.compile(rf"\b{_KIND} ((?:\d+[a-z]?(?:\(\w+\))*(?: \([^()]*\))?(?:,| and| to)? ?)+)", re.IGNORECASE)


def parts(text: str) -> set[tuple[str, str]]:
    """The numbered parts ``text`` names, as (kind, number): "sections 42 and 45" gives two."""
    found = set()
    for match in _PART.finditer(text):
        kind = match.group(1).lower()
        for number in re.findall(r"(?<![(\w])\d+[a-z]?", re.sub(r" \([^()]*\)", "", match.group(2))):
            found.add((kind, number))
    return found


def test_parts_are_found_in_lists_and_plurals() -> None:
    assert parts("Care Act 2014, sections 42 (enquiry) and 45 (supply)") == {("section", "42"), ("section", "45")}
    assert parts("UK GDPR Articles 4, 6 and 9, and Data Protection Act 2018 Schedules 1 and 2") == {
        ("article", "4"), ("article", "6"), ("article", "9"), ("schedule", "1"), ("schedule", "2"),
    }  # fmt: skip
    assert parts("golden rules 4 and 5") == {("golden rule", "4"), ("golden rule", "5")}
    assert parts("Mental Capacity Act 2005") == set()


def citations(tree_id: str) -> Iterator[tuple[str, Citation]]:
    tree = Library.default().get(tree_id)
    for question in tree.questions.values():
        yield question.id, question.source
    for outcome in tree.outcomes.values():
        if outcome.source is not None:
            yield outcome.id, outcome.source


@pytest.mark.parametrize("tree_id", SHIPPED)
def test_no_citation_names_a_part_its_title_names(tree_id: str) -> None:
    for where, citation in citations(tree_id):
        for title, section in ((citation.title, citation.section), *citation.also):
            assert not parts(title) & parts(section), (where, title, section)


@pytest.mark.parametrize("tree_id", SHIPPED)
def test_no_citation_cites_one_source_twice(tree_id: str) -> None:
    """ "golden rule 6; golden rule 5" of one source printed its long title twice: "golden rules 5 and 6"."""
    for where, citation in citations(tree_id):
        titles = [citation.title, *(title for title, _ in citation.also)]
        assert len(titles) == len(set(titles)), (where, str(citation))


@pytest.mark.parametrize("tree_id", SHIPPED)
def test_no_citation_repeats_its_title_s_words_in_brackets(tree_id: str) -> None:
    for where, citation in citations(tree_id):
        for title, section in ((citation.title, citation.section), *citation.also):
            bracketed = re.findall(r"\(([^()]+)\)", title)
            assert not any(section.strip("()") == b for b in bracketed), (where, title, section)
