"""find_html_recipe: recipe cards and titled lists read from the page's HTML (issue 14, part 2).

Small hand-written pages, one per reader and per rule, in several languages; negative pages that
must never come out as a confident recipe; and, where ../shared is present, the real corpus and
the 53 real non-recipe pages.
"""

from __future__ import annotations

import json

import lxml.html
import pytest

from scraper.html_recipe import HtmlRecipe, find_html_recipe

from tests.conftest import CORPUS, SHARED, needs_corpus

URL = "https://blog.example/recipe"


def read(body: str, head: str = "") -> HtmlRecipe | None:
    doc = lxml.html.document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>")
    return find_html_recipe(doc, URL)


WPRM = """
<h1>Ricotta Cookies | My Blog</h1>
<div class="wprm-recipe-container"><div class="wprm-recipe wprm-recipe-template-x">
 <h2 class="wprm-recipe-name">Ricotta Cookies</h2>
 <span class="wprm-recipe-servings-with-unit"><span class="wprm-recipe-servings">24</span>
   <span class="wprm-recipe-servings-unit">cookies</span></span>
 <span class="wprm-recipe-details wprm-recipe-prep_time wprm-recipe-prep_time-minutes">15</span>
 <span class="wprm-recipe-details wprm-recipe-total_time wprm-recipe-total_time-hours">1</span>
 <span class="wprm-recipe-details wprm-recipe-total_time wprm-recipe-total_time-minutes">25</span>
 <div class="wprm-recipe-ingredients-container">
  <h3 class="wprm-recipe-header">Ingredients</h3>
  <div class="wprm-recipe-ingredient-group"><ul class="wprm-recipe-ingredients">
   <li class="wprm-recipe-ingredient"><span class="wprm-checkbox-container"><input type="checkbox">
     <label><span class="sr-only">&#x25a2; </span></label></span>
     <span class="wprm-recipe-ingredient-amount">½</span> <span class="wprm-recipe-ingredient-unit">cup</span>
     <span class="wprm-recipe-ingredient-name">butter</span>
     <span class="wprm-recipe-ingredient-notes">room temperature</span></li>
   <li class="wprm-recipe-ingredient"><span class="wprm-recipe-ingredient-amount">2</span>
     <span class="wprm-recipe-ingredient-name">eggs</span></li>
  </ul></div>
  <div class="wprm-recipe-ingredient-group"><h4 class="wprm-recipe-group-name">Glaze</h4>
   <ul class="wprm-recipe-ingredients"><li class="wprm-recipe-ingredient">
     <span class="wprm-recipe-ingredient-amount">2</span> <span class="wprm-recipe-ingredient-unit">cups</span>
     <span class="wprm-recipe-ingredient-name">powdered sugar</span></li></ul></div>
 </div>
 <div class="wprm-recipe-instructions-container"><h3 class="wprm-recipe-header">Instructions</h3>
  <div class="wprm-recipe-instruction-group"><ul>
   <li class="wprm-recipe-instruction"><div class="wprm-recipe-instruction-text">Cream the butter and eggs.</div></li>
   <li class="wprm-recipe-instruction"><div class="wprm-recipe-instruction-text">Bake for 12 minutes.</div></li>
  </ul></div>
  <div class="wprm-recipe-instruction-group"><h4 class="wprm-recipe-group-name">Glaze</h4><ul>
   <li class="wprm-recipe-instruction"><div class="wprm-recipe-instruction-text">Whisk the sugar with milk.</div></li>
  </ul></div>
 </div>
</div></div>
"""


def test_wprm_card_reads_amounts_groups_times_and_yields():
    found = read(WPRM)
    assert found is not None and found.reader == "wprm" and found.confident
    assert found.title == "Ricotta Cookies"
    assert found.ingredients == ["½ cup butter (room temperature)", "2 eggs", "2 cups powdered sugar"]
    assert found.ingredient_groups == [
        (None, ["½ cup butter (room temperature)", "2 eggs"]),
        ("Glaze", ["2 cups powdered sugar"]),
    ]
    # the group name stays a line of the steps, as a HowToSection name does in recipe-scrapers
    assert found.instructions == ["Cream the butter and eggs.", "Bake for 12 minutes.", "Glaze",
                                  "Whisk the sugar with milk."]
    assert (found.total_time, found.prep_time, found.cook_time) == (85, 15, None)
    assert found.yields == "24 cookies"


def test_reading_leaves_the_callers_tree_unchanged():
    doc = lxml.html.document_fromstring(f"<html><body>{WPRM}</body></html>")
    before = lxml.html.tostring(doc)
    find_html_recipe(doc, URL)
    assert lxml.html.tostring(doc) == before


def test_tasty_card_with_groups_and_a_times_label():
    found = read("""
    <div class="tasty-recipes"><h2 class="tasty-recipes-title">Lemon Bars</h2>
     <span class="tasty-recipes-yield">16 bars</span>
     <span class="tasty-recipes-total-time">1 hour 10 minutes</span>
     <div class="tasty-recipes-ingredients"><h3>Ingredients</h3>
       <h4>Crust</h4><ul><li><span class="tr-checkbox"><input type="checkbox"></span>1 cup flour</li>
       <li>1/2 cup butter</li></ul>
       <h4>Filling</h4><ul><li>3 lemons</li></ul></div>
     <div class="tasty-recipes-instructions"><h3>Instructions</h3>
       <ol><li>Press the crust into the pan.</li><li>Pour the filling and bake.</li></ol></div>
    </div>""")
    assert found is not None and found.reader == "tasty" and found.confident
    assert found.title == "Lemon Bars"
    assert found.ingredients == ["1 cup flour", "1/2 cup butter", "3 lemons"]
    assert found.ingredient_groups == [("Crust", ["1 cup flour", "1/2 cup butter"]),
                                       ("Filling", ["3 lemons"])]
    assert found.instructions == ["Press the crust into the pan.", "Pour the filling and bake."]
    assert found.total_time == 70 and found.yields == "16 bars"


def test_mediavine_create_card():
    found = read("""
    <div class="mv-create-card"><h2 class="mv-create-title">Pizzelle</h2>
     <div class="mv-create-ingredients"><h3>Ingredients</h3><ul><li>3 eggs</li><li>1 cup sugar</li></ul></div>
     <div class="mv-create-instructions"><h3>Instructions</h3><ol><li>Beat the eggs and sugar.</li></ol></div>
    </div>""")
    assert found is not None and (found.reader, found.confident) == ("mediavine", True)
    assert found.ingredients == ["3 eggs", "1 cup sugar"]
    assert found.instructions == ["Beat the eggs and sugar."]


def test_itemprop_leftovers_outside_a_recipe_item():
    found = read("""
    <h1>Tagliatelles carbonara</h1><h3 itemprop="recipeYield">Pour 2 personnes :</h3>
    <ul><li><span itemprop="ingredients">250 g de tagliatelles</span></li>
        <li itemprop="ingredients">1 oeuf</li><li itemprop="ingredients">poivre du moulin</li></ul>
    <div itemprop="recipeInstructions"><p><img src="x.jpg"></p>
      <p>1- Versez l'œuf dans un bol et battez-le.</p><p>2- Ajoutez le parmesan et mélangez bien.</p></div>
    """)
    assert found is not None and (found.reader, found.confident) == ("itemprop", True)
    assert found.ingredients == ["250 g de tagliatelles", "1 oeuf", "poivre du moulin"]
    assert found.instructions == ["1- Versez l'œuf dans un bol et battez-le.",
                                  "2- Ajoutez le parmesan et mélangez bien."]
    assert found.yields == "2 servings" and found.title == "Tagliatelles carbonara"


LANGUAGES = {
    "en": ("Ingredients", "Method"),
    "fr": ("Ingrédients", "Préparation"),
    "de": ("Zutaten für 4 Personen:", "Zubereitung"),
    "es": ("Ingredientes", "Elaboración"),
    "it": ("Ingredienti", "Procedimento"),
    "nl": ("Ingrediënten", "Bereidingswijze"),
}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_titled_lists_in_each_language(lang):
    ing_title, steps_title = LANGUAGES[lang]
    found = read(f"""
    <article><h1>Soupe du jour</h1><p>A story about the soup, long enough to be prose on a blog.</p>
     <h2>{ing_title}</h2><ul><li>500 g carrots</li><li>1 onion</li><li>2 tbsp butter</li></ul>
     <h2>{steps_title}</h2><ol><li>Peel and chop the carrots and the onion.</li>
       <li>Cook them in the butter for ten minutes, then blend.</li></ol>
     <h2>Comments</h2><ul><li>Great soup!</li></ul></article>""")
    assert found is not None and (found.reader, found.confident) == ("heading", True)
    assert found.title == "Soupe du jour"
    assert found.ingredients == ["500 g carrots", "1 onion", "2 tbsp butter"]
    assert found.instructions == ["Peel and chop the carrots and the onion.",
                                  "Cook them in the butter for ten minutes, then blend."]


def test_bold_paragraph_titles_and_paragraph_steps():
    found = read("""
    <div class="entry"><h1>Arroz cremoso</h1>
     <p><strong>Ingredientes</strong></p>
     <p>1-2 dientes de ajo<br>100 gr de cebolla<br>200 gr de arroz</p>
     <p><strong>Preparación</strong></p>
     <p>Ponga en el vaso el ajo y pique 2 seg/ vel. 7.</p>
     <p>Añada el arroz y programe 13 min/100°/giro a la izquierda.</p></div>""")
    assert found is not None and found.confident
    assert found.ingredients == ["1-2 dientes de ajo", "100 gr de cebolla", "200 gr de arroz"]
    assert found.instructions == ["Ponga en el vaso el ajo y pique 2 seg/ vel. 7.",
                                  "Añada el arroz y programe 13 min/100°/giro a la izquierda."]


def test_class_named_containers_without_titles():
    found = read("""
    <h1>Spinat-Pancakes</h1>
    <div class="news-recipes-indgredients"><ul><li>80 g Spinat</li><li>125 g Quark</li></ul></div>
    <div class="news-recipes-cookingsteps"><ol><li>Den Spinat auftauen lassen und gut ausdrücken.</li>
      <li>Mit Milch und Quark zu einer feinen Masse vermixen.</li></ol></div>""")
    assert found is not None and found.confident
    assert found.ingredients == ["80 g Spinat", "125 g Quark"]
    assert len(found.instructions) == 2


