"""A cache of read and checked tree files, so a command does not build the same tree every run.

Reading and checking ``ico-10-step`` (81 KB) takes about 18 ms; loading what that built from a
pickle takes about 2.5 ms. Every ``decide`` and ``check`` reads one to three trees, and a script
that runs ``decide --no-input`` once a case pays that each time, so :class:`TreeCache` keeps
each result in the user's cache folder, under a name that is the digest of everything the result
depends on:

- the file's bytes and the name it is shown by (messages name it);
- what reading it takes from outside the file: the day (the overdue-review warning), the
  placeholders and settings from the settings file, whether it is a shipped tree;
- the code that read it: sharewise's version, Python's, and the size and modification time of
  every module of the package and of PyYAML (an edited or upgraded install reads its trees
  afresh).

So a cached result is used only where reading the file again would give the same result. A tree
that lays an overlay on another file is never cached (its result depends on that file too), nor a
file with errors (it is about to be fixed, and its messages are cheap), nor a file over 1 MiB (a
generated tree of thousands of nodes, which costs more to pickle than the cache would save).

A pickle runs code when it is loaded, so the cache is read only from a folder that the user owns
and no one else can write to, and only files the user owns that no one else can read or write
(0600, written whole by :func:`sharewise.records.safefiles.replace_file`); anything else is
ignored, as is a file that cannot be loaded. ``SHAREWISE_TREE_CACHE=off`` turns the cache off;
``SHAREWISE_TREE_CACHE=DIR`` puts it in ``DIR``. Failing to write the cache never fails a
command. Where folders cannot be opened as files (Windows) the cache is simply never used.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import re
import stat
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sharewise.trees.loaded import TreeFile
    from sharewise.trees.reader import LoadOptions

__all__ = ["CACHE_ENV", "MAX_CACHED_TREE_BYTES", "MAX_ENTRIES", "MAX_ENTRY_BYTES", "TreeCache", "cache_folder"]

CACHE_ENV = "SHAREWISE_TREE_CACHE"
#: Entries kept; past this the oldest are removed when one is written (a tree author makes many).
MAX_ENTRIES = 64
#: Tree files larger than this are not cached: the shipped ones are under 100 KB, and for a tree
#: of thousands of nodes pickling the result costs more than it would save.
MAX_CACHED_TREE_BYTES = 1024 * 1024
#: A cached tree larger than this is neither written nor read (a shipped one is about 130 KiB).
MAX_ENTRY_BYTES = 16 * 1024 * 1024
_OFF = ("0", "off", "no", "false")
_ENTRY = re.compile(r"^[0-9a-f]{64}\.pickle$")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO put where an entry should be is refused, not waited on
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def cache_folder() -> Path | None:
    """Where the cache is: ``SHAREWISE_TREE_CACHE``, else ``$XDG_CACHE_HOME/sharewise/trees`` (or
    ``~/.cache/sharewise/trees``); None when it is turned off."""
    given = os.environ.get(CACHE_ENV, "").strip()
    if given.lower() in _OFF:
        return None
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "sharewise" / "trees"


@lru_cache(maxsize=1)
def _code_fingerprint() -> bytes:
    """sharewise's version, Python's, and every module's size and modification time."""
    import sharewise

    digest = hashlib.sha256(f"{sharewise.__version__}\0{sys.version}\0".encode())
    package = str(Path(sharewise.__file__).parent)
    modules: list[tuple[str, int, int]] = []
    _modules(package, len(package) + 1, modules)
    # PyYAML reads the trees: its files (its version, and whether its C parser is built) count too.
    # find_spec finds it without importing it (which would cost the time the cache saves).
    from importlib.util import find_spec

    spec = find_spec("yaml")
    if spec is not None and spec.origin:
        yaml_folder = str(Path(spec.origin).parent)
        _modules(yaml_folder, len(yaml_folder) + 1, modules, prefix="yaml:", suffixes=(".py", ".so", ".pyd"))
    for name, size, mtime in sorted(modules):
        digest.update(f"{name}\0{size}\0{mtime}\0".encode("utf-8", "surrogatepass"))
    return digest.digest()


