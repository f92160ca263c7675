"""Realistic submissions for the Semaine de l'industrie, with the outcome each should get.

Every sample is a body for ``POST /v1/submissions`` (the public contract of the submission
service), an ``Idempotency-Key``, and what the pipeline should do with it:

- ``labelled`` (about 70 %): inside the 2024 window (3 Nov – 9 Dec 2024), free, open to a
  target public, declared industrial with a text full of industry; final status ``published``;
- ``rejected`` (about 20 %): exactly one failing condition, evenly among ``out_of_period``,
  ``not_free``, ``no_target_audience`` and ``not_industry_related``;
- ``needs_review`` (about 10 %): declared industrial, but title and description say nothing
  of industry (``industry_theme_unclear``);
- about 10 % of all events are online (no location, an ``online_url``).

Addresses are real mairie addresses from ``tests/data/mairie_addresses.csv`` when present
(columns street,postcode,city,citycode,lon,lat,department), else a small built-in list.
Generation is deterministic for a given seed. E-mails and phones are unique per sample so
that a scan of public responses can look for them.

    uv run python scripts/sample_events.py -n 5 --seed 1         # JSON lines on stdout
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sdi_common.contracts import AUDIENCES
from sdi_common.contracts import TARGET_AUDIENCES as _TARGETS

REPO = Path(__file__).resolve().parents[1]
ADDRESSES_CSV = REPO / "tests" / "data" / "mairie_addresses.csv"
PARIS_WINTER = timezone(timedelta(hours=1))  # Europe/Paris in November/December (CET)

REJECTION_CODES = ("out_of_period", "not_free", "no_target_audience", "not_industry_related")
# The contract's vocabulary, in its order (``rng.sample`` needs a sequence, and the order keeps
# generation deterministic for a seed).
TARGET_AUDIENCES = tuple(a for a in AUDIENCES if a in _TARGETS)
OTHER_AUDIENCES = tuple(a for a in AUDIENCES if a not in _TARGETS)


@dataclass(frozen=True)
class Address:
    street: str
    postcode: str
    city: str
    citycode: str = ""
    lon: float | None = None
    lat: float | None = None
    department: str = ""


# A fallback of real town halls (approximate points), used when the open-data file is absent.
_BUILTIN = [
    ("Place de l'Hôtel de Ville", "75004", "Paris", "75104", 2.3522, 48.8566, "75"),
    ("1 Place de la Comédie", "69001", "Lyon", "69381", 4.8357, 45.7676, "69"),
    ("Quai du Port", "13002", "Marseille", "13202", 5.3698, 43.2965, "13"),
    ("Place du Capitole", "31000", "Toulouse", "31555", 1.4442, 43.6045, "31"),
    ("2 Rue de l'Hôtel de Ville", "44000", "Nantes", "44109", -1.5536, 47.2173, "44"),
    ("Place Pey Berland", "33000", "Bordeaux", "33063", -0.5792, 44.8378, "33"),
    ("Place Augustin Laurent", "59000", "Lille", "59350", 3.0700, 50.6311, "59"),
    ("1 Parc de l'Étoile", "67000", "Strasbourg", "67482", 7.7521, 48.5734, "67"),
    ("Place de la Mairie", "35000", "Rennes", "35238", -1.6794, 48.1113, "35"),
    ("11 Boulevard Jean Pain", "38000", "Grenoble", "38185", 5.7245, 45.1875, "38"),
    ("Place de l'Hôtel de Ville", "42000", "Saint-Étienne", "42218", 4.3872, 45.4397, "42"),
    ("1517 Place de l'Hôtel de Ville", "76600", "Le Havre", "76351", 0.1079, 49.4938, "76"),
    ("10 Rue Philippe Marcombes", "63000", "Clermont-Ferrand", "63113", 3.0863, 45.7772, "63"),
    ("1 Place du Général de Gaulle", "31700", "Blagnac", "31069", 1.3903, 43.6371, "31"),
    ("2 Rue Pierre et Marie Curie", "68100", "Mulhouse", "68224", 7.3389, 47.7467, "68"),
    ("Place de l'Hôtel de Ville", "59140", "Dunkerque", "59183", 2.3768, 51.0343, "59"),
    ("Place d'Armes", "90000", "Belfort", "90010", 6.8628, 47.6377, "90"),
    ("Place Saint-Pierre", "25200", "Montbéliard", "25388", 6.7988, 47.5099, "25"),
    ("Avenue Antoine Serafini", "20000", "Ajaccio", "2A004", 8.7369, 41.9192, "2A"),
    ("Avenue Pierre Giudicelli", "20200", "Bastia", "2B033", 9.4497, 42.7005, "2B"),
    ("Rue Victor Sévère", "97200", "Fort-de-France", "97209", -61.0694, 14.6076, "972"),
    ("Place Sarda Garriga", "97400", "Saint-Denis", "97411", 55.4504, -20.8789, "974"),
    ("Place Jean Jaurès", "54000", "Nancy", "54395", 6.1831, 48.6937, "54"),
    ("Place de l'Hôtel de Ville", "72000", "Le Mans", "72181", 0.1996, 48.0061, "72"),
]


def load_addresses(path: Path = ADDRESSES_CSV) -> list[Address]:
    """Real mairie addresses from the open data, or the built-in fallback."""
    if path.exists():
        with path.open(newline="", encoding="utf-8") as f:
            rows = [
                Address(
                    street=r.get("street") or "",
                    postcode=r["postcode"],
                    city=r["city"],
                    citycode=r.get("citycode") or "",
                    lon=float(r["lon"]) if r.get("lon") else None,
                    lat=float(r["lat"]) if r.get("lat") else None,
                    department=r.get("department") or "",
                )
                for r in csv.DictReader(f)
                if r.get("postcode") and r.get("city")
            ]
        if rows:
            return rows
    return [Address(*row) for row in _BUILTIN]


# --------------------------------------------------------------------------- vocabulary

COMPANIES = [
    ("Safran Aircraft Engines", "aéronautique", "moteurs d'avion"),
    ("Airbus Atlantic", "aéronautique", "tronçons de fuselage"),
    ("Arkema", "chimie", "polymères de spécialité"),
    ("Michelin", "pneumatique", "pneumatiques"),
    ("Aperam", "métallurgie", "aciers inoxydables"),
    ("Fonderie Rousseau", "fonderie", "pièces en fonte"),
    ("Lactalis", "agroalimentaire", "produits laitiers"),
    ("Bonduelle", "agroalimentaire", "légumes en conserve"),
    ("Schneider Electric", "électrotechnique", "tableaux électriques"),
    ("STMicroelectronics", "microélectronique", "puces électroniques"),
    ("Naval Group", "construction navale", "sous-marins"),
    ("Alstom", "ferroviaire", "trains régionaux"),
    ("Verallia", "verrerie", "bouteilles en verre"),
    ("Saint-Gobain", "matériaux", "vitrages"),
    ("Plastiques du Val", "plasturgie", "pièces injectées"),
    ("Menuiseries Durand", "bois", "fenêtres en bois"),
    ("Textiles de l'Ouest", "textile", "tissus techniques"),
    ("Usinage Martin et Fils", "mécanique", "pièces usinées de précision"),
    ("Sanofi", "pharmacie", "vaccins"),
    ("Renault", "automobile", "véhicules électriques"),
]
SCHOOLS = [
    ("Lycée professionnel Jean Jaurès", "school"),
    ("Lycée polyvalent Marie Curie", "school"),
    ("CFA de l'industrie", "training_centre"),
    ("Pôle formation UIMM", "training_centre"),
    ("IUT génie mécanique et productique", "school"),
    ("École d'ingénieurs des Mines", "school"),
]
OTHER_ORGS = [
    ("France Travail", "public_body"),
    ("Fédération de la plasturgie", "federation"),
    ("Association Elles bougent", "association"),
    ("Chambre de commerce et d'industrie", "public_body"),
]

INDUSTRIAL_EVENTS = {
    "company_visit": [
        (
            "Visite de l'usine {company}",
            (
                "Découvrez notre site de production de {product} : "
                "lignes d'assemblage, robots de soudure, contrôle qualité. Rencontre avec nos "
                "techniciens et ingénieurs de l'industrie {sector}."
            ),
        ),
        (
            "Portes ouvertes du site industriel {company}",
            (
                "Visite guidée des ateliers de "
                "fabrication de {product}, présentation des métiers de la maintenance industrielle "
                "et de la production."
            ),
        ),
    ],
    "training_visit": [
        (
            "Visite du plateau technique {school}",
            (
                "Les élèves présentent l'usinage sur machines à commande numérique, "
                "la chaudronnerie et la maintenance des systèmes de production."
            ),
        ),
    ],
    "workshop": [
        (
            "Atelier découverte de la soudure",
            (
                "Initiation à la soudure et à la chaudronnerie avec "
                "les formateurs de l'industrie {sector} ; équipements de protection fournis."
            ),
        ),
        (
            "Atelier impression 3D et fabrication additive",
            (
                "Concevez une pièce, lancez "
                "l'impression et découvrez comment l'industrie produit des {product}."
            ),
        ),
    ],
    "escape_game": [
        (
            "Escape game : sauvez la ligne de production",
            (
                "Une panne bloque l'usine de {product} : "
                "en équipe, résolvez les énigmes de maintenance industrielle avant la fin du poste."
            ),
        ),
    ],
    "webinar": [
        (
            "Webinaire : les métiers de l'industrie {sector}",
            (
                "Des ingénieurs et techniciens de "
                "{company} présentent leurs métiers, la production de {product} et les formations."
            ),
        ),
    ],
    "job_dating": [
        (
            "Job dating industrie {sector}",
            (
                "Rencontrez les recruteurs des entreprises "
                "industrielles du territoire : opérateurs de production, "
                "techniciens de maintenance, soudeurs, conducteurs de ligne."
            ),
        ),
    ],
    "conference": [
        (
            "Conférence : l'usine du futur",
            (
                "Robotique, jumeau numérique et industrie 4.0 : "
                "comment {company} modernise la fabrication de {product}."
            ),
        ),
    ],
    "forum": [
        (
            "Forum des métiers de l'industrie",
            (
                "Entreprises industrielles, centres de formation "
                "et apprentis présentent les métiers de la production et de la maintenance."
            ),
        ),
    ],
    "exhibition": [
        (
            "Exposition : deux siècles d'industrie {sector}",
            (
                "Machines, pièces et archives de "
                "l'industrie {sector} locale, commentées par d'anciens ouvriers de l'usine."
            ),
        ),
    ],
}
VAGUE_EVENTS = [
    (
        "Journée portes ouvertes",
        ("Venez nous rencontrer et échanger avec notre équipe autour d'un café."),
    ),
    ("Rencontre conviviale", "Un moment d'échange ouvert à tous, dans la bonne humeur."),
    (
        "Après-midi découverte",
        ("Nous vous accueillons pour un après-midi de découvertes et de partage."),
    ),
    ("Matinée d'information", "Une matinée pour faire connaissance et répondre à vos questions."),
]
NOT_INDUSTRY_EVENTS = [
    (
        "Visite du musée des Beaux-Arts",
        ("Parcours commenté des collections de peinture du XIXe siècle."),
    ),
    ("Atelier d'écriture de contes", "Écrivez un conte en groupe avec une autrice jeunesse."),
    ("Concert de la chorale municipale", "Chants de Noël par la chorale de la ville."),
    ("Tournoi de jeux de société", "Jeux de plateau pour petits et grands à la médiathèque."),
]
ACCESSIBILITY = [
    None,
    "Accès de plain-pied, toilettes adaptées",
    ("Boucle magnétique, interprète LSF sur demande"),
    "Parking PMR, ascenseur",
]


@dataclass
class Sample:
    """One submission body and what the pipeline should make of it."""

    n: int
    body: dict
    idempotency_key: str
    #: the validation verdict: labelled | rejected | needs_review
    judgement: str
    #: the reason code expected (rejected / needs_review), else None
    reason: str | None
    #: the status the submission settles in: published | rejected | needs_review
    expected_status: str
    online: bool
    address: Address | None = None
    extra: dict = field(default_factory=dict)

    @property
    def email(self) -> str:
        return self.body["organizer"]["email"]

    @property
    def phone(self) -> str | None:
        return self.body["organizer"].get("phone")

    def as_json(self) -> dict:
        return {
            "n": self.n,
            "idempotency_key": self.idempotency_key,
            "judgement": self.judgement,
            "reason": self.reason,
            "expected_status": self.expected_status,
            "online": self.online,
            "body": self.body,
        }


@dataclass(frozen=True)
class Mix:
    labelled: float = 0.70
    rejected: float = 0.20
    needs_review: float = 0.10
    online: float = 0.10


def siret(rng: random.Random) -> str:
    """A random 14-digit SIRET with a valid Luhn checksum."""
    digits = [rng.randrange(10) for _ in range(13)]
    for check in range(10):
        candidate = digits + [check]
        total = 0
        for i, d in enumerate(reversed(candidate)):
            if i % 2 == 1:
                d *= 2
                if d > 9:
                    d -= 9
            total += d
        if total % 10 == 0:
            return "".join(map(str, candidate))
    raise AssertionError("unreachable")


def _dates(rng: random.Random, out_of_period: bool) -> tuple[datetime, datetime]:
    if out_of_period:
        # well clear of the bounds: October 2024, mid-December 2024, or 2025
        day = rng.choice(
            [
                datetime(2024, 10, rng.randint(1, 25)),
                datetime(2024, 12, rng.randint(15, 20)),
                datetime(2025, 3, rng.randint(1, 28)),
            ]
        )
    else:
        # mostly during the week (18–24 Nov), some in the tolerance
        if rng.random() < 0.8:
            day = datetime(2024, 11, rng.randint(18, 24))
        else:
            day = datetime(2024, 11, rng.randint(4, 30))
    start = day.replace(hour=rng.choice([9, 10, 14, 15, 18]), tzinfo=PARIS_WINTER)
    return start, start + timedelta(hours=rng.choice([1, 2, 3]))


def _iso(d: datetime) -> str:
    return d.isoformat(timespec="seconds")


class Generator:
    def __init__(
        self, seed: int = 0, mix: Mix = Mix(), addresses: list[Address] | None = None, tag: str = ""
    ):
        self.rng = random.Random(seed)
        self.mix = mix
        self.addresses = addresses if addresses is not None else load_addresses()
        # a per-run tag keeps e-mails unique across runs against one stack
        self.tag = tag or f"s{seed}"
        self.n = 0

    def _key(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def sample(self) -> Sample:
        rng = self.rng
        self.n += 1
        n = self.n
        roll = rng.random() * (self.mix.labelled + self.mix.rejected + self.mix.needs_review)
        if roll < self.mix.labelled:
            judgement, reason = "labelled", None
        elif roll < self.mix.labelled + self.mix.rejected:
            judgement, reason = "rejected", REJECTION_CODES[rng.randrange(4)]
        else:
            judgement, reason = "needs_review", "industry_theme_unclear"
        online = rng.random() < self.mix.online

        company, sector, product = rng.choice(COMPANIES)
        school, _ = rng.choice(SCHOOLS)
        if judgement == "needs_review":
            kind = "webinar" if online else rng.choice(["company_visit", "other", "forum"])
            title, description = rng.choice(VAGUE_EVENTS)
        elif reason == "not_industry_related":
            kind = "webinar" if online else rng.choice(["exhibition", "workshop", "other"])
            title, description = rng.choice(NOT_INDUSTRY_EVENTS)
        else:
            kind = (
                "webinar"
                if online
                else rng.choice([k for k in INDUSTRIAL_EVENTS if k != "webinar"])
            )
            title, description = rng.choice(INDUSTRIAL_EVENTS[kind])
        fmt = {"company": company, "sector": sector, "product": product, "school": school}
        title, description = title.format(**fmt), description.format(**fmt)

        if kind == "training_visit":
            org_name, org_type = school, rng.choice(["school", "training_centre"])
        elif rng.random() < 0.6:
            org_name, org_type = company, "company"
        else:
            org_name, org_type = rng.choice(SCHOOLS + OTHER_ORGS)

        if reason == "no_target_audience":
            audiences = rng.sample(OTHER_AUDIENCES, rng.randint(1, 2))
        else:
            audiences = rng.sample(TARGET_AUDIENCES, rng.randint(1, 3))
            if rng.random() < 0.2:
                audiences.append(rng.choice(OTHER_AUDIENCES))
        starts, ends = _dates(rng, reason == "out_of_period")

        slug = f"{self.tag}-{n}"
        organizer = {
            "name": org_name,
            "type": org_type,
            "email": f"contact.{slug}@organisateur-{rng.randrange(1000)}.fr",
        }
        if rng.random() < 0.8:
            organizer["phone"] = (
                f"+33 6 {rng.randrange(100):02d} {n % 100:02d} "
                f"{(n // 100) % 100:02d} {(n // 10000) % 100:02d}"
            )
        if org_type == "company" and rng.random() < 0.5:
            organizer["siret"] = siret(rng)

        body: dict = {
            "title": title,
            "description": description,
            "kind": kind,
            "starts_at": _iso(starts),
            "ends_at": _iso(ends),
            "audiences": audiences,
            "informs_about_industry": reason != "not_industry_related",
            "online": online,
            "organizer": organizer,
        }
        if reason == "not_free":
            body["is_free"] = False
            body["price_eur"] = float(rng.choice([5, 10, 15, 25]))
        else:
            body["is_free"] = True
        address = None
        if online:
            body["online_url"] = (
                f"https://visio.{rng.choice(['webikeo', 'livestorm', 'zoom'])}.example/{slug}"
            )
        else:
            address = rng.choice(self.addresses)
            location = {"postcode": address.postcode, "city": address.city}
            if address.street:
                location["street"] = address.street
            if rng.random() < 0.7:
                location["venue"] = f"Site {org_name}"
            body["location"] = location
        if rng.random() < 0.6:
            body["registration_url"] = f"https://inscriptions.example.fr/{slug}"
        if rng.random() < 0.5:
            body["capacity"] = rng.choice([12, 20, 30, 50, 100, 250])
        access = rng.choice(ACCESSIBILITY)
        if access:
            body["accessibility"] = access

        expected = "published" if judgement == "labelled" else judgement
        return Sample(n, body, self._key(), judgement, reason, expected, online, address)

    def take(self, count: int) -> list[Sample]:
        return [self.sample() for _ in range(count)]


def generate(count: int, seed: int = 0, mix: Mix = Mix(), tag: str = "") -> list[Sample]:
    return Generator(seed, mix, tag=tag).take(count)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--count", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--summary", action="store_true", help="print the mix instead of the events")
    args = p.parse_args(argv)
    samples = generate(args.count, args.seed)
    if args.summary:
        from collections import Counter

        print(
            json.dumps(
                {
                    "judgement": Counter(s.judgement for s in samples),
                    "reason": Counter(s.reason for s in samples if s.reason),
                    "online": sum(s.online for s in samples),
                    "addresses": len(load_addresses()),
                },
                indent=2,
            )
        )
        return 0
    for s in samples:
        sys.stdout.write(json.dumps(s.as_json(), ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
