"""Vault backends: the embedded :class:`LocalVault` and the remote 1Claw client.

Every backend implements the one synchronous :class:`VaultBackend` interface (see
:mod:`.base` for why there is no async backend API).
"""

from .base import VaultBackend

__all__ = ["VaultBackend"]
