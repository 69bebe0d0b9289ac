"""The numpy-free part of dedupe: its settings and the exact-copy rules (which copy is canonical, how a
save's copies merge), which every sync run loads.

worker.dedupe re-exports them; a run where nothing changed never imports numpy (~0.2 s).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

# Phrases portals and reposters wrap around a title or caption; they say nothing about which scam it is.
DEFAULT_BOILERPLATE: tuple[str, ...] = (
    "[Cảnh báo]",
    "Cảnh báo:",
    "Cảnh giác:",
    "Tin nóng:",
    "[Tin nóng]",
    "Nóng:",
    "Khẩn:",
    "(video)",
    "[Video]",
    "Video:",
    "[Infographic]",
    "Infographic:",
    "| Cổng KGM",
    "- Cổng Không gian mạng quốc gia",
    "| Tín nhiệm mạng",
    "- Chống Lừa Đảo",
    "#canhbao",
    "#canhgiac",
    "#luadao",
    "#lừađảo",
    "#tiktok",
    "#xuhuong",
    "#fyp",
    "#tintuc",
    "#congan",
    "#antoanmang",
)


@dataclass(frozen=True)
class DedupeConfig:
    """The `dedupe:` section of sources.yaml. Defaults were measured on tests/fixtures/dedupe (bench/RESULTS.md)."""

    threshold: float = 0.35  # Jaccard of shingle sets at or above which two items are one story
    containment: float = 0.5  # |A∩B| / min(|A|, |B|): a short caption inside a longer article
    shingle: int = 2  # syllables per shingle
    min_shingles: int = 8  # the smaller set needs this many shingles before containment counts
    lead_syllables: int = 50  # title + this many syllables of lead text make the signature
    boilerplate: tuple[str, ...] = DEFAULT_BOILERPLATE
    num_perm: int = 128
    bands: int = 42  # LSH bands of 3 rows: 64×2 found the same matches but 30× more random candidates
    seed: int = 1
    # Retellings (a caption that retells an article in its own words), measured in bench/RESULTS.md:
    retell_floor: float = 0.4  # rarity-weighted share of the caption's content syllables found in the article
    retell_margin: float = 1.6  # ... and at least this many times the best score of any other story
    caption_terms: int = 40  # the shorter item has at most this many distinct content syllables
    retell_long_floor: float = 0.75  # the bar when both items are longer than a caption (rewritten reposts)
    rare_terms: int = 16  # each item is indexed under its this-many rarest content syllables
    max_df: int = 100  # a term in more items than this finds too many candidates to tell anything apart

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    @property
    def fingerprint(self) -> str:
        """Changes whenever stored signatures or band keys would change, so stale ones can be detected."""
        text = repr(
            (
                3,
                self.shingle,
                self.lead_syllables,
                self.boilerplate,
                self.num_perm,
                self.bands,
                self.seed,
                self.rare_terms,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Copy:
    """One stored copy of an item, as exact-duplicate decisions need it."""

    id: str
    rank: int  # the source's position in sources.yaml: lower is more trusted
    published_at: str  # UTC ISO 8601, sortable as text
    fetched_at: str


def canonical_copy(copies: list[Copy]) -> Copy:
    """The most trusted source wins, then the earliest copy; the id breaks ties stably."""
    if not copies:
        raise ValueError("no copies to choose from")
    return min(copies, key=lambda c: (c.rank, c.published_at, c.fetched_at, c.id))


@dataclass(frozen=True)
class StoredCopy:
    """A stored item as merging exact copies reads it."""

    copy: Copy
    url: str | None
    content_hash: str | None
    title: str | None
    status: str | None
    duplicate_of: str | None
    story_id: str | None
    story_role: str | None


@dataclass(frozen=True)
class StoredStory:
    """A stored story as merging exact copies reads it; `size` counts all its items, read or not."""

    created_at: str | None
    canonical_item_id: str | None
    title: str | None
    size: int


# An item's (story_id, story_role, duplicate_of, status).
ItemState = tuple[str | None, str | None, str | None, str | None]


@dataclass(frozen=True)
class ExactMerge:
    """What merging exact copies changes, for the store to write.

    `items`: each item read whose state changed. `deleted_stories`: stories that joined another. `leads`: story →
    canonical copy, for stories whose canonical item or title (the canonical copy's) changes. For stories that
    hold items no group read: `moves` (deleted story → the story its items end in) and `roles` (story → the
    canonical copy; the other items are variants). `merged`: items that became copies, in the order they did.
    """

    items: dict[str, ItemState]
    deleted_stories: list[str]
    moves: list[tuple[str, str]]
    leads: dict[str, str]
    roles: dict[str, str]
    merged: list[str]


def merge_exact_copies(
    stored: dict[str, StoredCopy], stories: dict[str, StoredStory], saved: Sequence[tuple[str, str]]
) -> ExactMerge:
    """Merge the copies of each saved item, given as its (url, content hash), in save order.

    An item's group is every item with its URL or hash (the seed), the items the seed copies, and the copies of
    the seed, read after the previous item's merge: a merge re-points copies, so it can widen a later group. The
    canonical copy of a group leads it; the others point at it, and only untouched ones become 'duplicate' (a
    reviewer's decision stays). The group's stories join into the oldest one, which the canonical copy leads.

    `stored` must hold every item of every group of two or more (the seeds, what they copy, their copies), and
    `stories` every existing story of those items.
    """
    merging = _Merging(stored, stories)
    for url, content_hash in saved:
        if url in merging.by_url or content_hash in merging.by_hash:  # else not read: a group of one
            merging.merge(url, content_hash)
    return merging.changes()


class _Merging:
    """The stored items and stories as merging changes them, one saved item after another."""

    def __init__(self, stored: dict[str, StoredCopy], stories: dict[str, StoredStory]) -> None:
        self.stored, self.stories = stored, stories
        self.by_url: dict[str, list[str]] = {}
        self.by_hash: dict[str, list[str]] = {}
        for item_id, row in stored.items():
            if row.url is not None:
                self.by_url.setdefault(row.url, []).append(item_id)
            if row.content_hash is not None:
                self.by_hash.setdefault(row.content_hash, []).append(item_id)
        self.duplicate_of = {item_id: row.duplicate_of for item_id, row in stored.items()}
        self.status = {item_id: row.status for item_id, row in stored.items()}
        self.story_of = {item_id: row.story_id for item_id, row in stored.items()}
        self.copies_of: dict[str, set[str]] = {}
        for item_id, target in self.duplicate_of.items():
            if target is not None:
                self.copies_of.setdefault(target, set()).add(item_id)
        self.moved_to: dict[str, str] = {}  # a story that joined another → that one
        self.leads: dict[str, str] = {}  # a story that copies joined → its canonical copy, as last decided
        self.merged: list[str] = []

    def merge(self, url: str, content_hash: str) -> None:
        seed = {*self.by_url.get(url, ()), *self.by_hash.get(content_hash, ())}
        group = set(seed)
        for item_id in seed:
            target = self.duplicate_of[item_id]
            if target is not None and target in self.stored:
                group.add(target)
            group |= self.copies_of.get(item_id, set())
        if len(group) <= 1:
            return
        members = sorted(group)  # a group was read by id, and copies are recorded in that order
        winner = canonical_copy([self.stored[item_id].copy for item_id in members]).id
        self._join_stories(members, winner)
        for item_id in members:
            if item_id == winner:
                # A late variant is `duplicate` without `duplicate_of`: only an exact copy is restored here.
                if self.duplicate_of[item_id]:
                    self._point(item_id, None)
                    if self.status[item_id] == "duplicate":
                        self.status[item_id] = "new"
                continue
            if self.duplicate_of[item_id] is None:
                self.merged.append(item_id)
            self._point(item_id, winner)
            if self.status[item_id] in ("new", "duplicate"):
                self.status[item_id] = "duplicate"

    def _join_stories(self, members: list[str], winner: str) -> None:
        """The oldest story of the group survives, led by the canonical copy (no created_at sorts first, as NULL)."""
        stories = self.stories
        found = sorted(
            {story for item_id in members if (story := self.story_of[item_id]) and story in stories},
            key=lambda story_id: (
                stories[story_id].created_at is not None,
                stories[story_id].created_at or "",
                story_id,
            ),
        )
        keep = found[0] if found else winner
        for other in found[1:]:
            for item_id, story_id in self.story_of.items():
                if story_id == other:
                    self.story_of[item_id] = keep
            self.moved_to[other] = keep
        self.leads[keep] = winner

    def _point(self, item_id: str, target: str | None) -> None:
        old = self.duplicate_of[item_id]
        if old is not None:
            self.copies_of[old].discard(item_id)
        if target is not None:
            self.copies_of.setdefault(target, set()).add(item_id)
        self.duplicate_of[item_id] = target

    def _final_story(self, story_id: str) -> str:
        while story_id in self.moved_to:
            story_id = self.moved_to[story_id]
        return story_id

    def changes(self) -> ExactMerge:
        stored, stories = self.stored, self.stories
        leads = {story_id: winner for story_id, winner in self.leads.items() if story_id not in self.moved_to}
        states: dict[str, ItemState] = {}
        for item_id, row in stored.items():
            story_id = self.story_of[item_id]
            role = row.story_role
            if story_id in leads:
                role = "canonical" if item_id == leads[story_id] else "variant"
            state = (story_id, role, self.duplicate_of[item_id], self.status[item_id])
            if state != (row.story_id, row.story_role, row.duplicate_of, row.status):
                states[item_id] = state
        # Stories with items that were not read: SQL moves them and sets their roles. A story that does not
        # exist may still be named by items, so it counts as one.
        read: dict[str | None, int] = {}
        for row in stored.values():
            read[row.story_id] = read.get(row.story_id, 0) + 1
        unread = {story_id for story_id, story in stories.items() if story.size > read.get(story_id, 0)}
        unread |= {self._final_story(story_id) for story_id in unread}
        unread |= {story_id for story_id in leads if story_id not in stories}
        return ExactMerge(
            items=states,
            deleted_stories=list(self.moved_to),
            moves=[(story_id, self._final_story(story_id)) for story_id in self.moved_to if story_id in unread],
            leads={
                story_id: winner
                for story_id, winner in leads.items()
                if story_id in stories
                and (stories[story_id].canonical_item_id, stories[story_id].title) != (winner, stored[winner].title)
            },
            roles={story_id: winner for story_id, winner in leads.items() if story_id in unread},
            merged=self.merged,
        )
