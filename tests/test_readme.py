"""The README's two commands are the product's front door, and CI runs the second one."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _first_bash_block() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```bash\n(.*?)\n```$", text, re.S | re.M)
    assert block, "README.md must open with a bash block of two commands"
    return block.group(1).splitlines()


def test_readme_opens_with_exactly_two_commands_that_make_their_own_environment():
    build, tests = _first_bash_block()
    # A fresh machine has Python and pip only: each command makes the environment it runs in,
    # and the test command empties it first, so nothing installed before can hide a missing
    # or incompatible dependency.
    assert build.startswith("python3 -m venv .venv && ") and build.endswith(" build")
    assert tests.startswith("python3 -m venv --clear .venv && ")
    assert '.venv/bin/python -m pip install -e ".[test]"' in tests
    assert tests.endswith(".venv/bin/python -m pytest -q -n 2 --dist loadfile")  # both cores of the CI machine


def test_ci_runs_the_readmes_second_command(tmp_path):
    # .ci/run reads the command from the README; with a README whose second command only
    # prints, .ci/run must print exactly that.
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "run").write_text((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    (tmp_path / "README.md").write_text("# x\n\n```bash\necho build\necho 'the tests ran'\n```\n")
    done = subprocess.run(["bash", str(tmp_path / ".ci" / "run")], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["+ echo 'the tests ran'", "the tests ran"]


def test_ci_fails_without_a_second_command(tmp_path):
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "run").write_text((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    (tmp_path / "README.md").write_text("# x\n\n```bash\necho build\n```\n")
    done = subprocess.run(["bash", str(tmp_path / ".ci" / "run")], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "no second command" in done.stderr
