"""The HTML reports at a desktop's width, a phone's (390 px) and in print,
in Debian's headless Chromium (issue 18, item 16).

Checked on the screenshots themselves (Pillow), not only the DOM: a page is
exactly the viewport wide (nothing overflows sideways), a chart's region of
the screenshot is drawn (not blank), a folded section takes less room than
the same section open. Print: Chrome's own print-to-PDF (the DevTools
`Page.printToPDF`) and its pages counted; print media emulated
(`Emulation.setEmulatedMedia`) for what the print stylesheet hides. The
population page's search, filters, grouping and sort are driven by typing
and clicking. Without chromium these skip (fail in CI), as test_html_reports
does; the pages are the ones its `work` fixture makes.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from rules_engine.cli import cli

from conftest import ROOT
from test_html_reports import SCRIPT, driver, work  # noqa: F401 (fixtures)

PHONE, DESKTOP = 390, 1280


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> dict:
    """`check --population` of the shipped library on a synthetic population
    of four ICBs with PCN names, one of them hostile, and one line missing a
    fact (so that some arrangement is unknown)."""
    import json
    from tools.population import generate
    root = tmp_path_factory.mktemp("real")
    rows = list(generate(scale=0.5, seed=7, icbs=4))
    population = root / "population.jsonl"

    def run(output_format: str, *extra: str) -> str:
        population.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return CliRunner().invoke(cli, ["check", "--population", str(population), "--format", output_format,
                                        *extra]).stdout

    def checked() -> list[dict]:
        return [json.loads(line) for line in run("json", "--line", "full").splitlines()
                if line.startswith('{"id"')]
    # A passing PCN made unknown (a fact taken away) and given a hostile name.
    passing = next(int(a["source"].rsplit(":", 1)[1]) - 1 for a in checked()
                   if a["outcome"] == "pass" and "pcn" in rows[int(a["source"].rsplit(":", 1)[1]) - 1])
    rows[passing]["pcn"]["name"] = f"Brook {SCRIPT} PCN"
    del rows[passing]["pcn"]["clinical_director_appointed"]
    lines = checked()
    page = root / "population.html"
    page.write_text(run("html"), encoding="utf-8")
    return {"path": page, "rows": rows, "arrangements": lines, "hostile": rows[passing]["pcn"]["code"]}


PAGES = ("check", "vary", "impact", "population")


def _image(png: bytes):
    from PIL import Image
    return Image.open(io.BytesIO(png)).convert("RGB")


def _load(driver, path: Path, width: int):
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    driver.set_window_size(width, 900)
    driver.get(path.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"


def _full_screenshot(driver, width: int):
    """The whole page at `width` (the window made as tall as the page)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 100, 16000))
    driver.execute_script("window.scrollTo(0, 0)")
    return _image(driver.get_screenshot_as_png())


def _inked(image, box) -> float:
    """The share of a region's pixels that are not the page's white or pale grey."""
    region = image.crop(box)
    colours = region.getcolors(maxcolors=region.width * region.height + 1)
    background = {(255, 255, 255), (240, 244, 245)}
    return sum(n for n, colour in colours if colour not in background) / max(region.width * region.height, 1)


def _box(driver, element) -> tuple[int, int, int, int]:
    rect = driver.execute_script("var r = arguments[0].getBoundingClientRect();"
                                 "return [r.left + scrollX, r.top + scrollY, r.right + scrollX, r.bottom + scrollY];",
                                 element)
    return tuple(int(round(v)) for v in rect)


def _visible_charts(driver) -> list:
    from selenium.webdriver.common.by import By
    return [svg for svg in driver.find_elements(By.CSS_SELECTOR, "svg.chart") if svg.is_displayed()]


def _chart_text_px(driver, svg) -> float:
    """The rendered height of a chart's label text, in CSS pixels."""
    return driver.execute_script("var t = arguments[0].querySelector('text');"
                                 "return t.getBoundingClientRect().height;", svg)


