"""Photos from the field, without HTTP: believed only for what Pillow finds inside, re-encoded
without their metadata, stored by random names outside the static folder."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageFile
from werkzeug.datastructures import FileStorage

from app.core.errors import ValidationFailed
from app.field import photos
from app.field.photos import PhotoRefused, check_uploads, clean_photo
from tests.test_field_fixtures import image_bytes, new_job, uploads  # noqa: F401  (fixtures)


def upload(data: bytes, filename: str = "photo.jpg", content_type: str = "image/jpeg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height but whose pixel data is junk: only decoding would notice."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"junk") + chunk(b"IEND", b"")


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (40.0, 39.0, 30.0), 3: "E", 4: (109.0, 50.0, 20.0)}  # GPSInfo: Baotou
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 200)).save(out, "JPEG", exif=exif.tobytes(), comment=b"secret note")
    return out.getvalue()


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- what is accepted -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_photos_are_accepted_and_stored_as_jpeg(ctx, fmt):
    cleaned = clean_photo(image_bytes(fmt, size=(64, 48)))
    assert cleaned.source_format == fmt
    assert cleaned.content_type == "image/jpeg"
    assert reopen(cleaned.data).format == "JPEG"
    assert (cleaned.width, cleaned.height) == (64, 48)


def test_a_png_named_jpg_is_accepted_as_the_png_it_is(ctx):
    [cleaned] = check_uploads([upload(image_bytes("PNG"), "photo.jpg", "image/jpeg")])
    assert cleaned.source_format == "PNG"


def test_a_transparent_png_is_flattened_onto_white(ctx):
    cleaned = clean_photo(image_bytes("PNG", size=(10, 10), color=(0, 0, 0, 0), mode="RGBA"))
    red, green, blue = reopen(cleaned.data).getpixel((5, 5))
    assert min(red, green, blue) > 245


def test_a_large_photo_is_shrunk_to_the_longest_side_kept(ctx):
    cleaned = clean_photo(image_bytes("JPEG", size=(4000, 3000)))
    assert (cleaned.width, cleaned.height) == (photos.MAX_DIMENSION, 1536)


def test_a_photo_taken_sideways_is_turned_upright_before_its_exif_is_dropped(ctx):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    cleaned = clean_photo(image_bytes("JPEG", size=(60, 40), exif=exif.tobytes()))
    assert (cleaned.width, cleaned.height) == (40, 60)


# --- what is refused --------------------------------------------------------------------------

def test_a_text_file_named_photo_jpg_is_refused(ctx):
    with pytest.raises(ValidationFailed) as refused:
        check_uploads([upload(b"just some text, not a picture\n" * 10, "photo.jpg", "image/jpeg")])
    assert "photo.jpg" in str(refused.value.errors["photos"])


@pytest.mark.parametrize("filename, content_type", [("drawing.svg", "image/svg+xml"), ("photo.png", "image/png")])
def test_an_svg_is_refused_whatever_it_is_called(ctx, filename, content_type):
    svg = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
           b'<script>alert(1)</script><rect width="10" height="10"/></svg>')
    with pytest.raises(ValidationFailed):
        check_uploads([upload(svg, filename, content_type)])


def test_a_gif_is_refused_even_named_jpg(ctx):
    with pytest.raises(PhotoRefused):
        clean_photo(image_bytes("GIF"))


def test_a_file_over_the_size_limit_is_refused_even_when_it_is_a_real_jpeg(ctx):
    padded = image_bytes("JPEG") + b"\0" * photos.MAX_PHOTO_BYTES  # decoders ignore what follows the image
    with pytest.raises(PhotoRefused) as refused:
        clean_photo(padded)
    assert "MB" in str(refused.value.message)


def test_the_size_limit_reads_no_more_than_it_needs(ctx):
    stream = io.BytesIO(b"x" * (photos.MAX_PHOTO_BYTES * 2))
    assert len(photos.read_limited(stream)) == photos.MAX_PHOTO_BYTES + 1


def test_an_image_with_too_many_pixels_is_refused_without_being_decoded(ctx, monkeypatch):
    def decoding(*args, **kwargs):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decoding)
    from flask_babel import force_locale

    with pytest.raises(PhotoRefused) as refused:
        clean_photo(png_header_only(8000, 6000))  # 48 megapixels claimed in a file of a few bytes
    with force_locale("en"):
        assert "megapixels" in str(refused.value.message)


def test_a_damaged_photo_is_refused_not_a_server_error(ctx):
    with pytest.raises(PhotoRefused):
        clean_photo(image_bytes("JPEG", size=(200, 200))[:300])


def test_an_empty_file_is_refused(ctx):
    with pytest.raises(PhotoRefused):
        clean_photo(b"")


def test_more_than_five_photos_are_refused(ctx):
    with pytest.raises(ValidationFailed) as refused:
        check_uploads([upload(image_bytes()) for _ in range(photos.MAX_PHOTOS + 1)])
    assert "photos" in refused.value.errors


def test_an_empty_file_input_counts_as_no_photo(ctx):
    assert check_uploads([FileStorage(stream=io.BytesIO(b""), filename="", content_type="application/octet-stream")]) == []


# --- metadata ---------------------------------------------------------------------------------

def test_exif_with_the_gps_position_is_gone_from_the_stored_photo(ctx, app, uploads, new_job):
    from app.auth.models import User
    from app.extensions import db
    from app.tickets.models import Ticket

    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test photo does carry a position

    job = new_job()
    ticket = db.session.get(Ticket, job.id)
    [stored] = photos.store(ticket, db.session.get(User, ticket.assignee_id), [clean_photo(original)])
    kept = Image.open(photos.path_of(stored))
    assert len(kept.getexif()) == 0
    assert "exif" not in kept.info and "comment" not in kept.info
    assert b"secret note" not in photos.path_of(stored).read_bytes()


# --- storage ----------------------------------------------------------------------------------

def test_photos_are_stored_by_random_names_under_the_upload_folder(ctx, app, uploads, new_job):
    from app.extensions import db
    from app.tickets.models import Ticket

    ticket = db.session.get(Ticket, new_job().id)
    rows = photos.store(ticket, None, [clean_photo(image_bytes()), clean_photo(image_bytes())])
    names = [r.stored_name for r in rows]
    assert len(set(names)) == 2 and all(name.endswith(".jpg") and len(name) == 36 for name in names)
    assert all(photos.path_of(r).parent == uploads for r in rows)
    assert all(r.byte_size == photos.path_of(r).stat().st_size for r in rows)
    static = app.static_folder
    assert all(static not in str(photos.path_of(r).resolve()) for r in rows)


def test_discarding_removes_the_files_of_photos_that_were_not_saved(ctx, uploads, new_job):
    from app.extensions import db
    from app.tickets.models import Ticket

    ticket = db.session.get(Ticket, new_job().id)
    rows = photos.store(ticket, None, [clean_photo(image_bytes())])
    photos.discard(rows)
    assert not photos.path_of(rows[0]).exists()


def test_an_upload_folder_inside_the_static_folder_is_refused(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", app.static_folder + "/uploads")
    with pytest.raises(RuntimeError):
        photos.upload_folder()


def test_without_a_setting_photos_go_under_the_instance_folder(ctx, app, monkeypatch):
    monkeypatch.delitem(app.config, "UPLOAD_FOLDER", raising=False)
    assert str(photos.upload_folder()).startswith(app.instance_path)
