"""An organisation's contact (联系人, 电话, 邮箱): where reminders are e-mailed."""

from __future__ import annotations

import re

from models.errors import Code, DomainError
from models.org import Organization

# Mainland numbers as people type them: 0371-12345678, 13800138000, +86 138 0013 8000,
# with an extension (转 / ext / -).
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,22}([ ]?(转|ext\.?|x|-)[ ]?[0-9]{1,6})?$")
# A practical check (one @, a dot in the domain, no spaces or angle brackets): the SMTP
# server is the judge of the rest; the outbox records what it says.
_EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]+\.[^@\s<>,;\".]{2,}$")


def clean(name: str, phone: str, email: str) -> tuple[str, str, str]:
    name, phone, email = name.strip(), phone.strip(), email.strip()
    if len(name) > 50 or any(ord(ch) < 32 for ch in name):
        raise DomainError(Code.INVALID_VALUE, "联系人姓名不能超过50个字", "contactName")
    if phone and (len(phone) > 30 or not _PHONE.fullmatch(phone)):
        raise DomainError(Code.INVALID_VALUE, "电话号码格式不正确", "contactPhone")
    if email and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        raise DomainError(Code.INVALID_EMAIL, "邮箱地址格式不正确", "contactEmail")
    return name, phone, email


async def update(org: Organization, name: str, phone: str, email: str) -> Organization:
    org.contact_name, org.contact_phone, org.contact_email = clean(name, phone, email)
    await org.save(update_fields=["contact_name", "contact_phone", "contact_email",
                                  "updated_at"])
    return org
