"""What every model picker shows (each text model and whose key serves it) and which model a page
starts on, shared by the playground, the coach and text practice."""

from __future__ import annotations

from quotahit import wiring
from quotahit.accounts.identity import Identity
from quotahit.ai import service


def picker_options(identity: Identity) -> list[dict[str, str]]:
    """The picker's rows for this user now: id, label, who serves it, and the key's source."""
    return [
        {"id": o.id, "label": o.label, "served_by": o.served_by, "source": o.source}
        for o in service.model_options(gateway=wiring.gateway(), identity=identity)
    ]


def usable_choice(options: list[dict[str, str]], current: str) -> str:
    """`current` if some key (or the local engine) serves it, else the first model that is."""
    usable = [option["id"] for option in options if option["source"] != "none"]
    if current in usable:
        return current
    return usable[0] if usable else "local"