def _modules(
    folder: str,
    start: int,
    found: list[tuple[str, int, int]],
    *,
    prefix: str = "",
    suffixes: tuple[str, ...] = (".py", ".so", ".pyd"),
) -> None:
    """Each module under ``folder``: its path from the package, size and modification time (scandir
    is some thirty times quicker than ``Path.rglob`` here, and this runs on every start)."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    _modules(entry.path, start, found, prefix=prefix, suffixes=suffixes)
            elif entry.name.endswith(suffixes):
                info = entry.stat()
                found.append((prefix + entry.path[start:], info.st_size, info.st_mtime_ns))


class TreeCache:
    """Read and checked tree files, kept between runs in ``folder`` (see the module)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def default(cls) -> TreeCache | None:
        folder = cache_folder()
        return cls(folder) if folder is not None else None

    def key(self, raw: bytes, shown: Path, options: LoadOptions) -> str:
        """The name of the entry for the file of ``raw`` bytes, shown as ``shown``, read with ``options``."""
        digest = hashlib.sha256(_code_fingerprint())
        outside = (
            str(shown),
            str(options.today),
            sorted(options.placeholders.items()),
            options.settings,
            options.shipped,
            repr(options.settings_file),
        )
        digest.update(repr(outside).encode("utf-8", "surrogatepass"))
        digest.update(hashlib.sha256(raw).digest())
        return digest.hexdigest()

    def load(self, key: str) -> TreeFile | None:
        """The entry ``key``, when there is one this user alone could have written; else None."""
        folder = _open_folder(self.folder)
        if folder is None:
            return None
        try:
            try:
                fd = os.open(f"{key}.pickle", os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=folder)
            except OSError:
                return None
            try:
                info = os.fstat(fd)
                if not (
                    stat.S_ISREG(info.st_mode)
                    and _private(info)
                    and info.st_nlink == 1  # not a hard link to a file put there by someone else
                    and info.st_size <= MAX_ENTRY_BYTES
                ):
                    return None
                with os.fdopen(os.dup(fd), "rb") as handle:
                    data = handle.read(MAX_ENTRY_BYTES + 1)
                if os.utime in os.supports_fd:  # used: kept longest when old entries are removed
                    with contextlib.suppress(OSError):
                        os.utime(fd)
            except OSError:
                return None
            finally:
                os.close(fd)
        finally:
            os.close(folder)
        return _unpickle(data)

    def save(self, key: str, loaded: TreeFile) -> None:
        """Keep ``loaded`` as the entry ``key``; quietly does nothing when it cannot."""
        from sharewise.records.safefiles import make_private_folder, replace_file_at

        try:
            data = pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return  # something in it cannot be kept this way: it is simply read each time
        if len(data) > MAX_ENTRY_BYTES:
            return
        try:
            make_private_folder(self.folder)
        except OSError:
            return
        folder = _open_folder(self.folder)
        if folder is None:
            return
        try:
            replace_file_at(folder, f"{key}.pickle", data)
            self._prune(folder)
        except OSError:
            return
        finally:
            os.close(folder)

    @staticmethod
    def _prune(folder: int) -> None:
        """Remove the least recently used entries past :data:`MAX_ENTRIES` (only files named as
        entries are: a folder given with ``SHAREWISE_TREE_CACHE`` may hold other things)."""
        entries = []
        with os.scandir(folder) as found:
            for entry in found:
                if _ENTRY.match(entry.name) and entry.is_file(follow_symlinks=False):
                    entries.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
        for _, name in sorted(entries)[: max(0, len(entries) - MAX_ENTRIES)]:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=folder)


def cached_read(
    cache: TreeCache | None, raw: bytes, shown: Path, options: LoadOptions, read: Callable[[LoadOptions], TreeFile]
) -> TreeFile:
    """``read(options)``, or what it gave before for the same file and options (see the module)."""
    if cache is None or len(raw) > MAX_CACHED_TREE_BYTES:
        return read(options)
    key = cache.key(raw, shown, options)
    found = cache.load(key)
    if found is not None:
        return found
    used_base = False
    base_of = options.base_of

    def watched(tree_id: str) -> TreeFile | str:
        nonlocal used_base
        used_base = True
        if base_of is None:  # pragma: no cover - a library always gives one
            return f"no tree called '{tree_id}' to extend"
        return base_of(tree_id)

    from dataclasses import replace

    loaded = read(replace(options, base_of=watched))
    if not used_base and loaded.tree is not None and not loaded.errors:
        cache.save(key, loaded)
    return loaded


def _open_folder(folder: Path) -> int | None:
    """The cache folder, opened without following a symbolic link, when it is this user's and no
    one else can write to it; None otherwise. Entries are then read and written through it, so the
    folder checked is the folder used."""
    try:
        fd = os.open(folder, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    except OSError:
        return None
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode) and _private(os.fstat(fd), folder=True):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _private(info: os.stat_result, *, folder: bool = False) -> bool:
    """Owned by this user, and (a file) readable and writable by no one else, or (a folder)
    writable by no one else."""
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return False
    return not info.st_mode & (0o022 if folder else 0o077)


def _unpickle(data: bytes) -> TreeFile | None:
    from sharewise.trees.loaded import TreeFile

    paused = gc.isenabled()
    gc.disable()  # like reading a tree: many new objects, no cycles to collect
    try:
        loaded = pickle.loads(data)  # written by this user, into a folder only they can write
    except Exception:  # a damaged or foreign entry is read afresh, never trusted
        return None
    finally:
        if paused:
            gc.enable()
    return loaded if isinstance(loaded, TreeFile) else None
