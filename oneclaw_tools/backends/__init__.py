"""Vault backends: the embedded vault, the 1Claw API client and OpenBao / HashiCorp Vault.

:class:`.local.LocalVault` (an encrypted SQLite file), :class:`.remote.OneClawVault` (1Claw's
REST API over httpx) and :class:`.openbao.OpenBaoVault` (KV v2 over httpx) each implement the
one synchronous :class:`VaultBackend` interface (see :mod:`.base` for why there is no async
backend API) and pass the one conformance suite, :mod:`oneclaw_tools.testing.backend`.
"""

from .base import VaultBackend

__all__ = ["VaultBackend"]
