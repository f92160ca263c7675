"""The organisers' mails, in French: what each says, and the message itself (plain text and
HTML, ``multipart/alternative``).

A ``Letter`` is what a mail says (its subject, paragraphs, the reasons with what to change,
its buttons); ``compose`` writes it for one lifecycle event, ``render`` turns it into an
``EmailMessage``. The same content goes into both parts: the HTML is the text with a
title, a list and buttons, styled inline (mail clients drop style sheets).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from functools import partial

from sdi_common.contracts import Imported, Reason

from ..advice import advice

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
SIGNATURE = "L'équipe de la Semaine de l'industrie"


def french_day(d: date) -> str:
    weekday = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    first = "1er" if d.day == 1 else str(d.day)
    return f"{weekday[d.weekday()]} {first} {MONTHS[d.month - 1]} {d.year}"


@dataclass(frozen=True)
class Links:
    """Where a mail may send its reader (None: not in this mail)."""

    page: str | None = None  # the organiser's page (the token in its fragment)
    amend: str | None = None  # the form, prefilled (None after the deadline)
    public: str | None = None  # the event's public page on the map
    kit: str | None = None  # the edition's communication kit


@dataclass(frozen=True)
class Letter:
    kind: str
    subject: str
    title: str
    paragraphs: list[str]
    reasons: list[Reason] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    #: a plain list after the paragraphs (an import's rows)
    items: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What the mails of one event may say."""

    title: str
    submission_id: str
    links: Links
    version: int = 1
    reasons: list[Reason] = field(default_factory=list)
    #: the day by which the team answers a submission held for review
    review_by: date | None = None
    review_days: int = 3
    #: why the organiser can no longer amend (the deadline), if so
    amend_refused: str | None = None
    decided_by_team: bool = False
    by_team: bool = False


def _page_button(links: Links) -> list[tuple[str, str]]:
    return [("Voir mon inscription", links.page)] if links.page else []


def _amend(ctx: Context) -> tuple[list[tuple[str, str]], list[str]]:
    """The amend button, or why there is none."""
    if ctx.amend_refused:
        return _page_button(ctx.links), [ctx.amend_refused]
    if ctx.links.amend:
        return [("Modifier mon inscription", ctx.links.amend), *_page_button(ctx.links)], []
    return _page_button(ctx.links), []


def _quoted(ctx: Context) -> str:
    return f"«\u00a0{ctx.title}\u00a0»"  # French typography: no break inside


#: the closing of the mails whose link opens the inscription
KEEP = ("Gardez ce message : son lien est la clé de votre inscription (ne le transférez pas). "
        "Perdu ? Demandez un nouveau lien sur la page de l'inscription.")


def _receipt(ctx: Context) -> Letter:
    amended = ctx.version > 1
    return Letter(
        "receipt",
        subject=("Modification reçue : " if amended else "Inscription reçue : ") + ctx.title,
        title="Votre modification est reçue" if amended else "Votre inscription est reçue",
        paragraphs=[
            (f"Nous avons bien reçu {'la modification de ' if amended else ''}votre "
            f"événement {_quoted(ctx)}."),
            ("Nous vérifions les quatre conditions du label (dates de la Semaine de "
            "l'industrie, publics, découverte de l'industrie, gratuité) ; vous recevrez "
            "la réponse par courriel, en général dans la minute."),
            ("Depuis la page de votre inscription, vous pouvez suivre son statut, la "
            "modifier, la retirer ou la dupliquer."),
        ],
        buttons=_page_button(ctx.links),
        closing=[KEEP],
    )


def _published(ctx: Context) -> Letter:
    paragraphs = [
        f"Bonne nouvelle : votre événement {_quoted(ctx)} "
        + ("a été labellisé par l'équipe après examen" if ctx.decided_by_team
           else "est labellisé")
        + " «\u00a0Semaine de l'industrie\u00a0» et figure sur la carte publique des événements.",
    ]
    if ctx.links.kit:
        paragraphs.append("Le kit de communication (logos, affiches, messages pour les "
                          "réseaux sociaux) vous aide à le faire connaître.")
    buttons = []
    if ctx.links.public:
        buttons.append(("Voir la page publique de l'événement", ctx.links.public))
    if ctx.links.kit:
        buttons.append(("Télécharger le kit de communication", ctx.links.kit))
    return Letter("published", subject=f"Événement labellisé : {ctx.title}",
                  title="Votre événement est labellisé et publié", paragraphs=paragraphs,
                  buttons=buttons + _page_button(ctx.links))


def _not_labelled(kind: str, ctx: Context) -> Letter:
    buttons, refused = _amend(ctx)
    intro = (f"Après examen, l'équipe de la Semaine de l'industrie n'a pas labellisé "
             f"votre événement {_quoted(ctx)}." if kind == "decided" else
             f"Votre événement {_quoted(ctx)} ne peut pas être labellisé en l'état.")
    return Letter(
        kind,
        subject=f"Événement non labellisé : {ctx.title}",
        title="Votre événement n'est pas labellisé",
        paragraphs=[intro, "Voici pourquoi, et ce que vous pouvez changer :"],
        reasons=ctx.reasons,
        buttons=buttons,
        closing=refused or ["Une fois modifiée, votre inscription est vérifiée à nouveau."],
    )


