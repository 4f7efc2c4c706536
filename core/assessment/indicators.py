"""The indicators (考核指标): each a rate of two counters, with what it means.

Counters are summed over a period for one assessed unit (see ``facts.step`` for when each one
moves). ``base`` is the unit's share of the work: for a tenant (its subtree) the requests it
received less those merged as duplicates or declined/redirected (转办/不予受理); for a department
(unit) the dispatches it was given (the ranking counts those as the unit's ``received``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

Counts = Mapping[str, float]


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str  # the Chinese name on every report
    numerator: Callable[[Counts, float], float]
    denominator: Callable[[Counts], float]
    higher_is_better: bool = True


def base(c: Counts) -> float:
    """Requests received, less duplicates merged away and requests declined or redirected."""
    return c.get("received", 0) - c.get("merged", 0) - c.get("declined", 0)


def _n(name: str) -> Callable[[Counts, float], float]:
    return lambda c, _f: c.get(name, 0)


def _d(name: str) -> Callable[[Counts], float]:
    return lambda c: c.get(name, 0)


INDICATORS: dict[str, Indicator] = {i.key: i for i in [
    Indicator("sign_rate", "及时签收率", _n("signed_in_time"), _d("sign_due")),
    Indicator("contact_rate", "响应率", _n("contacted"), _d("contact_due")),
    Indicator("resolution_rate", "解决率", _n("resolved"), _d("rated")),
    Indicator("satisfaction_rate", "满意率",
              lambda c, f: c.get("satisfied", 0) + f * c.get("basically_satisfied", 0), _d("rated")),
    Indicator("on_time_rate", "按时办结率", _n("closed_on_time"),
              lambda c: c.get("closed_on_time", 0) + c.get("overdue", 0)),
    Indicator("overdue_rate", "超期率", _n("overdue"), base, higher_is_better=False),
    Indicator("return_rate", "退单率", _n("returned"), _d("sign_due"), higher_is_better=False),
    Indicator("reopen_rate", "重办率", _n("reopened"), _d("closed"), higher_is_better=False),
    Indicator("urge_rate", "督办率", _n("urged"), base, higher_is_better=False),
    Indicator("follow_up_rate", "回访率", _n("rated"), _d("closed")),
    Indicator("repeat_rate", "重复诉求率", _n("repeated"), _d("intake"), higher_is_better=False),
    Indicator("direct_rate", "直办率", _n("answered"), _d("intake")),
]}


def rates(counts: Counts, basic_factor: float) -> dict[str, float | None]:
    """Every indicator's value in [0, 1], or None where its denominator is zero (not assessable)."""
    out: dict[str, float | None] = {}
    for key, indicator in INDICATORS.items():
        denominator = indicator.denominator(counts)
        out[key] = None if denominator <= 0 else round(indicator.numerator(counts, basic_factor) / denominator, 6)
    return out


def score(values: Mapping[str, float | None], weights: Mapping[str, float], max_score: float) -> float | None:
    """The composite score: weighted mean of the weighted indicators that have a value, times the maximum.

    An indicator where lower is better (超期率, 退单率, ...) contributes (1 - rate). An indicator
    without a value this period is left out and the other weights count for it.
    """
    total = weight_sum = 0.0
    for key, weight in weights.items():
        value = values.get(key)
        if value is None or weight <= 0:
            continue
        total += weight * (value if INDICATORS[key].higher_is_better else 1 - value)
        weight_sum += weight
    return None if weight_sum == 0 else round(max_score * total / weight_sum, 2)
