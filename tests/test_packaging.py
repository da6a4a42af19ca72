"""The trees and schemas must travel inside the installed package (CI installs non-editably)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import sharewise
from sharewise.trees.paths import shipped_trees_dir


def test_schemas_are_package_data() -> None:
    assert files("sharewise").joinpath("schemas/tree.schema.json").is_file()
    assert files("sharewise").joinpath("schemas/record.schema.json").is_file()


def test_docs_record_schema_is_the_packaged_one() -> None:
    docs = Path(__file__).parents[1] / "docs" / "record.schema.json"
    packaged = files("sharewise").joinpath("schemas/record.schema.json").read_text(encoding="utf-8")
    assert docs.read_text(encoding="utf-8") == packaged


SHIPPED_NAMES = {"when-to-share.yaml", "how-much-to-share.yaml", "ico-10-step.yaml"}


def test_shipped_trees_are_inside_an_installed_package(tmp_path: Path) -> None:
    package_dir = Path(sharewise.__file__).parent
    if "site-packages" in package_dir.parts:  # a normal install, as CI makes: look inside it
        assert shipped_trees_dir() == package_dir / "trees" / "shipped"
        names = {p.name for p in shipped_trees_dir().glob("*.yaml") if not p.name.endswith(".tests.yaml")}
    else:  # an editable install reads the checkout's trees/: build the wheel a user would get
        import subprocess
        import sys
        import zipfile

        root = Path(__file__).parents[1]
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(root)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert built.returncode == 0, built.stderr
        [wheel] = tmp_path.glob("sharewise-*.whl")
        inside = zipfile.ZipFile(wheel).namelist()
        names = {
            Path(n).name for n in inside if n.startswith("sharewise/trees/shipped/") and not n.endswith(".tests.yaml")
        }
        assert "sharewise/schemas/record.schema.json" in inside
    assert names >= SHIPPED_NAMES
