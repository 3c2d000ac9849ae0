"""Key-encryption keys of the embedded vault: the provider interface and its three kinds.

``file`` (:class:`oneclaw_tools.crypto.KeyRing`: the key file or ``ONECLAW_LOCAL_VAULT_KEY``),
``pkcs11`` (:mod:`.pkcs11`, a non-extractable AES key in an HSM or token) and ``transit``
(:mod:`.transit`, an OpenBao/HashiCorp Vault transit key). :mod:`.providers` builds one from a
vault's record and the environment.
"""

from .base import KEK_KINDS, KekProvider, KekUnavailable

__all__ = ["KEK_KINDS", "KekProvider", "KekUnavailable"]
