"""Small wording helpers shared by the reports, the exports and the command line."""

from __future__ import annotations

from collections.abc import Sequence


def n_points(value: float) -> str:
    """A rounded number of points with its noun: "1 point", "0 points", "12 points"."""
    whole = f"{value:.0f}"
    return f"{whole} point" if whole in ("1", "-1") else f"{whole} points"


def behind(value: float) -> str:
    """How far a pathway trails the top one, never "0 points behind": "tied on points" for
    equal scores (the tie-break orders them), "less than 1 point behind" under half a point."""
    if round(value, 6) == 0:
        return "tied on points"
    if f"{value:.0f}" in ("0", "-0"):
        return "less than 1 point behind"
    return f"{n_points(value)} behind"


# Words that start with a vowel letter but a consonant sound ("a union", "a one-time",
# "a US program"), and words that start with a silent h ("an hour").
_CONSONANT_SOUND = ("uni", "use", "usu", "usa", "u.s", "us ", "ure", "uti", "utah", "uk",
                    "one", "once", "eu", "ewe")
_VOWEL_SOUND = ("hour", "honest", "honor", "heir")


def article(phrase: str) -> str:
    """"a" or "an" for the phrase that follows, by its first sound ("an urban area", "an
    Illinois program", "a union", "a US program", "an hour"). Judged on the spelling, with
    the common exceptions above; the phrase is never changed."""
    word = phrase.strip().lower()
    if not word:
        return "a"
    if word == "us" or word.startswith(_CONSONANT_SOUND):
        return "a"
    if word.startswith(_VOWEL_SOUND):
        return "an"
    return "an" if word[0] in "aeiou" else "a"


def mid_sentence(label: str) -> str:
    """A label as it reads inside a sentence: "the police department leads", "a small city
    or towns". Labels in the knowledge base start with a capital; none is a proper noun."""
    return label[:1].lower() + label[1:]


def with_article(phrase: str) -> str:
    """The phrase after its article: "an urban", "a rural"."""
    return f"{article(phrase)} {phrase}"


def unknown_words(labels: list[str], answer_state: str = "dont-know") -> str:
    """How a why-not reason names critical elements whose answer is not known: never
    "missing", which would say the community lacks them."""
    listed = ", ".join(labels)
    if answer_state == "unanswered":
        return f"Not known yet (you did not say): {listed}."
    return f"Not known yet (you answered \u201cdon\u2019t know\u201d): {listed}."


def missing_words(labels: list[str]) -> str:
    """How a why-not reason names critical elements the community said it does not have."""
    return "Missing critical elements (you said you do not have them): " + ", ".join(labels) + "."


def gap_reasons(gaps: Sequence[tuple[str, bool, str]]) -> list[str]:
    """Why-not reasons for a pathway's critical elements the community does not report
    having, each (label, unknown, answer_state): those it said it lacks are "missing",
    those it answered "don't know" or left blank are "not known", never "missing"."""
    missing = [label.lower() for label, unknown, _ in gaps if not unknown]
    dont_know = [label.lower() for label, unknown, state in gaps
                 if unknown and state != "unanswered"]
    blank = [label.lower() for label, unknown, state in gaps
             if unknown and state == "unanswered"]
    out = []
    if missing:
        out.append(missing_words(missing))
    if dont_know:
        out.append(unknown_words(dont_know, "dont-know"))
    if blank:
        out.append(unknown_words(blank, "unanswered"))
    return out


def shown_gap(higher: float, lower: float) -> float:
    """How far one score leads another, as the tables show them: the difference of the two
    whole-point scores (so "leads by 5 points" sits beside 67 and 62). Under a displayed
    point (both round to the same whole number) the true difference, which words say as
    "less than 1 point"."""
    shown = float(f"{higher:.0f}") - float(f"{lower:.0f}")
    if shown != 0:
        return shown
    # Both show the same whole number: a true difference, kept under half a point so that
    # every wording of it reads "less than 1 point".
    true = higher - lower
    return max(-0.49, min(0.49, true))
