"""Number formatting for plain-English output (British English).

Every number a reader sees goes through these helpers so that rounding and layout are
the same in prose, tables, alt text and chart data. Rounding is half-up (the convention
of the Welsh Government guidance tables), never Python's banker's rounding.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from numbers import Real

from strategy_docs.i18n import N_

MISSING = "not available"


def is_missing(x: object) -> bool:
    """True for None, NaN and pandas NA, which all mean 'no value' in our tables."""
    if x is None:
        return True
    try:
        return bool(x != x)  # NaN and pd.NA are not equal to themselves
    except TypeError:  # pd.NA raises on bool()
        return True


def _to_decimal(x: object) -> Decimal:
    """Convert via str() so that 4.995 stays 4.995 rather than 4.99499999...."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool) or not isinstance(x, (Real, str)):
        try:
            x = float(x)  # numpy scalars
        except (TypeError, ValueError) as exc:
            raise TypeError(f"expected a number, got {x!r}") from exc
    try:
        return Decimal(str(x))
    except InvalidOperation as exc:
        raise TypeError(f"expected a number, got {x!r}") from exc


def round_half_up(x: object, ndigits: int = 0) -> int | float:
    """Round halves away from zero (2.5 -> 3, -2.5 -> -3, 4.995 -> 5).

    Returns an int when ndigits <= 0, otherwise a float; NaN/None come back as NaN so
    that missing values stay missing.
    """
    if is_missing(x):
        return math.nan
    d = _to_decimal(x)
    if not d.is_finite():
        return float(d)
    q = Decimal(1).scaleb(-ndigits)
    r = d.quantize(q, rounding=ROUND_HALF_UP)
    return int(r) if ndigits <= 0 else float(r)


def fmt_int(x: object, missing: str = MISSING) -> str:
    """Whole number with thousands separators: 4120.4 -> '4,120'."""
    if is_missing(x):
        return missing
    return f"{round_half_up(x):,}"


def fmt_number(x: object, dp: int = 1, missing: str = MISSING) -> str:
    """Number with separators and at most ``dp`` decimals, trailing zeros dropped.

    Used for indicator values, which may be counts (1,234) or rates (78.2).
    """
    if is_missing(x):
        return missing
    r = round_half_up(x, dp)
    text = f"{r:,.{dp}f}" if dp > 0 else f"{int(r):,}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_money(
    amount: object, brackets_for_negative: bool = True, dp: int = 0, missing: str = MISSING
) -> str:
    """Pounds with separators: '£1,234,567'; negatives (income) as '(£12,000)'.

    Finance tables in councils show income in brackets; in prose pass
    ``brackets_for_negative=False`` to get '-£12,000'.
    """
    if is_missing(amount):
        return missing
    r = round_half_up(amount, dp)
    body = f"£{abs(r):,.{dp}f}" if dp > 0 else f"£{abs(int(r)):,}"
    if r < 0:
        return f"({body})" if brackets_for_negative else f"-{body}"
    return body


def fmt_money_auto(amount: object, brackets_for_negative: bool = True) -> str:
    """Pounds, with pence only when the amount is not whole pounds (unit costs: '£18.45')."""
    if is_missing(amount):
        return MISSING
    dp = 0 if round_half_up(amount, 2) == round_half_up(amount, 0) else 2
    return fmt_money(amount, brackets_for_negative=brackets_for_negative, dp=dp)


def fmt_percent(x: object, dp: int = 1, missing: str = MISSING) -> str:
    """A value already in percent, to one decimal place: 23.44 -> '23.4%', 23 -> '23.0%'."""
    if is_missing(x):
        return missing
    r = round_half_up(x, dp)
    text = f"{r:,.{dp}f}" if dp > 0 else f"{int(r):,}"
    if text.startswith("-") and float(r) == 0:
        text = text[1:]
    return f"{text}%"


