"""Malformed parameters: every case gives a clear problem (file, line, field, what is expected),
all problems of a run are listed together, the CLI exits 2, and nothing is executed or published.

The property tests throw generated junk at the validator: it may accept or reject, but it must
never fail with anything other than ParamsError.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategy_docs.errors import ParamsError, Problem
from strategy_docs.inputs.params import load_params

from .conftest import copy_workspace, edit_yaml
from .robust_support import AUTHORITY, GROUP, cli, load_yaml, prune, snapshot, strategy_file

STRATEGY = f"params/strategies/{AUTHORITY}/{GROUP}.yaml"
AUTHORITY_FILE = f"params/authorities/{AUTHORITY}.yaml"
GROUP_FILE = f"params/client-groups/{GROUP}.yaml"
PROJECT = "params/project.yaml"


@pytest.fixture
def ws(workspace: Path) -> Path:
    return prune(workspace)


def problems_of(ws: Path) -> list[Problem]:
    with pytest.raises(ParamsError) as info:
        load_params(ws)
    problems = info.value.problems
    assert problems, "ParamsError without problems"
    return problems


def only(problems: list[Problem], file: str, field: str | None = None) -> list[Problem]:
    return [p for p in problems if p.file == file and (field is None or p.field == field)]


def line_of(ws: Path, problem: Problem) -> str:
    assert problem.line is not None, f"no line for {problem}"
    return (ws / problem.file).read_text(encoding="utf-8").splitlines()[problem.line - 1]


def test_pruned_workspace_is_valid(ws):
    params = load_params(ws)
    assert list(params.strategies) == [(AUTHORITY, GROUP)]


# ---------------------------------------------------------------- one case at a time


def test_yaml_syntax_error_names_file_and_line(ws):
    path = ws / STRATEGY
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, text in enumerate(lines) if text.startswith("  owner:"))
    lines[index] = "  owner: [Director of Adult Social Care"  # unclosed bracket
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [problem] = only(problems_of(ws), STRATEGY)
    assert "not valid YAML" in problem.message
    assert problem.line is not None and abs(problem.line - (index + 1)) <= 2
    assert problem.fix


def test_bad_indentation_is_a_syntax_error_with_a_line(ws):
    path = ws / STRATEGY
    text = path.read_text(encoding="utf-8").replace("  status: final", "   status: final", 1)
    path.write_text(text, encoding="utf-8")
    [problem] = only(problems_of(ws), STRATEGY)
    assert "not valid YAML" in problem.message and problem.line


def test_unknown_key_gives_path_line_and_fix(ws):
    edit_yaml(ws / STRATEGY, lambda d: d["risks"][0].update(likelyhood=3))
    [problem] = only(problems_of(ws), STRATEGY)
    assert problem.field == "risks[R1].likelyhood"
    assert "unknown key 'likelyhood'" in problem.message and problem.fix
    assert "likelyhood" in line_of(ws, problem)


def test_wrong_type_says_what_is_expected(ws):
    edit_yaml(ws / STRATEGY, lambda d: d["risks"][0]["inherent"].update(likelihood="quite likely"))
    [problem] = only(problems_of(ws), STRATEGY, "risks[R1].inherent.likelihood")
    assert "integer" in problem.message and "quite likely" in problem.message
    assert "likelihood" in line_of(ws, problem)


def test_list_where_a_mapping_is_expected(ws):
    edit_yaml(ws / STRATEGY, lambda d: d.update(monitoring=["weekly"]))
    [problem] = only(problems_of(ws), STRATEGY, "monitoring")
    assert "dictionary" in problem.message or "mapping" in problem.message


def test_value_out_of_range_says_the_limit(ws):
    edit_yaml(ws / STRATEGY, lambda d: d["risks"][1]["residual"].update(impact=9))
    [problem] = only(problems_of(ws), STRATEGY, "risks[R2].residual.impact")
    assert "less than or equal to 5" in problem.message
    edit_yaml(ws / STRATEGY, lambda d: d["risks"][1]["residual"].update(impact=3))
    edit_yaml(ws / PROJECT, lambda d: d["edition"].update(years=40))
    [problem] = only(problems_of(ws), PROJECT, "edition.years")
    assert "less than or equal to 10" in problem.message and problem.line


def test_literal_choices_are_listed(ws):
    edit_yaml(ws / STRATEGY, lambda d: d["document_control"].update(status="published"))
    [problem] = only(problems_of(ws), STRATEGY, "document_control.status")
    assert "'draft'" in problem.message and "'final'" in problem.message and "published" in problem.message


def test_impossible_date_names_the_line(ws):
    path = ws / STRATEGY
    text = path.read_text(encoding="utf-8")
    assert "publication_date: 2026-03-18" in text
    path.write_text(text.replace("publication_date: 2026-03-18", "publication_date: 2026-02-30"), encoding="utf-8")
    [problem] = only(problems_of(ws), STRATEGY)
    assert "2026-02-30" in problem.message and "date" in problem.message
    assert "publication_date" in line_of(ws, problem)


def test_duplicate_ids(ws):
    def dup(d):
        d["risks"][1]["id"] = d["risks"][0]["id"]
        d["hypotheses"][2]["id"] = d["hypotheses"][0]["id"]

    edit_yaml(ws / STRATEGY, dup)
    problems = only(problems_of(ws), STRATEGY)
    assert {p.field for p in problems} >= {"risks[1].id", "hypotheses[2].id"}
    for p in problems:
        assert "used twice" in p.message and p.line and "id:" in line_of(ws, p)


def test_duplicate_ids_are_reported_alongside_schema_errors(ws):
    def both(d):
        d["risks"][1]["id"] = d["risks"][0]["id"]
        d["risks"][0]["residual"]["impact"] = 7

    edit_yaml(ws / STRATEGY, both)
    fields = {p.field for p in only(problems_of(ws), STRATEGY)}
    assert {"risks[1].id", "risks[0].residual.impact"} <= fields


def test_duplicate_locality_codes(ws):
    edit_yaml(ws / AUTHORITY_FILE, lambda d: d["localities"][1].update(code=d["localities"][0]["code"]))
    [problem] = only(problems_of(ws), AUTHORITY_FILE)
    assert problem.field == "localities[1].code" and "used twice" in problem.message


def test_duplicate_yaml_key(ws):
    path = ws / STRATEGY
    text = path.read_text(encoding="utf-8").replace("  status: final\n", "  status: final\n  status: draft\n", 1)
    path.write_text(text, encoding="utf-8")
    [problem] = only(problems_of(ws), STRATEGY)
    assert problem.field == "document_control.status" and "appears twice" in problem.message
    assert "status: draft" in line_of(ws, problem)


def test_reference_to_unknown_outcome_hypothesis_and_theme(ws):
    def refs(d):
        d["themes"][0]["outcomes"] = ["NO-SUCH-OUTCOME"]
        d["gap_analysis"][0]["hypotheses"] = ["H99"]
        d["intentions"][0]["theme"] = "no-such-theme"
        d["intentions"][0]["outcomes"] = ["ALSO-MISSING"]

    edit_yaml(ws / STRATEGY, refs)
    problems = only(problems_of(ws), STRATEGY)
    by_field = {p.field: p for p in problems}
    intention = load_yaml(ws / STRATEGY)["intentions"][0]["id"]
    assert "NO-SUCH-OUTCOME" in by_field["themes[T1].outcomes[0]"].message  # items named by id; gap rows have none
    assert "H99" in by_field["gap_analysis[0].hypotheses[0]"].message
    assert "no-such-theme" in by_field[f"intentions[{intention}].theme"].message
    assert "ALSO-MISSING" in by_field[f"intentions[{intention}].outcomes[0]"].message
    for p in problems:
        assert p.line and p.fix.startswith("use one of")


def test_reference_to_unknown_authority_and_client_group(ws):
    edit_yaml(ws / PROJECT, lambda d: d.update(matrix={"authorities": [AUTHORITY, "southshire"],
                                                       "client_groups": [GROUP, "young-carers"]}))
    problems = only(problems_of(ws), PROJECT)
    by_field = {p.field: p for p in problems}
    assert "southshire" in by_field["matrix.authorities[1]"].message
    assert "young-carers" in by_field["matrix.client_groups[1]"].message
    assert all(p.line for p in problems)


def test_unknown_metric_and_measure_in_hypothesis_test(ws):
    data = load_yaml(ws / STRATEGY)
    index = next(i for i, h in enumerate(data["hypotheses"]) if h.get("test"))
    edit_yaml(ws / STRATEGY, lambda d: d["hypotheses"][index]["test"].update(metric="no_such_metric"))
    [problem] = only(problems_of(ws), STRATEGY, f"hypotheses[{data['hypotheses'][index]['id']}].test.metric")
    assert "no_such_metric" in problem.message and problem.fix


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"# only a comment\n", b"---\n"])
def test_empty_file(ws, content):
    (ws / STRATEGY).write_bytes(content)
    [problem] = only(problems_of(ws), STRATEGY)
    assert "empty" in problem.message or "mapping" in problem.message
    assert problem.fix


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",  # an image saved with the wrong name
    b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe",  # a Word or Excel file
    "Dear colleague,\nplease find the strategy attached.\n".encode(),  # plain prose
    b"- just\n- a\n- list\n",
    b"42\n",
    b"\xff\xfeo\x00w\x00n\x00e\x00r\x00",  # UTF-16
])
def test_file_that_is_not_yaml_parameters(ws, content):
    (ws / STRATEGY).write_bytes(content)
    [problem] = only(problems_of(ws), STRATEGY)
    assert problem.message and problem.fix


def test_dangerous_tags_are_refused_and_not_run(ws, tmp_path):
    marker = tmp_path / "pwned"
    (ws / STRATEGY).write_text(
        f"document_control: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8")
    [problem] = only(problems_of(ws), STRATEGY)
    assert "tag" in problem.message or "constructor" in problem.message
    assert problem.line == 1
    assert not marker.exists()


def test_alias_bomb_is_refused_quickly(ws):
    import time

    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    previous = "a"
    for name in "bcdefghij":
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    (ws / STRATEGY).write_text(text, encoding="utf-8")
    started = time.monotonic()
    [problem] = only(problems_of(ws), STRATEGY)
    assert time.monotonic() - started < 10
    assert "aliases" in problem.message


@pytest.mark.parametrize("levels", [41, 3000])  # past our limit; past libyaml's own limit too
def test_deep_nesting_is_refused_in_our_words(ws, levels):
    # PyYAML's wording for deep nesting changed in 6.0.4 ("exceeded maximum nesting depth");
    # the message must be ours whichever release is installed, and must not blame indentation.
    (ws / STRATEGY).write_text("context: " + "[" * levels + "]" * levels + "\n", encoding="utf-8")
    [problem] = only(problems_of(ws), STRATEGY)
    assert problem.message == "is nested more than 40 levels deep, which no parameters file needs."
    assert problem.line == 1
    assert "unclosed brackets" in problem.fix and "indentation" not in problem.fix


def test_deep_block_nesting_is_refused_with_its_line(ws):
    lines = ["context:"] + ["  " * (depth + 1) + f"k{depth}:" for depth in range(45)] + ["  " * 46 + "x"]
    (ws / STRATEGY).write_text("\n".join(lines) + "\n", encoding="utf-8")
    [problem] = only(problems_of(ws), STRATEGY)
    assert problem.message.startswith("is nested more than 40 levels deep")
    assert problem.line == 42  # k40's line: the mapping 41 levels below the document's own


def test_missing_required_file_and_folders(ws):
    (ws / STRATEGY).unlink()
    [problem] = only(problems_of(ws), STRATEGY)
    assert "missing" in problem.message and "matrix.exclude" in problem.fix


def test_bad_file_name_is_not_a_slug(ws):
    shutil.copy(ws / AUTHORITY_FILE, ws / "params" / "authorities" / "North Shire.yaml")
    problems = problems_of(ws)
    assert any("North Shire" in p.message and p.file.endswith("North Shire.yaml") for p in problems)


def test_symlink_loop_is_refused(ws):
    loop = ws / "params" / "client-groups" / "loop.yaml"
    os.symlink(loop, loop)
    problems = problems_of(ws)
    assert any(p.file == "params/client-groups/loop.yaml" for p in problems)


def test_huge_value_is_echoed_short(ws):
    edit_yaml(ws / STRATEGY, lambda d: d["risks"][0]["inherent"].update(likelihood="x" * 100_000))
    [problem] = only(problems_of(ws), STRATEGY, "risks[R1].inherent.likelihood")
    assert len(str(problem)) < 1000


def test_all_problems_of_a_run_are_listed_together(ws):
    edit_yaml(ws / PROJECT, lambda d: d["build"].update(cell_timeout_seconds=0))
    edit_yaml(ws / AUTHORITY_FILE, lambda d: d["branding"].update(colour="#ffff00"))
    edit_yaml(ws / GROUP_FILE, lambda d: d.update(colour="blue"))
    edit_yaml(ws / STRATEGY, lambda d: d["document_control"].update(status="done"))
    problems = problems_of(ws)
    files = {p.file for p in problems}
    assert {PROJECT, AUTHORITY_FILE, GROUP_FILE, STRATEGY} <= files
    contrast = only(problems, AUTHORITY_FILE, "branding.colour")[0]
    assert "contrast" in contrast.message and "4.5" in contrast.message


# ---------------------------------------------------------------- through the command line


@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
def test_cli_lists_every_problem_exits_2_and_builds_nothing(ws):
    (ws / "build").mkdir()
    (ws / "build" / "index.html").write_text("<html>last good</html>")
    before = snapshot(ws)
    edit_yaml(ws / STRATEGY, lambda d: (d["risks"][0]["inherent"].update(likelihood=11),
                                        d["document_control"].update(titel="typo")))
    edit_yaml(ws / PROJECT, lambda d: d["edition"].update(start_year="next year"))
    for command in ("validate", "build"):
        result = cli(ws, command, "--format", "html", "--jobs", "1", timeout=120) if command == "build" else cli(ws, command)
        assert result.returncode == 2, result.stdout + result.stderr
        err = result.stderr
        assert "3 problems found" in err and "Nothing was built" in err
        assert f"{STRATEGY}, line " in err and "field 'risks[R1].inherent.likelihood'" in err
        assert "field 'document_control.titel'" in err and "unknown key 'titel'" in err
        assert f"{PROJECT}, line " in err and "field 'edition.start_year'" in err
        assert "Traceback" not in err
    assert snapshot(ws) == before
    assert not (ws / ".strategy-docs" / "work").exists(), "a notebook was executed"


def test_cli_syntax_error_exit_2(ws):
    (ws / GROUP_FILE).write_text("name: Older people\ndefinition: 'unclosed\n", encoding="utf-8")
    result = cli(ws, "validate")
    assert result.returncode == 2
    assert f"{GROUP_FILE}, line" in result.stderr and "not valid YAML" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- properties

@pytest.fixture(scope="module")
def fuzz_ws(tmp_path_factory) -> Path:
    return prune(copy_workspace(tmp_path_factory.mktemp("fuzz") / "ws"))


TARGETS = [PROJECT, AUTHORITY_FILE, GROUP_FILE, STRATEGY]

safe_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), safe_text,
    st.just("x" * 50_000), st.dates(min_value=dt.date(1, 1, 1)),
    st.sampled_from(["", " ", "../../etc/passwd", "/etc/passwd", "<script>alert(1)</script>", "'''", '"""',
                     "all", "H1", "#000000", "2026/27", "85+", "\x00", "\u202e", "NaN", "~", "null"]),
)
junk = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(safe_text, st.integers()), inner, max_size=4)),
    max_leaves=12)


