"""`loa review` in a pseudo-terminal: single keys, reason prompt, $EDITOR, undo, quit and resume; bulk confirmation."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

import pexpect

from tests.review_support import ITEMS, NOW, Env, synced_env
from worker.demo.server import StaticServer

LOA = str(Path(sys.executable).parent / "loa")
STUB_EDITOR = """#!/usr/bin/env python3
import sys
from pathlib import Path
path = Path(sys.argv[-1])
text = path.read_text(encoding="utf-8")
assert "broadcast title" in text
path.write_text("# edited\\nCảnh báo: đừng chuyển tiền cho người lạ\\n\\nBà con lưu ý không đầu tư tiền ảo.\\n", encoding="utf-8")
"""


def spawn(env: Env, *args: str) -> pexpect.spawn:
    editor = env.folder / "stub-editor.py"
    editor.write_text(STUB_EDITOR, encoding="utf-8")
    editor.chmod(0o755)
    child_env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "LOA_DB")}
    child_env.update(
        {"LOA_NOW": NOW, "LOA_CONFIG": str(env.config), "EDITOR": str(editor), "VISUAL": str(editor), "TERM": "xterm"}
    )
    child = pexpect.spawn(LOA, list(args), env=child_env, encoding="utf-8", timeout=20, dimensions=(50, 200))
    return child


def test_review_loop_approve_reject_undo_edit_quit_and_resume(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env = synced_env(tmp_path, site)
    child = spawn(env, "review", "--as", "lan")
    # Urgent first (cb-1), then oldest new (cb-2, cb-3), held last (cb-5); the rejected ad is not pending.
    child.expect_exact("1/4")
    child.expect_exact("[khẩn cấp] " + ITEMS[0][1])
    child.expect_exact("rule khan-cap-cong-an: priority")
    child.expect_exact("[q]uit")
    child.send("?")
    child.expect_exact("undo your last action")
    child.send("a")
    child.expect_exact("Approved.")
    child.expect_exact("2/4")
    child.expect_exact(ITEMS[1][1])
    child.expect_exact("[q]uit")
    child.send("r")
    child.expect_exact("Reason for rejecting")
    child.sendline("Không phải cảnh báo")
    child.expect_exact("Rejected.")
    child.expect_exact("3/4")
    child.expect_exact("[q]uit")
    child.send("u")
    child.expect_exact("Undid reject")
    child.expect_exact("2/4")
    child.expect_exact("[q]uit")
    child.send("e")
    child.expect_exact("Edited.")
    child.expect_exact("broadcast: Cảnh báo: đừng chuyển tiền cho người lạ")
    child.expect_exact("[q]uit")
    child.send("p")
    child.expect_exact("1 thường")
    child.send("2")
    child.expect_exact("Priority set.")
    child.expect_exact("[q]uit")
    child.send("q")
    child.expect_exact("Saved at 2/4")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    row = env.row("cb-2")
    assert row["status"] == "new" and row["priority"] == "uu-tien"
    assert row["broadcast_title"] == "Cảnh báo: đừng chuyển tiền cho người lạ"
    assert row["broadcast_text"] == "Bà con lưu ý không đầu tư tiền ảo."
    assert row["title"] == ITEMS[1][1] and row["summary"] == ITEMS[1][2]  # source text untouched

    child = spawn(env, "review", "--as", "lan")
    child.expect_exact("Resuming your review at 2/4")
    child.expect_exact(ITEMS[1][1])
    child.expect_exact("[q]uit")
    child.send("h")
    child.expect_exact("Held.")
    child.expect_exact("3/4")
    child.expect_exact("[q]uit")
    child.send("q")
    child.expect_exact("Saved at 3/4")
    child.expect(pexpect.EOF)
    child.close()

    assert env.row("cb-1")["status"] == "approved" and env.row("cb-2")["status"] == "held"
    trail = [
        (r["action"], r["item_id"], r["from_status"], r["to_status"], r["reason"], r["undone_by"] is not None)
        for r in env.audit()
        if r["reviewer"] == "lan"
    ]
    b = env.item_id("cb-2")
    assert trail == [
        ("approve", env.item_id("cb-1"), "new", "approved", None, False),
        ("reject", b, "new", "rejected", "Không phải cảnh báo", True),
        ("undo", b, "rejected", "new", "undo reject", False),
        ("edit", b, "new", "new", None, False),
        ("priority", b, "new", "new", None, False),
        ("hold", b, "new", "held", None, False),
    ]
    assert {r["os_user"] for r in env.audit() if r["reviewer"] == "lan"} == {getpass.getuser()}


def test_bulk_selection_asks_for_confirmation_in_a_terminal(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env = synced_env(tmp_path, site)
    child = spawn(env, "reject", "--match", "tiền ảo", "--reason", "Thử")
    child.expect_exact(ITEMS[1][1][:40])
    child.expect_exact("Reject these 1 stories? [y/N]")
    child.sendline("n")
    child.expect_exact("Nothing changed.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1 and env.row("cb-2")["status"] == "new"
    child = spawn(env, "reject", "--match", "tiền ảo", "--reason", "Thử")
    child.expect_exact("Reject these 1 stories? [y/N]")
    child.sendline("y")
    child.expect_exact("1 items changed by")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and env.row("cb-2")["status"] == "rejected"
