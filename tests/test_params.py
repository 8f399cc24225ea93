"""Parameters validation: every problem reported at once, with file, line, field and fix."""

from __future__ import annotations

import copy

import pytest
import yaml

from strategy_docs.errors import ParamsError
from strategy_docs.inputs.params import Edition, contrast_ratio, load_params, matrix_pairs

from .conftest import edit_yaml, first_authority, first_pair


def problems_of(ws) -> list:
    with pytest.raises(ParamsError) as info:
        load_params(ws)
    return info.value.problems


def test_example_workspace_is_valid():
    from .conftest import REPO

    params = load_params(REPO)
    assert len(params.authorities) >= 3
    assert len(params.client_groups) == 5
    assert len(params.strategies) == len(params.pairs()) == 16  # 3 x 5 synthetic, and Holmdale's partial plan
    assert {a.nation for a in params.authorities.values()} == {"england", "wales"}


def test_edition_labels():
    edition = Edition(start_year=2026, years=3)
    assert edition.label == "2026/27 to 2028/29"
    assert edition.slug == "2026-27"
    assert edition.end_year == 2028
    assert edition.financial_years == ["2026/27", "2027/28", "2028/29"]
    assert Edition(start_year=2099, years=1).label == "2099/00 to 2099/00"


def test_unknown_key_wrong_type_and_missing_field_reported_together(workspace):
    authority, group = first_pair(workspace)
    path = workspace / "params" / "strategies" / authority / f"{group}.yaml"

    first_intention = yaml.safe_load(path.read_text())["intentions"][0]["id"]

    def break_it(data):
        data["document_control"]["titel"] = "typo"
        data["risks"][0]["inherent"]["likelihood"] = "very"
        del data["intentions"][0]["title"]  # identity: still required (owner, scores... may be left out)
        del data["document_control"]["owner"]

    edit_yaml(path, break_it)
    problems = problems_of(workspace)
    mine = [p for p in problems if p.file == f"params/strategies/{authority}/{group}.yaml"]
    fields = {p.field for p in mine}
    assert "document_control.titel" in fields
    assert "risks[R1].inherent.likelihood" in fields  # items named by their id
    assert f"intentions[{first_intention}].title" in fields
    unknown = next(p for p in mine if p.field == "document_control.titel")
    assert "unknown key 'titel'" in unknown.message
    assert unknown.line is not None and unknown.line > 1
    text = path.read_text().splitlines()[unknown.line - 1]
    assert "titel" in text


def test_value_out_of_range_and_duplicate_ids(workspace):
    authority, group = first_pair(workspace)
    path = workspace / "params" / "strategies" / authority / f"{group}.yaml"

    def break_it(data):
        data["risks"][0]["residual"]["impact"] = 7
        data["risks"][1]["id"] = data["risks"][0]["id"]

    edit_yaml(path, break_it)
    problems = problems_of(workspace)
    assert any(p.field == "risks[0].residual.impact" and "less than or equal to 5" in p.message for p in problems)
    assert any(p.field == "risks[1].id" and "used twice" in p.message for p in problems)


def test_reference_to_unknown_hypothesis_theme_and_outcome(workspace):
    authority, group = first_pair(workspace)
    path = workspace / "params" / "strategies" / authority / f"{group}.yaml"

    def break_it(data):
        data["gap_analysis"][0]["hypotheses"] = ["H99"]
        data["intentions"][0]["theme"] = "no-such-theme"
        data["intentions"][0]["outcomes"] = ["ZZ9"]

    edit_yaml(path, break_it)
    messages = {p.field: p.message for p in problems_of(workspace)}
    assert "hypothesis 'H99'" in messages["gap_analysis[0].hypotheses[0]"]
    intention = yaml.safe_load(path.read_text())["intentions"][0]["id"]  # items are named by id, not position
    assert "theme 'no-such-theme'" in messages[f"intentions[{intention}].theme"]
    assert "outcome 'ZZ9'" in messages[f"intentions[{intention}].outcomes[0]"]


def test_yaml_syntax_error_names_the_line(workspace):
    authority = first_authority(workspace)
    path = workspace / "params" / "authorities" / f"{authority}.yaml"
    lines = path.read_text().splitlines()
    lines.insert(3, "name: [unclosed")
    path.write_text("\n".join(lines) + "\n")
    problems = problems_of(workspace)
    syntax = [p for p in problems if p.file == f"params/authorities/{authority}.yaml"]
    assert syntax and "not valid YAML" in syntax[0].message
    assert syntax[0].line is not None and 4 <= syntax[0].line <= 6


