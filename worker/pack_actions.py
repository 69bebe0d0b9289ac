"""Pack commands against the store: build a pack from approved stories, add, remove, reorder, scheduled builds.

Decisions come from worker.packs (pure); this module only resolves references and writes through the store.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from worker.dates import from_iso
from worker.errors import ReviewError
from worker.packs import Candidate, build_due, default_title, is_live, leads, select_stories

if TYPE_CHECKING:
    from worker.config import Config
    from worker.store import Store


class PackError(ReviewError):
    kind = "pack"


def candidates(store: Store, now: datetime) -> list[Candidate]:
    return [Candidate.from_row(row) for row in store.approved_rows() if is_live(row, now)]


def build(
    store: Store,
    config: Config,
    *,
    now: datetime,
    created_by: str,
    title: str | None = None,
    since: datetime | None = None,
    topic: str | None = None,
    limit: int | None = None,
    auto: bool = False,
) -> dict[str, Any] | None:
    """A new draft pack of the approved stories not yet in a pack; None when there is nothing to pack."""
    with store.transaction():
        chosen = select_stories(
            candidates(store, now), exclude=store.packed_story_ids(), since=since, topic=topic, limit=limit
        )
        if not chosen:
            return None
        number = store.next_pack_number()
        name = title or default_title(config.packs.series, number, [c.published_at for c in chosen], config.timezone)
        pack_id = store.create_pack(
            title=name, members=[(c.story_id, c.item_id) for c in chosen], now=now, created_by=created_by, auto=auto
        )
    return describe(store, pack_id, now=now)


def build_if_due(store: Store, config: Config, *, now: datetime) -> dict[str, Any] | None:
    """The scheduled build of `loa run`: only approved material, only when `packs.auto` says one is due."""
    last = store.last_auto_pack_at()
    if not build_due(config.packs, now, config.timezone, from_iso(last) if last else None):
        return None
    return build(store, config, now=now, created_by="schedule", limit=config.packs.max_stories, auto=True)


def find_pack(store: Store, ref: str) -> dict[str, Any]:
    text = ref.strip().lower().removeprefix("so-").removeprefix("số")
    if not text.strip().isdigit():
        raise PackError(f"{ref!r} is not a pack number", hint="`loa pack list` shows numbers")
    pack = store.pack(int(text))
    if pack is None:
        raise PackError(f"no pack number {text.strip()}", hint="`loa pack list` shows numbers")
    return pack


def story_of(store: Store, ref: str) -> str:
    """A story id from a story id, an item id or a unique item id prefix."""
    row = store.find_item(ref)
    return str(row.get("story_id") or row["id"])


def add(store: Store, pack_ref: str, refs: list[str], *, now: datetime) -> dict[str, Any]:
    """Append approved stories that are in no pack yet; all or nothing."""
    with store.transaction():
        pack = find_pack(store, pack_ref)
        live = leads(candidates(store, now))
        packed = store.packed_story_ids()
        members: list[tuple[str, str]] = []
        for ref in refs:
            story = story_of(store, ref)
            if story in packed or story in {m[0] for m in members}:
                raise PackError(f"story {story} is already in a pack", hint="`loa pack show N` lists a pack's stories")
            if story not in live:
                raise PackError(
                    f"story {story} has no approved, unexpired item", hint="approve it first: `loa approve ID`"
                )
            members.append((story, live[story].item_id))
        store.add_to_pack(int(pack["id"]), members, now=now)
    return describe(store, int(pack["id"]), now=now)


def remove(store: Store, pack_ref: str, refs: list[str], *, now: datetime) -> dict[str, Any]:
    with store.transaction():
        pack = find_pack(store, pack_ref)
        current = {m["story_id"] for m in store.pack_members().get(int(pack["id"]), [])}
        stories = [story_of(store, ref) for ref in refs]
        missing = [s for s in stories if s not in current]
        if missing:
            raise PackError(f"story {missing[0]} is not in pack {pack['number']}")
        store.remove_from_pack(int(pack["id"]), stories)
    return describe(store, int(pack["id"]), now=now)


def reorder(store: Store, pack_ref: str, refs: list[str], *, now: datetime) -> dict[str, Any]:
    """The given stories first, in the given order; the others keep their order after them."""
    with store.transaction():
        pack = find_pack(store, pack_ref)
        current = [m["story_id"] for m in store.pack_members().get(int(pack["id"]), [])]
        first = list(dict.fromkeys(story_of(store, ref) for ref in refs))
        missing = [s for s in first if s not in current]
        if missing:
            raise PackError(f"story {missing[0]} is not in pack {pack['number']}")
        store.reorder_pack(int(pack["id"]), first + [s for s in current if s not in first])
    return describe(store, int(pack["id"]), now=now)


def describe(store: Store, pack_id: int, *, now: datetime) -> dict[str, Any]:
    """A pack and its stories as `pack show --json` prints them; `shown` is false for withdrawn or expired ones."""
    pack = next(p for p in store.packs() if int(p["id"]) == pack_id)
    live = leads(candidates(store, now))
    titles = {row["id"]: row["title"] for row in store.approved_rows()}
    stories = []
    for member in store.pack_members().get(pack_id, []):
        lead = live.get(member["story_id"])
        item_id = lead.item_id if lead else member["item_id"]
        stories.append(
            {
                "story_id": member["story_id"],
                "item_id": item_id,
                "title": titles.get(item_id) or (store.raw_item(item_id)["title"] if store.item(item_id) else ""),
                "priority": lead.priority.value if lead else None,
                "published_at": lead.published_at.isoformat() if lead else None,
                "shown": lead is not None,
            }
        )
    return {
        "number": pack["number"],
        "title": pack["title"],
        "status": pack["status"],
        "revision": pack["revision"],
        "auto": bool(pack["auto"]),
        "created_at": pack["created_at"],
        "created_by": pack["created_by"],
        "published_at": pack["published_at"],
        "updated_at": pack["updated_at"],
        "stories": stories,
    }
