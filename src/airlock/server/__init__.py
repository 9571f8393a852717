"""``airlock serve``: the agent API and the human approval web UI."""
