"""Deliveries against the store and the network: record pack pushes and ward notices, send the due ones, log attempts.

Every delivery is recorded with its exact body before it is sent; sending only ever replays that record.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from worker.dates import from_iso, iso_utc, retry_after_seconds
from worker.delivery import notices, payload, retry
from worker.delivery.mail import MailResult, mail_outcome, send_mail
from worker.delivery.settings import DeliveryError, Destination, secret
from worker.errors import FetchError, LoaError
from worker.fetch import Sent
from worker.publish.model import Snapshot
from worker.wards import Ward

if TYPE_CHECKING:
    from worker.config import Config
    from worker.store import Store

# Test hook (documented in README): exit right after a response arrives, before it is recorded,
# to prove that a resend after a crash repeats the same body under the same key.
CRASH_HOOK = "LOA_TEST_CRASH_AFTER_SEND"
JSON = "application/json; charset=utf-8"


class Sender(Protocol):
    def send(
        self,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Sent: ...


MailSender = Callable[[Any, str, bytes], MailResult]


@dataclass
class DeliveryReport:
    enqueued: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # not sent: a secret is missing, or an earlier one is pending
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {k: list(v) for k, v in self.__dict__.items()}

    def line(self) -> str:
        return (
            f"deliveries: {len(self.enqueued)} new, {len(self.sent)} sent, {len(self.retrying)} to retry, "
            f"{len(self.failed)} failed, {len(self.waiting)} waiting"
        )


def _label(row: dict[str, Any]) -> str:
    return f"#{row['id']} {row['destination']} {row['summary']}"


# -- recording -------------------------------------------------------------------------------------


def enqueue_packs(config: Config, store: Store, snapshot: Snapshot, *, now: datetime) -> list[str]:
    """One delivery per destination per new pack revision (superseding an older one still pending)."""
    made: list[str] = []
    for dest in config.destinations:
        known = store.delivery_keys(dest.id)
        for pack in sorted(snapshot.packs, key=lambda p: p.id):
            key = payload.idempotency_key(pack.id, pack.revision)
            if key in known:
                continue
            action = "withdraw" if not pack.items else ("publish" if pack.revision == 1 else "update")
            summary = f"số {pack.number} lần {pack.revision} ({action}, {len(pack.items)} tin)"
            row = {
                "channel": dest.kind,
                "destination": dest.id,
                "pack_id": pack.id,
                "revision": pack.revision,
                "action": action,
                "idempotency_key": key,
                "url": dest.url,
                "content_type": JSON,
                "summary": summary,
                "created_at": iso_utc(now),
            }

            def build(sequence: int, pack: Any = pack, dest: Destination = dest) -> bytes:
                if dest.kind == "wordpress":
                    return payload.encode(payload.wordpress_post(pack, snapshot)) if pack.items else b""
                body = payload.pack_payload(pack, snapshot, destination=dest.id, sequence=sequence, created_at=now)
                return payload.encode(body)

            delivery_id = store.enqueue_delivery(row, build)
            made.append(f"#{delivery_id} {dest.id} {summary}")
    return made


def enqueue_notices(config: Config, store: Store, wards: tuple[Ward, ...], *, now: datetime) -> list[str]:
    """One email and/or one webhook per ward with new queue entries; entries are marked in the same transaction."""
    made: list[str] = []
    today = now.astimezone(config.timezone).date().isoformat()
    channels: list[tuple[str, Callable[[Ward], str | None]]] = [
        ("email", lambda w: w.email if config.smtp else None),
        ("webhook", lambda w: w.webhook),
    ]
    for ward in wards:
        for channel, target_of in channels:
            target = target_of(ward)
            if not target:
                continue
            fresh = store.unnotified_entries(ward.id, channel, from_date=today)
            slots = {
                (str(e["date"]), str(e["slot"])): store.slot_entries(ward.id, str(e["date"]), str(e["slot"]))
                for e in fresh
            }
            notice = notices.plan_notice(ward, fresh, slots, base_url=config.site.base_url)
            if notice is None:
                continue
            if channel == "email":
                assert config.smtp is not None
                message = notices.email_message(notice, sender=config.smtp.sender, to=target, now=now)
                body, content_type = message.as_bytes(), "message/rfc822"
            else:
                body, content_type = payload.encode(notices.webhook_payload(notice, created_at=now)), JSON
            summary = f"{'KHẨN CẤP ' if notice.urgent else ''}{len(notice.entries)} tin mới ({channel})"
            row = {
                "channel": channel,
                "destination": ward.id,
                "action": "notice",
                "idempotency_key": f"{channel}-{notice.key}",
                "url": target,
                "content_type": content_type,
                "summary": summary,
                "created_at": iso_utc(now),
            }
            entries = tuple((str(e["id"]), channel) for e in notice.entries)
            delivery_id = store.enqueue_delivery(row, _fixed(body), notified=entries)
            made.append(f"#{delivery_id} {ward.id} {summary}")
    return made


def _fixed(body: bytes) -> Callable[[int], bytes]:
    """A notice body does not carry the sequence number (it is in the header)."""
    return lambda _sequence: body


# -- sending ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Try:
    status: int | None
    seconds: float
    error: str = ""
    response: str = ""
    remote_id: str | None = None
    retry_after: float | None = None  # seconds the receiver asked to wait (Retry-After on 429/503)


def _http_headers(row: dict[str, Any], secret_value: str) -> dict[str, str]:
    body = bytes(row["body"])
    return {
        "Content-Type": JSON,
        "X-Loa-Signature": payload.sign(secret_value, body),
        "X-Loa-Sequence": str(row["sequence"]),
        "X-Loa-Destination": str(row["destination"]),
        "Idempotency-Key": str(row["idempotency_key"]),
    }


def _crash_hook() -> None:
    if os.environ.get(CRASH_HOOK) == "1":
        os._exit(137)


def _from_sent(sent: Sent, now: datetime) -> _Try:
    headers = {k.lower(): v for k, v in sent.headers.items()}
    header = headers.get("retry-after")
    wait = retry_after_seconds(header, headers.get("date"), now=now) if header else None
    return _Try(sent.status, sent.elapsed, response=sent.body[:500].decode("utf-8", "replace"), retry_after=wait)


def _send_http(row: dict[str, Any], dest: Destination, sender: Sender, now: datetime) -> _Try:
    key = secret(dest.secret_env, f"destinations[{dest.id}].secret_env")
    sent = sender.send(
        "POST", dest.url, body=bytes(row["body"]), headers=_http_headers(row, key), timeout=dest.timeout_seconds
    )
    _crash_hook()
    return _from_sent(sent, now)


def _send_webhook(row: dict[str, Any], ward: Ward | None, sender: Sender, now: datetime) -> _Try:
    env = ward.webhook_secret_env if ward else None
    key = secret(env, f"wards[{row['destination']}].webhook_secret_env")
    sent = sender.send("POST", str(row["url"]), body=bytes(row["body"]), headers=_http_headers(row, key))
    _crash_hook()
    return _from_sent(sent, now)


def _send_wordpress(row: dict[str, Any], dest: Destination, store: Store, sender: Sender, now: datetime) -> _Try:
    user = secret(dest.user_env, f"destinations[{dest.id}].user_env")
    password = secret(dest.password_env, f"destinations[{dest.id}].password_env")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    headers = {"Authorization": f"Basic {token}", "Idempotency-Key": str(row["idempotency_key"])}
    posts = f"{dest.url}/wp-json/wp/v2/posts"
    pack_id = int(row["pack_id"])
    remote = store.remote_post(dest.id, pack_id)
    body = bytes(row["body"])
    if not body:  # the pack is empty now: trash its post, if there is one
        if remote is None:
            return _Try(200, 0.0, response="no post to withdraw")
        sent = sender.send("DELETE", f"{posts}/{remote}", headers=headers, timeout=dest.timeout_seconds)
        _crash_hook()
        return _from_sent(sent, now)
    if remote is None:
        # A create whose answer was lost (crash, timeout) left a post behind: find it by slug instead of duplicating.
        slug = json.loads(body)["slug"]
        found = sender.send(
            "GET",
            f"{posts}?slug={quote(slug)}&status=publish,future,draft,pending,private&context=edit",
            headers=headers,
            timeout=dest.timeout_seconds,
        )
        if retry.outcome(found.status) != "sent":
            return _from_sent(found, now)
        existing = json.loads(found.body or b"[]")
        if isinstance(existing, list) and existing:
            remote = str(existing[0]["id"])
            store.set_remote_post(dest.id, pack_id, remote, now=now)
    target = f"{posts}/{remote}" if remote else posts
    headers["Content-Type"] = JSON
    sent = sender.send("POST", target, body=body, headers=headers, timeout=dest.timeout_seconds)
    _crash_hook()
    result = _from_sent(sent, now)
    if remote is None and retry.outcome(sent.status) == "sent":
        try:
            created = json.loads(sent.body)
            return _Try(result.status, result.seconds, response=result.response, remote_id=str(created["id"]))
        except (ValueError, KeyError, TypeError):
            return _Try(result.status, result.seconds, error="the answer has no post id", response=result.response)
    return result


def _attempt(
    row: dict[str, Any],
    config: Config,
    store: Store,
    sender: Sender,
    mailer: MailSender,
    wards: dict[str, Ward],
    now: datetime,
) -> _Try:
    channel = row["channel"]
    if channel == "email":
        if config.smtp is None:
            raise DeliveryError("no smtp: section in sources.yaml", hint="add smtp: {host, port, from}")
        mail = mailer(config.smtp, str(row["url"]), bytes(row["body"]))
        _crash_hook()
        return _Try(mail.status, mail.seconds, error=mail.error)
    if channel == "webhook":
        return _send_webhook(row, wards.get(str(row["destination"])), sender, now)
    dest = next((d for d in config.destinations if d.id == row["destination"]), None)
    if dest is None:
        raise DeliveryError(f"destination {row['destination']!r} is no longer in sources.yaml")
    if channel == "wordpress":
        return _send_wordpress(row, dest, store, sender, now)
    return _send_http(row, dest, sender, now)


def _deliver_one(
    row: dict[str, Any],
    config: Config,
    store: Store,
    sender: Sender,
    mailer: MailSender,
    wards: dict[str, Ward],
    now: datetime,
) -> str:
    """Send one delivery and record the attempt; returns sent, retry, failed or waiting."""
    try:
        result = _attempt(row, config, store, sender, mailer, wards, now)
    except FetchError as exc:
        result = _Try(None, 0.0, error=str(exc))
    except DeliveryError as exc:
        # Nothing left the machine (a secret is missing): no attempt is used up, the delivery stays pending.
        store.record_attempt(
            int(row["id"]),
            {"at": iso_utc(now), "outcome": "not-sent", "error": str(exc), "seconds": 0.0},
            {"last_error": str(exc), "updated_at": iso_utc(now)},
        )
        return "waiting"
    verdict = mail_outcome(result.status) if row["channel"] == "email" else retry.outcome(result.status)
    if verdict == "sent" and result.error:
        verdict = "failed"
    attempts = int(row["attempts"] or 0) + 1
    changes: dict[str, Any] = {"attempts": attempts, "last_status": result.status, "updated_at": iso_utc(now)}
    if verdict == "sent":
        changes.update(status="sent", sent_at=iso_utc(now), last_error=None)
        if result.remote_id:
            changes["remote_id"] = result.remote_id
            store.set_remote_post(str(row["destination"]), int(row["pack_id"]), result.remote_id, now=now)
    else:
        # Pack pushes follow their destination's `retry:`; ward notices use the default policy.
        policy = next(
            (d.retry for d in config.destinations if d.id == row["destination"] and d.kind == row["channel"]),
            retry.DEFAULT_POLICY,
        )
        due = retry.next_attempt(attempts, now, policy, retry_after=result.retry_after) if verdict == "retry" else None
        error = result.error or f"HTTP {result.status}"
        if due is None:
            verdict = "failed"
            changes.update(status="failed", last_error=error)
        else:
            changes.update(next_attempt_at=iso_utc(due), last_error=error)
    store.record_attempt(
        int(row["id"]),
        {
            "at": iso_utc(now),
            "outcome": verdict,
            "http_status": result.status,
            "seconds": round(result.seconds, 3),
            "error": result.error or None,
            "response": result.response or None,
        },
        changes,
    )
    return verdict


def send_due(
    config: Config,
    store: Store,
    sender: Sender,
    *,
    now: datetime,
    wards: tuple[Ward, ...] = (),
    ids: tuple[int, ...] = (),
    mailer: MailSender = send_mail,
    report: DeliveryReport | None = None,
) -> DeliveryReport:
    """Send pending deliveries in sequence order per destination; a destination stops at its first one not sent."""
    report = report or DeliveryReport()
    by_ward = {w.id: w for w in (*config.wards, *wards)}
    rows = store.pending_deliveries(ids)
    blocked: set[str] = set()
    for row in rows:
        label = _label(row)
        if row["destination"] in blocked or (not ids and from_iso(row["next_attempt_at"]) > now):
            # Receivers see each destination's deliveries in order: a later one waits for an earlier retry.
            blocked.add(row["destination"])
            report.waiting.append(label)
            continue
        verdict = _deliver_one(row, config, store, sender, mailer, by_ward, now)
        {"sent": report.sent, "retry": report.retrying, "failed": report.failed}.get(verdict, report.waiting).append(
            label
        )
        if verdict in ("retry", "waiting"):
            blocked.add(row["destination"])
    return report


def after_publish(
    config: Config,
    store: Store,
    snapshot: Snapshot,
    sender: Sender,
    *,
    now: datetime,
    wards: tuple[Ward, ...],
    mailer: MailSender = send_mail,
) -> DeliveryReport:
    """The publish hook: record new pack revisions and notices, then send what is due. Never raises a LoaError."""
    report = DeliveryReport()
    try:
        report.enqueued += enqueue_packs(config, store, snapshot, now=now)
        report.enqueued += enqueue_notices(config, store, wards, now=now)
        send_due(config, store, sender, now=now, wards=wards, mailer=mailer, report=report)
    except LoaError as exc:
        report.errors.append(str(exc))
    return report
