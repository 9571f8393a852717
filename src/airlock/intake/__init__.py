"""intake: every surface through which an action enters Airlock (agent tool hooks, exec)."""
