"""Kinds of markup the heading reader misread on pages without structured data (issue 14).

One small hand-written page per kind, found by grouping the dev corpus' failing pages under
unknown hosts: the markup that was misread, and what a reader of the page sees. None of these
rules may turn a page that is not a recipe into one (test_html_recipe.py's negatives, and the
shared negatives, still hold).
"""

from __future__ import annotations

import lxml.html

from scraper._html import minutes_of
from scraper.html_recipe import HtmlRecipe, find_html_recipe

URL = "https://blog.example/recipe"
STEPS = """<h2>Method</h2><ol><li>Mix everything in a large bowl until smooth.</li>
<li>Bake for forty minutes, then leave to cool in the tin.</li></ol>"""


def read(body: str) -> HtmlRecipe | None:
    doc = lxml.html.document_fromstring(f"<html><head></head><body><h1>Pie</h1>{body}</body></html>")
    return find_html_recipe(doc, URL)


def test_a_list_item_holding_only_a_heading_titles_a_group():
    # <li><h3>For the dough</h3></li>: was read as an ingredient line "For the dough"
    found = read("""<h2>Zutaten</h2><ul class="recipe_ingredients"><li><h3>Für den Teig</h3></li>
    <li>200 g Mehl</li><li>120 g Butter</li><li><h3>Außerdem</h3></li><li>Butter, zum Fetten</li></ul>
    """ + STEPS)
    assert found is not None and found.confident
    assert found.ingredients == ["200 g Mehl", "120 g Butter", "Butter, zum Fetten"]
    assert found.ingredient_groups == [("Für den Teig", ["200 g Mehl", "120 g Butter"]),
                                       ("Außerdem", ["Butter, zum Fetten"])]


def test_a_heading_inside_a_class_named_container_titles_a_group():
    # The container's second sub-heading ended the section: the ganache's lines were lost.
    found = read("""<div class="recipe-ingredients"><h3>For the sponge</h3>
    <ul><li>225 g flour</li><li>3 eggs</li></ul><h3>For the ganache</h3>
    <ul><li>300 g dark chocolate</li><li>350 g cream</li></ul></div>""" + STEPS)
    assert found is not None and found.confident
    assert found.ingredients == ["225 g flour", "3 eggs", "300 g dark chocolate", "350 g cream"]
    assert [name for name, _ in found.ingredient_groups] == ["For the sponge", "For the ganache"]


def test_emphasised_paragraphs_before_lists_title_groups_and_bullets_are_not_text():
    # "<p><b>BUND</b></p>" was an ingredient, the list's "•" glyph element ran into each line
    # ("•130 g mel"), and the second group's title was read as prose ending the section.
    item = '<li><div class="indicator">•</div><div><span><p>{}</p></span></div></li>'
    found = read(f"""<h2>Ingredienser</h2>
    <div><p><b>BUND</b></p></div><div><ul>{item.format("130 g mel")}{item.format("50 g farin")}</ul></div>
    <div><p><b>KARAMEL</b></p></div><div><ul>{item.format("1 dåse mælk")}</ul></div>
    <p><i>hand-cut chips</i></p><ul><li>1 kg potatoes</li></ul>
    <h2>Fremgangsmåde</h2><p>Kom mel og farin i en skål og rør det godt sammen.</p>""")
    assert found is not None and found.confident
    assert found.ingredients == ["130 g mel", "50 g farin", "1 dåse mælk", "1 kg potatoes"]
    assert [name for name, _ in found.ingredient_groups] == ["BUND", "KARAMEL", "hand-cut chips"]
    # an emphasised line that no list follows stays a line
    found = read("""<h2>Ingredients</h2><p>2 eggs<br>1 cup flour</p><p><b>Salt</b></p>""" + STEPS)
    assert found is not None and found.ingredients == ["2 eggs", "1 cup flour", "Salt"]


def test_a_widget_every_item_repeats_is_not_part_of_the_line():
    # Each line ended in its "shopping list" link, and the links made the list look like links.
    items = "".join(f'<li>{x} <a href="#" class="to_list">shopping list</a></li>' for x in (
        "3 chicken breasts, diced", "salt, to taste", "2 cups broccoli florets"))
    found = read(f"<h4>Ingredients</h4><ul>{items}</ul>" + STEPS)
    assert found is not None and found.confident
    assert found.ingredients == ["3 chicken breasts, diced", "salt, to taste", "2 cups broccoli florets"]
    # lines that end alike in their own text (not in an element of its own) are kept whole
    items = "".join(f"<li>{x}, to taste</li>" for x in ("salt", "pepper", "chili flakes"))
    found = read(f"<h2>Ingredients</h2><ul>{items}</ul>" + STEPS)
    assert found is not None and found.ingredients == ["salt, to taste", "pepper, to taste",
                                                       "chili flakes, to taste"]


