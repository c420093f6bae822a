from decimal import Decimal as D

import pytest
from defusedxml.ElementTree import fromstring
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metering.charts import Series, bar_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["sty", "lut", "mar", "kwi"]


def render(**overrides):
    arguments = {
        "chart_id": "usage",
        "title": "Zużycie energii",
        "description": "Zużycie w kolejnych miesiącach 2026 i 2025 roku.",
        "unit": "kWh",
        "categories": MONTHS,
        "series": [
            Series("2026", [D(100), D(200), None, D("50.5")]),
            Series("2025", [D(80), None, D(0), D(120)], css_class="chart-bar--previous"),
        ],
        "x_label": "Miesiąc",
    } | overrides
    return fromstring(str(bar_chart(**arguments)))


def bars(svg):
    return [rect for rect in svg.iter(f"{SVG}rect") if "chart-bar" in rect.get("class", "").split()]


def gridlines(svg):
    """Bottom (zero) first, top tick last."""
    return [line for line in svg.iter(f"{SVG}line") if line.get("class") == "chart-gridline"]


def texts_of_class(svg, css_class):
    return [
        text.text for text in svg.iter(f"{SVG}text") if css_class in text.get("class", "").split()
    ]


def test_the_chart_is_an_image_named_by_its_title_and_description():
    svg = render()
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "usage-title usage-desc"
    assert svg.get("width") is None and svg.get("height") is None
    assert svg.get("viewBox") == "0 0 640 300"
    title, desc = svg[0], svg[1]
    assert (title.tag, title.get("id"), title.text) == (
        f"{SVG}title",
        "usage-title",
        "Zużycie energii",
    )
    assert (desc.tag, desc.get("id")) == (f"{SVG}desc", "usage-desc")
    assert desc.text.startswith("Zużycie w kolejnych")


def test_axes_show_the_unit_the_x_label_and_the_categories():
    svg = render()
    assert texts_of_class(svg, "chart-axis-label--y") == ["kWh"]
    assert texts_of_class(svg, "chart-axis-label--x") == ["Miesiąc"]
    assert texts_of_class(svg, "chart-category-label") == MONTHS
    assert texts_of_class(svg, "chart-legend-label") == ["2026", "2025"]


def test_a_bar_for_every_known_value_with_its_value_in_the_title():
    svg = render()
    drawn = bars(svg)
    assert len(drawn) == 6
    assert [rect.get("class") for rect in drawn].count("chart-bar chart-bar--previous") == 3
    with translation.override("en"):
        titles = [rect.find(f"{SVG}title").text for rect in bars(render())]
    assert "2026, sty: 100 kWh" in titles
    assert "2026, kwi: 50.5 kWh" in titles


def test_bar_heights_are_proportional_to_the_values():
    svg = render(series=[Series("2026", [D(100), D(200), D(0), D(-5)])])
    heights = [float(rect.get("height")) for rect in bars(svg)]
    assert heights[1] > 0
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.5)
    assert heights[2] == 0
    assert heights[3] == 0  # negative consumption does not occur; it must not draw downwards


@pytest.mark.parametrize(
    ("max_value", "expected"),
    [
        (D(200), [D(0), D(50), D(100), D(150), D(200)]),
        (D(1), [D("0.0"), D("0.2"), D("0.4"), D("0.6"), D("0.8"), D("1.0")]),
        (D(0), [D("0.0"), D("0.2"), D("0.4"), D("0.6"), D("0.8"), D("1.0")]),
        (D(7), [D(0), D(2), D(4), D(6), D(8)]),
        (D("1.2"), [D("0.00"), D("0.25"), D("0.50"), D("0.75"), D("1.00"), D("1.25")]),
    ],
)
def test_nice_ticks_examples(max_value, expected):
    assert nice_ticks(max_value) == expected


@pytest.mark.parametrize(
    "max_value", [D("0.003"), D("1.1"), D(9), D(11), D(99), D(101), D("1234.5"), D(87654321)]
)
def test_ticks_are_nice_evenly_spaced_and_cover_the_maximum(max_value):
    ticks = nice_ticks(max_value)
    assert 4 <= len(ticks) <= 6
    assert ticks[0] == 0
    assert ticks[-2] < max_value <= ticks[-1]
    step = ticks[1] - ticks[0]
    assert all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False))
    mantissa = step.scaleb(-step.adjusted()).normalize()
    assert mantissa in {D(1), D(2), D("2.5"), D(5)}


