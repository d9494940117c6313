"""Figures as PNG bytes (haplan.plots._png): the same pixels as savefig, in order."""

import io

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from haplan.plots import _png


def _figure(index: int = 0) -> Figure:
    figure = Figure(figsize=(4.0, 3.0), layout="constrained")
    ax = figure.add_subplot()
    ax.plot([0, 1, 2], [index, 2 * index + 1, 0.5], marker="o", label=f"line {index}")
    ax.set_yscale("log" if index % 2 else "linear")
    ax.set_xlabel("nodes N [count]")
    ax.set_ylabel("p99 response time [ms]")
    ax.set_title(f"figure {index}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.supxlabel("a note under the figure", x=0.01, ha="left", fontsize="small")
    return figure


def _pixels(png: bytes) -> np.ndarray:
    return imread(io.BytesIO(png), format="png")


def _savefig(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "rc",
    [{}, {"figure.dpi": 72}, {"savefig.transparent": True}, {"savefig.facecolor": "#EEEEEE"}],
)
def test_png_has_the_pixels_savefig_draws(rc):
    with mpl.rc_context(rc):
        png = _png.png_bytes(_figure(1))
        expected = _pixels(_savefig(_figure(1)))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = _pixels(png)
    assert pixels.shape == expected.shape == (300, 400, 4)
    np.testing.assert_array_equal(pixels, expected)


def test_png_keeps_the_figure_as_it_was():
    figure = _figure()
    canvas, dpi = figure.canvas, figure.dpi
    _png.png_bytes(figure, dpi=50)
    assert (figure.canvas, figure.dpi) == (canvas, dpi)
    assert _pixels(_png.png_bytes(figure, dpi=50)).shape == (150, 200, 4)


def test_png_all_keeps_the_order_of_figures_and_makers():
    expected = [_savefig(_figure(i)) for i in range(3)]
    for given in ([_figure(i) for i in range(3)], [lambda i=i: _figure(i) for i in range(3)]):
        pngs = _png.png_all(given)
        assert [_pixels(p).tolist() for p in pngs] == [_pixels(e).tolist() for e in expected]
    assert _png.png_all([]) == []