def test_empty_file_and_not_a_mapping(workspace):
    authority = first_authority(workspace)
    (workspace / "params" / "authorities" / f"{authority}.yaml").write_text("")
    (workspace / "params" / "client-groups" / "carers.yaml").write_text("- just\n- a list\n")
    problems = problems_of(workspace)
    assert any(p.file.endswith(f"{authority}.yaml") and "empty" in p.message for p in problems)
    assert any(p.file.endswith("carers.yaml") and "mapping" in p.message for p in problems)


def test_python_object_tags_are_refused(workspace):
    authority = first_authority(workspace)
    path = workspace / "params" / "authorities" / f"{authority}.yaml"
    path.write_text(path.read_text() + "exploit: !!python/object/apply:os.system ['echo owned']\n")
    problems = problems_of(workspace)
    assert any("'!!' tag" in p.fix for p in problems)


def test_matrix_names_unknown_authority(workspace):
    edit_yaml(workspace / "params" / "project.yaml",
              lambda d: d.setdefault("matrix", {}).update(authorities=["atlantis"]))
    problems = problems_of(workspace)
    assert any(p.field == "matrix.authorities[0]" and "atlantis" in p.message for p in problems)


def test_missing_strategy_file_names_the_fix(workspace):
    authority, group = first_pair(workspace)
    (workspace / "params" / "strategies" / authority / f"{group}.yaml").unlink()
    problems = problems_of(workspace)
    missing = next(p for p in problems if p.file == f"params/strategies/{authority}/{group}.yaml")
    assert "missing" in missing.message and "matrix.exclude" in missing.fix


def test_brand_colour_must_meet_contrast(workspace):
    authority = first_authority(workspace)
    edit_yaml(workspace / "params" / "authorities" / f"{authority}.yaml",
              lambda d: d.setdefault("branding", {}).update(colour="#ffcc00"))
    problems = problems_of(workspace)
    colour = next(p for p in problems if p.field == "branding.colour")
    assert "contrast ratio" in colour.message


def test_contrast_ratio_known_values():
    assert contrast_ratio("#000000") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff") == pytest.approx(1.0)
    # #767676 on white is the classic just-passing grey: 4.54:1.
    assert contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)


def test_logo_outside_workspace_is_refused(workspace):
    authority = first_authority(workspace)
    edit_yaml(workspace / "params" / "authorities" / f"{authority}.yaml",
              lambda d: d.setdefault("branding", {}).update(logo="../../etc/passwd"))
    problems = problems_of(workspace)
    assert any(p.field == "branding.logo" and "outside the workspace" in p.message for p in problems)


def test_identifiers_must_be_slugs(workspace):
    authority = first_authority(workspace)
    src = workspace / "params" / "authorities" / f"{authority}.yaml"
    src.rename(workspace / "params" / "authorities" / "Bad Name.yaml")
    problems = problems_of(workspace)
    assert any("Bad Name" in p.message and "not a valid identifier" in p.message for p in problems)


def test_matrix_exclusions():
    from strategy_docs.inputs.params import Project

    project = Project(name="x", edition={"start_year": 2026},
                      matrix={"exclude": [{"authority": "a", "client_group": "y"}]})
    assert matrix_pairs(project, ["b", "a"], ["y", "x"]) == [("a", "x"), ("b", "x"), ("b", "y")]


def test_every_required_field_and_type_error_says_how_to_leave_a_thing_out(workspace):
    authority, group = first_pair(workspace)
    path = workspace / "params" / "strategies" / authority / f"{group}.yaml"

    def break_it(data):
        data["risks"][0]["inherent"]["likelihood"] = "very"
        del data["risks"][1]["residual"]["impact"]
        data["indicators"][0]["target"] = "seventy"
        del data["intentions"][0]["title"]

    ids = yaml.safe_load(path.read_text())
    risk0, risk1 = ids["risks"][0]["id"], ids["risks"][1]["id"]
    indicator0, intention0 = ids["indicators"][0]["id"], ids["intentions"][0]["id"]
    edit_yaml(path, break_it)
    fixes = {p.field: p.fix for p in problems_of(workspace) if p.file.endswith(f"{group}.yaml")}
    assert "leave out 'inherent'" in fixes[f"risks[{risk0}].inherent.likelihood"]
    assert fixes[f"risks[{risk1}].residual.impact"].startswith("add it.") and "leave out 'residual'" in fixes[f"risks[{risk1}].residual.impact"]
    assert "leave out 'target'" in fixes[f"indicators[{indicator0}].target"]
    assert "identifies the document or the entry, so it cannot be left out" in fixes[f"intentions[{intention0}].title"]