def test_tick_labels_follow_the_active_language():
    chart = {"series": [Series("2026", [D(2), D(1), D(1), D(1)])]}
    with translation.override("pl"):
        polish = texts_of_class(render(**chart), "chart-tick-label")
    with translation.override("en"):
        english = texts_of_class(render(**chart), "chart-tick-label")
    assert polish == ["0,0", "0,5", "1,0", "1,5", "2,0"]
    assert english == ["0.0", "0.5", "1.0", "1.5", "2.0"]
    with translation.override("pl"):
        assert texts_of_class(render(), "chart-tick-label") == ["0", "50", "100", "150", "200"]


def test_every_text_is_escaped():
    markup = str(
        bar_chart(
            chart_id='x" onload="alert(1)',
            title="<script>alert(1)</script>",
            description="a & b",
            unit="<b>kWh</b>",
            categories=["<i>sty</i>"],
            series=[Series("<img src=x>", [D(1)], css_class='chart-bar--current" onclick="x')],
            x_label="</text><script>",
        )
    )
    assert "<script" not in markup
    assert "<img" not in markup
    svg = fromstring(markup)
    assert svg.find(f"{SVG}title").text == "<script>alert(1)</script>"
    assert texts_of_class(svg, "chart-axis-label--x") == ["</text><script>"]
    assert not any(name.startswith("on") for element in svg.iter() for name in element.attrib)
    assert svg.get("aria-labelledby").startswith('x" onload="alert(1)-title')
    assert bars(svg)[0].find(f"{SVG}title").text.startswith("<img src=x>, <i>sty</i>: 1 ")


@pytest.mark.parametrize(
    "series",
    [[], [Series("2026", [None] * 4)], [Series("2026", [D(0)] * 4), Series("2025", [D(0)] * 4)]],
    ids=["no-series", "all-missing", "all-zero"],
)
def test_a_chart_without_consumption_still_has_its_axes(series):
    svg = render(series=series)
    assert all(float(rect.get("height")) == 0 for rect in bars(svg))
    assert len(bars(svg)) == sum(value is not None for one in series for value in one.values)
    assert len(gridlines(svg)) >= 4
    assert texts_of_class(svg, "chart-axis-label--y") == ["kWh"]


def test_no_categories_renders_an_empty_chart():
    svg = render(categories=[], series=[Series("2026", [])])
    assert bars(svg) == []


def test_values_must_match_the_categories():
    with pytest.raises(ValueError, match="2026"):
        render(series=[Series("2026", [D(1)])])


def test_nothing_the_csp_would_block():
    svg = render()
    for element in svg.iter():
        assert element.tag not in {f"{SVG}script", f"{SVG}style", f"{SVG}foreignObject"}
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)


CONSUMPTION = st.lists(
    st.one_of(
        st.none(),
        st.decimals(min_value=0, max_value=10_000_000, places=3, allow_nan=False),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(current=CONSUMPTION, previous=CONSUMPTION)
def test_every_bar_fits_inside_the_plot_area(current, previous):
    size = min(len(current), len(previous))
    svg = render(
        categories=[f"m{i}" for i in range(size)],
        series=[
            Series("2026", current[:size]),
            Series("2025", previous[:size], css_class="chart-bar--previous"),
        ],
    )
    lines = gridlines(svg)
    left, right = float(lines[0].get("x1")), float(lines[0].get("x2"))
    bottom, top = float(lines[0].get("y1")), float(lines[-1].get("y1"))
    drawn = bars(svg)
    assert len(drawn) == sum(v is not None for v in current[:size] + previous[:size])
    epsilon = 0.01
    for rect in drawn:
        x, y = float(rect.get("x")), float(rect.get("y"))
        width, height = float(rect.get("width")), float(rect.get("height"))
        assert width > 0 and height >= 0
        assert left - epsilon <= x and x + width <= right + epsilon
        assert top - epsilon <= y and y + height <= bottom + epsilon
