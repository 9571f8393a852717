"""Airlock: a safety control plane between AI agents and the infrastructure they touch.

This package root stays import-free on purpose: the hook and check fast paths import
``airlock`` on every agent tool call, so nothing heavy may load here.
"""

__version__ = "0.1.0"
