"""The installed wheel: grammar and contracts inside it, the command working
from outside the checkout, in a fresh virtual environment."""

import shutil
import subprocess
import sys
import venv

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow  # builds a wheel and a virtual environment (about 40 s)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy of the checkout: setuptools writes build/ and the
    # egg-info beside the sources, and under `-n 2` each worker builds its own
    # wheel, which in one folder tread on each other.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(work / "dist"),
                            str(source)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = (work / "dist").glob("contract_rules-*.whl")
    environment = work / "venv"
    venv.create(environment, with_pip=True)
    bin_dir = environment / ("Scripts" if sys.platform == "win32" else "bin")
    install = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    return wheel, bin_dir, work


def test_wheel_holds_grammar_and_contracts(installed):
    import zipfile
    wheel, _, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "rules_engine/grammar/rules.lark" in names
    assert "rules_engine/grammar/rules.tables.json" in names  # its LALR tables: no run builds them
    assert "rules_engine/errors/E-SYNTAX-001.yaml" in names  # the error catalogue
    assert any(n.startswith("rules_engine/contracts/national/") and n.endswith(".rules") for n in names)


def test_installed_command_runs_outside_the_checkout(installed):
    _, bin_dir, work = installed
    outside = work / "elsewhere"
    outside.mkdir()
    shutil.copy(ROOT / "examples" / "pcn-failing.yaml", outside / "pcn.yaml")
    command = str(bin_dir / "contract-rules")
    version = subprocess.run([command, "--version"], capture_output=True, text=True, cwd=outside)
    assert version.returncode == 0 and "contract-rules" in version.stdout
    check = subprocess.run([command, "check", "pcn.yaml", "--format", "json"], capture_output=True,
                           text=True, cwd=outside)
    assert check.returncode == 1, check.stderr
    assert '"des.pcn.minimum-population"' in check.stdout
    assert "contracts/national/network_des.rules" in check.stdout


def test_installed_command_explains_an_error_code(installed):
    _, bin_dir, work = installed
    explained = subprocess.run([str(bin_dir / "contract-rules"), "explain-error", "E-LAYER-002"],
                               capture_output=True, text=True, cwd=work)
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.startswith("E-LAYER-002: variation of a locked term\n")
    assert "error[E-LAYER-002]" in explained.stdout