def _paths(value, prefix=()):
    """Every path into a loaded YAML document (mapping keys and list indices)."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


def _parent(doc, path):
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutated(draw):
    target = draw(st.sampled_from(TARGETS))
    doc = copy.deepcopy(ORIGINALS[target])
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths)) if paths else ()
        action = draw(st.sampled_from(["drop", "unknown", "replace", "replace", "swap", "dup-list-item"]))
        if not path:
            doc = draw(junk)
            break
        parent, key = _parent(doc, path), path[-1]
        if action == "drop":
            del parent[key]
        elif action == "unknown":
            container = parent[key] if isinstance(parent[key], dict) else parent
            if isinstance(container, dict):
                container[draw(safe_text.filter(bool))] = draw(junk)
        elif action == "replace":
            parent[key] = draw(junk)
        elif action == "swap":  # a value of another field's type in this place
            other = draw(st.sampled_from(paths))
            parent[key] = copy.deepcopy(_parent(doc, other)[other[-1]]) if other else None
        elif action == "dup-list-item" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        if not isinstance(doc, (dict, list)):
            break
    return target, doc


ORIGINALS: dict[str, object] = {}


def _check_outcome(ws: Path) -> None:
    try:
        load_params(ws)
    except ParamsError as exc:
        assert exc.problems
        for problem in exc.problems + exc.warnings:
            assert problem.file and not os.path.isabs(problem.file), problem
            assert problem.message, problem
            assert str(ws) not in str(problem)
            str(problem)


def _with_file(ws: Path, target: str, content: bytes) -> None:
    path = ws / target
    original = path.read_bytes()
    try:
        path.write_bytes(content)
        _check_outcome(ws)
    finally:
        path.write_bytes(original)


@pytest.fixture(scope="module", autouse=True)
def _originals(fuzz_ws):
    for target in TARGETS:
        ORIGINALS[target] = load_yaml(fuzz_ws / target)


@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_property_mutated_params_never_crash(fuzz_ws, case):
    target, doc = case
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    _with_file(fuzz_ws, target, text.encode("utf-8"))


YAML_PIECES = ["\n", "  ", "- ", ": ", "key", "name", "[", "]", "{", "}", ",", "'", '"', "&a ", "*a", "!!str ", "!!binary ",
               "!!python/name:os.system ", "? ", "|\n  ", ">\n  ", "#", "2026-02-30", "2026-13-01", "1e999", ".nan",
               "0x1F", "0o17", "1:30:00", "<<: ", "---\n", "...\n", "%YAML 1.1\n", "\t", "\\", "\u00a3", "~", "null",
               "document_control", "risks", "edition", "start_year"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TARGETS), st.one_of(
    st.lists(st.sampled_from(YAML_PIECES), max_size=40).map("".join),
    safe_text,
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
))
@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
def test_property_random_yaml_text_never_crashes(fuzz_ws, target, text):
    _with_file(fuzz_ws, target, text.encode("utf-8", "surrogatepass"))


@pytest.mark.slow  # seconds: kept out of the fast lane (pytest -m 'not slow')
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TARGETS), st.binary(max_size=300))
def test_property_random_bytes_never_crash(fuzz_ws, target, content):
    _with_file(fuzz_ws, target, content)


# ---------------------------------------------------------------- YAML 1.1 reading what was typed as something else


def _minimal(tmp_path: Path, text: str) -> Path:
    """The minimal plan of test_minimal_plan with its strategy file written as `text`."""
    from .test_minimal_plan import minimal_workspace

    ws = minimal_workspace(tmp_path / "ws")
    (ws / "params" / "strategies" / "wolds" / "older-people.yaml").write_text(text, encoding="utf-8")
    return ws


PLAIN_PLAN = """\
document_control:
  title: no
  version_history:
    - version: 1.10
      date: 2014-01-10
