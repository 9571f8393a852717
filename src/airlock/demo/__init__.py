"""Demos: the incident replayed against a local stand-in PaaS."""
