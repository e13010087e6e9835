"""The audit report (PDF), in parts: what it says, gathered in one pass over the trial's
events (:mod:`.facts`, with the integrity check of :mod:`.integrity`), and how it is set
on A4 pages (:mod:`.layout`, then one module a part: the summary and the protocol's
versions, the amendments, the decisions, disputes and comments, the integrity page).
``server/audit/report_pdf.py`` puts them together."""
