"""Content-Security-Policy violations on Concord's pages fail the journey that met them.

The server sends a strict policy (``server/http/security_headers.py``: no inline script or
style); a page that breaks it is missing something in Chromium, and Chromium says so only
on the console. Every page of a browser context is watched twice: Chromium's own console
message ("Refused to … because it violates the following Content Security Policy
directive …") and the document's ``securitypolicyviolation`` event, reported to the
console by a script that runs before the page's own.
"""

from __future__ import annotations

from playwright.async_api import BrowserContext, ConsoleMessage

REPORTED = "CSP violation:"

REPORT_VIOLATIONS = f"""
document.addEventListener("securitypolicyviolation", (violation) => {{
  console.error(
    `{REPORTED} ${{violation.effectiveDirective}} blocked ${{violation.blockedURI || "inline"}}`
    + ` at ${{violation.sourceFile}}:${{violation.lineNumber}}`,
  );
}});
"""


def is_violation(message: ConsoleMessage) -> bool:
    text = message.text
    return text.startswith(REPORTED) or "Content Security Policy" in text


async def watch_for_violations(
    context: BrowserContext, site: str, errors: list[str], who: str
) -> None:
    """Add to ``errors`` each violation on a page of ``site`` opened in ``context``."""
    await context.add_init_script(script=REPORT_VIOLATIONS)

    def noted(message: ConsoleMessage) -> None:
        page = message.page
        if is_violation(message) and page is not None and page.url.startswith(site):
            errors.append(f"{who}: {message.text} (on {page.url})")

    context.on("console", noted)
