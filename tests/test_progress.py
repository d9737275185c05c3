"""The simulation's progress line: a redrawn bar on a terminal, plain lines when asked
for elsewhere, nothing for a run of a second or two."""

import io

from winback_local.progress import QUIET_SECONDS, Progress


def test_a_short_run_shows_nothing() -> None:
    stream = io.StringIO()
    progress = Progress(stream, bar=True, total_events=10)
    for step in range(1, 11):
        progress.update(step / 10, "2026-03-02T10:00:00Z", step, 0)
    progress.close()
    assert stream.getvalue() == ""


def test_a_long_run_on_a_terminal_redraws_one_line_and_clears_it() -> None:
    stream = io.StringIO()
    progress = Progress(stream, bar=True, total_events=1000)
    progress.update(0.1, "2026-03-02T05:00:00Z", 80, 10)
    progress.started -= QUIET_SECONDS + 10  # ten seconds in
    assert progress._first is not None
    progress._first = (progress._first[0] - 8, 0.1)  # 40 % of the span in the last 8 s
    progress.update(0.5, "2026-03-03T00:00:00Z", 400, 120)
    drawn = stream.getvalue()
    assert drawn.startswith("\r[############............]  50%")
    assert "400/1000 events  120 emails" in drawn
    assert "   10 s left" in drawn and "\n" not in drawn  # the remaining half at 8 s per 40 %
    progress.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_elsewhere_it_prints_a_line_every_tenth() -> None:
    stream = io.StringIO()
    progress = Progress(stream, bar=False, total_events=200)
    for step in range(1, 201):
        progress.update(step / 200, "2026-03-02T00:00:00Z", step, 0)
    lines = stream.getvalue().splitlines()
    assert [line.split("%")[0].strip() for line in lines] == [str(p) for p in range(10, 101, 10)]
    assert "\r" not in stream.getvalue()
