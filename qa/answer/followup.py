"""Resolve follow-up questions against the conversation before retrieval.

Handles the three common shapes of a follow-up, with spaCy parses of the question and of the
last turn (no word lists about any particular document):

* a bare question word — "Where?", "And when?" — takes the rest of the previous question;
* a bare noun phrase — "And Macron?", "What about the UK?" — replaces the previous question's
  main named entity (or subject);
* a pronoun — "What did he say?", "Who met them there?" — is replaced by the most recent
  matching antecedent (a person for he/she, a place for "there", ...), preferring the previous
  answer.

    >>> r = FollowupResolver()                                                  # doctest: +SKIP
    >>> r.resolve("Where?", [("Who did Witkoff plan to meet?", "Vladimir Putin")])  # doctest: +SKIP
    'Where did Witkoff plan to meet?'
"""

from __future__ import annotations

import re
import threading

WH_WORDS = {"who", "whom", "whose", "what", "when", "where", "why", "how", "which"}
PRONOUNS = {
    "he": "person", "him": "person", "she": "person", "her": "person",
    "his": "person_poss", "hers": "person_poss",
    "they": "group", "them": "group", "their": "group_poss",
    "it": "thing", "its": "thing_poss",
    "there": "place",
}
PERSON = {"PERSON"}
GROUP = {"ORG", "NORP", "GPE", "PERSON"}
PLACE = {"GPE", "LOC", "FAC"}
THING = {"ORG", "GPE", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}
_LEAD = re.compile(r"^\s*(and|but|so|also|ok|okay|then)\b[\s,]*", re.I)
_ABOUT = re.compile(r"^\s*(what|how)\s+about\s+", re.I)

History = list[tuple[str, str | None]]


class FollowupResolver:
    """Rewrites a follow-up question into a standalone one using the earlier turns."""

    def __init__(self, nlp=None) -> None:
        self._nlp = nlp
        self._lock = threading.Lock()

    @property
    def nlp(self):
        with self._lock:
            if self._nlp is None:
                from qa.models import load_spacy

                self._nlp = load_spacy()
        return self._nlp

    def resolve(self, question: str, history: History | None) -> str:
        """The question made standalone; unchanged when it already is, or without history."""
        question = question.strip()
        turns = [(_clean(q), _clean(a) if a else None) for q, a in (history or []) if q]
        turns = [(q, a) for q, a in turns if q]
        if not turns:
            return question
        prev_q, prev_a = turns[-1]
        prev_q = prev_q.strip()
        doc = self.nlp(question)
        words = [t for t in doc if not t.is_punct and not t.is_space]
        core = _ABOUT.sub("", _LEAD.sub("", question)).strip(" ?.!")
        if not words:
            return question
        has_verb = any(t.pos_ in ("VERB", "AUX") for t in words)
        # 1. "Where?" / "And when?" / "How many?": question word(s) only
        if core and core.split()[0].lower() in WH_WORDS and len(core.split()) <= 2 and not has_verb:
            return self._swap_wh(prev_q, core, prev_a)
        # 2. "And Macron?" / "What about the UK?": a noun phrase only
        if core and not has_verb and (len(words) <= 5 or _ABOUT.match(question)):
            return self._swap_entity(prev_q, core)
        # 3. pronouns
        return self._replace_pronouns(doc, prev_q, prev_a)

    # --------------------------------------------------------------- helpers

    def _swap_wh(self, prev_q: str, wh: str, prev_a: str | None = None) -> str:
        """Put the new question word(s) in place of the previous question's wh-phrase.

        When the previous question asked for a thing or person and got ``prev_a``, the answer
        takes the old wh-phrase's place, so the new question asks about it: "Who did she
        meet?" → "Paul"; "Where?" → "Where did she meet Paul?". A subject answer gets the
        verb in do-support: "Who led the talks?" → "Ann"; "When?" → "When did Ann lead the talks?".
        """
        doc = self.nlp(prev_q)
        toks = list(doc)
        for i, t in enumerate(toks):
            if t.lower_ in WH_WORDS:
                j = i + 1
                # "how many people", "which country": the wh-phrase runs to its noun
                if t.lower_ in ("how", "which", "what", "whose") and j < len(toks) and toks[j].pos_ in ("ADJ", "ADV", "NOUN", "PROPN", "DET"):
                    while j < len(toks) and toks[j].pos_ in ("ADJ", "ADV", "NOUN", "PROPN", "DET"):
                        j += 1
                rest = doc[j:].text if j < len(toks) else ""
                before = doc[:i].text
                asked_entity = t.lower_ in ("who", "whom", "what", "which", "whose")
                # only a question about the circumstances of the answer ("where", "when", "why",
                # "how"), not "how many" (which asks about the old wh-phrase's thing again)
                circumstance = wh.lower().split()[0] in ("where", "when", "why", "how") and not \
                    wh.lower().startswith(("how many", "how much"))
                if prev_a and asked_entity and circumstance and not before:
                    head = toks[j - 1] if j - 1 > i else t
                    if head.dep_ in ("nsubj", "nsubjpass") or t.dep_ in ("nsubj", "nsubjpass"):
                        return _sentence(f"{wh.capitalize()} {_with_subject(doc, j, prev_a)}")
                    return _sentence(f"{wh.capitalize()} {rest.rstrip('?. ')} {prev_a}")
                new = f"{before} {wh.capitalize() if not before else wh.lower()} {rest}".strip()
                return _sentence(new)
        return _sentence(f"{wh.capitalize()} {prev_q.rstrip('?. ')}")

    def _swap_entity(self, prev_q: str, phrase: str) -> str:
        """Put ``phrase`` in place of the previous question's matching entity or subject."""
        doc = self.nlp(prev_q)
        new_ents = self.nlp(phrase).ents
        label = new_ents[0].label_ if new_ents else None
        subject = _subject(doc)
        same = [e for e in doc.ents if label and e.label_ == label]
        target = (same or [subject] if subject is not None else same) or list(doc.ents) or _propn_spans(doc)
        if not target:
            return _sentence(f"{prev_q.rstrip('?. ')} {phrase}")
        t = target[0]
        return _sentence(f"{doc[: t.start].text_with_ws}{phrase}{doc[t.end - 1].whitespace_}{doc[t.end :].text}")

    def _replace_pronouns(self, doc, prev_q: str, prev_a: str | None) -> str:
        targets = [t for t in doc if t.lower_ in PRONOUNS and (t.lower_ != "there" or t.dep_ != "expl")]
        if not targets:
            return doc.text
        candidates = self._antecedents(prev_q, prev_a)
        out, pos = [], 0
        for t in targets:
            kind = PRONOUNS[t.lower_]
            name = self._pick(kind, candidates)
            if name is None:
                continue
            if kind.endswith("_poss"):
                name = name + "’s" if "’" in doc.text else name + "'s"
            elif kind == "place":
                name = "in " + name
            out.append(doc.text[pos : t.idx])
            out.append(name)
            pos = t.idx + len(t.text)
        out.append(doc.text[pos:])
        return "".join(out)

    def _antecedents(self, prev_q: str, prev_a: str | None) -> list[tuple[str, str]]:
        """(text, label) of candidate referents, most salient first: answer, then question."""
        found: list[tuple[str, str]] = []
        qdoc = self.nlp(prev_q)
        if prev_a:
            ents = self.nlp(prev_a).ents
            if len(ents) > 1 and len({e.label_ for e in ents}) == 1:  # "Germany, Poland"
                found.append((prev_a, ents[0].label_))
            found += [(e.text, e.label_) for e in ents]
            asked = qdoc[0].lower_ if len(qdoc) else ""
            if asked in ("who", "whom"):
                found.insert(0, (prev_a, "PERSON"))
            elif asked == "where":
                found.insert(0, (prev_a, "GPE"))
            elif not any(e.label_ in PERSON | PLACE for e in ents):
                found.append((prev_a, "ANSWER"))
        found += [(e.text, e.label_) for e in qdoc.ents]
        subject = _subject(qdoc)
        if subject is not None and subject.root.pos_ == "PROPN":
            found.append((subject.text, "SUBJECT"))
        found += [(c.text, "NOUN_CHUNK") for c in qdoc.noun_chunks
                  if c.root.pos_ != "PRON" and c.root.lower_ not in WH_WORDS]
        # the small parser misses names it has never seen: capitalised words are names too
        in_ents = {i for e in qdoc.ents for i in range(e.start, e.end)}
        found += [(t.text, "CAPITALIZED") for t in qdoc[1:]
                  if t.is_title and t.i not in in_ents and t.lower_ not in WH_WORDS]
        return found

    @staticmethod
    def _pick(kind: str, candidates: list[tuple[str, str]]) -> str | None:
        base = kind.removesuffix("_poss")
        wanted = {"person": PERSON, "group": GROUP, "thing": THING, "place": PLACE}[base]
        fallback = {"person": ("SUBJECT", "CAPITALIZED"), "group": ("SUBJECT", "CAPITALIZED"), "place": (),
                    "thing": ("ANSWER", "NOUN_CHUNK")}[base]
        if base == "thing":  # "it" is most often the thing just answered or asked about
            for text, label in candidates:
                if label in fallback:
                    return text
        for text, label in candidates:
            if label in wanted:
                return text
        for kind_ in fallback:
            for text, label in candidates:
                if label == kind_:
                    return text
        return None


