"""The execute stage for HTTP APIs: scoped tokens, provider secrets, the proxy."""
