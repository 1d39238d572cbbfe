"""The work each server process does besides answering requests: sending due reminders and
the e-mail outbox. Started by the app's lifespan (gql/app.py), one loop per process; the
claims in the database (models/reminders.py, models/outbox.py) make any number of processes
safe, so a reminder goes out once and a message is not sent twice at once."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from email.message import EmailMessage

import aiosmtplib

from gql.outage import is_unavailable
from gql.settings import Settings, Smtp
from models import OutboxEmail, outbox, reminders
from models.clock import now_utc
from permissions.scoping import organizations_addressed_by

log = logging.getLogger("gql.background")


def worker_name() -> str:
    """Who claimed a row, for the operator: host, process and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def smtp_sender(smtp: Smtp) -> outbox.Send:
    async def send(message: OutboxEmail) -> None:
        mail = EmailMessage()
        mail["From"] = smtp.sender
        mail["To"] = message.to_address
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        await aiosmtplib.send(
            mail, hostname=smtp.host, port=smtp.port, username=smtp.username or None,
            password=smtp.password or None, use_tls=smtp.security == "tls",
            start_tls=True if smtp.security == "starttls" else False,
            timeout=smtp.timeout)
    return send


async def run_once(worker: str, smtp: Smtp) -> None:
    """One round: due reminders (as notices, and queued e-mail), then the outbox."""
    claimed = await reminders.run_due(
        worker, now_utc(), lambda org: organizations_addressed_by(org.id, org.kind),
        email=smtp.enabled)
    for reminder in claimed:
        log.info("reminder %d claimed by %s", reminder.id, worker)
    if smtp.enabled:
        sent = await outbox.deliver_due(worker, now_utc(), smtp_sender(smtp))
        if sent:
            log.info("%d e-mail(s) sent by %s", sent, worker)


async def loop(settings: Settings, worker: str | None = None) -> None:
    """Until cancelled. A failed round is logged and the next one comes as usual (a database
    outage is told once by gql/outage.py, not per round)."""
    worker = worker or worker_name()
    while True:
        try:
            await run_once(worker, settings.smtp)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not is_unavailable(exc):
                log.exception("background round failed")
        await asyncio.sleep(settings.background_seconds)