def test_sub_headings_become_groups_and_several_ingredient_titles_merge():
    found = read("""
    <h1>Mantu</h1>
    <h3>Ingredients for the filling</h3><ul><li>2 cups onions</li><li>1 pound ground beef</li></ul>
    <h3>Ingredients for the topping</h3><ul><li>1 cup lentils</li><li>2 tsp tomato paste</li></ul>
    <h3>Instructions</h3><ol><li>Cook the beef with the onions until browned.</li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients == ["2 cups onions", "1 pound ground beef", "1 cup lentils",
                                 "2 tsp tomato paste"]
    assert [name for name, _ in found.ingredient_groups] == [
        "Ingredients for the filling", "Ingredients for the topping"]


def test_unit_switches_hidden_alternatives_and_labels_are_not_lines():
    found = read("""
    <h1>Shortbread</h1><div><h3>Ingredients</h3>
     <div><select><option>Metric</option><option>Cups</option></select></div>
     <p>In your box:</p>
     <ul name="metric"><li>85 g butterscotch</li><li>50 g pecans</li></ul>
     <ul class="u-visuallyhidden"><li>3 oz butterscotch</li><li>1.8 oz pecans</li></ul></div>
    <h3>Step-by-step</h3><ol><li>Line two baking trays with baking paper.</li>
     <li>Break the butterscotch into small pieces.</li></ol>
    <p>RATE THIS RECIPE: great</p>""")
    assert found is not None and found.confident
    assert found.ingredients == ["85 g butterscotch", "50 g pecans"]
    assert found.instructions == ["Line two baking trays with baking paper.",
                                  "Break the butterscotch into small pieces."]


def test_yields_and_times_from_short_labels():
    found = read("""
    <h1>Beans and rice</h1><p>Serves: 4</p><p>Total: 75 min.</p>
    <h3>Ingredients</h3><ul><li>1 tbsp olive oil</li><li>1 red onion, diced</li></ul>
    <h3>Directions</h3><ol><li>Dice the onion and fry it in the oil for five minutes.</li></ol>""")
    assert found is not None and found.confident
    assert found.yields == "4 servings" and found.total_time == 75


# --- pages that are not recipes ---------------------------------------------------------------

NEGATIVES = {
    "recipe index": """
      <h1>Our recipes</h1>""" + "".join(f"""
      <article><h2><a href="/r{i}">Recipe {i}</a></h2><h4>Ingredients</h4>
       <ul><li>2 eggs</li><li>1 cup flour</li></ul><h4>Method</h4>
       <ol><li>Mix everything and bake for twenty minutes.</li></ol></article>""" for i in range(6)),
    "category page of links": """
      <h1>Dinner</h1><h2>Ingredients</h2><ul>""" + "".join(
        f'<li><a href="/c/{w}">{w}</a></li>' for w in ("Chicken", "Beef", "Pasta", "Rice")) + """
      </ul><h2>Method</h2><ul><li><a href="/m/bake">Baking in the oven, slowly and gently</a></li>
      <li><a href="/m/fry">Frying in a pan with a little butter</a></li></ul>""",
    "blog post mentioning a recipe": """
      <h1>My trip to Lyon</h1><p>We ate a wonderful quiche; the ingredients were simple and the
      preparation took all morning. I will post the recipe one day.</p>
      <h2>Preparation</h2><p>We booked the train three months ahead and packed light.</p>""",
    "cosmetics shop": """
      <h1>Hydrating face cream 50 ml</h1><p class="price">€24.90</p>
      <h3>Ingredients</h3><p>Aqua, Glycerin, Butyrospermum Parkii Butter, Parfum, Limonene</p>
      <h3>How to use</h3><p>Apply morning and evening.</p>""",
    "shopping list then chatter": """
      <h1>My week in the kitchen</h1><h2>Ingredients</h2>
      <ul><li>2 kg potatoes</li><li>500 g butter</li><li>1 l milk</li><li>6 eggs</li></ul>
      <p>That was all I bought on Monday, and the rest of the week was a blur of school runs,
      meetings and a broken boiler that the plumber only fixed on Friday evening.</p>""",
    "food shop's product page": """
      <h1>Organic tomato soup 500 g</h1><p class="price">€2.99</p><button>Add to cart</button>
      <h2>Ingredients</h2><ul><li>Tomatoes 85%</li><li>Water</li><li>Onion 3%</li><li>Salt</li></ul>
      <h2>Preparation</h2><ol><li>Pour the soup into a saucepan.</li><li>Heat gently for 3 minutes, stirring.</li></ol>""",
    "news article": """
      <h1>Council approves new budget</h1><p>The council voted on Tuesday.</p>
      <h2>Steps</h2><p>The next steps are a public hearing and a second vote in May.</p>""",
    "a recipe heading over a story": """
      <h1>Grandma's kitchen</h1><h2>Recipe for happiness</h2>
      <p>Take 2 cups of patience and 1 tablespoon of humour, my grandmother used to say.</p>
      <ul><li>Family</li><li>Friends</li><li>Sunday lunches</li></ul>
      <p>She never wrote any of it down, and the family still argues about her apple pie.</p>""",
    "french sports news with a 'La préparation' title": """
      <h1>Les Bleus avant le match</h1><h2>Les ingrédients du succès</h2>
      <ul><li>Mbappé</li><li>Griezmann</li><li>Maignan</li></ul>
      <h2>La préparation</h2><p>L'équipe s'entraîne à Clairefontaine depuis lundi, sous la pluie.</p>""",
}


@pytest.mark.parametrize("case", sorted(NEGATIVES))
def test_pages_that_are_not_recipes_are_never_confident(case):
    found = read(NEGATIVES[case])
    assert found is None or not found.confident


def test_a_recipe_line_with_a_share_keeps_its_amount():
    # "à 70%", "2% milk": a share beside an amount; only a list of shares is a label's composition
    found = read("""<h1>Fondant</h1><h2>Ingrédients</h2><ul><li>200 g de chocolat noir à 70%</li>
      <li>1 cup 2% milk</li><li>3 oeufs</li><li>Sel</li></ul><h2>Préparation</h2><ol>
      <li>Faire fondre le chocolat avec le lait.</li><li>Ajouter les oeufs et cuire 20 minutes.</li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients[:2] == ["200 g de chocolat noir à 70%", "1 cup 2% milk"]


def test_hostile_page_is_bounded_and_not_confident():
    items = "".join(f"<li>{i} g flour</li>" for i in range(20_000))
    found = read(f"<h2>Ingredients</h2><ul>{items}</ul><h2>Method</h2><ol><li>{'stir ' * 5000}</li></ol>")
    assert found is not None and not found.confident
    assert len(found.ingredients) <= 150 and all(len(s) <= 2000 for s in found.instructions)


def test_nested_section_boxes_over_thousands_of_items_are_read_within_a_page_budget(monkeypatch):
    # 500 nested <div class="instructions"> (lxml keeps ~256) before 5,000 items: each box was a
    # section read for up to 3,000 nodes, 8 million text nodes walked (8 s of CPU); the page
    # now has one budget for all its sections. Counted in nodes walked, not in seconds.
    import scraper._html as html_text

    walked = []
    run_together = html_text._run_together
    monkeypatch.setattr(html_text, "_run_together", lambda node: walked.append(1) or run_together(node))
    read("<div>" + "<div class='instructions'>" * 500 + "x" + "</div>" * 500 + "<li>1 egg</li>" * 5000 + "</div>")
    assert len(walked) < 1_500_000
    walked.clear()
    read(WPRM)  # a real card walks a few hundred
    assert 0 < len(walked) < 5_000


def test_page_without_recipe_parts_gives_none():
    assert read("<h1>Hello</h1><p>Nothing to cook here.</p>") is None


# --- the shared corpus ------------------------------------------------------------------------

def _score_tools():
    import importlib.util

    spec = importlib.util.spec_from_file_location("score", SHARED / "tools" / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_corpus
def test_no_negative_page_gives_a_confident_recipe():
    folder = SHARED / "negatives"
    rows = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines() if line]
    confident = []
    for row in rows:
        doc = lxml.html.document_fromstring((folder / row["html"]).read_bytes())
        found = find_html_recipe(doc, row["url"])
        if found is not None and found.confident:
            confident.append(row["id"])
    assert len(rows) == 53 and confident == []


def _no_schema_pages_read_right() -> tuple[int, int]:
    """(right, targets) over the pages recipe-scrapers' wild mode finds no schema on.

    Wild mode (`scrape_html(html, org_url=<unsupported host>, supported_only=False)`) raises
    NoSchemaFoundInWildMode exactly when `SchemaOrg(html).data` is empty; asking SchemaOrg alone
    skips the BeautifulSoup parse scrape_html also does, which is ~8x the cost over the corpus.
    """
    import warnings

    from recipe_scrapers._schemaorg import SchemaOrg

    score = _score_tools()
    rows = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines() if line]
    targets = right = 0
    for row in rows:
        html = (CORPUS / row["html"]).read_text(encoding="utf-8", errors="replace")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if SchemaOrg(html).data:
                continue
        targets += 1
        expected = score.expected_view(json.loads((CORPUS / row["expected"]).read_text()))
        found = find_html_recipe(lxml.html.document_fromstring(html.encode()), row["url"])
        if found is not None and found.confident and all(
                score.field_ok(f, expected.get(f), getattr(found, f), row, {})
                for f in ("ingredients", "instructions")):
            right += 1
    return right, targets


@needs_corpus
@pytest.mark.corpus
def test_half_of_the_no_schema_pages_read_right():
    # issue 14 goal: at least half without an LLM; 14 of 19 read right today (amazingoriental's
    # own scraper keeps the "1 " each step's number element shows; ours drops it)
    right, targets = _no_schema_pages_read_right()
    assert targets == 19 and right >= 14 and right * 2 >= targets, f"{right}/{targets} no-schema pages read right"


def test_a_serves_label_closing_the_last_step_is_the_yield():
    found = read("""
    <h1>Minestrone</h1><h2>INGREDIENTS</h2><ul><li>1 leek, sliced</li><li>6 cups stock</li></ul>
    <h2>METHOD</h2><ol><li>Cook the leek in the oil for five minutes, then add the stock.</li>
    <li>To freeze, allow to cool and divide between containers. <b>Serves 4</b></li></ol>""")
    assert found is not None and found.confident
    assert found.instructions[-1] == "To freeze, allow to cool and divide between containers."
    assert found.yields == "4 servings"


def test_definition_list_pairs_term_and_amount():
    found = read("""
    <h1>Brittle</h1><dl class="ingredients"><dt>brown sugar</dt><dd>45 g</dd>
    <dt>sesame seeds</dt><dd>35 g</dd></dl>
    <ul class="instructions"><li>Melt the sugar in a pot over medium heat, stirring.</li></ul>""")
    assert found is not None and found.confident
    assert found.ingredients == ["brown sugar: 45 g", "sesame seeds: 35 g"]


def test_a_lowercase_h1_takes_the_casing_of_the_page_title():
    # The markup says "green minestrone soup" and CSS capitalises it; og:title spells it.
    body = """<h1>green minestrone soup</h1><h2>Ingredients</h2><ul><li>1 leek, sliced</li>
    <li>6 cups stock</li></ul><h2>Method</h2><ol><li>Cook the leek in the oil for five minutes.</li></ol>"""
    found = read(body, head="<meta property='og:title' content='Green Minestrone Soup | Donna Hay'>")
    assert found is not None and found.title == "Green Minestrone Soup"
    other = read(body, head="<meta property='og:title' content='Baba Ghanoush | Donna Hay'>")
    assert other is not None and other.title == "green minestrone soup"  # another dish: kept as is


def test_step_numbers_typed_into_the_list_are_dropped():
    body = """<h1>Donut glaze</h1><h2>Ingredients</h2><ul><li>160 g water</li><li>1 kg icing sugar</li></ul>
    <h2>Method</h2><ol><li>1. Place all ingredients into a mixing bowl.</li>
    <li>2. Mix on low speed until lump free.</li><li>3. Apply to donuts.</li></ol>"""
    found = read(body)
    assert found is not None and found.instructions == [
        "Place all ingredients into a mixing bowl.", "Mix on low speed until lump free.", "Apply to donuts."]
    kept = read(body.replace("1. Place", "3 eggs go in a mixing bowl; place"))
    assert kept is not None and kept.instructions[1] == "2. Mix on low speed until lump free."


def test_a_screen_reader_only_h1_is_not_the_title():
    found = read("""<div role="navigation"><h1 class="dre-heading__sr-only">Navigation</h1></div>
    <h1><span>Millionaires' Shortbread</span></h1><h2>Ingredienser</h2><ul><li>130 g mel</li>
    <li>50 g farin</li></ul><h2>Fremgangsmåde</h2><ol><li>Kom mel og farin i en skål og rør det sammen.</li></ol>""")
    assert found is not None and found.title == "Millionaires' Shortbread"


def test_steps_written_after_a_titled_list_without_a_title_of_their_own():
    found = read("""<h1>Orange juice carrots</h1><h2>Ingredients</h2>
      <ul><li>3 large carrots</li><li>250 ml orange juice</li><li>1/4 tsp salt</li><li>1 tbsp soy sauce</li></ul>
      <p>Peel the carrots and cut them into thick rounds, then put them in a pan.</p>
      <p>Cover with the orange juice, add the salt and boil for 10 minutes; stir in the soy sauce.</p>
      <h2>Comments</h2><p>Lovely with rice, and the carrots keep for days.</p>""")
    assert found is not None and found.confident and found.reader == "heading"
    assert found.instructions == [
        "Peel the carrots and cut them into thick rounds, then put them in a pan.",
        "Cover with the orange juice, add the salt and boil for 10 minutes; stir in the soy sauce."]


def test_a_card_group_heading_with_no_step_after_it_is_not_a_step():
    """WPRM prints a note as an empty instruction group; its own JSON-LD has no such section."""
    body = WPRM.replace(
        '<div class="wprm-recipe-instruction-group"><ul>',
        '<div class="wprm-recipe-instruction-group"><h4 class="wprm-recipe-group-name">'
        'Watch how it is made in the video up there</h4><ul></ul></div>'
        '<div class="wprm-recipe-instruction-group"><h4 class="wprm-recipe-group-name">Cookies</h4><ul>', 1)
    found = read(body)
    assert found is not None and found.confident
    assert found.instructions == ["Cookies", "Cream the butter and eggs.", "Bake for 12 minutes.",
                                  "Glaze", "Whisk the sugar with milk."]
    assert read(WPRM).instructions[0] == "Cream the butter and eggs."  # no heading: none made up