def _needs_review(ctx: Context) -> Letter:
    when = (f"d'ici le {french_day(ctx.review_by)}" if ctx.review_by
            else f"sous {ctx.review_days} jours ouvrés")
    return Letter(
        "needs_review",
        subject=f"Inscription en cours d'examen : {ctx.title}",
        title="Votre inscription est examinée par l'équipe",
        paragraphs=[
            (f"Votre événement {_quoted(ctx)} remplit les conditions du label, mais un point "
            "demande l'avis de l'équipe de la Semaine de l'industrie :"),
        ],
        reasons=ctx.reasons,
        buttons=_page_button(ctx.links),
        closing=[(f"L'équipe vous répond {when} ({ctx.review_days} jours ouvrés). Vous "
                 "pouvez aussi préciser votre inscription d'ici là.")],
    )


def _location_unresolved(ctx: Context) -> Letter:
    buttons, refused = _amend(ctx)
    return Letter(
        "location_unresolved",
        subject=f"Adresse à vérifier : {ctx.title}",
        title="Vérifiez l'adresse de votre événement",
        paragraphs=[
            (f"Votre événement {_quoted(ctx)} est labellisé, mais nous n'avons pas pu le placer "
            "sur la carte : il n'y paraîtra qu'une fois l'adresse corrigée (ou placée par "
            "l'équipe)."),
        ],
        reasons=ctx.reasons,
        buttons=buttons,
        closing=refused,
    )


def _withdrawn(ctx: Context) -> Letter:
    who = "L'équipe de la Semaine de l'industrie a retiré" if ctx.by_team else "Vous avez retiré"
    return Letter(
        "withdrawn",
        subject=f"Événement retiré : {ctx.title}",
        title="Votre événement est retiré",
        paragraphs=[
            f"{who} l'événement {_quoted(ctx)} : il n'apparaît plus sur la carte publique.",
            ("Sa page reste consultable ; vous pouvez le dupliquer pour l'inscrire à "
            "nouveau, à une autre date ou l'an prochain."),
        ],
        buttons=_page_button(ctx.links),
    )


def _link(ctx: Context) -> Letter:
    return Letter(
        "link",
        subject=f"Votre lien d'accès : {ctx.title}",
        title="Votre nouveau lien d'accès",
        paragraphs=[
            f"Vous avez demandé un nouveau lien pour l'événement {_quoted(ctx)}.",
            "Ce lien remplace le précédent, qui ne fonctionne plus.",
        ],
        buttons=_page_button(ctx.links),
        closing=[("Si vous n'avez rien demandé, ignorez ce message : seul le détenteur de "
                 "cette adresse reçoit le lien."), KEEP],
    )


#: the mail of each kind (``outbox.MAIL_KINDS``)
LETTERS: dict[str, Callable[[Context], Letter]] = {
    "receipt": _receipt,
    "published": _published,
    "rejected": partial(_not_labelled, "rejected"),
    "decided": partial(_not_labelled, "decided"),
    "needs_review": _needs_review,
    "location_unresolved": _location_unresolved,
    "withdrawn": _withdrawn,
    "link": _link,
}


def compose(kind: str, ctx: Context) -> Letter:
    """The mail of ``kind`` (``outbox.MAIL_KINDS``) for one event."""
    try:
        write = LETTERS[kind]
    except KeyError:
        raise ValueError(f"no mail of kind {kind!r}") from None
    return write(ctx)


#: what an import did with a row, as the summary says it
IMPORT_ACTIONS = {"created": "créé", "updated": "mis à jour", "unchanged": "inchangé",
                  "refused": "refusé"}


def import_summary(event: Imported, *, tz: tzinfo, import_page: str) -> Letter:
    """The importer's mail: what the import did with each row (the answer had them too)."""
    rows = event.rows
    n = {a: sum(r.action == a for r in rows) for a in IMPORT_ACTIONS}
    when = event.at.astimezone(tz)
    items = []
    for r in rows:
        ref = f" ({r.external_id})" if r.external_id else ""
        if r.action == "refused":
            items.append(f"Ligne {r.line}{ref} : refusée — {', '.join(r.errors) or 'erreur'}")
        else:
            items.append(f"Ligne {r.line}{ref} : {IMPORT_ACTIONS[r.action]}, n° {r.id}")
    return Letter(
        "import",
        subject=f"Import traité : {n['created']} créé(s), {n['updated']} mis à jour, "
                f"{n['refused']} refusé(s)",
        title="Votre import est traité",
        paragraphs=[
            (f"Votre import du {french_day(when.date())} à {when:%H:%M} ({len(rows)} "
             f"ligne(s)) est traité : {n['created']} événement(s) créé(s), {n['updated']} "
             f"mis à jour, {n['unchanged']} inchangé(s), {n['refused']} ligne(s) refusée(s)."),
            ("Chaque événement est maintenant examiné pour le label ; son organisateur reçoit "
             "le suivi à son adresse. Une ligne refusée n'a rien créé : corrigez-la dans "
             "votre fichier et importez-le de nouveau (les lignes déjà importées restent "
             "inchangées)."),
        ],
        items=items,
        buttons=[("Importer un fichier", import_page)],
        closing=[f"Import n° {event.submission_id}."],
    )


