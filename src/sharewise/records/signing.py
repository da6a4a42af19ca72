"""Ed25519 signatures: the signing key, trusted public keys, and checking a signature.

Why Ed25519 and not HMAC: a record is evidence read by people who must not be able to forge it (an
auditor, an inspector, a court). With HMAC everyone who can check a signature holds the secret and
so can make one; with Ed25519 the checker needs only the public key, each person's key is their own
(so a countersignature is attributable to the second person), and signatures are small and fast.
The cost is one dependency, ``cryptography``, imported only when a key is used.

Key files are PEM, the same as ``openssl genpkey -algorithm ed25519`` writes: the private key
(PKCS#8, unencrypted, mode 0600) at ``$SHAREWISE_SIGNING_KEY`` or
``$XDG_CONFIG_HOME/sharewise/signing-key.pem``; trusted public keys (SubjectPublicKeyInfo) as
``*.pem`` files in ``$XDG_CONFIG_HOME/sharewise/trusted-keys/``, each named after its holder.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sharewise.errors import UsageError
from sharewise.records.safefiles import make_private_folder, write_new_file

__all__ = [
    "ALGORITHM",
    "KEY_ENV",
    "SigningKey",
    "SigningKeyError",
    "TrustedKeys",
    "config_dir",
    "configured_key_path",
    "default_key_path",
    "generate_key",
    "key_id_of",
    "load_signing_key",
    "public_key_path",
    "trusted_keys_dir",
]

ALGORITHM = "ed25519"
KEY_ENV = "SHAREWISE_SIGNING_KEY"
MAX_KEY_FILE = 16 * 1024  # a PEM Ed25519 key is about 120 bytes; anything huge is not a key
_NO_CRYPTOGRAPHY = "the 'cryptography' package is not installed, so signatures cannot be made or checked"


class SigningKeyError(UsageError):
    """Raised when a signing key or trusted key file is missing, unsafe or not an Ed25519 key."""


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/sharewise``, or ``~/.config/sharewise``."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(base).expanduser() / "sharewise"


def default_key_path() -> Path:
    return config_dir() / "signing-key.pem"


def trusted_keys_dir() -> Path:
    return config_dir() / "trusted-keys"


def public_key_path(private_path: Path) -> Path:
    """``signing-key.pem`` -> ``signing-key.pub.pem``."""
    return private_path.with_name(private_path.name.removesuffix(".pem") + ".pub.pem")


def key_id_of(public_raw: bytes) -> str:
    """A key's id: the hex SHA-256 of its 32 raw public-key bytes."""
    return hashlib.sha256(public_raw).hexdigest()


def configured_key_path() -> Path | None:
    """The signing key to use: ``$SHAREWISE_SIGNING_KEY`` (which must exist), else the default if present."""
    explicit = os.environ.get(KEY_ENV, "").strip()
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise SigningKeyError(f"no signing key at {path} (named by {KEY_ENV})")
        return path
    path = default_key_path()
    return path if path.is_file() else None


@dataclass(frozen=True)
class SigningKey:
    """A loaded Ed25519 private key, ready to sign digests."""

    private: Any  # cryptography's Ed25519PrivateKey, kept untyped so this module imports without it
    public_raw: bytes
    path: Path | None = None

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw)

    def declaration(self) -> dict[str, str]:
        """What goes in the digested body: the promise that this key signs the record."""
        return {"algorithm": ALGORITHM, "key_id": self.key_id}

    def sign(self, context: bytes, digest: str) -> dict[str, str]:
        """The signature block for ``digest``; ``context`` keeps record and countersignature signatures apart."""
        value = self.private.sign(context + digest.encode("ascii"))
        return {
            "algorithm": ALGORITHM,
            "key_id": self.key_id,
            "public_key": base64.b64encode(self.public_raw).decode("ascii"),
            "value": base64.b64encode(value).decode("ascii"),
        }


