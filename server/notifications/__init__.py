"""Email notifications of what waits in a person's inbox (docs/notifications.md).

Only when ``concord serve --smtp URL`` names a mail server: each person chooses
immediate mails, a daily digest or none, and their address (``/api/account/notifications``).
After the log follower applies a trial's events, :class:`~server.notifications.notifier.Notifier`
recomputes its members' inboxes (debounced) and queues a mail for each new item; the
outbox (:mod:`server.notifications.outbox`) sends it with :mod:`smtplib` in a worker
thread, retrying with backoff, and records what was sent for which item so that a
restart neither resends nor loses a mail.
"""
