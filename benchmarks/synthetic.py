"""Synthetic corpora: invented people with random facts, and questions with known answers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

FIRST_NAMES = (
    "Ada Aldo Alma Anika Arlo Asha Bao Bruno Cai Carmen Cyra Dario Dina Edda Elio Elke Emre Fenna Flora "
    "Gideon Greta Hana Hugo Ilse Ines Ivo Jana Jonas Kaia Kenji Lara Leif Lina Luca Mara Mateo Mila Milo "
    "Nadia Nico Nina Noor Odile Omar Otto Paz Petra Quinn Rafa Rosa Rune Sana Saul Selma Soren Tala Teo "
    "Thea Tomas Una Uri Vera Vik Wanda Wim Xenia Yara Yusuf Zane Zelda Zora Basil Clio Dov Esme Fitz"
).split()
ONSETS = "b br d dr f g gr h k kl l m n p pr r s st t tr v z".split()
VOWELS = "a e i o u ai ei ou".split()
CODAS = ("", "n", "r", "l", "s", "nd", "rk", "st")
TOWN_ENDS = "ford holm wick dale burg mouth stead by ton vik haven moor".split()
COMPANY_ENDS = "Labs Works Foundry Systems Logistics Textiles Robotics Bakeries Shipping Optics Mills Press".split()
OCCUPATIONS = (
    "architect baker beekeeper cartographer chemist carpenter dentist editor engineer farmer florist "
    "geologist glassblower historian illustrator jeweller journalist librarian locksmith mechanic midwife "
    "nurse optician painter pharmacist photographer pilot plumber potter programmer sailor sculptor "
    "surveyor tailor teacher translator veterinarian violin-maker weaver zoologist"
).split()
INSTRUMENTS = ("cello", "violin", "oboe", "banjo", "accordion", "harp", "trumpet", "clarinet", "flute", "drums",
               "mandolin", "bassoon", "ukulele", "saxophone", "trombone", "sitar", "piano", "harmonica")
COLORS = ("black", "white", "grey", "ginger", "brown", "golden", "spotted", "striped", "silver", "cream")
ANIMALS = ("cat", "dog", "parrot", "rabbit", "tortoise", "ferret", "goat", "hamster", "canary", "lizard")
PET_NAMES = (
    "Biscuit Pepper Juniper Mochi Noodle Olive Pickle Pumpkin Rusty Saffron Sprout Tofu Waffle Ziggy Clover "
    "Domino Fig Gizmo Hazel Indigo Jasper Kiwi Luna Marble Nutmeg Oreo Pippin Quill Rocket Sage Toffee Ume"
).split()
PRIZE_WORDS = ("Silver Lantern", "Golden Compass", "Iron Quill", "Blue Harbour", "Amber Key", "Copper Owl",
               "Crystal Bridge", "Red Kite", "Green Anchor", "White Heron", "Stone Arch", "Northern Star")
PRIZE_FOR = ("her community work", "his research", "their design work", "outstanding craft", "a short film",
             "a book of essays", "services to the town", "a bold invention")


@dataclass
class Person:
    name: str
    first: str
    town: str
    year: int
    occupation: str
    company: str
    instrument: str
    color: str
    animal: str
    pet: str
    countries: int
    prize: str
    prize_year: int
    colleague: int  # index of another person


@dataclass
class Fact:
    """A question about one person and its known answer; ``name`` heads the right passage."""

    name: str
    question: str
    answer: str


@dataclass
class SyntheticCorpus:
    documents: dict[str, str]  # file name -> text
    facts: list[Fact]
    passages: int  # one per person


def _syllables() -> tuple[list[str], list[str]]:
    """Open (consonant + vowel) and closed (+ final consonants) syllables for invented names."""
    open_ = [o + v for o in ONSETS for v in VOWELS]
    closed = [o + v + c for o in ONSETS for v in VOWELS for c in CODAS]
    return open_, closed


def _words(rng: random.Random, count: int, make) -> list[str]:
    """``count`` distinct words from ``make(rng)``."""
    seen: dict[str, None] = {}
    while len(seen) < count:
        seen[make(rng)] = None
    return list(seen)


def _people(n: int, rng: random.Random) -> list[Person]:
    open_, closed = _syllables()
    surnames = _words(rng, max(2000, 2 * n // len(FIRST_NAMES) + 1),
                      lambda r: (r.choice(open_) + r.choice(closed)).capitalize())
    towns = _words(rng, 400, lambda r: (r.choice(open_) + r.choice(TOWN_ENDS)).capitalize())
    companies = _words(rng, 300, lambda r: f"{(r.choice(open_) + r.choice(closed)).capitalize()} "
                                           f"{r.choice(COMPANY_ENDS)}")
    pairs = rng.sample(range(len(FIRST_NAMES) * len(surnames)), n)
    people = []
    for i, pair in enumerate(pairs):
        first, last = FIRST_NAMES[pair % len(FIRST_NAMES)], surnames[pair // len(FIRST_NAMES)]
        year = rng.randint(1930, 2004)
        people.append(Person(
            f"{first} {last}", first, rng.choice(towns), year, rng.choice(OCCUPATIONS), rng.choice(companies),
            rng.choice(INSTRUMENTS), rng.choice(COLORS), rng.choice(ANIMALS), rng.choice(PET_NAMES),
            rng.randint(2, 60), f"{rng.choice(PRIZE_WORDS)} Prize", rng.randint(year + 18, 2024),
            (i + rng.randrange(1, n)) % n if n > 1 else i,
        ))
    return people


def _section(p: Person, people: list[Person], rng: random.Random) -> str:
    """A heading (the person's name) and one paragraph of facts: one passage of under 90 words."""
    other = people[p.colleague]
    c = rng.choice
    facts = [
        c([f"{p.first} works as a {p.occupation} at {p.company}.",
           f"These days {p.first} is a {p.occupation} employed by {p.company}."]),
        c([f"In the evenings {p.first} plays the {p.instrument} in a small band.",
           f"{p.first} took up the {p.instrument} as a teenager and still practises daily."]),
        c([f"{p.first} shares a flat with a {p.color} {p.animal} called {p.pet}.",
           f"{p.first}'s {p.color} {p.animal}, {p.pet}, is well known in the neighbourhood."]),
        c([f"So far {p.first} has travelled to {p.countries} countries.",
           f"{p.first} has visited {p.countries} countries and keeps a map of each trip."]),
        f"In {p.prize_year} {p.first} won the {p.prize} for {c(PRIZE_FOR)}.",
        f"{p.first} often works with {other.name}, a {other.occupation} from {other.town}.",
    ]
    rng.shuffle(facts)
    born = c([f"{p.name} was born in {p.town} in {p.year}.",
              f"Born in {p.town} in {p.year}, {p.name} still visits the town every summer."])
    return f"{p.name}\n{born} {' '.join(facts)}"


def _fact(p: Person, rng: random.Random) -> Fact:
    kind = rng.randrange(7)
    question, answer = [
        (f"Where was {p.name} born?", p.town),
        (f"In which year was {p.name} born?", str(p.year)),
        (f"Which company does {p.name} work for?", p.company),
        (f"Which instrument does {p.name} play?", p.instrument),
        (f"What is the name of {p.name}'s {p.animal}?", p.pet),
        (f"How many countries has {p.name} visited?", str(p.countries)),
        (f"Which prize did {p.name} win in {p.prize_year}?", f"{p.prize}"),
    ][kind]
    return Fact(p.name, question, answer)


def synthetic_corpus(passages: int, questions: int, seed: int = 0, per_document: int = 50) -> SyntheticCorpus:
    """Invented people with random facts, ``per_document`` to a file; same seed, same corpus.

    First names and surnames recur across people, people mention colleagues (whose names then
    appear in other passages), and attribute values are shared, so neither retriever has it easy.
    """
    rng = random.Random(seed)
    people = _people(passages, rng)
    sections = [_section(p, people, rng) for p in people]
    documents = {
        f"people-{i // per_document:05d}.txt": "\n\n".join(sections[i : i + per_document]) + "\n"
        for i in range(0, len(sections), per_document)
    }
    asked = rng.sample(range(passages), min(questions, passages))
    return SyntheticCorpus(documents, [_fact(people[i], rng) for i in asked], passages)


def write_corpus(corpus: SyntheticCorpus, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in corpus.documents.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
