"""summary.html in a real browser (headless Chromium, name resolution off)."""

from __future__ import annotations

import pytest
from report_support import build_report


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return build_report(tmp_path_factory.mktemp("rep"))


def _chromium() -> str | None:
    import shutil

    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


PROBE = """<script>addEventListener("load", () => {
  const m = document.querySelector("table.matrix").getBoundingClientRect();
  const img = document.querySelector("img.plot");
  document.body.setAttribute("data-probe", JSON.stringify({matrix_top: m.top, matrix_height: m.height,
    viewport: innerHeight, plot_width: img.naturalWidth, plot_complete: img.complete,
    resources: performance.getEntriesByType("resource").map(e => e.name)}));
});</script></body>"""


@pytest.mark.skipif(_chromium() is None, reason="no Chromium on this machine (Debian: apt-get install chromium)")
def test_summary_html_renders_in_headless_chromium(report, tmp_path):
    """The page in a real browser with name resolution switched off: the matrix is above the
    fold, an inline plot decodes, the page requests nothing, and the screenshot shows the
    verdict colours."""
    import html as html_lib
    import json
    import re
    import subprocess

    import matplotlib.image

    browser = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--window-size=1400,1000", "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=10000"]
    probed = tmp_path / "probed.html"
    probed.write_text((report / "summary.html").read_text().replace("</body>", PROBE))
    dom = subprocess.run([*browser, "--dump-dom", probed.as_uri()], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    probe = json.loads(html_lib.unescape(re.search(r'data-probe="([^"]*)"', dom).group(1)))
    assert 0 <= probe["matrix_top"] < probe["viewport"] and probe["matrix_height"] > 100
    assert probe["plot_complete"] and probe["plot_width"] > 100
    assert probe["resources"] == []
    shot = tmp_path / "shot.png"
    subprocess.run([*browser, f"--screenshot={shot}", (report / "summary.html").as_uri()], capture_output=True,
                   timeout=120, check=True)
    rgb = (matplotlib.image.imread(shot)[..., :3] * 255).round().astype(int)
    verdict_colours = [(0xd1, 0xf5, 0xd8), (0xff, 0xd8, 0xd3), (0xff, 0xf1, 0xb8), (0xdd, 0xe6, 0xf5)]
    assert any((rgb == colour).all(-1).any() for colour in verdict_colours), "no verdict colour in the first screen"
