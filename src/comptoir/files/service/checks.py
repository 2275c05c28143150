"""What an uploaded file really is, found from its bytes, and a name safe to show."""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from comptoir.kit.errors import FieldError, ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
# A 10 MB file can still unpack to gigabytes of pixels; no receipt photo comes near this.
MAX_PIXELS = 50_000_000
THUMBNAIL_PIXELS = 320
MAX_NAME = 255


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: tuple[str, ...]  # the first is the one given to names that have none
    pillow_format: str | None  # None: not an image

    @property
    def is_image(self) -> bool:
        return self.pillow_format is not None


JPEG = Kind("image/jpeg", (".jpg", ".jpeg"), "JPEG")
PNG = Kind("image/png", (".png",), "PNG")
PDF = Kind("application/pdf", (".pdf",), None)
KINDS = (JPEG, PNG, PDF)
_KNOWN_EXTENSIONS = {extension for kind in KINDS for extension in kind.extensions}


def _refuse(message: str, code: str) -> ValidationFailed:
    return ValidationFailed([FieldError("file", message, code)], message)


def identify(content: bytes) -> Kind:
    """The kind of ``content``, whatever its name says; refuses what is not a receipt."""
    if not content:
        raise _refuse("The file is empty.", "empty")
    if len(content) > MAX_BYTES:
        raise _refuse("The file is larger than 10 MB.", "too_large")
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        kind = JPEG
    elif content.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = PNG
    else:
        raise _refuse("Only JPEG, PNG and PDF files are accepted.", "unsupported_type")
    _check_image(content, kind)
    return kind


def _check_image(content: bytes, kind: Kind) -> None:
    # The magic bytes are three or eight bytes anyone can write: Pillow must read it too.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format != kind.pillow_format:
                    raise _refuse("Only JPEG, PNG and PDF files are accepted.", "unsupported_type")
                if image.width * image.height > MAX_PIXELS:
                    raise _refuse("The image has too many pixels.", "too_large")
                image.verify()
    except ValidationFailed:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _refuse("The image has too many pixels.", "too_large") from None
    # Pillow raises many kinds of errors on a broken image; all mean the same here.
    except Exception:
        raise _refuse("The image is damaged and cannot be read.", "unsupported_type") from None


def thumbnail(content: bytes) -> bytes:
    """A JPEG at most 320 px on its longer side, turned upright, transparency on white.

    This is also where the pixels are first decoded: an image whose header reads well but
    whose data is cut or broken is refused here."""
    try:
        return _thumbnail(content)
    except Exception:
        raise _refuse("The image is damaged and cannot be read.", "unsupported_type") from None


def _thumbnail(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        image.draft("RGB", (THUMBNAIL_PIXELS * 2, THUMBNAIL_PIXELS * 2))
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
        if upright.mode in {"RGBA", "LA", "P"}:
            rgba = upright.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
        else:
            flat = upright.convert("RGB")
        out = io.BytesIO()
        flat.save(out, "JPEG", quality=80)
        return out.getvalue()


def safe_filename(name: str, kind: Kind) -> str:
    """The last part of ``name``, without control characters or dot tricks, ending with an
    extension of the real kind: the name is shown and offered on download, never a path."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[\\/]", name)[-1]
    # Category C: control, format (bidi overrides that disguise an extension), unassigned.
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = re.sub(r"\.{2,}", ".", name).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = f".{extension.lower()}" if extension else ""
    if extension in kind.extensions:
        suffix = extension
    else:
        # A known extension of another kind is replaced; any other stays part of the name.
        suffix = kind.extensions[0]
        if extension not in _KNOWN_EXTENSIONS:
            stem = name
    stem = stem.strip(" .")[: MAX_NAME - len(suffix)].rstrip(" .") or "file"
    return stem + suffix
