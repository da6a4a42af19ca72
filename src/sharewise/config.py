"""The user's (or organisation's) settings file, read once and validated into a typed :class:`Config`.

One YAML file, found at ``$SHAREWISE_CONFIG``, else ``$XDG_CONFIG_HOME/sharewise/config.yaml``,
else ``~/.config/sharewise/config.yaml``. A missing file is not an error: every setting is optional.

```yaml
organisation: Anytown Council children's services
signer:
  name: Sam Patel
  role: Designated safeguarding lead
records_dir: ~/sharewise/records     # relative paths are read from the config file's folder
trees_path: [~/sharewise/trees]
public_authority: yes               # a council, school, NHS body or police force; no for a charity or private provider
contacts:
  dpo: Data protection officer, dpo@example.org, 01234 567890
```

Each top-level key has one small parser in :data:`_PARSERS`; adding a setting means adding one
entry there and one field to :class:`Config`. Every problem in the file is reported at once, each
naming the file, line and dotted place, and an unknown key suggests the likely intended one.

The signer can also come from the environment (``SHAREWISE_SIGNER_NAME``, ``SHAREWISE_SIGNER_ROLE``,
``SHAREWISE_ORGANISATION``), which wins over the file; command-line flags win over both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharewise.diagnostics import Collector
from sharewise.errors import UsageError
from sharewise.formats.yamlio import LineMap, load_yaml_text
from sharewise.records.build import SignOff

__all__ = [
    "CONFIG_ENV",
    "ENV_SIGNER",
    "Config",
    "ConfigError",
    "Signer",
    "config_path",
    "load_config",
    "sign_off_defaults",
]

CONFIG_ENV = "SHAREWISE_CONFIG"
ENV_SIGNER = {
    "name": "SHAREWISE_SIGNER_NAME",
    "role": "SHAREWISE_SIGNER_ROLE",
    "organisation": "SHAREWISE_ORGANISATION",
}
MAX_TEXT = 500  # a setting longer than this is almost certainly a mistake


class ConfigError(UsageError):
    """Raised when the config file cannot be read or is not valid; ``diagnostics`` has one line per problem."""

    def __init__(self, message: str, diagnostics: list[str] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


@dataclass(frozen=True, slots=True)
class Signer:
    """The person who usually signs off decisions on this machine."""

    name: str | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """Settings from the config file; ``path`` is the file read, or None when there was none."""

    path: Path | None = None
    organisation: str | None = None
    signer: Signer = field(default_factory=Signer)
    records_dir: Path | None = None
    trees_path: tuple[Path, ...] = ()
    contacts: Mapping[str, str] = field(default_factory=dict)
    public_authority: bool | None = None


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the config file is looked for (it need not exist)."""
    env = os.environ if env is None else env
    explicit = env.get(CONFIG_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    base = env.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(base).expanduser() / "sharewise" / "config.yaml"


def sign_off_defaults(config: Config, env: Mapping[str, str] | None = None) -> SignOff:
    """The sign-off to offer: the config file's signer, overridden by the environment."""
    env = os.environ if env is None else env
    from_env = SignOff(*(env.get(ENV_SIGNER[key], "").strip() or None for key in ("name", "role", "organisation")))
    return SignOff(config.signer.name, config.signer.role, config.organisation).merged(from_env)


def load_config(path: Path | None = None) -> Config:
    """Read and validate the config file at ``path`` (default: :func:`config_path`)."""
    path = config_path() if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if os.environ.get(CONFIG_ENV, "").strip() and path == config_path():
            raise ConfigError(f"no config file at {path} (named by {CONFIG_ENV})") from None
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from None
    loaded = load_yaml_text(text, str(path))
    reader = _Reader(path, loaded.lines)
    reader.yaml_problems(loaded.problems)
    data = loaded.data
    values: dict[str, Any] = {}
    if data is None:
        pass  # an empty file, or one that failed to parse (already reported)
    elif not isinstance(data, dict):
        reader.at(1, "", "the config file must be a mapping of settings, such as 'organisation: ...'")
    else:
        for key, value in data.items():
            parser = _PARSERS.get(key)
            if parser is None:
                reader.unknown(data, key, list(_PARSERS))
                continue
            parsed = parser(reader, data, key, value)
            if parsed is not None:
                values[key] = parsed
    if reader.problems:
        count = len(reader.problems)
        raise ConfigError(f"the config file {path} has {count} problem{'s' if count != 1 else ''}", reader.problems)
    return Config(path=path, **values)


class _Reader(Collector):
    """Collects problems with their file, line and dotted place while the settings are parsed."""

    def __init__(self, path: Path, lines: LineMap) -> None:
        super().__init__(str(path), lines)
        self.path = path

    @property
    def problems(self) -> list[str]:
        """One line per problem, ``FILE:LINE place: message``."""
        return [str(d) for d in self.items]

    def unknown(self, mapping: Mapping[str, Any], key: str, known: list[str], prefix: str = "") -> None:
        close = self.hint(key, known)
        hint = f"; did you mean '{close}'?" if close else f"; known keys: {', '.join(known)}"
        self.error(prefix + key, f"unknown key{hint}", mapping, key)

    def text(self, mapping: Mapping[str, Any], key: str, value: object, place: str) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.error(place, "must be text", mapping, key)
            return None
        text = str(value).strip()
        if len(text) > MAX_TEXT:
            self.error(place, f"is longer than {MAX_TEXT} characters", mapping, key)
            return None
        return text or None

    def path_value(self, mapping: object, key: str, value: object, place: str) -> Path | None:
        if not isinstance(value, str) or not value.strip():
            self.error(place, "must be a folder path", mapping, key)
            return None
        folder = Path(value.strip()).expanduser()
        return folder if folder.is_absolute() else self.path.parent / folder


_Parser = Callable[[_Reader, dict[str, Any], str, Any], Any]


def _organisation(reader: _Reader, data: dict[str, Any], key: str, value: object) -> str | None:
    return reader.text(data, key, value, key)


def _signer(reader: _Reader, data: dict[str, Any], key: str, value: object) -> Signer | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        reader.error(key, "must be a mapping with 'name' and 'role'", data, key)
        return None
    known = ["name", "role"]
    fields: dict[str, str | None] = {}
    for sub, item in value.items():
        if sub not in known:
            reader.unknown(value, sub, known, prefix=f"{key}.")
            continue
        fields[sub] = reader.text(value, sub, item, f"{key}.{sub}")
    return Signer(**fields)


def _records_dir(reader: _Reader, data: dict[str, Any], key: str, value: object) -> Path | None:
    return None if value is None else reader.path_value(data, key, value, key)


def _trees_path(reader: _Reader, data: dict[str, Any], key: str, value: object) -> tuple[Path, ...] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        reader.error(key, "must be a folder or a list of folders", data, key)
        return None
    folders: list[Path] = []
    for index, item in enumerate(items):
        folder = reader.path_value(data, key, item, f"{key}[{index}]")
        if folder is not None:
            folders.append(folder)
    return tuple(folders)


def _contacts(reader: _Reader, data: dict[str, Any], key: str, value: object) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        reader.error(key, "must map a name to how to reach them, such as 'dpo: dpo@example.org'", data, key)
        return None
    contacts: dict[str, str] = {}
    for name, item in value.items():
        text = reader.text(value, name, item, f"{key}.{name}")
        if text is None and item is not None:
            continue
        if text is None:
            reader.error(f"{key}.{name}", "is empty; say how to reach them", value, name)
            continue
        contacts[str(name)] = text
    return contacts


def _public_authority(reader: _Reader, data: dict[str, Any], key: str, value: object) -> bool | None:
    """Whether the organisation is a public authority: it decides which lawful bases trees offer."""
    if value is None:
        return None
    if value in ("yes", "no", True, False):
        return value in ("yes", True)
    reader.error(
        key,
        "must be yes or no: is your organisation a public authority (a council, school, NHS body, police)?",
        data,
        key,
    )
    return None


_PARSERS: dict[str, _Parser] = {
    "organisation": _organisation,
    "signer": _signer,
    "records_dir": _records_dir,
    "trees_path": _trees_path,
    "contacts": _contacts,
    "public_authority": _public_authority,
}
