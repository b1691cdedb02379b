"""De-identifying personal information (PIPL 个人信息保护法) for display."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """138****5678: first 3 and last 4 digits kept."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * (len(phone) - 4) + phone[-4:] if len(phone) > 4 else phone
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    """张* / 欧阳**: the surname's first character kept (another store's customer)."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id_number(id_number: str | None) -> str | None:
    """110105********0123: region code and last 4 kept."""
    if not id_number:
        return id_number
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]