def _read_key_file(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise SigningKeyError(f"cannot read the key file {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_KEY_FILE:
        raise SigningKeyError(f"{path} is too large to be a key file")
    return data


def load_signing_key(path: Path | None = None) -> SigningKey | None:
    """The configured signing key (see :func:`configured_key_path`), or None when there is none."""
    path = path if path is not None else configured_key_path()
    if path is None:
        return None
    if os.name == "posix":
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            raise SigningKeyError(f"cannot read the signing key {path}: {exc.strerror or exc}") from None
        if stat.S_IMODE(mode) & 0o077:
            raise SigningKeyError(
                f"the signing key {path} can be read by other users; make it private with: chmod 600 {path}"
            )
    data = _read_key_file(path)
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError:
        raise SigningKeyError(_NO_CRYPTOGRAPHY) from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        hint = " (sharewise needs an unencrypted key file, kept private by its mode)" if "password" in str(exc) else ""
        raise SigningKeyError(f"{path} is not a usable PEM private key{hint}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} is not an Ed25519 key; make one with 'sharewise records keygen'")
    public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SigningKey(private, public_raw, path)


def generate_key(path: Path) -> SigningKey:
    """Make a new key pair: the private key at ``path`` (mode 0600) and its public key beside it.

    Never replaces an existing file.
    """
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError:
        raise SigningKeyError(_NO_CRYPTOGRAPHY) from None
    public_path = public_key_path(path)
    for target in (path, public_path):
        if target.exists():
            raise SigningKeyError(f"{target} already exists; sharewise never replaces a key")
    try:
        make_private_folder(path.parent)  # 0700 for every folder made, whatever the umask
    except OSError as exc:
        raise SigningKeyError(f"cannot create {path.parent}: {exc.strerror or exc}") from None
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = private.public_key()
    write_new_file(path, pem)
    write_new_file(
        public_path, public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    public_path.chmod(0o644)  # a public key is meant to be handed out
    return SigningKey(private, public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw), path)


@dataclass(frozen=True, slots=True)
class _Trusted:
    label: str
    public_raw: bytes


class TrustedKeys:
    """The public keys whose signatures count: the trusted-keys folder, extra files, and your own key."""

    def __init__(self, keys: Mapping[str, tuple[str, bytes]] | None = None) -> None:
        self._keys = {key_id: _Trusted(label, raw) for key_id, (label, raw) in (keys or {}).items()}

    @classmethod
    def load(cls, extra: Iterable[Path] = (), *, folder: Path | None = None, own: bool = True) -> TrustedKeys:
        """Trusted keys from ``folder`` (default :func:`trusted_keys_dir`), ``extra`` files and the own key."""
        keys: dict[str, tuple[str, bytes]] = {}
        folder = trusted_keys_dir() if folder is None else folder
        files = sorted(folder.glob("*.pem")) if folder.is_dir() else []
        for path in [*files, *extra]:
            raw = _load_public_key(path)
            keys[key_id_of(raw)] = (path.name.removesuffix(".pem").removesuffix(".pub"), raw)
        if own:
            mine = load_signing_key()
            if mine is not None:
                keys.setdefault(mine.key_id, ("your own key", mine.public_raw))
        return cls(keys)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def label(self, key_id: str) -> str | None:
        """The trusted key's name (its file name), or None when it is not trusted."""
        found = self._keys.get(key_id)
        return found.label if found else None

    def check(self, signature: Mapping[str, Any], context: bytes, digest: str) -> str | None:
        """None when ``signature`` is a good signature of ``digest`` by a trusted key; else the problem,
        worded to follow the name of what was signed ("the record has a signature that ...")."""
        if signature.get("algorithm") != ALGORITHM:
            return f"has a signature made with {signature.get('algorithm')!r}, which sharewise cannot check"
        key_id = signature.get("key_id")
        try:
            value = base64.b64decode(str(signature.get("value", "")), validate=True)
            embedded = base64.b64decode(str(signature.get("public_key", "")), validate=True)
        except (binascii.Error, ValueError):
            return "has a malformed signature (not base64)"
        trusted = self._keys.get(str(key_id))
        public_raw = trusted.public_raw if trusted else embedded
        if not trusted and key_id_of(embedded) != key_id:
            return "has a signature that names a key it does not carry"
        try:
            from cryptography.exceptions import InvalidSignature
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        except ImportError:
            return f"cannot have its signature checked: {_NO_CRYPTOGRAPHY}"
        try:
            Ed25519PublicKey.from_public_bytes(public_raw).verify(value, context + digest.encode("ascii"))
        except (InvalidSignature, ValueError):
            return "has a signature that does not match: forged, or made for other content"
        if not trusted:
            return (
                f"is signed by key {str(key_id)[:16]}, which is not one of your trusted keys "
                f"(put its public key in {trusted_keys_dir()} if you trust it)"
            )
        return None


def _load_public_key(path: Path) -> bytes:
    data = _read_key_file(path)
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise SigningKeyError(_NO_CRYPTOGRAPHY) from None
    try:
        public = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise SigningKeyError(f"the trusted key {path} is not a PEM public key") from None
    if not isinstance(public, Ed25519PublicKey):
        raise SigningKeyError(f"the trusted key {path} is not an Ed25519 public key")
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
