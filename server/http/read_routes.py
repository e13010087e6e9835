"""Every read over HTTP: the trial's current state (``server.http.query_routes``) and its
past (``server.audit.routes``). The app serves and the OpenAPI document describes these."""

from __future__ import annotations

from server.audit.routes import AUDIT_ROUTES
from server.http.query_routes import QUERY_ROUTES, QueryRoute

READ_ROUTES: tuple[QueryRoute, ...] = QUERY_ROUTES + AUDIT_ROUTES