@pytest.mark.slow
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_pages_fit_the_width_and_draw_readable_charts(driver, work, tmp_path, width):  # noqa: F811
    for name in PAGES:
        _load(driver, work[name]["path"], width)
        assert driver.execute_script("return document.documentElement.scrollWidth") == width, name
        charts = _visible_charts(driver)
        if name != "vary":
            assert charts, name
        for svg in charts:
            phone = svg.get_attribute("id").endswith("-phone")
            assert phone == (width == PHONE), (name, svg.get_attribute("id"))  # one drawing per width
            # text about 12 px whatever the width: the desktop chart shrunk to a
            # phone drew its labels at 6 px
            assert _chart_text_px(driver, svg) >= 11, (name, svg.get_attribute("id"))
        image = _full_screenshot(driver, width)
        image.save(tmp_path / f"{name}-{width}.png")
        assert image.width == width, name  # the screenshot is the viewport wide: no sideways overflow
        for svg in _visible_charts(driver):
            left, top, right, bottom = _box(driver, svg)
            assert right <= width and right - left > width * 0.5, (name, left, right)
            assert _inked(image, (left, top, right, bottom)) > 0.04, (name, svg.get_attribute("id"))


@pytest.mark.slow
def test_a_folded_section_takes_less_room_than_open(driver, work):  # noqa: F811
    from selenium.webdriver.common.by import By
    _load(driver, work["check"]["path"], DESKTOP)
    fold = driver.find_element(By.ID, "results-fold")
    assert fold.get_attribute("open") is None
    closed = _image(fold.screenshot_as_png)
    fold.find_element(By.TAG_NAME, "summary").click()
    assert fold.get_attribute("open") is not None
    _full_screenshot(driver, DESKTOP)  # the window as tall as the page: the open fold is all in view
    opened = _image(fold.screenshot_as_png)
    assert opened.height > closed.height + 100, (closed.size, opened.size)
    assert _inked(opened, (0, closed.height, opened.width, opened.height)) > 0.02  # the table is drawn


@pytest.mark.slow
def test_a_link_into_a_folded_section_opens_it(driver, work):  # noqa: F811
    from selenium.webdriver.common.by import By
    _load(driver, work["check"]["path"], DESKTOP)
    card = driver.find_element(By.CSS_SELECTOR, "details.settled article.result")
    assert not card.is_displayed()
    driver.execute_script("location.hash = arguments[0]", card.get_attribute("id"))
    assert card.is_displayed()


def _pdf_pages(driver) -> int:
    pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})["data"])
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


@pytest.mark.slow
def test_one_pcn_prints_in_a_few_pages(driver, tmp_path):  # noqa: F811
    """The shipped library's failing PCN printed 39 pages (every card open,
    every table); now the summary, the failures and the folded rest."""
    page = tmp_path / "pcn.html"
    result = CliRunner().invoke(cli, ["check", str(ROOT / "examples" / "pcn-failing.yaml"), "--format", "html"])
    page.write_text(result.stdout, encoding="utf-8")
    _load(driver, page, DESKTOP)
    pages = _pdf_pages(driver)
    assert 1 <= pages <= 5, pages
    # Opening every fold prints everything: many more pages (the folds are what saves them).
    driver.execute_script("document.querySelectorAll('details').forEach(function (d) { d.open = true; })")
    assert _pdf_pages(driver) > pages + 5


@pytest.mark.slow
def test_print_media_hides_the_controls_and_keeps_the_summary_first(driver, work):  # noqa: F811
    from selenium.webdriver.common.by import By
    _load(driver, work["population"]["path"], DESKTOP)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    for selector in ("nav.toc", "form.filters", "footer"):
        assert not driver.find_element(By.CSS_SELECTOR, selector).is_displayed(), selector
    assert all(not svg.get_attribute("id").endswith("-phone") for svg in _visible_charts(driver))
    sections = [s.get_attribute("id") for s in driver.find_elements(By.CSS_SELECTOR, "main > section")]
    assert sections[0] == "summary"
    assert _pdf_pages(driver) >= 1


def _shown(driver) -> list[str]:
    from selenium.webdriver.common.by import By
    return [row.get_attribute("data-id") for row in
            driver.find_elements(By.CSS_SELECTOR, "#arrangements-table tbody tr[data-id]") if row.is_displayed()]


