"""Consumption charts as inline SVG, drawn on the server.

The portal's CSP forbids inline scripts and `style=` attributes, so a chart is plain markup:
presentation attributes for geometry, CSS classes (metering/charts.css) for the look.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# Steps a reader can count in: 1, 2, 2.5 or 5 times a power of ten (10 closes the decade).
NICE_MANTISSAS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
MAX_INTERVALS = 5  # so an axis has 4–6 ticks

# Room around the plot, in viewBox units: tick labels and the unit on the left,
# the legend on top, month names and the x-axis label below.
MARGIN_LEFT = 72
MARGIN_RIGHT = 12
MARGIN_TOP = 44
MARGIN_BOTTOM = 52
GROUP_PADDING = 0.15  # share of a category's width left empty on each side of its bars
LEGEND_SWATCH = 12
LEGEND_CHAR_WIDTH = 11  # generous, so labels do not collide when phones enlarge the text


@dataclass(frozen=True)
class Series:
    label: str
    values: list[Decimal | None]
    css_class: str = "chart-bar--current"


@dataclass(frozen=True)
class PlotArea:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def nice_ticks(max_value: Decimal) -> list[Decimal]:
    """Evenly spaced ticks from 0 to the first nice value at or above `max_value`.

    An axis with nothing to show (zero or less) still spans 0..1, so a chart is never
    scaled by zero.
    """
    if max_value <= 0:
        max_value = Decimal(1)
    exponent = (max_value / MAX_INTERVALS).adjusted()
    for mantissa in NICE_MANTISSAS:
        step = mantissa.scaleb(exponent)
        intervals = int((max_value / step).to_integral_value(rounding=ROUND_CEILING))
        if intervals <= MAX_INTERVALS:
            break
    quantum = Decimal(1).scaleb(-_decimal_places(step))
    return [(step * i).quantize(quantum) for i in range(intervals + 1)]


def _decimal_places(step: Decimal) -> int:
    """Digits after the separator that a tick label needs: none for a whole step."""
    return max(0, -step.normalize().as_tuple().exponent)


def _coordinate(value: float) -> str:
    """Two decimals are sub-pixel on any screen; fewer keep the markup short."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _join(parts) -> SafeString:
    return format_html_join("\n", "{}", ((part,) for part in parts))


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    unit: str,
    categories: list[str],
    series: list[Series],
    x_label: str,
    width: int = 640,
    height: int = 300,
) -> SafeString:
    """Grouped bars, one group per category and one bar per series, as accessible SVG.

    The title and description name the image for assistive technology; every bar carries
    its own value in a <title>, which is also the hover tooltip. `chart_id` must be unique
    on the page, as it prefixes the ids those references use.
    """
    for one in series:
        if len(one.values) != len(categories):
            raise ValueError(
                f"series {one.label!r} has {len(one.values)} values for {len(categories)} categories"
            )
    area = PlotArea(
        left=MARGIN_LEFT,
        top=MARGIN_TOP,
        right=width - MARGIN_RIGHT,
        bottom=height - MARGIN_BOTTOM,
    )
    present = [value for one in series for value in one.values if value is not None]
    ticks = nice_ticks(max(present, default=Decimal(0)))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart"'
        ' role="img" aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMidYMid meet"'
        ' font-size="12">\n'
        '<title id="{id}-title">{title}</title>\n'
        '<desc id="{id}-desc">{description}</desc>\n'
        "{y_axis}\n{x_axis}\n{bars}\n{legend}\n"
        "</svg>",
        width=width,
        height=height,
        id=chart_id,
        title=title,
        description=description,
        y_axis=_y_axis(area, ticks, unit),
        x_axis=_x_axis(area, categories, x_label, height),
        bars=_bars(area, ticks[-1], categories, series, unit),
        legend=_legend(area, series),
    )


