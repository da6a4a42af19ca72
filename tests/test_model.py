"""model: the shapes a tree is read into."""

from __future__ import annotations

from sharewise.model import Citation


def test_a_citation_names_each_source_and_section() -> None:
    cited = Citation(
        "wt", "chapter 2", "Working Together 2023", also=(("Care Act 2014", "section 45"), ("ICO guide", ""))
    )
    assert str(cited) == "Working Together 2023, chapter 2; Care Act 2014, section 45; ICO guide"


def test_a_bracketed_section_follows_its_title_without_a_comma() -> None:
    cited = Citation("wt", "(sharing early, without waiting to be asked)", "Working Together 2023 (HM Government)")
    assert str(cited) == "Working Together 2023 (HM Government) (sharing early, without waiting to be asked)"
