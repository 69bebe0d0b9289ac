"""The minutes-aired-per-ward chart as PNG bytes (matplotlib, Agg); wards that have not reported are red and hatched.

DejaVu Sans ships with matplotlib and carries every Vietnamese glyph, so the chart renders the same on any server.
"""

from __future__ import annotations

import io

from worker.report import NOT_REPORTED, CampaignReport, vn_decimal

REPORTED_COLOUR = "#2f5d8a"
MISSING_COLOUR = "#c0392b"


def chart_png(report: CampaignReport, *, dpi: int = 150) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    rows = list(report.wards)
    names = [r.name for r in rows]
    minutes = [r.minutes for r in rows]
    height = max(2.6, 0.9 + 0.32 * len(rows))
    with plt.rc_context({"font.family": ["DejaVu Sans", "Liberation Sans"], "font.size": 9, "svg.hashsalt": "loa"}):
        fig, ax = plt.subplots(figsize=(7.2, height))
        try:
            positions = list(range(len(rows)))
            colours = [REPORTED_COLOUR if r.reported else MISSING_COLOUR for r in rows]
            bars = ax.barh(positions, minutes, color=colours, edgecolor="#333333", linewidth=0.6)
            for bar, row in zip(bars, rows, strict=True):
                if not row.reported:
                    bar.set_hatch("///")
            # With nothing aired yet, a 0–10 axis reads better than matplotlib's 0–0.06.
            top = max(minutes, default=0) or 8.0
            ax.set_xlim(0, top * 1.3)
            for position, row in enumerate(rows):
                label = vn_decimal(row.minutes)
                if not row.reported:
                    label += f"  ({NOT_REPORTED.lower()})"
                ax.text(row.minutes + top * 0.01, position, label, va="center", fontsize=8)
            ax.set_yticks(positions, names)
            ax.invert_yaxis()  # first ward at the top, as in the table
            ax.set_xlabel("Số phút đã phát")
            ax.set_title("Thời lượng tuyên truyền đã phát theo phường, xã", fontsize=10, fontweight="bold")
            ax.xaxis.set_major_formatter(lambda value, _pos: vn_decimal(value))
            ax.grid(axis="x", color="#dddddd", linewidth=0.6)
            ax.set_axisbelow(True)
            ax.legend(
                handles=[
                    Patch(facecolor=REPORTED_COLOUR, edgecolor="#333333", label="Đã báo cáo"),
                    Patch(facecolor=MISSING_COLOUR, edgecolor="#333333", hatch="///", label=NOT_REPORTED),
                ],
                loc="lower right",
                fontsize=8,
            )
            fig.tight_layout()
            buffer = io.BytesIO()
            # No Software/date metadata: the same figures give the same bytes.
            fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        finally:
            plt.close(fig)
    return buffer.getvalue()
