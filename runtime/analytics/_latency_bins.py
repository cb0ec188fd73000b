"""Log-scale latency bins: how the reports keep latency distributions small enough to sum.

A latency of x ms falls in bin floor(log2(x) × 16): 16 bins per doubling, each 4.4 % wide. A
percentile read from bins is the middle of its bin, so it is within 2.2 % of the exact value,
the way Prometheus histograms or DDSketch trade a known, small error for sums that merge
across days and apis. (A report's cost grows with its groups × bins: at 32 bins per doubling,
a month of calls by day and agent took twice as long as at 16; at 8 it was no faster.)
"""

from __future__ import annotations

BINS_PER_DOUBLING = 16
SMALLEST_MS = 0.001  # below a microsecond every latency shares the lowest bin
BINS_PER_CHART_BAR = 8  # the page's histogram: two bars per doubling


def bin_sql(column: str) -> str:
    """SQL for the bin of the milliseconds `column` (a SMALLINT; NULL for NULL)."""
    return f"CAST(floor(log2(greatest({column}, {SMALLEST_MS})) * {BINS_PER_DOUBLING}) AS SMALLINT)"


def bin_middle_ms(bin_index: int) -> float:
    """The latency a bin stands for: the geometric middle of its bounds."""
    return round(2 ** ((bin_index + 0.5) / BINS_PER_DOUBLING), 3)


def chart_bar_upper_ms(bar_index: int) -> float:
    """The upper bound of one bar of the page's histogram (bar = bin // BINS_PER_CHART_BAR)."""
    return round(2 ** ((bar_index + 1) * BINS_PER_CHART_BAR / BINS_PER_DOUBLING), 3)
