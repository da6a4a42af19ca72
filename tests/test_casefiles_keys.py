"""Question ids in a cases file are text whatever the format: YAML may give a number as a key."""

from __future__ import annotations

from pathlib import Path

from sharewise.frontends.casefiles import open_cases


def _answers(path: Path) -> list[dict[str, object]]:
    with open_cases(path) as source:
        return [entry.case.answers for entry in source if entry.case is not None]


def test_a_number_key_in_yaml_is_the_id_written(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text('- answers: {7: "yes", urgency: "no"}\n', encoding="utf-8")
    assert _answers(cases) == [{"7": "yes", "urgency": "no"}]


def test_jsonl_answers_arrive_as_written(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"answers": {"7": "yes", "urgency": "no"}, "sign_off": {"name": " Ann "}}\n', encoding="utf-8")
    with open_cases(cases) as source:
        (entry,) = list(source)
    assert entry.case is not None
    assert entry.case.answers == {"7": "yes", "urgency": "no"}
    assert entry.case.sign_off.name == "Ann"
    assert entry.case.sign_off.role is None
