"""Live updates over websockets: the feed that follows the log, the connections that
listen to it, presence, and the handshake that admits them. See docs/live.md."""
