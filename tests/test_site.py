"""The static site of a release (dist/<version>/site/): its pages, checked as files, then opened in
headless Chromium from disk (skipped, with the reason shown, where /usr/bin/chromium is absent)."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.richdata import build_rich_release, make_rich_project

ARTIFACTS = Path(os.environ.get("CYBERDIP_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = make_rich_project(tmp_path_factory.mktemp("rich"))
    return build_rich_release(root)


@pytest.fixture(scope="module")
def site(release):
    return release / "site"


def _rows(release, table):
    with open(release / "csv" / f"{table}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- the files -------------------------------------------------------------------------------

def test_every_table_actor_and_event_has_a_page(site, release):
    assert (site / "index.html").is_file() and (site / "timeline.html").is_file()
    assert (site / "memberships.html").is_file() and (site / "style.css").is_file()
    for table in ("sources", "actors", "events", "relations", "disagreements"):
        assert (site / "tables" / f"{table}.html").is_file()
    for row in _rows(release, "actors"):
        assert (site / "actors" / f"{row['actor_id']}.html").is_file()
    for row in _rows(release, "events"):
        assert (site / "events" / f"{row['event_id']}.html").is_file()


def test_the_site_needs_no_network(site):
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        # scripts are inline, the one stylesheet is local; external links are plain <a href> only
        assert not re.search(r"<script[^>]+src=", html), page
        assert not re.search(r"<(link|img|iframe)[^>]+(href|src)=\"(https?:)?//", html), page
        assert "@import" not in html and "url(http" not in html
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_overview_counts_citation_and_downloads(site, release):
    html = (site / "index.html").read_text(encoding="utf-8")
    n_events = len(_rows(release, "events"))
    assert f'<a href="tables/events.html">events</a></td><td class="num">{n_events}</td>' in html
    assert "Cyber Diplomacy Facts curators (2026). Cyber Diplomacy Facts, version 0.1.0 [data set]." in html
    for href in ("../csv/actors.csv", "../parquet/actors.parquet", "../json/actors.json",
                 "../cyber-diplomacy-facts.sqlite", "../cyber-diplomacy-facts.xlsx", "../datapackage.json"):
        assert f'href="{href}"' in html
        assert (site / href).resolve().is_file(), href
    assert "Creative Commons Attribution 4.0" in html


def test_static_timeline_has_one_mark_per_event(site, release):
    html = (site / "timeline.html").read_text(encoding="utf-8")
    marks = re.findall(r'<a href="events/([a-z0-9-]+)\.html"><rect class="mark" data-event="\1"', html)
    assert sorted(marks) == sorted(r["event_id"] for r in _rows(release, "events"))
    assert re.search(r'<g class="year" data-year="2007">', html) and '<g class="year" data-year="2020">' in html


def test_membership_chart_is_a_grid_of_state_by_process(site):
    html = (site / "memberships.html").read_text(encoding="utf-8")
    heads = re.findall(r'<th scope="col" class="proc"><a href="actors/([a-z0-9-]+)\.html"', html)
    assert heads == ["un-gge-2014-2015", "un-oewg-2019-2021"]
    rows = dict(re.findall(r'<tr data-state="([a-z0-9-]+)">(.*?)</tr>', html))
    assert sorted(rows) == ["state-ee", "state-fr"]
    assert re.findall(r'class="on (\w+)" data-process="([a-z0-9-]+)"', rows["state-ee"]) == [
        ("member", "un-gge-2014-2015"), ("member", "un-oewg-2019-2021")]
    # the chair is a person; the chart credits the state they come from
    assert re.findall(r'class="on (\w+)" data-process="([a-z0-9-]+)"', rows["state-fr"]) == [
        ("member", "un-gge-2014-2015"), ("chair", "un-oewg-2019-2021")]
    assert 'href="https://vm.ee/en/activities-objectives/cyber-diplomacy"' in rows["state-fr"]


def test_every_fact_on_an_actor_page_links_to_its_source(site):
    html = (site / "actors" / "state-ee.html").read_text(encoding="utf-8")
    items = re.findall(r'<li class="(?:relation|event)".*?</li>', html, flags=re.DOTALL)
    assert len(items) >= 4
    for item in items:
        assert 'class="src"><a href="https://vm.ee/en/activities-objectives/cyber-diplomacy"' in item, item


def test_table_page_has_dictionary_and_linked_rows(site):
    html = (site / "tables" / "relations.html").read_text(encoding="utf-8")
    assert "<code>as_of</code>" in html and "The date at which the source states" in html
    assert '<tr id="ee-member-un-gge-2014-2015">' in html
    assert '<a href="../actors/state-ee.html">state-ee</a>' in html
    assert '<a href="../tables/sources.html#src-mfa-ee-cyber-diplomacy">src-mfa-ee-cyber-diplomacy</a>' in html
    sources = (site / "tables" / "sources.html").read_text(encoding="utf-8")
    assert '<tr id="src-mfa-ee-cyber-diplomacy">' in sources
    assert '<a href="https://vm.ee/en/activities-objectives/cyber-diplomacy" rel="noreferrer">' in sources


def test_site_is_byte_reproducible(tmp_path, release):
    again = build_rich_release(make_rich_project(tmp_path / "again"))
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        rel = path.relative_to(release)
        assert (again / rel).read_bytes() == path.read_bytes(), rel


# --- in the browser ------------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it in CI)")


@pytest.fixture(scope="module")
def browser():
    from tests.cdp import Browser

    b = Browser(CHROMIUM)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    p = browser.new_page(1280, 900)
    yield p
    browser.send("Target.closeTarget", {"targetId": p.send("Target.getTargetInfo")["targetInfo"]["targetId"]})


def _visible_rows(page):
    return page.eval('document.querySelectorAll("#table_rows tbody tr:not([hidden])").length')


@needs_chromium
def test_browser_timeline_has_one_mark_per_event(page, site, release):
    page.goto((site / "timeline.html").as_uri())
    events = sorted(r["event_id"] for r in _rows(release, "events"))
    marks = page.eval('Array.from(document.querySelectorAll("#timeline rect.mark")).map(m => m.dataset.event).sort()')
    assert marks == events
    # each mark is drawn (has a size on screen) and links to its event's page
    boxes = page.eval('Array.from(document.querySelectorAll("#timeline rect.mark")).map(m => m.getBoundingClientRect().width)')
    assert all(w > 5 for w in boxes)
    page.eval('document.querySelector("#timeline rect.mark[data-event=gge-2015-report]").dispatchEvent('
              'new MouseEvent("click", {bubbles: true})); 0')
    page.browser.wait_event("Page.loadEventFired", page.session)
    assert page.eval("location.pathname").endswith("/site/events/gge-2015-report.html")
    assert page.eval('document.querySelector("h1").textContent') == "2015 GGE report adopted"
    assert page.problems() == []


@needs_chromium
def test_browser_filtering_a_table_narrows_its_rows(page, site, release):
    page.goto((site / "tables" / "relations.html").as_uri())
    total = len(_rows(release, "relations"))
    assert _visible_rows(page) == total
    page.eval('var i = document.getElementById("table_filter"); i.value = "gge"; i.dispatchEvent(new Event("input")); 0')
    assert _visible_rows(page) == 2
    assert page.eval('document.getElementById("row_count").textContent') == f"2 of {total} rows"
    page.eval('var i = document.getElementById("table_filter"); i.value = "gge state-fr"; i.dispatchEvent(new Event("input")); 0')
    assert page.eval('Array.from(document.querySelectorAll("#table_rows tbody tr:not([hidden])")).map(r => r.id)') == [
        "fr-member-un-gge-2014-2015"]
    page.eval('var i = document.getElementById("table_filter"); i.value = ""; i.dispatchEvent(new Event("input")); 0')
    assert _visible_rows(page) == total
    # sorting: a click on the header sorts by that column, a second click reverses
    first = 'Array.from(document.querySelectorAll("#table_rows tbody tr")).map(r => r.cells[0].textContent)'
    page.eval('document.querySelectorAll("#table_rows thead th button")[0].click(); 0')
    ids = page.eval(first)
    assert ids == sorted(ids)
    page.eval('document.querySelectorAll("#table_rows thead th button")[0].click(); 0')
    assert page.eval(first) == sorted(ids, reverse=True)
    assert page.problems() == []


@needs_chromium
def test_browser_actor_page_lists_memberships(page, site):
    page.goto((site / "actors" / "state-ee.html").as_uri())
    items = page.eval('Array.from(document.querySelectorAll("#memberships li.relation")).map(li => li.textContent.replace(/\\s+/g, " ").trim())')
    assert any(t.startswith("2014 – 2015 member-of UN GGE 2014-2015") for t in items), items
    assert any(t.startswith("2019 – 2021 member-of UN OEWG 2019-2021") for t in items), items
    assert any(t.startswith("2020 – 2021 member-of UN Security Council") for t in items), items
    events = page.eval('Array.from(document.querySelectorAll("#events li.event a[href*=events]")).map(a => a.textContent)')
    assert events == ["Cyber-attacks on Estonia", "OEWG first session", "Cyber incident against Georgia raised at the Security Council"]
    assert page.problems() == []


@needs_chromium
def test_browser_pages_load_offline_without_errors_and_fit_a_phone(browser, site):
    phone = browser.new_page(390, 844, mobile=True)
    pages = ["index.html", "timeline.html", "memberships.html", "actors/index.html", "actors/state-ee.html",
             "events/oewg-first-session.html", "tables/relations.html", "tables/sources.html"]
    for rel in pages:
        phone.goto((site / rel).as_uri())
        # the page itself never scrolls sideways on a phone; wide tables scroll inside their box
        assert phone.eval("document.documentElement.scrollWidth") <= 390, rel
        assert phone.eval('getComputedStyle(document.body).fontSize') in ("15px", "16px")
    assert phone.problems() == []
    assert {u.split(":", 1)[0] for u in phone.requests()} == {"file"}


@needs_chromium
def test_browser_screenshots_of_overview_and_timeline(browser, site):
    shots = []
    for name, width, height, mobile in (("desktop", 1280, 900, False), ("phone", 390, 844, True)):
        p = browser.new_page(width, height, mobile)
        for rel in ("index.html", "timeline.html"):
            p.goto((site / rel).as_uri())
            path = ARTIFACTS / f"site-{Path(rel).stem}-{name}.png"
            shots.append(p.screenshot(path, full_page=False))
        assert p.problems() == []
    for path in shots:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000, path