@pytest.mark.slow
def test_the_population_page_filters_searches_groups_and_sorts(driver, real, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    arrangements = [a for a in real["arrangements"] if a["outcome"] != "pass"]
    by_id = {a["id"]: a for a in arrangements}
    icb_of = {a["id"]: real["rows"][int(a["source"].rsplit(":", 1)[1]) - 1]["icb"] for a in arrangements}
    assert {"fail", "unknown"} <= {a["outcome"] for a in arrangements}
    assert len({icb_of[i] for i in by_id}) >= 2
    _load(driver, real["path"], DESKTOP)
    every = _shown(driver)
    assert sorted(every) == sorted(by_id)
    count = driver.find_element(By.ID, "filter-count")
    assert count.text == f"{len(every)} of {len(every)} shown"

    # Grouped by ICB (the default): a heading row per ICB, its rows after it.
    heads = driver.find_elements(By.CSS_SELECTOR, "#arrangements-table tr.group-head")
    icbs = [h.get_attribute("data-icb") for h in heads]
    assert icbs == sorted({icb_of[i] for i in by_id})
    order = [r.get_attribute("data-icb") for r in
             driver.find_elements(By.CSS_SELECTOR, "#arrangements-table tbody tr")]
    assert order == sorted(order, key=icbs.index)  # each group together, in order
    # Sort by line within the groups.
    header = next(h for h in driver.find_elements(By.CSS_SELECTOR, "#arrangements-table thead th")
                  if h.text.strip().rstrip("↕▲▼ ").strip() == "Line")
    header.click()
    header.click()
    for icb in icbs:
        lines = [int(r.find_elements(By.TAG_NAME, "td")[2].text) for r in
                 driver.find_elements(By.CSS_SELECTOR, "#arrangements-table tbody tr[data-id]")
                 if r.get_attribute("data-icb") == icb]
        assert lines == sorted(lines, reverse=True), icb

    # Search: by a PCN's name (a hostile one: it stays text); then by code.
    search = driver.find_element(By.ID, "filter-search")
    search.send_keys("<script>WINDOW")  # any case
    assert _shown(driver) == [real["hostile"]]
    row = driver.find_element(By.CSS_SELECTOR, f"tr[data-id='{real['hostile']}']")
    assert f"Brook {SCRIPT} PCN" in row.text  # the name shown, as text
    assert driver.execute_script("return window.__pwned === undefined")
    search.clear()
    target = arrangements[-1]["id"]
    search.send_keys(target.lower())
    assert _shown(driver) == [target]
    assert count.text == f"1 of {len(every)} shown"
    search.send_keys(" nothing-matches-this")
    assert _shown(driver) == [] and driver.find_element(By.ID, "filter-none").is_displayed()
    search.clear()
    search.send_keys(" ")  # an input event with an empty query: everything again
    assert sorted(_shown(driver)) == sorted(every)

    # Filter by outcome, then by ICB (from the table by ICB, a click).
    Select(driver.find_element(By.ID, "filter-outcome")).select_by_value("fail")
    assert sorted(_shown(driver)) == sorted(a["id"] for a in arrangements if a["outcome"] == "fail")
    Select(driver.find_element(By.ID, "filter-outcome")).select_by_value("")
    button = driver.find_element(By.CSS_SELECTOR, "#icb-table button.show-icb")
    chosen = button.get_attribute("data-icb")
    button.click()
    assert Select(driver.find_element(By.ID, "filter-icb")).first_selected_option.get_attribute("value") == chosen
    shown = _shown(driver)
    assert shown and all(driver.find_element(By.CSS_SELECTOR, f"tr[data-id='{i}']").get_attribute("data-icb")
                         == chosen for i in shown)
    visible_heads = [h for h in driver.find_elements(By.CSS_SELECTOR, "tr.group-head") if h.is_displayed()]
    assert [h.get_attribute("data-icb") for h in visible_heads] == [chosen]
    # Ungrouped: no heading rows.
    driver.find_element(By.ID, "filter-group").click()
    assert driver.find_elements(By.CSS_SELECTOR, "tr.group-head") == []
    image = _full_screenshot(driver, DESKTOP)
    image.save(tmp_path / "population-filtered.png")
    assert image.width == DESKTOP
