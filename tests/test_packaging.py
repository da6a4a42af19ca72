"""The trees and schemas must travel inside the installed package (CI installs non-editably)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

import sharewise
from sharewise.library import shipped_trees_dir


def test_schemas_are_package_data() -> None:
    assert files("sharewise").joinpath("schemas/tree.schema.json").is_file()
    assert files("sharewise").joinpath("schemas/record.schema.json").is_file()


def test_docs_record_schema_is_the_packaged_one() -> None:
    docs = Path(__file__).parents[1] / "docs" / "record.schema.json"
    packaged = files("sharewise").joinpath("schemas/record.schema.json").read_text(encoding="utf-8")
    assert docs.read_text(encoding="utf-8") == packaged


def test_shipped_trees_are_inside_an_installed_package() -> None:
    package_dir = Path(sharewise.__file__).parent
    if "site-packages" not in package_dir.parts:
        pytest.skip("an editable install reads the checkout's trees/ folder")
    assert shipped_trees_dir() == package_dir / "trees"
    names = {p.name for p in shipped_trees_dir().glob("*.yaml") if not p.name.endswith(".tests.yaml")}
    assert {"when-to-share.yaml", "how-much-to-share.yaml", "ico-10-step.yaml"} <= names