# --------------------------------------------------------------------------- rendering


def text_body(letter: Letter) -> str:
    lines = ["Bonjour,", ""]
    for p in letter.paragraphs:
        lines += [p, ""]
    if letter.items:
        lines += [f"- {item}" for item in letter.items] + [""]
    for r in letter.reasons:
        lines.append(f"- {r.message}")
        if (a := advice(r)) is not None:
            lines.append(f"  Ce que vous pouvez faire : {a}")
    if letter.reasons:
        lines.append("")
    for label, url in letter.buttons:
        lines += [f"{label} :", url, ""]
    for p in letter.closing:
        lines += [p, ""]
    lines += ["Bien cordialement,", SIGNATURE]
    return "\n".join(lines) + "\n"


_BLUE = "#000091"
_P = 'style="margin:0 0 16px;font-size:16px;line-height:24px;color:#161616"'


def html_body(letter: Letter) -> str:
    e = html.escape
    parts = [f"<p {_P}>Bonjour,</p>"]
    parts += [f"<p {_P}>{e(p)}</p>" for p in letter.paragraphs]
    if letter.items:
        parts.append('<ul style="margin:0 0 16px;padding-left:24px;font-size:16px;'
                     'line-height:24px;color:#161616">'
                     + "".join(f"<li>{e(item)}</li>" for item in letter.items) + "</ul>")
    if letter.reasons:
        items = []
        for r in letter.reasons:
            item = f"<strong>{e(r.message)}</strong>"
            if (a := advice(r)) is not None:
                item += f"<br>Ce que vous pouvez faire : {e(a)}"
            items.append(f'<li style="margin:0 0 12px">{item}</li>')
        parts.append(f'<ul style="margin:0 0 16px;padding-left:24px;font-size:16px;'
                     f'line-height:24px;color:#161616">{"".join(items)}</ul>')
    for i, (label, url) in enumerate(letter.buttons):
        primary = i == 0
        style = (f"display:inline-block;padding:8px 16px;font-size:16px;line-height:24px;"
                 f"text-decoration:none;border:1px solid {_BLUE};"
                 + (f"background:{_BLUE};color:#ffffff" if primary
                    else f"background:#ffffff;color:{_BLUE}"))
        parts.append(f'<p style="margin:0 0 12px"><a href="{e(url, quote=True)}" '
                     f'style="{style}">{e(label)}</a></p>')
    parts += [f"<p {_P}>{e(p)}</p>" for p in letter.closing]
    parts.append(f"<p {_P}>Bien cordialement,<br>{e(SIGNATURE)}</p>")
    return (
        '<!doctype html>\n<html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(letter.subject)}</title></head>"
        '<body style="margin:0;padding:0;background:#f6f6f6;font-family:Marianne,Arial,'
        'sans-serif">'
        '<div style="max-width:600px;margin:0 auto;background:#ffffff;padding:24px">'
        f'<p style="margin:0 0 24px;font-size:14px;font-weight:700;color:{_BLUE}">'
        "Semaine de l'industrie</p>"
        f'<h1 style="margin:0 0 24px;font-size:24px;line-height:32px;color:#161616">'
        f"{e(letter.title)}</h1>"
        + "".join(parts)
        + "</div></body></html>\n"
    )


#: UTF-8 bodies as 8bit, or quoted-printable where a line is longer than SMTP allows (998
#: octets: the HTML, written on one line)
_UTF8_8BIT, _UTF8_QP = Charset("utf-8"), Charset("utf-8")
_UTF8_8BIT.body_encoding = None
_UTF8_QP.body_encoding = QP


def _part(body: str, subtype: str) -> MIMEText:
    fits = all(len(line.encode()) <= 998 for line in body.splitlines())
    return MIMEText(body, subtype, _UTF8_8BIT if fits else _UTF8_QP)


def render(letter: Letter, *, to: str, mail_from: str, message_id: str,
           date_header: datetime) -> Message:
    """The message: ``multipart/alternative``, text first, then HTML.

    Built with the ``email.mime`` classes (the compat32 policy): the same message as
    ``EmailMessage`` would make, without its header parser, which cost ~4 ms of CPU per
    mail here, most of the submission process's time under load (bench/intake.py)."""
    msg = MIMEMultipart("alternative")
    msg["Subject"] = Header(letter.subject, "utf-8")
    msg["From"] = (formataddr(parseaddr(mail_from), charset="utf-8") if "<" in mail_from
                   else formataddr(("Semaine de l'industrie", mail_from), charset="utf-8"))
    msg["To"] = to
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(date_header)  # the event's time: the same on every attempt
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    msg["X-Sdi-Mail"] = letter.kind
    msg.attach(_part(text_body(letter), "plain"))
    msg.attach(_part(html_body(letter), "html"))
    return msg