def test_a_test_missing_a_required_argument_is_an_error_not_a_failed_section(workspace):
    authority, group = first_pair(workspace)
    path = workspace / "params" / "strategies" / authority / f"{group}.yaml"
    data = yaml.safe_load(path.read_text())
    index = next(i for i, h in enumerate(data["hypotheses"]) if (h.get("test") or {}).get("metric") == "need_change_percent")
    edit_yaml(path, lambda d: d["hypotheses"][index]["test"]["args"].pop("measure"))
    [problem] = [p for p in problems_of(workspace) if p.field == f"hypotheses[{data['hypotheses'][index]['id']}].test.args"]
    assert "needs the argument 'measure'" in problem.message and "leave out 'test'" in problem.fix


def test_a_test_year_that_is_not_a_year_is_an_error_not_a_failed_section(workspace):
    # the params model lets any text through as an argument; evaluating the test needs a whole year
    authority, group = first_pair(workspace)
    path = workspace / "params" / "strategies" / authority / f"{group}.yaml"
    data = yaml.safe_load(path.read_text())
    index = next(i for i, h in enumerate(data["hypotheses"]) if (h.get("test") or {}).get("metric") == "need_change_percent")
    edit_yaml(path, lambda d: d["hypotheses"][index]["test"]["args"].update(to_year="soon"))
    [problem] = [p for p in problems_of(workspace) if p.field == f"hypotheses[{data['hypotheses'][index]['id']}].test.args"]
    assert problem.message == "metric 'need_change_percent': arg 'to_year' must be a whole year, got 'soon'."
    assert "2030" in problem.fix


def test_gap_uptake_rate_must_name_a_service_and_be_a_percentage(workspace):
    authority, group = first_pair(workspace)
    path = workspace / "params" / "strategies" / authority / f"{group}.yaml"

    def break_it(data):
        row = next(r for r in data["gap_analysis"] if r.get("measure"))
        row["uptake_rate"] = {"No such service": 5, row["service_types"][0]: 0}

    edit_yaml(path, break_it)
    messages = {p.field: p.message for p in problems_of(workspace)}
    [i] = {f.split("]")[0].split("[")[1] for f in messages if ".uptake_rate" in f}
    assert "unknown service type 'No such service'" in messages[f"gap_analysis[{i}].uptake_rate.No such service"]
    assert "not a percentage" in " ".join(m for f, m in messages.items() if ".uptake_rate" in f)


# ---------------------------------------------------------------- cross-checks within one plan (check_strategy)

def _plan_problems(severity: str = "error", **fields) -> list:
    """Errors check_strategy finds in the minimal plan (two themes, three intentions) with `fields` changed."""
    from strategy_docs.inputs.params import Authority, ClientGroup, Strategy, check_strategy
    from strategy_docs.inputs.yamlio import LineMap

    from .test_minimal_plan import STRATEGY

    plan = Strategy.model_validate({**copy.deepcopy(STRATEGY), **fields})
    authority = Authority.model_validate({"name": "Wolds Borough Council", "nation": "england"})
    return [p for p in check_strategy(plan, authority, ClientGroup(name="Older people"), "s.yaml", LineMap())
            if p.severity == severity]


def test_the_minimal_plan_has_no_cross_check_errors():
    assert _plan_problems() == []


def test_two_sections_with_one_number_are_an_error():
    [problem] = _plan_problems(sections=[{"id": "context", "number": "1"}, {"id": "intentions", "number": "1"}])
    assert problem.field == "sections[intentions].number"
    assert problem.message == "the number '1' is also given to sections[0]."


def test_a_theme_with_no_intentions_is_a_warning_not_silently_dropped():
    from .test_minimal_plan import STRATEGY

    themes = STRATEGY["themes"] + [{"id": "housing", "name": "Housing with care", "summary": "More extra care."}]
    assert _plan_problems(themes=themes) == []  # not an error: a theme's last intention may be done and removed
    [problem] = _plan_problems(themes=themes, severity="warning")
    assert problem.field == "themes[housing]" and "has no intentions" in problem.message
    assert "theme: housing" in problem.fix


def test_an_unknown_theme_in_a_plan_with_no_themes_says_how_to_add_one():
    found = _plan_problems(themes=[])
    assert [p.field for p in found] == ["intentions[1.1].theme", "intentions[1.2].theme", "intentions[2.1].theme"]
    assert found[0].fix == "add the theme under 'themes' (- id: home, with its name)."  # not "use one of: ."


