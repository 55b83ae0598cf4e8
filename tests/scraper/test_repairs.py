"""Each repair of the generic extractor (issue 14) on a small page: the wrong input, the right output.

Pages are served (as FetchedPage, no HTTP) under a host no recipe-scrapers scraper knows, so
extract() takes the generic path; `provenance.repairs` (Recipe.repairs) names what was repaired.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from scraper import repairs as rp
from scraper.extract import extract
from scraper.models import FetchedPage

URL = "https://unknown-blog.example/recipes/test"


def page(recipe: dict, *, head: str = "", body: str = "") -> FetchedPage:
    data = {"@context": "https://schema.org", "@type": "Recipe", "name": "Lemon tart", **recipe}
    html = (f"<html lang='en'><head>{head}<script type='application/ld+json'>{json.dumps(data)}</script>"
            f"</head><body>{body}</body></html>")
    return FetchedPage(url=URL, final_url=URL, status=200, content_type="text/html", encoding="utf-8",
                       html=html, content_sha256="0" * 64, fetched_at=datetime(2024, 5, 1, tzinfo=UTC))


STEPS = {"recipeInstructions": ["Mix.", "Bake."]}


def test_split_ingredients_newline_joined_string():
    recipe = extract(page({"recipeIngredient": ["200 g flour\n2 eggs\n1 lemon"], **STEPS}))
    assert recipe.ingredients == ["200 g flour", "2 eggs", "1 lemon"]
    assert "split_ingredients" in recipe.repairs


def test_split_ingredients_br_joined_line():
    recipe = extract(page({"recipeIngredient": ["200 g flour<br>2 eggs", "1 lemon"], **STEPS}))
    assert recipe.ingredients == ["200 g flour", "2 eggs", "1 lemon"]


def test_split_lines_are_cleaned_like_listed_ones():
    # WP Recipe Maker writes a note as "((optional))"; a listed line reads "(optional)", and so
    # must the same line in a list given as one string (it used to keep both parentheses).
    listed = extract(page({"recipeIngredient": ["1 tsp salt ((optional))", "2 eggs &amp; milk"], **STEPS}))
    joined = extract(page({"recipeIngredient": "1 tsp salt ((optional))<br />2 eggs &amp; milk", **STEPS}))
    assert listed.ingredients == joined.ingredients == ["1 tsp salt (optional)", "2 eggs & milk"]
    assert "split_ingredients" in joined.repairs


def test_split_ingredients_comma_list_of_quantities():
    recipe = extract(page({"recipeIngredient": "125ml milk, 1 tsp vinegar, 60ml olive oil, 100g sugar", **STEPS}))
    assert recipe.ingredients == ["125ml milk", "1 tsp vinegar", "60ml olive oil", "100g sugar"]
    # the list in one line with a few bare names ("Lemon"), a comma inside a note's parentheses
    joined = "4 large eggs, 2/3 cup milk, 2 tbsp sugar (or honey, to taste), 1 cup flour, Powdered sugar, Lemon"
    assert extract(page({"recipeIngredient": [joined], **STEPS})).ingredients == [
        "4 large eggs", "2/3 cup milk", "2 tbsp sugar (or honey, to taste)", "1 cup flour", "Powdered sugar", "Lemon"]
    # one ingredient with its notes stays one line
    for one in ("1 onion, finely chopped, diced", "1 (14 oz) can tomatoes, drained, 2 tbsp juice reserved"):
        assert extract(page({"recipeIngredient": [one], **STEPS})).ingredients == [one]


def test_wrapped_line_is_not_split():
    # "40 gr\nbacon" is one ingredient the page's markup wrapped, not two.
    recipe = extract(page({"recipeIngredient": ["40 gr\nbacon", "1 onion, finely chopped"], **STEPS}))
    assert recipe.ingredients == ["40 gr bacon", "1 onion, finely chopped"]
    assert "split_ingredients" not in recipe.repairs


def test_headings_to_groups():
    recipe = extract(page({"recipeIngredient": [
        "For the crust:", "200 g flour", "100 g butter", "DIPPING SAUCE:", "2 tbsp soy sauce"], **STEPS}))
    assert recipe.ingredients == ["200 g flour", "100 g butter", "2 tbsp soy sauce"]
    assert [(g.purpose, g.ingredients) for g in recipe.ingredient_groups] == [
        ("For the crust", ["200 g flour", "100 g butter"]), ("DIPPING SAUCE", ["2 tbsp soy sauce"])]
    assert "headings_to_groups" in recipe.repairs


def test_ingredient_that_looks_short_is_not_a_heading():
    assert not rp.is_heading("Salt and pepper")
    assert not rp.is_heading("2 eggs:")
    assert rp.is_heading("Pour la garniture :")


def test_a_heading_framed_by_marks_names_its_group():
    # "--- Base ---", "[Topping]", "*Glaze*", "— Garnish —": typed by hand into the list
    recipe = extract(page({"recipeIngredient": ["--- Base ---", "200 g flour", "1 egg", "[Topping]", "1 lemon",
                                                "*Glaze*", "50 g sugar", "1 cup flour*"], **STEPS}))
    assert recipe.ingredients == ["200 g flour", "1 egg", "1 lemon", "50 g sugar", "1 cup flour*"]
    assert [g.purpose for g in recipe.ingredient_groups] == ["Base", "Topping", "Glaze"]
    for line in ("1 cup flour*", "Salt*", "(optional)", "Pepper - to taste", "- 2 eggs"):
        assert not rp.is_heading(line), line  # one mark, or a note: a line


def test_section_names_kept_as_titles_and_step_numbers_dropped():
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": [
        {"@type": "HowToSection", "name": "Crust", "itemListElement": [
            {"@type": "HowToStep", "name": "Step 1", "text": "Mix the flour and butter."},
            {"@type": "HowToStep", "name": "stap 2", "text": "Chill for an hour."}]},
        {"@type": "HowToSection", "name": "Filling", "itemListElement": [
            {"@type": "HowToStep", "name": "Custard", "text": "Whisk the eggs with the lemon."},
            {"@type": "HowToStep", "name": "Bake the tart", "text": "Bake the tart for 30 minutes."}]}]}))
    assert recipe.instructions == ["Crust", "Mix the flour and butter.", "Chill for an hour.",
                                   "Filling", "Custard", "Whisk the eggs with the lemon.",
                                   "Bake the tart for 30 minutes."]  # a name that repeats the text goes
    assert "drop_step_numbers" in recipe.repairs


def test_a_section_that_only_labels_the_instructions_is_not_a_step():
    # One HowToSection "Instructions" (or "Préparation :") around every step names the list, not
    # a part of the recipe; "Oven Instructions" beside "Air Fryer Instructions" is a part's title.
    steps = [{"@type": "HowToStep", "text": "Mix."}, {"@type": "HowToStep", "text": "Bake."}]
    for label in ("Instructions", "Préparation :"):
        recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": [
            {"@type": "HowToSection", "name": label, "itemListElement": steps}]}))
        assert recipe.instructions == ["Mix.", "Bake."], label
        assert "drop_section_titles" in recipe.repairs
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": [
        {"@type": "HowToSection", "name": "Oven Instructions", "itemListElement": steps[1:]},
        {"@type": "HowToSection", "name": "Air Fryer Instructions", "itemListElement": steps[:1]}]}))
    assert recipe.instructions == ["Oven Instructions", "Bake.", "Air Fryer Instructions", "Mix."]


def test_instructions_string_of_html_paragraphs_is_split():
    text = "<p>Preheat the oven.</p>\n, <p>Weigh the flour; sift it.</p>\n, <p>Bake.</p>"
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": text}))
    assert recipe.instructions == ["Preheat the oven.", "Weigh the flour; sift it.", "Bake."]
    assert "split_instructions" in recipe.repairs


def test_a_line_break_of_the_html_source_inside_a_step_is_a_space():
    # "<li>…a muffin\ntin.</li>": the page's source wrapped the line; HTML reads it as a space
    # (only a <br> breaks the step), as it does in a list of steps.
    text = ("<ol><li>Set each roll in the hollow of a muffin\ntin.\r\nFill it.</li>"
            "<li>Bake 15 min.<br>Serve with honey.</li></ol>")
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": text}))
    assert recipe.instructions == [
        "Set each roll in the hollow of a muffin tin. Fill it.", "Bake 15 min.", "Serve with honey."]


def test_bullets_stripped_from_steps():
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": ["* Mix.", "• Bake."]}))
    assert recipe.instructions == ["Mix.", "Bake."]


def test_negative_total_time_becomes_prep_plus_cook():
    recipe = extract(page({"recipeIngredient": ["1 egg"], **STEPS,
                           "totalTime": "PT-33M", "prepTime": "PT12M", "cookTime": "PT15M"}))
    assert recipe.total_time == 27
    assert "total_time_from_parts" in recipe.repairs


def test_negative_total_time_without_parts_is_none():
    recipe = extract(page({"recipeIngredient": ["1 egg"], **STEPS, "totalTime": "PT-33M"}))
    assert recipe.total_time is None


def test_zero_total_time_reads_parts():
    recipe = extract(page({"recipeIngredient": ["1 egg"], **STEPS,
                           "totalTime": "PT0S", "prepTime": "PT10M", "cookTime": "PT20M"}))
    assert recipe.total_time == 30


def test_a_zero_time_shown_in_the_html_is_no_time_either():
    # JSON-LD "PT0M" with no parts is no time; the page's HTML "Total time: 0 min" (or a
    # microdata <meta content="PT0M">) is the same template's blank, not a 0-minute recipe.
    card = ("<div itemscope itemtype='http://schema.org/Recipe'><meta itemprop='totalTime' content='PT0M'>"
            "<ul><li itemprop='recipeIngredient'>1 egg</li></ul><ol><li itemprop='recipeInstructions'>Mix.</li>"
            "<li itemprop='recipeInstructions'>Bake.</li></ol></div>")
    for body in ("<p><span>Total time: 0 min</span></p>", card):
        recipe = extract(page({"recipeIngredient": ["1 egg"], **STEPS, "totalTime": "PT0M"}, body=body))
        assert recipe.total_time is None, body
        assert "total_time_from_html" not in recipe.repairs


def test_yields_normalised_like_site_scrapers():
    recipe = extract(page({"recipeIngredient": ["1 egg"], **STEPS, "recipeYield": ["4", "4 portions"]}))
    assert recipe.yields == "4 servings"


def test_site_name_stripped_from_title():
    recipe = extract(page({"name": "Lemon tart | Unknown Blog", "recipeIngredient": ["1 egg"], **STEPS},
                          head="<meta property='og:site_name' content='Unknown Blog'>"))
    assert recipe.title == "Lemon tart"
    assert recipe.site_name == "Unknown Blog"
    assert "strip_site_name" in recipe.repairs


def test_clean_page_has_no_repairs():
    recipe = extract(page({"recipeIngredient": ["1 egg", "200 g flour"], **STEPS}))
    assert recipe.repairs == []
    assert recipe.extractor == "schema.org"


def test_yields_only_in_a_servings_widget_come_from_the_html():
    # The JSON-LD has no recipeYield; the page's own widget says "8 os." (Polish "8 persons").
    body = "<div class='recipe-stats'><div class='person-count'>8 os.</div></div>"
    recipe = extract(page({"recipeIngredient": ["1 kg potatoes"], **STEPS}, body=body))
    assert recipe.yields == "8 servings"
    assert "yields_from_html" in recipe.repairs


def test_yields_from_a_serves_label_and_an_option_value():
    labelled = extract(page({"recipeIngredient": ["1 egg"], **STEPS},
                            body="<ul><li><strong>Serves:</strong> 2</li></ul>"))
    option = extract(page({"recipeIngredient": ["1 egg"], **STEPS},
                          body="<select><option class='yield' value='6' selected>6 people</option></select>"))
    assert (labelled.yields, option.yields) == ("2 servings", "6 servings")


def test_yields_the_html_recipe_reads_are_a_repair_too():
    # "Servings" over its "24": found by the HTML reading, not the details widget; provenance says so
    body = """<div class="recipe"><h3>Servings</h3><p>24</p><h2>Ingredients</h2><ul><li>1 egg</li>
    <li>200 g flour</li></ul><h2>Method</h2><ol><li>Mix.</li><li>Bake.</li></ol></div>"""
    recipe = extract(page({"recipeIngredient": ["1 egg", "200 g flour"], **STEPS}, body=body))
    assert recipe.yields == "24 servings"
    assert "yields_from_html" in recipe.repairs


def test_yields_from_a_label_over_its_value_and_from_a_count_before_its_noun():
    # delish: a bare label in a <dt>, its value in the <dd>; bestrecipes: "<li>6 <span>Servings</span></li>"
    labelled = extract(page({"recipeIngredient": ["1 egg"], **STEPS},
                            body="<dl><div><dt>Yields:</dt><dd>8 - 10 <span>serving(s)</span></dd></div></dl>"))
    counted = extract(page({"recipeIngredient": ["1 egg"], **STEPS},
                           body="<ul class='meta'><li>6 <span>Servings</span></li><li>Easy</li></ul>"))
    assert (labelled.yields, counted.yields) == ("8 servings", "6 servings")
    assert "yields_from_html" in labelled.repairs and "yields_from_html" in counted.repairs
    pieces = extract(page({"recipeIngredient": ["1 egg"], **STEPS},
                          body="<div><p>Prodotto</p><p>12 pezzi</p></div>"))
    assert pieces.yields == "12 servings"
    # a count with more words than its noun is a sentence, not the yield
    told = extract(page({"recipeIngredient": ["1 egg"], **STEPS}, body="<p>Feeds 6 servings of hungry kids</p>"))
    assert told.yields is None


def test_yields_from_the_count_a_servings_stepper_starts_at():
    # sallys-blog: the input names itself; bettybossi: its stepper box's label names it
    named = extract(page({"recipeIngredient": ["1 egg"], **STEPS}, body=(
        "<form><div><input aria-label='Portionen' name='portions' type='number' value='2'><button>+</button></div></form>")))
    boxed = extract(page({"recipeIngredient": ["1 egg"], **STEPS}, body=(
        "<div class='quantity-stepper'><span class='label'>Nombre de personnes</span><div><button>-</button>"
        "<input value='12' class='form-control'><button>+</button></div></div>")))
    assert (named.yields, boxed.yields) == ("2 servings", "12 servings")
    # a quantity box of a shop's basket, or a search field, is no yield
    basket = extract(page({"recipeIngredient": ["1 egg"], **STEPS}, body=(
        "<div class='cart'><span>Menge</span><input name='qty' type='number' value='1'></div>"
        "<form><input name='q' type='text' value='2024'></form>")))
    assert basket.yields is None


def test_structured_yields_win_over_the_html_widget():
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeYield": "4", **STEPS},
                          body="<span class='servings'>12</span>"))
    assert recipe.yields == "4 servings"
    assert "yields_from_html" not in recipe.repairs


def test_a_bare_time_label_and_a_clock_widget_give_the_total_time():
    # NYT Cooking: "<dt>Time</dt><dd>45 minutes, plus chilling</dd>"
    labelled = extract(page({"recipeIngredient": ["1 egg"], **STEPS},
                            body="<dl><dt>Time</dt><dd>45 minutes, plus chilling</dd></dl>"))
    assert labelled.total_time == 45 and "total_time_from_html" in labelled.repairs
    # iprima: a clock icon before "45 minut"; przepisy: <div class="time-count">40 min.</div>
    clock = extract(page({"recipeIngredient": ["1 egg"], **STEPS},
                         body="<div class='main-point'><i class='icon i-clock'></i> 45 minut</div>"))
    widget = extract(page({"recipeIngredient": ["1 egg"], **STEPS}, body="<div class='time-count'>40 min.</div>"))
    assert (clock.total_time, widget.total_time) == (45, 40)
    # teasers of other recipes, each with its own clock, or a reading time: no total of this one
    teasers = extract(page({"recipeIngredient": ["1 egg"], **STEPS}, body=(
        "<div class='card'><span class='clock'>20 min</span></div><div class='card'><span class='clock'>1 h</span></div>")))
    reading = extract(page({"recipeIngredient": ["1 egg"], **STEPS}, body="<span class='read-time'>5 min</span>"))
    assert (teasers.total_time, reading.total_time) == (None, None)


def test_icons_named_for_the_prep_and_the_cook_time_give_their_sum():
    # aldi-nord: an svg named "time-preparation" in a box beside "20 Min", "time-cooking" beside "15 Min"
    def box(part, minutes):
        return (f"<div class='info-time'><div class='info-time-icon'><svg class='icon icon--time-{part}'></svg>"
                f"</div><p class='info-description'>{minutes}<span>Min</span></p></div>")
    recipe = extract(page({"recipeIngredient": ["1 egg"], **STEPS},
                          body=box("preparation", 20) + box("cooking", 15)))
    assert recipe.total_time == 35 and "total_time_from_html" in recipe.repairs
    # two teasers' prep icons that disagree name no part of this recipe
    teasers = extract(page({"recipeIngredient": ["1 egg"], **STEPS},
                           body=box("preparation", 20) + box("preparation", 45)))
    assert teasers.total_time is None


def test_an_icon_before_a_label_still_labels_its_value():
    # cookfastrecipes: "<div>⏱ Total Time: <strong>8h 40m</strong></div>", "🍽️ Servings: 4"
    body = ("<div class='recipe-stats'><div class='stat-item'>⏱ Total Time: <strong>8h 40m</strong></div>"
            "<div class='stat-item'>🍽️ Servings: <strong>4</strong></div></div>")
    recipe = extract(page({"recipeIngredient": ["1 egg"], **STEPS}, body=body))
    assert (recipe.total_time, recipe.yields) == (520, "4 servings")
    assert {"total_time_from_html", "yields_from_html"} <= set(recipe.repairs)
    # a quotation mark is no icon: a quoted "Serves 2 dogs" is a motto, not the yield
    quoted = extract(page({"recipeIngredient": ["1 egg"], **STEPS}, body="<div>“Serves 2 dogs” is our motto</div>"))
    assert quoted.yields is None


def test_total_time_only_in_a_labelled_html_line():
    body = "<dl class='prepare-time'><dt>Totale tijd</dt><dd>20 minuten</dd></dl>"
    recipe = extract(page({"recipeIngredient": ["1 egg"], **STEPS}, body=body))
    assert recipe.total_time == 20
    assert "total_time_from_html" in recipe.repairs


def test_a_widget_without_a_number_gives_no_yields():
    recipe = extract(page({"recipeIngredient": ["1 egg"], **STEPS},
                          body="<div class='servings-toggle'>Servings</div><p class='serves'>a crowd</p>"))
    assert recipe.yields is None


def test_quantities_printed_beside_bare_names_come_from_the_html():
    # The JSON-LD lists bare names; a shop widget (no list, no "ingredients" title or class)
    # prints the amount in a span beside each name.
    body = ("<nav><a href='/tequila'><span>Tequila</span></a></nav>"  # a menu link: no amount
            "<div class='shop-tab'><div><span>4 cl</span> <span>Tequila</span></div>"
            "<div><span>2 cl</span> <span>Limejuice</span></div>"
            "<div><span>0,5-1 cl</span> <span>Sockerlag</span></div></div>")
    recipe = extract(page({"recipeIngredient": ["Tequila", "Limejuice", "Sockerlag"], **STEPS}, body=body))
    assert recipe.ingredients == ["4 cl Tequila", "2 cl Limejuice", "0,5-1 cl Sockerlag"]
    assert "quantities_from_html" in recipe.repairs


def test_amounts_the_json_ld_dropped_come_from_the_card_though_a_line_has_none():
    # The JSON-LD lost the amounts ("cup butter"); "pinch of salt" has none to lose, and the
    # JSON-LD's "(soft )" is spaced otherwise than the card's "(soft)": the card's lines are taken.
    def li(amount, unit, name, notes=""):
        return ("<li class='wprm-recipe-ingredient'>"
                + (f"<span class='wprm-recipe-ingredient-amount'>{amount}</span> " if amount else "")
                + (f"<span class='wprm-recipe-ingredient-unit'>{unit}</span> " if unit else "")
                + f"<span class='wprm-recipe-ingredient-name'>{name}</span>"
                + (f" <span class='wprm-recipe-ingredient-notes'>{notes}</span>" if notes else "") + "</li>")
    card = ("<div class='wprm-recipe-container'><div class='wprm-recipe'><h2 class='wprm-recipe-name'>Lemon tart</h2>"
            "<div class='wprm-recipe-ingredients-container'><ul class='wprm-recipe-ingredients'>"
            + li("½", "cup", "butter", "soft") + li("2", "", "eggs") + li("", "", "pinch of salt")
            + "</ul></div><div class='wprm-recipe-instructions-container'><ul>"
              "<li class='wprm-recipe-instruction'><div class='wprm-recipe-instruction-text'>Mix.</div></li>"
              "<li class='wprm-recipe-instruction'><div class='wprm-recipe-instruction-text'>Bake.</div></li>"
              "</ul></div></div></div>")
    recipe = extract(page({"recipeIngredient": ["cup butter (soft )", "eggs", "pinch of salt"], **STEPS}, body=card))
    assert recipe.ingredients == ["½ cup butter (soft)", "2 eggs", "pinch of salt"]
    assert "quantities_from_html" in recipe.repairs
    # a card naming other things is no witness of dropped amounts: its lines are not taken whole
    other = extract(page({"recipeIngredient": ["cup cream", "eggs", "pinch of salt"], **STEPS}, body=card))
    assert other.ingredients[0] == "cup cream"


def test_lines_with_amounts_are_not_replaced_from_the_html():
    body = "<ul><li>2 cups Flour, sifted twice</li><li>3 Eggs</li></ul>"
    recipe = extract(page({"recipeIngredient": ["200 g flour", "Eggs", "1 lemon"], **STEPS}, body=body))
    assert recipe.ingredients == ["200 g flour", "Eggs", "1 lemon"]
    assert "quantities_from_html" not in recipe.repairs


def test_total_time_is_the_html_prep_plus_cook_when_no_total_is_shown():
    body = ("<h3>Details</h3><ul><li><strong>Difficulty:</strong> Easy</li>"
            "<li><strong>Preparation Time:</strong> 20 mins</li>"
            "<li><strong>Cooking Time:</strong> 40 mins</li></ul>")
    recipe = extract(page({"recipeIngredient": ["1 egg"], **STEPS}, body=body))
    assert recipe.total_time == 60
    assert "total_time_from_html" in recipe.repairs


def test_lines_the_json_ld_ran_together_come_from_the_html_list():
    # The JSON-LD lost the <br>s ("oil2 small onions"); the page's titled lists still show each line.
    body = ("<div class='ingredients-title'>Ingredients</div><ul><li>3 tbsp red pepper powder</li>"
            "<li>2 tbsp sesame oil</li><li>2 small onions, chopped.</li></ul>"
            "<div class='instructions-title'>Instructions</div>My version.<br><ol>"
            "<li>Heat the sesame oil in your pot and fry the onions.</li>"
            "<li>Add the pepper powder and fry for a minute more.</li></ol>")
    recipe = extract(page({"recipeIngredient": "3 tbsp red pepper powder2 tbsp sesame oil2 small onions, chopped.",
                           "recipeInstructions": "My version.Heat the sesame oil in your pot and fry the onions."
                                                 "Add the pepper powder and fry for a minute more."}, body=body))
    assert recipe.ingredients == ["3 tbsp red pepper powder", "2 tbsp sesame oil", "2 small onions, chopped."]
    assert recipe.instructions == ["Heat the sesame oil in your pot and fry the onions.",
                                   "Add the pepper powder and fry for a minute more."]
    assert "lines_from_html" in recipe.repairs


def test_a_section_title_heading_the_instructions_text_is_not_a_step():
    recipe = extract(page({"recipeIngredient": ["1 egg"],
                           "recipeInstructions": "<p>Modo de Preparo</p><p>Refogue a cebola no azeite.</p>"}))
    assert recipe.instructions == ["Refogue a cebola no azeite."]
    assert "drop_section_titles" in recipe.repairs


def test_an_amount_printed_after_the_name_in_a_sibling_block_comes_from_the_html():
    row = ("<div class='item'><p><label><span><span> {name} </span></span></label></p>"
           "<p class='quantity'><span> {amount} </span></p></div>")
    body = "".join(row.format(name=n, amount=a) for n, a in (("ziemniaki", "1 kilogram"), ("cebula", "1 sztuka")))
    recipe = extract(page({"recipeIngredient": ["ziemniaki", "cebula"], **STEPS}, body=body))
    assert recipe.ingredients == ["ziemniaki 1 kilogram", "cebula 1 sztuka"]


def test_yields_after_a_servings_icon_come_from_the_html():
    body = "<div class='main-point'><i class='icon i-person'></i> 4 porce </div>"
    recipe = extract(page({"recipeIngredient": ["1 egg"], **STEPS}, body=body))
    assert recipe.yields == "4 servings"


def _groups(recipe) -> list[tuple[str | None, list[str]]]:
    return [(g.purpose, g.ingredients) for g in recipe.ingredient_groups]


def test_groups_follow_the_lines_when_quantities_come_from_the_html():
    # The groups made from the JSON-LD's headings kept naming the bare lines ("Tequila") after
    # the lines themselves were replaced by the HTML's ("4 cl Tequila").
    body = ("<div class='shop-tab'><div><span>4 cl</span> <span>Tequila</span></div>"
            "<div><span>2 cl</span> <span>Limejuice</span></div>"
            "<div><span>1 cl</span> <span>Sockerlag</span></div></div>")
    recipe = extract(page({"recipeIngredient": ["For the drink:", "Tequila", "Limejuice", "For the syrup:",
                                                "Sockerlag"], **STEPS}, body=body))
    assert recipe.ingredients == ["4 cl Tequila", "2 cl Limejuice", "1 cl Sockerlag"]
    assert _groups(recipe) == [("For the drink", ["4 cl Tequila", "2 cl Limejuice"]),
                               ("For the syrup", ["1 cl Sockerlag"])]


def test_groups_come_from_the_card_when_its_lines_replace_run_together_ones():
    body = ("<h2>Ingredients</h2><h3>Paste</h3><ul><li>3 tbsp red pepper powder</li>"
            "<li>2 tbsp sesame oil</li></ul><h3>Soup</h3><ul><li>2 small onions, chopped</li></ul>")
    recipe = extract(page({"recipeIngredient": "3 tbsp red pepper powder2 tbsp sesame oil2 small onions, chopped",
                           **STEPS}, body=body))
    assert recipe.ingredients == ["3 tbsp red pepper powder", "2 tbsp sesame oil", "2 small onions, chopped"]
    assert _groups(recipe) == [("Paste", ["3 tbsp red pepper powder", "2 tbsp sesame oil"]),
                               ("Soup", ["2 small onions, chopped"])]


CUT_SHORT_BODY = """<h2>Zutaten</h2><ul><li>90 g Parmesan</li><li>1 Zwiebel</li><li>30 g Butter</li>
<li>250 ml Milch</li><li>800 g Gnocchi</li><li>200 g Zuckerschoten</li></ul>
<h2>Zubereitung</h2><ol><li>Den Parmesan fein reiben und beiseitestellen.</li>
<li>Die Zwiebel schälen, halbieren und fein hacken.</li><li>Die Butter zerlassen und die Zwiebel andünsten.</li>
<li>Die Milch zugeben und fünf Minuten köcheln lassen.</li><li>Die Gnocchi nach Packungsangabe garen.</li></ol>"""


def test_lists_the_json_ld_cut_short_come_from_the_html():
    # A paywalled site writes the first lines of each list into its JSON-LD; the page shows all.
    recipe = extract(page({"recipeIngredient": ["90 g Parmesan", "1Zwiebel"],
                           "recipeInstructions": [{"@type": "HowToStep",
                                                   "text": "Den Parmesan fein reiben und beiseitestellen."}]},
                          body=CUT_SHORT_BODY))
    assert recipe.ingredients == ["90 g Parmesan", "1 Zwiebel", "30 g Butter", "250 ml Milch", "800 g Gnocchi",
                                  "200 g Zuckerschoten"]
    assert len(recipe.instructions) == 5 and recipe.instructions[-1] == "Die Gnocchi nach Packungsangabe garen."
    assert "lines_from_html" in recipe.repairs
    # Five of six lines is not a cut list (the sixth is more likely a note the reader ran into),
    # and a card showing our lines twice adds nothing.
    five = ["90 g Parmesan", "1 Zwiebel", "30 g Butter", "250 ml Milch", "800 g Gnocchi"]
    recipe = extract(page({"recipeIngredient": five, **STEPS}, body=CUT_SHORT_BODY))
    assert recipe.ingredients == five and "lines_from_html" not in recipe.repairs
    twice = "<h2>Ingredients</h2><ul>" + "<li>2 eggs</li><li>1 cup flour</li>" * 2 + "</ul>"
    recipe = extract(page({"recipeIngredient": ["2 eggs", "1 cup flour"], **STEPS}, body=twice))
    assert recipe.ingredients == ["2 eggs", "1 cup flour"]


def test_card_section_titles_are_not_steps_when_the_card_is_the_only_source():
    # The JSON-LD has no steps; the WPRM card's group names ("4/6 mois : en compote") came out
    # as steps, where a heading reader (and the site's scraper) reads them as titles.
    body = """<div class="wprm-recipe"><div class="wprm-recipe-ingredients-container">
    <ul><li class="wprm-recipe-ingredient">5 mirabelles</li><li class="wprm-recipe-ingredient">1 yaourt</li></ul></div>
    <div class="wprm-recipe-instructions-container"><ul><li class="wprm-recipe-instruction">
    <div class="wprm-recipe-instruction-text">Laver les mirabelles.</div></li></ul>
    <h4 class="wprm-recipe-group-name">4/6 mois : en compote</h4><ul><li class="wprm-recipe-instruction">
    <div class="wprm-recipe-instruction-text">Proposer à bébé une compote de mirabelles.</div></li></ul></div></div>"""
    recipe = extract(page({"recipeIngredient": ["5 mirabelles", "1 yaourt"]}, body=body))
    assert recipe.instructions == ["Laver les mirabelles.", "Proposer à bébé une compote de mirabelles."]
    assert "instructions_from_html" in recipe.repairs


def test_ingredients_that_only_name_the_groups_come_from_the_html():
    body = ("<h2>Ingrédients</h2><h3>Biscuit Joconde</h3><ul><li>2 oeufs (100g)</li><li>70g de noisette</li></ul>"
            "<h3>Ganache</h3><ul><li>200g de chocolat noir</li><li>25cl de crème liquide</li></ul>")
    recipe = extract(page({"recipeIngredient": ["Biscuit Joconde", "Ganache"], **STEPS}, body=body))
    assert recipe.ingredients == ["2 oeufs (100g)", "70g de noisette", "200g de chocolat noir", "25cl de crème liquide"]
    assert _groups(recipe) == [("Biscuit Joconde", ["2 oeufs (100g)", "70g de noisette"]),
                               ("Ganache", ["200g de chocolat noir", "25cl de crème liquide"])]


def test_bullets_stripped_from_steps_are_named():
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": ["• Mix the eggs.", "• Bake."]}))
    assert recipe.instructions == ["Mix the eggs.", "Bake."]
    assert "strip_bullets" in recipe.repairs


def test_steps_that_are_a_broken_templates_leftovers_are_dropped():
    # "[{": a template that printed the start of its JSON instead of the steps
    recipe = extract(page({"recipeIngredient": ["1 egg", "200 g flour"], "recipeInstructions": "[{"}))
    assert recipe.instructions == []
    assert "drop_empty_steps" in recipe.repairs
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": ["—", "Mix.", "6)."]}))
    assert recipe.instructions == ["Mix.", "6)."]  # a digit is kept: it may be the end of a sentence


def test_a_broken_template_step_is_filled_from_the_html_list():
    body = ("<h2>Method</h2><ol><li>Preheat the oven to 180 C and line a tray.</li>"
            "<li>Whisk the egg with the flour until smooth.</li><li>Bake for 25 minutes.</li></ol>")
    recipe = extract(page({"recipeIngredient": ["1 egg", "200 g flour"], "recipeInstructions": "[{"}, body=body))
    assert recipe.instructions == ["Preheat the oven to 180 C and line a tray.",
                                   "Whisk the egg with the flour until smooth.", "Bake for 25 minutes."]
    assert {"drop_empty_steps", "instructions_from_html"} <= set(recipe.repairs)


def test_numbers_printed_in_each_steps_text_are_dropped():
    steps = [{"@type": "HowToStep", "text": "Step 1: Mix the flour."}, {"@type": "HowToStep", "text": "Step 2: Bake."}]
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": steps}))
    assert recipe.instructions == ["Mix the flour.", "Bake."]
    assert "drop_step_numbers" in recipe.repairs
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": ["1. Mix.", "2) Bake."]}))
    assert recipe.instructions == ["Mix.", "Bake."]


def test_steps_that_start_with_an_amount_keep_it():
    for steps in (["1 egg is beaten.", "2 cups of milk are added."], ["3 eggs go in.", "Bake."],
                  ["1.5 cups of milk go in.", "2. Bake."]):
        recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": steps}))
        assert recipe.instructions == steps and "drop_step_numbers" not in recipe.repairs


def test_one_string_numbering_its_steps_is_split_at_the_numbers():
    text = "1. Mix the flour and the egg. 2. Rest for 10 min. 3. Bake at 180 C."
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": text}))
    assert recipe.instructions == ["Mix the flour and the egg.", "Rest for 10 min.", "Bake at 180 C."]
    assert "split_instructions" in recipe.repairs
    kept = "Bake at 180 C. 2. Serve."  # not numbered from 1: one step, as written
    assert extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": kept})).instructions == [kept]


def test_one_string_numbering_its_steps_without_full_stops_or_with_step_words_is_split():
    # a step left without its full stop ("…for 10 min 2. Bake"): the next step's capital after
    # its number marks it; "cut into 2. pieces" has none. "Step 1: … Step 2: …" is marked by its word.
    for text, want in (
        ("1. Mix the flour (sifted) 2) Rest for 10 min 3. Bake at 180 C", ["Mix the flour (sifted)", "Rest for 10 min", "Bake at 180 C"]),
        ("Step 1: Mix the flour. Step 2: Rest for 10 min. Step 3: Bake.", ["Mix the flour.", "Rest for 10 min.", "Bake."]),
        ("Étape 1 - Mélanger la farine. Étape 2 - Cuire 20 min.", ["Mélanger la farine.", "Cuire 20 min."]),
    ):
        recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": text}))
        assert recipe.instructions == want, text
    kept = "1. Roll the dough and cut into 2. pieces of equal size, then bake."  # one step, as written
    assert extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": kept})).instructions == [kept]


def test_a_step_told_as_its_directions_gives_them_and_not_its_tips():
    # schema.org lets a HowToStep hold HowToDirections (and HowToTips) instead of its own text
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": [
        {"@type": "HowToStep", "itemListElement": [{"@type": "HowToDirection", "text": "Whisk the egg."},
                                                   {"@type": "HowToTip", "text": "A fork will do."}]},
        {"@type": "HowToStep", "itemListElement": [{"@type": "HowToDirection", "text": "Fry it."}]}]}))
    assert recipe.instructions == ["Whisk the egg.", "Fry it."]


def test_html_paragraphs_inside_one_step_are_separate_steps():
    steps = [{"@type": "HowToStep", "text": "<p>Mix the flour.</p><p>Bake 20 min.</p>"},
             {"@type": "HowToStep", "text": "Cool.<br>Serve."}]
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": steps}))
    assert recipe.instructions == ["Mix the flour.", "Bake 20 min.", "Cool.", "Serve."]  # not "flour.Bake"
    assert "split_instructions" in recipe.repairs


def test_a_line_break_inside_a_listed_step_stays_in_the_step():
    steps = ["Fry the pancakes on both sides.\r\nTip: a ring keeps them round.", "Serve."]
    recipe = extract(page({"recipeIngredient": ["1 egg"], "recipeInstructions": steps}))
    assert recipe.instructions == ["Fry the pancakes on both sides. Tip: a ring keeps them round.", "Serve."]
    assert "split_instructions" not in recipe.repairs


def test_ingredient_bullets_checkboxes_and_empty_rows_are_removed():
    lines = ["• 200 g de farine", "▢1 œuf", "- 100 g de beurre", "—", "-1 °C water"]
    recipe = extract(page({"recipeIngredient": lines, **STEPS}))
    assert recipe.ingredients == ["200 g de farine", "1 œuf", "100 g de beurre", "-1 °C water"]
    assert "strip_bullets" in recipe.repairs


def test_the_lists_own_title_is_dropped_not_made_a_group():
    recipe = extract(page({"recipeIngredient": ["Zutaten für 4 Personen", "200 g Mehl", "1 Ei"], **STEPS}))
    assert recipe.ingredients == ["200 g Mehl", "1 Ei"] and recipe.ingredient_groups == []
    assert "drop_section_titles" in recipe.repairs
    lines = ["Ingredients:", "For the dough:", "200 g flour", "For the top:", "1 egg"]
    recipe = extract(page({"recipeIngredient": lines, **STEPS}))
    assert recipe.ingredients == ["200 g flour", "1 egg"]
    assert [(g.purpose, g.ingredients) for g in recipe.ingredient_groups] == [
        ("For the dough", ["200 g flour"]), ("For the top", ["1 egg"])]


def test_semicolon_joined_ingredients_are_split():
    recipe = extract(page({"recipeIngredient": ["200 g flour; 1 egg; 100 ml milk"], **STEPS}))
    assert recipe.ingredients == ["200 g flour", "1 egg", "100 ml milk"]
    assert "split_ingredients" in recipe.repairs


def test_publisher_name_stripped_from_title():
    recipe = extract(page({"name": "Tarte aux pommes | Mon Blog", "recipeIngredient": ["3 pommes"], **STEPS,
                           "publisher": {"@type": "Organization", "name": "Mon Blog"}}))
    assert recipe.title == "Tarte aux pommes"
    assert "strip_site_name" in recipe.repairs


def test_ingredients_only_in_the_html_card_fill_empty_structured_data():
    body = ("<div class='tasty-recipes'><div class='tasty-recipes-ingredients'><ul>"
            "<li>200 g flour</li><li>2 eggs</li><li>1 pinch salt</li></ul></div>"
            "<div class='tasty-recipes-instructions'><ol><li>Whisk the eggs into the flour.</li>"
            "<li>Bake for 20 minutes.</li></ol></div></div>")
    recipe = extract(page({"recipeIngredient": [], **STEPS}, body=body))
    assert recipe.ingredients == ["200 g flour", "2 eggs", "1 pinch salt"]
    assert "ingredients_from_html" in recipe.repairs


def html_only(body: str) -> FetchedPage:
    html = f"<html lang='en'><head><title>Tart</title></head><body>{body}</body></html>"
    return FetchedPage(url=URL, final_url=URL, status=200, content_type="text/html", encoding="utf-8",
                       html=html, content_sha256="0" * 64, fetched_at=datetime(2024, 5, 1, tzinfo=UTC))


CARD_ONLY = """<h1>Lemon tart</h1><div class="wprm-recipe-container"><div class="wprm-recipe">
 <span class="wprm-recipe-details wprm-recipe-prep_time wprm-recipe-prep_time-minutes">20</span>
 <span class="wprm-recipe-details wprm-recipe-cook_time wprm-recipe-cook_time-minutes">35</span>
 <div class="wprm-recipe-ingredients-container"><ul>
  <li class="wprm-recipe-ingredient">200 g flour</li><li class="wprm-recipe-ingredient">2 lemons</li></ul></div>
 <div class="wprm-recipe-instructions-container">
  <div class="wprm-recipe-instruction-group"><h4 class="wprm-recipe-group-name">Pastry</h4><ul>
   <li class="wprm-recipe-instruction"><div class="wprm-recipe-instruction-text">Rub the flour with
    the butter.</div></li></ul></div>
  <div class="wprm-recipe-instruction-group"><h4 class="wprm-recipe-group-name">Filling</h4><ul>
   <li class="wprm-recipe-instruction"><div class="wprm-recipe-instruction-text">Whisk the lemon
    juice with the eggs.</div></li></ul></div>
 </div></div></div>"""


def test_a_card_read_alone_keeps_its_section_titles_and_sums_prep_and_cook():
    """With no structured data the card speaks for the page: its steps read as its JSON-LD would."""
    recipe = extract(html_only(CARD_ONLY))
    assert recipe.extractor == "html:wprm"
    assert recipe.instructions == ["Pastry", "Rub the flour with the butter.", "Filling",
                                   "Whisk the lemon juice with the eggs."]
    assert (recipe.prep_time, recipe.cook_time, recipe.total_time) == (20, 35, 55)


def test_a_site_name_the_host_spells_is_stripped_from_the_title():
    """No site name in the page's data: "Unknown Blog" is still unknown-blog.example's name."""
    recipe = extract(page({"name": "Lemon tart | Unknown Blog", "recipeIngredient": ["2 lemons"], **STEPS}))
    assert recipe.title == "Lemon tart" and "strip_site_name" in recipe.repairs
    kept = extract(page({"name": "Lemon tart - Grandma's way", "recipeIngredient": ["2 lemons"], **STEPS}))
    assert kept.title == "Lemon tart - Grandma's way" and "strip_site_name" not in kept.repairs
    assert rp.strip_site_name("Estrogonofe - iG", [], "receitas.ig.com.br") == ("Estrogonofe", True)


def test_recette_de_before_the_dish_in_an_html_title_is_dropped():
    recipe = extract(html_only(CARD_ONLY.replace("<h1>Lemon tart</h1>", "<h1>Recette de Tarte au citron</h1>")))
    assert recipe.title == "Tarte au citron"
    same = extract(html_only(CARD_ONLY.replace("<h1>Lemon tart</h1>", "<h1>Recettes du monde</h1>")))
    assert same.title == "Recettes du monde"  # no "de" after it: a title, not a prefix


def test_step_numbers_that_start_again_in_each_group_are_dropped():
    from scraper.repairs import drop_text_numbers

    steps = ["Passo 1 Derreta o açúcar.", "Passo 2 Junte a água.", "Passo 1 Bata os ovos.", "Passo 2 Asse."]
    assert drop_text_numbers(steps) == (["Derreta o açúcar.", "Junte a água.", "Bata os ovos.", "Asse."], True)
    # a run that does not count from 1, or only ever says 1, numbers nothing
    assert drop_text_numbers(["2. Mix.", "3. Bake."])[1] is False
    assert drop_text_numbers(["1 Heat the oil.", "1 Add the onion."])[1] is False


def test_a_json_ld_that_lists_one_group_and_runs_steps_together_is_read_from_the_card():
    """Its recipeIngredient names the sauce's lines only; each HowToStep runs the card's steps together."""
    body = """<h2>Ingredients</h2><p>for 4 servings</p><ul><li>1 pound chicken thighs</li><li>½ teaspoon salt</li>
      <li>2 cups oil for frying</li></ul><h3>Sauce</h3><ul><li>3 tablespoons soy sauce</li><li>2 tablespoons water</li></ul>
      <h2>Directions</h2><ol><li>Pat the chicken dry.</li><li>Sprinkle it with the salt.</li>
      <li>Fry the chicken in the oil.</li><li>Mix the soy sauce with the water.</li></ol>"""
    recipe = extract(page({"recipeIngredient": ["3 tablespoons soy sauce", "2 tablespoons water"],
                           "recipeInstructions": [
                               {"@type": "HowToSection", "name": "Prepare the chicken", "itemListElement": [
                                   {"@type": "HowToStep", "text": "Pat the chicken dry. Sprinkle it with the salt. "
                                                                  "Fry the chicken in the oil."}]},
                               {"@type": "HowToSection", "name": "Make the sauce", "itemListElement": [
                                   {"@type": "HowToStep", "text": "Mix the soy sauce with the water."}]}]},
                          body=body))
    assert recipe.ingredients == ["1 pound chicken thighs", "½ teaspoon salt", "2 cups oil for frying",
                                  "3 tablespoons soy sauce", "2 tablespoons water"]
    assert recipe.instructions == ["Pat the chicken dry.", "Sprinkle it with the salt.", "Fry the chicken in the oil.",
                                   "Mix the soy sauce with the water."]
    assert {"lines_from_html", "split_steps_from_html"} <= set(recipe.repairs)
    # the same JSON-LD beside a card that shows no more than it: kept as it is
    recipe = extract(page({"recipeIngredient": ["3 tablespoons soy sauce", "2 tablespoons water"], **STEPS},
                          body="<h2>Ingredients</h2><ul><li>3 tablespoons soy sauce</li><li>2 tablespoons water</li></ul>"))
    assert recipe.ingredients == ["3 tablespoons soy sauce", "2 tablespoons water"]


def test_a_last_json_ld_step_holding_two_of_the_cards_steps_is_split_as_the_card_lists_them():
    # Claudia's JSON-LD: "...para uma refeição completa Agora que..." as one step, two items in the list;
    # a card that merely splits more (1.5 times the steps or more) was the only case read before
    steps = ["Derreta a manteiga e refogue a cebola.", "Adicione a carne e tempere com sal.",
             "Acrescente a mostarda e o ketchup.", "Sirva com arroz branco", "Agora aproveite a receita!"]
    body = ("<h2>Ingredientes</h2><ul><li>500 g de alcatra</li><li>1 cebola</li><li>1 colher de mostarda</li></ul>"
            "<h2>Modo de preparo</h2><ul>" + "".join(f"<li>{x}</li>" for x in steps) + "</ul>")
    recipe = extract(page({"recipeIngredient": ["500 g de alcatra", "1 cebola", "1 colher de mostarda"],
                           "recipeInstructions": [*steps[:3], "Sirva com arroz branco Agora aproveite a receita!"]},
                          body=body))
    assert recipe.instructions == steps
    assert "split_steps_from_html" in recipe.repairs
    # the same four steps in the JSON-LD and the card: nothing to split
    same = extract(page({"recipeIngredient": ["500 g de alcatra", "1 cebola", "1 colher de mostarda"],
                         "recipeInstructions": steps}, body=body))
    assert same.instructions == steps and "split_steps_from_html" not in same.repairs


def test_hours_written_for_the_minutes_the_page_shows_are_minutes():
    body = "<p><span>PREP IN <span>10 MIN</span></span> <span>COOKS IN <span>30 MIN</span></span></p>"
    recipe = extract(page({"recipeIngredient": ["1 egg"], "prepTime": "PT10H", "cookTime": "PT30H",
                           "totalTime": "PT00H00M00S", **STEPS}, body=body))
    assert (recipe.prep_time, recipe.cook_time, recipe.total_time) == (10, 30, 40)
    assert "hours_for_minutes" in recipe.repairs


def test_whole_hours_the_page_does_not_contradict_stay_hours():
    body = "<p><span>Prep time: 20 min</span> <span>Cook time: 2 hours</span></p>"
    recipe = extract(page({"recipeIngredient": ["1 egg"], "prepTime": "PT20M", "cookTime": "PT2H", **STEPS},
                          body=body))
    assert (recipe.prep_time, recipe.cook_time) == (20, 120)
    assert "hours_for_minutes" not in recipe.repairs
    fixed, changed = rp.hours_for_minutes({"prep": 600, "cook": None, "total": 600}, {"prep": 10})
    assert changed and fixed == {"prep": 10, "cook": None, "total": 10}
