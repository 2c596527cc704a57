"""A success message that offers to undo what was just done.

Django's messages framework keeps a message marked safe as safe across the redirect, so the
message can carry a small form: the text (escaped by the template) and a button that posts to
the action that undoes the change. The button needs the request's CSRF token, which the template
takes from the request like any form; the page shown after the redirect belongs to the same
session, so the token is still good. What an undo may do is the service's to decide when the
button is pressed, never the message's.
"""

from django.contrib import messages
from django.http import HttpRequest
from django.template.loader import render_to_string


def success_with_undo(request: HttpRequest, text: str, *, action: str, label: str = "Undo", describe: str = "") -> None:
    """`text`, then a button labelled `label` that posts to `action`. With `describe` the button's
    accessible name goes on to say what it undoes ("Undo: reinstate Rosa Diaz")."""
    html = render_to_string(
        "includes/message_undo.html",
        {"text": text, "action": action, "label": label, "describe": describe},
        request=request,
    )
    messages.success(request, html)