def test_an_unknown_cycle_stage_has_a_fix():
    from .test_minimal_plan import INTENTIONS

    intentions = copy.deepcopy(INTENTIONS)
    intentions[1]["cycle"] = {"current": "Implementing"}
    [problem] = _plan_problems(intentions=intentions)
    assert problem.field == "intentions[1.2].cycle.current" and "cycle.synonyms" in problem.fix


def _minimal_ws(tmp_path):
    from .test_minimal_plan import minimal_workspace

    return minimal_workspace(tmp_path / "ws")


def test_a_welsh_strategy_file_is_not_silently_ignored(tmp_path):
    ws = _minimal_ws(tmp_path)
    folder = ws / "params" / "strategies" / "wolds"
    (folder / "older-people.cy.yaml").write_text((folder / "older-people.yaml").read_text())
    [problem] = problems_of(ws)
    assert problem.file == "params/strategies/wolds/older-people.cy.yaml" and "never read" in problem.message
    assert "{en: ..., cy: ...}" in problem.fix


def test_a_welsh_authority_file_is_one_problem_with_the_fix(tmp_path):
    ws = _minimal_ws(tmp_path)
    folder = ws / "params" / "authorities"
    (folder / "wolds.cy.yaml").write_text((folder / "wolds.yaml").read_text())
    [problem] = problems_of(ws)  # not also "params/strategies/wolds.cy/older-people.yaml is missing"
    assert problem.file == "params/authorities/wolds.cy.yaml" and "wolds.yaml" in problem.fix


def test_strategy_files_no_document_reads_are_errors(tmp_path):
    ws = _minimal_ws(tmp_path)
    strategies = ws / "params" / "strategies"
    text = (strategies / "wolds" / "older-people.yaml").read_text()
    (strategies / "wolds" / "older-peple.yaml").write_text(text)
    (strategies / "wold").mkdir()
    (strategies / "wold" / "older-people.yaml").write_text(text)
    found = {p.file: p for p in problems_of(ws)}
    assert set(found) == {"params/strategies/wolds/older-peple.yaml", "params/strategies/wold/"}
    assert found["params/strategies/wolds/older-peple.yaml"].fix.startswith("did you mean 'older-people'?")
    assert found["params/strategies/wold/"].fix.startswith("did you mean 'wolds'?")


def test_a_plan_published_after_its_period_ends_is_an_error(tmp_path):
    from .test_minimal_plan import STRATEGY, minimal_workspace

    plan = copy.deepcopy(STRATEGY)
    plan["document_control"]["publication_date"] = "2017-04-01"  # the 2014/15 to 2016/17 period ends 31 March 2017
    [problem] = problems_of(minimal_workspace(tmp_path / "ws", plan))
    assert problem.field == "document_control.publication_date" and problem.line == 3
    assert "after the end of the strategy period (2014/15 to 2016/17, 1 April 2014 to 31 March 2017)" in problem.message


def test_a_plan_valid_until_before_its_period_starts_is_an_error(tmp_path):
    from .test_minimal_plan import STRATEGY, minimal_workspace

    plan = copy.deepcopy(STRATEGY)
    plan["document_control"].update(publication_date="2013-01-10", valid_until="2014-03-31")
    [problem] = problems_of(minimal_workspace(tmp_path / "ws", plan))
    assert problem.field == "document_control.valid_until" and "before the start" in problem.message


def test_a_previous_edition_that_is_not_earlier_is_an_error(workspace):
    edit_yaml(workspace / "params" / "project.yaml", lambda d: d.update(previous_edition=Edition.model_validate(
        d["edition"]).slug))
    [problem] = [p for p in problems_of(workspace) if p.file == "params/project.yaml"]
    assert "is not before this edition" in problem.message


def test_a_target_worse_than_its_baseline_is_a_warning():
    indicators = [{"id": "i1", "name": "Delayed discharges", "polarity": "lower", "baseline": 12, "target": 15},
                  {"id": "i2", "name": "Reablement", "polarity": "higher", "baseline": 80, "target": 80},
                  {"id": "i3", "name": "Home care hours", "polarity": "higher", "baseline": 80, "target": 85}]
    found = _plan_problems(severity="warning", indicators=indicators)
    assert [(p.field, p.message) for p in found] == [
        ("indicators[i1].target", "the target 15 is worse than the baseline 12, although lower is better (polarity: lower)."),
        ("indicators[i2].target", "the target 80 is the same as the baseline 80, although higher is better (polarity: higher).")]
