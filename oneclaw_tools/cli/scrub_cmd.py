"""``oneclaw-tools scrub``: redact a log or transcript before sharing it.

Reads text on stdin and writes it to stdout with every value stored in the vault (latest
version of every live path) masked as ``[secret:<path>]``, in every encoding the guard knows,
and every credential of a well-known format masked as ``[secret:pattern:<rule>]``. The input is
processed as a stream, so a large log needs little memory; bytes that are not UTF-8 pass
through unchanged.

Reading every value of the vault is right for this operator command and never for an agent
session. The embedded vault exports its values without counting accesses (the export itself
is audited); another backend is read with ``list_secrets`` and ``get_secret`` over every vault
it can see, skipping paths it may not read.
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

__all__ = ["iter_vault_values", "register", "scrub_stream"]

_CHUNK = 1 << 16


def iter_vault_values(backend: VaultBackend, vault: str | None = None) -> Iterator[tuple[str, str]]:
    """``(path, plaintext)`` for the latest version of every live secret the backend can read."""
    export = getattr(backend, "export_latest_unsafe", None)
    if export is not None:
        for path, value in export(vault):
            yield path, value.reveal_unsafe()
        return
    vault_ids = [vault] if vault is not None else [v.id for v in backend.list_vaults()]
    for vault_id in vault_ids:
        for meta in backend.list_secrets(vault_id):
            try:
                secret = backend.get_secret(vault_id, meta.path)
            except OneClawError:  # expired, used up, or not readable by this principal
                continue
            yield meta.path, secret.value.reveal_unsafe()


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
        guard.register_many((value, path) for path, value in iter_vault_values(backend, vault))
    guard.compact()
    scrub_stream(guard, sys.stdin.buffer, sys.stdout.buffer)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "scrub",
        help="mask every vault value and known credential format in stdin, write stdout",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    parser.set_defaults(func=_cmd_scrub)
