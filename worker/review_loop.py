"""The interactive review loop: one pending story at a time, one keypress per decision, resumable per reviewer.

Terminal I/O comes in through `Terminal` (the CLI wires click into it), so this module never imports click.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from worker.approvals import Outcome, act, undo_last
from worker.config import Config
from worker.errors import ReviewError
from worker.models import Priority
from worker.review import Request, edit_buffer, is_pending, parse_edit_buffer, parse_expiry, queue_key
from worker.store import Actor, Store

HELP = """\
  a  approve            r  reject (asks for a reason)   h  hold
  s  skip               e  edit broadcast title and read-aloud text in $EDITOR
  t  topics             p  priority (thường / ưu tiên / khẩn cấp)   x  expiry date
  o  open the link      u  undo your last action        ?  this help
  q  quit (run `loa review` again to resume here)"""
KEYS = "[a]pprove [r]eject [h]old [s]kip [e]dit [t]opic [p]riority e[x]piry [o]pen [u]ndo [?]help [q]uit"
DONE_VERBS = {
    "approve": "Approved",
    "reject": "Rejected",
    "hold": "Held",
    "edit": "Edited",
    "tag": "Tagged",
    "priority": "Priority set",
    "expire": "Expiry set",
}


@dataclass(frozen=True)
class Terminal:
    """What the loop needs from the terminal; the CLI passes click's functions."""

    getchar: Callable[[], str]
    echo: Callable[[str], None]
    prompt: Callable[[str], str]  # one line; "" when the officer just presses Enter
    edit: Callable[[str], str | None]  # None when the editor was closed without saving
    open_link: Callable[[str], None]
    locked: Callable[[], AbstractContextManager[bool]]  # the run lock, taken around each write
    clock: Callable[[], datetime]


def pending_queue(store: Store) -> list[str]:
    """Ids of the story-leading items waiting for a decision, highest priority then oldest first."""
    rows = [row for row in store.story_leads(statuses=("new", "held", "approved")) if is_pending(row)]
    return [row["id"] for row in sorted(rows, key=queue_key)]


