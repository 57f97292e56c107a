"""SecretBox: Fernet/MultiFernet over TAXRECON_SECRET_KEY, the development key file, and clean errors."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from app.errors import ConfigurationError
from app.security import KEY_FILE_NAME, SecretBox
from tests.conftest import make_settings


def _key() -> str:
    return Fernet.generate_key().decode()


def test_round_trip_with_one_key() -> None:
    box = SecretBox.from_key_material(_key())
    token = box.encrypt("shpat_0123456789abcdef")
    assert token != "shpat_0123456789abcdef"
    assert token.startswith("gAAAAA")
    assert box.decrypt(token) == "shpat_0123456789abcdef"


def test_unicode_plaintext_round_trips() -> None:
    box = SecretBox.from_key_material(_key())
    assert box.decrypt(box.encrypt("Grüße – 秘密")) == "Grüße – 秘密"


def test_rotation_first_key_encrypts_all_keys_decrypt() -> None:
    old, new = _key(), _key()
    old_box = SecretBox.from_key_material(old)
    legacy_token = old_box.encrypt("webhook-secret-1")

    rotated_box = SecretBox.from_key_material(f"{new}, {old}")
    assert rotated_box.key_count == 2
    assert rotated_box.decrypt(legacy_token) == "webhook-secret-1"
    fresh = rotated_box.encrypt("webhook-secret-2")
    assert SecretBox.from_key_material(new).decrypt(fresh) == "webhook-secret-2"
    with pytest.raises(ConfigurationError):
        old_box.decrypt(fresh)

    re_encrypted = rotated_box.rotate(legacy_token)
    assert SecretBox.from_key_material(new).decrypt(re_encrypted) == "webhook-secret-1"


def test_decrypt_with_a_wrong_key_is_a_configuration_error() -> None:
    token = SecretBox.from_key_material(_key()).encrypt("shpat_topsecretvalue")
    with pytest.raises(ConfigurationError) as info:
        SecretBox.from_key_material(_key()).decrypt(token)
    assert info.value.code == "CONFIGURATION"
    assert "cannot be decrypted" in info.value.message
    assert "shpat_topsecretvalue" not in str(info.value)


def test_decrypt_garbage_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        SecretBox.from_key_material(_key()).decrypt("not-a-token")


@pytest.mark.parametrize(
    ("material", "expected"),
    [
        ("", "TAXRECON_SECRET_KEY is empty"),
        ("short-not-a-key", "TAXRECON_SECRET_KEY: key 1 of 1 is not a valid Fernet key"),
        ("VALID,", "TAXRECON_SECRET_KEY: key 2 of 2 is empty (stray comma?)"),
        ("VALID,Zm9vYmFy", "TAXRECON_SECRET_KEY: key 2 of 2 is not a valid Fernet key"),
        ("VALID,ключ", "TAXRECON_SECRET_KEY: key 2 of 2 is not a valid Fernet key"),
    ],
)
def test_invalid_key_material_names_position_never_value(material: str, expected: str) -> None:
    good = _key()
    material = material.replace("VALID", good)
    with pytest.raises(ConfigurationError) as info:
        SecretBox.from_key_material(material)
    message = info.value.message
    assert message.startswith(expected)
    assert "\n" not in message
    assert good not in message
    for part in material.split(","):
        if part.strip():
            assert part.strip() not in message


def test_from_settings_uses_the_configured_key(tmp_path: Path) -> None:
    key = _key()
    settings = make_settings(f"sqlite:///{tmp_path}/db.sqlite", secret_key=key)
    token = SecretBox.from_settings(settings).encrypt("x")
    assert SecretBox.from_key_material(key).decrypt(token) == "x"
    assert not (tmp_path / KEY_FILE_NAME).exists()


def test_development_without_key_generates_and_keeps_one_beside_the_database(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path}/data/db.sqlite", secret_key=None)
    box = SecretBox.from_settings(settings)
    key_file = tmp_path / "data" / KEY_FILE_NAME
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = box.encrypt("kept across restarts")
    again = SecretBox.from_settings(settings)
    assert again.decrypt(token) == "kept across restarts"
    Fernet(key_file.read_text().strip().encode())  # the file holds a valid Fernet key


def test_corrupt_development_key_file_is_reported_by_path(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE_NAME).write_text("garbage-key\n")
    settings = make_settings(f"sqlite:///{tmp_path}/db.sqlite", secret_key=None)
    with pytest.raises(ConfigurationError) as info:
        SecretBox.from_settings(settings)
    assert info.value.message.startswith(f"{tmp_path / KEY_FILE_NAME}: key 1 of 1 is not a valid Fernet key")
    assert "garbage-key" not in info.value.message


def test_production_without_key_is_refused(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path}/db.sqlite", secret_key=_key(), env="production")
    object.__setattr__(settings, "secret_key", None)  # bypass Settings' own check to test the box's
    with pytest.raises(ConfigurationError, match="TAXRECON_SECRET_KEY is required when TAXRECON_ENV=production"):
        SecretBox.from_settings(settings)
    assert not (tmp_path / KEY_FILE_NAME).exists()


def test_encrypt_refuses_non_text() -> None:
    with pytest.raises(TypeError):
        SecretBox.from_key_material(_key()).encrypt(b"bytes")  # type: ignore[arg-type]


def test_repr_shows_no_key_material() -> None:
    key = _key()
    assert repr(SecretBox.from_key_material(key)) == "SecretBox(keys=1)"


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    settings = make_settings(f"sqlite:///{tmp_path}/db.sqlite", secret_key=None)
    with ThreadPoolExecutor(max_workers=8) as pool:
        boxes = list(pool.map(lambda _: SecretBox.from_settings(settings), range(16)))
    token = boxes[0].encrypt("same key everywhere")
    assert {box.decrypt(token) for box in boxes} == {"same key everywhere"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE_NAME]


def test_readable_key_file_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key_file = tmp_path / KEY_FILE_NAME
    key_file.write_text(_key() + "\n")
    key_file.chmod(0o644)
    settings = make_settings(f"sqlite:///{tmp_path}/db.sqlite", secret_key=None)
    with caplog.at_level("WARNING", logger="app.security"):
        SecretBox.from_settings(settings)
    assert [r.getMessage() for r in caplog.records] == [
        f"the development secret key file {key_file} is readable by others; run chmod 600 on it"]
