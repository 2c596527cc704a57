"""First-page thumbnails of slide packs, rendered from the PDF with pypdfium2 (a wheel: no system
packages). PPTX files get none: rendering them would need an office suite on the server.

Rendering never runs in a request: a Celery task (news.tasks.slide_thumbnail_make) runs
`make_thumbnail`, which draws the page in a child process of its own (`python -m
news.thumbnails`) with a memory limit (RLIMIT_AS), a CPU-time limit (RLIMIT_CPU) and a wall-clock
timeout. A hostile PDF (a page that draws a 20,000 x 20,000 image forty times took 9 s here)
only costs that child; pdfium, which is not thread-safe, never shares a process with anything
else, so no lock is needed. The scale comes from the page's declared size, so the bitmap is at
most THUMBNAIL_WIDTH wide and MAX_HEIGHT tall whatever the page says, and a page whose declared
size is absurd is refused before anything is drawn.

This module imports nothing from Django: the child process runs it on its own.
"""

import io
import subprocess
import sys
from pathlib import Path

THUMBNAIL_WIDTH = 480  # pixels; the page shows it at up to 240 CSS pixels (sharp on HiDPI screens)
MAX_HEIGHT = 720  # pixels: a portrait page is scaled to this height instead
MAX_PAGE_POINTS = 14_400  # PDF's own limit is 200 inches; anything bigger is not a slide
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# The end of a PDF: the cross-reference offset and end-of-file marker every writer puts there.
TAIL_BYTES = 2048
PROJECT = Path(__file__).resolve().parents[1]


class ThumbnailFailed(Exception):
    """The first page could not be drawn within the limits (or at all): the pack shows a generic icon."""


def looks_like_a_pdf(tail: bytes) -> bool:
    """A cheap check for the upload request (which must not parse the PDF): a PDF ends with
    `startxref`, an offset and `%%EOF`. Anything else is a truncated or made-up file."""
    return b"startxref" in tail and b"%%EOF" in tail


def make_thumbnail(data: bytes, *, seconds: int, memory_mb: int) -> bytes:
    """The PDF's first page as a PNG, drawn in a child process limited to `memory_mb` of address
    space and `seconds` of CPU time (and killed after three times that in wall-clock time, for a
    machine under load). Raises ThumbnailFailed when it cannot be drawn within them."""
    command = [sys.executable, "-m", "news.thumbnails", str(memory_mb * 1024 * 1024), str(seconds)]
    try:
        # The command is this interpreter running this module; nothing in it comes from the upload.
        child = subprocess.run(  # noqa: S603
            command, input=data, capture_output=True, timeout=seconds * 3, cwd=PROJECT, check=False
        )
    except subprocess.TimeoutExpired:
        raise ThumbnailFailed(f"Drawing the first page took more than {seconds * 3} s.") from None
    if child.returncode < 0:
        raise ThumbnailFailed(f"Drawing the first page was stopped (signal {-child.returncode}): too slow or too big.")
    if child.returncode != 0:
        reason = child.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {child.returncode}"]
        raise ThumbnailFailed(f"The first page could not be drawn: {reason[0][:300]}")
    if not child.stdout.startswith(PNG_MAGIC):
        raise ThumbnailFailed("The renderer gave no image.")
    return child.stdout


def render_first_page(data: bytes) -> bytes:
    """In the child process: the first page as a PNG THUMBNAIL_WIDTH pixels wide (MAX_HEIGHT tall
    for a portrait page)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        raise ThumbnailFailed("This PDF could not be read.") from None
    try:
        if len(document) == 0:
            raise ThumbnailFailed("This PDF has no pages.")
        page = document[0]
        width, height = page.get_size()
        if not (0 < width <= MAX_PAGE_POINTS and 0 < height <= MAX_PAGE_POINTS):
            raise ThumbnailFailed(f"The first page has an impossible size ({width:.0f} x {height:.0f} points).")
        # Bounded both ways, so a freakishly tall or wide page cannot exhaust memory.
        bitmap = page.render(scale=min(THUMBNAIL_WIDTH / width, MAX_HEIGHT / height))
        image = bitmap.to_pil()
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", optimize=True)
        page.close()
        return out.getvalue()
    except pdfium.PdfiumError:
        raise ThumbnailFailed("The first page of this PDF could not be drawn.") from None
    finally:
        document.close()


def _child(memory_bytes: int, seconds: int) -> int:
    """`python -m news.thumbnails MEMORY SECONDS`: the PDF on stdin, the PNG on stdout."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))  # SIGXCPU, then SIGKILL
    data = sys.stdin.buffer.read()
    try:
        png = render_first_page(data)
    except ThumbnailFailed as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    except MemoryError:
        sys.stderr.write("The first page needs more memory than a thumbnail may use.\n")
        return 3
    sys.stdout.buffer.write(png)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(int(sys.argv[1]), int(sys.argv[2])))
