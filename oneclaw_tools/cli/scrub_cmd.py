"""``oneclaw-tools scrub``: redact a log or transcript before sharing it.

Reads text on stdin and writes it to stdout with every value stored in the vault (latest
version of every live path; with ``--all-versions`` also every older, disabled and deleted
version) masked as ``[secret:<path>]``, in every encoding the guard knows,
and every credential of a well-known format masked as ``[secret:pattern:<rule>]``. The input is
processed as a stream, so a large log needs little memory; bytes that are not UTF-8 pass
through unchanged.

Reading every value of the vault is right for this operator command and never for an agent
session. The embedded vault exports its values without counting accesses (the export itself
is audited); another backend is read with ``list_secrets`` and ``get_secret`` over every vault
it can see, skipping paths it may not read (there ``--all-versions`` reads every listed version
of the live paths: a remote API gives no way back to a deleted one).
"""

from __future__ import annotations

import argparse
import codecs
import sys
from collections.abc import Iterator
from typing import BinaryIO

from ..backends.base import VaultBackend
from ..errors import OneClawError
from ..guard import Guard

__all__ = ["iter_all_versions", "iter_vault_values", "register", "scrub_stream"]

_CHUNK = 1 << 16


def _live_secrets(backend: VaultBackend, vault: str | None) -> Iterator[tuple[str, str]]:
    """``(vault_id, path)`` of every live secret in ``vault`` (every vault when None)."""
    vault_ids = [vault] if vault is not None else [v.id for v in backend.list_vaults()]
    for vault_id in vault_ids:
        for meta in backend.list_secrets(vault_id):
            yield vault_id, meta.path


def iter_vault_values(backend: VaultBackend, vault: str | None = None) -> Iterator[tuple[str, str]]:
    """``(path, plaintext)`` for the latest version of every live secret the backend can read."""
    export = getattr(backend, "export_latest_unsafe", None)
    if export is not None:
        for path, value in export(vault):
            yield path, value.reveal_unsafe()
        return
    for vault_id, path in _live_secrets(backend, vault):
        try:
            secret = backend.get_secret(vault_id, path)
        except OneClawError:  # expired, used up, or not readable by this principal
            continue
        yield path, secret.value.reveal_unsafe()


def iter_all_versions(backend: VaultBackend, vault: str | None = None) -> Iterator[tuple[str, str]]:
    """``(path, plaintext)`` for every version the backend can give back, old and deleted ones too."""
    export = getattr(backend, "export_all_versions_unsafe", None)
    if export is not None:
        for path, _version, value in export(vault):
            yield path, value.reveal_unsafe()
        return
    for vault_id, path in _live_secrets(backend, vault):
        try:
            versions = backend.list_versions(vault_id, path)
        except OneClawError:
            continue
        for version in versions:
            try:
                secret = backend.get_secret(vault_id, path, version.version)
            except OneClawError:  # disabled, expired, or not readable by this principal
                continue
            yield path, secret.value.reveal_unsafe()


def scrub_stream(guard: Guard, source: BinaryIO, sink: BinaryIO) -> None:
    """Copy ``source`` to ``sink`` through ``guard``'s streaming scrubber."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    stream = guard.stream()
    while True:
        block = source.read(_CHUNK)
        if not block:
            break
        sink.write(stream.feed(decoder.decode(block)).encode("utf-8", "surrogateescape"))
    tail = stream.feed(decoder.decode(b"", final=True)) + stream.flush()
    sink.write(tail.encode("utf-8", "surrogateescape"))
    sink.flush()


def _cmd_scrub(args: argparse.Namespace) -> int:
    from ..config import open_backend

    guard = Guard(args.engine, patterns=not args.no_patterns)
    with open_backend() as backend:
        vault = args.vault
        if vault is not None:
            resolve = getattr(backend, "resolve_vault", None)
            vault = str(resolve(vault)) if resolve is not None else vault
        values = iter_all_versions if args.all_versions else iter_vault_values
        pairs = [(value, path) for path, value in values(backend, vault)]  # a vault error stays itself
    guard.register_many(pairs)
    guard.compact()
    scrub_stream(guard, sys.stdin.buffer, sys.stdout.buffer)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "scrub",
        help="mask every vault value and known credential format in stdin, write stdout",
        description="Read text on stdin and write it to stdout with every value stored in the vault "
        "masked as [secret:PATH] (raw and in the encodings the guard knows) and every credential of a "
        "well-known format masked as [secret:pattern:RULE]. By default the latest version of each live "
        "secret is masked; --all-versions also masks older, disabled and deleted versions (scrub a log "
        "after rotating a leaked key). Example: oneclaw-tools scrub < transcript.txt > redacted.txt",
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "aho", "hyperscan"),
        default="auto",
        help="matching engine (auto: hyperscan when the 'fast' extra is installed)",
    )
    parser.add_argument("--vault", help="only the values of this vault (name or id); default: every vault")
    parser.add_argument(
        "--no-patterns", action="store_true", help="mask only vault values, not credential formats"
    )
    parser.add_argument(
        "--all-versions",
        action="store_true",
        help="also mask older, disabled and deleted versions (after rotating a leaked key)",
    )
    parser.set_defaults(func=_cmd_scrub)
