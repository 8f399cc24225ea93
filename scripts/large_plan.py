"""A very large commissioning plan, for the scale test and benchmark (issue 15).

`write_large_plan(workspace, authority, client_group, intentions=5000)` replaces one
strategy's themes and intentions with `intentions` generated ones spread over `themes`
themes, each with a type, a position on the commissioning cycle (current and expected),
drivers, activity, owner and timescale, as a real plan's register would carry. Everything
else in the strategy (outcomes, risks, indicators, gap analysis) is kept, so the whole
document is built. The text is deterministic: the same arguments, the same file.
"""

from __future__ import annotations

from pathlib import Path

import yaml

STAGES = ["Analyse", "Plan", "Do", "Review"]
TYPES = ["invest", "disinvest", "new", "reconfigure"]
WORDS = ["carers", "respite", "day services", "home care", "reablement", "advocacy", "housing", "transport",
         "employment", "peer support", "assistive technology", "outreach", "training", "direct payments"]


def large_plan(strategy: dict, intentions: int = 5000, themes: int = 25) -> dict:
    """`strategy` (a parsed strategy file) with `themes` themes and `intentions` intentions."""
    plan = dict(strategy)
    outcomes = [outcome["code"] for outcome in (plan.get("outcomes") or {}).get("items", [])]
    plan["themes"] = [
        {"id": f"T{t + 1}", "name": f"Theme {t + 1}: {WORDS[t % len(WORDS)]}",
         **({"outcomes": [outcomes[t % len(outcomes)]]} if outcomes else {}),
         "summary": f"What we will do about {WORDS[t % len(WORDS)]} (theme {t + 1})."}
        for t in range(themes)
    ]
    items = []
    for i in range(intentions):
        current = i % 3  # the expected position is never earlier than the current one
        expected = current + 1 + (i // 3) % (len(STAGES) - 1 - current)
        word = WORDS[i % len(WORDS)]
        items.append({
            "id": f"IN-{i + 1:05d}",
            "theme": f"T{i % themes + 1}",
            "title": f"Intention {i + 1}: {word} in district {i % 17 + 1}",
            "details": f"Commission **{word}** for about {20 + i % 80} more people in district {i % 17 + 1}.",
            "drivers": [f"Survey {2020 + i % 6}", "Needs analysis"],
            "type": TYPES[i % len(TYPES)],
            "cycle": {"current": STAGES[current], "expected": STAGES[expected]},
            "activity": f"Tender in quarter {i % 4 + 1}; review after a year.",
            "owner": f"Commissioning Officer {i % 9 + 1}",
            "timescale": f"{2026 + i % 3}/{(27 + i % 3) % 100:02d}",
            **({"outcomes": [outcomes[i % len(outcomes)]]} if outcomes else {}),
        })
    plan["intentions"] = items
    return plan


def write_large_plan(workspace: Path, authority: str, client_group: str, intentions: int = 5000,
                     themes: int = 25) -> Path:
    """Rewrite `params/strategies/<authority>/<client_group>.yaml` as a large plan; return its path."""
    path = Path(workspace) / "params" / "strategies" / authority / f"{client_group}.yaml"
    strategy = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump(large_plan(strategy, intentions, themes), sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path
