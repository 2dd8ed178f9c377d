from tests.reliability import figures


def test_a_figure_recorded_twice_is_printed_once_with_its_last_value():
    before = figures.recorded()
    try:
        figures.record("Selftest", "things counted", 1, "0")
        figures.record("Selftest", "things counted", 2, "0")
        lines = [line for line in figures.table() if line.startswith("Selftest")]
        assert len(lines) == 1
        assert "2   (target 0)" in lines[0]
    finally:
        figures._figures[:] = before
