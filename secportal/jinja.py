"""The Jinja2 environment of the pages' hottest fragments (docs/decisions.md, "Jinja2 for the rows of
the hottest lists").

Django's own Jinja2 backend reads these templates from jinja2/ at the project root; a Django
template renders one with `{% jinja "name" key=value %}` (secportal.templatetags.portal), giving it
only those values. They have the helpers the Django templates have: `url()`, `static()`, the
portal's date and size filters, `timespan()` and `date_leaf()`. An undefined name is an error,
never an empty string.
"""

from django.templatetags.static import static
from django.urls import reverse
from jinja2 import Environment, StrictUndefined

from .templatetags import portal


def url(name: str, *args) -> str:
    return reverse(name, args=args)


def environment(**options) -> Environment:
    options.pop("autoescape", None)
    options["undefined"] = StrictUndefined
    env = Environment(autoescape=True, **options)
    env.globals.update(url=url, static=static, timespan=portal.timespan, date_leaf=portal.date_leaf)
    env.filters.update(ukdate=portal.ukdate, ukdatetime=portal.ukdatetime, filesize=portal.filesize)
    return env
