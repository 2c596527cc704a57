import datetime
import itertools

from django.core.files.base import ContentFile

from modifications.models import ModificationDocument, ModificationProposal, Path, Release, Route, Stage
from modifications.services import next_milestone
from secportal.classification import Classification

_numbers = itertools.count(500)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_modification(*, stage=Stage.DRAFT, path="", route="", **fields) -> ModificationProposal:
    """A modification set up directly at a stage (tests of the lifecycle move it with services)."""
    number = fields.pop("number", next(_numbers))
    if stage not in (Stage.DRAFT, Stage.DEVELOPMENT, Stage.CLOSED) and not path:
        path, route = Path.PATH_2, Route.REFINEMENT
    prefix = "MP" if path else "DP"
    modification = ModificationProposal(
        number=number,
        reference=fields.pop("reference", f"{prefix}{number:03d}"),
        title=fields.pop("title", f"Modification {number}"),
        issue=fields.pop("issue", "The problem."),
        stage=stage,
        path=path,
        route=route,
        **fields,
    )
    if not modification.next_milestone:
        modification.next_milestone, date = next_milestone(modification)
        modification.next_milestone_date = modification.next_milestone_date or date
    modification.save()
    return modification


def make_release(**fields) -> Release:
    n = next(_numbers)
    return Release.objects.create(
        name=fields.pop("name", f"Release {n}"),
        slug=fields.pop("slug", f"release-{n}"),
        kind=fields.pop("kind", Release.Kind.JUNE),
        go_live=fields.pop("go_live", datetime.date(2027, 6, 24)),
        **fields,
    )


def make_document(modification, *, classification=Classification.WHITE, title="Legal text", version=1, **fields):
    red = fields.pop("red_recipients", ())
    document = ModificationDocument(
        modification=modification,
        kind=fields.pop("kind", ModificationDocument.Kind.LEGAL_TEXT),
        title=title,
        version=version,
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256="0" * 64,
        classification=classification,
        **fields,
    )
    document.file.save(f"test-{modification.reference}-{title}-{version}.pdf", ContentFile(PDF_BYTES), save=False)
    document.save()
    if red:
        document.red_recipients.set(red)
    return document


def make_report_phase_mp(**fields) -> ModificationProposal:
    """An MP at the Report Phase with its Modification Report published: ready for its MRC."""
    modification = make_modification(stage=Stage.REPORT_PHASE, **fields)
    make_document(modification, kind=ModificationDocument.Kind.MODIFICATION_REPORT, title="Modification Report")
    return modification
