"""axe-core, the accessibility checker, run in a page of an end-to-end journey.

axe-core is MPL-2.0 and a test-only tool: it is kept in ``tests/e2e/vendor/`` (copied there
by ``web/vendor-src/axe.sh``), never served by Concord. It is evaluated in the page through
the DevTools protocol, which the page's Content-Security-Policy does not govern (the
policy lets a page run only Concord's own files), so the page checked is the page people
get, policy and all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")

RUN = """async (within) => {
  const result = await axe.run(within ? document.querySelector(within) : document, {
    resultTypes: ["violations"],
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
  }));
}"""


async def violations(page: Page, within: str | None = None) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now (every impact), in the element
    ``within`` selects, if given."""
    if not await page.evaluate("typeof axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = await page.evaluate(RUN, within)
    return found


def readable(where: str, found: list[dict[str, Any]]) -> list[str]:
    """One line per element that breaks a serious or critical rule: where, which rule,
    what axe says is wrong."""
    return [
        f"{where}: [{v['impact']}] {v['id']} ({v['help']}) at {node['target']}: "
        + " ".join(str(node["summary"]).split())
        for v in found
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


async def serious_violations(page: Page, where: str, within: str | None = None) -> list[str]:
    """The serious and critical violations axe finds on ``page`` (in ``within``, a CSS
    selector, if given), as readable lines."""
    return readable(where, await violations(page, within))
