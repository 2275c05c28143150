"""The download of stored files by signed link: public, the signature is the permission."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Query, Request, Response

from comptoir.files.service import files
from comptoir.files.service.storage import Storage, storage_for
from comptoir.server.deps import Config, get_settings
from comptoir.web.websession import Db, web_router

router = web_router()


def _storage(request: Request) -> Storage:
    # One storage (and S3 client, which is slow to build) per application, made on first use.
    storage: Storage | None = getattr(request.app.state, "file_storage", None)
    if storage is None:
        storage = storage_for(get_settings(request))
        request.app.state.file_storage = storage
    return storage


FileStorage = Annotated[Storage, Depends(_storage)]


def _disposition(filename: str) -> str:
    # An ASCII fallback for old clients, the real name in RFC 6266's UTF-8 form.
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/files/{file_id}/{variant}")
def download(
    file_id: str,
    variant: str,
    session: Db,
    storage: FileStorage,
    config: Config,
    expires: Annotated[str, Query(max_length=20)] = "",
    signature: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    found = files.open_signed(
        session,
        storage,
        secret=config.secret_key,
        file_id=file_id,
        variant=variant,
        expires=expires,
        signature=signature,
    )
    return Response(
        found.content,
        media_type=found.content_type,
        headers={
            "Content-Disposition": _disposition(found.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": f"private, max-age={found.max_age}",
        },
    )
