"""ID numbers 身份证号 encrypted at rest, with a key kept outside the database.

Fernet (from ``cryptography``: AES-128-CBC with an HMAC, well reviewed) rather than
anything of our own. The key lives in ``DEALERDESK_KEY_FILE`` or ``pii.key`` in the
user data directory, created on first use with owner-only permissions; a database
copied without its key file yields no ID numbers.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from store.config import data_dir


def key_path() -> Path:
    return Path(os.environ.get("DEALERDESK_KEY_FILE") or data_dir() / "pii.key")


@lru_cache(maxsize=4)
def _fernet(path: str) -> Fernet:
    p = Path(path)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Fernet.generate_key())
    return Fernet(p.read_bytes().strip())


def encrypt_id_number(id_number: str | None) -> str | None:
    if not id_number:
        return None
    return _fernet(str(key_path())).encrypt(id_number.encode()).decode()


def decrypt_id_number(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return _fernet(str(key_path())).decrypt(token.encode()).decode()
    except InvalidToken:
        return "[key missing]"
