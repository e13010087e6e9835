"""The protocol in other formats: its content as blocks, XHTML, and CDISC USDM v4.

- ``content``: a section's text as blocks (paragraphs with line breaks, bulleted and
  numbered lists): what a reader sees, the one model every renderer starts from (XHTML
  here; PDF and DOCX build on it too).
- ``xhtml``: blocks to XHTML and XHTML back to blocks (sanitised): the one place that
  learns new content kinds.
"""
