"""What an organiser can change for each reason a submission was refused or held: one
sentence per reason code, shown on the organiser's page and in the mails."""

from __future__ import annotations

from sdi_common.contracts import Reason

ADVICE: dict[str, str] = {
    "out_of_period": "Choisissez des dates comprises dans cette période, puis modifiez "
    "votre inscription.",
    "no_target_audience": "Si l'événement est ouvert à l'un de ces publics, cochez-le dans "
    "« Publics attendus ».",
    "not_industry_related": "Si l'événement fait découvrir l'industrie, ses métiers ou ses "
    "formations, cochez la case correspondante dans « Conditions ».",
    "industry_theme_unclear": "Dites dans le titre ou la description ce que les participants "
    "découvriront de l'industrie (entreprise, production, métiers, formations) ; l'équipe "
    "examine votre demande en attendant.",
    "not_free": "Le label est réservé aux événements gratuits pour tous : cochez "
    "« L'événement est gratuit » et retirez le prix.",
    "late_submission": "Les inscriptions de cette édition sont closes : vous pourrez "
    "inscrire l'événement à la prochaine édition (bouton « Dupliquer »).",
    "address_not_found": "Vérifiez le code postal et la commune, précisez la rue, puis "
    "modifiez votre inscription.",
    "address_ambiguous": "Choisissez la commune exacte avec son code postal, puis modifiez "
    "votre inscription.",
    "address_missing": "Indiquez le lieu de l'événement, ou cochez « L'événement a lieu en "
    "ligne ».",
    "operator_rejected": "Tenez compte du motif donné par l'équipe : une fois l'inscription "
    "modifiée, elle est examinée à nouveau.",
}


def advice(reason: Reason) -> str | None:
    return ADVICE.get(reason.code)
