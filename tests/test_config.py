"""The settings file: where it is found, what it may hold, and how its mistakes are reported."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sharewise.config import Config, ConfigError, Signer, config_path, load_config, sign_off_defaults
from sharewise.records.build import SignOff


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_file_is_found_under_xdg_config_home(tmp_path: Path) -> None:
    assert config_path() == tmp_path / "config" / "sharewise" / "config.yaml"


def test_sharewise_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREWISE_CONFIG", str(tmp_path / "team.yaml"))
    assert config_path() == tmp_path / "team.yaml"


def test_without_xdg_the_file_is_under_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert config_path() == Path.home() / ".config" / "sharewise" / "config.yaml"


def test_no_file_means_no_settings() -> None:
    assert load_config() == Config()


def test_a_missing_file_named_by_sharewise_config_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREWISE_CONFIG", str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match=r"no config file at .*nope.yaml \(named by SHAREWISE_CONFIG\)"):
        load_config()


def test_every_setting_is_read() -> None:
    path = write(
        config_path(),
        """\
        organisation: Anytown Council
        signer:
          name: Sam Patel
          role: Designated safeguarding lead
        records_dir: records
        trees_path: [/srv/trees, ~/trees]
        contacts:
          dpo: Data protection officer, dpo@example.org
          dsl: "Duty DSL: 01234 567890"
        """,
    )
    config = load_config()
    assert config.path == path
    assert config.organisation == "Anytown Council"
    assert config.signer == Signer("Sam Patel", "Designated safeguarding lead")
    assert config.records_dir == path.parent / "records"  # relative to the config file
    assert config.trees_path == (Path("/srv/trees"), Path.home() / "trees")
    assert config.contacts == {"dpo": "Data protection officer, dpo@example.org", "dsl": "Duty DSL: 01234 567890"}


def test_a_single_trees_folder_may_be_given_without_a_list() -> None:
    write(config_path(), "trees_path: /srv/trees\n")
    assert load_config().trees_path == (Path("/srv/trees"),)


def test_an_empty_file_is_fine() -> None:
    write(config_path(), "# nothing yet\n")
    assert load_config().organisation is None


def test_every_problem_is_reported_with_file_line_and_place() -> None:
    path = write(
        config_path(),
        """\
        organisaton: Anytown
        signer:
          name: Sam
          rle: DSL
        records_dir: [a, b]
        trees_path:
          - /ok
          - 3
        contacts: just text
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert str(caught.value) == f"the config file {path} has 5 problems"
    assert caught.value.diagnostics == [
        f"{path}:1 organisaton: unknown key; did you mean 'organisation'?",
        f"{path}:4 signer.rle: unknown key; did you mean 'role'?",
        f"{path}:5 records_dir: must be a folder path",
        f"{path}:6 trees_path[1]: must be a folder path",
        f"{path}:9 contacts: must map a name to how to reach them, such as 'dpo: dpo@example.org'",
    ]


def test_an_unknown_key_with_no_near_match_lists_the_known_keys() -> None:
    path = write(config_path(), "colour: blue\n")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert caught.value.diagnostics == [
        f"{path}:1 colour: unknown key; known keys: organisation, signer, records_dir, trees_path, contacts, public_authority"
    ]


def test_yaml_syntax_errors_name_the_line() -> None:
    path = write(config_path(), "organisation: Anytown\nsigner: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert caught.value.diagnostics[0].startswith(f"{path}:")
    assert "YAML syntax error" in caught.value.diagnostics[0]


def test_duplicate_keys_are_reported() -> None:
    path = write(config_path(), "organisation: A\norganisation: B\n")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert caught.value.diagnostics == [f"{path}:2 organisation: duplicate key 'organisation' (first given on line 1)"]


def test_the_file_must_be_a_mapping() -> None:
    write(config_path(), "- a\n- b\n")
    with pytest.raises(ConfigError, match="1 problem"):
        load_config()


def test_text_settings_must_be_text() -> None:
    path = write(config_path(), "organisation: true\nsigner:\n  name: [a]\n")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert caught.value.diagnostics == [f"{path}:1 organisation: must be text", f"{path}:3 signer.name: must be text"]


def test_the_environment_overrides_the_signer(monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(organisation="File Org", signer=Signer("File Name", "File Role"))
    assert sign_off_defaults(config) == SignOff("File Name", "File Role", "File Org")
    monkeypatch.setenv("SHAREWISE_SIGNER_NAME", "Env Name")
    monkeypatch.setenv("SHAREWISE_ORGANISATION", "Env Org")
    assert sign_off_defaults(config) == SignOff("Env Name", "File Role", "Env Org")


def test_a_blank_environment_variable_does_not_clear_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREWISE_SIGNER_ROLE", "  ")
    assert sign_off_defaults(Config(signer=Signer(role="DSL"))).role == "DSL"


def test_the_session_reports_a_bad_config_file() -> None:
    from sharewise.interactive import run_interactive
    from sharewise.interactive.fake import FakePrompter

    write(config_path(), "signer: Sam\n")
    with pytest.raises(ConfigError) as caught:
        run_interactive(tree="when-to-share", prompter=FakePrompter())
    assert caught.value.diagnostics[0].endswith("signer: must be a mapping with 'name' and 'role'")
