"""reports/html_report.py: the self-contained HTML of check, vary-check and impact.

Plain tests read the HTML as text (no network references, user text escaped,
an anchor per result). Browser tests open each page from a file:// URL in
Debian's headless Chromium (selenium), check that the figures on screen match
the JSON of the same command, sort a table and save a screenshot under
tmp_path. Without chromium they skip, except in CI (CI set), where they fail.

Everything runs on a copy of the frozen fixture library (tests/golden/fixture)
with one payment added, so money figures are exercised too.
"""

from __future__ import annotations

import html
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from collections import Counter
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from rules_engine.cli import cli
from rules_engine.reports.json_lines import full_records
from rules_engine.reports import html_report

from conftest import GOLDEN, ROOT

SCRIPT = "<script>window.__pwned = 1</script>"

PAYMENT = """
define ea_payment for pcn: money =
    if pcn.raw_list_size >= min_pcn_population then round(pcn.adjusted_population * ea_rate, 2) else £0
  report pay.enhanced-access "Enhanced access payment"
  ref "§8.1.1"
"""

# The local layer for `check`: the fixture's rural layer with a hostile reason.
CHECK_LAYER = f"""local layer rural "A rural ICB" for icb QMM
  extends des
  effective 2025-04-01

vary min_pcn_population = 25000
  because "Sparse rural geography {SCRIPT}"

waive des.ea.standard-hours
  for pcn where pcn.code = "U2"
  because "No Saturday transport on the islands"
"""

# The proposal for `impact`: a lower minimum population.
PROPOSAL = f"""local layer rural "A rural ICB" for icb QMM
  extends des
  effective 2025-04-01

vary min_pcn_population = 21000
  because "Sparse rural geography; proposed {SCRIPT}"
"""

# For `vary-check`: two permitted changes, two refused.
VARY_LAYER = f"""local layer sparse "A sparse ICB" for icb QMM
  extends des

vary min_pcn_population = 22000
  because "Sparse rural geography"

vary ea_minutes_per_1000 = 30 minutes
  because "Fewer evening clinics"

waive des.pcn.clinical-director
  because "We have none"

waive des.ea.standard-hours
  for pcn where pcn.code = "U2"
  because "{SCRIPT}"
"""

PASSING = """as_of: 2025-06-01
icb: QMM
pcn:
  code: U5
  raw_list_size: 31000
  adjusted_population: 30500
  population_exception: none
  clinical_director_appointed: true
  enhanced_access: {minutes_per_week: 2000, weekday_evenings: true, saturdays: true}
practices:
  - ods_code: D5
"""

INCOMPLETE = """as_of: 2025-06-01
icb: QXX
pcn:
  code: U9
  clinical_director_appointed: false
practices:
  - ods_code: D9
"""


