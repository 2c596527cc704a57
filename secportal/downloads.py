"""Every file a download view serves from storage goes out through `serve_file`, logged each time."""

from collections.abc import Callable

from django.conf import settings
from django.core.files import File
from django.db import models
from django.http import FileResponse, HttpRequest
from django.utils import timezone


class DownloadLog(models.Model):
    """One row each time a file is served: who (None: a visitor) and when. A concrete log adds
    the foreign key to what was served and names it in `served`."""

    served = ""  # the name of the foreign key to what was served
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    downloaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{getattr(self, self.served)} by {self.user or 'a visitor'}"


def serve_file(
    request: HttpRequest,
    file: File,
    *,
    filename: str,
    content_type: str,
    record: Callable[[object | None], object],
    as_attachment: bool = True,
) -> FileResponse:
    """Answer with `file`, once `record(user)` has logged who was served it (None: a visitor).

    Every serving is logged, whatever asked for it: `Sec-Fetch-Dest` and the like are the
    client's to set (a navigation, an <img>, fetch(), curl), so they decide nothing. The caller
    has already checked that this person may have the file."""
    handle = file.open("rb")
    try:
        record(request.user if request.user.is_authenticated else None)
    except BaseException:
        handle.close()
        raise
    response = FileResponse(handle, as_attachment=as_attachment, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
