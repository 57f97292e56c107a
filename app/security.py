"""Secrets at rest: Fernet encryption with key rotation.

`TAXRECON_SECRET_KEY` holds one or more Fernet keys (URL-safe base64 of 32 bytes), comma-separated. The first key
encrypts; every key decrypts (MultiFernet), so rotation is: put the new key first, keep the old ones after it, re-encrypt
(`SecretBox.rotate`), then drop the old keys.

In development a missing key is generated once and kept in `<data_dir>/secret.key` (mode 0600) beside the SQLite
database, so a restart can still read what it stored. In production a missing key is an error (Settings refuses it).

Invariant: no message raised from here contains key material or plaintext; errors name the position of a bad key
("key 2 of 3"), never its value.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.config import Settings
from app.errors import ConfigurationError

log = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"
_KEY_HINT = "a Fernet key is 44 characters of URL-safe base64 (32 bytes); make one with `python -c \"from " \
            "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"`"


def parse_keys(material: str, *, source: str = "TAXRECON_SECRET_KEY") -> list[Fernet]:
    """Fernet objects for comma-separated key material; ConfigurationError names the bad position, not the value."""
    parts = [part.strip() for part in material.split(",")]
    if not any(parts):
        raise ConfigurationError(f"{source} is empty; {_KEY_HINT}")
    keys: list[Fernet] = []
    for index, part in enumerate(parts, start=1):
        if not part:
            raise ConfigurationError(f"{source}: key {index} of {len(parts)} is empty (stray comma?)")
        try:
            keys.append(Fernet(part.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            raise ConfigurationError(
                f"{source}: key {index} of {len(parts)} is not a valid Fernet key; {_KEY_HINT}"
            ) from None
    return keys


def _read_key_file(path: Path) -> str:
    try:
        if path.stat().st_mode & 0o077:
            log.warning("the development secret key file %s is readable by others; run chmod 600 on it", path)
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"cannot read the development secret key file {path}: {exc.__class__.__name__}"
        ) from None


def _read_or_create_key_file(path: Path) -> str:
    """The development key kept beside the database; created with mode 0600 if absent.

    The key is written to a private temporary file first and then hard-linked into place, so two processes starting
    at once agree on one key and neither can read a half-written file.
    """
    if path.exists():
        return _read_key_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp: a unique name per call (threads of one process too) and mode 0600 from the start
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
        os.link(temporary, path)
    except FileExistsError:
        return _read_key_file(path)  # another process won the race; use its key
    finally:
        temporary.unlink(missing_ok=True)
    log.warning("generated a development secret key in %s; set TAXRECON_SECRET_KEY in production", path)
    return _read_key_file(path)


class SecretBox:
    """Encrypts and decrypts short secrets (Shopify tokens, webhook secrets, ERP credentials)."""

    def __init__(self, keys: list[Fernet]) -> None:
        if not keys:
            raise ConfigurationError("SecretBox needs at least one key")
        self._fernet = MultiFernet(keys)
        self.key_count = len(keys)

    @classmethod
    def from_key_material(cls, material: str, *, source: str = "TAXRECON_SECRET_KEY") -> SecretBox:
        return cls(parse_keys(material, source=source))

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """Keys from `settings.secret_key`; in development without one, the key file beside the database."""
        if settings.secret_key is not None:
            return cls.from_key_material(settings.secret_key.get_secret_value())
        if settings.env == "production":
            raise ConfigurationError("TAXRECON_SECRET_KEY is required when TAXRECON_ENV=production")
        path = settings.data_dir / KEY_FILE_NAME
        return cls.from_key_material(_read_or_create_key_file(path), source=str(path))

    def encrypt(self, plaintext: str) -> str:
        """A Fernet token (URL-safe text) for `plaintext`, made with the first key."""
        if not isinstance(plaintext, str):
            raise TypeError("SecretBox.encrypt takes a str")
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plaintext of a token made by any configured key; ConfigurationError if none of them made it."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, AttributeError):
            raise ConfigurationError(
                "a stored secret cannot be decrypted with the configured TAXRECON_SECRET_KEY "
                "(was a key removed before the secrets were re-encrypted?)"
            ) from None

    def rotate(self, token: str) -> str:
        """The same secret re-encrypted with the first (newest) key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError, AttributeError):
            raise ConfigurationError(
                "a stored secret cannot be re-encrypted: none of the configured keys decrypts it"
            ) from None

    def __repr__(self) -> str:
        return f"SecretBox(keys={self.key_count})"