def _population(count: int = 30) -> str:
    lines = []
    for index in range(count):
        raw = 18000 + (index * 7919) % 22000  # a spread of list sizes, some under 30,000
        lines.append(json.dumps({
            "as_of": "2025-06-01", "icb": "QMM" if index % 5 else "QXX",
            "pcn": {"code": f"U{index:03d}", "raw_list_size": raw, "adjusted_population": raw + 250,
                    "population_exception": "none", "clinical_director_appointed": index % 7 != 0,
                    "enhanced_access": {"minutes_per_week": 1200 + 37 * index, "weekday_evenings": True,
                                        "saturdays": index % 3 != 0}},
            "practices": [{"ods_code": f"P{index:03d}"}]}))
    lines.insert(5, "this line is not JSON")
    return "\n".join(lines) + "\n"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> dict:
    """The files, and each command's HTML and JSON (the same command, two formats)."""
    root = tmp_path_factory.mktemp("html")
    library = root / "library"
    shutil.copytree(GOLDEN / "fixture", library)
    with open(library / "national" / "des.rules", "a", encoding="utf-8") as des:
        des.write(PAYMENT)
    files = {"library": library}
    for name, text in (("check.rules", CHECK_LAYER), ("proposal.rules", PROPOSAL),
                       ("vary.rules", VARY_LAYER), ("passing.yaml", PASSING),
                       ("incomplete.yaml", INCOMPLETE), ("population.jsonl", _population())):
        files[name] = root / name
        files[name].write_text(text, encoding="utf-8")
    mixed = GOLDEN / "reports" / "mixed.yaml"
    commands = {
        "check": ["check", "--rules", library, "--local", files["check.rules"], mixed,
                  files["passing.yaml"], files["incomplete.yaml"]],
        "vary": ["vary-check", files["vary.rules"], "--rules", library],
        "impact": ["impact", "--rules", library, "--population", files["population.jsonl"],
                   "--variation", files["proposal.rules"]],
        "population": ["check", "--rules", library, "--local", files["check.rules"],
                       "--population", files["population.jsonl"]],
    }
    out = {"root": root, "files": files}
    for name, command in commands.items():
        code, page = _run(*command, "--format", "html")
        json_code, text = _run(*command, "--format", "json")
        assert code == json_code, (name, code, json_code)
        path = root / f"{name}.html"
        path.write_text(page, encoding="utf-8")
        if name == "impact":
            lines = [json.loads(line) for line in text.splitlines() if line.strip()]
            data = {"summary": lines[-1]["summary"], "changed": lines[:-1]}
        elif name == "population":
            lines = list(full_records(text.splitlines()))  # the lean lines, read back
            data = {"summary": lines[-1]["summary"], "arrangements": lines[:-1]}
        else:
            data = json.loads(text)
        out[name] = {"html": page, "json": data, "path": path}
    return out


# ------------------------------------------------------------ plain checks