def percent_change(old: object, new: object) -> float:
    """(new - old) / old x 100; NaN when old is zero or either value is missing."""
    if is_missing(old) or is_missing(new) or float(old) == 0:
        return math.nan
    return (float(new) - float(old)) / abs(float(old)) * 100.0


CHANGE_SIZES = {("up", False): N_("up {size}"), ("down", False): N_("down {size}"),
                ("up", True): N_("up less than {size}"), ("down", True): N_("down less than {size}")}


def fmt_change(old: object, new: object, dp: int = 1, t=None) -> str:
    """Direction and size of a change in words: 'up 23.1%', 'down 4.0%', 'no change'.

    A change that rounds to 0.0% but is not zero reads 'up less than 0.1%' so the text never
    contradicts the numbers next to it. ``t`` (a Translator) writes the words in its language.
    """
    t = t or _english
    if is_missing(old) or is_missing(new):
        return t(N_("change not available"))
    old_f, new_f = float(old), float(new)
    if new_f == old_f:
        return t(N_("no change"))
    if old_f == 0:
        return t(N_("up from zero")) if new_f > old_f else t(N_("down from zero"))
    pct = percent_change(old_f, new_f)
    word = "up" if pct > 0 else "down"
    if round_half_up(abs(pct), dp) == 0:
        smallest = "1" if dp == 0 else f"0.{'0' * (dp - 1)}1"
        return t(CHANGE_SIZES[(word, True)]).format(size=f"{smallest}%")
    return t(CHANGE_SIZES[(word, False)]).format(size=fmt_percent(abs(pct), dp))


def fmt_rate(x: object, dp: int = 1, missing: str = MISSING) -> str:
    """A rate, score or ratio with exactly ``dp`` decimals and separators: 1234.56 -> '1,234.6', 80 -> '80.0'."""
    if is_missing(x):
        return missing
    r = round_half_up(x, dp)
    text = f"{r:,.{dp}f}" if dp > 0 else f"{int(r):,}"
    return text[1:] if text.startswith("-") and float(r) == 0 else text


# How each indicator unit (params `indicators[].unit`) is written after its number.
UNIT_WORDS = {
    "percent": "%", "pounds": "£", "count": "", "ratio": "", "score": "",
    "rate per 100,000": N_("per 100,000"), "rate per 10,000": N_("per 10,000"), "rate per 1,000": N_("per 1,000"),
    "days": N_("days"), "weeks": N_("weeks"), "years": N_("years"),
}
# Units whose values are whole things, written without decimals.
WHOLE_UNITS = ("count",)


def fmt_value(x: object, unit: str | None, missing: str = MISSING, t=None) -> str:
    """A value in its unit, the one way every indicator figure is written.

    counts whole with separators ('1,234'); money as pounds ('£1,234', '£18.45');
    percentages, rates, scores, ratios and durations to one decimal place with their unit
    ('80.0%', '312.4 per 100,000', '14.5 days'). No unit: a plain number, at most one decimal.
    ``t`` (a Translator) writes the unit's words in its language.
    """
    if is_missing(x):
        return missing
    if unit == "pounds":
        return fmt_money_auto(x, brackets_for_negative=False)
    if unit in WHOLE_UNITS:
        return fmt_int(x)
    if unit == "percent":
        return fmt_percent(x)
    if not unit:
        return fmt_number(x, 1)
    words = UNIT_WORDS.get(unit, "")
    if words and t is not None:
        words = t(words)
    return f"{fmt_rate(x)} {words}" if words else fmt_rate(x)


def fmt_value_change(difference: object, unit: str | None, t=None) -> str:
    """The size of a change between two values in their unit: percentages in percentage points."""
    if is_missing(difference):
        return MISSING
    size = abs(float(difference))
    if unit == "percent":
        return (t or _english)("{points} percentage points").format(points=fmt_rate(size))
    return fmt_value(size, unit, t=t)


def _english(message: str) -> str:
    return message
