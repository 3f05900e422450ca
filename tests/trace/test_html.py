"""``modelcheck show FILE --format html``: one self-contained page, checked in a real headless Chromium.

The browser test needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium``
package (the ``test`` extra); it is skipped, saying which is missing, when they are absent.
"""

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from test_cli import modelcheck

ELECTION = Path(__file__).parent / "data" / "election.py"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def election_page(tmp_path):
    shutil.copy(ELECTION, tmp_path / "election.py")
    r = modelcheck("explore", "./election.py", "-q", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    (saved,) = (tmp_path / "counterexamples").glob("*.json")
    r = modelcheck("show", saved, "--format", "html", "--output", "page.html", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "wrote page.html" in r.stderr
    return tmp_path / "page.html"


def test_page_is_self_contained(tmp_path):
    text = election_page(tmp_path).read_text()
    assert text.startswith("<!DOCTYPE html>")
    # nothing is fetched: no external script, stylesheet, image or font
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<link" not in text and "@import" not in text and "url(http" not in text
    assert text.count("<svg") == 1 and '<script type="application/json" id="trace-data">' in text


def test_labels_cannot_break_out_of_the_page(tmp_path):
    label = 'x</script><!-- <b onclick="alert(1)">'
    trace = {"format": "modelcheck.trace", "version": 1, "spec": "not-installed", "params": {}, "faults": {},
             "kind": "invariant", "property": "safe", "initial": {"index": 0, "state": {"v": label}},
             "steps": [{"action": label, "index": 0, "state": {"v": 1}}]}
    (tmp_path / "t.json").write_text(json.dumps(trace))
    assert modelcheck("show", "t.json", "--format", "html", "-o", "t.html", cwd=tmp_path).returncode == 0
    text = (tmp_path / "t.html").read_text()
    assert label not in text and "<b onclick" not in text
    payload = re.search(r'id="trace-data">(.*?)</script>', text, re.S)[1]
    view = json.loads(payload)
    assert view["steps"][1]["label"] == label and view["steps"][0]["groups"][0]["rows"][0][1] == label


def test_html_without_output_is_named_after_the_trace(tmp_path):
    shutil.copy(ELECTION, tmp_path / "election.py")
    modelcheck("explore", "./election.py", "-q", cwd=tmp_path)
    (saved,) = (tmp_path / "counterexamples").glob("*.json")
    r = modelcheck("show", saved, "--format", "html", cwd=tmp_path)
    assert r.returncode == 0 and (tmp_path / saved.with_suffix(".html").name).is_file()


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="modelcheck-chromium-")
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1400,900",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_page_renders_and_the_slider_moves_through_the_steps(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page = election_page(tmp_path)
    browser.get(page.as_uri())
    find = browser.find_element

    def title():
        return find(By.ID, "step-title").text

    def field(node, key):
        card = find(By.CSS_SELECTOR, f'#groups .card[data-node="{node}"]')
        for row in card.find_elements(By.TAG_NAME, "tr"):
            k, v = row.find_elements(By.TAG_NAME, "td")
            if k.text == key:
                return v.text.split(" was ")[0], "changed" in row.get_attribute("class")
        raise AssertionError(f"no field {key} for {node}")

    # the chart: three lifelines, four message arrows, a row per step, the violation at the end
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg#chart")) == 1
    assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, "svg text.actor")] == ["n1", "n2", "n3"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg .msg")) == 4
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg .row:not(.end)")) == 9  # initial state + 8 steps
    assert "election_safety violated" in find(By.CSS_SELECTOR, "svg .row.end").text

    # it opens on the violation, with the witnesses
    assert title() == "step 8 / 8: n2 <- Vote(term=1, from=n3, granted=True)"
    banner = find(By.ID, "banner")
    assert "violation" in banner.get_attribute("class")
    assert "term 1: n1 and n2 were both elected leader" in banner.text
    assert field("n2", "role") == ("leader", True)
    assert find(By.CSS_SELECTOR, "svg .row.current").get_attribute("data-step") == "8"

    # the slider, moved with the keyboard as a person would
    slider = find(By.ID, "step")
    slider.send_keys(Keys.ARROW_LEFT)
    assert slider.get_attribute("value") == "7"
    assert title() == "step 7 / 8: n1 <- Vote(term=1, from=n3, granted=True)"
    assert field("n2", "role") == ("candidate", False)
    assert field("n1", "role") == ("leader", True)
    assert find(By.ID, "banner").text == ""
    assert find(By.CSS_SELECTOR, "svg .row.current").get_attribute("data-step") == "7"
    slider.send_keys(Keys.HOME)
    assert title() == "step 0 / 8: initial state" and field("n3", "voted_for") == ("null", False)

    # a click on a row of the chart selects that step
    find(By.CSS_SELECTOR, 'svg .row[data-step="4"] .bg').click()
    assert title() == "step 4 / 8: crash n3 [fault]"
    assert slider.get_attribute("value") == "4"

    shot = tmp_path / "trace.png"
    slider.send_keys(Keys.END)
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