@pytest.mark.parametrize(("ing_title", "steps_title"), [
    ("Lista de Ingredientes", "Como fazer"),
    ("Ingredienti", "Come preparare la torta di mele"),
    ("Ingrediënten", "Zo maak je het"),
    ("Les ingrédients", "La préparation"),
    ("Ingredientes", "Cómo hacer la receta"),
    # the "what you need" ways to title the list
    ("Ce qu'il vous faut", "Préparation de la recette"),
    ("Das brauchst du", "So wird's gemacht"),
    ("Lo que necesitas", "Cómo hacerlo"),
    ("Occorrente", "Preparazione della ricetta"),
    ("Wat heb je nodig", "Zo maak je het"),
    ("Boodschappen", "Bereiding"),
])
def test_more_ways_to_title_the_sections(ing_title, steps_title):
    found = read(f"""<h1>Torta</h1><h2>{ing_title}</h2><ul><li>3 mele</li><li>200 g farina</li>
      <li>2 uova</li></ul><h2>{steps_title}</h2><ol><li>Sbucciate le mele e tagliatele a fette.</li>
      <li>Mescolate la farina con le uova e versate sulle mele.</li></ol>""")
    assert found is not None and (found.reader, found.confident) == ("heading", True)
    assert found.ingredients == ["3 mele", "200 g farina", "2 uova"]
    assert len(found.instructions) == 2


def test_a_sign_off_after_the_steps_is_no_step_and_lets_their_numbers_go():
    # "<p>1. Mix…</p><p>2. Bake…</p><p>Enjoy!</p>": the sign-off is no step; without it the
    # steps are a run numbered 1, 2 whose numbers go (a sign-off in the run kept them).
    for sign_off in ("Enjoy!", "Bon appétit !", "Guten Appetit! 😋", "Buon appetito"):
        found = read(f"""<h1>Pizza</h1><p><strong>Ingredients:</strong></p><ul><li>2 pizza crusts</li>
          <li>200 g mozzarella</li><li>4 tomatoes</li></ul><p><strong>Instructions:</strong></p>
          <p>1. Brush each crust with the tomato marinade.</p><p>2. Bake until the cheese is golden.</p>
          <p>{sign_off}</p>""")
        assert found is not None and found.confident, sign_off
        assert found.instructions == ["Brush each crust with the tomato marinade.",
                                      "Bake until the cheese is golden."], sign_off