MAX_TURN_CHARS = 2000  # more than any question or answer; keeps spaCy's work bounded


def _clean(text: str) -> str:
    """An earlier turn as the parser may see it: control characters and lone surrogates
    (which spaCy can't encode) become spaces, runs of whitespace one space; overly long text is cut."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text)[:MAX_TURN_CHARS])
    return " ".join(text.split())


def _with_subject(doc, j: int, subject: str) -> str:
    """The clause ``doc[j:]`` (a question whose wh-subject ended at token j) with ``subject``
    as its subject, inverted for a new question word: "led the talks" → "did Ann lead the talks"."""
    rest = doc[j:]
    verb = next((t for t in rest if t.pos_ in ("VERB", "AUX")), None)
    if verb is None:
        return f"{subject} {rest.text}"
    after = doc[verb.i + 1 :].text
    if verb.pos_ == "AUX" or verb.tag_ == "MD":  # "is/was/can ..." inverts by itself
        return f"{verb.text} {subject} {after}"
    aux = {"VBD": "did", "VBN": "did", "VBZ": "does", "VBP": "do"}.get(verb.tag_)
    if aux is None:
        return f"{subject} {doc[j:].text}"
    return f"{aux} {subject} {verb.lemma_} {after}"


def _subject(doc):
    """The previous question's subject phrase (not a question word), or None."""
    for t in doc:
        if t.dep_ in ("nsubj", "nsubjpass") and t.lower_ not in WH_WORDS and t.pos_ != "PRON":
            return doc[t.left_edge.i : t.right_edge.i + 1]
    return None


def _propn_spans(doc):
    """Maximal runs of proper nouns."""
    spans, start = [], None
    for t in doc:
        if t.pos_ == "PROPN" and start is None:
            start = t.i
        elif t.pos_ != "PROPN" and start is not None:
            spans.append(doc[start : t.i])
            start = None
    if start is not None:
        spans.append(doc[start:])
    return spans


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([?.!,])", r"\1", text)
    return text if text.endswith("?") else text.rstrip(".!") + "?"