def test_the_same_list_twice_is_read_once_and_select_options_are_not_text():
    # Desktop and mobile copies of the list, each after a servings <select>.
    copy = """<h3>Ingredients</h3><p>Servings: <select><option>4</option><option>1</option>
    <option>2</option></select></p><ul><li>195 g ham</li><li>800 g potato</li></ul>"""
    found = read(f'<div class="desktop">{copy}</div><div class="mobile">{copy}</div>' + STEPS)
    assert found is not None and found.confident
    assert found.ingredients == ["195 g ham", "800 g potato"]


def test_step_numbers_in_their_own_element_are_not_part_of_the_step():
    # <span class="number">1</span>Das Messer...: read as "1Das Messer..."
    steps = "".join(f'<li><span class="number">{n}</span>{x}</li>' for n, x in enumerate((
        "Das Universalmesser einsetzen und den Parmesan fein zerkleinern.",
        "Die Zwiebel schälen, halbieren und in den Topf geben."), start=1))
    found = read(f"""<h2>Zutaten</h2><ul><li>90 g Parmesan</li><li>1 Zwiebel</li></ul>
    <h3 id="steps">So wird es gemacht:</h3><ul class="recipe_steps">{steps}</ul>""")
    assert found is not None and found.confident
    assert found.instructions == ["Das Universalmesser einsetzen und den Parmesan fein zerkleinern.",
                                  "Die Zwiebel schälen, halbieren und in den Topf geben."]


def test_durations_written_as_hours_and_minutes_of_a_clock():
    # "Ready In : 1:15 h" was read as 15 hours.
    assert minutes_of("1:15 h") == 75
    assert minutes_of("0:45 hrs") == 45
    assert minutes_of("12:30 Uhr") is None  # a time of day, not a duration


def test_durations_in_the_units_of_more_languages():
    # cs/pl minutes and hours, tr dakika/saat, da/no/sv timer/tim, hu perc: read as durations
    assert minutes_of("20 minut") == 20
    assert minutes_of("1 hodina 30 minut") == 90
    assert minutes_of("2 godz. 15 minut") == 135
    assert minutes_of("15 dakika") == 15
    assert minutes_of("2 saat") == 120
    assert minutes_of("2 timer") == 120
    assert minutes_of("1 tim 15 min") == 75
    assert minutes_of("10 perc") == 10
    assert minutes_of("10 percent") is None  # a unit's letters inside a word are no unit
    # a vulgar fraction of an hour (NYT Cooking's "Time" / "1¼ hours")
    assert minutes_of("1¼ hours") == 75
    assert minutes_of("¾ hour") == 45
    assert minutes_of("1½ h 10 min") == 100


def test_the_yield_is_the_count_its_label_names_in_a_line_of_details():
    # "Tidsmængde: 2 timer Mængde: 8 pers." gave "2 servings", the first number of the line.
    found = read("""<p><span>Tidsmængde:</span>2 timer <span>Mængde:</span> 8 pers.</p>
    <h2>Ingredienser</h2><ul><li>130 g mel</li><li>50 g farin</li></ul>
    <h2>Fremgangsmåde</h2><p>Kom mel og farin i en skål og rør det godt sammen.</p>""")
    assert found is not None and found.yields == "8 servings"
    found = read("""<h2>10 pieces — 20 minutes</h2>
    <h2>Ingredients</h2><ul><li>45 g brown sugar</li><li>35 g sesame seeds</li></ul>""" + STEPS)
    assert found is not None and found.yields == "10 pieces"


def test_a_line_with_its_amount_inside_counts_as_an_ingredient_line():
    """"The thick end of 3 large carrots" opens with no amount but holds one: a line of a list."""
    from scraper.html_blocks import looks_like_ingredients

    lines = ["The thick end of 3 large carrots", "Orange juice (freshly squeezed is best but from a carton is fine)",
             "1/4 tsp. salt", "1 whole red chili pepper", "1 Tbs. soy sauce", "1/2 Tbs. maple syrup"]
    assert looks_like_ingredients(lines)
    # a list of sentences with numbers in them is still no ingredient list
    assert not looks_like_ingredients(["The team won 3 of its last 5 games at home this season",
                                       "Attendance rose by 12 percent compared with the previous year",
                                       "Tickets for the final go on sale on 4 June at noon"])


def test_and_in_french_or_dutch_is_no_amount():
    from scraper.html_blocks import starts_with_amount

    assert not starts_with_amount("et le sel")
    assert not starts_with_amount("en de peper")
    assert starts_with_amount("een snufje zout") and starts_with_amount("deux oeufs")