def test_a_group_heading_typed_as_a_line_of_the_list_names_a_group():
    # the JSON-LD's "For the sauce:" line is a group's name, not an ingredient; so is the HTML's
    found = read("""<h1>Panna cotta</h1><h2>Ingredients</h2><ul><li>For the panna cotta:</li>
      <li>1 can coconut milk</li><li>¼ cup sugar</li><li>For the strawberry sauce:</li>
      <li>1 cup frozen strawberries</li><li>¼ cup water</li></ul><h2>Instructions</h2><ol>
      <li>Warm the milk with the sugar.</li><li>Simmer the strawberries in the water.</li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients == ["1 can coconut milk", "¼ cup sugar", "1 cup frozen strawberries", "¼ cup water"]
    assert [name for name, _ in found.ingredient_groups][-1] == "For the strawberry sauce"


@pytest.mark.parametrize(("facts", "yields", "total"), [
    # one line of facts, the total's label one compound word ("Gesamtzeit", not "Gesamt" + "zeit")
    ("<p>Für 5 Personen | Gesamtzeit: 1 Std. 27 Min.</p>", "5 servings", 87),
    ("<p>Porzioni: 5 | Tempo totale: 1 ora 2 min</p>", "5 servings", 62),  # not "5 items"; "ora" is an hour
    ("<p>Para 5 personas | Tiempo total: 2 horas</p>", "5 servings", 120),
])
def test_a_facts_line_in_each_language_gives_yields_and_total(facts, yields, total):
    found = read(f"""<h1>Soup</h1>{facts}<h2>Ingredients</h2><ul><li>500 g carrots</li><li>1 onion</li>
      <li>2 tbsp butter</li></ul><h2>Method</h2><ol><li>Peel and chop the carrots and the onion.</li>
      <li>Cook them in the butter for ten minutes, then blend.</li></ol>""")
    assert found is not None and (found.yields, found.total_time) == (yields, total)


@pytest.mark.parametrize(("facts", "yields", "total"), [
    ("<li>Für 5 Personen</li><li>Gesamtzeit: 27 Minuten</li>", "5 servings", 27),
    ("<li>Per 5 persone</li><li>Tempo totale: 2 ore</li>", "5 servings", 120),
    ("<li>Voor 5 personen</li><li>Totale tijd: 45 minuten</li>", "5 servings", 45),
    ("<li>For 2 hours, stirring</li>", None, None),  # a preposition and a number, no count of people
])
def test_facts_listed_one_per_line_give_yields_and_total(facts, yields, total):
    from scraper.html_details import html_total_time, html_yields

    doc = lxml.html.document_fromstring(f"<html><body><h1>Soup</h1><ul class='meta'>{facts}</ul></body></html>")
    assert (html_yields(doc), html_total_time(doc)) == (yields, total)


def test_an_ingredient_line_is_no_yield():
    # lines set as <p>s are short texts near the sections, where the yield is looked for:
    # "pepper (or 2 piman" is no "per 2", "for coating (1/3 cup)" no "for 1"
    found = read("""<h1>Curry</h1><h2>Ingredients</h2><p>600 ml water</p><p>4 chicken drumsticks</p>
      <p>1 green bell pepper (or 2-3 piman, cut into pieces)</p><p>Sanding sugar for coating (1/3-1/2 cup)</p>
      <h2>Instructions</h2><p>Simmer the chicken in the water for 30 minutes.</p><p>Add the pepper and serve.</p>""")
    assert found is not None and found.confident
    assert found.yields is None
    counted = read("""<h1>Curry</h1><p>Für ca. 4 Personen</p><h2>Zutaten</h2><ul><li>600 ml Wasser</li>
      <li>4 Hähnchenschenkel</li></ul><h2>Zubereitung</h2><ol><li>Das Hähnchen 30 Minuten köcheln.</li>
      <li>Die Paprika zugeben und servieren.</li></ol>""")
    assert counted is not None and counted.yields == "4 servings"


HRECIPE = """<div class="hrecipe"><h2 class="fn">Tarte aux pommes</h2><p>Pour <span class="yield">6 personnes</span>,
  <span class="duration"><span class="value-title" title="PT1H10M"></span>1 h 10</span></p>
  <ul><li class="ingredient">4 pommes</li><li class="ingredient"><span class="value">200</span> g de farine</li>
  <li class="ingredient">100 g de beurre</li></ul><div class="instructions"><ol>
  <li>Éplucher les pommes et les couper en fines lamelles.</li><li>Étaler la pâte, garnir et cuire 40 minutes.</li>
  </ol></div></div>"""


@pytest.mark.parametrize("mf2", [False, True], ids=["hrecipe", "h-recipe"])
def test_a_recipe_marked_with_the_hrecipe_microformat_needs_no_headings(mf2):
    page = HRECIPE
    if mf2:
        for old, new in (("hrecipe", "h-recipe"), ('"fn"', '"p-name"'), ('"yield"', '"p-yield"'),
                         ('"duration"', '"dt-duration"'), ('"ingredient"', '"p-ingredient"'),
                         ('"instructions"', '"e-instructions"')):
            page = page.replace(old, new)
    found = read("<p>My little blog</p>" + page)
    assert found is not None and found.confident and found.reader == ("h-recipe" if mf2 else "hrecipe")
    assert (found.title, found.yields, found.total_time) == ("Tarte aux pommes", "6 servings", 70)
    assert found.ingredients == ["4 pommes", "200 g de farine", "100 g de beurre"]
    assert found.instructions == ["Éplucher les pommes et les couper en fines lamelles.",
                                  "Étaler la pâte, garnir et cuire 40 minutes."]


def test_hrecipe_classes_where_sites_misplace_them():
    # grouprecipes: the class on the food's link, some lines unmarked, a shopping-list link in
    # each; afghankitchenrecipes: one `instructions` per step beside a wrapper that also holds
    # the ingredients, and the class on a word of the page's byline
    found = read("""<div class="hrecipe"><h1 class="fn">Chicken bake</h1>
      <p>Recipe type: mains. Ingredients: <span class="ingredient">chicken</span>, carrots</p>
      <div class="about instructions"><div class="ingredients"><ul>
        <li>3 <a href="#" class="ingredient">chicken breasts</a>, diced <a class="to_shopping_list" href="#">shopping list</a></li>
        <li>salt, to taste</li><li>2 cups <a href="#" class="ingredient">baby carrots</a></li></ul></div>
      <p class="instructions">Place the chicken in the slow cooker and season it.</p>
      <p class="instructions">Add the carrots and cook on high for 3 hours.</p></div></div>""")
    assert found is not None and found.confident and found.reader == "hrecipe"
    assert found.ingredients == ["3 chicken breasts, diced", "salt, to taste", "2 cups baby carrots"]
    assert found.instructions == ["Place the chicken in the slow cooker and season it.",
                                  "Add the carrots and cook on high for 3 hours."]
    # no container: the marked lines of the list, not the byline's marked word
    bare = read("""<div class="hrecipe"><h1 class="fn">Chicken bake</h1>
      <p>Ingredients: <span class="ingredient">chicken</span>, carrots</p><ul>
      <li class="ingredient">3 chicken breasts</li><li class="ingredient">2 cups baby carrots</li>
      <li class="ingredient">1 tsp salt</li><li class="ingredient">200 ml stock</li></ul>
      <p class="instructions">Place the chicken in the slow cooker and season it.</p>
      <p class="instructions">Add the carrots and cook on high for 3 hours.</p></div>""")
    assert bare is not None and bare.ingredients == ["3 chicken breasts", "2 cups baby carrots", "1 tsp salt", "200 ml stock"]


def test_a_step_heading_read_into_each_step_is_dropped():
    found = read("""<h1>Coxa de frango</h1><h2>Ingredientes</h2><ul><li>500 g de coxas de frango</li>
      <li>1 colher de mostarda</li></ul><h2>Modo de preparo</h2>
      <ol><li><h3>Passo 1</h3> <p>Tempere as coxas de frango com a mostarda.</p></li>
      <li><h3>Passo 2</h3> <p>Leve ao forno por 40 minutos.</p></li></ol>""")
    assert found is not None and found.confident
    assert found.instructions == ["Tempere as coxas de frango com a mostarda.", "Leve ao forno por 40 minutos."]


def test_a_servings_stepper_inside_the_list_is_not_an_ingredient():
    found = read("""<h1>Coxa de frango</h1><h2>Lista de Ingredientes</h2>
      <div><span>Quantidade de porções</span><button>-</button><input type="number" value="5">
      <button>+</button></div>
      <ul><li><label><input type="checkbox"> Sal</label></li><li>500 g de coxas de frango</li></ul>
      <h2>Modo de preparo</h2><ol><li>Tempere as coxas de frango com o sal e asse.</li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients == ["Sal", "500 g de coxas de frango"]  # the checkbox line stays


def test_each_time_label_reads_its_own_value():
    found = read("""<h1>Chicken</h1><p>Serves 2 | Prep 10 min | Cook 25 min</p>
      <h3>Ingredients</h3><ul><li>2 chicken thighs</li><li>1 tbsp oil</li></ul>
      <h3>Method</h3><ol><li>Fry the chicken thighs in the oil until golden.</li></ol>""")
    assert found is not None and found.confident
    assert (found.prep_time, found.cook_time, found.total_time) == (10, 25, None)


def test_list_items_and_plain_paragraphs_that_title_ingredient_groups():
    found = read("""<h1>Meatball soup</h1><h3>Ingredients</h3><ul>
      <li class="ingredient-section">For the meatballs</li><li>1 pound ground beef</li><li>1 egg</li>
      <li class="ingredient-section">For the soup</li><li>6 cups chicken broth</li></ul>
      <div><p>Coating</p><ul><li>1/3 cup sparkling sugar</li></ul></div>
      <h3>Directions</h3><ol><li>Mix the beef with the egg and roll into small balls.</li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients == ["1 pound ground beef", "1 egg", "6 cups chicken broth", "1/3 cup sparkling sugar"]
    assert [name for name, _ in found.ingredient_groups] == ["For the meatballs", "For the soup", "Coating"]
    kept = read("""<h1>Salad</h1><h3>Ingredients</h3><div><p>1 lemon</p><ul><li>2 tomatoes</li>
      <li class="ingredient">Salt</li></ul></div>
      <h3>Directions</h3><ol><li>Slice the tomatoes and squeeze the lemon over them.</li></ol>""")
    assert kept is not None and kept.ingredients == ["1 lemon", "2 tomatoes", "Salt"]


def test_a_servings_count_heading_the_ingredient_list_is_the_yield():
    found = read("""<h1>Kylling</h1><h3>Ingredienser</h3><ul><li>4 porsjoner</li><li>1,3 kg hel kylling</li>
      <li>3 ss flytende honning</li></ul><h3>Slik gjør du</h3><ol><li>Legg kyllingen i en form og
      drypp honning over den.</li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients == ["1,3 kg hel kylling", "3 ss flytende honning"]
    assert found.yields == "4 servings"
    rice = read("""<h1>Rice</h1><h3>Ingredients</h3><ul><li>4 portions of rice</li><li>1 onion</li></ul>
      <h3>Method</h3><ol><li>Cook the rice with the chopped onion.</li></ol>""")
    assert rice is not None and rice.ingredients == ["4 portions of rice", "1 onion"]


def test_a_definition_list_with_amounts_as_terms_in_div_wrappers():
    found = read("""<h1>Boeuf bourguignon</h1><details open><summary><h2>Ingrediënten</h2></summary>
      <div><dl><div><dt>40 gr</dt><dd>ontbijtspek</dd></div><div><dt>250 gr</dt><dd>runderriblappen</dd></div>
      <div><dt>1</dt><dd>ui</dd></div></dl></div></details>
      <h2>Bereiding</h2><ol><li>Bak de plakken ontbijtspek bruin en licht krokant in een droge pan.</li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients == ["40 gr ontbijtspek", "250 gr runderriblappen", "1 ui"]


def test_a_calories_widget_inside_the_ingredients_is_not_a_line():
    found = read("""<h1>Bavarese</h1><div class="gz-ingredients"><h2>Ingredienti</h2>
      <div class="gz-calories-portion-top"><span>312,8</span><div>Calorie per porzione</div></div>
      <ul><li>Latte intero 200 ml</li><li>Tuorli 3</li><li>Zucchero 105 g</li></ul></div>
      <h2>Preparazione</h2><ol><li>Scaldate il latte con la vaniglia e versatelo sui tuorli.</li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients == ["Latte intero 200 ml", "Tuorli 3", "Zucchero 105 g"]


def test_section_headers_and_an_article_with_an_ad_class_are_read():
    """HTML5 titles a section in its own <header>; only the page's <header> is site chrome."""
    found = read("""<header><h2>Ingredients of the month</h2><ul><li>1 newsletter</li><li>2 ads</li></ul></header>
      <article class="article right-rail sc-ad-container"><h1>Bell Pepper Sandwich</h1>
      <section class="section--ingredients"><header><h2>Ingredients</h2></header>
       <ul><li>1 medium bell pepper</li><li>2 ounces sliced ham</li></ul></section>
      <section class="section--instructions"><header><h2>Steps to Make It</h2></header>
       <ol><li>Cut the top off the pepper and scoop out the seeds.</li><li>Fill it with the ham.</li></ol>
      </section></article>""")
    assert found is not None and found.confident
    assert found.ingredients == ["1 medium bell pepper", "2 ounces sliced ham"]
    assert found.instructions[0] == "Cut the top off the pepper and scoop out the seeds."


def test_a_recipe_heading_over_an_untitled_list_and_paragraph_steps():
    """Older blogs write "Recipe: X", the ingredients list, then the method as paragraphs."""
    found = read("""<h1>Bento Filler: Orange Juice Carrots</h1><p>Yet another carrot recipe, I know.</p>
      <h3>Recipe: Orange Juice Carrots</h3>
      <ul><li>The thick end of 3 large carrots</li><li>Orange juice (freshly squeezed is best)</li>
      <li>1/4 tsp. salt</li><li>1 Tbs. soy sauce</li></ul>
      <p>Peel the carrots and cut them into fairly thick rounds.</p>
      <p>Put the carrots in a pan with enough orange juice to cover, add the salt and boil.</p>
      <h3>Variation</h3><p>Omit the soy sauce and add a little stock powder instead.</p>""")
    assert found is not None and found.confident
    assert found.title == "Bento Filler: Orange Juice Carrots"
    assert found.ingredients == ["The thick end of 3 large carrots", "Orange juice (freshly squeezed is best)",
                                 "1/4 tsp. salt", "1 Tbs. soy sauce"]
    assert found.instructions == ["Peel the carrots and cut them into fairly thick rounds.",
                                  "Put the carrots in a pan with enough orange juice to cover, add the salt and boil."]


def test_a_recipe_heading_needs_a_list_right_after_it():
    """A paragraph first under "Recipe for ...": a story's lines and list, not an ingredient list."""
    found = read("""<h1>Budget week</h1><h2>Recipe for disaster</h2>
      <p>3 ministers resigned.</p><ul><li>2 bills failed</li><li>1 vote was delayed</li></ul>
      <p>The ministers who resigned said the bills had been rushed through the chamber in May.</p>""")
    assert found is None or not found.confident


def test_components_each_with_its_ingredients_then_its_steps_are_one_recipe():
    """Ingredients, steps, ingredients, steps: one recipe in parts, its lists as titled groups."""
    found = read("""<main><h1>okonomiyaki</h1>
      <dl class='ingredients'><h3>okonomiyaki</h3><dt><a href='n.html'><b>nagaimo</b></a><u>160 g, grated</u></dt>
       <dt><a href='c.html'><b>chickpea flour</b></a><u>85 g</u></dt></dl>
      <ul class='instructions'><li>Grate the nagaimo over a bowl and mix it with the flour.</li>
       <li>Cook the batter in a hot pan for five minutes on each side.</li></ul>
      <dl class='ingredients'><h3>sauce</h3><dt><a href='s.html'><b>soy sauce</b></a><u>60 ml</u></dt>
       <dt><a href='m.html'><b>mirin</b></a><u>60 ml</u></dt></dl>
      <ul class='instructions'><li>Mix the soy sauce and the mirin in a small bowl, then heat until thick.</li></ul>
      </main>""")
    assert found is not None and found.confident
    assert found.ingredients == ["nagaimo: 160 g, grated", "chickpea flour: 85 g", "soy sauce: 60 ml", "mirin: 60 ml"]
    assert found.ingredient_groups == [("okonomiyaki", ["nagaimo: 160 g, grated", "chickpea flour: 85 g"]),
                                       ("sauce", ["soy sauce: 60 ml", "mirin: 60 ml"])]
    assert len(found.instructions) == 3
    assert found.instructions[-1].startswith("Mix the soy sauce")


def test_components_with_bare_titles_stay_apart():
    """Without a group title of its own, a second ingredients list is another recipe's."""
    found = read("""<h1>Two soups</h1><h2>Ingredients</h2><ul><li>2 leeks</li><li>1 l stock</li></ul>
      <h2>Method</h2><ol><li>Simmer the leeks in the stock for twenty minutes.</li></ol>
      <h2>Ingredients</h2><ul><li>4 carrots</li><li>1 l water</li><li>1 onion</li></ul>
      <h2>Method</h2><ol><li>Boil the carrots and the onion in the water until soft.</li></ol>""")
    assert found is not None
    assert found.ingredients == ["4 carrots", "1 l water", "1 onion"]


def test_a_servings_heading_over_the_list_then_step_group_headings():
    """"Pour 1 grand bol :" heads the list (and is the yield); the method follows under headings of its own."""
    found = read("""<article><h1>Porridge à l'orange</h1><p>Un bol pour bien commencer la journée.</p>
      <h3>Pour 1 grand bol :</h3><p><strong>Base porridge</strong></p>
      <ul><li>50 g de flocons d'avoine</li><li>25 cl de lait</li></ul>
      <p><strong>Garniture</strong></p><ul><li>1 orange sanguine</li><li>1/4 de grenade</li></ul>
      <h3>Faites cuire le porridge</h3><p>Versez les flocons d'avoine et le lait dans une casserole et chauffez.</p>
      <h3>Préparez la garniture</h3><p>Pelez l'orange à vif et récupérez les graines de grenade.</p>
      <h2>Vous aimerez aussi</h2><p>Notre granola maison, avec des flocons d'avoine et du lait.</p></article>
      <div class="sidebar"><p>Abonnez-vous à la newsletter pour recevoir nos recettes.</p></div>""")
    assert found is not None and found.confident
    assert found.ingredient_groups == [("Base porridge", ["50 g de flocons d'avoine", "25 cl de lait"]),
                                       ("Garniture", ["1 orange sanguine", "1/4 de grenade"])]
    assert found.instructions == ["Versez les flocons d'avoine et le lait dans une casserole et chauffez.",
                                  "Pelez l'orange à vif et récupérez les graines de grenade."]
    assert found.yields == "1 serving"


def test_untitled_steps_end_with_their_container():
    """Paragraphs after the list are the method; the page's chrome after the post is not."""
    found = read("""<div class="post"><h1>Carbonara</h1><h3>Pour 2 personnes :</h3>
      <ul><li>250 g de tagliatelles</li><li>100 g de lardons</li><li>1 oeuf</li></ul>
      <div><p>1- Battez l'oeuf dans un bol avec le parmesan.</p><p>2- Faites cuire les tagliatelles et dorer les lardons.</p></div>
      </div><div><p>Article suivant</p><p>Qui suis-je ? Je partage sur ce blog mes recettes, mes découvertes et mes essais.</p></div>""")
    assert found is not None and found.confident
    assert found.instructions == ["Battez l'oeuf dans un bol avec le parmesan.",
                                  "Faites cuire les tagliatelles et dorer les lardons."]


def test_a_table_row_with_one_header_cell_titles_a_group_and_product_links_are_lines():
    """A supermarket's recipe: products linked from each line, a <th> row over each part."""
    rows = "".join(f'<tr><td>{q}</td><td><a href="/p/{i}">{name}</a></td></tr>' for i, (q, name) in enumerate(
        [("150 ml", "MY VAY Mandeldrink"), ("100 g", "BACK FAMILY Weizenmehl Type 405"),
         ("1 EL", "BELLASAN Rapsöl")]))
    found = read(f"""<h1>Kaiserschmarrn</h1><label>Zutaten</label><table>{rows}
      <tr><th colspan="2">Zimt-Äpfel</th></tr><tr><td>1</td><td>großer Apfel</td></tr>
      <tr><td>½ TL</td><td><a href="/p/9">LE GUSTO Zimt</a></td></tr></table>
      <label>Zubereitung</label><div><p>Mandeldrink, Mehl und Öl verrühren und 10 Minuten ruhen lassen.</p></div>""")
    assert found is not None and found.confident
    assert found.ingredients == ["150 ml MY VAY Mandeldrink", "100 g BACK FAMILY Weizenmehl Type 405",
                                 "1 EL BELLASAN Rapsöl", "1 großer Apfel", "½ TL LE GUSTO Zimt"]
    assert found.ingredient_groups[-1] == ("Zimt-Äpfel", ["1 großer Apfel", "½ TL LE GUSTO Zimt"])


def test_wordpress_post_classes_naming_ingredients_are_no_container():
    """post_class() writes "ingredients-tequila" on the whole <article>: the list is still its own."""
    found = read("""<article class="post-2129 recipe type-recipe status-publish ingredients-tequila ingredients-limejuice">
      <h1>Margarita</h1><ul class="rp4wp-posts-list"><li><a href="/r/1">Frozen Margarita</a></li><li><a href="/r/2">Cantarito</a></li></ul>
      <h3>Ingredienser</h3><ul><li>4 cl <a href="/i/t">Tequila</a></li><li>2 cl <a href="/i/l">Limejuice</a></li></ul>
      <h3>Gör så här</h3><ol><li>Blanda alla ingredienser i en shaker med is och skaka.</li></ol></article>""")
    assert found is not None and found.confident
    assert found.ingredients == ["4 cl Tequila", "2 cl Limejuice"]


def test_a_bootstrap_list_under_an_ingr_box_with_a_yield_title_line():
    """`class="list-group-item"` styles every item (none is a group title); "Ingredienti per 6" is the yield."""
    items = "".join(f'<li class="list-group-item"><label><div><input type="checkbox"></div><div>{x}</div></label></li>'
                    for x in ("2 di <a href='/i/uova'>uova</a>", "100 gr di <a href='/i/z'>zucchero</a>",
                              "50 gr di farina", " <a href='/i/zv'>zucchero a velo</a>"))
    found = read(f"""<article><h1>Tortino cuore caldo</h1><div class="col ingr"><div class="box-ingr">
      <ul class="list-group list-ingr"><li class="list-group-item tit-ing">Ingredienti per 6 tortini</li>{items}</ul>
      </div></div><div class="pro">Procedimento</div><h2>Come fare il Tortino</h2>
      <p>Montate le uova con lo zucchero, poi unite la farina e cuocete per 15 minuti.</p></article>""")
    assert found is not None and found.confident
    assert found.ingredients == ["2 di uova", "100 gr di zucchero", "50 gr di farina", "zucchero a velo"]
    assert found.ingredient_groups == []
    assert found.yields == "6 servings"


def test_a_term_over_several_descriptions_titles_them_and_linked_names_with_trailing_amounts():
    """`<dt>Per decorare</dt><dd><a>Panna</a> 150 ml</dd>…`: the term is the group, each dd a line."""
    found = read("""<h1>Bavarese</h1><div class="gz-ingredients"><h2>Ingredienti</h2>
      <dl class="gz-list-ingredients"><dt>Ingredienti per la bavarese</dt>
       <dd><a href="/r/latte">Latte intero</a> <span>200 ml</span></dd><dd><a href="/r/tuorli">Tuorli</a> <span>3</span></dd>
       <dd><a href="/r/vaniglia">Baccello di vaniglia</a> <span>&frac12;</span></dd></dl>
      <dl class="gz-list-ingredients"><dt>Per decorare</dt><dd><a href="/r/panna">Panna fresca</a> <span>150 ml</span></dd>
       <dd><a href="/r/zucchero">Zucchero a velo</a> <span>30 g</span></dd></dl></div>
      <div class="gz-title-section">Preparazione</div>
      <div class="gz-content-recipe" id="gz-photocomments-trigger"><div class="gz-content-recipe-step">
       <p>Scaldate il latte con la vaniglia e versatelo sui tuorli sbattuti.</p></div>
       <div class="gz-content-recipe-step"><p>Decorate con la panna montata e lo zucchero a velo.</p></div></div>""")
    assert found is not None and found.confident
    assert found.ingredients == ["Latte intero 200 ml", "Tuorli 3", "Baccello di vaniglia ½",
                                 "Panna fresca 150 ml", "Zucchero a velo 30 g"]
    assert [name for name, _ in found.ingredient_groups] == ["Ingredienti per la bavarese", "Per decorare"]
    assert found.instructions == ["Scaldate il latte con la vaniglia e versatelo sui tuorli sbattuti.",
                                  "Decorate con la panna montata e lo zucchero a velo."]


def test_a_shopping_cart_promotion_inside_the_ingredients_tab_is_not_a_line():
    found = read("""<h1>Brokkoli-Pasta</h1><div id="ingr-tab-pane" class="tab-pane"><h3>Zutaten</h3>
      <div><span>20 g</span> <span>Butter</span></div><div><span>500 g</span> <span>Brokkoli</span></div>
      <div class="cartlist"><h3>Einkaufsliste</h3><p><b>Du möchtest die Zutaten als Einkaufsliste speichern?</b><br>
      Diese Funktion findest du in meiner App:</p></div></div>
      <h3>Zubereitung</h3><p>Den Brokkoli in der Butter anbraten und mit den Nudeln mischen.</p>""")
    assert found is not None and found.confident
    assert found.ingredients == ["20 g Butter", "500 g Brokkoli"]


def test_a_tasty_card_written_as_paragraphs_under_group_headings():
    """Tasty's editor: each line a <p>, each group an <h4>; the scale buttons are a widget."""
    found = read("""<div class="tasty-recipes"><h2 class="tasty-recipes-title">Paneer Tikka Masala</h2>
      <div class="tasty-recipes-ingredients"><div class="tasty-recipes-ingredients-header"><h3>Ingredients</h3>
       <span class="tasty-recipes-scale-container"><span>Scale</span><button type="button">1x</button>
       <button type="button">2x</button></span></div>
       <div class="tasty-recipes-ingredients-body"><h4>Tikka Paste</h4><p><span data-amount="0.5">&frac12;</span> TB ground cumin</p>
       <p><span data-amount="2">2</span> tsps paprika</p><h4>Tikka Masala</h4><p>16 oz paneer, cubed</p></div></div>
      <div class="tasty-recipes-instructions"><ol><li>Mix the paste and coat the paneer with it.</li></ol></div></div>""")
    assert found is not None and found.reader == "tasty" and found.confident
    assert found.ingredients == ["½ TB ground cumin", "2 tsps paprika", "16 oz paneer, cubed"]
    assert found.ingredient_groups == [("Tikka Paste", ["½ TB ground cumin", "2 tsps paprika"]),
                                       ("Tikka Masala", ["16 oz paneer, cubed"])]


def test_a_bold_paragraph_between_a_cards_lists_titles_the_list_after_it():
    """`<p><strong>Filling:</strong></p>` between Tasty lists: a group, and among the steps a line
    written as the card writes it (colon kept), as the plugin's HowToSection name is."""
    found = read("""<div class="tasty-recipes"><h2 class="tasty-recipes-title">Cheesecake</h2>
      <div class="tasty-recipes-ingredients"><p><strong>Crust:</strong></p><ul><li>2 cups crumbs</li>
       <li>6 tbsp butter</li></ul><p><strong>Filling:</strong></p><ul><li>16 oz cream cheese</li></ul></div>
      <div class="tasty-recipes-instructions"><p><strong>For the Crust:</strong></p>
       <ol><li>Press the crumbs into the pan.</li></ol><p><strong>For the Filling:</strong></p>
       <ol><li>Beat the cream cheese.</li><li>Pour it over the crust.</li></ol></div></div>""")
    assert found is not None and found.reader == "tasty"
    assert found.ingredients == ["2 cups crumbs", "6 tbsp butter", "16 oz cream cheese"]
    assert found.ingredient_groups == [("Crust", ["2 cups crumbs", "6 tbsp butter"]),
                                       ("Filling", ["16 oz cream cheese"])]
    assert found.instructions == ["For the Crust:", "Press the crumbs into the pan.", "For the Filling:",
                                  "Beat the cream cheese.", "Pour it over the crust."]
    assert found.step_titles == ["For the Crust:", "For the Filling:"]


@pytest.mark.parametrize("card", [True, False])
def test_a_bold_list_item_with_a_colon_titles_a_group(card):
    lines = """<ul><li><strong><em>For the panna cotta:</em></strong></li><li>1 can coconut milk</li>
      <li>2 teaspoons agar agar</li><li><strong>For the sauce:</strong></li><li>1 cup strawberries</li>
      <li><b>Salt</b></li></ul>"""
    steps = "<ol><li>Warm the coconut milk with the agar and pour it into glasses.</li></ol>"
    body = (f'<div class="tasty-recipes"><div class="tasty-recipes-ingredients">{lines}</div>'
            f'<div class="tasty-recipes-instructions">{steps}</div></div>' if card
            else f"<h1>Panna cotta</h1><h2>Ingredients</h2>{lines}<h2>Instructions</h2>{steps}")
    found = read(body)
    assert found is not None and found.confident
    assert found.ingredients == ["1 can coconut milk", "2 teaspoons agar agar", "1 cup strawberries", "Salt"]
    assert found.ingredient_groups == [("For the panna cotta", ["1 can coconut milk", "2 teaspoons agar agar"]),
                                       ("For the sauce", ["1 cup strawberries", "Salt"])]


def test_a_jump_link_named_ingredients_is_no_section_title_and_a_servings_range_heads_the_list():
    found = read("""<nav><a href="#ingredients">Ingredients</a><ul><li><a href="/k">Kitchenware</a></li>
      <li><a href="/g">Beginner's guide</a></li></ul></nav><div><a href="#ingredients">Ingredients</a>
      <p><a href="/k">Kitchenware</a></p><p><a href="/g">Beginner's guide</a></p></div>
      <h1>Pepper chicken</h1><h2>Ingredients</h2><p>for 3 to 4 servings</p>
      <ul><li>1 pound chicken thighs</li><li>½ teaspoon kosher salt</li></ul>
      <h2>Directions</h2><ol><li>Pat the chicken thighs dry and sprinkle them with the salt.</li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients == ["1 pound chicken thighs", "½ teaspoon kosher salt"]
    assert found.yields == "4 servings"


def test_the_same_lists_again_in_a_sidebar_are_read_once():
    lists = """<h2>Ingredients</h2><h3>For the rice:</h3><ul class="ingredients"><li>3 cups basmati rice</li>
      <li>1 tbsp. salt</li></ul><h3>For the topping:</h3><ul class="ingredients"><li>1 tbsp. butter</li>
      <li>1/3 cup pistachios</li></ul>"""
    found = read(f"""<h1>Tahcheen</h1><aside class="recipe-box">{lists}</aside><article><p>A story.</p>
      <div>{lists}</div><h2>Instructions</h2><ol><li>Parboil the rice in salted water and drain it well.</li></ol></article>""")
    assert found is not None and found.confident
    assert found.ingredients == ["3 cups basmati rice", "1 tbsp. salt", "1 tbsp. butter", "1/3 cup pistachios"]


def test_only_the_active_variant_of_lists_for_each_serving_count_is_read():
    def variant(size, active=""):
        return (f'<ul class="recipe-ingredients__list {active}" data-recipe-size="{size}">'
                f'<li class="title-ingredient"><h3>Polenta</h3></li>'
                f'<li><span>{size * 55} g</span> <span>Polenta</span></li><li><span></span> <span>Salz</span></li></ul>')
    found = read(f"""<h1>Polenta</h1><div id="zutaten"><h2>Zutaten</h2>
      <p class="quantity-text"><span class="block-text is-headline-h3">Beilage</span></p>
      {variant(2)}{variant(4, "is-active")}{variant(6)}</div>
      <h2>Zubereitung</h2><p>Bouillon aufkochen, die Polenta einrieseln lassen und 30 Minuten kochen.</p>""")
    assert found is not None and found.confident
    assert found.ingredients == ["220 g Polenta", "Salz"]
    assert found.ingredient_groups == []  # one group only: "Polenta"


def test_title_items_of_a_list_named_by_its_class_title_groups():
    found = read("""<h1>Apfelkuchen</h1><ul class="recipe-ingredients"><li class="title-ingredient"><h3>Teig</h3></li>
      <li>200 g Mehl</li><li>100 g Butter</li><li class="title-ingredient"><h3>Belag</h3></li><li>3 Äpfel</li></ul>
      <h2>Zubereitung</h2><p>Mehl und Butter verkneten, mit den Äpfeln belegen und 40 Minuten backen.</p>""")
    assert found is not None and found.confident
    assert found.ingredients == ["200 g Mehl", "100 g Butter", "3 Äpfel"]
    assert found.ingredient_groups == [("Teig", ["200 g Mehl", "100 g Butter"]), ("Belag", ["3 Äpfel"])]


def test_step_groups_as_items_with_their_own_numbered_lists():
    """`<li><h3>Cookie Dough</h3><ol><li>Step 1 …</li>…</ol></li>`: each group's steps, numbered from 1."""
    def group(name, steps):
        items = "".join(f'<li><span>Step </span><span>{i}</span>{x}</li>' for i, x in enumerate(steps, 1))
        css = ".css-1obtwta{font-family:Georgia,serif;font-size:1.25rem;line-height:1.2;margin:0 0 1rem}"
        return f"<li><style>{css}</style><h3>{name}</h3><style>{css}</style><ol>{items}</ol></li>"
    found = read(f"""<h1>Apple Cookies</h1><h2>Ingredients</h2><ul><li>2 apples</li><li>1 c. flour</li></ul>
      <h2>Directions</h2><ul class="directions">{group("Cookie Dough", ["Preheat oven to 350°.", "Whisk the flour with the apples."])}
      {group("Icing", ["Whisk powdered sugar and lemon juice.", "Spoon the icing over the cookies."])}</ul>""")
    assert found is not None and found.confident
    assert found.instructions == ["Preheat oven to 350°.", "Whisk the flour with the apples.",
                                  "Whisk powdered sugar and lemon juice.", "Spoon the icing over the cookies."]


def test_one_item_holding_titled_steps_and_amount_cells_beside_their_names():
    """Condé Nast's markup: amount and description cells take turns; one <li> holds "Step 1", "Step 2"."""
    cells = "".join(f'<p class="Amount">{a}</p><div class="Description">{d}</div>'
                    for a, d in (("250", "g frutta secca"), ("6", "fogli di pasta fillo"), ("", "miele")))
    found = read(f"""<h1>Dolcetti di fillo</h1><ul><li><p class="Key">Tempo</p><p class="Value">35 minuti</p></li></ul>
      <div><h2>Ingredienti</h2><div class="List">{cells}</div></div>
      <div><h2>Procedimento</h2><ol><li><h4>Step 1</h4><p>Sminuzzate la frutta secca.</p>
      <h4>Step 2</h4><p>Disponete i fogli di fillo e spennellateli con il miele.</p></li></ol></div>""")
    assert found is not None and found.confident
    assert found.ingredients == ["250 g frutta secca", "6 fogli di pasta fillo", "miele"]
    assert found.instructions == ["Sminuzzate la frutta secca.", "Disponete i fogli di fillo e spennellateli con il miele."]
    assert found.total_time == 35


def test_a_title_set_as_several_h1s_is_the_page_title_less_its_site_name():
    found = read("""<h1 class="recipe-title">baba ghanoush</h1><h1>with hand-cut potato chips</h1>
      <h2>Ingredients</h2><ul><li>2 eggplants</li><li>1 tbsp tahini</li></ul>
      <h2>Method</h2><ol><li>Char the eggplants over a flame, then blend them with the tahini.</li></ol>""",
                 head='<meta property="og:title" content="Smoky Eggplant Dip With Hand Cut Potato Chips | Donna Hay">')
    assert found is not None and found.title == "Smoky Eggplant Dip With Hand Cut Potato Chips"


def test_a_first_h1_among_section_h1s_is_the_title():
    found = read("""<h1>Csokis kuglóf</h1><h1>Hozzávalók</h1><ul><li>200 g liszt</li><li>3 tojás</li></ul>
      <h1>A recept</h1><p>A tojásokat a liszttel kikeverjük, és 40 percig sütjük.</p>""",
                 head='<meta property="og:title" content="Csokis kuglóf recept – egyszerű - Kálci receptjei">')
    assert found is not None and found.title == "Csokis kuglóf"


def test_an_unlabelled_time_beside_the_count_in_the_recipes_subtitle_is_its_total():
    body = """<main><h1>okonomiyaki</h1><h2>4 servings — 20 minutes</h2>
      <dl class="ingredients"><dt>cabbage</dt><dd>500 g</dd><dt>flour</dt><dd>85 g</dd></dl>
      <ul class="instructions"><li>Mix the cabbage with the flour and cook the batter for {} minutes.</li></ul></main>"""
    found = read(body.format(10))
    assert found is not None and found.confident and found.total_time == 20 and found.yields == "4 servings"
    # a duration alone, with no count beside it, is no total time
    alone = read(body.replace("4 servings — 20 minutes", "Ready when you are — 20 minutes").format(10))
    assert alone is not None and alone.total_time is None


def test_a_times_label_among_the_steps_is_a_time_not_a_step():
    body = """<h1>Brokkoli-Nudeln</h1><h2>Zutaten</h2><ul><li>1 Zwiebel</li><li>250 g Nudeln</li></ul>
      <h2>Zubereitung</h2><ol><li>Zubereitungszeit: ca. 20 min</li>
      <li>Schäle die Zwiebel und schneide sie fein.</li><li>Koche die Nudeln bissfest.</li></ol>"""
    found = read(body)
    assert found is not None and found.confident
    assert found.instructions == ["Schäle die Zwiebel und schneide sie fein.", "Koche die Nudeln bissfest."]
    assert found.prep_time == 20
    # a step that says more than a time stays a step
    kept = read(body.replace("Zubereitungszeit: ca. 20 min", "Vorher: 20 min quellen lassen"))
    assert kept is not None and kept.instructions[0] == "Vorher: 20 min quellen lassen"


def test_credits_closing_the_steps_are_no_steps():
    body = """<h1>Grillet kylling</h1><h2>Ingredienser</h2><ul><li>1,3 kg hel kylling</li><li>3 ss honning</li></ul>
      <h2>Slik gjør du</h2><ol><li>Drypp honning over kyllingen.</li><li>Stek i 15 minutter på hver side.</li>
      <li>Kilde: Gino D'Acampo i TV-programmet «Ginos italienske fristelser»</li>
      <li>Ricetta: Walter Pedrazzi, Foto: Chiara Cadeddu</li></ol>"""
    found = read(body)
    assert found is not None and found.instructions == ["Drypp honning over kyllingen.", "Stek i 15 minutter på hver side."]
    # only a credit after the last step goes: one among the steps is the page's text
    inside = read(body.replace("<li>Stek i 15", "<li>Kilde: honning fra Lofoten.</li><li>Stek i 15"))
    assert inside is not None and "Kilde: honning fra Lofoten." in inside.instructions


def test_a_cook_mode_switch_in_the_ingredients_toolbar_is_no_line():
    found = read("""<h1>Kaiserschmarrn</h1><div class="dr-ingredients-list"><h2>Ingredients</h2>
      <div class="dr-ingredients-toolbar"><div class="wpdelicious-cook-mode-wrapper"><input type="checkbox">
      <label>Cook Mode <span class="switch"></span></label><span>Cooking Mode <strong>Disabled</strong></span></div></div>
      <ul><li>4 large Eggs</li><li>2/3 cup Milk</li><li>1 cup All-Purpose Flour</li></ul></div>
      <h2>Instructions</h2><ol><li>Whisk the eggs with the milk, then fold in the flour and bake for 20 minutes.</li></ol>""")
    assert found is not None and found.ingredients == ["4 large Eggs", "2/3 cup Milk", "1 cup All-Purpose Flour"]


def test_a_plugin_card_with_a_single_ingredient_is_a_recipe():
    def card(steps):
        items = "".join(f'<li class="wprm-recipe-instruction"><div class="wprm-recipe-instruction-text">{s}</div></li>'
                        for s in steps)
        return f"""<h1>Mirabelles pour bébé</h1><div class="wprm-recipe-container"><div class="wprm-recipe">
          <h2 class="wprm-recipe-name">Mirabelles pour bébé</h2><div class="wprm-recipe-ingredients-container">
          <h3 class="wprm-recipe-header">Ingrédients</h3><ul class="wprm-recipe-ingredients">
          <li class="wprm-recipe-ingredient"><span class="wprm-recipe-ingredient-amount">5</span>
          <span class="wprm-recipe-ingredient-name">mirabelles</span></li></ul></div>
          <div class="wprm-recipe-instructions-container"><ul>{items}</ul></div></div></div>"""
    found = read(card(["Laver les mirabelles.", "Proposer à bébé une compote de mirabelles."]))
    assert found is not None and found.reader == "wprm" and found.confident
    assert found.ingredients == ["5 mirabelles"]
    # one line and one step is a teaser's stub, not enough to stand on its own
    stub = read(card(["Laver les mirabelles."]))
    assert stub is None or not stub.confident


def test_a_side_box_after_the_steps_gives_times_and_the_yield_of_its_ingredients_title():
    """Steps first, then a box: "21 Min.<br>Gesamtzeit" (value, then label), "Zutaten für 4 Personen"."""
    body = """<h1>Käsesoße</h1><div class="steps"><h2>Zubereitung</h2><ol>
      <li>Parmesan zerkleinern und die Zwiebel schälen.</li><li>Butter schmelzen und Mehl einrühren.</li>
      <li>Milch zugeben und 4 Min. köcheln lassen.</li></ol></div>
      <p>Pro Portion: 505 kcal | 19 g E</p>
      <div class="box right"><div class="times"><span>2 Min.<br>Vorbereitungszeit</span>
      <span>21 Min.<br>Gesamtzeit</span></div>
      <h3>Zutaten für 4 Personen</h3><ul><li>90 g Parmesan</li><li>1 Zwiebel</li><li>30 g Butter</li></ul></div>"""
    found = read(body)
    assert found is not None and found.confident
    assert found.ingredients == ["90 g Parmesan", "1 Zwiebel", "30 g Butter"]
    assert found.total_time == 21 and found.prep_time == 2
    assert found.yields == "4 servings"
    # a per-portion nutrition line is no count: with no other, the yield stays unknown
    bare = read(body.replace("Zutaten für 4 Personen", "Zutaten"))
    assert bare is not None and bare.yields is None



def test_a_price_or_a_time_after_for_is_no_yield():
    """projectgezond: a banner "start voor 1 euro" above the card, then "2 personen" over the list."""
    body = """<p class="banner">ACTIE: start voor 1 euro met ons!</p><p>Let it rest for 5 minutes.</p>
      <h1>Boeuf bourguignon</h1><h2>Ingrediënten</h2><h3><span>2</span> <span>personen</span></h3>
      <ul><li>500 g runderlappen</li><li>2 uien</li><li>1 fles rode wijn</li></ul>
      <h2>Bereiding</h2><ol><li>Snijd het vlees in blokjes en bak het bruin.</li>
      <li>Voeg de wijn toe en laat het 2 uur stoven.</li></ol>"""
    found = read(body)
    assert found is not None and found.confident
    assert found.yields == "2 servings"
    # with the count left out, neither the price nor the time stands in for it
    bare = read(body.replace("<h3><span>2</span> <span>personen</span></h3>", ""))
    assert bare is not None and bare.yields is None

def test_bare_labels_with_their_values_in_elements_of_their_own():
    """"Total" then "4 hr" then "50 min" (nested spans repeat their pieces); "Servings" then "24"."""
    body = """<h1>Éclair Bars</h1><ul class="attributes">
      <li><span class="label">Prep</span> <span class="value"><span>15</span> <span>min</span></span></li>
      <li><span class="label">Total</span> <span class="value"><span>4</span> <span>hr</span></span> <span>50 min</span></li>
      <li><span class="label">Servings</span> <span class="value">24</span></li></ul>
      <h2>Ingredients</h2><ul><li>1 can crescent dough</li><li>3 cups cold half-and-half</li></ul>
      <h2>Steps</h2><ol><li>Heat oven to 375°F and press the dough into the pan.</li>
      <li>Beat the pudding mix with the half-and-half and spread it over the base.</li></ol>"""
    found = read(body)
    assert found is not None and found.confident
    assert (found.prep_time, found.total_time, found.yields) == (15, 290, "24 servings")
    # a number after a label that names no count is no yield
    other = read(body.replace(">Servings<", ">Rating<"))
    assert other is not None and other.yields is None


def test_a_servings_chooser_gives_its_default_count_and_a_time_ends_at_a_separator():
    """migusto: "Für", a dropdown showing 4 over its options 2 4 6 8, "Personen"; "Gesamt: 50 Min.
    • Aktiv: ca. 50 Minuten" is 50 minutes in all, not the sum of both."""
    body = """<h1>Polenta</h1><div class="facts"><span>Gesamt: 50 Min. • Aktiv: ca. 50 Minuten</span></div>
      <h2>Zutaten</h2><div class="for-person"><p>Für </p><div class="dropdown"><span>4</span>
      <ul><li><span>2</span></li><li><span>4</span></li><li><span>6</span></li><li><span>8</span></li></ul></div>
      <p>Personen</p></div><ul><li>1,1 l Gemüsebouillon</li><li>250 g Bramata</li><li>Salz</li></ul>
      <h2>Zubereitung</h2><ol><li>Bouillon aufkochen. Mais einrieseln lassen.</li>
      <li>Bei kleiner Hitze 25–30 Minuten fertig kochen. Mit Salz abschmecken.</li></ol>"""
    found = read(body)
    assert found is not None and found.confident
    assert found.ingredients == ["1,1 l Gemüsebouillon", "250 g Bramata", "Salz"]
    assert (found.yields, found.total_time) == ("4 servings", 50)
    # counts with no noun closing them are no chooser: a pager "Für 1 2 3 Seiten" names no yield
    pager = read(body.replace("<p>Personen</p>", "<p>Seiten</p>"))
    assert pager is not None and pager.yields is None


def test_amount_unit_and_name_in_spans_side_by_side_are_separate_words():
    """`<span>1</span><span>kilogram</span><span>tavuk</span>`: CSS spaces them, the text must too."""
    def item(*pieces):
        return "<li><div>" + "".join(f"<span>{p}</span>" for p in pieces) + "</div></li>"
    found = read(f"""<h1>Tavuklu Patates Topları</h1><h2>Malzemeler</h2><ul>{item("2", "yemek kaşığı", "sıvı yağ")}
      {item("1", "kilogram", "tavuk", "(doğranmış)")}{item("1", "adet", "soğan")}</ul>
      <h2>Hazırlanışı</h2><ol><li>Yağı tavada ısıtın, tavuğu ekleyin ve 10 dakika pişirin.</li>
      <li>Fırını <span>200</span><span>°C</span> ısıtın ve topları 20 dakika pişirin.</li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients == ["2 yemek kaşığı sıvı yağ", "1 kilogram tavuk (doğranmış)", "1 adet soğan"]
    assert found.instructions[1] == "Fırını 200°C ısıtın ve topları 20 dakika pişirin."


def test_a_name_and_its_amount_in_blocks_side_by_side_are_separate_words():
    """cookwell: `<div><span>russet potatoes</span></div><div><div><span>3-5</span></div></div>`, a
    flex row; a step's paragraphs run together after a full stop stay as the plugins' JSON-LD
    writes them ("combine.Cook")."""
    def item(name, amount):
        return (f"<li><div class='flex-grow'><div><span>{name}</span><div class='tags'></div></div></div>"
                f"<div class='amount'><div><span>{amount}</span></div></div></li>")
    found = read(f"""<h1>Oven fries</h1><h2>Ingredients</h2><ul>{item("russet potatoes", "3-5")}
      {item("salt", "to taste")}{item("peanut oil", "60 g")}</ul>
      <h2>Method</h2><ol><li><p>Cut the potatoes into sticks and soak them.</p></li>
      <li><p>Toss with oil and salt to combine.</p><p>Bake for 40 minutes, turning once.</p></li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients == ["russet potatoes 3-5", "salt to taste", "peanut oil 60 g"]
    assert found.instructions[1] == "Toss with oil and salt to combine.Bake for 40 minutes, turning once."


def test_an_item_set_in_bold_by_its_class_and_naming_a_purpose_titles_a_group():
    found = read("""<h1>Galette raclette</h1><h2>Ingrédients</h2><div class="ingredients"><ul>
      <li class='bold marginT10'>Pour l'appareil</li><li><span>Lait : </span><span>25 cl</span></li>
      <li><span>Farine de sarrasin : </span><span>55 g</span></li>
      <li class='bold marginT10'>Pour la garniture</li><li><span>Raclette : </span><span>50 g</span></li>
      <li class='bold'>Gros sel</li></ul></div>
      <h2>Préparation</h2><ol><li>Mélangez le lait et la farine, puis laissez reposer la pâte 30 minutes.</li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients == ["Lait : 25 cl", "Farine de sarrasin : 55 g", "Raclette : 50 g", "Gros sel"]
    assert [name for name, _ in found.ingredient_groups] == ["Pour l'appareil", "Pour la garniture"]


def test_an_apps_items_with_the_name_and_the_amount_in_paragraphs_of_their_own():
    """Each item a `<div class="ingredients-list-content-item">` of two paragraphs; buttons in a custom element."""
    def item(name, amount):
        return (f'<div class="ingredients-list-content-container"><div class="ingredients-list-dots"></div>'
                f'<div class="ingredients-list-content-item"><p class="ingredient-name"><label><input type="checkbox">'
                f'<span> {name} </span></label></p><p class="quantity"><span> {amount} </span></p></div></div>')
    found = read(f"""<h1>Placki ziemniaczane</h1><app-recipe-ingredients-list><div class="ingredients-list">
      <h2>Składniki</h2><div class="ingredients-list-content">{item("ziemniaki", "1 kilogram")}
      {item("cebula", "1 sztuka")}{item("jajka", "2 sztuki")}{item("mąka", "3 łyżki")}</div>
      <app-recipe-ingredients-buttons><div><button class="btn">Email</button><button class="btn">Listonic</button></div>
      </app-recipe-ingredients-buttons></div></app-recipe-ingredients-list>
      <div class="steps-list"><h2>Przygotowanie krok po kroku</h2><div class="step"><h3>Krok 1</h3>
      <p>Obierz ziemniaki, zetrzyj na tarce i odsącz masę przez sito.</p></div><div class="step"><h3>Krok 2</h3>
      <p>Dodaj cebulę, jajka i mąkę, wymieszaj i smaż placki z obu stron na złoty brąz.</p></div></div>""")
    assert found is not None and found.confident
    assert found.ingredients == ["ziemniaki 1 kilogram", "cebula 1 sztuka", "jajka 2 sztuki", "mąka 3 łyżki"]


def test_a_posts_state_classes_do_not_make_it_chrome():
    """`class="nm-post has-post-comments"` says the post has comments; it is not the comments."""
    recipe = """<h1>Kubaneh</h1><h3>Ingredients</h3><ul><li>450g bread flour</li><li>40g sugar</li>
      <li>9g instant yeast</li></ul><h3>Instructions</h3><ol><li>Mix the flour, sugar and yeast with the water.</li>
      <li>Bake the dough covered at 150°C overnight.</li></ol>"""
    found = read(f'<div class="nm-post nm-post-sidebar-none has-post-comments">{recipe}</div>')
    assert found is not None and found.confident and found.ingredients[0] == "450g bread flour"
    hidden = read(f'<div class="post-comments">{recipe}</div>')
    assert hidden is None or not hidden.confident


def test_a_header_button_left_open_by_a_typo_does_not_hide_the_page():
    """`<button><div></button>`: lxml keeps the button (and the header) open over the whole page."""
    found = read("""<header class="site-header"><button class="menu-button"><div></button><a href="/">Home</a>
      <main><article><h1>Margherita Pizza</h1><h2>Ingredients</h2><ul><li>¼ cup olive oil</li>
      <li>8 Roma tomatoes, sliced</li><li>8 ounces shredded mozzarella</li></ul>
      <h2>Directions</h2><ol><li>Brush the crust with the oil and lay the tomatoes over it.</li>
      <li>Top with the cheese and bake at 400°F for 10 minutes.</li></ol></article></main></header>""")
    assert found is not None and found.confident and found.ingredients[0] == "¼ cup olive oil"
    # a real menu button stays chrome
    menu = read("""<header><button class="menu"><h2>Ingredients</h2><ul><li>1 cup flour</li><li>2 eggs</li></ul>
      <h2>Directions</h2><ol><li>Mix the flour with the eggs and bake for 20 minutes.</li></ol></button></header>""")
    assert menu is None or not menu.confident


def test_groups_set_straight_in_a_list_and_class_named_step_boxes_read_once():
    """NYT Cooking's markup: `<ul><h3>…</h3><ul>…</ul></ul>`; each step's box is class-named; bylines follow."""
    steps = "".join(f'<li class="preparation_step"><div class="stepNumber">Step <!-- -->{i}</div>'
                    f'<div class="preparation_stepContent"><p>{s}</p></div></li>'
                    for i, s in enumerate(["Boil the potatoes in salted water for 20 minutes.",
                                           "Blend the tomatoes with the chile and simmer the salsa."], 1))
    found = read(f"""<h1>Potato Tacos</h1><div class="ingredients_ingredients"><h2>Ingredients</h2>
      <div class="ingredients_recipeYield"><span>Yield:</span><span>4 servings</span></div>
      <ul><h3>For the Tacos</h3><ul><li><span>1½</span><span> pounds potatoes</span></li><li>16 corn tortillas</li></ul>
      <h3>For the Salsa</h3><ul><li>3 tomatoes, chopped</li><li>1 garlic clove</li></ul></ul></div>
      <div><h2>Preparation</h2><ol class="preparation_stepList">{steps}</ol>
      <div class="cards"><ul><li><div><p>By Melissa Clark</p></div></li><li><div><p>By David Tanis</p></div></li>
      </ul></div></div>""")
    assert found is not None and found.confident
    assert found.ingredients == ["1½ pounds potatoes", "16 corn tortillas", "3 tomatoes, chopped", "1 garlic clove"]
    assert [name for name, _ in found.ingredient_groups] == ["For the Tacos", "For the Salsa"]
    assert found.instructions == ["Boil the potatoes in salted water for 20 minutes.",
                                  "Blend the tomatoes with the chile and simmer the salsa."]


def test_an_h1_naming_the_sites_recipe_section_or_the_site_is_not_the_title():
    body = """<h1>{}</h1><article><h2>Ingredientes</h2><ul><li>500 g de alcatra</li><li>1 cebola picada</li></ul>
      <h2>Modo de preparo</h2><ol><li>Refogue a cebola na manteiga e junte a carne em cubos.</li></ol></article>"""
    head = ('<meta property="og:title" content="Estrogonofe de carne"><meta property="og:site_name" content="Claudia">')
    assert read(body.format("RECEITAS"), head).title == "Estrogonofe de carne"
    assert read(body.format("Claudia"), head).title == "Estrogonofe de carne"
    assert read(body.format("Estrogonofe da vovó"), head).title == "Estrogonofe da vovó"


def test_two_paragraphs_that_are_two_lines_are_not_joined_as_name_and_amount():
    found = read("""<h1>Bûche</h1><h2>Ingrédients</h2><div class="ingredients">
      <div><p>50 g de chocolat de couverture noir</p><p>Cacao en poudre</p></div>
      <div><p>2 oeufs</p><p>70 g de noisette en poudre</p></div></div>
      <h2>Préparation</h2><ol><li>Tempérez le chocolat, puis fouettez les oeufs avec la noisette.</li></ol>""")
    assert found is not None and found.ingredients == [
        "50 g de chocolat de couverture noir", "Cacao en poudre", "2 oeufs", "70 g de noisette en poudre"]


def test_a_bare_time_label_with_its_value_beside_the_count_is_the_total():
    body = """<h1>Grilled Cheese and Greens</h1><div class="meta"><div>Serves 4</div><div>{}</div></div>
      <h2>Ingredients</h2><ul><li>2 tablespoons olive oil</li><li>8 slices Swiss cheese</li></ul>
      <h2>Directions</h2><ol><li>Heat the oil, wilt the greens and grill the sandwiches for 4 minutes a side.</li></ol>"""
    assert read(body.format("Time 30 min")).total_time == 30
    assert read(body.format("Timely advice: 30 min")).total_time is None


def test_a_sentence_introducing_the_ingredients_is_not_one():
    body = """<h1>Rocky Road Ice Cream</h1><h2>Ingredients</h2><ul><li>{}</li>
      <li>4 large egg yolks</li><li>1/2 cup granulated sugar</li><li>1 1/2 cups whole milk</li></ul>
      <h2>Instructions</h2><ol><li>Whisk the yolks with the sugar, heat the milk and churn the custard.</li></ol>"""
    intro = "To get that perfect ice cream, you need quality ingredients. Here is what you will need to gather up."
    found = read(body.format(intro))
    assert found is not None and found.ingredients == ["4 large egg yolks", "1/2 cup granulated sugar", "1 1/2 cups whole milk"]
    kept = read(body.format("Salt"))
    assert kept is not None and kept.ingredients[0] == "Salt"


def test_portuguese_yields():
    body = """<h1>Bolo de cocada</h1><p>{}</p><h2>Ingredientes</h2><ul><li>2 xícaras de farinha de trigo</li>
      <li>100 g de coco ralado</li></ul><h2>Modo de preparo</h2><ol><li>Misture tudo e asse por 40 minutos.</li></ol>"""
    assert read(body.format("Rendimento: 12 porções")).yields == "12 servings"
    assert read(body.format("Serve 4 pessoas")).yields == "4 servings"


def test_the_steps_shown_twice_are_read_once_from_the_list():
    # a summary's paragraphs and the list below it, under the same title, one with a full stop more
    steps = ["Derreta a manteiga em uma panela grande e refogue a cebola;", "Adicione a carne e tempere com sal;",
             "Sirva o estrogonofe com arroz branco e batata palha"]
    paragraphs = "".join(f"<p>{x}</p>" for x in steps[:-1]) + f"<p>{steps[-1]}.</p>"
    found = read(f"""<h1>Estrogonofe de carne</h1><h2>Ingredientes</h2><ul><li>500 g de alcatra</li>
      <li>1 cebola picada</li><li>1 lata de creme de leite</li></ul><section><h2>Modo de Preparo</h2>{paragraphs}
      </section><section><h2>Modo de Preparo</h2><ul>{"".join(f"<li><span>{x}</span></li>" for x in steps)}</ul>
      </section>""")
    assert found is not None and found.instructions == steps


def test_yields_and_times_labelled_in_turkish_czech_and_polish():
    # yemek.com's detail boxes: a label heading its value, in capitals with Turkish dotted/dotless i
    turkish = read("""<h1>Tavuklu patates topları</h1><div class="detail"><h3>KAÇ KİŞİLİK</h3><span>6 kişilik</span>
      </div><div class="detail"><h3>HAZIRLAMA SÜRESİ</h3><span>45 dakika</span></div><div class="detail">
      <h3>PİŞİRME SÜRESİ</h3><span>40 dakika</span></div><h2>Malzemeler</h2><ul><li>1 kilogram tavuk</li>
      <li>5 adet patates</li></ul><h2>Hazırlanışı</h2><ol><li>Tavukları doğrayıp tavada pişirin.</li></ol>""")
    assert turkish is not None
    assert (turkish.yields, turkish.prep_time, turkish.cook_time) == ("6 servings", 45, 40)
    czech = read("""<h1>Guláš</h1><p><span>Doba přípravy: 20 minut</span> <span>4 porce</span></p>
      <h2>Suroviny</h2><ul><li>500 g hovězího masa</li><li>2 cibule</li></ul><h2>Postup</h2>
      <ol><li>Maso nakrájejte a opečte na cibuli.</li></ol>""")
    assert czech is not None and (czech.yields, czech.prep_time) == ("4 servings", 20)
    # "1309 osób wydrukowało" (1309 people printed it) is a counter, not the yield
    polish = read("""<h1>Placki ziemniaczane</h1><p class="counter">1309 osób wydrukowało</p>
      <h2>Składniki</h2><ul><li>1 kilogram ziemniaków</li><li>1 cebula</li></ul><h2>Przygotowanie</h2>
      <ol><li>Ziemniaki zetrzyj na tarce i odsącz.</li></ol>""")
    assert polish is not None and polish.ingredients and polish.yields is None


def test_a_table_of_labels_over_values_gives_the_time_and_the_yield():
    body = """<h1>Coxa de frango</h1><table class="recipe-info"><thead><tr><th>{}</th><th>Rendimento</th>
      <th>Dificuldade</th></tr></thead><tbody><tr><td><span>h 30m s</span></td><td>5 porções</td><td>Fácil</td></tr>
      </tbody></table><h2>Ingredientes</h2><ul><li>1 kg de coxa de frango</li><li>1 dente de alho</li></ul>
      <h2>Modo de preparo</h2><ol><li>Tempere o frango e frite por 25 minutos a 200 graus.</li></ol>"""
    found = read(body.format("Preparo"))
    assert found is not None and (found.prep_time, found.yields) == (30, "5 servings")
    # a table whose labels name no time or yield is not read as one
    other = read(body.format("Origem").replace("Rendimento", "Autor").replace("5 porções", "5"))
    assert other is not None and (other.prep_time, other.yields) == (None, None)


def test_a_times_label_in_hours_is_no_steps_title():
    """"Préparation : 1h" in the recipe's facts: a time, where "Préparation" alone titles the steps."""
    body = """<h1>Bûche</h1><ul class="facts"><li><span>Préparation : 1h</span></li></ul>
      <h2>Ingrédients</h2><ul><li>50 g de chocolat noir</li><li>2 oeufs</li></ul>
      <h2>{}</h2><ol><li>Tempérez le chocolat, puis fouettez les oeufs avec le sucre.</li></ol>"""
    found = read(body.format("Étapes"))
    assert found is not None and found.confident and found.prep_time == 60
    assert found.instructions == ["Tempérez le chocolat, puis fouettez les oeufs avec le sucre."]


def test_a_tip_after_the_ingredients_and_a_step_titled_cook_are_neither_lines_nor_times():
    tip = ("The flavor of lemongrass is subtle, with a more floral fragrance and less acidity than either lemon "
           "juice or zest. Sold by the stalk, it is fibrous and usually bruised or pounded to a paste first.")
    # (Sunbasket's order: the steps first, the ingredients in a side box after them)
    found = read(f"""<h1>Lemongrass turkey salad</h1>
      <div class="instructions"><h2>Instructions</h2><div class="step"><p class="step-number">1</p>
      <p class="step-header">Cook the rice noodles</p><p>Boil the noodles until just tender, 6 to 8 minutes.</p></div>
      <div class="step"><p class="step-number">2</p><p>Brown the turkey with the lemongrass paste.</p></div></div>
      <div class="ingredients"><h2>Ingredients</h2><ul>
      <li>10 ounces ground turkey</li><li>5 ounces flat rice noodles</li><li>3 or 4 radishes</li></ul></div>
      <div class="ingredients-tip"><p>{tip}</p></div>""")
    assert found is not None and found.confident
    assert found.ingredients == ["10 ounces ground turkey", "5 ounces flat rice noodles", "3 or 4 radishes"]
    assert (found.cook_time, found.total_time) == (None, None)


def test_a_box_hidden_on_small_screens_only_is_shown():
    """Bootstrap's `d-none d-xl-block` shows the box from the xl breakpoint up; `d-none` alone hides it."""
    body = """<h1>Pink Popcorn</h1><div class="{}"><h3>Zutaten</h3>
      <div class="ingredient"><span class="quantity">20 g</span> <span class="name">Sonnenblumenöl</span></div>
      <div class="ingredient"><span class="quantity">50 g</span> <span class="name">Popcornmais</span></div>
      <div class="ingredient"><span class="quantity">3 EL</span> <span class="name">Zucker</span></div></div>
      <h3>Zubereitung</h3><ol><li>Erhitze das Öl, gib den Mais dazu und lass ihn mit Deckel poppen.</li></ol>"""
    shown = read(body.format("d-none d-xl-block ingr-desktop"))
    assert shown is not None and shown.confident
    assert shown.ingredients == ["20 g Sonnenblumenöl", "50 g Popcornmais", "3 EL Zucker"]
    hidden = read(body.format("d-none"))
    assert hidden is None or not hidden.confident


NEWSPAPER = """<article><h1>Meera Sodha's vegan recipe for ram-don noodles from Parasite</h1>
  <p>Dinner and film night is my jam, and this is how I am going to finish the year.</p>
  <h2>Ram-don with black garlic, leek and Tenderstem</h2>
  <p>You'll need some black garlic paste, which is widely available in larger supermarkets.</p>
  <p>Prep <strong>10 min</strong><br/>Cook <strong>40 min</strong><br/>Serves <strong>4</strong></p>
  {}
  <p>Press the tofu with kitchen paper, cut it into cubes and toss with the cornflour.</p>
  <p>Cook the noodles, then toss them with the tofu, the leek and the soy sauce.</p>
  <p>Serve at once.</p></article>"""


def test_a_newspapers_recipe_facts_then_untitled_lines_then_the_method():
    found = read(NEWSPAPER.format("""<p><strong>225g smoked tofu</strong>, drained<br/><strong>4 tbsp cornflour
      </strong><br/><strong>1 large leek</strong>, sliced<br/>250g ramen noodles<br/>4 tbsp light soy sauce</p>"""))
    assert found is not None and found.confident and found.reader == "heading"
    assert found.title == "Ram-don with black garlic, leek and Tenderstem"
    assert found.ingredients == ["225g smoked tofu, drained", "4 tbsp cornflour", "1 large leek, sliced",
                                 "250g ramen noodles", "4 tbsp light soy sauce"]
    assert found.instructions[0].startswith("Press the tofu")
    assert (found.yields, found.prep_time, found.cook_time) == ("4 servings", 10, 40)
    # facts over prose, no lines: an article that talks about a recipe, not one
    talk = read(NEWSPAPER.format("<p>I like to make this on Fridays, and the leftovers keep for a day or two.</p>"))
    assert talk is None or not talk.confident


def test_a_group_heading_as_high_as_the_sections_own_titles_a_group():
    """"<h2>Lista de Ingredientes</h2> … <h2 class="subtitle">Bolo:</h2><ul>…": a group, not the end."""
    body = """<h1>Bolo cocada invertido</h1><h2>Lista de Ingredientes</h2><h2 class="subtitle">Calda:</h2>
      <ul><li>1 xícara de açúcar</li><li>100 g de coco em flocos</li></ul><h2 class="subtitle">{}</h2>
      <ul><li>2 xícaras de farinha de trigo</li><li>3 ovos</li></ul>
      <h2>Modo de preparo</h2><ol><li>Faça a calda com o açúcar, junte o coco e asse o bolo por 40 minutos.</li></ol>"""
    found = read(body.format("Bolo:"))
    assert found is not None and found.confident
    assert found.ingredients == ["1 xícara de açúcar", "100 g de coco em flocos", "2 xícaras de farinha de trigo", "3 ovos"]
    assert [name for name, _ in found.ingredient_groups] == ["Calda", "Bolo"]
    # a heading that titles no group ends the list as before
    other = read(body.format("Dicas da vovó"))
    assert other is not None and "3 ovos" not in other.ingredients


def test_share_buttons_and_an_affiliate_disclosure_closing_the_steps_are_no_steps():
    found = read("""<h1>Knedličky</h1><h2>Ingredients</h2><div class="substances-list">
      <div class="item"><div class="wrap"><div class="amount"> 250 g </div><div class="title">hrudkovitý tvaroh</div>
      <div class="tiny-clear"></div></div></div>
      <div class="item"><div class="wrap"><div class="amount"> 100 g </div><div class="title">polohrubá múka</div>
      <div class="tiny-clear"></div></div></div></div>
      <h2>Instructions</h2><ol><li>Spracujeme tvaroh s múkou do hladkého cesta a varíme 5 minút.</li>
      <li>Podávame s omáčkou a posypeme parmezánom.</li>
      <li>Produktlänkarna är affiliatelänkar vilket innebär att vi får provision.</li><li>zdieľať pripnúť</li></ol>""")
    assert found is not None and found.confident
    assert found.ingredients == ["250 g hrudkovitý tvaroh", "100 g polohrubá múka"]
    assert found.instructions == ["Spracujeme tvaroh s múkou do hladkého cesta a varíme 5 minút.",
                                  "Podávame s omáčkou a posypeme parmezánom."]


def test_a_step_number_in_an_element_of_its_own_is_dropped():
    found = read("""<h1>Bars</h1><h2>Ingredients</h2><ul><li>1 can crescent dough</li><li>2 cups milk</li></ul>
      <h2>Steps</h2><ul>
      <li><div class="stepIndex">1</div><div class="stepDescription">Heat oven to 375°F.</div></li>
      <li><div class="stepIndex">2</div><div class="stepDescription">Unroll the dough into the pan.</div></li>
      <li><div class="stepIndex">3</div><div class="stepDescription">Bake 12 to 14 minutes.</div></li></ul>""")
    assert found is not None and found.confident
    assert found.instructions == ["Heat oven to 375°F.", "Unroll the dough into the pan.", "Bake 12 to 14 minutes."]


def test_steps_that_open_with_a_count_keep_it():
    # a bare number that does not count 1, 2, 3 is the text's own ("2 eggs go in")
    found = read("""<h1>Cake</h1><h2>Ingredients</h2><ul><li>2 eggs</li><li>100 g flour</li></ul>
      <h2>Method</h2><ol><li>2 eggs go in the bowl with the flour.</li><li>1 hour in the fridge, covered.</li>
      <li>3 minutes of whisking make it light.</li></ol>""")
    assert found is not None
    assert found.instructions[0] == "2 eggs go in the bowl with the flour."
    assert found.instructions[1] == "1 hour in the fridge, covered."


def test_links_to_other_recipes_under_a_how_to_title_are_no_steps():
    # "Veja também": a slider of other recipes whose first one is titled "Como fazer…" reads
    # like a steps section of its own; a block of nothing but links does not join the steps
    slides = "".join(f'<a href="/r{i}" class="slide-item"><div class="info"><h4>{name}</h4></div></a>'
                     for i, name in enumerate(["Como Fazer Caipirinha de Morango", "Salada de Pepino",
                                               "Chantilly de Chocolate", "Pudim de Leite"]))
    found = read(f"""<main><h1>Bolo</h1><h2>Ingredientes</h2><ul><li>3 ovos</li><li>200 g de açúcar</li></ul>
      <h2>Modo de preparo</h2><ol><li>Bata os ovos com o açúcar por 5 minutos.</li>
      <li>Leve ao forno por 40 minutos.</li></ol></main>
      <section class="seetoo"><h3>Veja também</h3><div class="seetoo-slide">{slides}</div></section>""")
    assert found is not None and found.confident
    assert found.instructions == ["Bata os ovos com o açúcar por 5 minutos.", "Leve ao forno por 40 minutos."]


def test_a_photos_caption_and_an_aside_inside_a_step_are_not_its_text():
    found = read("""<h1>Pepper sandwich</h1><h2>Ingredients</h2><ul><li>1 bell pepper</li><li>2 slices ham</li></ul>
      <h2>Instructions</h2><ol>
      <li><p>Gather the ingredients.</p><figure><img src="a.jpg"><figcaption>The Site / Jane Doe</figcaption>
        </figure></li>
      <li><p>Cut the pepper in half and remove the seeds.</p><aside><h5><a href="/blog">Learn more: Blog
        </a></h5></aside></li>
      <li><figure><img src="c.jpg"><figcaption>Fill each half with the ham.</figcaption></figure></li></ol>""")
    assert found is not None and found.confident
    # the third step is nothing but a photo's caption: that caption is the step
    assert found.instructions == ["Gather the ingredients.", "Cut the pepper in half and remove the seeds.",
                                  "Fill each half with the ham."]


def test_a_tips_list_after_the_steps_is_not_more_steps():
    found = read("""<h1>Brownies</h1><h2>Ingredients</h2><ul><li>200 g butter</li><li>3 eggs</li></ul>
      <h2>Instructions</h2><ol><li>Melt the butter with the chocolate.</li><li>Whisk in the eggs and bake.</li></ol>
      <h3>Recipe Tips</h3><ul><li>Do not overmix the batter once the flour is in.</li>
      <li>Leave the cream cheese out to soften an hour before you start.</li></ul>""")
    assert found is not None and found.confident
    assert found.instructions == ["Melt the butter with the chocolate.", "Whisk in the eggs and bake."]
