"""Private storage of uploaded recordings: outside every public folder, capped while streaming.

Files live under `<data_dir>/recordings/<organisation>/`, named by a random id (never by the
user's filename), and are served only through an authenticated route that checks the tenant.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import BinaryIO

RECORDINGS = "recordings"


class UploadTooLarge(Exception):
    """The upload went over the size cap; what was received is already deleted."""


def recordings_root(data_dir: Path) -> Path:
    """Where every organisation's recordings live."""
    return data_dir / RECORDINGS


def resolve(data_dir: Path, relative: str) -> Path:
    """The absolute path of a stored recording, refusing anything outside the store."""
    root = recordings_root(data_dir).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise ValueError("a recording path must stay inside the recordings folder")
    return path


class RecordingSink:
    """Receives one upload chunk by chunk and enforces the byte cap as it goes."""

    def __init__(self, data_dir: Path, organization_id: int, max_bytes: int) -> None:
        folder = recordings_root(data_dir) / str(organization_id)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.relative = f"{organization_id}/{secrets.token_hex(16)}.rec"
        self.path = folder / Path(self.relative).name
        self.max_bytes = max_bytes
        self.size = 0
        self._file: BinaryIO | None = self.path.open("xb")
        os.chmod(self.path, 0o600)

    def write(self, data: bytes) -> None:
        """Append a chunk; over the cap the file is deleted and UploadTooLarge raised."""
        if self._file is None:
            raise ValueError("this upload is already closed")
        self.size += len(data)
        if self.size > self.max_bytes:
            self.discard()
            raise UploadTooLarge(
                f"This file is larger than the {self.max_bytes / 1e6:g} MB we accept."
            )
        self._file.write(data)

    def close(self) -> str:
        """Finish the upload; returns the path relative to the store."""
        if self._file is not None:
            self._file.close()
            self._file = None
        return self.relative

    def discard(self) -> None:
        """Drop the upload (a cap reached, a cancelled or failed transfer)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path.unlink(missing_ok=True)


def delete(data_dir: Path, relative: str) -> None:
    """Delete a stored recording (nothing happens when it is already gone)."""
    if relative:
        resolve(data_dir, relative).unlink(missing_ok=True)
