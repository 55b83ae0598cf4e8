"""The words that label a recipe's yields and times, and the units its durations are given in.

"Serves 4", "Portionen: 4", "4 porce", "Hazırlık süresi: 15 dakika", "Doba přípravy 20 minut":
the HTML readers find a recipe's yields and times by these words, in three places (a details
widget, the short labels around the recipe, a newspaper's facts paragraph). Kept here, as data
apart from the rules that use it, so a language is added once and every reader knows it.
Pure, no Ray.
"""

from __future__ import annotations

import re

# -- yields ----------------------------------------------------------------------------------------

#: nouns a count is given in, after its number: "4 servings", "6 personnes", "4 porce", "4 kişilik"
YIELD_NOUNS = (r"servings?|portions?|personnes|personen|portionen|porties|personas|persone|porzioni|"
               r"raciones|porsjon(?:er)?|portion(?:er)?|personer|pers\.?|porç(?:ões|ão)|pessoas|"
               r"porce|porcí|porcj[ei]|kişilik|porsiyon|adag")
#: the nouns less their first letter, for lxml's `contains` (XPath has no case folding)
YIELD_NOUN_CORES = ("ervings", "erving", "ortion", "ersonnes", "ersonen", "ersonas", "ersone", "orzioni",
                    "orce", "orcje", "orsjon", "ersoner", "aciones", "işilik", "orsiyon", "ezzi", "tück",
                    "tuks", "ieces", "ièces")
#: labels a count follows: "Serves 4", "Portionen: 4", "Rendimento: 12 porções", "Porce: 4"
YIELD_LABELS = (r"serves|servings?|yields?|makes|portions?|portionen|personen|personnes|porties|"
                r"porciones|raciones|rendimento|rende|porç(?:ões|ão)|porzioni|persone|personas|"
                r"porsjoner|portioner|stuks?|pieces|pièces|porce|porcje|porsiyon")
#: prepositions a count follows: "Pour 4", "Für 4 Personen", "voor 4 personen"
YIELD_FOR = r"pour|für|for|para|per|voor"
#: how a yields label starts, case by case, for lxml's `starts-with` (XPath has no case folding)
YIELD_STARTS = ("Serves", "serves", "Servings", "Yield", "Makes", "Portion", "Rendimento", "Pour", "Porce",
                "Porcje", "Porsiyon", "Porciones", "Raciones", "Porzioni", "Porsjoner", "Portioner", "Für",
                "Para", "Per", "Voor", "Porties", "Personen", "Persone", "Personas")

# -- times -----------------------------------------------------------------------------------------

#: what names each time, as it may begin a label or sit in one ("Vorbereitungszeit", "Cook Time")
TIME_WORDS = {
    "total_time": (r"total|gesamt|insgesamt|totale?|in totaal|totaal|ready in|czas całkowity|celkov|"
                   r"toplam|samlet tid|tid i alt"),
    "prep_time": (r"prep|préparation|vorbereitung|zubereitung|arbeitszeit|preparación|preparazione|"
                  r"voorbereiding|bereiding|hazırl(?:ık|ama)|příprav|förberedelse|forberedelse|preparo"),
    "cook_time": (r"cook|cuisson|koch|back|garzeit|cocción|cottura|kooktijd|baktijd|pişirme|vaření|"
                  r"pečení|tillagningstid|tilberedningstid|cozimento|kogetid|steketid|ugnstid"),
}
#: a bare word for "time": a recipe's one time when nothing else names it ("Tempo" / "35 minuti")
TIME_ALONE = r"time|tempo|zeit|temps|tiempo|tijd|tid|czas|süre|čas|doba"
#: words before the label proper: "Temps de cuisson", "Tiempo de preparación", "Doba přípravy"
_TIME_OF = r"(?:(?:temps|tiempo|tempo|czas|doba|tid|tijd)\s+(?:de\s+|di\s+|do\s+)?)?"
#: how a time's label starts, case by case, for lxml's `starts-with`; section titles that also
#: name a time ("Préparation", "Zubereitung") are left out: the steps after them hold durations
TIME_STARTS = ("Total", "total", "TOTAL", "Ready in", "Temps", "Gesamtzeit", "Totale tijd", "Totaaltijd",
               "Tiempo", "Tempo", "Czas", "Prep", "prep", "PREP", "Cook", "cook", "COOK", "Vorbereitung",
               "Kochzeit", "Backzeit", "Voorbereiding", "Kooktijd", "Baktijd", "Arbeitszeit",
               "Zubereitungszeit", "Doba", "Celkov", "Hazırlık", "Hazırlama", "Pişirme", "Toplam",
               "Time", "TIME", "Zeit", "Tijd", "Tid", "Čas", "Süre")


def time_searches() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(field, pattern) per time, to search a short label anywhere in it; total first.

    A bare "time" word counts as the total only when it is the label: "Time 30 min", "Tempo".
    """
    alone = rf"^(?:{TIME_ALONE})\s*:?(?:$|\s*(?=\d))"
    return tuple((key, re.compile(words + (f"|{alone}" if key == "total_time" else ""), re.I))
                 for key, words in TIME_WORDS.items())


def time_labels() -> dict[str, re.Pattern[str]]:
    """{"total"/"prep"/"cook": the label a line starts with, up to its value}: "Temps de cuisson :"."""
    return {key.removesuffix("_time"): re.compile(
        rf"^{_TIME_OF}(?:{words})\w*(?:\s+(?:time|süresi|tid))?\s*:?\s*", re.I)
        for key, words in TIME_WORDS.items()}


#: one line of a recipe's facts, a time and its value: "Prep 10 min", "Cuisson : 1 h", "Repos 2 h"
FACT_TIME = re.compile(rf"^{_TIME_OF}(?:{'|'.join(TIME_WORDS.values())}|repos|ruhezeit|reposo|riposo|rust)"
                       r"\w*(?:\s+(?:time|süresi|tid))?\s*:?\s*\d", re.I)
#: one line of a recipe's facts, its count: "Serves 4", "Pour 6", "Portionen: 4"
FACT_COUNT = re.compile(rf"^(?:{YIELD_LABELS}|{YIELD_FOR})\s*:?\s*\d", re.I)

# -- durations -------------------------------------------------------------------------------------

#: units of an hour and of a minute: "1 h", "2 Stunden", "1 hodina", "2 saat"; "45 Minuten",
#: "20 minut", "15 dakika", "10 perc"
HOUR_UNITS = (r"h(?:ours?|rs?|eures?|oras?|ora|ore|our)?|or[ae]|std\.?|stunden?|uur|hod(?:in[ay]?)?\.?|"
              r"godz(?:in[ay]?)?\.?|saat|timer?|timmar|timme|tim\.?|óra")
MINUTE_UNITS = r"m(?:in(?:ute)?s?|inuten|inutos?|inuti|inut(?:y|a|ów|e|ter|er)?)?\.?|dakika|dk\.?|perc"
#: the vulgar fractions a duration's number may end with: "1¼" (NYT's "1¼ hours"), "¾"
FRACTIONS = {"½": 0.5, "¼": 0.25, "¾": 0.75, "⅓": 1 / 3, "⅔": 2 / 3}
#: a number ("45", "1.5", "1,5", "1¼") and its time unit: minutes_of reads them, the HTML readers find them
DURATION = re.compile(rf"(?P<n>\d*[½¼¾⅓⅔]|\d+(?:[.,]\d+)?)\s*(?:(?P<h>{HOUR_UNITS})|(?P<m>{MINUTE_UNITS}))(?!\w)", re.I)
