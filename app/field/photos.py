"""Photos from the field: judged by their content, re-encoded without metadata, kept out of reach.

An upload is believed only after Pillow has read it: the file name and the Content-Type the phone
sent are ignored. Only JPEG, PNG and WebP are opened at all (SVG, GIF, PDF … are refused); the
pixel count is checked from the header before anything is decoded (decompression bombs); the
picture is turned upright, shrunk to a sane size and saved afresh as JPEG, so EXIF (GPS position,
phone model), comments and any hidden payload are left behind. Files go under UPLOAD_FOLDER (by
default <instance>/uploads, never the static folder) by random names the server chooses, and are
served only through a route that checks the viewer may see the ticket.
"""
from __future__ import annotations

import io
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Sequence

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from app.core.errors import DomainError, ValidationFailed
from app.core.text import clean_text
from app.extensions import db
from app.field.models import TicketPhoto

log = logging.getLogger(__name__)

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")  # what Pillow must find inside, whatever the name says
MAX_PHOTOS = 5  # per submission
MAX_PHOTO_BYTES = 8 * 1024 * 1024  # each, as uploaded
MAX_PIXELS = 40_000_000  # width × height from the header, checked before decoding
MAX_DIMENSION = 2048  # longest side kept: plenty to read a meter or see a leak
JPEG_QUALITY = 85
STORED_TYPE = "image/jpeg"
STORED_SUFFIX = ".jpg"
# The resolve form may carry this much (all photos plus the text fields); the app's global limit
# (MAX_CONTENT_LENGTH, 1 MB) is raised to it for that one route only.
MAX_REQUEST_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024


class PhotoRefused(DomainError):
    """This upload is not a photo we keep; `message` says why."""


@dataclass(frozen=True)
class CleanPhoto:
    """A photo that passed every check, re-encoded and ready to store."""

    data: bytes
    content_type: str
    width: int
    height: int
    source_format: str  # what the upload really was: "JPEG", "PNG" or "WEBP"


def read_limited(stream: BinaryIO) -> bytes:
    """At most MAX_PHOTO_BYTES + 1 bytes: enough to tell a file is too large without reading all of it."""
    return stream.read(MAX_PHOTO_BYTES + 1)


def clean_photo(raw: bytes) -> CleanPhoto:
    """Check an upload by its content and return it re-encoded; raises PhotoRefused."""
    if not raw:
        raise PhotoRefused(_l("The file is empty."))
    if len(raw) > MAX_PHOTO_BYTES:
        raise PhotoRefused(_l("The photo is larger than %(mb)d MB.", mb=MAX_PHOTO_BYTES // (1024 * 1024)))
    try:
        with Image.open(io.BytesIO(raw), formats=ACCEPTED_FORMATS) as image:
            source_format = image.format or ""
            width, height = image.size  # from the header: nothing is decoded yet
            if width * height > MAX_PIXELS:
                raise PhotoRefused(_too_many_pixels())
            image.draft("RGB", (MAX_DIMENSION, MAX_DIMENSION))  # JPEG: decode at a reduced scale
            upright = ImageOps.exif_transpose(image)  # phones store "rotate me" in EXIF, which we drop
            upright.thumbnail((MAX_DIMENSION, MAX_DIMENSION), Image.Resampling.LANCZOS)
            picture = _flatten(upright)
    except PhotoRefused:
        raise
    except Image.DecompressionBombError:
        raise PhotoRefused(_too_many_pixels()) from None
    except UnidentifiedImageError:
        raise PhotoRefused(_l("This is not a JPEG, PNG or WebP photo.")) from None
    except Exception:  # a damaged file can make a decoder fail in many ways: none is a server error
        log.info("photo could not be decoded", exc_info=True)
        raise PhotoRefused(_l("This photo is damaged and cannot be read.")) from None
    if source_format not in ACCEPTED_FORMATS:  # belt and braces: formats= already limits the decoders
        raise PhotoRefused(_l("This is not a JPEG, PNG or WebP photo."))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanPhoto(data=out.getvalue(), content_type=STORED_TYPE, width=picture.width,
                      height=picture.height, source_format=source_format)


def _too_many_pixels():
    return _l("The photo has too many pixels (at most %(mp)d megapixels).", mp=MAX_PIXELS // 1_000_000)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white, with no metadata left in `info` for the encoder to copy (e.g. a JPEG comment)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        picture = Image.new("RGB", rgba.size, (255, 255, 255))
        picture.paste(rgba, mask=rgba.getchannel("A"))
    else:
        picture = image.convert("RGB")
    picture.info = {}
    return picture


def chosen_files(files: Sequence[FileStorage]) -> list[FileStorage]:
    """The file inputs that carry a file (an empty input still sends a part with no name)."""
    return [f for f in files if f is not None and (f.filename or "").strip()]


def check_uploads(files: Sequence[FileStorage]) -> list[CleanPhoto]:
    """Every chosen photo cleaned; raises ValidationFailed({"photos": …}) naming each refused file."""
    files = chosen_files(files)
    if len(files) > MAX_PHOTOS:
        raise ValidationFailed({"photos": _l("Attach at most %(n)d photos.", n=MAX_PHOTOS)})
    cleaned, problems = [], []
    for number, upload in enumerate(files, start=1):
        try:
            cleaned.append(clean_photo(read_limited(upload.stream)))
        except PhotoRefused as refused:
            name = clean_text(upload.filename)[:60] or str(number)
            problems.append(str(_l("“%(name)s”: %(problem)s", name=name, problem=refused.message)))
    if problems:
        raise ValidationFailed({"photos": " ".join(problems)})
    return cleaned


def upload_folder() -> Path:
    """Where uploads live: UPLOAD_FOLDER, else <instance>/uploads. Never under the static folder."""
    folder = Path(current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads"))
    static = Path(current_app.static_folder or "").resolve()
    resolved = folder.resolve()
    if current_app.static_folder and (resolved == static or static in resolved.parents):
        raise RuntimeError("UPLOAD_FOLDER must not be inside the static folder: uploads would bypass access checks")
    return folder / "photos"


def path_of(photo: TicketPhoto) -> Path:
    """The stored file of a photo."""
    return upload_folder() / photo.stored_name


def store(ticket, uploader, photos: Sequence[CleanPhoto], now: datetime | None = None) -> list[TicketPhoto]:
    """Write the files under new random names and add their rows (the caller commits, or discards)."""
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    rows = []
    for photo in photos:
        name = secrets.token_hex(16) + STORED_SUFFIX
        _write_new(folder / name, photo.data)
        row = TicketPhoto(ticket=ticket, stored_name=name, content_type=photo.content_type, width=photo.width,
                          height=photo.height, byte_size=len(photo.data), uploaded_by=uploader)
        if now is not None:
            row.created_at = now
        db.session.add(row)
        rows.append(row)
    return rows


def _write_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet, readable by the app only; never a half-written file."""
    partial = path.with_name(path.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def discard(rows: Sequence[TicketPhoto]) -> None:
    """Remove the files of photos whose transaction did not commit."""
    for row in rows:
        try:
            path_of(row).unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove uncommitted photo %s", row.stored_name, exc_info=True)
