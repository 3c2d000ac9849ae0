"""Vault backends: the embedded :class:`LocalVault` and the remote 1Claw client."""

from .base import AsyncVaultBackend, VaultBackend

__all__ = ["AsyncVaultBackend", "VaultBackend"]
