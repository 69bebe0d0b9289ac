"""The minutes-per-ward chart: a real PNG of sensible size, several colours, the same bytes for the same figures."""

from __future__ import annotations

import io
import struct
from datetime import date
from pathlib import Path

import pytest

from tests.report_support import NOW, ReportEnv, report_env
from worker.report import CampaignReport
from worker.report_chart import MISSING_COLOUR, REPORTED_COLOUR, chart_png


@pytest.fixture
def report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CampaignReport:
    from cli import Context, _build_report

    monkeypatch.setenv("LOA_NOW", NOW)
    env: ReportEnv = report_env(tmp_path)
    ctx = Context(str(env.config), None)
    store = ctx.open_store()
    try:
        return _build_report(ctx, store, date(2023, 7, 1), date(2023, 7, 20), None)
    finally:
        store.close()


def test_chart_is_a_non_trivial_png(report: CampaignReport) -> None:
    data = chart_png(report)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 900 and height >= 350
    from matplotlib import image

    pixels = image.imread(io.BytesIO(data))
    colours = {tuple(round(float(c), 2) for c in px[:3]) for px in pixels.reshape(-1, pixels.shape[-1])[::97]}
    assert len(colours) > 10
    assert chart_png(report) == data  # no timestamps in the file


def test_chart_marks_wards_that_have_not_reported(report: CampaignReport) -> None:
    from matplotlib import image

    pixels = image.imread(io.BytesIO(chart_png(report)))[..., :3]

    def present(hex_colour: str) -> bool:
        rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        return bool((abs(pixels - rgb).sum(axis=-1) < 0.05).any())

    assert present(REPORTED_COLOUR) and present(MISSING_COLOUR)
