"""A kill between sending and recording: the resend repeats the recorded body under the same key, never a new one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.delivery.receivers import Receiver
from tests.delivery.support import NOW, SECRETS, delivery_env, destinations
from tests.delivery.test_run import PLAIN_WARDS
from worker.delivery.run import CRASH_HOOK
from worker.demo.server import StaticServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_crash_after_send_resends_the_identical_body(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    with Receiver() as cms:
        env = delivery_env(tmp_path, site, destinations(cms.url) + PLAIN_WARDS.format(url=cms.url))
        child_env = {**os.environ, **SECRETS, "LOA_CONFIG": str(env.config), "LOA_NOW": NOW, CRASH_HOOK: "1"}
        child_env.pop("LOA_DB", None)
        crashed = subprocess.run(
            [sys.executable, "-m", "cli", "publish"], cwd=ROOT, env=child_env, capture_output=True, timeout=120
        )
        assert crashed.returncode == 137, crashed.stderr.decode()  # os._exit right after the answer arrived
        assert len(cms.signed()) == 1
        [row] = env.json("deliveries", "list")
        assert row["status"] == "pending" and row["attempt_log"] == []  # the send was never recorded
        resent = env.json("deliver", now="2023-07-10T08:05:00+07:00")
        assert len(resent["sent"]) == 1
        first, second = cms.signed()
        assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == "1-r1"
        assert first.headers["X-Loa-Sequence"] == second.headers["X-Loa-Sequence"]
        distinct = {s.body for s in cms.signed() if s.headers["Idempotency-Key"] == "1-r1"}
        assert len(distinct) == 1 and second.signature_ok
        again = env.json("publish", now="2023-07-10T09:00:00+07:00")
        assert again["deliveries"]["enqueued"] == [] and len(cms.signed()) == 2
