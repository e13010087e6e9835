"""The protocol in other formats: its content as blocks, XHTML, and CDISC USDM v4.

- ``content``: a section's text as blocks (paragraphs with line breaks, bulleted and
  numbered lists): what a reader sees, the one model every renderer starts from (XHTML
  here; PDF and DOCX build on it too).
- ``xhtml``: blocks to XHTML and XHTML back to blocks (sanitised): the one place that
  learns new content kinds.
- USDM v4 (``docs/formats.md``): ``usdm_export`` (a trial's states as a USDM ``Wrapper``,
  pure), ``usdm_source`` (those states at a log position or protocol version, through the
  audit's replay), ``usdm_terms`` (the CDISC codes written), ``usdm_validation`` (CDISC's
  schema in ``usdm_schema/``, and the first errors of a file), ``usdm_import`` (a file
  read into the plan of a new trial: bounded, sanitised, the narrative placed on the M11
  outline), ``usdm_importing`` (the trial founded from a plan through the command
  service), ``usdm_routes`` (export and import over HTTP), ``usdm_commands`` (``concord
  export --format usdm``, ``concord import``).
"""
