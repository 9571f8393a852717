"""The protect stage: before an approved destructive action runs, make it reversible.

For each target a *net* (one module per resource kind: :mod:`.directory`, :mod:`.gitrepo`,
:mod:`.sqlite`, :mod:`.postgres`, :mod:`.mysql`) takes a snapshot into a *store* (the
independent backup domain: :mod:`.stores.local`, :mod:`.stores.s3`), the snapshot is
verified (every blob re-read and its sha256 compared) and only then is a manifest
committed: a snapshot without a committed manifest does not exist. Where Airlock itself
executes, a net can also turn the delete into a quarantine (rename + retention clock).
:mod:`.engine` ties it together for the hold service and the CLI.
"""

from __future__ import annotations


class ProtectError(Exception):
    """The safety net could not be put in place; the destructive step must not run."""


class StoreFull(ProtectError):
    pass


class StoreUnwritable(ProtectError):
    pass


class NotIndependent(ProtectError):
    pass


class RestoreRefused(ProtectError):
    """Restoring would overwrite something that exists now under the same name."""
