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
    numerator: Callable[[Counts, Definitions], float]
    denominator: Callable[[Counts, Definitions], float]
    higher_is_better: bool = True


@dataclass(frozen=True)
class Definitions:
    """The choices a province makes in its assessment rules (考核办法)."""

    basic_factor: float = 0.9  # 基本满意 counts as this much of 满意
    exclude_from_base: frozenset[str] = frozenset({"merged", "declined"})
    on_time_basis: str = "due"  # due: open orders past their limit count against; closed: closed orders only


def base(c: Counts, d: Definitions | None = None) -> float:
    """Requests received, less those the definitions exclude (merged duplicates, declined/redirected)."""
    excluded = (d or Definitions()).exclude_from_base
    return c.get("received", 0) - sum(c.get(name, 0) for name in excluded)


def _on_time_denominator(c: Counts, d: Definitions) -> float:
    if d.on_time_basis == "closed":
        return c.get("closed", 0)
    return c.get("closed_on_time", 0) + c.get("overdue", 0)


def _n(name: str) -> Callable[[Counts, Definitions], float]:
    return lambda c, _d: c.get(name, 0)


def _d(name: str) -> Callable[[Counts, Definitions], float]:
    return lambda c, _d: c.get(name, 0)


INDICATORS: dict[str, Indicator] = {i.key: i for i in [
    Indicator("sign_rate", "及时签收率", _n("signed_in_time"), _d("sign_due")),
    Indicator("contact_rate", "响应率", _n("contacted"), _d("contact_due")),
    Indicator("resolution_rate", "解决率", _n("resolved"), _d("rated")),
    Indicator("satisfaction_rate", "满意率",
              lambda c, d: c.get("satisfied", 0) + d.basic_factor * c.get("basically_satisfied", 0), _d("rated")),
    Indicator("on_time_rate", "按时办结率", _n("closed_on_time"), _on_time_denominator),
    Indicator("overdue_rate", "超期率", _n("overdue"), base, higher_is_better=False),
    Indicator("return_rate", "退单率", _n("returned"), _d("sign_due"), higher_is_better=False),
    Indicator("reopen_rate", "重办率", _n("reopened"), _d("closed"), higher_is_better=False),
    Indicator("reject_rate", "审核不通过率", _n("rejected"), _d("closed"), higher_is_better=False),
    Indicator("urge_rate", "督办率", _n("urged"), base, higher_is_better=False),
    Indicator("follow_up_rate", "回访率", _n("rated"), _d("closed")),
    Indicator("repeat_rate", "重复诉求率", _n("repeated"), _d("intake"), higher_is_better=False),
    Indicator("direct_rate", "直办率", _n("answered"), _d("intake")),
]}


def rates(counts: Counts, definitions: Definitions) -> dict[str, float | None]:
    """Every indicator's value in [0, 1], or None where its denominator is zero (not assessable)."""
    out: dict[str, float | None] = {}
    for key, indicator in INDICATORS.items():
        denominator = indicator.denominator(counts, definitions)
        out[key] = None if denominator <= 0 else round(indicator.numerator(counts, definitions) / denominator, 6)
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
