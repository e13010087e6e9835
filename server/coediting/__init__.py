"""Live co-editing: the shared text of each section, folded from the log.

What people type travels as Yjs updates (``domain.shared_text``); the log records each
one before anyone else sees it, and this package keeps the documents the updates build.

- ``updates``: whether bytes are an update at all (checked before anything is recorded).
- ``rich_text``: a document's content as the section's markup and back (the node names
  the browser's editor uses, ``web/js/rich-editor.js``).
- ``snapshots``: documents saved at a stream version, so opening a section does not
  replay its whole history (derived data: a snapshot that does not check out is ignored).
- ``documents``: the projection that keeps the open documents current as events commit.
- ``routes``: the HTTP routes (read a document, send an update, record a revision).

Cursors and selections are not here: they are presence (``server/live``), never logged.
See ``docs/coediting.md``.
"""
