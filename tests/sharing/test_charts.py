import datetime as dt

import pytest

from analytics.stats import DayRow
from sharing.charts import daily_chart, nice_step, script_json, step_path


def days(*counts: tuple[int, int], first: dt.date = dt.date(2026, 3, 12)) -> list[DayRow]:
    return [
        DayRow(first + dt.timedelta(days=offset), views, visitors) for offset, (views, visitors) in enumerate(counts)
    ]


@pytest.mark.parametrize(
    ("peak", "step"), [(0, 1), (3, 1), (9, 3), (40, 10), (90, 25), (1065, 300), (1600, 400), (9587, 2500)]
)
def test_the_axis_step_is_round_and_the_top_tick_just_covers_the_peak(peak, step):
    assert nice_step(peak) == step


def test_bars_are_pageviews_and_the_line_is_visitors_on_one_axis():
    chart = daily_chart(days((40, 10), (20, 5), (0, 0), (10, 8)))
    # Peak 40 gives steps of 10 and a top tick of 40, so heights are value / 40.
    assert [tick.label for tick in chart.y_ticks] == ["0", "10", "20", "30", "40"]
    assert [tick.position for tick in chart.y_ticks] == ["100", "75", "50", "25", "0"]
    assert [day.bar_height for day in chart.days] == ["100", "50", "0", "25"]
    assert [day.bar_y for day in chart.days] == ["0", "50", "100", "75"]
    assert [day.dot_y for day in chart.days] == ["75", "87.5", "100", "80"]
    assert chart.line_view_box == "0 0 4 100"
    assert chart.line_points == "0.5,75 1.5,87.5 2.5,100 3.5,80"
    assert [day.column_x for day in chart.days] == ["0", "25", "50", "75"]
    assert [(day.pageviews, day.visitors) for day in chart.days] == [("40", "10"), ("20", "5"), ("0", "0"), ("10", "8")]
    assert chart.has_data


def test_a_week_labels_every_day_with_its_weekday():
    chart = daily_chart(days(*[(1, 1)] * 7))
    assert [tick.label for tick in chart.x_ticks] == [
        "Thu 12",
        "Fri 13",
        "Sat 14",
        "Sun 15",
        "Mon 16",
        "Tue 17",
        "Wed 18",
    ]
    assert [tick.minor for tick in chart.x_ticks] == [False, True, False, True, False, True, False]


def test_a_month_labels_every_fifth_day_counting_back_from_today():
    chart = daily_chart(days(*[(1, 1)] * 30, first=dt.date(2026, 2, 17)))
    assert [tick.label for tick in chart.x_ticks] == ["21 Feb", "26 Feb", "3 Mar", "8 Mar", "13 Mar", "18 Mar"]
    # Phones show every other label, always keeping today's.
    assert [tick.minor for tick in chart.x_ticks] == [True, False, True, False, True, False]


def test_the_last_label_aligns_inwards_at_the_right_edge():
    chart = daily_chart(days(*[(1, 1)] * 30, first=dt.date(2026, 2, 17)))
    # "21 Feb" is day 4: centred at 4.5 / 30 = 15 %; "18 Mar" is day 29, ending at the plot's right edge.
    assert (chart.x_ticks[0].position, chart.x_ticks[0].anchor) == ("15", "middle")
    assert (chart.x_ticks[-1].position, chart.x_ticks[-1].anchor) == ("100", "end")


def test_a_year_labels_months_and_names_the_year_in_january():
    chart = daily_chart(days(*[(1, 1)] * 365, first=dt.date(2025, 3, 19)))
    assert [tick.label for tick in chart.x_ticks] == [
        "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec", "Jan 2026", "Feb", "Mar",
    ]  # fmt: skip
    assert not chart.show_dots


def test_the_two_dates_of_24_hours_are_both_labelled_on_phones_too():
    chart = daily_chart(days((5, 2), (7, 3), first=dt.date(2026, 3, 17)))
    assert [(tick.label, tick.minor) for tick in chart.x_ticks] == [("Tue 17", False), ("Wed 18", False)]
    assert chart.show_dots


def test_the_text_alternative_names_the_busiest_day():
    chart = daily_chart(days((40, 10), (20, 5), (40, 12)))
    assert chart.summary == (
        "Daily pageviews and unique visitors, 12\u201314 Mar 2026. Busiest day: Sat 14 Mar 2026, "
        "with 40 pageviews and 12 unique visitors."
    )


def test_a_period_without_visits_has_no_chart_data():
    chart = daily_chart(days((0, 0), (0, 0)))
    assert not chart.has_data
    assert chart.summary == "Daily pageviews and unique visitors, 12\u201313 Mar 2026: no visits in this period."


def test_today_so_far_is_never_drawn_as_a_drop_of_the_line():
    chart = daily_chart(days((40, 10), (20, 5), (10, 8), (4, 1)), today=dt.date(2026, 3, 15))

    assert chart.line_points == "0.5,75 1.5,87.5 2.5,80"
    assert chart.partial_points == "2.5,80 3.5,97.5"
    assert chart.partial_dot == ("87.5", "97.5")
    assert [day.partial for day in chart.days] == [False, False, False, True]


def test_without_today_in_the_window_the_line_is_whole_and_nothing_is_dashed():
    chart = daily_chart(days((40, 10), (20, 5)), today=dt.date(2026, 3, 20))

    assert chart.line_points == "0.5,75 1.5,87.5"
    assert chart.partial_points == ""
    assert chart.partial_dot is None


def test_embedded_figures_cannot_end_their_script_and_keep_letters_as_utf8():
    assert script_json([["</script><b>&", "1,234"], ["2026年3月18日(水)", "0"]]) == (
        '[["\\u003C/script\\u003E\\u003Cb\\u003E\\u0026","1,234"],["2026年3月18日(水)","0"]]'
    )


def test_touching_bars_are_one_outline_that_turns_only_where_a_top_changes():
    # Bars 0-1 empty, 2-3 up to 40, 4 up to 12.5, 5 empty: the outline runs along the baseline, rises at 2, and so on.
    assert step_path([100, 100, 40, 40, 12.5, 100]) == "M0 100H2V40H4V12.5H5V100H6V100Z"
    assert step_path([]) == "M0 100H0V100Z"
