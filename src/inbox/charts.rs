//! Charts as inline SVG, drawn on the server: no chart library, no script, nothing fetched.
//! Each chart is an `svg role="img"` named by its `<title>` and `<desc>`, and comes with its
//! figures as a table (inside a `details`) for screen readers and for reading exact values.
//! Colours come from classes in `inbox.css` (the CSP allows no inline style).

use maud::{html, Markup};

/// Drawing area: a fixed coordinate system scaled to the page's width by `viewBox`.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 28.0;

/// One line (or set of bars) of a chart.
pub struct Series<'a> {
    pub name: &'a str,
    /// A class from `inbox.css` (`s1`, `s2`, ...) giving its colour.
    pub class: &'a str,
    /// One value per label; `None` where there is no value (no point is drawn).
    pub values: Vec<Option<f64>>,
}

/// A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`.
pub fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|v| *v >= max)
        .unwrap_or(10.0 * magnitude)
}

/// A number for a label: whole numbers plain, others with up to two decimals.
fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// How many grid steps divide `0..=y_max` (a `nice_max`) into round steps: fifths of 1 and 5,
/// quarters of 2; counts (`whole`) never get fractional steps.
pub fn steps(y_max: f64, whole: bool) -> u32 {
    if whole && y_max <= 2.0 {
        return y_max.max(1.0) as u32;
    }
    let leading = (y_max / 10f64.powf(y_max.log10().floor())).round();
    if leading == 2.0 {
        4
    } else {
        5
    }
}

/// Every `step`-th label is printed, so at most about 10 fit under the axis.
fn label_step(n: usize) -> usize {
    n.div_ceil(10).max(1)
}

fn frame(id: &str, title: &str, desc: &str, y_max: f64, whole: bool, inner: Markup) -> Markup {
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = steps(y_max, whole);
    scroller(
        title,
        true,
        html! {
            svg.chart viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
                aria-labelledby=(format!("{id}-title {id}-desc")) preserveAspectRatio="xMidYMid meet" {
                title id=(format!("{id}-title")) { (title) }
                desc id=(format!("{id}-desc")) { (desc) }
                @for i in 0..=n {
                    @let y = TOP + plot_h - plot_h * f64::from(i) / f64::from(n);
                    line.grid x1=(LEFT) x2=(WIDTH - RIGHT) y1=(num(y)) y2=(num(y)) {}
                    text.axis x=(LEFT - 6.0) y=(num(y + 4.0)) text-anchor="end" {
                        (num(y_max * f64::from(i) / f64::from(n)))
                    }
                }
                (inner)
            }
        },
    )
}

/// A chart keeps a readable size on a phone: its box scrolls sideways instead of the text
/// shrinking (focusable, so the keyboard can scroll it too). Charts over time start scrolled to
/// their newest end (`data-scroll-end`, done by the script).
fn scroller(title: &str, newest_last: bool, svg: Markup) -> Markup {
    html! {
        div.chartscroll tabindex="0" role="group" aria-label=(title) data-scroll-end[newest_last] { (svg) }
    }
}

fn x_label(i: usize, n: usize, x: f64, label: &str) -> Markup {
    if i % label_step(n) != 0 && i + 1 != n {
        return html! {};
    }
    // A label centred under a point at either end would be cut off by the chart's edge: there
    // it ends (or starts) at the edge instead.
    let half = text_width(label, 12.0) / 2.0;
    let (x, anchor) = if x + half > WIDTH - 1.0 {
        (WIDTH - 1.0, "end")
    } else if x - half < 1.0 {
        (1.0, "start")
    } else {
        (x, "middle")
    };
    html! { text.axis x=(num(x)) y=(num(HEIGHT - 8.0)) text-anchor=(anchor) { (label) } }
}

/// A generous estimate of a label's width in the system font (most glyphs are narrower).
fn text_width(label: &str, font_size: f64) -> f64 {
    label.chars().count() as f64 * font_size * 0.6
}

/// One series' piece of a stacked bar.
struct Piece<'a> {
    series: &'a Series<'a>,
    value: f64,
    y: f64,
    height: f64,
}

