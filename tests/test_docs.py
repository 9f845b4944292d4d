"""The documentation cannot drift: the reference is generated, documented commands run."""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_document_reference_is_up_to_date():
    result = subprocess.run([sys.executable, "docs/generate_reference.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + "\nRun: python docs/generate_reference.py"


def test_tutorial_commands_run(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "tutorial.md").read_text()
    commands = [line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.splitlines()
                if line.startswith("warroom ") and "my-staffing" not in line]
    assert len(commands) >= 4
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in commands:
        args = shlex.split(command.split("#")[0])[1:]
        args = [("200" if a in ("2000", "5000") else a) for a in args]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (command, result.output)
    assert (tmp_path / "results" / "summary.json").exists()


def test_python_howto_runs():
    code = re.search(r"```python\n(.*?)```", (ROOT / "docs" / "howto" / "python.md").read_text(), re.S)[1]
    namespace: dict = {}
    exec(code.replace("replications=2000", "replications=200"), namespace)
    assert namespace["result"].incidents["option"].nunique() == 2


def test_drill_howto_commands_run(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "howto" / "run-a-drill.md").read_text()
    commands = [line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.splitlines()
                if line.startswith("warroom ") and "my-" not in line and "DRILL_ID" not in line
                and "--console" not in line and "--web" not in line]
    assert len(commands) >= 3
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in commands:
        args = shlex.split(command.split("#")[0])[1:]
        if args[:2] == ["drill", "run"]:
            args += ["--baseline", "200"]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (command, result.output)
    assert (tmp_path / "msel.csv").exists()


def test_reports_howto_commands_run(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "howto" / "reports.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S)[1].replace("\\\n", " ")
    commands = [line.split("  #")[0].split(" > ")[0] for line in block.splitlines() if line.startswith("warroom ")]
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in commands:
        args = shlex.split(command)[1:]
        if "--plan" in args and "plan.yaml" in args and not (tmp_path / "plan.yaml").exists():
            (tmp_path / "plan.yaml").write_text(runner.invoke(main, ["report", "aar", "latest", "--plan-template"]).output)
        if args[0] == "compare":
            args += ["-n", "200", "-q"]
        if args[-1].endswith(".pdf") and not shutil.which("chromium"):
            continue
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (command, result.output)
    assert (tmp_path / "results" / "comparison.html").exists() and (tmp_path / "aar.html").exists()


def test_scale_out_howto_commands_run(tmp_path, monkeypatch, cloudflare, staffing, dask_cluster):
    """Every local command of the scale-out how-to (a remote --scheduler cannot run here), and
    its Python example, pointed (as its comment offers) at a running cluster: the shared one."""
    text = (ROOT / "docs" / "howto" / "scale-out.md").read_text()
    blocks = [b.replace("\\\n", " ") for b in re.findall(r"```sh\n(.*?)```", text, re.S)]
    commands = [line.split("  #")[0] for block in blocks for line in block.splitlines()
                if line.startswith("warroom ") and "--scheduler" not in line]
    assert len(commands) == 5
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in commands:
        args = [("600" if a in ("5000", "20000") else a) for a in shlex.split(command)[1:]]
        result = runner.invoke(main, [*args, "-q"] if args[0] != "report" else args)
        assert result.exit_code == 0, (command, result.output)
    assert sorted(p.name for p in (tmp_path / "lean").iterdir()) == ["comparison.html", "summary.json"]
    assert (tmp_path / "results" / "incidents.parquet").exists()
    code = re.search(r"```python\n(.*?)```", text, re.S)[1]
    namespace = {"scenarios": [cloudflare], "options": [staffing("cloudflare-2019-sre"), staffing("follow-the-sun")]}
    address = dask_cluster.cluster.scheduler_address
    assert "scheduler=None" in code
    exec(code.replace("replications=5000", "replications=600").replace("scheduler=None", f"scheduler={address!r}"),
         namespace)
    assert namespace["results"][0].settings["executor"] == f"dask, {address}"


def test_adaptive_howto_commands_run(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "howto" / "adaptive.md").read_text()
    commands = [line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.splitlines()
                if line.startswith("warroom ")]
    assert len(commands) == 3
    monkeypatch.chdir(ROOT)
    runner = CliRunner()
    outputs = []
    for command in commands:
        args = [a.replace("adaptive/", f"{tmp_path}/adaptive/") for a in shlex.split(command)[1:]]
        result = runner.invoke(main, [*args, "-q"], env={"COLUMNS": "400"})  # lines as wide as the how-to's
        assert result.exit_code == 0, (command, result.output)
        assert "Decided:" in result.output or "Adaptive:" in result.output
        outputs.append(result.output)
    # The figures the how-to quotes are the ones the first command prints.
    quoted = re.search(r"```text\n(.*?)```", text, re.S)[1]
    assert quoted.strip() in outputs[0]
    assert "5,500 incidents simulated in all, against 80,000" in outputs[2]
    assert (tmp_path / "adaptive" / "comparison.html").exists()
