"""The indicators (考核指标): each a rate of two counters, with what it means.

Counters are summed over a period for one assessed unit (see ``facts.step`` for when each one
moves). ``base`` is the unit's share of the work: for a tenant (its subtree) the requests it
received less those merged as duplicates or declined/redirected (转办/不予受理); for a department
(unit) the dispatches it was given (the ranking counts those as the unit's ``received``).
"""

from __future__ import annotations

import math
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
    # What the 通报 and the console say of it: the definition, and the counts behind the rate (分子 / 分母).
    definition: str = ""
    numerator_name: str = ""
    denominator_name: str = ""


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
    Indicator("sign_rate", "及时签收率", _n("signed_in_time"), _d("sign_due"),
              definition="在签收时限内签收的派单占应签收派单的比例；未签收的派单计为未及时签收。",
              numerator_name="及时签收", denominator_name="应签收"),
    Indicator("contact_rate", "响应率", _n("contacted"), _d("contact_due"),
              definition="签收后联系诉求人的工单占已签收工单的比例。",
              numerator_name="已联系", denominator_name="应联系"),
    Indicator("resolution_rate", "解决率", _n("resolved"), _d("rated"),
              definition="回访中诉求人表示问题已解决的工单占已回访工单的比例。",
              numerator_name="已解决", denominator_name="已回访"),
    Indicator("satisfaction_rate", "满意率",
              lambda c, d: c.get("satisfied", 0) + d.basic_factor * c.get("basically_satisfied", 0), _d("rated"),
              definition="（满意数 + 基本满意数 × 折算系数）占已回访工单的比例。",
              numerator_name="满意（含基本满意折算）", denominator_name="已回访"),
    Indicator("on_time_rate", "按时办结率", _n("closed_on_time"), _on_time_denominator,
              definition="在办理时限内办结的工单占已办结和已超期工单之和的比例；超过时限仍未办结的工单计为未按时。",
              numerator_name="按时办结", denominator_name="按时办结与超期"),
    Indicator("overdue_rate", "超期率", _n("overdue"), base, higher_is_better=False,
              definition="超过办理时限（未办结或逾期办结）的工单占受理量的比例（受理量不含合并的重复件和转办、不予受理件）。",
              numerator_name="超期", denominator_name="受理量"),
    Indicator("return_rate", "退单率", _n("returned"), _d("sign_due"), higher_is_better=False,
              definition="退回派单单位的次数占应签收派单的比例。",
              numerator_name="退单", denominator_name="应签收"),
    Indicator("reopen_rate", "重办率", _n("reopened"), _d("closed"), higher_is_better=False,
              definition="办结后因诉求人不满意等原因重新办理的工单占已办结工单的比例。",
              numerator_name="重办", denominator_name="已办结"),
    Indicator("reject_rate", "审核不通过率", _n("rejected"), _d("closed"), higher_is_better=False,
              definition="答复被审核退回的次数占已办结工单的比例。",
              numerator_name="审核不通过", denominator_name="已办结"),
    Indicator("urge_rate", "督办率", _n("urged"), base, higher_is_better=False,
              definition="被督办的工单（督办数）占受理量的比例。",
              numerator_name="督办", denominator_name="受理量"),
    Indicator("follow_up_rate", "回访率", _n("rated"), _d("closed"),
              definition="已回访的工单占已办结工单的比例。",
              numerator_name="已回访", denominator_name="已办结"),
    Indicator("repeat_rate", "重复诉求率", _n("repeated"), _d("intake"), higher_is_better=False,
              definition="同一来电号码在重复件时限内再次反映的诉求占受理登记量的比例。",
              numerator_name="重复诉求", denominator_name="受理登记"),
    Indicator("direct_rate", "直办率", _n("answered"), _d("intake"),
              definition="受理时当场解答办结（直办）的诉求占受理登记量的比例。",
              numerator_name="直办", denominator_name="受理登记"),
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


def describe(indicator: Indicator, definitions: Definitions) -> tuple[str, str, str]:
    """The indicator's definition and the names of its numerator and denominator under the definitions in force
    (the basis of 按时办结率 and the factor of 基本满意 are a province's choice)."""
    definition, numerator, denominator = indicator.definition, indicator.numerator_name, indicator.denominator_name
    if indicator.key == "on_time_rate" and definitions.on_time_basis == "closed":
        definition, denominator = "在办理时限内办结的工单占已办结工单的比例（超期未办结的工单不计入）。", "已办结"
    if indicator.key == "satisfaction_rate":
        definition = definition.replace("折算系数", f"折算系数 {definitions.basic_factor:g}")
    return definition, numerator, denominator


@dataclass(frozen=True)
class Points:
    """One weighted indicator's part of a score (得分构成): what it could give, what it gave and what it cost."""

    key: str
    weight: float
    value: float | None  # None: no value this period, left out (its weight counts for the others)
    points: float  # the share of the maximum it carries this period
    earned: float
    lost: float


def _apportion(raw: list[float], total: float) -> list[float]:
    """Each of ``raw`` to the cent so that they add up to ``total`` exactly: the largest remainders get the cents
    left (as seats are apportioned), so the parts shown always add up to the score shown."""
    cents = [max(0, math.floor(r * 100 + 1e-6)) for r in raw]
    missing = round(total * 100) - sum(cents)
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] * 100 - cents[i], reverse=True)
    for i in by_remainder[:max(missing, 0)]:
        cents[i] += 1
    for i in by_remainder[::-1][:max(-missing, 0)]:  # float noise the other way: the smallest remainders give
        cents[i] -= 1
    return [c / 100 for c in cents]


def breakdown(values: Mapping[str, float | None], weights: Mapping[str, float], max_score: float) -> list[Points]:
    """The score indicator by indicator: each weighted indicator's share of ``max_score`` (its weight over the
    weights of the indicators that have a value), the points it earned and the points it lost. The earned points
    add up to ``score`` and earned plus lost to ``max_score``, to the cent."""
    weighted = [(key, w) for key, w in weights.items() if w > 0]
    scored = [(key, w) for key, w in weighted if values.get(key) is not None]
    weight_sum = sum(w for _, w in scored)
    total = score(values, weights, max_score)
    if not scored or total is None:
        return [Points(key, w, values.get(key), 0.0, 0.0, 0.0) for key, w in weighted]
    shares = {key: max_score * w / weight_sum for key, w in scored}
    goodness = {key: values[key] if INDICATORS[key].higher_is_better else 1 - values[key]  # type: ignore[operator]
                for key, _ in scored}
    earned = dict(zip(shares, _apportion([shares[k] * goodness[k] for k in shares], total), strict=True))
    lost = dict(zip(shares, _apportion([shares[k] * (1 - goodness[k]) for k in shares], max_score - total),
                    strict=True))
    return [Points(key, w, values.get(key), round(earned[key] + lost[key], 2), earned[key], lost[key])
            if key in shares else Points(key, w, None, 0.0, 0.0, 0.0) for key, w in weighted]
