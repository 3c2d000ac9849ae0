"""What every adapter's toolkit class shares: its constructors from configuration.

LangChain's ``OneClawToolkit``, LlamaIndex's ``OneClawToolSpec`` and CrewAI's
``OneClawCrewTools`` are each built as ``cls(session, prefix=..., **options)``.
:class:`SessionConstructors` gives them ``from_env``, ``remote`` and ``local`` with the same
signature and meaning on every surface: a :class:`~oneclaw_tools.session.Session` opened from the
environment, from 1Claw settings given in code, or on an embedded vault file; the keywords the
class names in :attr:`SessionConstructors.ADAPTER_OPTIONS` (and ``prefix``) go to the class,
every other keyword to the session (``policy=``, ``guard=``, ``token=``, ...). Nothing here
imports a framework.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

from .naming import check_prefix

if TYPE_CHECKING:
    from .session import Session

__all__ = ["SessionConstructors"]


class SessionConstructors:
    """``from_env``, ``remote`` and ``local`` for a class built as ``cls(session, prefix=..., **options)``."""

    #: keywords of the adapter's own constructor besides ``prefix`` (the rest go to the session)
    ADAPTER_OPTIONS: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def _split(cls, prefix: str, kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the class's options, the session's keywords); a bad prefix fails before a session opens."""
        check_prefix(prefix)
        options = {name: value for name, value in kwargs.items() if name in cls.ADAPTER_OPTIONS}
        return options, {name: value for name, value in kwargs.items() if name not in cls.ADAPTER_OPTIONS}

    @classmethod
    def _build(cls, session: Session, prefix: str, options: dict[str, Any]) -> Self:
        return cast("Callable[..., Self]", cls)(session, prefix=prefix, **options)

    @classmethod
    def from_env(cls, *, prefix: str = "", **kwargs: Any) -> Self:
        """The backend the environment selects (see ``Session.from_env``): 1Claw when
        ``ONECLAW_AGENT_API_KEY`` is set, OpenBao with ``BAO_ADDR``, else the embedded vault."""
        from .session import Session

        options, session_kwargs = cls._split(prefix, kwargs)
        return cls._build(Session.from_env(**session_kwargs), prefix, options)

    @classmethod
    def remote(
        cls,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        vault_id: str | None = None,
        prefix: str = "",
        **kwargs: Any,
    ) -> Self:
        """1Claw's API configured in code (see ``Session.remote``: also ``token=``, ``agent_id=``)."""
        from .session import Session

        options, session_kwargs = cls._split(prefix, kwargs)
        session = Session.remote(api_key, base_url=base_url, vault_id=vault_id, **session_kwargs)
        return cls._build(session, prefix, options)

    @classmethod
    def local(cls, path: str | Path, *, prefix: str = "", **kwargs: Any) -> Self:
        """An embedded vault in the SQLite file at ``path`` (created on first use)."""
        from .session import Session

        options, session_kwargs = cls._split(prefix, kwargs)
        return cls._build(Session.local(path, **session_kwargs), prefix, options)
