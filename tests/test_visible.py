"""No terminal hijacked by input (issue 18, item 3): every string from input
shown on a terminal goes through `base.visible.visible`, which makes every
control character visible.

A property test over all of C0, C1, DEL, ESC sequences (CSI, OSC ... BEL,
OSC 52), bidi controls and the other format characters; then the command line
(in this process) whose input carries an OSC sequence in a PCN code, an unknown key, a
population line, a scenario name and a rule file's `because`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata

from hypothesis import assume, given, strategies as st

from rules_engine.base.visible import visible
from rules_engine.cli_support import _OWN_STYLES, shown

from conftest import ROOT, run_in_process

CONTROL_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}
CONTROLS = [chr(c) for c in range(sys.maxunicode + 1)
            if unicodedata.category(chr(c)) in CONTROL_CATEGORIES]
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
SEQUENCES = ["\x1b]0;title\x07", "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGU=\x07", "\x1b[2J", "\x1b[8m",
             "\x1bP+q\x1b\\", "\x9b31m", "\x9d0;t\x9c", "\x1b]8;;https://x.example\x1b\\"]

texts = st.lists(st.one_of(st.sampled_from(CONTROLS), st.sampled_from(SEQUENCES),
                           st.characters(), st.text(max_size=5)), max_size=30).map("".join)


def _no_control(text: str, allowed: str = "") -> bool:
    return not any(unicodedata.category(c) in CONTROL_CATEGORIES and c not in allowed for c in text)


def test_every_control_character_is_covered():
    assert len(CONTROLS) > 2000  # C0, DEL, C1, format characters, surrogates
    assert all(visible(c) == f"\\u{ord(c):04x}" for c in CONTROLS if ord(c) <= 0xFFFF)
    assert all(c in CONTROLS for c in BIDI)


def test_ascii_text_is_judged_as_the_character_class_judges_it():
    # ASCII text takes a fast path (bytes.translate): every ASCII character,
    # alone and inside a long line, with and without kept line ends and tabs.
    for keep in ("", "\n", "\n\t"):
        for point in range(0x80):
            c = chr(point)
            hidden = (point < 0x20 or point == 0x7f) and c not in keep
            expected = f"\\u{point:04x}" if hidden else c
            assert visible(c, keep=keep) == expected
            assert visible("a" * 5000 + c + "b", keep=keep) == "a" * 5000 + expected + "b"
    assert visible('{"id":"x"}\n', keep="\n\t") == '{"id":"x"}\n'


@given(texts)
def test_visible_leaves_no_control_character_and_keeps_the_rest(text):
    assume("\\" not in text)
    out = visible(text)
    assert _no_control(out)
    # every other character is kept, in order; each control character is one escape
    assert re.sub(r"\\u[0-9a-f]{4}", "", out) == "".join(c for c in text if _no_control(c))
    assert len(re.findall(r"\\u[0-9a-f]{4}", out)) == sum(
        1 if ord(c) <= 0xFFFF else 2 for c in text if not _no_control(c))


@given(texts)
def test_shown_keeps_only_line_ends_tabs_and_our_own_colours(text):
    assert _no_control(shown(text), "\n\t")
    assert _no_control(_OWN_STYLES.sub("", shown(text, color=True)), "\n\t")


def test_a_json_report_passed_through_visible_reads_back_the_same():
    data = {"code": "U1\u202e\x9b\u2028" + "\U000e0041", "key": "\x1b]0;t\x07"}
    text = json.dumps(data, ensure_ascii=False)
    assert json.loads(visible(text)) == data


# ------------------------------------------------------------ real processes

OSC = "\x1b]0;pwned\x07"
YAML_OSC = '"U54321\\e]0;pwned\\a"'
JSON_OSC = "U21001\\u001b]0;pwned\\u0007"


def _run(*args, cwd, stdin=None):
    """The command line, in this process (conftest.run_in_process)."""
    return run_in_process(*args, cwd=cwd, input=stdin)


def _clean(result) -> str:
    said = result.stdout + result.stderr
    assert "\x1b" not in said and "\x07" not in said, said
    assert "\\u001b]0;pwned\\u0007" in said, said
    return said


def test_a_pcn_code_and_an_unknown_key(tmp_path):
    # YAML and JSON refuse a raw ESC: the escapes of a double-quoted string make one
    text = (ROOT / "examples" / "pcn-failing.yaml").read_text().replace("U54321", YAML_OSC, 1)
    assert YAML_OSC in text
    (tmp_path / "a.yaml").write_text(text)
    _clean(_run("check", "a.yaml", cwd=tmp_path))
    _clean(_run("check", "a.yaml", "-o", "out.txt", cwd=tmp_path) and
           subprocess.CompletedProcess([], 0, (tmp_path / "out.txt").read_text(), ""))
    (tmp_path / "b.yaml").write_text(text.replace("pcn:\n", f"pcn:\n  {YAML_OSC}: 1\n", 1))
    _clean(_run("check", "b.yaml", cwd=tmp_path))


def test_a_population_line(tmp_path):
    lines = (ROOT / "examples" / "population-qmm.jsonl").read_text().splitlines()
    assert '"U21001"' in lines[0]
    (tmp_path / "p.jsonl").write_text(lines[0].replace('"U21001"', f'"{JSON_OSC}"') + "\n"
                                      + lines[0].replace('"pcn":{', f'"pcn":{{"{JSON_OSC}":1,') + "\n")
    _clean(_run("check", "--population", "p.jsonl", cwd=tmp_path))


def test_a_scenario_name_and_a_because(tmp_path):
    shutil.copy(ROOT / "examples" / "pcn-rural-qmm.yaml", tmp_path / "a.yaml")
    layer = (ROOT / "contracts" / "local" / "qmm.rules").read_text()
    assert 'because "' in layer
    (tmp_path / "q.rules").write_text(layer.replace('because "', f'because "{OSC}', 1))
    said = _clean(_run("vary-check", "q.rules", cwd=tmp_path))
    assert "permitted" in said
    _clean(_run("explain", "des.pcn.minimum-population", "--arrangement", "a.yaml", "--local", "q.rules",
                cwd=tmp_path))
    (tmp_path / "s.yaml").write_text(f'cases:\n  - name: "x\\e]0;pwned\\a"\n    arrangement: a.yaml\n'
                                     f'    expect: {{outcome: fail}}\n    local: q.rules\n')
    _clean(_run("test", "s.yaml", cwd=tmp_path))
