"""First-page thumbnails of slide packs, rendered from the PDF with pypdfium2 (a wheel: no system
packages). PPTX files get none: rendering them would need an office suite on the server."""

import io
import threading

import pypdfium2 as pdfium

from secportal.uploads import UploadRejected

THUMBNAIL_WIDTH = 480  # pixels; the page shows it at up to 240 CSS pixels (sharp on HiDPI screens)
MAX_PAGE_POINTS = 14_400  # PDF's own limit is 200 inches; anything bigger is not a slide
# pdfium is not thread-safe: one render at a time per process.
_lock = threading.Lock()


def render_first_page(data: bytes) -> bytes:
    """The PDF's first page as a PNG THUMBNAIL_WIDTH pixels wide; UploadRejected if it cannot be read."""
    with _lock:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            raise UploadRejected(
                "This PDF could not be read. Export it again from your presentation software."
            ) from None
        try:
            if len(document) == 0:
                raise UploadRejected("This PDF has no pages.")
            page = document[0]
            width, height = page.get_size()
            if not (0 < width <= MAX_PAGE_POINTS and 0 < height <= MAX_PAGE_POINTS):
                raise UploadRejected("The first page of this PDF has an impossible size.")
            # Bounded both ways, so a freakishly tall or wide page cannot exhaust memory.
            bitmap = page.render(scale=min(THUMBNAIL_WIDTH / width, THUMBNAIL_WIDTH * 1.5 / height))
            image = bitmap.to_pil()
            out = io.BytesIO()
            image.convert("RGB").save(out, format="PNG", optimize=True)
            page.close()
            return out.getvalue()
        except pdfium.PdfiumError:
            raise UploadRejected("The first page of this PDF could not be drawn.") from None
        finally:
            document.close()
