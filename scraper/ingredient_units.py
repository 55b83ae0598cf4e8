"""The units the rule-based ingredient parser knows, in every language it reads, and their regex.

Data more than code: a new unit or a new language's spelling goes here, the parsing rules in
ingredient_rules.py (rule 4 of its docstring says how an alias matches). Pure stdlib.
"""

from __future__ import annotations

import re

_UNITS = {  # canonical unit -> aliases (rule 4 of ingredient_rules.py: how an alias matches)
    "gram": "g gr grs gm gramme gram gramm grammo grammi gramo grama",
    "kilogram": "kg kgs kilo kilogramme kilogram kilogramm chilo quilo",
    "milligram": "mg milligramme milligram",
    "millilitre": "ml millilitre milliliter millilitro mililitro",
    "centilitre": "cl centilitre centiliter",
    "decilitre": "dl décilitre decilitre deciliter",
    "litre": "l lt ltr litre liter litro",
    "centimetre": "cm centimètre centimetre centimeter",
    "tablespoon": "c.à.s c.s cs c.à.soupe cuil.à.soupe cuill.à.soupe cuillère.à.soupe "
    "cuillerée.à.soupe cuiller.à.soupe tbsp tbs tbl tablespoon el essl esslöffel eetlepel eetl "
    "cucharada cda cdas cucchiaio cucchiai colher.de.sopa colheres.de.sopa colher.(sopa) "
    "colheres.(sopa)",
    "teaspoon": "c.à.c c.c cc c.à.café cuil.à.café cuill.à.café cuillère.à.café cuillerée.à.café "
    "cuiller.à.café tsp teaspoon tl teel teelöffel theelepel thl cucharadita cdta cdita "
    "cucchiaino cucchiaini colher.de.chá colheres.de.chá colher.(chá) colheres.(chá)",
    "dessertspoon": "c.à.d cuillère.à.dessert cuil.à.dessert dessertspoon colher.de.sobremesa "
    "colheres.de.sobremesa colher.(sobremesa) colheres.(sobremesa)",
    "cup": "cup tasse tassen taza tazza tazze xícara xícara.(chá) xícaras.(chá) kopje",
    "glass": "verre glass bicchiere bicchieri vaso",
    "pinch": "pincée pinch pinches prise snufje snuf pizca pizzico pizzichi pitada msp",
    "dash": "trait dash dashes schuss scheutje chorrito",
    "drop": "goutte drop tropfen druppel gota goccia gocce",
    "ounce": "oz ounce onza",
    "fluid_ounce": "fl.oz",
    "pound": "lb lbs pound",
    "clove": "gousse clove teen teentje zehe diente dente spicchio spicchi",
    "slice": "tranche slice scheibe plak plakje plakken rodaja rebanada fetta fette fatia",
    "can": "boîte can tin dose blik lata lattina scatola",
    "sachet": "sachet zakje päckchen sobre bustina envelope",
    "packet": "paquet packet package packung pak pakje paquete pacote confezione",
    "bunch": "botte bunch bunches bund bos bosje manojo mazzo mazzetto maço",
    "sprig": "brin sprig zweig zweige takje ramita rametto rametti raminho ramo",
    "stalk": "branche stalk tige gambo",
    "handful": "poignée handful handvoll handje puñado manciata punhado",
    "piece": "pièce piece pc pcs morceau stück stk stuk unidade unité pezzo pezzi pz",
    "leaf": "feuille leaf leaves blatt blätter blaadje hoja folha",
    "sheet": "sheet foglio fogli",
    "knob": "knob",
    "grind": "tour grind",
    "head": "tête head",
    "cube": "cube blokje würfel",
    "pot": "pot vasetto",
    "jar": "jar bocal",
    "bottle": "bouteille bottle flasche fles botella bottiglia garrafa",
    "stick": "bâton stick",
}
#: alias (lower case, "." = any run of spaces/dots or none) -> canonical English unit name.
UNIT_ALIASES: dict[str, str] = {a: c for c, v in _UNITS.items() for a in v.split()}

_PLURAL = r"(?:\((?:s|x|e|es|n|en)\)|es|en|s|x|n)?"
WORD_END = r"(?![^\W_]|')"  # end of a word (not followed by a letter, digit or apostrophe)


def _alias_re(alias: str) -> str:
    words = [w for w in re.split(r"[\s.]+", alias) if w]
    parts = [re.escape(w) + (_PLURAL if len(w) >= 3 and w[-1].isalpha() else "") for w in words]
    return r"[\s.]*".join(parts) + r"\.?"


_ALIASES = sorted(UNIT_ALIASES, key=len, reverse=True)
UNIT_RE = re.compile("(?:" + "|".join(f"({_alias_re(a)})" for a in _ALIASES) + ")" + WORD_END, re.I)
#: UNIT_RE's group n+1 matched the alias of UNIT_BY_GROUP[n].
UNIT_BY_GROUP = [UNIT_ALIASES[a] for a in _ALIASES]
