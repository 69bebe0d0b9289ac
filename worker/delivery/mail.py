"""The SMTP edge: send one stored message (its exact bytes) with smtplib; settings from config, secrets from env."""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass

from worker.delivery.settings import SmtpSettings, secret


@dataclass(frozen=True)
class MailResult:
    status: int | None  # the SMTP reply code, None for a connection failure
    seconds: float
    error: str = ""


def send_mail(settings: SmtpSettings, to: str, message: bytes) -> MailResult:
    """Send once; 4xx replies and connection failures come back as retryable, 5xx as final (see outcome)."""
    started = time.monotonic()
    user = secret(settings.user_env, "smtp.user_env") if settings.user_env else None
    password = secret(settings.password_env, "smtp.password_env") if settings.password_env else None
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if user and password:
                smtp.login(user, password)
            smtp.sendmail(settings.sender, [to], message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        return MailResult(code, time.monotonic() - started, f"{to} refused: {code} {text!r}")
    except smtplib.SMTPResponseException as exc:
        return MailResult(exc.smtp_code, time.monotonic() - started, f"SMTP {exc.smtp_code} {exc.smtp_error!r}")
    except (OSError, smtplib.SMTPException) as exc:
        return MailResult(None, time.monotonic() - started, f"SMTP {settings.host}:{settings.port}: {exc}")
    return MailResult(250, time.monotonic() - started)


def mail_outcome(status: int | None) -> str:
    """SMTP codes mapped onto the HTTP-style outcome: 2xx sent, 4xx or no answer retried, 5xx failed."""
    if status is None or 400 <= status < 500:
        return "retry"
    return "sent" if 200 <= status < 300 else "failed"
