"""`strategy-docs validate`: params and data checked together, nothing executed."""

from __future__ import annotations

from click.testing import CliRunner

from strategy_docs.cli import main

from .conftest import edit_yaml


def test_stated_budget_total_that_disagrees_with_the_lines_is_an_error(workspace):
    path = workspace / "params" / "strategies" / "northshire" / "carers.yaml"
    group = {}

    def change(data):
        totals = data["budget_totals"]["groups"]
        name = next(iter(totals))
        group["name"], group["stated"] = name, totals[name]
        totals[name] = totals[name] + 1000

    edit_yaml(path, change)
    result = CliRunner().invoke(main, ["validate", "--workspace", str(workspace)])
    assert result.exit_code == 2, result.output
    assert "params/strategies/northshire/carers.yaml" in result.output
    assert f"budget_totals.groups.{group['name']}" in result.output
    assert f"{group['stated'] + 1000:,.0f}" in result.output.replace("£", "")
    assert not (workspace / "build" / "2026-27").exists()


def test_valid_workspace_reports_counts(workspace):
    result = CliRunner().invoke(main, ["validate", "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output
    assert "Valid: 15 documents, 3 authorities, 5 client groups" in result.output


def test_unknown_authority_filter_is_a_usage_error(workspace):
    result = CliRunner().invoke(main, ["build", "-a", "atlantis", "--workspace", str(workspace)])
    assert result.exit_code == 2
    assert "'atlantis' is not an authority in the build matrix" in result.output