class _Page(HTMLParser):
    """Ids, links, external references and the result cards of a page."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.links: list[str] = []
        self.external: list[str] = []
        self.cards: list[dict] = []
        self.scripts = 0
        self._card: dict | None = None
        self._depth = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        for name in ("src", "href", "action", "data", "xlink:href", "poster"):
            value = attributes.get(name) or ""
            if re.match(r"\s*(https?:)?//", value, re.I):
                self.external.append(f"{tag} {name}={value}")
        if attributes.get("href", "").startswith("#"):
            self.links.append(attributes["href"][1:])
        if tag == "script":
            self.scripts += 1
            if "src" in attributes:
                self.external.append(f"script src={attributes['src']}")
        if tag == "link":
            self.external.append(f"link {attributes}")
        if tag == "article" and "result" in (attributes.get("class") or "").split():
            self._card = {**attributes, "text": ""}
            self._depth = 0
            self.cards.append(self._card)
        if self._card is not None and tag == "article":
            self._depth += 1

    def handle_endtag(self, tag):
        if self._card is not None and tag == "article":
            self._depth -= 1
            if self._depth == 0:
                self._card = None

    def handle_data(self, data):
        if self._card is not None:
            self._card["text"] += data


def _pages(work):
    return [(name, work[name]["html"]) for name in ("check", "vary", "impact", "population")]


def test_pages_are_self_contained(work):
    for name, text in _pages(work):
        page = _Page(text)
        assert page.external == [], name
        assert page.scripts == 1, name  # the inline sorter, nothing else
        assert not re.search(r"@import|url\(", text), name
        assert "default-src 'none'" in text, name  # and the browser enforces it
        assert text.startswith("<!doctype html>"), name


def test_user_text_is_escaped(work):
    for name, text in _pages(work):
        assert SCRIPT not in text, name
        assert text.count("<script") == 1, name
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in work["check"]["html"]
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in work["vary"]["html"]


def test_every_result_has_its_anchor_with_clause_and_explanation(work):
    document = work["check"]["json"]
    page = _Page(work["check"]["html"])
    assert len(page.ids) == len(set(page.ids)), "element ids are unique"
    assert set(page.links) <= set(page.ids), "every #link has its target"
    cards = {c["id"]: c for c in page.cards}
    results = [(a, r) for a in document["arrangements"] for r in a["results"]]
    assert len(cards) == len(results)
    for arrangement, result in results:
        key = html_report.anchor("result", arrangement["id"], result["id"], result["subject"])
        card = cards[key]
        assert key in page.links, "the results table links to the card"
        assert (card["data-id"], card["data-subject"]) == (result["id"], result["subject"])
        text = " ".join(card["text"].split())
        for expected in (result["clause"], result["layer"], result["id"]):
            assert expected in text
        assert html_report.FLEXIBILITY_LABELS[result["flexibility"]] in text
        if result["flexibility"] == "varied":
            assert result["because"] in text
            for name, value in result["national"].items():
                assert f"{name} = {html_report.number(value)}" in text
        for path in result["missing"]:
            assert path in text
        if result["outcome"] in ("fail", "unknown"):
            # the why, rendered, and each operand of the deciding condition
            for line in result["why"]["text"]:
                assert " ".join(line.split()) in text
            for operand in result["why"].get("operands", []):
                assert operand["expression"] in text
        else:
            assert "why" not in result
        assert "contract-rules" not in text  # no report asks its reader to run a command
    assert any(r["missing"] for _, r in results) and any(r["flexibility"] == "varied" for _, r in results)


def test_no_page_holds_a_shell_command(work):
    for name in ("check", "population", "impact", "vary"):
        page = work[name]["html"]
        assert "contract-rules explain" not in page and "sed -n" not in page, name
        assert 'class="command"' not in page, name


def test_anchors_are_distinct():
    assert html_report.anchor("result", "U2", "a.b", "pcn:U2") == "result-U2__a.b__pcn:U2"
    made = {html_report.anchor("result", *parts) for parts in (
        ("a", "b_c", "d"), ("a_b", "c", "d"), ("a", "b c", "d"), ("a", "b_20c", "d"), ("a", "b", "c__d"))}
    assert len(made) == 5
    assert all(not re.search(r"\s", a) for a in made)


def test_histogram_bins_hold_every_arrangement():
    amounts = [Decimal(x) for x in ("-1500.00", "-20.50", "0.01", "250.00", "250.00", "9999.99")]
    chart = html_report.histogram(amounts)
    assert sum(bar["count"] for bar in chart["bars"]) == len(amounts)
    assert [bar["cls"] for bar in chart["bars"]][0] == "loss" and chart["bars"][-1]["cls"] == "gain"
    single = html_report.histogram([Decimal("12.00")] * 3)
    assert [bar["count"] for bar in single["bars"]] == [3]
    assert html_report.histogram([]) is None


def test_impact_through_the_api(work):
    from rules_engine.run.impact import ImpactSummary, impact
    from rules_engine.run.engine import Engine
    files = work["files"]
    baseline = Engine.load(files["library"], without=files["proposal.rules"])
    proposed = Engine.load(files["library"], files["proposal.rules"])
    summary = ImpactSummary()
    changed = [item for item in impact(baseline, proposed, files["population.jsonl"], None, summary)
               if not isinstance(item, Exception)]
    data = summary.as_json()
    assert data == work["impact"]["json"]["summary"]
    page = html_report.render_impact(data, changed)
    parsed = _Page(page)
    for item in changed:
        for change in item.changes:
            assert html_report.anchor("change", item.id, change.id, change.subject) in parsed.ids
    empty = html_report.render_impact({"arrangements": 3, "changed": 0, "bad_lines": 0, "transitions": {},
                                       "values": {}}, [])
    assert "The variation changes none of the 3 arrangements" in empty


def test_population_page_links_and_commands(work):
    page = _Page(work["population"]["html"])
    assert len(page.ids) == len(set(page.ids)) and set(page.links) <= set(page.ids)
    summary = work["population"]["json"]["summary"]
    population = str(work["files"]["population.jsonl"])
    not_passing = [a for a in work["population"]["json"]["arrangements"] if a["outcome"] != "pass"]
    assert not_passing and summary["bad_lines"] == 1
    text = work["population"]["html"]
    for arrangement in not_passing:
        line = int(arrangement["source"].rsplit(":", 1)[1])
        assert html_report.anchor("arrangement", arrangement["id"], str(line)) in page.ids
        first = next(r for r in arrangement["results"] if r["outcome"] in ("fail", "unknown"))
        assert html.escape(f"{first['subject']}: ", quote=True) in text
    for rule in {**summary["failing_requirements"], **summary["unknown_requirements"]}:
        assert html_report.anchor("requirement", rule) in page.ids


def test_the_population_page_is_the_same_when_its_rows_go_to_disk(work, monkeypatch):
    """The arrangements that do not pass are kept for the page a few in
    memory, the rest on disk (memory bounded however many fail): read back whole."""
    from rules_engine.base import spill
    monkeypatch.setattr(spill, "KEEP", 2)
    files = work["files"]
    code, page = _run("check", "--rules", files["library"], "--local", files["check.rules"],
                      "--population", files["population.jsonl"], "--format", "html")
    assert len([a for a in work["population"]["json"]["arrangements"] if a["outcome"] != "pass"]) > 2
    assert page == work["population"]["html"]


def test_the_population_page_says_why(work):
    """Each row not passing says why its first failing requirement failed."""
    page = html.unescape(work["population"]["html"])
    arrangements = [a for a in work["population"]["json"]["arrangements"] if a["outcome"] != "pass"]
    assert arrangements
    for arrangement in arrangements:
        first = next(r for r in arrangement["results"] if r["outcome"] in ("fail", "unknown"))
        assert f"{first['subject']}: {first['why']['headline']}" in page


def test_long_impact_pages_are_cut_with_a_note(work, monkeypatch):
    monkeypatch.setattr(html_report, "MAX_CHANGE_ROWS", 3)
    data = work["impact"]["json"]
    page = html_report.render_impact(data["summary"], data["changed"])
    total = sum(len(c["changes"]) for c in data["changed"])
    assert f"Showing the first 3 of {total} changes" in page


def test_templates_are_package_data():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = project["tool"]["setuptools"]["package-data"]
    assert "templates/*" in data.get("rules_engine.reports", [])
    names = {p.name for p in (ROOT / "rules_engine" / "reports" / "templates").iterdir()}
    assert {"check.html.j2", "vary_check.html.j2", "impact.html.j2", "style.css", "sort.js"} <= names


# ------------------------------------------------------------ in the browser

@pytest.fixture(scope="module")
def driver():
    from browser import chromium
    reason = chromium.available()
    if reason:
        if chromium.chromium_path() is None and not os.environ.get("CI"):
            pytest.skip(f"browser tests skipped: {reason}")
        pytest.fail(f"the browser tests cannot run: {reason}")  # in CI, or a half-installed browser
    with chromium.browser() as browser:
        yield browser


def _open(driver, path: Path):
    driver.set_window_size(1280, 900)
    driver.get(path.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"


def _texts(driver, selector: str) -> list[str]:
    from selenium.webdriver.common.by import By
    return [e.text.strip() for e in driver.find_elements(By.CSS_SELECTOR, selector)]


def _attr(driver, selector: str, name: str) -> list[str]:
    from selenium.webdriver.common.by import By
    return [e.get_attribute(name) for e in driver.find_elements(By.CSS_SELECTOR, selector)]


def _click_header(driver, table: str, label: str) -> None:
    from selenium.webdriver.common.by import By
    header = next(h for h in driver.find_elements(By.CSS_SELECTOR, f"#{table} thead th")
                  if h.text.strip().rstrip("↕▲▼ ").strip() == label)
    header.click()


def _pounds(amount) -> str:
    value = Decimal(str(amount))
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


def _shot(driver, tmp_path: Path, name: str) -> Path:
    from browser.chromium import full_page_screenshot
    path = full_page_screenshot(driver, tmp_path / f"{name}.png")
    assert path.stat().st_size > 10_000
    return path


@pytest.mark.slow
def test_check_page_shows_the_json_figures(driver, work, tmp_path):
    from selenium.webdriver.common.by import By
    document = work["check"]["json"]
    _open(driver, work["check"]["path"])
    arrangements = document["arrangements"]
    results = [r for a in arrangements for r in a["results"]]

    by_outcome = dict(zip(_attr(driver, "#arrangement-counts dd", "data-outcome"),
                          _texts(driver, "#arrangement-counts dd")))
    assert by_outcome == {o: str(Counter(a["outcome"] for a in arrangements)[o])
                          for o in ("fail", "unknown", "pass")}
    by_outcome = dict(zip(_attr(driver, "#result-counts dd", "data-outcome"),
                          _texts(driver, "#result-counts dd")))
    assert by_outcome == {o: str(Counter(r["outcome"] for r in results)[o])
                          for o in ("fail", "unknown", "pass", "not_applicable")}
    failing = Counter(r["id"] for r in results if r["outcome"] == "fail")
    assert Counter(_attr(driver, "#failing-requirements li", "data-id")) == Counter(set(failing))
    for item in driver.find_elements(By.CSS_SELECTOR, "#failing-requirements li"):
        count = failing[item.get_attribute("data-id")]
        assert f"fails for {count} subject" in item.text
    payments, known = {}, Counter()
    for value in (v for a in arrangements for v in a["values"] if v["unit"] == "GBP"):
        payments[value["id"]] = payments.get(value["id"], Decimal(0)) + Decimal(value["value"] or 0)
        known[value["id"]] += value["value"] is not None
    assert payments and all(known.values()), "the fixture copy reports a payment"
    shown = dict(zip(_attr(driver, "#payment-totals dd", "data-id"), _texts(driver, "#payment-totals dd")))
    assert shown == {k: _pounds(v) for k, v in payments.items()}
    assert "(1 unknown)" in driver.find_element(By.ID, "payment-totals").text  # U9 lacks its list size
    verdict = driver.find_element(By.ID, "verdict")
    assert verdict.get_attribute("data-verdict") == "fail"
    assert verdict.text.startswith(f"{Counter(a['outcome'] for a in arrangements)['fail']} of "
                                   f"{len(arrangements)} arrangements fail")
    # The hostile reason is shown as text, never run.
    assert driver.execute_script("return window.__pwned === undefined")
    assert SCRIPT in driver.find_element(By.TAG_NAME, "body").text
    # Outcomes per requirement: the chart's bars hold every result.
    # (those some subject fails or cannot decide first; the rest in a folded chart)
    totals = {g.get_attribute("data-label"): int(g.get_attribute("data-total"))
              for g in driver.find_elements(By.CSS_SELECTOR, "#outcomes-chart g.row, #settled-chart g.row")}
    assert totals == dict(Counter(r["id"] for r in results))
    unsettled = {r["id"] for r in results if r["outcome"] in ("fail", "unknown")}
    assert set(_attr(driver, "#outcomes-chart g.row", "data-label")) == unsettled

    # Sort the results by outcome: failures first, then the reverse (the table is folded: open it).
    assert not driver.find_element(By.ID, "results-table").is_displayed()
    driver.find_element(By.CSS_SELECTOR, "#results-fold summary").click()
    before = _attr(driver, "#results-table tbody tr", "data-outcome")
    assert before == [r["outcome"] for r in results]
    rank = {"fail": 0, "unknown": 1, "pass": 2, "not_applicable": 3}
    _click_header(driver, "results-table", "Outcome")
    ascending = _attr(driver, "#results-table tbody tr", "data-outcome")
    assert ascending != before and ascending == sorted(before, key=rank.get)
    _click_header(driver, "results-table", "Outcome")
    assert _attr(driver, "#results-table tbody tr", "data-outcome") == sorted(before, key=rank.get, reverse=True)
    _click_header(driver, "results-table", "Requirement")
    ids = _attr(driver, "#results-table tbody tr", "data-id")
    assert ids == sorted(ids, key=str.lower)

    # A failing requirement links to its card: clause, layer and why, the conditions folded.
    driver.find_element(By.CSS_SELECTOR, "#failing-requirements li a").click()
    target = driver.execute_script("return location.hash.slice(1)")
    card = driver.find_element(By.ID, target)
    assert card.get_attribute("data-outcome") == "fail"
    result = next(r for r in results if r["id"] == card.get_attribute("data-id")
                  and r["subject"] == card.get_attribute("data-subject"))
    assert result["clause"] in card.text
    why = card.find_element(By.CSS_SELECTOR, ".why-text").text
    assert " ".join(result["why"]["text"][0].split()) in " ".join(why.split())
    folded = card.find_element(By.CSS_SELECTOR, "details.why")
    operand = result["why"]["operands"][0]["expression"]
    assert operand not in folded.text  # folded: only the summary shows
    folded.find_element(By.CSS_SELECTOR, "summary").click()
    assert operand in folded.text
    _shot(driver, tmp_path, "check")


@pytest.mark.slow
def test_vary_check_page_shows_the_verdicts(driver, work, tmp_path):
    from selenium.webdriver.common.by import By
    document = work["vary"]["json"]
    _open(driver, work["vary"]["path"])
    verdict = driver.find_element(By.ID, "verdict")
    assert verdict.get_attribute("data-permitted") == json.dumps(document["permitted"])
    refused = [v for v in document["variations"] if v["verdict"] != "permitted"]
    assert verdict.text.startswith(f"{len(refused)} of {len(document['variations'])} variations are not permitted")
    counts = dict(zip(_attr(driver, "#verdict-counts dd", "data-verdict"), _texts(driver, "#verdict-counts dd")))
    assert counts == {k: str(v) for k, v in Counter(v["verdict"] for v in document["variations"]).items()}
    rows = driver.find_elements(By.CSS_SELECTOR, "#variations-table tbody tr")
    assert [(r.get_attribute("data-target"), r.find_elements(By.TAG_NAME, "td")[-1].text) for r in rows] == \
        [(v["target"], v["verdict"]) for v in document["variations"]]
    assert _attr(driver, "#refused li", "data-target") == [v["target"] for v in refused]
    for variation in refused:  # the reason for the verdict is open on the card
        card = driver.find_element(By.CSS_SELECTOR, f"article.variation[data-target='{variation['target']}']")
        assert variation["clause"] in card.text
        assert variation["diagnostics"][0]["message"] in card.text
    assert driver.execute_script("return window.__pwned === undefined")

    before = _attr(driver, "#variations-table tbody tr", "data-verdict")
    _click_header(driver, "variations-table", "Verdict")
    after = _attr(driver, "#variations-table tbody tr", "data-verdict")
    assert after != before
    assert after[: len(before) - len(refused)] == ["permitted"] * (len(before) - len(refused))
    _click_header(driver, "variations-table", "Line")
    _click_header(driver, "variations-table", "Line")
    lines = [int(t) for t in _texts(driver, "#variations-table tbody td:first-child")]
    assert lines == sorted((v["line"] for v in document["variations"]), reverse=True)
    _shot(driver, tmp_path, "vary-check")


@pytest.mark.slow
def test_impact_page_shows_the_json_figures(driver, work, tmp_path):
    from selenium.webdriver.common.by import By
    summary, changed = work["impact"]["json"]["summary"], work["impact"]["json"]["changed"]
    _open(driver, work["impact"]["path"])
    counts = dict(zip(_attr(driver, "#arrangement-counts dd", "data-count"),
                      _texts(driver, "#arrangement-counts dd")))
    assert counts == {"arrangements": str(summary["arrangements"]), "changed": str(summary["changed"]),
                      "unchanged": str(summary["arrangements"] - summary["changed"]),
                      "bad_lines": str(summary["bad_lines"]), "applied_to": str(summary["applied_to"])}
    assert summary["bad_lines"] == 1 and summary["changed"] > 3
    totals = Counter()
    for counts_by_transition in summary["transitions"].values():
        totals.update(counts_by_transition)
    shown = dict(zip(_attr(driver, "#transition-totals dd", "data-transition"),
                     _texts(driver, "#transition-totals dd")))
    assert shown == {k: str(v) for k, v in totals.items()}
    bars = {(g.get_attribute("data-requirement"), g.get_attribute("data-transition")): int(g.get_attribute("data-count"))
            for g in driver.find_elements(By.CSS_SELECTOR, "#transitions-chart g.transition")}
    assert bars == {(rule, t): c for rule, counts_ in summary["transitions"].items() for t, c in counts_.items()}
    payment = summary["values"]["pay.enhanced-access"]
    change = Decimal(payment["total_change"])
    shown = dict(zip(_attr(driver, "#payment-changes dd", "data-id"), _texts(driver, "#payment-changes dd")))
    assert shown == {"pay.enhanced-access": ("+" if change > 0 else "") + _pounds(change)}
    row = driver.find_element(By.CSS_SELECTOR, "#values-table tr[data-id='pay.enhanced-access']")
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[2:5] == [_pounds(payment["total_before"]), _pounds(payment["total_after"]),
                          ("+" if change > 0 else "") + _pounds(change)]
    assert cells[5] == str(payment["arrangements_changed"])
    # The histogram: one count per arrangement whose payment changed.
    bins = [int(c) for c in _attr(driver, "#histogram-1 g.bin", "data-count")]
    assert sum(bins) == payment["arrangements_changed"] == sum(b["count"] for b in payment["histogram"])
    assert bins == [b["count"] for b in payment["histogram"]]
    # Every change of the JSON has its row.
    rows = {(r.get_attribute("data-arrangement"), r.get_attribute("data-id"), r.get_attribute("data-subject"))
            for r in driver.find_elements(By.CSS_SELECTOR, "#changes-table tbody tr")}
    assert rows == {(c["id"], x["id"], x["subject"]) for c in changed for x in c["changes"]}

    # Sort the changed arrangements by payment change, largest first on the second click.
    before = _attr(driver, "#changed-arrangements-table tbody tr", "data-id")
    _click_header(driver, "changed-arrangements-table", "Payment change")
    _click_header(driver, "changed-arrangements-table", "Payment change")
    after = _attr(driver, "#changed-arrangements-table tbody tr", "data-id")
    assert after != before and sorted(after) == sorted(before)
    amounts = [Decimal(t.lstrip("+").replace("£", "").replace(",", ""))
               for t in _texts(driver, "#changed-arrangements-table tbody td:last-child")]
    assert amounts == sorted(amounts, reverse=True)
    _shot(driver, tmp_path, "impact")


@pytest.mark.slow
def test_population_page_shows_the_json_figures(driver, work, tmp_path):
    from selenium.webdriver.common.by import By
    summary = work["population"]["json"]["summary"]
    arrangements = work["population"]["json"]["arrangements"]
    _open(driver, work["population"]["path"])
    counts = dict(zip(_attr(driver, "#arrangement-counts dd", "data-outcome"),
                      _texts(driver, "#arrangement-counts dd")))
    counts.pop(None, None)
    assert counts == {o: str(summary["outcomes"].get(o, 0)) for o in ("fail", "unknown", "pass")}
    assert summary["outcomes"] == dict(Counter(a["outcome"] for a in arrangements))
    assert _texts(driver, "#arrangement-counts dd[data-count='bad_lines']") == [str(summary["bad_lines"])]
    # The chart and the table: failing and unknown results per requirement.
    bars = {}
    for row in driver.find_elements(By.CSS_SELECTOR, "#requirements-chart g.row"):
        bars[row.get_attribute("data-label")] = {
            s.get_attribute("data-category"): int(s.get_attribute("data-count"))
            for s in row.find_elements(By.CSS_SELECTOR, "rect.seg")}
    expected = {}
    for rule, count in summary["failing_requirements"].items():
        expected.setdefault(rule, {})["fail"] = count
    for rule, count in summary["unknown_requirements"].items():
        expected.setdefault(rule, {})["unknown"] = count
    assert bars == expected and expected
    table = {r.get_attribute("data-id"): [c.text for c in r.find_elements(By.TAG_NAME, "td")][1:]
             for r in driver.find_elements(By.CSS_SELECTOR, "#requirements-table tbody tr")}
    assert {rule: cells[1:] for rule, cells in table.items()} == {
        rule: [str(c.get("fail", 0)), str(c.get("unknown", 0))] for rule, c in expected.items()}
    # Each requirement says what it is and where the contract says it.
    terms = {r["id"]: (r["title"], r["clause"]) for a in arrangements for r in a["results"]}
    for rule, cells in table.items():
        title, clause = terms[rule]
        assert cells[0].splitlines() == [title, clause]
    # Every arrangement that does not pass has its row, with its outcome.
    rows = dict(zip(_attr(driver, "#arrangements-table tbody tr[data-id]", "data-id"),
                    _attr(driver, "#arrangements-table tbody tr[data-id]", "data-outcome")))
    assert rows == {a["id"]: a["outcome"] for a in arrangements if a["outcome"] != "pass"}
    driver.find_element(By.ID, "filter-group").click()  # one list, not grouped by ICB
    _click_header(driver, "arrangements-table", "Line")
    _click_header(driver, "arrangements-table", "Line")
    lines = [int(t) for t in _texts(driver, "#arrangements-table tbody tr[data-id] td:nth-child(3)")]
    assert lines == sorted(lines, reverse=True)
    # A requirement link in a row leads to the requirement's line of the table.
    driver.find_element(By.CSS_SELECTOR, "#arrangements-table tbody td a").click()
    target = driver.execute_script("return location.hash.slice(1)")
    assert driver.find_element(By.ID, target).get_attribute("data-id") in expected
    _shot(driver, tmp_path, "population")


def test_the_population_page_names_each_icb_it_knows_and_guesses_none(work):
    """The By ICB table and the ICB filter give an ICB's name beside its code
    (reports/icbs.py, the published 2022/23 table); a code the table lacks is
    shown as given, with no name."""
    from collections import Counter
    from rules_engine.reports.icbs import ICB_NAMES
    assert len(ICB_NAMES) == 42 and ICB_NAMES["QMM"] == "Norfolk and Waveney"
    summary = work["population"]["json"]["summary"]
    by_icb = Counter({("QMM", "fail"): 2, ("QMM", "pass"): 1, ("Q99", "unknown"): 1})
    view = html_report.population_check_view(summary, [], None, by_icb)
    rows = {r["icb"]: r for r in view["icb_rows"]}
    assert (rows["QMM"]["name"], rows["QMM"]["checked"]) == ("Norfolk and Waveney", 3)
    assert rows["Q99"]["name"] == ""
    page = html_report.render_population_check(summary, [], None, by_icb)
    assert "<td>Norfolk and Waveney</td>" in page
    assert view["icb_names"] == {"QMM": "Norfolk and Waveney", "Q99": ""}  # the filter's options
    real = work["population"]["html"]  # its population is in QMM and QXX (no such ICB)
    assert '<option value="QMM">QMM Norfolk and Waveney</option>' in real
    assert '<option value="QXX">QXX</option>' in real and "<td>Norfolk and Waveney</td>" in real