def _y_axis(area: PlotArea, ticks: list[Decimal], unit: str) -> SafeString:
    """Gridlines with their values, and the unit written along the axis."""
    decimals = _decimal_places(ticks[1] - ticks[0])
    parts = []
    for tick in ticks:
        y = _coordinate(area.bottom - float(tick / ticks[-1]) * area.height)
        parts.append(
            format_html(
                '<line class="chart-gridline" x1="{}" y1="{}" x2="{}" y2="{}"/>'
                '<text class="chart-tick-label" x="{}" y="{}" dy="0.32em"'
                ' text-anchor="end">{}</text>',
                _coordinate(area.left),
                y,
                _coordinate(area.right),
                y,
                _coordinate(area.left - 6),
                y,
                number_format(tick, decimal_pos=decimals),
            )
        )
    middle = _coordinate(area.top + area.height / 2)
    parts.append(
        format_html(
            '<text class="chart-axis-label chart-axis-label--y" x="16" y="{}"'
            ' transform="rotate(-90 16 {})" text-anchor="middle">{}</text>',
            middle,
            middle,
            unit,
        )
    )
    return format_html('<g class="chart-axis chart-axis--y">{}</g>', _join(parts))


def _x_axis(area: PlotArea, categories: list[str], x_label: str, height: int) -> SafeString:
    """The baseline, a label under each group and the axis label below them."""
    parts = [
        format_html(
            '<line class="chart-axis-line" x1="{}" y1="{}" x2="{}" y2="{}"/>',
            _coordinate(area.left),
            _coordinate(area.bottom),
            _coordinate(area.right),
            _coordinate(area.bottom),
        )
    ]
    group_width = area.width / len(categories) if categories else 0
    for index, category in enumerate(categories):
        parts.append(
            format_html(
                '<text class="chart-category-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                _coordinate(area.left + group_width * (index + 0.5)),
                _coordinate(area.bottom + 20),
                category,
            )
        )
    parts.append(
        format_html(
            '<text class="chart-axis-label chart-axis-label--x" x="{}" y="{}"'
            ' text-anchor="middle">{}</text>',
            _coordinate(area.left + area.width / 2),
            _coordinate(height - 8),
            x_label,
        )
    )
    return format_html('<g class="chart-axis chart-axis--x">{}</g>', _join(parts))


def _bars(
    area: PlotArea, top_tick: Decimal, categories: list[str], series: list[Series], unit: str
) -> SafeString:
    """One rect per known value; a missing month leaves a gap rather than a zero bar."""
    parts = []
    if categories and series:
        group_width = area.width / len(categories)
        bar_width = group_width * (1 - 2 * GROUP_PADDING) / len(series)
        for index, category in enumerate(categories):
            group_left = area.left + group_width * (index + GROUP_PADDING)
            for position, one in enumerate(series):
                value = one.values[index]
                if value is None:
                    continue
                bar_height = float(max(value, Decimal(0)) / top_tick) * area.height
                parts.append(
                    format_html(
                        '<rect class="chart-bar {}" x="{}" y="{}" width="{}" height="{}">'
                        "<title>{}, {}: {} {}</title></rect>",
                        one.css_class,
                        _coordinate(group_left + bar_width * position),
                        _coordinate(area.bottom - bar_height),
                        _coordinate(bar_width),
                        _coordinate(bar_height),
                        one.label,
                        category,
                        number_format(value),
                        unit,
                    )
                )
    return format_html('<g class="chart-bars">{}</g>', _join(parts))


def _legend(area: PlotArea, series: list[Series]) -> SafeString:
    """A swatch styled like the bars, then the series label, in a row above the plot."""
    parts = []
    x = area.left
    y = area.top - 30
    for one in series:
        parts.append(
            format_html(
                '<rect class="chart-legend-swatch {}" x="{}" y="{}" width="{}"'
                ' height="{}"/><text class="chart-legend-label" x="{}" y="{}" dy="0.32em">'
                "{}</text>",
                one.css_class,
                _coordinate(x),
                _coordinate(y),
                LEGEND_SWATCH,
                LEGEND_SWATCH,
                _coordinate(x + LEGEND_SWATCH + 6),
                _coordinate(y + LEGEND_SWATCH / 2),
                one.label,
            )
        )
        x += LEGEND_SWATCH + 6 + LEGEND_CHAR_WIDTH * len(one.label) + 16
    return format_html('<g class="chart-legend">{}</g>', _join(parts))