themes:
  - id: home
    name: yes
intentions:
  - id: 010
    theme: home
    title: Review the home care framework
  - id: 1.10
    theme: home
    title: Extend telecare
    cycle:
      same_as: 010
    drivers: [on]
"""


def test_yes_no_and_numbers_in_text_fields_are_the_text_typed(tmp_path):
    # YAML 1.1 reads `no` as false, `1.10` as 1.1 and `010` as 8 (octal): the document must show
    # what the plan says, and `same_as: 010` must find the intention 010, not one called 8.
    params = load_params(_minimal(tmp_path, PLAIN_PLAN))
    strategy = params.strategies[("wolds", "older-people")]
    assert strategy.document_control.title == "no"
    assert strategy.document_control.version_history[0].version == "1.10"
    assert strategy.themes[0].name == "yes"
    assert [i.id for i in strategy.intentions] == ["010", "1.10"]
    assert strategy.intentions[1].cycle.same_as == "010" and strategy.intentions[1].drivers == ["on"]


def test_yes_where_a_number_is_expected_is_an_error_not_one(tmp_path):
    # `likelihood: yes` used to be read as true, and true as the score 1.
    plan = PLAIN_PLAN + "risks:\n  - id: R1\n    title: Providers leave\n    inherent:\n      likelihood: yes\n" \
                        "      impact: 3\n"
    problems = problems_of(_minimal(tmp_path, plan))
    [problem] = [p for p in problems if p.field == "risks[R1].inherent.likelihood"]
    assert problem.line == 23 and "'yes'" in problem.message
    assert problem.fix.startswith("write a plain number such as 3 or 2.5")


def test_an_unquoted_date_in_a_text_field_says_to_quote_it(tmp_path):
    plan = PLAIN_PLAN.replace("    title: Extend telecare\n", "    title: Extend telecare\n    timescale: 2015-03-31\n")
    [problem] = problems_of(_minimal(tmp_path, plan))
    assert problem.field == "intentions[1.10].timescale" and problem.line == 16
    assert problem.fix.startswith("YAML reads an unquoted date as a date: put the text in quotes")


def test_yes_no_still_answer_yes_no_fields_and_numbers_stay_numbers(tmp_path):
    plan = PLAIN_PLAN + "risks:\n  - id: R1\n    title: Providers leave\n    review_flag: yes\n    inherent:\n" \
                        "      likelihood: 04\n      impact: 3\n"
    [risk] = load_params(_minimal(tmp_path, plan)).strategies[("wolds", "older-people")].risks
    assert risk.review_flag is True and risk.inherent.likelihood == 4 and risk.inherent.score == 12
