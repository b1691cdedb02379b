"""Staff 员工 and their PINs.

| role | Chinese |
| --- | --- |
| sa | 服务顾问 service advisor |
| ca | 销售顾问 sales consultant |
| member | 会员专员 member specialist / customer service |
| manager | 店长 / 服务经理 store manager |
| analyst | 集团 group analyst |
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

ROLES = ("sa", "ca", "member", "manager", "analyst")

# scrypt: a slow, memory-hard KDF in the standard library (no extra dependency).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_pin(pin: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt_b64, digest_b64 = stored.split("$")
    expected = base64.b64decode(digest_b64)
    actual = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt_b64), dklen=32, **_SCRYPT)
    return hmac.compare_digest(expected, actual)
