"""One definition per tool: name, description for a model, pydantic arguments, handler.

Adapters loop over :class:`ToolSpec` objects; they never define a tool themselves, so names,
descriptions and argument schemas are identical on every surface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from .context import ToolContext

__all__ = ["PATH_FIELD", "VAULT_FIELD", "Args", "ToolSpec"]


#: the ``vault_id`` and ``path`` arguments, described alike in every tool
VAULT_FIELD: Any = Field(None, description="Vault id. Omit to use the session's default vault.")
PATH_FIELD: Any = Field(description="Secret path, e.g. 'prod/stripe/api_key' (segments of A-Z a-z 0-9 _ -).")


class Args(BaseModel):
    """Base of every tool's arguments: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


#: ``handler(ctx, args)``: the narrow context and the validated arguments; a JSON-able result
Handler = Callable[["ToolContext", Any], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A framework-neutral tool.

    ``read_only`` tools never change the vault; an operator's read-only policy drops the others.
    ``takes_values`` marks the tools whose arguments may legitimately carry a new secret value
    (``put_secret``, ``rotate_and_store``): the exfiltration guard does not refuse them.
    """

    name: str
    description: str
    args_model: type[Args]
    handler: Handler
    read_only: bool = True
    takes_values: bool = False

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of the arguments, as every surface presents it."""
        return self.args_model.model_json_schema()

    def __repr__(self) -> str:
        return f"ToolSpec({self.name!r})"