class ReviewLoop:
    def __init__(self, store: Store, config: Config, actor: Actor, term: Terminal) -> None:
        self.store = store
        self.config = config
        self.actor = actor
        self.term = term
        self.queue: list[str] = []
        self.position = 0

    def run(self, *, restart: bool = False) -> None:
        fresh = pending_queue(self.store)
        session = None if restart else self.store.review_session(self.actor.reviewer)
        if session:
            # Stories that arrived since the officer left go to the end of the old queue.
            self.queue = session["queue"] + [i for i in fresh if i not in session["queue"]]
            self.position = min(int(session["position"]), len(self.queue))
            self.term.echo(f"Resuming your review at {min(self.position + 1, len(self.queue))}/{len(self.queue)}.")
        else:
            self.queue, self.position = fresh, 0
        if not self.queue:
            self.term.echo("Nothing to review.")
            self.store.end_review_session(self.actor.reviewer)
            return
        while self._advance():
            row = self.store.raw_item(self.queue[self.position])
            self._save()
            self.show(row)
            self.term.echo(KEYS)
            if not self.handle(self.term.getchar().lower(), row):
                self._save()
                self.term.echo(f"Saved at {self.position + 1}/{len(self.queue)}. Run `loa review` to resume.")
                return
        self.store.end_review_session(self.actor.reviewer)
        self.term.echo(f"Done: all {len(self.queue)} reviewed.")

    def _advance(self) -> bool:
        """Move past stories decided elsewhere (another officer, a rule); False at the end of the queue."""
        while self.position < len(self.queue):
            if is_pending(self.store.raw_item(self.queue[self.position])):
                return True
            self.position += 1
        return False

    def _save(self) -> None:
        self.store.save_review_session(self.actor.reviewer, self.queue, self.position, now=self.term.clock())

    # -- one keypress ------------------------------------------------------------------------------

    def handle(self, key: str, row: dict[str, Any]) -> bool:
        """Act on one key; False means quit."""
        echo = self.term.echo
        if key == "q":
            return False
        if key == "?":
            echo(HELP)
        elif key == "s":
            echo("Skipped.")
            self.position += 1
        elif key == "a":
            self._do(row, Request("approve", self.actor.reviewer), advance=True)
        elif key == "h":
            self._do(row, Request("hold", self.actor.reviewer), advance=True)
        elif key == "r":
            reason = self.term.prompt("Reason for rejecting").strip()
            if not reason:
                echo("Not rejected: a reason is required.")
            else:
                self._do(row, Request("reject", self.actor.reviewer, reason=reason), advance=True)
        elif key == "e":
            self._edit(row)
        elif key == "t":
            self._topics(row)
        elif key == "p":
            echo("Priority: 1 thường  2 ưu tiên  3 khẩn cấp (any other key cancels)")
            choice = {"1": Priority.NORMAL, "2": Priority.HIGH, "3": Priority.URGENT}.get(self.term.getchar())
            if choice is not None:
                self._do(row, Request("priority", self.actor.reviewer, priority=choice))
        elif key == "x":
            text = self.term.prompt("Expires on (YYYY-MM-DD; empty clears)")
            try:
                expires = parse_expiry(text, self.config.timezone)
            except ReviewError as error:
                echo(f"Error: {error}")
            else:
                self._do(row, Request("expire", self.actor.reviewer, expires_at=expires))
        elif key == "o":
            self.term.open_link(row["url"])
        elif key == "u":
            self._undo()
        else:
            echo(f"Unknown key {key!r}; press ? for help.")
        return True

    def _do(self, row: dict[str, Any], request: Request, *, advance: bool = False) -> Outcome | None:
        with self.term.locked() as locked:
            if not locked:
                self.term.echo("Nothing saved: another Loa run holds the lock; try again in a moment.")
                return None
            try:
                outcome = act(
                    self.store,
                    [row["id"]],
                    request,
                    actor=self.actor,
                    now=self.term.clock(),
                    known_topics=tuple(t.id for t in self.config.topics),
                )
            except ReviewError as error:
                self.term.echo(f"Error: {error}")
                return None
        if not outcome.ok:
            for refusal in outcome.refused:
                self.term.echo(f"Refused: {refusal.reason}")
            return None
        others = len(outcome.changes) - 1
        self.term.echo(
            DONE_VERBS.get(request.action, "Done") + (f" (and {others} other items of the story)." if others else ".")
        )
        if advance:
            self.position += 1
        return outcome

    def _edit(self, row: dict[str, Any]) -> None:
        edited = self.term.edit(edit_buffer(row))
        if edited is None:
            self.term.echo("No changes.")
            return
        try:
            title, text = parse_edit_buffer(edited)
        except ReviewError as error:
            self.term.echo(f"Error: {error}")
            return
        self._do(row, Request("edit", self.actor.reviewer, broadcast_title=title, broadcast_text=text))

    def _topics(self, row: dict[str, Any]) -> None:
        for topic in self.config.topics:
            mark = "*" if topic.id in row.get("topics", []) else " "
            self.term.echo(f" {mark} {topic.id}: {topic.name}")
        answer = self.term.prompt("Topics to add (ids, comma-separated; -id removes)")
        topics = tuple(t.strip() for t in answer.split(",") if t.strip())
        if topics:
            self._do(row, Request("tag", self.actor.reviewer, topics=topics))

    def _undo(self) -> None:
        with self.term.locked() as locked:
            if not locked:
                self.term.echo("Nothing undone: another Loa run holds the lock; try again in a moment.")
                return
            try:
                outcome = undo_last(self.store, actor=self.actor, now=self.term.clock())
            except ReviewError as error:
                self.term.echo(f"Error: {error}")
                return
        first = outcome.changes[-1]  # changes run in reverse; the last one is the action's lead item
        self.term.echo(
            f"Undid {first.reason.removeprefix('undo ')} of {first.item_id[:10]} (back to {first.to_status})."
        )
        ids = [c.item_id for c in outcome.changes]
        for index, item_id in enumerate(self.queue):
            if item_id in ids:
                self.position = index
                return
        self.queue.insert(self.position, first.item_id)

    # -- display -----------------------------------------------------------------------------------

    def show(self, row: dict[str, Any]) -> None:
        from worker.views import local

        echo, tz = self.term.echo, self.config.timezone
        priority = Priority(row.get("priority") or Priority.NORMAL.value)
        echo(f"\n── {self.position + 1}/{len(self.queue)} " + "─" * 40)
        echo(f"[{priority.label}] {row['title']}")
        echo(f"source: {row['source_id']}  kind: {row['kind']}  status: {row['status']}  id: {row['id'][:10]}")
        echo(f"published: {local(row['published_at'], tz)}  fetched: {local(row['fetched_at'], tz)}")
        if row.get("needs_review"):
            echo("!! the source changed this item after it was approved: approve again to publish the new text")
        echo(f"link: {row['url']}")
        if row.get("image"):
            echo(f"image: {row['image']}")
        for attachment in row.get("attachments") or []:
            echo(f"attachment: {attachment['url']}" + (f" ({attachment['title']})" if attachment.get("title") else ""))
        summary = row.get("summary") or (row.get("body_text") or "")[:400]
        if summary:
            echo(f"\n{summary}\n")
        if row.get("broadcast_title") or row.get("broadcast_text"):
            echo(f"broadcast: {row.get('broadcast_title') or row['title']}")
            if row.get("broadcast_text"):
                echo(f"read aloud: {row['broadcast_text']}")
        if row.get("topics"):
            names = {t.id: t.name for t in self.config.topics}
            echo("topics: " + ", ".join(f"{t} ({names[t]})" if t in names else t for t in row["topics"]))
        if row.get("expires_at"):
            echo(f"expires: {local(row['expires_at'], tz)}")
        if row.get("review_note"):
            echo(f"note: {row['review_note']}")
        others = (
            [r for r in self.store.story_items(row["story_id"]) if r["id"] != row["id"]] if row.get("story_id") else []
        )
        copies = [r for r in self.store.duplicates_of(row["id"]) if r["id"] not in {o["id"] for o in others}]
        for label, rows in (("variant", others), ("duplicate", copies)):
            for other in rows:
                echo(f"{label}: {other['id'][:10]} {other['source_id']} {other['status']} — {other['title']}")
        for hit in self.store.rule_hits(row["id"]):
            echo(f"rule {hit['rule_id']}: {hit['action']} — {hit['reason']}")
