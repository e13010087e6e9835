"""The page a person lands on at ``/`` until the web front end arrives: how to begin."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Concord</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem}
code,pre{background:#f4f4f4;padding:.1rem .3rem}</style></head>
<body><h1>Concord</h1>
<p>Clinical-trial protocols, written and governed together. Every change is an event in an
append-only, hash-chained log.</p>
<h2>Begin</h2>
<ol>
<li>Sign in with a user printed by <code>concord serve --demo</code> or made with
<code>concord user create</code>:
<pre>curl -c jar -H 'Content-Type: application/json' \\
  -d '{"username":"sam","password":"…"}' http://HOST/api/session</pre></li>
<li>Or issue an API token for scripts (<code>POST /api/tokens</code>) and send it as
<code>Authorization: Bearer …</code>.</li>
<li>Read the demo trial: <code>GET /api/trials/asthma-301/protocol</code>.</li>
</ol>
<p>Every route is described in <a href="/openapi.json">/openapi.json</a>.</p>
</body></html>
"""


async def landing_page(request: Request) -> Response:
    return HTMLResponse(_PAGE.replace("HOST", request.url.netloc))
