"""The hold stage: requests, human approvals, cooldowns and the request state machine."""
