"""The first words of the pages SECAS edits on the portal (secportal.PageText): the welcome to the
SEC on the home page, the privacy notice and the accessibility statement. A migration writes them;
so does every `migrate` or `flush` for a page that has no row (a test database flushed between
tests, a row deleted by mistake), as `parties` does for the roles. SECAS changes them at
/pages/<page>/edit/; nothing here ever overwrites what SECAS wrote."""

from django.conf import settings

from .richtext import render_markdown

HOME = """\
The **Smart Energy Code (SEC)** is the multi-party contract for the end-to-end management of smart
metering in Great Britain. It sets out how smart meters are installed, connected and used, and
what each organisation involved must do.

- **Who is bound by it**: energy suppliers, the electricity and gas network operators, the Data
  Communications Company (DCC) and the other SEC Parties that use its services have all signed
  the SEC and must follow it.
- **Who governs it**: the **SEC Panel**, with its sub-committees and the Change Board, oversees
  the code and decides how it changes.
- **Who runs it day to day**: **SECAS**, the SEC Administrator and Secretariat, administers the
  code for the Panel: it helps Parties raise and develop changes, runs consultations and
  meetings, and publishes news, events and slide packs.
"""

PRIVACY = """\
SECAS runs the SEC Portal for the SEC Panel, so that SEC Parties can follow and take part in
changes to the Smart Energy Code. This notice says what the portal keeps about you, why, who sees
it and for how long.

## What the portal keeps

- **Your account**: your name, email address, job title and Party, your roles, and whether you
  use two-factor authentication.
- **What you do on the portal**: Draft Proposals you raise, consultation responses you write or
  send, votes, event registrations (with any accessibility or dietary needs you tell us), the
  modifications you follow and your email choices.
- **Records that keep the portal safe**: when you signed in, which protected documents were
  downloaded and by whom, and the emails the portal sent you.

## Why

To run the SEC's change process and its meetings and events, as the SEC asks of SECAS; to tell
you what you asked to hear about; and to keep the portal secure.

## Who sees it

SECAS staff. The people of your own Party see who else in the Party has an account. Consultation
responses are seen as the SEC's rules say: a Party's response is published unless it is marked
confidential. Your accessibility or dietary needs are seen only by SECAS. Nothing is sold or
used for advertising.

## How long

Your account is kept while you use it; when your Party administrator or SECAS removes you, you can
no longer sign in, but what you did on the portal stays part of the record of the SEC. Personal
links in emails (password resets, invitations) are erased once the email is sent or has failed.

## Your rights

You may ask to see what the portal holds about you, to have it corrected, or to object to how it is
used: write to SECAS at [{email}](mailto:{email}). If you are not happy with our answer you may complain to the
Information Commissioner's Office (ico.org.uk).

The portal uses only the cookies it needs to work: see [Cookies](/cookies/).
"""

ACCESSIBILITY = """\
SECAS wants everyone who takes part in the Smart Energy Code to be able to use the SEC Portal. The
portal aims to meet the **Web Content Accessibility Guidelines (WCAG) 2.2 at level AA**.

## What you should be able to do

- use every page with a keyboard alone, with a visible focus and a link to skip to the content;
- zoom to 400% and read pages at 320 CSS pixels wide without scrolling sideways;
- use a screen reader: pages have headings, landmarks, labelled forms and tables with captions;
- read dates and times in UK time, with the time zone named.

## How we test

Every page the portal's automated browser tests visit is checked with axe-core against the WCAG
2.2 A and AA rules, and checked to reflow at 320 CSS pixels; a change that breaks either is not
released. Automated tools find only some problems, so we also ask the people who use the portal,
and those who use assistive technology in particular, to tell us what does not work for them.

## What we know is not yet accessible

Documents uploaded to the portal (PDF and Word papers, PowerPoint slide packs) are written by many
organisations and may not meet the standard. Ask SECAS for a document in another format and we
will help.

## How to report a problem

Email SECAS at [{email}](mailto:{email}) with the address of the page and what went wrong. We reply within 5
Working Days.
"""


def _unwrap(text: str) -> str:
    """One line a paragraph or list item (the text above is wrapped to be read here): easier to
    edit in the portal's text box, and the stored HTML has no line breaks inside sentences."""
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if lines and lines[-1] and stripped and not stripped.startswith(("- ", "## ")):
            lines[-1] += " " + stripped
        else:
            lines.append(stripped)
    return "\n".join(lines).strip()


def default_pages() -> list[tuple[str, str, str]]:
    """(slug, title, Markdown) of each page, with the contact address of this deployment."""
    email = settings.SECPORTAL_CONTACT_EMAIL
    return [
        ("home", "Welcome to the Smart Energy Code", _unwrap(HOME)),
        ("privacy", "Privacy notice", _unwrap(PRIVACY.format(email=email))),
        ("accessibility", "Accessibility statement", _unwrap(ACCESSIBILITY.format(email=email))),
    ]


def ensure_pages(page_model, revision_model, *, using: str = "default") -> int:
    """Write each page that has no row, with its first version; returns how many were written.
    Works on the historical models a migration passes as well as the real ones."""
    written = 0
    for slug, title, body in default_pages():
        if page_model.objects.using(using).filter(slug=slug).exists():
            continue
        html = str(render_markdown(body))
        page = page_model.objects.using(using).create(slug=slug, title=title, body=body, body_html=html)
        revision_model.objects.using(using).create(page=page, number=1, title=title, body=body, body_html=html)
        written += 1
    return written
