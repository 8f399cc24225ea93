"""Commissioning-cycle stage vocabularies and parsing of stage text (domain spec 2.1).

Plans write the current and expected stage of an intention in free text ("Design and
prepare", "Analyse to Plan", "Securing services"), using different vocabularies. A
vocabulary turns that text into a (first, last) range of stage indices so the document
can draw the position on the cycle consistently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

StageRange = tuple[int, int]

# Words that join stages in a cell rather than name one.
CONNECTORS = frozenset({"and", "to", "then", "through", "into", "from", "or", "the"})
# Of those, the ones that mean every stage in between ("Analyse to Plan", "Analyse-Plan"); the
# others ("and", ",", "/") list stages, so "Prepare and Manage" is two stages, not four.
SPANNING = frozenset({"to", "through", "-", "–"})


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+|[-–]", text.lower())


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", text.lower()))


@dataclass(frozen=True)
class CycleVocabulary:
    """Ordered stages plus synonyms (synonym -> stage name), matched case-insensitively."""

    stages: tuple[str, ...]
    synonyms: Mapping[str, str] = field(default_factory=dict)
    name: str = "custom"

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        if not self.stages:
            raise ValueError("A commissioning-cycle vocabulary needs at least one stage.")
        lowered = [s.lower() for s in self.stages]
        if len(set(lowered)) != len(lowered):
            raise ValueError("Commissioning-cycle stages must be different.")
        for syn, stage in self.synonyms.items():
            if stage not in self.stages:
                raise ValueError(
                    f"Synonym '{syn}' points to '{stage}', which is not a stage "
                    f"({', '.join(self.stages)})."
                )
        phrases: dict[tuple[str, ...], int] = {}
        for i, stage in enumerate(self.stages):
            phrases[_words(stage)] = i
        for syn, stage in self.synonyms.items():
            phrases.setdefault(_words(syn), self.stages.index(stage))
        phrases.pop((), None)
        object.__setattr__(self, "_phrases", phrases)
        object.__setattr__(self, "_longest", max(len(p) for p in phrases))

    @classmethod
    def from_spec(cls, spec: "Mapping[str, Any] | CycleVocabulary | str") -> "CycleVocabulary":
        """From a vocabulary name ('ipc', 'six-stage') or ``{stages, synonyms}`` mapping."""
        if isinstance(spec, CycleVocabulary):
            return spec
        if isinstance(spec, str):
            key = spec.strip().lower()
            if key not in VOCABULARIES:
                raise ValueError(
                    f"Unknown cycle vocabulary '{spec}'; built in: {', '.join(VOCABULARIES)}."
                )
            return VOCABULARIES[key]
        return cls(
            stages=tuple(spec["stages"]),
            synonyms=dict(spec.get("synonyms") or {}),
            name=str(spec.get("name", "custom")),
        )

    def _allowed(self) -> str:
        text = f"Allowed stages: {', '.join(self.stages)}"
        if self.synonyms:
            text += f" (also: {', '.join(sorted(self.synonyms))})"
        return text + "."

    def parse(self, text: str | StageRange | list) -> StageRange:
        """'Plan' -> (1, 1); 'Analyse to Plan', 'Analyse-Plan' -> (0, 1).

        Any stages named, joined by commas, 'and', 'to', hyphens or slashes, give the
        range from the earliest to the latest. Unknown words raise ValueError.
        """
        if isinstance(text, (tuple, list)) and len(text) == 2 and all(isinstance(i, int) for i in text):
            first, last = int(text[0]), int(text[1])
            if not 0 <= first <= last < len(self.stages):
                raise ValueError(f"Stage range {list(text)} is outside 0..{len(self.stages) - 1}.")
            return first, last
        words = _words(str(text))
        if not words:
            raise ValueError(f"No commissioning-cycle stage given. {self._allowed()}")
        found, unknown, i = [], [], 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                index = self._phrases.get(words[i : i + size])
                if index is not None:
                    found.append(index)
                    i += size
                    break
            else:
                if words[i] not in CONNECTORS:
                    unknown.append(words[i])
                i += 1
        if unknown or not found:
            what = ", ".join(f"'{w}'" for w in unknown) if unknown else "no stage"
            raise ValueError(f"Unknown commissioning-cycle stage {what} in '{text}'. {self._allowed()}")
        return min(found), max(found)

    def stages_in(self, text: str) -> tuple[int, ...]:
        """The set of stages a cell names, in cycle order: 'Prepare and Manage' -> (2, 4) in the
        six-stage cycle (two stages, not the range between); 'Analyse to Plan' -> (0, 1).

        Stages joined by 'to', 'through' or a hyphen span every stage in between; stages joined
        by 'and', commas or slashes are listed as they are. Unknown words raise ValueError.
        """
        self.parse(text)  # the same checks and messages
        tokens = _tokens(str(text))
        found: set[int] = set()
        previous: int | None = None
        spanning = False
        i = 0
        while i < len(tokens):
            for size in range(min(self._longest, len(tokens) - i), 0, -1):
                index = self._phrases.get(tuple(tokens[i : i + size]))
                if index is not None:
                    if spanning and previous is not None:
                        found.update(range(min(previous, index), max(previous, index) + 1))
                    found.add(index)
                    previous, spanning = index, False
                    i += size
                    break
            else:
                if tokens[i] in SPANNING:
                    spanning = True
                i += 1
        return tuple(sorted(found))

    def describe(self, stage_range: StageRange | str) -> str:
        """(0, 1) -> 'Analyse to Plan'; (2, 2) -> 'Do'."""
        first, last = self.parse(stage_range)
        if first == last:
            return self.stages[first]
        return f"{self.stages[first]} to {self.stages[last]}"

    def _listed(self, stage_range: StageRange) -> str:
        names = list(self.stages[stage_range[0] : stage_range[1] + 1])
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    def progress(self, current: StageRange | str, expected: StageRange | str) -> str:
        """The expected movement in words, e.g. 'Moving from Analyse to Plan'.

        Ranges are listed in full ('Analyse, Design and Prepare') so that 'to' only ever
        means movement.
        """
        cur, exp = self.parse(current), self.parse(expected)
        cur_text, exp_text = self._listed(cur), self._listed(exp)
        if cur == exp:
            return f"Staying at {cur_text}"
        if exp[1] < cur[0]:
            if cur[1] == len(self.stages) - 1 and exp[0] == 0:
                return f"Moving from {cur_text} back to {exp_text} to start a new cycle"
            return f"The expected stage ({exp_text}) is earlier than the current stage ({cur_text})"
        return f"Moving from {cur_text} to {exp_text}"

    def cycle_row(self, label: str, current: str, expected: str) -> dict[str, Any]:
        """A row for the ``cycle`` display block (indices into ``stages``)."""
        cur, exp = self.parse(current), self.parse(expected)
        return {
            "label": label,
            "current": [cur[0], cur[1]],
            "expected": [exp[0], exp[1]],
            "current_text": str(current),
            "expected_text": str(expected),
        }


IPC_VOCABULARY = CycleVocabulary(
    name="ipc",
    stages=("Analyse", "Plan", "Do", "Review"),
    synonyms={
        "Analysis": "Analyse",
        "Analysing": "Analyse",
        "Analyze": "Analyse",
        "Planning": "Plan",
        "Secure": "Do",
        "Securing": "Do",
        "Securing services": "Do",
        "Secure services": "Do",
        "Doing": "Do",
        "Reviewing": "Review",
        "Monitoring": "Review",
        "Monitoring and evaluating": "Review",
        "Monitor and review": "Review",
    },
)

SIX_STAGE_VOCABULARY = CycleVocabulary(
    name="six-stage",
    stages=("Analyse", "Design", "Prepare", "Implement", "Manage", "Evaluate"),
    synonyms={
        "Analysis": "Analyse",
        "Analysing": "Analyse",
        "Analyze": "Analyse",
        "Designing": "Design",
        "Preparation": "Prepare",
        "Preparing": "Prepare",
        "Implementation": "Implement",
        "Implementing": "Implement",
        "Management": "Manage",
        "Managing": "Manage",
        "Evaluation": "Evaluate",
        "Evaluating": "Evaluate",
    },
)

VOCABULARIES = {"ipc": IPC_VOCABULARY, "six-stage": SIX_STAGE_VOCABULARY}


def vocabulary_of(settings: Any) -> CycleVocabulary:
    """An authority's cycle (`cycle:` in its params): a built-in vocabulary by name, with the
    authority's own synonyms added, or its own stages and synonyms."""
    if getattr(settings, "vocabulary", None):
        base = VOCABULARIES[settings.vocabulary]
        return CycleVocabulary(base.stages, {**base.synonyms, **dict(settings.synonyms)}, name=base.name)
    return CycleVocabulary(tuple(settings.stages), dict(settings.synonyms))


def stated_position(intention: Any, intentions: list | Mapping[str, Any]) -> tuple[Any, Any]:
    """(the intention whose position is stated, that position): the intention's own, or where the
    plan says "see intention 1.2" (`same_as`), the one it refers to, followed to the one that states
    a stage. (None, None) when no position is stated; validate refuses unknown ids and loops.

    `intentions`: the plan's intentions, or `intentions_by_id` of them when asking for each of many
    (the lookup is then made once, not once per intention: a 5,000-intention plan made it 25 million
    times)."""
    by_id = intentions if isinstance(intentions, Mapping) else None
    seen = set()
    at = intention
    while at is not None and at.cycle is not None and at.cycle.same_as and at.id not in seen:
        seen.add(at.id)
        if by_id is None:  # only a reference needs it
            by_id = intentions_by_id(intentions)
        at = by_id.get(at.cycle.same_as)
    if at is None or at.cycle is None or not at.cycle.current:
        return None, None
    return at, at.cycle


def intentions_by_id(intentions: list) -> dict[str, Any]:
    """Each intention by its id (the last of any repeated id; validate refuses repeats)."""
    return {i.id: i for i in intentions}
