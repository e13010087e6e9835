"""The protocol in other formats: its content as blocks, XHTML, PDF, DOCX and CDISC USDM v4.

- ``content``: the section markup, a section's text as blocks (paragraphs with line
  breaks, bulleted and numbered lists, sub-headings, tables; bold and italic runs) and
  back: what a reader sees, the one model every renderer starts from; its docstring is
  the markup's one statement of rules. ``inline_markup``: one line's marks and escapes,
  read and written.
- ``xhtml``: blocks to XHTML and XHTML back to blocks (sanitised, ``xhtml_reader``): the
  one place that maps content kinds to and from XHTML.
- The protocol as a document (``docs/formats.md``): ``marked_content`` (a section's blocks
  marked inserted and deleted against another text), ``protocol_document`` (what a
  document holds, laid out as M11 asks: what both renderers draw), ``document_building``
  (a published version's or an amendment's document, clean or tracked, from the trial's
  states, pure), ``protocol_pdf`` (the PDF, ReportLab), ``protocol_docx`` (the DOCX,
  python-docx, with real revisions) and ``docx_markup`` (the WordprocessingML python-docx
  has no API for: revision marks, fields, list numbering), ``document_files`` (which
  document, loaded from the log and rendered), ``document_routes`` (over HTTP).
- USDM v4 export (``docs/formats.md``), pure: ``usdm_export`` (a trial's states as a USDM
  ``Wrapper``: the study and its versions, their dates and titles), with
  ``usdm_export_narrative`` (the protocol as a study definition document: its versions'
  narrative contents in M11 order, as XHTML), ``usdm_export_amendments`` (the merged
  amendments, and those an import kept, with their CDISC codes),
  ``usdm_export_organizations`` (organizations, people and their study roles, study
  identifiers), ``usdm_ids`` (ids derived from what they name; provenance: log position
  and hash, the imported file), ``usdm_values`` (the small USDM classes every part writes:
  codes, scopes, dates, extension attributes), ``usdm_terms`` (the CDISC codes written);
  ``usdm_source`` (the states at a log position or protocol version, through the audit's
  replay).
- USDM v4 import: ``usdm_validation`` (CDISC's schema in ``usdm_schema/``, and the first
  errors of a file), ``usdm_import`` (a file read into the plan of a new trial: bounded,
  sanitised, its narrative read), with ``usdm_import_placement`` (the narrative placed on
  the M11 outline), ``usdm_import_amendments`` (the file's amendments, kept as history)
  and ``usdm_import_fields`` (its values visible, trimmed and bounded); ``usdm_importing``
  (the trial founded from a plan through the command service).
- ``usdm_routes`` (export and import over HTTP), ``usdm_commands`` (``concord export
  --format usdm``, ``concord import``).
"""