/// Vertical bars, one per label (stacked when there are several series).
pub fn bars(id: &str, title: &str, desc: &str, labels: &[String], series: &[Series<'_>]) -> Markup {
    let n = labels.len().max(1);
    let totals: Vec<f64> = (0..labels.len())
        .map(|i| series.iter().filter_map(|s| s.values[i]).sum())
        .collect();
    let y_max = nice_max(totals.iter().copied().fold(0.0, f64::max));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / n as f64;
    let bar_w = (slot * 0.7).max(1.0);
    // For each label: the bar's x and its pieces; series stack upwards.
    let columns: Vec<(f64, Vec<Piece<'_>>)> = (0..labels.len())
        .map(|i| {
            let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
            let mut base = 0.0;
            let mut stack = Vec::new();
            for s in series {
                let v = s.values[i].unwrap_or(0.0);
                if v > 0.0 {
                    let h = plot_h * v / y_max;
                    let y = TOP + plot_h - plot_h * base / y_max - h;
                    stack.push(Piece {
                        series: s,
                        value: v,
                        y,
                        height: h,
                    });
                }
                base += v;
            }
            (x, stack)
        })
        .collect();
    let inner = html! {
        @for (i, (x, stack)) in columns.iter().enumerate() {
            @for p in stack {
                rect class=(p.series.class) x=(num(*x)) y=(num(p.y)) width=(num(bar_w)) height=(num(p.height)) {
                    title { (labels[i]) ": " (p.series.name) " " (num(p.value)) }
                }
            }
            (x_label(i, labels.len(), x + bar_w / 2.0, &labels[i]))
        }
    };
    frame(id, title, desc, y_max, true, inner)
}

/// Lines with a dot per value, one per series; gaps where a value is missing. `y_unit` is
/// added to each point's tooltip (say the unit in the title: axis labels are bare numbers).
pub fn lines(
    id: &str,
    title: &str,
    desc: &str,
    labels: &[String],
    series: &[Series<'_>],
    y_unit: &str,
) -> Markup {
    let n = labels.len().max(1);
    let y_max = nice_max(
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied())
            .fold(0.0, f64::max),
    );
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / n as f64;
    let point = |i: usize, v: f64| {
        (
            LEFT + slot * i as f64 + slot / 2.0,
            TOP + plot_h - plot_h * v / y_max,
        )
    };
    let inner = html! {
        @for s in series {
            @for segment in segments(&s.values) {
                @if segment.len() > 1 {
                    polyline class=(s.class) fill="none" points=(segment.iter().map(|(i, v)| {
                        let (x, y) = point(*i, *v);
                        format!("{},{}", num(x), num(y))
                    }).collect::<Vec<_>>().join(" ")) {}
                }
                @for (i, v) in &segment {
                    @let (x, y) = point(*i, *v);
                    circle class=(s.class) cx=(num(x)) cy=(num(y)) r="3.5" {
                        title { (labels[*i]) ": " (s.name) " " (num(*v)) (y_unit) }
                    }
                }
            }
        }
        @for (i, label) in labels.iter().enumerate() {
            (x_label(i, labels.len(), point(i, 0.0).0, label))
        }
    };
    frame(id, title, desc, y_max, false, inner)
}

/// Runs of consecutive present values, with their positions.
fn segments(values: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut out: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut run = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => run.push((i, *v)),
            None if !run.is_empty() => out.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// Horizontal bars with their label and value written beside them: for shares of a whole
/// (reasons, outcomes).
pub fn hbars(id: &str, title: &str, desc: &str, items: &[(String, f64)]) -> Markup {
    let row = 30.0;
    let height = (items.len().max(1) as f64) * row + 8.0;
    // Room for the longest label (13 px), within reason: a label is never cut off at the left.
    let label_w = items
        .iter()
        .map(|(label, _)| text_width(label, 13.0) + 12.0)
        .fold(120.0, f64::max)
        .min(WIDTH / 2.0);
    let value_w = 48.0;
    let max = items.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1.0);
    let plot_w = WIDTH - label_w - value_w;
    scroller(
        title,
        false,
        html! {
            svg.chart viewBox=(format!("0 0 {WIDTH} {}", num(height))) role="img"
                aria-labelledby=(format!("{id}-title {id}-desc")) preserveAspectRatio="xMidYMid meet" {
                title id=(format!("{id}-title")) { (title) }
                desc id=(format!("{id}-desc")) { (desc) }
                @for (i, (label, v)) in items.iter().enumerate() {
                    @let y = 4.0 + row * i as f64;
                    text.label x=(num(label_w - 8.0)) y=(num(y + 19.0)) text-anchor="end" { (label) }
                    rect class={ "s" ((i % 6) + 1) } x=(num(label_w)) y=(num(y + 5.0))
                        width=(num((plot_w * v / max).max(if *v > 0.0 { 2.0 } else { 0.0 }))) height="18" {}
                    text.value x=(num(label_w + (plot_w * v / max) + 6.0)) y=(num(y + 19.0)) { (num(*v)) }
                }
            }
        },
    )
}

/// The figures of a chart as a table, folded away by default.
pub fn data_table(caption: &str, head: &[&str], rows: &[Vec<String>]) -> Markup {
    html! {
        details.data {
            summary { "Figures" }
            div.tablewrap {
                table {
                    caption.visually-hidden { (caption) }
                    thead { tr { @for h in head { th scope="col" { (h) } } } }
                    tbody {
                        @for r in rows {
                            tr {
                                @for (i, cell) in r.iter().enumerate() {
                                    @if i == 0 { th scope="row" { (cell) } } @else { td { (cell) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_steps_are_round() {
        assert_eq!(steps(1.0, true), 1);
        assert_eq!(steps(2.0, true), 2);
        assert_eq!(steps(5.0, true), 5);
        assert_eq!(steps(10.0, true), 5);
        assert_eq!(steps(20.0, true), 4);
        assert_eq!(steps(1.0, false), 5);
        assert_eq!(steps(0.5, false), 5);
        assert_eq!(num(0.25), "0.25");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(3.0), "3");
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.0), 5.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(480.0), 500.0);
    }

    #[test]
    fn charts_are_named_images_with_one_shape_per_value() {
        let labels: Vec<String> = ["Mon", "Tue", "Wed"].map(String::from).to_vec();
        let svg = bars(
            "per-day",
            "Handoffs per day",
            "3 days",
            &labels,
            &[Series {
                name: "handoffs",
                class: "s1",
                values: vec![Some(2.0), Some(0.0), Some(5.0)],
            }],
        )
        .into_string();
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-labelledby="per-day-title per-day-desc""#));
        assert_eq!(svg.matches("<rect").count(), 2, "no bar for a zero");
        let line = lines(
            "claim",
            "Time to claim",
            "p50",
            &labels,
            &[Series {
                name: "p50",
                class: "s1",
                values: vec![Some(1.0), None, Some(3.0)],
            }],
            " min",
        )
        .into_string();
        assert_eq!(line.matches("<circle").count(), 2);
        assert_eq!(
            line.matches("<polyline").count(),
            0,
            "a gap splits the line"
        );
        assert_eq!(segments(&[Some(1.0), Some(2.0), None, Some(3.0)]).len(), 2);
    }
}
